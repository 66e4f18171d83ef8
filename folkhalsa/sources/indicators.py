"""The 35 public-health indicators: catalogue, online snapshots, offline harmonising and landing.

Online runs save every API response as a snapshot envelope
    {"source", "indicator_code", "url", "query", "retrieved_at", "response"}   (Kolada: "pages": [...])
under <out_dir>/<source>/. Landing reads snapshots only, so offline runs (the default, on the
bundled sample) and online runs go through the same parser. Each snapshot file is one batch.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import polars as pl

from folkhalsa.issues import Catalogue, InputError, Issue, Rule
from folkhalsa.landing import LandingSource, LandResult, Parsed, Rejection, land_files, utc_now
from folkhalsa.io.jsonstat import Dataset, Dimension, build_dataset, parse_dataset, to_frame
from folkhalsa.io.kolada import KoladaClient, drop_deleted, parse_kolada
from folkhalsa.io.pxweb import PxWebClient, query_body
from folkhalsa.sources.pxweb_tables import (TableMismatch, is_measure_variable, is_variable, measure_kinds, mismatch,
                                            parse_fixed_selections, resolve)

LANDING_SOURCE = "indicators"
TABLE = "indicator_values"
SOURCES = ("folkhalsodata", "kolada", "file", "scb")  # scb: series rows only (indicator_series.csv)
BREAKDOWNS = ("sex", "education", "age", "county", "municipality")
PERIOD_TYPES = ("annual", "rolling4", "rolling5")
PERIOD_SPAN = {"annual": 0, "rolling4": 3, "rolling5": 4}  # end year minus start year
KPI_TYPES = ("", "K", "A", "L")            # Kolada municipality_type; K: kommun values only
COUNTY_VALUES = ("source", "none")         # where a county figure comes from (none: not published)
# What is known of a row's source (docs/indicator_sources.md): verified by public evidence; not yet seen;
# announced by the publisher but not yet published (FoHM's "planerade indikatorer"); the indicator itself
# is not decided. Every status but `verified` is warned about each night.
SOURCE_STATUSES = ("verified", "unverified", "planned_by_source", "not_decided")
EDUCATION = ("total", "förgymnasial", "gymnasial", "eftergymnasial")

INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "indicator_code": pl.Utf8,
    "region_code": pl.Utf8,
    "municipality_code": pl.Utf8,
    "period": pl.Utf8,
    "period_end_year": pl.Int64,
    "sex": pl.Utf8,
    "education": pl.Utf8,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "n_respondents": pl.Int64,
    "status": pl.Utf8,
    "source": pl.Utf8,
    "retrieved_at": pl.Datetime("us", "UTC"),
}

# Status symbols as PxWeb publishes them ("..": not available). Anything else with a value is kept.
MISSING_SYMBOLS = {"..", "."}
SUPPRESSED_SYMBOLS = {"x", "X", "c", "C"}
UNRELIABLE_SYMBOLS = {"*", "u", "U"}


CATALOGUE = Catalogue(LANDING_SOURCE, [
    Rule("unreadable", "error", "Filen är inte giltig JSON", "The file is not valid JSON"),
    Rule("envelope", "error", "Ögonblicksbildens kuvert är ofullständigt", "The snapshot envelope is incomplete"),
    Rule("unknown_indicator", "error", "Indikatorn finns inte i katalogen", "The indicator is not in the catalogue"),
    Rule("source_mismatch", "error", "Källan stämmer inte med katalogen", "The source does not match the catalogue"),
    Rule("kpi_mismatch", "error", "Kolada-KPI stämmer inte med katalogen", "The Kolada KPI does not match the catalogue"),
    Rule("dimensions", "error", "Svarets dimensioner kan inte tolkas", "The response's dimensions cannot be mapped"),
    Rule("age_total", "error", "Ingen total åldersgrupp", "No total age group"),
    Rule("region_code", "error", "Okända regionkoder", "Unknown region codes"),
    Rule("sex_category", "error", "Okända kategorier för kön", "Unknown sex categories"),
    Rule("measure_missing", "error", "Måttet saknas i svaret", "The measure is not in the response"),
    Rule("period_type", "error", "Perioderna passar inte periodtypen", "Periods do not fit the period type"),
    Rule("duplicate_rows", "error", "Flera rader för samma region/period/kön/utbildning",
         "Several rows for one region/period/sex/education"),
    Rule("invalid_snapshot", "error", "Svaret kan inte tolkas", "The response cannot be parsed"),
    Rule("fetch_failed", "error", "Hämtningen från API:et misslyckades", "Fetching from the API failed"),
    Rule("missing_folder", "warning", "Mappen med ögonblicksbilder saknas", "The snapshot folder is missing"),
    Rule("education_dropped", "warning", "Utbildningsgrupper utan motsvarighet hoppas över",
         "Education groups without a match are skipped"),
    Rule("kolada_deleted", "warning", "Värden som Kolada markerat som borttagna (isdeleted) hoppades över",
         "Values Kolada flags as deleted (isdeleted) were dropped"),
    Rule("unverified_source", "warning", "Källan är inte verifierad mot offentligt material",
         "The source is not verified against public material"),
    Rule("unknown_status", "warning", "Okända statuskoder behandlas som vanliga värden",
         "Unknown status codes are treated as plain values"),
], doc="Indikatorer (ögonblicksbilder av PxWeb/Kolada-svar). Ett fel avvisar ögonblicksbilden; den "
       "landar inga värden. / Indicator snapshots: an error rejects the snapshot, no values land.")


class SnapshotError(InputError, ValueError):
    """A snapshot cannot be landed; carries its Issue (rule, Swedish and English)."""


def _err(rule: str, sv: str, en: str) -> SnapshotError:
    return SnapshotError(_issue(rule, detail=sv, detail_en=en))


def _issue(rule: str, file: str = "", **kw) -> Issue:
    return CATALOGUE.issue(rule, file=file, **kw)


# --------------------------------------------------------------------------- catalogue

SERIES_FILE = "indicator_series.csv"


def catalogue_key(row: dict) -> str:
    """'H1' for an indicator's own row, 'H1@utbildning' for a series row (a breakdown from another table)."""
    return f"{row['code']}@{row['series']}" if row.get("series") else row["code"]


