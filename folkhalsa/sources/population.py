"""Population by education level (SCB), for population-weighted SII and RII.

WHO HEAT and Mackenbach & Kunst (1997) place each education group at the midpoint of its cumulative
population share and weight it by that share, so the slope index needs the population of each
group. SCB publishes it in the PxWeb table UF0506B/Utbildning ("Befolkning 16-74 år efter region,
utbildningsnivå, ålder och kön"). The table, its variables and value codes are taken from public code
that queries it (recorded in docs/population_source.md, with what is still unverified); the catalogue
row is dbt/seeds/population_catalogue.csv.

Snapshots are the same envelope as the indicator snapshots (source 'scb', the json-stat2 response);
landing sums ages and SUN levels into the three groups the indicators use, per region, year and sex.
"""
from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import polars as pl

from folkhalsa.issues import Catalogue, InputError, Rule
from folkhalsa.landing import LandingSource, LandResult, Parsed, land_files, utc_now
from folkhalsa.io.jsonstat import Dimension, build_dataset, parse_dataset, to_frame
from folkhalsa.io.pxweb import PxWebClient, query_body

LANDING_SOURCE = "population"
TABLE = "education_population"
CATALOGUE_FILE = "seeds/population_catalogue.csv"

# SUN 2000 levels of UtbildningsNiva (SCB codes) -> the groups of the Folkhälsodata indicators.
# 'US' (uppgift om utbildningsnivå saknas) belongs to no group and is left out of the shares.
SUN_GROUPS = {"1": "förgymnasial", "2": "förgymnasial", "3": "gymnasial", "4": "gymnasial",
              "5": "eftergymnasial", "6": "eftergymnasial", "7": "eftergymnasial"}
SUN_LABELS = {"1": "förgymnasial utbildning kortare än 9 år", "2": "förgymnasial utbildning, 9 (10) år",
              "3": "gymnasial utbildning, högst 2 år", "4": "gymnasial utbildning, 3 år",
              "5": "eftergymnasial utbildning, mindre än 3 år", "6": "eftergymnasial utbildning, 3 år eller mer",
              "7": "forskarutbildning", "US": "uppgift om utbildningsnivå saknas"}
SEX = {"1": "M", "2": "K"}  # SCB Kon: 1 män, 2 kvinnor

SCHEMA = {"region_code": pl.Utf8, "year": pl.Int64, "sex": pl.Utf8, "education": pl.Utf8,
          "population": pl.Int64, "ages": pl.Utf8, "retrieved_at": pl.Datetime("us", "UTC"), "row": pl.Int64}


class PopulationError(ValueError):
    pass


CATALOGUE = Catalogue(LANDING_SOURCE, [
    Rule("unreadable", "error", "Filen kan inte läsas", "The file cannot be read"),
    Rule("invalid_snapshot", "error", "Befolkningssvaret kan inte tolkas", "The population response cannot be parsed"),
], doc="SCB:s befolkning efter utbildningsnivå (vikter för SII/RII). Ett fel avvisar ögonblicksbilden. / "
       "SCB population by education (SII/RII weights): an error rejects the snapshot.")


