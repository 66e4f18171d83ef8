"""Indicator catalogue, sample snapshots, harmonising and landing, and an online fetch against 127.0.0.1."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from folkhalsa import SAMPLE_NOTICE
from folkhalsa.landing import PROVENANCE_COLUMNS
from folkhalsa.sample.indicators import write_sample_indicators
from folkhalsa.sources.indicators import (INDICATOR_SCHEMA, breakdowns, fetch_snapshots, harmonise_snapshot,
                                          land_indicators, load_catalogue)

from tests.http_fixture_server import FixtureServer, PxTable, PxVariable, Reply

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
COUNTIES = pl.read_csv(DBT_DIR / "seeds" / "ref_counties.csv", infer_schema=False)["code"].to_list()


@pytest.fixture(scope="module")
def catalogue() -> pl.DataFrame:
    return load_catalogue(DBT_DIR)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample_indicators(out)
    return out


@pytest.fixture(scope="module")
def landed(sample, catalogue, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = land_indicators(sample, out / "landing", out / "archive", catalogue)
    df = pl.read_parquet(out / "landing" / "indicators" / "*" / "indicator_values.parquet")
    return result, df, out


# --------------------------------------------------------------------------- catalogue

def test_catalogue_covers_every_indicator_once(catalogue):
    ref = pl.read_csv(DBT_DIR / "seeds" / "ref_indicators.csv", infer_schema=False)
    main = catalogue.filter(pl.col("series") == "")
    assert main.height == 35 and sorted(main["code"]) == sorted(ref["code"])
    # Series rows (indicator_series.csv): another table's breakdown of an indicator, landed under its code.
    series = catalogue.filter(pl.col("series") != "")
    assert series.select("code", "series", "source").rows() == [("H1", "utbildning", "scb"),
                                                                 ("H4", "utbildning", "folkhalsodata")]
    assert series["unit"].to_list() == ["years", "percent"]  # inherited from the indicator
    assert all(r["verified_on"] for r in series.iter_rows(named=True))  # every series row has its evidence
    h5 = catalogue.filter(pl.col("code") == "H5").row(0, named=True)
    assert h5["source"] == "file" and not h5["table_path"] and h5["decided"] is False
    for r in catalogue.iter_rows(named=True):
        if r["period_type"] == "rolling4":  # Hälsa på lika villkor: survey with a disclosure rule
            assert r["min_respondents"] == 50 and r["source"] == "folkhalsodata", r["code"]
        assert r["source"] != "folkhalsodata" or r["table_path"].endswith(".px")
        assert r["source"] != "kolada" or (r["kpi_id"].startswith("N") and len(r["kpi_id"]) == 6)


def test_catalogue_mismatch_is_refused(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(DBT_DIR / "seeds", seeds)
    lines = (seeds / "indicator_catalogue.csv").read_text("utf-8").splitlines()
    bad = [ln for ln in lines if not ln.startswith("6.1,")]
    bad.append("9.9,api,,,,sex|colour,weekly,x,,,,,,,,,")
    (seeds / "indicator_catalogue.csv").write_text("\n".join(bad) + "\n", "utf-8")
    with pytest.raises(ValueError) as e:
        load_catalogue(tmp_path)
    msg = str(e.value)
    assert "only in ref_indicators ['6.1']" in msg and "only in indicator_catalogue ['9.9']" in msg
    assert "source 'api'" in msg and "['colour']" in msg and "period_type 'weekly'" in msg
    assert "9.9: evidence saknas" in msg


# --------------------------------------------------------------------------- sample snapshots

def test_sample_is_deterministic_small_and_labelled(sample, tmp_path):
    again = write_sample_indicators(tmp_path)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in again)
    assert files == sorted(p.relative_to(sample).as_posix() for p in sample.rglob("*.json"))
    assert len(files) == 37  # 35 indicators and the series H1@utbildning and H4@utbildning
    for rel in files:
        assert (tmp_path / rel).read_bytes() == (sample / rel).read_bytes(), rel
    assert sum(p.stat().st_size for p in sample.rglob("*")) < 3_000_000
    env = json.loads((sample / "folkhalsodata" / "6.1.json").read_text("utf-8"))
    assert set(env) >= {"source", "indicator_code", "url", "query", "retrieved_at", "response"}
    assert env["retrieved_at"] == "2024-03-01T06:00:00Z" and env["notice"] == SAMPLE_NOTICE
    assert env["response"]["class"] == "dataset" and env["response"]["version"] == "2.0"
    assert env["query"]["response"] == {"format": "json-stat2"}


def test_sample_kolada_pages_chain_with_next_url(sample):
    env = json.loads((sample / "kolada" / "2.2.json").read_text("utf-8"))
    pages = env["pages"]
    assert len(pages) > 1 and "next_url" not in pages[-1]
    assert all(p["next_url"].startswith("https://api.kolada.se/v3/data/kpi/N15428/") for p in pages[:-1])
    assert sum(len(p["values"]) for p in pages) == pages[0]["count"]
    assert sum(v["isdeleted"] for p in pages for e in p["values"] for v in e["values"]) == 1
    areas = {e["municipality"] for p in pages for e in p["values"]}
    assert "0000" in areas and "0001" in areas and all(a.startswith("00") for a in areas)


def test_scale_adds_municipalities(tmp_path):
    dbt = tmp_path / "dbt"
    shutil.copytree(DBT_DIR / "seeds", dbt / "seeds")
    for name in ("ref_indicators.csv", "indicator_catalogue.csv", "indicator_series.csv"):  # two indicators: quick
        lines = (dbt / "seeds" / name).read_text("utf-8").splitlines()
        kept = [ln for ln in lines[1:] if ln.startswith(("3.1,", "4.1,"))]
        (dbt / "seeds" / name).write_text("\n".join([lines[0], *kept]) + "\n", "utf-8")
    write_sample_indicators(tmp_path / "out", scale=10, dbt_dir=dbt)
    env = json.loads((tmp_path / "out" / "kolada" / "3.1.json").read_text("utf-8"))
    areas = {e["municipality"] for p in env["pages"] for e in p["values"]}
    assert len(areas) == 1 + 21 + 290 and min(e["period"] for p in env["pages"] for e in p["values"]) < 2012
    env = json.loads((tmp_path / "out" / "folkhalsodata" / "4.1.json").read_text("utf-8"))
    assert env["response"]["size"][0] == 1 + 21  # DinkReg: the catalogue has no verified kommun breakdown


# --------------------------------------------------------------------------- landing the sample

def test_all_indicators_land_for_2022_and_2023(landed, catalogue):
    result, df, _ = landed
    assert result.rejected == [] and len(result.landed) == 37 and result.rows["indicator_values"] == df.height
    assert df.columns == list(INDICATOR_SCHEMA) + list(PROVENANCE_COLUMNS)
    assert {c: df.schema[c] for c in INDICATOR_SCHEMA} == INDICATOR_SCHEMA
    for cat in catalogue.iter_rows(named=True):
        code, bd = cat["code"], breakdowns(cat)
        for year in (2022, 2023):
            rows = df.filter(pl.col("indicator_code") == code, pl.col("period_end_year") == year)
            if cat["kpi_type"] == "K":  # kommun values only: no riket, no county rows
                assert rows["municipality_code"].null_count() == 0 and rows.height > 0, (code, year)
                continue
            assert set(rows["region_code"]) == {"00", *COUNTIES}, (code, year)
            if cat["series"]:  # H1 (LivslUtbLan), H4 (hlv1psyfutb.px) by education: three groups, no total
                rows = rows.filter(pl.col("education") != "total")
                national = not ({"county", "municipality"} & bd)
                if national and year == 2023:  # HLV had no 2023 round: the table lists no 2023
                    assert rows.height == 0, (code, year)
                    continue
                assert set(rows["region_code"]) == ({"00"} if national else {"00", *COUNTIES}), (code, year)
                assert set(rows["education"]) == {"förgymnasial", "gymnasial", "eftergymnasial"}, (code, year)
                assert set(rows["sex"]) == {"T", "K", "M"}, (code, year)
                continue
            rows = rows.filter(pl.col("education") == "total")
            sexes = {"K", "M"} if code == "H1" else {"T", "K", "M"}  # MedlivsYreg publishes no total
            assert set(rows["sex"]) == (sexes if "sex" in bd else {"T"}), (code, year)
            if code not in ("H5", "H1"):
                national = rows.filter(pl.col("region_code") == "00", pl.col("sex") == "T",
                                       pl.col("education") == "total")
                assert national["status"].to_list() == ["ok"], (code, year)


def test_h5_lands_as_missing(landed):
    _, df, _ = landed
    h5 = df.filter(pl.col("indicator_code") == "H5")
    assert h5.height > 0 and set(h5["status"]) == {"missing"} and h5["value"].null_count() == h5.height
    assert set(h5["source"]) == {"file"}


def test_periods_follow_the_period_type(landed, catalogue):
    _, df, _ = landed
    main = catalogue.filter(pl.col("series") == "")
    types = dict(main.select("code", "period_type").iter_rows())
    # A series row's rows (by education) follow its own period type: H4 by education is annual.
    series = dict(catalogue.filter(pl.col("series") != "").select("code", "period_type").iter_rows())
    smoking = df.filter(pl.col("indicator_code") == "6.1")
    assert {"2012-2015", "2019-2022", "2020-2023"} <= set(smoking["period"])
    assert smoking.filter(pl.col("period") == "2020-2023")["period_end_year"].unique().to_list() == [2023]
    for (code, total), group in df.group_by("indicator_code", pl.col("education") == "total"):
        kind = types[code] if total else series[code]
        pattern = r"^\d{4}-\d{4}$" if kind.startswith("rolling") else r"^\d{4}$"
        assert group["period"].str.contains(pattern).all(), code
    assert df.filter(pl.col("indicator_code") == "H1")["period"].min() == "2012-2016"  # five-year means


def test_levels_are_plausible(landed):
    _, df, _ = landed
    nat = df.filter(pl.col("region_code") == "00", pl.col("education") == "total", pl.col("period_end_year") == 2022)
    smoking = nat.filter(pl.col("indicator_code") == "6.1", pl.col("sex") == "T")["value"].item()
    life = dict(nat.filter(pl.col("indicator_code") == "H1").select("sex", "value").iter_rows())
    assert 5.0 <= smoking <= 7.0 and 83.0 <= life["K"] <= 86.5 and 79.5 <= life["M"] <= 83.0
    premature = dict(nat.filter(pl.col("indicator_code") == "H2").select("sex", "value").iter_rows())
    assert premature["K"] < premature["T"] < premature["M"]
    counties = df.filter(pl.col("indicator_code") == "6.1", pl.col("period") == "2019-2022", pl.col("sex") == "T",
                         pl.col("education") == "total", pl.col("region_code") != "00")["value"]
    assert counties.max() - counties.min() > 1.0


def test_status_rules(landed, catalogue):
    _, df, _ = landed
    assert {"ok", "missing", "suppressed", "unreliable"} == set(df["status"])
    hidden = df.filter(~pl.col("status").is_in(["ok", "unreliable"]))
    assert hidden["value"].null_count() == hidden.height and hidden["ci_low"].null_count() == hidden.height
    survey = df.join(catalogue.select(pl.col("code").alias("indicator_code"), "min_respondents"), on="indicator_code")
    few = survey.filter(pl.col("n_respondents") < pl.col("min_respondents"))
    assert few.height > 0 and set(few["status"]) == {"suppressed"}
    ok_survey = survey.filter(pl.col("min_respondents").is_not_null(), pl.col("status") == "ok")
    assert ok_survey["ci_low"].null_count() == 0
    assert (ok_survey["ci_low"] <= ok_survey["value"]).all() and (ok_survey["value"] <= ok_survey["ci_high"]).all()
    register = survey.filter(pl.col("min_respondents").is_null())
    assert register["n_respondents"].null_count() == register.height


def test_provenance_and_relanding_is_skipped(landed, sample, catalogue):
    result, df, out = landed
    row = df.filter(pl.col("indicator_code") == "2.2").row(0, named=True)
    assert row["_source_file"] == "kolada/2.2.json" and len(row["_sha256"]) == 64 and row["_row"] >= 1
    assert row["retrieved_at"] == datetime(2024, 3, 1, 6, 0, tzinfo=timezone.utc)
    assert len(list((out / "archive").rglob("*.json"))) == 37  # one per snapshot: 35 indicators and two series rows
    again = land_indicators(sample, out / "landing", out / "archive", catalogue)
    assert again.landed == [] and sorted(again.skipped) == sorted(result.landed)


# --------------------------------------------------------------------------- bad snapshots

def test_missing_snapshot_folder_is_a_warning(catalogue, tmp_path):
    result = land_indicators(tmp_path / "nope", tmp_path / "landing", tmp_path / "archive", catalogue)
    assert result.landed == [] and "The snapshot folder is missing" in result.warnings[0].message()


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False), "utf-8")


def test_bad_snapshots_are_rejected_and_the_rest_lands(sample, catalogue, tmp_path):
    snaps = tmp_path / "snaps"
    good = json.loads((sample / "folkhalsodata" / "6.1.json").read_text("utf-8"))
    _write(snaps / "folkhalsodata" / "6.1.json", good)
    shutil.copy(sample / "kolada" / "2.2.json", snaps / "2.2.json")
    _write(snaps / "bad" / "broken.json", '{"source": "folkhalsodata", ')
    size = json.loads(json.dumps(good))
    size["response"]["size"][0] = 5
    _write(snaps / "bad" / "size.json", size)
    _write(snaps / "bad" / "unknown_code.json", {**good, "indicator_code": "9.9"})
    _write(snaps / "bad" / "wrong_source.json", {**good, "source": "kolada"})
    _write(snaps / "bad" / "no_response.json", {k: v for k, v in good.items() if k != "response"})
    extra = json.loads(json.dumps(good))
    resp = extra["response"]
    resp["id"].insert(0, "Fodelseland")
    resp["size"].insert(0, 2)
    resp["dimension"]["Fodelseland"] = {
        "label": "födelseland", "category": {"index": ["SE", "UT"], "label": {"SE": "Sverige", "UT": "Utrikes"}}}
    resp["value"] = resp["value"] * 2
    resp.pop("status")
    _write(snaps / "bad" / "unknown_dim.json", extra)
    annual = json.loads(json.dumps(good))
    annual["response"]["dimension"]["År"]["category"]["index"] = {
        str(2015 + i): i for i in range(len(annual["response"]["dimension"]["År"]["category"]["index"]))}
    annual["response"]["dimension"]["År"]["category"]["label"] = {}
    _write(snaps / "bad" / "annual.json", annual)

    result = land_indicators(snaps, tmp_path / "landing", tmp_path / "archive", catalogue)
    # Rejected snapshots land their issues only: 2 good batches + 7 batches of issues.
    assert len(result.landed) == 9 and len(result.rejected) == 7
    errors = {r.file: r.errors[0].message() for r in result.rejected}
    assert set(errors) == {f"bad/{n}.json" for n in
                           ("broken", "size", "unknown_code", "wrong_source", "no_response", "unknown_dim", "annual")}
    assert "inte giltig JSON" in errors["bad/broken.json"] and "not valid JSON" in errors["bad/broken.json"]
    assert "bad/size.json: " in errors["bad/size.json"] and "JSON-stat" in errors["bad/size.json"] \
        and "size says 5" in errors["bad/size.json"]
    assert "indicator '9.9' is not in the catalogue" in errors["bad/unknown_code.json"]
    assert "comes from 'kolada' but the catalogue says 'folkhalsodata'" in errors["bad/wrong_source.json"]
    assert "the envelope lacks 'response'" in errors["bad/no_response.json"]
    assert "okänd dimension 'Fodelseland'" in errors["bad/unknown_dim.json"]
    assert "unknown dimension 'Fodelseland' (födelseland) with 2 categories" in errors["bad/unknown_dim.json"]
    assert "do not fit period type rolling4" in errors["bad/annual.json"]
    df = pl.read_parquet(tmp_path / "landing" / "indicators" / "*" / "indicator_values.parquet")
    assert set(df["indicator_code"]) == {"6.1", "2.2"}


def test_labels_decide_sex_and_unknown_education_groups_are_skipped(catalogue):
    cat = {r["code"]: r for r in catalogue.iter_rows(named=True)}
    dims = {
        "Region": {"label": "region", "category": {"index": ["00"], "label": {"00": "Riket"}}},
        "Kon": {"label": "kön", "category": {"index": ["a", "b", "c"],
                                             "label": {"a": "Kvinnor", "b": "Män", "c": "Båda könen"}}},
        "Utb": {"label": "utbildning", "category": {"index": ["x", "y"],
                                                    "label": {"x": "Förgymnasial utbildning", "y": "Uppgift saknas"}}},
        "Tid": {"label": "år", "category": {"index": ["2019–2022"]}},
    }
    env = {"source": "folkhalsodata", "indicator_code": "8.1", "retrieved_at": "2024-01-02T03:04:05Z",
           "response": {"class": "dataset", "version": "2.0", "id": ["Region", "Kon", "Utb", "Tid"],
                        "size": [1, 3, 2, 1], "dimension": dims, "value": [7.0, 1.0, 5.0, 1.0, 6.0, 1.0]}}
    # 8.1: a survey row without a category variable; no content dimension: the values are the measure
    df, warnings = harmonise_snapshot(env, {"8.1": cat["8.1"]})
    assert dict(df.select("sex", "value").iter_rows()) == {"K": 7.0, "M": 5.0, "T": 6.0}
    assert set(df["education"]) == {"förgymnasial"} and set(df["period"]) == {"2019-2022"}
    assert "Uppgift saknas" in warnings[0].value and warnings[0].rule == "education_dropped"
    assert df["status"].to_list() == ["ok"] * 3  # no n_respondents: the disclosure rule cannot apply

    twice = json.loads(json.dumps(env))
    twice["response"]["dimension"]["Kon"]["category"]["label"]["a"] = "Totalt"  # two categories mean T
    with pytest.raises(ValueError, match="2 rows share region/period/sex/education"):
        harmonise_snapshot(twice, {"8.1": cat["8.1"]})

    resp = env["response"]
    resp["id"].append("ContentsCode")
    resp["size"].append(1)
    resp["dimension"]["ContentsCode"] = {"label": "tabellinnehåll", "category": {"index": ["Antal"]}}
    with pytest.raises(ValueError) as e:
        harmonise_snapshot(env, {"8.1": cat["8.1"]})
    assert "måttet '01' saknas" in str(e.value) and "measure '01' is not in the response" in str(e.value)


# --------------------------------------------------------------------------- online fetch -> snapshots -> landing

def _smoking_table() -> PxTable:
    """tobakdagyreg.px in its real shape: category variable, measure variable 01-04, Kön 00/01/02."""
    def value(cell):
        return {"01": 6.0, "02": 5.5, "03": 6.5,
                "04": 40.0 if (cell["Region"], cell["Kön"]) == ("03", "01") else 1000.0,
                }[cell["Andel och konfidensintervall"]]
    return PxTable([
        PxVariable("Region", "region", ["00", "01", "03", "0114"], ["00 Riket", "01 Stockholms län", "03 Uppsala län",
                                                                     "0114 Upplands Väsby"]),
        PxVariable("Användning av tobaks- och nikotinprodukter", "användning av tobaks- och nikotinprodukter",
                   ["01", "02"], ["Röker dagligen", "Snusar dagligen"]),
        PxVariable("Andel och konfidensintervall", "andel och konfidensintervall", ["01", "02", "03", "04"],
                   ["Andel", "Konfidensintervall nedre gräns", "Konfidensintervall övre gräns", "Antal svar"]),
        PxVariable("Ålder", "ålder", ["16-84", "16-29"], ["16-84 år", "16-29 år"], elimination=True),
        PxVariable("Kön", "kön", ["00", "01", "02"], ["Totalt", "Kvinnor", "Män"]),
        PxVariable("År", "år", ["2018-2021", "2019-2022", "2020-2023"], time=True),
    ], value, max_values=40)


def _kolada(req) -> Reply:
    path = req.path.split("?")[0].split("/")
    ids, years = path[6].split(","), path[8].split(",")
    values = [{"kpi": "N15428", "municipality": i, "period": int(y),
               "values": [{"count": 1, "gender": g, "status": "", "value": 85.0, "isdeleted": False} for g in "TKM"]}
              for i in ids for y in years]
    return Reply.json({"values": values, "count": len(values)})  # one page: no next_url


def test_fetch_snapshots_online_then_land_offline(catalogue, tmp_path):
    subset = catalogue.filter(pl.col("code").is_in(["H1", "H5", "2.2", "6.1"]))
    with FixtureServer() as srv:
        srv.route("GET", "/api/v1/sv/?config", Reply.json({"maxValues": 40}))
        _smoking_table().mount(srv, "/api/v1/sv/" + subset.filter(pl.col("code") == "6.1")["table_path"].item())
        srv.prefix("GET", "/v3/data/kpi/N15428/municipality/", _kolada)
        result = fetch_snapshots(
            subset, pxweb_base_url=srv.url + "/api/v1/sv", kolada_base_url=srv.url + "/v3", out_dir=tmp_path / "snap",
            scb_base_url=srv.url + "/ssd",
            years=[2022, 2023], timeout=2.0, counties=["01", "03"], municipalities=["0114"], max_retries=1,
            backoff_s=0.0, sleep=lambda s: None, now=lambda: datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
        posts = [r.json() for r in srv.requests if r.method == "POST"]
    # H1's table is not on the server: reported, and the others are still saved.
    assert [e["indicator_code"] for e in result.errors] == ["H1", "H1@utbildning"] and "404" in result.errors[0]["error"]
    assert sorted(p.relative_to(tmp_path / "snap").as_posix() for p in result.paths) == [
        "file/H5__20240506T070809Z.json", "folkhalsodata/6.1__20240506T070809Z.json",
        "kolada/2.2__20240506T070809Z.json"]
    selection = {q["code"]: q["selection"]["values"] for q in posts[0]["query"]}
    assert "Ålder" not in selection and len(posts) > 1  # eliminated, and split to fit maxValues
    env = json.loads((tmp_path / "snap" / "folkhalsodata" / "6.1__20240506T070809Z.json").read_text("utf-8"))
    assert env["url"].endswith("tobakdagyreg.px") and env["retrieved_at"] == "2024-05-06T07:08:09Z"
    chosen = {q["code"]: q["selection"]["values"] for q in env["query"]["query"]}
    assert chosen["Region"] == ["00", "01", "03"] and chosen["Användning av tobaks- och nikotinprodukter"] == ["01"]
    assert chosen["Andel och konfidensintervall"] == ["01", "02", "03", "04"]

    landed = land_indicators(tmp_path / "snap", tmp_path / "landing", tmp_path / "archive", subset)
    assert landed.rejected == [] and len(landed.landed) == 3
    df = pl.read_parquet(tmp_path / "landing" / "indicators" / "*" / "indicator_values.parquet")
    smoking = df.filter(pl.col("indicator_code") == "6.1")
    assert smoking.height == 3 * 3 * 2 and set(smoking["period"]) == {"2019-2022", "2020-2023"}
    assert set(smoking.filter(pl.col("region_code") == "03", pl.col("sex") == "K")["status"]) == {"suppressed"}
    ok = smoking.filter(pl.col("status") == "ok").row(0, named=True)
    assert (ok["value"], ok["ci_low"], ok["ci_high"], ok["n_respondents"]) == (6.0, 5.5, 6.5, 1000)
    kolada = df.filter(pl.col("indicator_code") == "2.2")
    assert kolada.height == 4 * 2 * 3
    assert set(zip(kolada["region_code"], kolada["municipality_code"])) == {
        ("00", None), ("01", None), ("03", None), ("01", "0114")}
    h5 = df.filter(pl.col("indicator_code") == "H5")
    assert h5.height == 3 * 2 and set(h5["status"]) == {"missing"}