def load_catalogue(dbt_dir: Path) -> pl.DataFrame:
    """The 35 indicators (ref_indicators.csv joined with indicator_catalogue.csv) and their series rows
    (indicator_series.csv: an education breakdown from another table, landed under the indicator's code
    without its total); raises ValueError if they disagree. Column `series` is '' for the 35 rows."""
    main = _load_main_catalogue(dbt_dir)
    series_path = Path(dbt_dir) / "seeds" / SERIES_FILE
    if not series_path.is_file():
        return main.with_columns(pl.lit("").alias("series"), pl.lit(None, pl.Utf8).alias("description_sv"))
    ser = pl.read_csv(series_path, infer_schema=False)
    problems = []
    unknown = sorted(set(ser["code"]) - set(main["code"]))
    if unknown:
        problems.append(f"series rows for unknown indicators {unknown}")
    if ser.select("code", "series").is_duplicated().any() or ser["series"].is_null().any():
        problems.append("every series row needs a series name, unique per indicator")
    for r in ser.iter_rows(named=True):
        r = {**r, "decimals": "", "kpi_id": "", "kpi_type": "", "county_value": "source"}
        problems += [f"series {r['code']}@{r['series']}: {p}" for p in _catalogue_row_problems(r)]
        if "education" not in breakdowns(r):
            problems.append(f"series {r['code']}@{r['series']}: breakdowns must include education")
    if problems:
        raise ValueError(f"{SERIES_FILE}: " + "; ".join(problems))
    # A series row inherits every column it does not set itself from its indicator's row (name, unit,
    # polarity, decimals, thresholds and their rationales).
    inherited = main.select("code", *[c for c in main.columns if c not in ser.columns])
    ser = ser.with_columns(pl.col("min_respondents").cast(pl.Int64)).join(inherited, on="code", how="left")
    main = main.with_columns(pl.lit("").alias("series"), pl.lit(None, pl.Utf8).alias("description_sv"))
    return pl.concat([main, ser.select(main.columns)], how="vertical_relaxed")


def _load_main_catalogue(dbt_dir: Path) -> pl.DataFrame:
    seeds = Path(dbt_dir) / "seeds"
    ref = pl.read_csv(seeds / "ref_indicators.csv", infer_schema=False)
    cat = pl.read_csv(seeds / "indicator_catalogue.csv", infer_schema=False)
    problems = []
    if set(ref["code"]) != set(cat["code"]) or cat["code"].is_duplicated().any():
        problems.append(f"koderna skiljer sig / codes differ: only in ref_indicators "
                        f"{sorted(set(ref['code']) - set(cat['code']))}, only in indicator_catalogue "
                        f"{sorted(set(cat['code']) - set(ref['code']))}, duplicated "
                        f"{sorted(set(cat.filter(pl.col('code').is_duplicated())['code']))}")
    for r in cat.iter_rows(named=True):
        problems += _catalogue_row_problems(r)
    if problems:
        raise ValueError("indicator_catalogue.csv: " + "; ".join(problems))
    cat = cat.with_columns(
        pl.col("decimals").cast(pl.Int64), pl.col("min_respondents").cast(pl.Int64),
        pl.col("change_threshold").cast(pl.Float64))
    ref = ref.with_columns(pl.col("target_area").cast(pl.Int64), (pl.col("decided").str.to_lowercase() == "true"))
    return ref.join(cat, on="code", how="left")


def _catalogue_row_problems(r: dict) -> list[str]:
    code, out = r["code"], []
    if r["source"] not in SOURCES:
        out.append(f"{code}: source '{r['source']}' ∉ {SOURCES}")
    if r["source"] == "folkhalsodata" and not r["table_path"]:
        out.append(f"{code}: table_path saknas / missing")
    if r["source"] == "kolada" and not r["kpi_id"]:
        out.append(f"{code}: kpi_id saknas / missing")
    bad = [b for b in (r["breakdowns"] or "").split("|") if b and b not in BREAKDOWNS]
    if bad:
        out.append(f"{code}: okända breakdowns / unknown breakdowns {bad}")
    if r["period_type"] not in PERIOD_TYPES:
        out.append(f"{code}: period_type '{r['period_type']}' ∉ {PERIOD_TYPES}")
    for col in ("decimals", "min_respondents"):
        if r[col] and not r[col].isdigit():
            out.append(f"{code}: {col} '{r[col]}' är inget heltal / is not an integer")
    return out + _source_row_problems(r)


def _source_row_problems(r: dict) -> list[str]:
    """The columns that say where a number comes from and how it is picked from its table."""
    code, out = r["code"], []
    status, evidence = r.get("source_status") or "", (r.get("evidence") or "").strip()
    if status not in SOURCE_STATUSES:
        out.append(f"{code}: source_status '{status}' ∉ {SOURCE_STATUSES}")
    if not evidence:
        out.append(f"{code}: evidence saknas (en URL/kodplats eller 'unverified: ...') / evidence is missing")
    elif status == "verified" and evidence.lower().startswith("unverified"):
        out.append(f"{code}: source_status 'verified' men evidence börjar med 'unverified' / but the evidence says "
                   f"unverified")
    elif status != "verified" and not evidence.lower().startswith("unverified"):
        out.append(f"{code}: source_status '{status}': evidence ska börja med 'unverified' och säga varför / the "
                   f"evidence must start with 'unverified' and say why")
    if status == "verified" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.get("verified_on") or ""):
        out.append(f"{code}: verified_on '{r.get('verified_on')}' är inget datum ÅÅÅÅ-MM-DD / is not a date")
    if (r.get("kpi_type") or "") not in KPI_TYPES:
        out.append(f"{code}: kpi_type '{r['kpi_type']}' ∉ {KPI_TYPES[1:]}")
    if (r.get("county_value") or "source") not in COUNTY_VALUES:
        out.append(f"{code}: county_value '{r['county_value']}' ∉ {COUNTY_VALUES}")
    if r.get("kpi_type") == "K" and (r.get("county_value") or "source") == "source":
        out.append(f"{code}: en KPI av typ K har bara kommunvärden; county_value måste vara 'none' / a type K KPI "
                   f"has kommun values only; county_value must be 'none'")
    if r.get("category_code") and not r.get("category_variable"):
        out.append(f"{code}: category_code utan category_variable / category_code without category_variable")
    try:
        parse_fixed_selections(r.get("fixed_selections"))
    except ValueError as e:
        out.append(f"{code}: {e}")
    return out


