"""SCB population by education (UF0506B) through the project's PxWeb client, against a real HTTP
server shaped like SCB's table, then landed and harmonised into the three education groups."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from folkhalsa.sources import population
from folkhalsa.io.pxweb import PxWebClient
from tests.http_fixture_server import PxTable, PxVariable, Reply, Sleeps

ROOT = Path(__file__).resolve().parent.parent
BASE = "/OV0104/v1/doris/sv/ssd"
LEVELS = ["1", "2", "3", "4", "5", "6", "7", "US"]
AGES = [str(a) for a in range(16, 75)]


def _cell(c: dict) -> float:
    # 10 × level number (US: 1), +1 for women, +100 per län number: easy to sum by hand.
    level = 1 if c["UtbildningsNiva"] == "US" else 10 * int(c["UtbildningsNiva"])
    return float(level + (c["Kon"] == "2") + 100 * int(c["Region"]))


def _scb_table() -> PxTable:
    return PxTable([
        PxVariable("Region", "region", ["00", "01", "0114", "25"]),
        PxVariable("Alder", "ålder", AGES, [f"{a} år" for a in AGES]),
        PxVariable("UtbildningsNiva", "utbildningsnivå", LEVELS),
        PxVariable("Kon", "kön", ["1", "2"], ["män", "kvinnor"]),
        PxVariable("ContentsCode", "tabellinnehåll", ["UF0506A1"], ["Befolkning"]),
        PxVariable("Tid", "år", ["2022", "2023"], time=True),
    ], _cell, max_values=1000, title="Befolkning 16-74 år efter region, utbildningsnivå, ålder och kön")


@pytest.fixture
def catalogue_row():
    (cat,) = population.load_catalogue(ROOT / "dbt")
    return cat


def test_catalogue_row_names_the_scb_table(catalogue_row):
    assert catalogue_row["table_path"] == "UF/UF0506/UF0506B/Utbildning"
    assert catalogue_row["contents_code"] == "UF0506A1" and (catalogue_row["age_from"], catalogue_row["age_to"]) == (25, 64)


def test_fetch_land_and_harmonise(http_server, tmp_path, catalogue_row):
    http_server.route("GET", f"{BASE}/?config", Reply.json({"maxValues": 1000}))
    _scb_table().mount(http_server, f"{BASE}/{catalogue_row['table_path']}")
    px = PxWebClient(http_server.url + BASE, timeout=5, backoff_s=0.01, sleep=Sleeps())
    path = population.fetch_snapshot(catalogue_row, tmp_path / "snap", years=[2023], client=px,
                                     now=lambda: datetime(2024, 6, 1, tzinfo=timezone.utc))
    px.close()
    posts = [r.json() for r in http_server.requests if r.method == "POST"]
    assert len(posts) > 1, "40 ages × 8 levels × 2 sexes × 4 regions = 2560 cells > maxValues 1000: chunked"
    chosen = {q["code"]: q["selection"]["values"] for q in posts[0]["query"]}
    # Riket, län and kommuner (the area gradient ranks kommuner): the four-digit 0114 is asked for too.
    assert chosen["Region"] == ["00", "01", "0114", "25"] and chosen["Tid"] == ["2023"]
    assert chosen["ContentsCode"] == ["UF0506A1"]
    result = population.land_population(tmp_path / "snap", tmp_path / "landing", tmp_path / "archive")
    assert result.rejected == [] and len(result.landed) == 1
    df = pl.read_parquet(tmp_path / "landing" / "population" / "*" / "education_population.parquet")
    got = {(r["region_code"], r["sex"], r["education"]): r["population"] for r in df.iter_rows(named=True)}
    # Län 01, men, förgymnasial = levels 1 and 2 over 40 ages: 40 × ((10 + 100) + (20 + 100)) = 9200.
    assert got[("01", "M", "förgymnasial")] == 40 * (110 + 120)
    # Women, eftergymnasial (5, 6, 7): 40 × (51 + 61 + 71 + 300).
    assert got[("01", "K", "eftergymnasial")] == 40 * (51 + 61 + 71 + 300)
    assert df["ages"].unique().to_list() == ["25-64"] and set(df["year"]) == {2023}
    assert len(df) == 4 * 2 * 3  # regions × sexes × groups; 'US' (not known) is left out
    assert json.loads(path.read_text("utf-8"))["source"] == "scb"


def test_an_unknown_education_code_rejects_the_snapshot(tmp_path, catalogue_row):
    env = population.sample_snapshot(catalogue_row, ["00", "01"], [2023])
    env["response"]["dimension"]["UtbildningsNiva"]["category"]["index"]["9"] = \
        env["response"]["dimension"]["UtbildningsNiva"]["category"]["index"].pop("US")
    env["response"]["dimension"]["UtbildningsNiva"]["category"]["label"]["9"] = "okänd"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.json").write_text(json.dumps(env), "utf-8")
    (tmp_path / "in" / "broken.json").write_text("{not json", "utf-8")
    result = population.land_population(tmp_path / "in", tmp_path / "landing", tmp_path / "archive")
    # Rejected snapshots land only their issues, no population rows.
    assert result.rows.get("education_population", 0) == 0
    assert {r.file for r in result.rejected} == {"bad.json", "broken.json"}
    assert any("okända utbildningsnivåer" in e.message() for r in result.rejected for e in r.errors)


def test_committed_sample_snapshot_is_shaped_like_the_real_answer():
    env = json.loads((ROOT / "data/sample/population/scb/UTB_BEF_25_64__sample.json").read_text("utf-8"))
    ds = env["response"]
    assert ds["id"] == ["Region", "Kon", "Alder", "UtbildningsNiva", "ContentsCode", "Tid"]
    assert "Exempeldata" in ds["label"] and env["synthetic"] is True
    df = population.harmonise(env)
    shares = (df.group_by("region_code", "education").agg(pl.col("population").sum())
                .with_columns(pl.col("population") / pl.col("population").sum().over("region_code")))
    assert shares["population"].min() > 0.03 and df["region_code"].n_unique() == 22