def load_catalogue(dbt_dir: Path) -> list[dict]:
    with open(Path(dbt_dir) / CATALOGUE_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["age_from"], r["age_to"] = int(r["age_from"]), int(r["age_to"])
    return rows


# --------------------------------------------------------------------------- fetch

def selection(meta: dict, cat: dict, years: Sequence[int] | None = None) -> dict[str, list[str]]:
    """Riket, län and kommuner (four-digit codes: the area gradient ranks kommuner too), both sexes, the
    catalogue's ages, every education level, the population count."""
    by_code = {v["code"]: [str(x) for x in v.get("values", [])] for v in meta["variables"]}
    need = ["Region", "Kon", "Alder", "UtbildningsNiva", "ContentsCode", "Tid"]
    missing = [c for c in need if c not in by_code]
    if missing:
        raise PopulationError(f"SCB-tabellen saknar variablerna {missing} / the SCB table lacks {missing}")
    ages = [a for a in by_code["Alder"] if a.isdigit() and cat["age_from"] <= int(a) <= cat["age_to"]]
    sel = {"Region": [r for r in by_code["Region"] if len(r) in (2, 4)],
           "Kon": [k for k in by_code["Kon"] if k in SEX],
           "Alder": ages,
           "UtbildningsNiva": by_code["UtbildningsNiva"],
           "ContentsCode": [c for c in by_code["ContentsCode"] if c == cat["contents_code"]],
           "Tid": [t for t in by_code["Tid"] if years is None or int(t) in set(years)]}
    empty = [k for k, v in sel.items() if not v]
    if empty:
        raise PopulationError(f"inga värden att hämta för {empty} / nothing to fetch for {empty}")
    return sel


def fetch_snapshot(cat: dict, out_dir: Path, *, years: Sequence[int] | None = None, timeout: float = 30.0,
                   now: Callable[[], datetime] = utc_now, client: PxWebClient | None = None) -> Path:
    """Query SCB and save the response as a snapshot (out_dir/scb/<code>__<stamp>.json)."""
    px = client or PxWebClient(cat["base_url"], timeout=timeout)
    try:
        meta = px.metadata(cat["table_path"])
        sel = selection(meta, cat, years)
        retrieved = now()
        env = {"source": "scb", "population_code": cat["code"], "url": px.table_url(cat["table_path"]),
               "query": query_body(sel), "retrieved_at": _stamp(retrieved, "%Y-%m-%dT%H:%M:%SZ"),
               "response": px.query(cat["table_path"], sel)}
    finally:
        if client is None:
            px.close()
    path = Path(out_dir) / "scb" / f"{cat['code']}__{_stamp(retrieved, '%Y%m%dT%H%M%SZ')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    return path


def _stamp(t: datetime, fmt: str) -> str:
    return t.astimezone(timezone.utc).strftime(fmt)


# --------------------------------------------------------------------------- harmonise

def harmonise(envelope: Any) -> pl.DataFrame:
    """Snapshot envelope -> population per region × year × sex × education group (ages summed)."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("response"), dict):
        raise PopulationError("kuvertet saknar 'response' / the envelope lacks 'response'")
    ds = parse_dataset(envelope["response"])
    need = {"Region", "Kon", "Alder", "UtbildningsNiva", "Tid"}
    if not need <= set(ds.ids):
        raise PopulationError(f"svaret saknar dimensionerna {sorted(need - set(ds.ids))} / "
                              f"the response lacks dimensions {sorted(need - set(ds.ids))}")
    unknown = {c for c in next(d for d in ds.dimensions if d.id == "UtbildningsNiva").codes
               if c not in SUN_GROUPS and c != "US"}
    if unknown:
        raise PopulationError(f"okända utbildningsnivåer {sorted(unknown)} / unknown education levels")
    df = to_frame(ds, labels=False)
    ages = df["Alder"].unique().sort().to_list()
    retrieved = datetime.strptime(envelope["retrieved_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    out = (df.filter(pl.col("UtbildningsNiva").is_in(list(SUN_GROUPS)) & pl.col("Kon").is_in(list(SEX)))
             .with_columns(pl.col("UtbildningsNiva").replace_strict(SUN_GROUPS).alias("education"),
                           pl.col("Kon").replace_strict(SEX).alias("sex"),
                           pl.col("Tid").cast(pl.Int64).alias("year"))
             .group_by(pl.col("Region").alias("region_code"), "year", "sex", "education")
             .agg(pl.col("value").sum().round(0).cast(pl.Int64).alias("population"),
                  pl.col("value").is_null().sum().alias("n_missing")))
    if out["n_missing"].sum():
        raise PopulationError(f"{out['n_missing'].sum()} celler utan värde / cells without a value")
    return (out.drop("n_missing").sort("region_code", "year", "sex", "education")
               .with_columns(pl.lit(f"{min(ages, key=int)}-{max(ages, key=int)}").alias("ages"),
                             pl.lit(retrieved).cast(pl.Datetime("us", "UTC")).alias("retrieved_at"))
               .with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
               .select(list(SCHEMA)))


# --------------------------------------------------------------------------- landing

def _empty_tables() -> dict[str, pl.DataFrame]:
    return {TABLE: pl.DataFrame(schema=SCHEMA).rename({"row": "_row"})}


LANDING = LandingSource(LANDING_SOURCE, CATALOGUE, _empty_tables, parser_files=(
    "folkhalsa/sources/population.py", "folkhalsa/io/jsonstat.py"))


def empty_tables() -> dict[str, pl.DataFrame]:
    """Every landed table with provenance and no rows (placeholder batch)."""
    return LANDING.all_empty_tables()


def discover_snapshots(snapshot_dir: Path) -> list[Path]:
    if not Path(snapshot_dir).is_dir():
        return []
    return sorted(p for p in Path(snapshot_dir).rglob("*.json") if not p.name.startswith("."))


def parse_snapshot(path: Path, name: str) -> Parsed:
    """The land_file parser: one SCB snapshot envelope -> education_population."""
    try:
        envelope = json.loads(path.read_text("utf-8"))
        df = harmonise(envelope)
    except (ValueError, KeyError, TypeError) as e:  # JSON, JSON-stat and shape errors
        raise InputError(CATALOGUE.issue("invalid_snapshot", file=name, detail=f"{type(e).__name__}: {e}")) from None
    return Parsed(tables={TABLE: df.rename({"row": "_row"})}, received_at=df["retrieved_at"][0] if df.height else None,
                  manifest={"origin": "scb", "url": envelope.get("url"), "retrieved_at": envelope.get("retrieved_at")})


def land_population(snapshot_dir: Path, landing_dir: Path, archive_dir: Path,
                    quarantine_dir: Path | None = None) -> LandResult:
    """Land every population snapshot under snapshot_dir as one batch each; a bad one is rejected alone."""
    snapshot_dir = Path(snapshot_dir)
    paths = [(p, p.relative_to(snapshot_dir).as_posix()) for p in discover_snapshots(snapshot_dir)]
    return land_files(LANDING, paths, parse_snapshot, landing_dir=landing_dir, archive_dir=archive_dir,
                      quarantine_dir=quarantine_dir)


# --------------------------------------------------------------------------- sample

# Years in the sample snapshot (the real table has every year); other years use the nearest one.
SAMPLE_YEARS = (2012, 2015, 2018, 2021, 2023)
# The kommun snapshot of the sample holds one year only (290 kommuner × 40 ages × 8 levels × 2 sexes).
SAMPLE_MUNICIPALITY_YEARS = (2023,)

def sample_snapshot(cat: dict, regions: Sequence[str], years: Sequence[int], *, seed: int = 42,
                    retrieved_at: str = "2024-06-01T06:00:00Z") -> dict:
    """A synthetic snapshot shaped like SCB's json-stat2 answer (Exempeldata, not SCB's numbers):
    one value per region × sex × single year of age × SUN level × year."""
    rng = random.Random(seed)
    ages = [str(a) for a in range(cat["age_from"], cat["age_to"] + 1)]
    levels = list(SUN_LABELS)
    dims = [Dimension("Region", list(regions), list(regions), "region"),
            Dimension("Kon", ["1", "2"], ["män", "kvinnor"], "kön"),
            Dimension("Alder", ages, [f"{a} år" for a in ages], "ålder"),
            Dimension("UtbildningsNiva", levels, [SUN_LABELS[c] for c in levels], "utbildningsnivå"),
            Dimension("ContentsCode", [cat["contents_code"]], ["Befolkning"], "tabellinnehåll",
                      extra={"unit": {cat["contents_code"]: {"base": "antal", "decimals": 0}}}),
            Dimension("Tid", [str(y) for y in years], [str(y) for y in years], "år")]
    values = []
    for r in regions:
        high = rng.uniform(0.38, 0.62)  # eftergymnasial share differs most between län
        low = rng.uniform(0.07, 0.16)
        size = 2000 if r == "00" else rng.randint(30, 400) if len(r) == 2 else rng.randint(8, 120)
        for _sex in ("1", "2"):
            for a in ages:
                older = (int(a) - cat["age_from"]) / max(1, cat["age_to"] - cat["age_from"])
                shares = {"1": low * older * 0.6, "2": low * (1 - older * 0.3), "3": 0.16, "4": 0.84 - high - low,
                          "5": high * 0.35, "6": high * 0.6, "7": high * 0.05, "US": 0.01}
                for c in levels:
                    for y in years:
                        drift = 1 + (0.01 * (y - years[0]) if c in ("5", "6", "7") else 0)
                        values.append(float(max(0, round(size * shares[c] * drift * rng.uniform(0.9, 1.1)))))
    data = build_dataset(dims, values, label="Befolkning 16-74 år efter region, utbildningsnivå, ålder, kön "
                         "och år (Exempeldata – inte officiell statistik)", source="SCB (syntetiskt)",
                         updated="2024-04-15T06:00:00Z", role={"time": ["Tid"], "geo": ["Region"],
                                                               "metric": ["ContentsCode"]})
    return {"source": "scb", "population_code": cat["code"], "url": f"{cat['base_url']}/{cat['table_path']}",
            "query": None, "retrieved_at": retrieved_at, "synthetic": True, "response": data}


def write_sample_population(out: Path, dbt_dir: Path, regions: Sequence[str], years: Sequence[int],
                            seed: int = 42, municipalities: Sequence[str] = (),
                            municipality_years: Sequence[int] = SAMPLE_MUNICIPALITY_YEARS) -> list[Path]:
    """Riket and län in one snapshot; the kommuner (if given) in a second one, as a split query answers."""
    paths = []
    for cat in load_catalogue(dbt_dir):
        parts = [("sample", regions, years)]
        if municipalities:
            parts.append(("sample_kommun", municipalities, municipality_years))
        for suffix, areas, yrs in parts:
            env = sample_snapshot(cat, areas, yrs, seed=seed if suffix == "sample" else seed + 1)
            p = Path(out) / "scb" / f"{cat['code']}__{suffix}.json"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
            paths.append(p)
    return paths