def is_unverified(cat_row: dict) -> bool:
    """True when the catalogue has no evidence that the source exists and measures this indicator."""
    return cat_row.get("source_status") != "verified"


def unverified_sources(catalogue: pl.DataFrame) -> list[Issue]:
    """One warning per catalogue row without evidence: a run must not use such sources silently."""
    return [_issue("unverified_source", f"dbt/seeds/{SERIES_FILE if r.get('series') else 'indicator_catalogue.csv'}",
                   column="evidence", value=catalogue_key(r),
                   detail=f"{catalogue_key(r)} ({r['source_status']}): {r['evidence']}",
                   detail_en=f"{catalogue_key(r)} ({r['source_status']}): {r['evidence']}")
            for r in catalogue.iter_rows(named=True) if r.get("source") and is_unverified(r)]


def breakdowns(cat_row: dict) -> set[str]:
    return {b for b in (cat_row.get("breakdowns") or "").split("|") if b}


def load_areas(dbt_dir: Path) -> tuple[list[str], list[str]]:
    """(länskoder, kommunkoder) from dbt_dir's seeds, for online fetches."""
    from folkhalsa import reference  # code lists are read only through reference.py

    seeds = Path(dbt_dir) / "seeds"
    return list(reference.counties(seeds)), list(reference.municipalities(seeds))


# --------------------------------------------------------------------------- dimension roles

_ROLE_NAMES = {
    "region": {"region", "lan", "län", "geo", "omrade", "område", "regioner"},
    "sex": {"kon", "kön", "sex", "gender"},
    "education": {"utbildningsniva", "utbildningsnivå", "utbildning", "utb", "education"},
    "age": {"alder", "ålder", "aldersgrupp", "åldersgrupp", "age"},
    "time": {"tid", "ar", "år", "artal", "årtal", "period", "time", "year"},
    "metric": {"contentscode", "tabellinnehall", "tabellinnehåll", "matt", "mått", "measure", "innehall"},
}
_TOTAL_WORDS = ("totalt", "total", "samtliga", "alla", "båda könen", "kvinnor och män", "män och kvinnor")


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(s).lower())


def role_of(code: str, text: str = "", json_role: str | None = None) -> str | None:
    if json_role:
        return json_role
    for name in (code, text):
        n = _norm(name)
        for role, names in _ROLE_NAMES.items():
            if n in {_norm(x) for x in names}:
                return role
    return None


def metric_kind(code: str, label: str, measure: str | None) -> str | None:
    """What a content category holds: value, ci_low, ci_high, n, or None (ignored)."""
    if measure and code == measure:
        return "value"
    s = f"{code} {label}".lower()
    if any(w in s for w in ("nedre", "lower", "ci_low", "ki_lag")):
        return "ci_low"
    if any(w in s for w in ("övre", "ovre", "upper", "ci_high", "ki_hog")):
        return "ci_high"
    if any(w in s for w in ("antal svar", "antal_svar", "svarande", "respondent")):
        return "n"
    return None


def _is_total(label: str) -> bool:
    return label.strip().lower().startswith(_TOTAL_WORDS)


def sex_code(code: str, label: str) -> str | None:
    lab = label.strip().lower()
    if _is_total(lab):
        return "T"
    if lab in ("kvinnor", "kvinna", "women", "female", "flickor"):
        return "K"
    if lab in ("män", "man", "men", "male", "pojkar"):
        return "M"
    return code if code in ("T", "K", "M") else None


def education_code(code: str, label: str) -> str | None:
    for s in (label.strip().lower(), code.strip().lower()):
        if s in EDUCATION:
            return s
        if s.startswith("förgymnasial"):
            return "förgymnasial"
        if s.startswith("eftergymnasial"):
            return "eftergymnasial"
        if s.startswith("gymnasial"):
            return "gymnasial"
        if _is_total(s):
            return "total"
    return None


def _pinned_value(d: Dimension, cat: dict) -> str | None:
    """The catalogue's value for a category or fixed variable, or None if the dimension is neither."""
    if is_variable(d.id, d.label, cat.get("category_variable")):
        return cat.get("category_code") or (d.codes[0] if len(d.codes) == 1 else "")
    fixed = parse_fixed_selections(cat.get("fixed_selections"))
    return next((v for name, v in fixed.items() if is_variable(d.id, d.label, name)), None)


def _assign_roles(ds: Dataset, cat: dict | None = None) -> dict[str, str]:
    json_roles = {}
    for role, key in (("time", "time"), ("metric", "metric"), ("region", "geo")):
        for dim_id in (ds.meta.get("role") or {}).get(key, []) or []:
            json_roles[dim_id] = role
    roles: dict[str, str] = {}
    for d in ds.dimensions:
        if cat is not None and _pinned_value(d, cat) is not None:
            continue  # a category or fixed variable: harmonise_jsonstat keeps its one value
        role = "measure" if is_measure_variable(d.id, d.label) else role_of(d.id, d.label, json_roles.get(d.id))
        if role is None:
            if len(d.codes) == 1:
                continue  # a fixed selection (e.g. one age group): nothing to keep
            raise _err("dimensions", f"okänd dimension '{d.id}' ({d.label}) med {len(d.codes)} kategorier",
                       f"unknown dimension '{d.id}' ({d.label}) with {len(d.codes)} categories")
        if role in roles.values():
            raise _err("dimensions", f"två dimensioner tolkas som {role}", f"two dimensions map to {role}")
        roles[d.id] = role
    # A national table (HLV by education, hlv1psyfutb.px) has no Region variable at all: a catalogue row
    # that breaks down by neither county nor kommun reads it as riket.
    national = cat is not None and not ({"county", "municipality"} & breakdowns(cat))
    for need in ("time",) if national else ("region", "time"):
        if need not in roles.values():
            raise _err("dimensions", f"dimension för {need} saknas (dimensioner: {ds.ids})",
                       f"no {need} dimension (dimensions: {ds.ids})")
    return roles


# --------------------------------------------------------------------------- harmonising

def _period_end_year(period: str, period_type: str) -> int | None:
    m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", period)
    if not m:
        return None
    start, end = int(m.group(1)), int(m.group(2) or m.group(1))
    if end - start != PERIOD_SPAN[period_type] or (period_type == "annual" and m.group(2)):
        return None
    return end


def _map_codes(df: pl.DataFrame, col: str, fn: Callable[[str, str], str | None], what: str) -> pl.DataFrame:
    pairs = df.select(col, f"{col}_label").unique()
    mapping = {c: fn(c, lab) for c, lab in pairs.iter_rows()}
    return df.with_columns(pl.col(col).replace_strict(mapping, return_dtype=pl.Utf8).alias(what))


KEYS = ["region_code", "municipality_code", "period", "sex", "education"]


def harmonise_jsonstat(dataset: dict, cat: dict) -> tuple[pl.DataFrame, list[Issue]]:
    """JSON-stat (Folkhälsodata) -> rows with region/municipality/period/sex/education/value/ci/n/raw status."""
    ds = parse_dataset(dataset)
    dims = {role: next(d for d in ds.dimensions if d.id == dim_id) for dim_id, role in _assign_roles(ds, cat).items()}
    df = to_frame(ds, labels=True).with_row_index("row", offset=1)
    warnings: list[Issue] = []
    df = _keep_pinned(df, ds, cat)
    if "age" in dims:
        df = _keep_total_age(df, dims["age"])
    df = _area_and_period(df, dims["region"].id if "region" in dims else None, dims["time"].id)
    df = _sex(df, dims.get("sex"))
    df = _education(df, dims.get("education"), warnings)
    if "measure" in dims:  # survey tables: Andel och konfidensintervall 01-04
        df = _spread_measure_variable(df, dims["measure"], dims.get("metric"), cat)
    else:
        df = _spread_metric(df, dims.get("metric"), cat.get("measure") or None)
    return df.select(*KEYS, "value", "ci_low", "ci_high", "n_respondents", pl.col("status").alias("raw_status"),
                     "row"), warnings


def _keep_pinned(df: pl.DataFrame, ds: Dataset, cat: dict) -> pl.DataFrame:
    """Keep the catalogue's category and fixed values (a table may hold several indicators)."""
    table = cat.get("table_path") or "?"
    for name in [cat.get("category_variable"), *parse_fixed_selections(cat.get("fixed_selections"))]:
        # Without its category or pinned variable the response may sum over them: never land that.
        if name and not any(is_variable(d.id, d.label, name) for d in ds.dimensions):
            raise TableMismatch(f"tabellen {table}: svaret saknar variabeln '{name}' (dimensioner {ds.ids}) / "
                                f"table {table}: the response lacks the variable '{name}' (dimensions {ds.ids})",
                                name)
    for d in ds.dimensions:
        wanted = _pinned_value(d, cat)
        if wanted is None:
            continue
        if wanted == "":
            raise mismatch(table, d.id, "katalogen anger ingen category_code", "the catalogue gives no category_code",
                           d.codes, d.labels)
        df = df.filter(pl.col(d.id) == resolve(table, d.id, wanted, d.codes, d.labels))
    return df


def _spread_measure_variable(df: pl.DataFrame, measure: Dimension, metric: Dimension | None,
                             cat: dict) -> pl.DataFrame:
    if metric is not None and len(metric.codes) > 1:
        raise _err(f"både måttvariabeln '{measure.id}' och {len(metric.codes)} tabellinnehåll {metric.codes}",
                   f"both the measure variable '{measure.id}' and {len(metric.codes)} contents {metric.codes}")
    kinds = measure_kinds(cat.get("table_path") or "?", measure.id, measure.codes, measure.labels)
    names = {"value": "value", "ci_low": "ci_low", "ci_high": "ci_high", "n": "n_respondents"}
    wanted = cat.get("measure") or "01"
    if kinds.get(wanted) != "value":
        raise mismatch(cat.get("table_path") or "?", measure.id, f"måttet '{wanted}' är inte Andel",
                       f"the measure '{wanted}' is not Andel", measure.codes, measure.labels)
    out = df.filter(pl.col(measure.id) == wanted)
    for code, kind in kinds.items():
        if kind == "value":
            continue
        part = df.filter(pl.col(measure.id) == code).select(*KEYS, pl.col("value").alias(names[kind]))
        out = out.join(part, on=KEYS, how="left", nulls_equal=True)
    for name in names.values():
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(name))
    return out


def _keep_total_age(df: pl.DataFrame, age: Dimension) -> pl.DataFrame:
    # The harmonised table has no age: keep the all-ages group only.
    keep = [c for c, lab in zip(age.codes, age.labels) if _is_total(lab)] or (age.codes if len(age.codes) == 1 else [])
    if len(keep) != 1:
        raise _err("age_total", f"kan inte välja total åldersgrupp i '{age.id}' bland {age.labels}",
                   f"cannot pick the total age group in '{age.id}' among {age.labels}")
    return df.filter(pl.col(age.id) == keep[0])


def _area_and_period(df: pl.DataFrame, region: str | None, time_dim: str) -> pl.DataFrame:
    period = pl.col(time_dim).str.replace_all("–", "-").str.replace_all(" ", "").alias("period")
    if region is None:  # a national table without a Region variable: riket
        return df.with_columns(pl.lit("00").alias("region_code"), pl.lit(None, pl.Utf8).alias("municipality_code"),
                               period)
    bad = [c for c in df[region].unique().to_list() if not re.fullmatch(r"\d{2}|\d{4}", c)]
    if bad:
        raise _err("region_code", f"okända regionkoder {sorted(bad)[:5]} (väntade 00, länskod eller kommunkod)",
                   f"unknown region codes {sorted(bad)[:5]} (expected 00, county or municipality code)")
    return df.with_columns(
        pl.col(region).str.slice(0, 2).alias("region_code"),  # a kommunkod starts with its länskod
        pl.when(pl.col(region).str.len_chars() == 4).then(pl.col(region)).otherwise(None).alias("municipality_code"),
        period)


def _sex(df: pl.DataFrame, dim: Dimension | None) -> pl.DataFrame:
    if dim is None:
        return df.with_columns(pl.lit("T").alias("sex"))
    df = _map_codes(df, dim.id, sex_code, "sex")
    unknown = df.filter(pl.col("sex").is_null())[f"{dim.id}_label"].unique().to_list()
    if unknown:
        raise _err("sex_category", f"okända kategorier för kön: {unknown}", f"unknown sex categories: {unknown}")
    return df


def _education(df: pl.DataFrame, dim: Dimension | None, warnings: list[Issue]) -> pl.DataFrame:
    if dim is None:
        return df.with_columns(pl.lit("total").alias("education"))
    df = _map_codes(df, dim.id, education_code, "education")
    unknown = df.filter(pl.col("education").is_null())[f"{dim.id}_label"].unique().to_list()
    if unknown:  # e.g. "uppgift saknas": real, but not one of our four groups
        warnings.append(_issue("education_dropped", value=str(unknown)))
    return df.filter(pl.col("education").is_not_null())


def _spread_metric(df: pl.DataFrame, metric: Dimension | None, measure: str | None) -> pl.DataFrame:
    """One row per cell: the measure as value, confidence limits and respondents beside it."""
    extra = {"ci_low": "ci_low", "ci_high": "ci_high", "n": "n_respondents"}
    if metric is None:
        return df.with_columns(*(pl.lit(None, pl.Float64).alias(c) for c in extra.values()))
    kinds = {c: metric_kind(c, lab, measure) for c, lab in zip(metric.codes, metric.labels)}
    if measure is None and len(metric.codes) == 1:
        kinds = {metric.codes[0]: "value"}
    value_codes = [c for c, k in kinds.items() if k == "value"]
    if not value_codes:
        raise _err("measure_missing", f"måttet '{measure}' saknas i svaret (innehåll: {metric.codes})",
                   f"measure '{measure}' is not in the response (contents: {metric.codes})")
    out = df.filter(pl.col(metric.id) == value_codes[0])
    for kind, name in extra.items():
        codes = [c for c, k in kinds.items() if k == kind]
        if codes:
            part = df.filter(pl.col(metric.id) == codes[0]).select(*KEYS, pl.col("value").alias(name))
            out = out.join(part, on=KEYS, how="left", nulls_equal=True)
        else:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(name))
    return out


def harmonise_kolada(pages: list[dict], cat: dict) -> tuple[pl.DataFrame, list[Issue]]:
    pages, deleted = drop_deleted(pages)
    warnings = [_issue("kolada_deleted", value=str(deleted),
                       detail=f"{deleted} värden som Kolada markerat isdeleted hoppades över",
                       detail_en=f"{deleted} values Kolada flags isdeleted were dropped")] if deleted else []
    df = parse_kolada(pages)
    other = [k for k in df["kpi"].unique().to_list() if k != cat.get("kpi_id")]
    if other:
        raise _err("kpi_mismatch", f"svaret innehåller KPI {other}, katalogen anger {cat.get('kpi_id')}",
                   f"the response holds KPI {other}, the catalogue says {cat.get('kpi_id')}")
    # Kolada marks nothing as missing: a null value is missing, unless its status says sekretess.
    raw = (pl.when(pl.col("value").is_null() & pl.col("kolada_status").str.to_lowercase().str.contains("sekretess"))
           .then(pl.lit("x")).otherwise(None))
    df = df.with_columns(pl.lit("total").alias("education"), raw.alias("raw_status"),
                         *(pl.lit(None, pl.Float64).alias(c) for c in ("ci_low", "ci_high", "n_respondents")))
    return df.select("region_code", "municipality_code", "period", "sex", "education", "value", "ci_low",
                     "ci_high", "n_respondents", "raw_status", "row"), warnings


def _finalise(df: pl.DataFrame, cat: dict, source: str, retrieved_at: datetime) -> tuple[pl.DataFrame, list[Issue]]:
    """Period checks, status and the disclosure rule, then the exact output columns."""
    warnings = []
    ends = {p: _period_end_year(p, cat["period_type"]) for p in df["period"].unique().to_list()}
    bad = sorted(p for p, e in ends.items() if e is None)
    if bad:
        raise _err("period_type", f"perioder {bad[:5]} passar inte periodtypen {cat['period_type']}",
                   f"periods {bad[:5]} do not fit period type {cat['period_type']}")
    known = MISSING_SYMBOLS | SUPPRESSED_SYMBOLS | UNRELIABLE_SYMBOLS
    odd = sorted(s for s in df["raw_status"].drop_nulls().unique().to_list() if s not in known)
    if odd:
        warnings.append(_issue("unknown_status", value=str(odd)))
    min_n = cat.get("min_respondents")
    s, v, n = pl.col("raw_status"), pl.col("value"), pl.col("n_respondents")
    too_few = (n < min_n) if min_n else pl.lit(False)
    status = (pl.when(s.is_in(list(SUPPRESSED_SYMBOLS))).then(pl.lit("suppressed"))
              .when(s.is_in(list(MISSING_SYMBOLS)) | v.is_null()).then(pl.lit("missing"))
              .when(too_few.fill_null(False)).then(pl.lit("suppressed"))
              .when(s.is_in(list(UNRELIABLE_SYMBOLS))).then(pl.lit("unreliable"))
              .otherwise(pl.lit("ok")))
    df = df.with_columns(status.alias("status"))
    shown = pl.col("status").is_in(["ok", "unreliable"])
    df = df.with_columns(
        *(pl.when(shown).then(pl.col(c)).otherwise(None).alias(c) for c in ("value", "ci_low", "ci_high")),
        pl.col("n_respondents").round(0).cast(pl.Int64),
        pl.col("period").replace_strict(ends, return_dtype=pl.Int64).alias("period_end_year"),
        pl.lit(cat["code"]).alias("indicator_code"),
        pl.lit(source).alias("source"),
        pl.lit(retrieved_at).cast(pl.Datetime("us", "UTC")).alias("retrieved_at"))
    dupes = df.filter(pl.struct(KEYS).is_duplicated())
    if dupes.height:
        raise _err("duplicate_rows", f"{dupes.height} rader har samma region/period/kön/utbildning, t.ex. {dupes.row(0)[:5]}",
                   f"{dupes.height} rows share region/period/sex/education, e.g. {dupes.row(0)[:5]}")
    return df.select(*(pl.col(c).cast(t) for c, t in INDICATOR_SCHEMA.items()), "row"), warnings


def _parse_time(text: Any) -> datetime:
    try:
        dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise _err("envelope", f"retrieved_at '{text}' är ingen ISO-tid", f"retrieved_at '{text}' is not an ISO time") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def harmonise_snapshot(envelope: dict, catalogue: dict[str, dict]) -> tuple[pl.DataFrame, list[Issue]]:
    """One snapshot envelope -> harmonised indicator_values rows (plus a `row` column) and warnings."""
    if not isinstance(envelope, dict):
        raise _err("envelope", "filen är inte ett JSON-objekt", "the file is not a JSON object")
    missing = [k for k in ("source", "indicator_code", "retrieved_at") if k not in envelope]
    if missing:
        raise _err("envelope", f"kuvertet saknar {missing}", f"the envelope lacks {missing}")
    code, source = str(envelope["indicator_code"]), envelope["source"]
    key = f"{code}@{envelope['series']}" if envelope.get("series") else code
    cat = catalogue.get(key)
    if cat is None:
        raise _err("unknown_indicator", f"indikatorn '{key}' finns inte i katalogen", f"indicator '{key}' is not in the catalogue")
    if source != cat["source"]:
        raise _err("source_mismatch", f"ögonblicksbilden för {code} kommer från '{source}' men katalogen anger '{cat['source']}'",
                   f"the snapshot for {code} comes from '{source}' but the catalogue says '{cat['source']}'")
    retrieved_at = _parse_time(envelope["retrieved_at"])
    if source == "kolada":
        if not isinstance(envelope.get("pages"), list):
            raise _err("envelope", "Kolada-kuvertet saknar 'pages'", "the Kolada envelope lacks 'pages'")
        df, warnings = harmonise_kolada(envelope["pages"], cat)
    else:  # folkhalsodata, and placeholders for 'file' indicators, are JSON-stat
        if not isinstance(envelope.get("response"), dict):
            raise _err("envelope", "kuvertet saknar 'response'", "the envelope lacks 'response'")
        df, warnings = harmonise_jsonstat(envelope["response"], cat)
    if cat.get("series"):
        # A series row is a breakdown only: the indicator's own row publishes its total.
        df = df.filter(pl.col("education") != "total")
    df, more = _finalise(df, cat, source, retrieved_at)
    return df, warnings + more


# --------------------------------------------------------------------------- landing

def _empty_tables() -> dict[str, pl.DataFrame]:
    return {TABLE: pl.DataFrame(schema={**INDICATOR_SCHEMA, "_row": pl.Int64})}


def empty_tables() -> dict[str, pl.DataFrame]:
    """Every landed table with provenance and no rows (placeholder batch)."""
    return LANDING.all_empty_tables()


LANDING = LandingSource(LANDING_SOURCE, CATALOGUE, _empty_tables, parser_files=(
    "folkhalsa/sources/indicators.py", "folkhalsa/sources/pxweb_tables.py", "folkhalsa/io/jsonstat.py",
    "folkhalsa/io/kolada.py",
    "dbt/seeds/indicator_catalogue.csv", "dbt/seeds/ref_indicators.csv", "dbt/seeds/indicator_series.csv"))


def discover_snapshots(snapshot_dir: Path) -> list[Path]:
    """Every snapshot file under the folder (any depth), in a stable order."""
    if not Path(snapshot_dir).is_dir():
        return []
    return sorted(p for p in Path(snapshot_dir).rglob("*.json") if p.is_file() and not p.name.startswith("."))


def parse_snapshot(path: Path, name: str, catalogue: dict[str, dict]) -> Parsed:
    """The land_file parser: one snapshot envelope -> indicator_values. Any ValueError rejects the snapshot."""
    try:
        envelope = _read_json(path)
        df, warnings = harmonise_snapshot(envelope, catalogue)
        retrieved_at = df["retrieved_at"][0] if df.height else _parse_time(envelope["retrieved_at"])
    except InputError:
        raise
    except ValueError as e:  # JSON-stat and Kolada parse errors
        raise InputError(_issue("invalid_snapshot", name, detail=str(e))) from None
    return Parsed(tables={TABLE: df.rename({"row": "_row"})}, issues=warnings, received_at=retrieved_at, manifest={
        "indicator_code": envelope["indicator_code"], "series": envelope.get("series") or "",
        "origin": envelope["source"], "url": envelope.get("url"),
        "retrieved_at": envelope["retrieved_at"]})


def land_indicators(snapshot_dir: Path, landing_dir: Path, archive_dir: Path, catalogue: pl.DataFrame,
                    quarantine_dir: Path | None = None) -> LandResult:
    """Land every snapshot under snapshot_dir as one batch each (source 'indicators', table 'indicator_values')."""
    cat = {catalogue_key(r): r for r in catalogue.iter_rows(named=True)}
    snapshot_dir = Path(snapshot_dir)
    paths = [(p, p.relative_to(snapshot_dir).as_posix()) for p in discover_snapshots(snapshot_dir)]
    result = land_files(LANDING, paths, lambda path, name: parse_snapshot(path, name, cat),
                        landing_dir=landing_dir, archive_dir=archive_dir, quarantine_dir=quarantine_dir)
    if not snapshot_dir.is_dir():
        result.issues.append(_issue("missing_folder", str(snapshot_dir)))
    return result


def fetch_issues(fetched: FetchResult) -> list[Rejection]:
    """Failed fetches as rejections, one per indicator."""
    return [Rejection(LANDING_SOURCE, e["indicator_code"], [_issue("fetch_failed", e["indicator_code"], detail=e["error"])])
            for e in fetched.errors]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _err("unreadable", f"filen är inte giltig JSON ({e})", f"the file is not valid JSON ({e})") from None


# --------------------------------------------------------------------------- snapshots

def write_snapshot(path: Path, envelope: dict) -> Path:
    """Write an envelope atomically, compact and stable (same content -> same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(envelope, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; snapshots are shared and may be committed
    os.replace(tmp, path)
    return path


def envelope(source: str, code: str, url: str | None, query: Any, retrieved_at: datetime, **payload) -> dict:
    return {"source": source, "indicator_code": code, "url": url, "query": query,
            "retrieved_at": retrieved_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **payload}


def placeholder_dataset(code: str, regions: Sequence[str], periods: Sequence[str], note: str) -> dict:
    """All-missing JSON-stat for an indicator without data (e.g. H5, not yet decided)."""
    dims = [Dimension("Region", list(regions), list(regions), "region"),
            Dimension("Tid", list(periods), list(periods), "år")]
    total = len(regions) * len(periods)
    return build_dataset(dims, [None] * total, {i: ".." for i in range(total)}, label=f"{code}: {note}",
                         note=[note], role={"time": ["Tid"], "geo": ["Region"]})


PLACEHOLDER_NOTE = "Indikatorn är ännu inte beslutad / The indicator is not yet decided"


@dataclass
class FetchResult:
    paths: list[Path] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"indicator_code", "error"}


def pxweb_selection(meta: dict, cat: dict, years: Sequence[int] | None) -> dict[str, list[str]]:
    """Choose values per variable from PxWeb table metadata, following the catalogue row.

    Raises TableMismatch naming the table, the variable and the values it offers when the table has no
    value for the row (a renamed category, a missing measure, an unknown sex label ...).
    """
    table = cat.get("table_path") or "?"
    wanted = breakdowns(cat)
    fixed = parse_fixed_selections(cat.get("fixed_selections"))
    selection: dict[str, list[str]] = {}
    for var in meta["variables"]:
        code, text = var["code"], var.get("text", "")
        values = [str(v) for v in var.get("values", [])]
        texts = [str(t) for t in var.get("valueTexts", values)]
        fixed_name = next((f for f in fixed if is_variable(code, text, f)), None)
        if fixed_name:
            keep = [resolve(table, code, fixed[fixed_name], values, texts)]
        elif is_variable(code, text, cat.get("category_variable")):
            keep = _category_value(table, code, cat.get("category_code"), values, texts)
        elif is_measure_variable(code, text):
            keep = list(measure_kinds(table, code, values, texts))
        else:
            keep = _select_by_role(table, var, values, texts, cat, wanted, years)
            if keep is None:
                continue  # PxWeb eliminates the variable
        if not keep:
            raise mismatch(table, code, "inga värden att hämta", "no values to fetch", values, texts)
        selection[code] = keep
    _check_named_variables(table, meta, cat, fixed)
    return selection


def _category_value(table: str, code: str, category: str | None, values: list[str], texts: list[str]) -> list[str]:
    if category:
        return [resolve(table, code, category, values, texts, "kategorin", "the category")]
    if len(values) == 1:
        return values
    raise mismatch(table, code, "katalogen anger ingen category_code", "the catalogue gives no category_code",
                   values, texts)


def _select_by_role(table: str, var: dict, values: list[str], texts: list[str], cat: dict, wanted: set[str],
                    years: Sequence[int] | None) -> list[str] | None:
    code = var["code"]
    role = "time" if var.get("time") else role_of(code, var.get("text", ""))
    if role == "region":
        keep = [v for v in values if len(v) == 2 or (len(v) == 4 and "municipality" in wanted)]
        if "county" in wanted and not any(len(v) == 2 and v != "00" for v in keep):
            raise mismatch(table, code, "inga län", "no counties", values, texts)
        return keep
    if role == "time":
        keep = [v for v in values if years is None or (_end(v) in set(years))]
        if not keep:
            raise mismatch(table, code, f"inga perioder som slutar {list(years or [])}",
                           f"no periods ending in {list(years or [])}", values, texts)
        return keep
    if role == "metric":
        return [v for v, t in zip(values, texts) if metric_kind(v, t, cat.get("measure"))] or (
            values if len(values) == 1 else [])
    if role == "sex":
        return _sex_values(table, code, values, texts, "sex" in wanted, bool(var.get("elimination")))
    if role == "education" and "education" in wanted:
        return values
    # A variable we do not break down by: its total, or let PxWeb eliminate it.
    totals = [v for v, t in zip(values, texts) if _is_total(t)]
    if totals:
        return totals[:1]
    if var.get("elimination"):
        return None
    if len(values) == 1:
        return values
    raise mismatch(table, code, "kan inte välja värde (ange fixed_selections i katalogen)",
                   "cannot choose a value (set fixed_selections in the catalogue)", values, texts)


def _sex_values(table: str, code: str, values: list[str], texts: list[str], by_sex: bool,
                eliminable: bool = False) -> list[str] | None:
    """Sex codes from the table's own valueTexts (00/01/02 or 1+2/1/2, men and women in either order).

    Without a sex breakdown: the table's total; where the table has none (SCB's 1/2 tables) but marks the
    variable eliminable, None: the variable is left out of the query and PxWeb answers with its total."""
    mapped = {v: sex_code("", t) for v, t in zip(values, texts)}
    unknown = [v for v, s in mapped.items() if s is None]
    if unknown or len(set(mapped.values())) != len(mapped):
        raise mismatch(table, code, "könskoderna kan inte läsas från valueTexts",
                       "the sex codes cannot be read from valueTexts", values, texts)
    if by_sex:
        return values
    total = [v for v, s in mapped.items() if s == "T"]
    if not total and eliminable:
        return None
    if not total:
        raise mismatch(table, code, "totalt för kön saknas", "there is no total for sex", values, texts)
    return total


def _check_named_variables(table: str, meta: dict, cat: dict, fixed: dict[str, str]) -> None:
    """A catalogue variable that the table does not have at all is an error, not a silent total."""
    names = [(v["code"], v.get("text", "")) for v in meta["variables"]]
    for name in [cat.get("category_variable"), *fixed]:
        if name and not any(is_variable(c, t, name) for c, t in names):
            shown = ", ".join(f"'{c}'" for c, _ in names)
            raise TableMismatch(f"tabellen {table}: variabeln '{name}' saknas; tabellen har {shown} / "
                                f"table {table}: there is no variable '{name}'; the table has {shown}", name)


def _end(period: str) -> int | None:
    m = re.search(r"(\d{4})\s*$", period)
    return int(m.group(1)) if m else None


def kolada_area_ids(cat: dict, counties: Sequence[str], municipalities: Sequence[str]) -> list[str] | None:
    """Kolada ids to ask for: riket and regions (unless the KPI is type K: kommun values only), and kommuner
    when the catalogue breaks down by municipality. None (every area) when no areas are known."""
    if not counties and not municipalities:
        return None
    if cat.get("kpi_type") == "K":
        return list(municipalities) or None
    ids = ["0000"] + [f"00{c}" for c in counties]
    return ids + (list(municipalities) if "municipality" in breakdowns(cat) else [])


def fetch_snapshots(
    catalogue: pl.DataFrame, *, pxweb_base_url: str, kolada_base_url: str, out_dir: Path,
    years: Sequence[int] | None = None, timeout: float = 30.0, counties: Sequence[str] = (),
    municipalities: Sequence[str] = (), max_retries: int = 4, backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep, now: Callable[[], datetime] = utc_now,
    scb_base_url: str = "https://api.scb.se/OV0104/v1/doris/sv/ssd",
) -> FetchResult:
    """Fetch every catalogue indicator online and save each response as a snapshot under out_dir/<source>/.

    years: periods ending in these years (None: everything published). counties: länskoder, needed for
    Kolada region ids and for the placeholders of undecided indicators. One failing indicator is
    reported in FetchResult.errors and does not stop the others.
    """
    result = FetchResult()
    out_dir = Path(out_dir)
    retry = dict(timeout=timeout, max_retries=max_retries, backoff_s=backoff_s, sleep=sleep)
    with PxWebClient(pxweb_base_url, **retry) as px, KoladaClient(kolada_base_url, **retry) as kc:
        for cat in catalogue.iter_rows(named=True):
            code, source = cat["code"], cat["source"]
            try:
                retrieved = now()
                extra = {"series": cat["series"]} if cat.get("series") else {}
                if source in ("folkhalsodata", "scb"):
                    # A series row from another PxWeb database (SCB) names its own base URL.
                    own = PxWebClient(scb_base_url, **retry) if source == "scb" else None
                    client = own or px
                    try:
                        meta = client.metadata(cat["table_path"])
                        sel = pxweb_selection(meta, cat, years)
                        env = envelope(source, code, client.table_url(cat["table_path"]), query_body(sel), retrieved,
                                       response=client.query(cat["table_path"], sel), **extra)
                    finally:
                        if own is not None:
                            own.close()
                elif source == "kolada":
                    ids = kolada_area_ids(cat, counties, municipalities)
                    pages = kc.values(cat["kpi_id"], ids, years)
                    env = envelope(source, code, kc.data_urls(cat["kpi_id"], ids, years)[0],
                                   {"kpi": cat["kpi_id"], "municipality": ids, "years": list(years or [])},
                                   retrieved, pages=pages)
                else:  # no API yet: an all-missing placeholder keeps the indicator visible
                    if not years:
                        raise _err("fetch_failed", "years behövs för platshållaren", "years are needed for the placeholder")
                    data = placeholder_dataset(code, ["00", *counties], [str(y) for y in years], PLACEHOLDER_NOTE)
                    env = envelope(source, code, None, None, retrieved, response=data)
                stamp = retrieved.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                result.paths.append(write_snapshot(out_dir / source / f"{catalogue_key(cat)}__{stamp}.json", env))
            except Exception as e:  # noqa: BLE001 - reported per indicator, the rest still runs
                result.errors.append({"indicator_code": catalogue_key(cat), "error": f"{catalogue_key(cat)}: {e}"})
    return result
