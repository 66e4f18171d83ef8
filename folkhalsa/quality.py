"""Data quality with Great Expectations: validate landed data and the marts, report findings.

Plain Python (no Prefect). The nightly flow calls `run_checks(...)` after the dbt build, on the
candidate warehouse, and publishes only when `result.critical_failed` is false.

- The GX project is `expectations/` (file-based, committed): one suite JSON per dataset, each
  expectation with `meta.severity` (critical | warning) and Swedish/English messages in meta.
- Data is read here, not by GX: the DuckDB warehouse opened read-only, landed Parquet through an
  in-memory DuckDB. GX validates pandas frames (its SQL datasource over duckdb_engine is broken in
  GX 1.24). Only the columns a suite refers to are read, so personal data never reaches GX results
  or Data Docs.
- Checks beyond dbt tests run on derived frames computed here (period-over-period change against
  a per-indicator threshold, current return per county and year, row counts against the previous
  run, freshness), validated by their own suites under `checks.*`.
- Validation results, validation definitions and Data Docs go to `gx_output_dir` (outside the repo),
  through the config variable FOLKHALSA_GX_OUTPUT in great_expectations.yml.
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb

from folkhalsa.privacy import PERSONAL_COLUMNS
from folkhalsa.schemas.lansrapport import SOURCE as RETURNS
from folkhalsa.settings import PROJECT_ROOT, rule_default

log = logging.getLogger(__name__)

DEFAULT_PROJECT_DIR = PROJECT_ROOT / "expectations"
GX_OUTPUT_VARIABLE = "FOLKHALSA_GX_OUTPUT"   # config variable used in great_expectations.yml
DATASOURCE = "folkhalsa"
BATCH_DEFINITION = "whole"
ROW_COUNT_STATE = "quality_row_counts.json"
DEFAULT_MAX_AGE_DAYS = rule_default("max_age_days")   # its home: Settings.max_age_days
DEFAULT_KEEP_RUNS = 14       # validation runs kept in Data Docs (two weeks of nightly runs)
MAX_OBSERVED = 5             # example rows per finding; the full list is in Data Docs
N_COUNTIES, N_TARGET_AREAS = 21, 8

# Landed tables validated per source: <landing>/<source>/<batch>/<table>.parquet
RAW_TABLES = {
    RETURNS: ["submission", "actors", "actor_target_areas", "activities",
                "activity_municipalities", "needs", "finance"],
    "indicators": ["indicator_values"],
    "skr_survey": ["answers"],
}
REQUIRED_MARTS = ["dim_county", "dim_municipality", "mart_national_picture", "fct_grant",
                  "mart_county_scorecard"]
OPTIONAL_MARTS = ["fct_indicator_value"]   # validated when present
# Never read into a frame, whatever a suite says: they would end up in results and Data Docs.


SEVERITIES = ("critical", "warning")


@dataclass
class Finding:
    """One failed data-quality check (a GX expectation result, or similar)."""
    key: str                     # stable id, see finding_key()
    check: str                   # expectation / rule name
    dataset: str
    severity: str                # 'critical' | 'warning'
    county: str | None = None
    observed: Any = None
    expected: Any = None
    rows_affected: int | None = None
    message: str = ""            # Swedish
    message_en: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"Okänd allvarlighetsgrad / unknown severity: {self.severity!r} "
                             f"(tillåtna / allowed: {', '.join(SEVERITIES)})")

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def finding_key(suite: str, expectation: str, dataset: str, county: str | None = None) -> str:
    """Stable id of a check, so the same failure is recognised from run to run."""
    return f"{suite}:{expectation}:{dataset}:{county or ''}"


@dataclass
class QualityResult:
    """Outcome of one quality run. `findings` holds one entry per failed check (and county)."""
    run_id: str
    findings: list[Finding] = field(default_factory=list)
    passed: int = 0          # expectations that passed
    failed: int = 0          # expectations that failed (one may yield several findings)
    data_docs: Path | None = None
    suites: dict[str, dict] = field(default_factory=dict)   # suite -> rows, passed, failed
    skipped: dict[str, str] = field(default_factory=dict)   # suite -> reason (Swedish)

    @property
    def critical_failed(self) -> bool:
        return any(f.severity == "critical" for f in self.findings)

    def to_dict(self) -> dict:
        """For the run summary (JSON-safe)."""
        return {
            "run_id": self.run_id, "passed": self.passed, "failed": self.failed,
            "critical_failed": self.critical_failed,
            "critical": sum(f.severity == "critical" for f in self.findings),
            "warnings": sum(f.severity == "warning" for f in self.findings),
            "data_docs": str(self.data_docs) if self.data_docs else None,
            "suites": self.suites, "skipped": self.skipped,
            "findings": [asdict(f) for f in self.findings],
        }


# --------------------------------------------------------------------------- suites (plain JSON)

def load_suites(project_dir: Path = DEFAULT_PROJECT_DIR) -> dict[str, dict]:
    """The committed suite JSON, by suite name (read without GX: it decides what to load)."""
    suites = {}
    for p in sorted((project_dir / "expectations").rglob("*.json")):
        doc = json.loads(p.read_text("utf-8"))
        suites[doc["name"]] = doc
    return suites


def _condition_columns(cond: Any) -> set[str]:
    if not isinstance(cond, dict):
        return set()
    cols = {cond["column"]["name"]} if isinstance(cond.get("column"), dict) else set()
    for sub in cond.get("conditions", []) or []:
        cols |= _condition_columns(sub)
    return cols


def _checked_columns(exp: dict) -> list[str]:
    kw = exp["kwargs"]
    cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
    return cols + list(kw.get("column_list", []))


def suite_columns(suite: dict) -> set[str]:
    """Every column a suite needs: checked, in row conditions, reported, and the county column."""
    cols = {suite["meta"].get(k) for k in ("county_column", "dataset_column")} - {None}
    for exp in suite["expectations"]:
        cols |= set(_checked_columns(exp)) | _condition_columns(exp["kwargs"].get("row_condition"))
        cols |= set(exp.get("meta", {}).get("report_columns", []))
    return cols - PERSONAL_COLUMNS


# --------------------------------------------------------------------------- reading data

def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def _parquet(landing_dir: Path, source: str, table: str) -> str | None:
    """read_parquet(...) over every landed batch of a table, or None when nothing has landed."""
    if not any((landing_dir / source).glob(f"*/{table}.parquet")):
        return None
    return (f"read_parquet('{_sql_path(landing_dir / source)}/*/{table}.parquet', "
            f"union_by_name=true)")


def _df(con, sql: str):
    """Query result as pandas. duckdb's own conversion trips a pandas 3 deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return con.execute(sql).df()


def _available(con, relation: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]


def _select(wanted: set[str], available: Sequence[str], alias: str = "t") -> str:
    # Only columns the suite needs and that exist: a missing column then fails its expectation
    # in GX ("column does not exist") instead of failing the whole read.
    cols = [f'{alias}."{c}"' for c in available if c in wanted]
    return ", ".join(cols) or "1 as _row_present"


def _read_raw(con, landing_dir: Path, source: str, table: str, wanted: set[str]):
    rel = _parquet(landing_dir, source, table)
    if rel is None:
        return None
    cols = _select(wanted, _available(con, rel))
    if source == RETURNS and table != "submission" and "county_code" in wanted:
        # Returns' detail sheets carry no county: take it from the batch's submission row.
        sub = _parquet(landing_dir, source, "submission")
        return _df(con, f"select {cols}, s.county_code from {rel} as t left join (select _batch_id, "
                        f"any_value(county_code) as county_code from {sub} group by 1) as s using (_batch_id)")
    if source == "skr_survey" and "county_code" in wanted and "respondent_code" in _available(con, rel):
        # A kommun's code starts with its länskod; a region's is 00 + länskod (as in Kolada).
        return _df(con, f"select {cols}, case when t.respondent_code like '00%' then "
                        f"substr(t.respondent_code, 3, 2) else substr(t.respondent_code, 1, 2) end "
                        f"as county_code from {rel} as t")
    return _df(con, f"select {cols} from {rel} as t")


def _table_exists(con, schema: str, table: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? "
                       "and table_name = ?", [schema, table]).fetchone()[0] > 0


def _read_mart(con, table: str, wanted: set[str]):
    rel = f'marts."{table}"'
    if table == "fct_indicator_value":
        # The unit lives in dim_indicator; value ranges depend on it.
        avail = _available(con, rel)
        cols = _select(wanted - {"unit"}, avail, "v")
        return _df(con, f"select {cols}, i.unit from {rel} as v left join marts.dim_indicator as i "
                        f"using (indicator_code)")
    return _df(con, f"select {_select(wanted, _available(con, rel))} from {rel} as t")


def _threshold_table(con) -> tuple[str, str] | None:
    """(relation, key column) of the per-indicator change_threshold, wherever dbt put it."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.columns where column_name = "
        "'change_threshold' and table_schema in ('marts', 'reference') order by "
        "(table_schema = 'marts' and table_name = 'dim_indicator') desc, table_schema, table_name"
    ).fetchall()
    for schema, table in rows:
        cols = _available(con, f'{schema}."{table}"')
        for key in ("indicator_code", "code"):
            if key in cols:
                return f'{schema}."{table}"', key
    return None


def _indicator_change(con):
    """Change from the previous published period per series, with the indicator's threshold."""
    found = _threshold_table(con)
    if found is None:
        return None
    rel, key = found
    return _df(con, f"""
        with v as (
            select indicator_code, region_code, municipality_code, sex, education,
                   period, period_end_year, value
            from marts.fct_indicator_value
            where status = 'ok' and value is not null
        ), p as (
            select *, lag(value) over w as previous_value, lag(period) over w as previous_period
            from v
            window w as (partition by indicator_code, region_code, municipality_code, sex, education
                         order by period_end_year)
        )
        select p.*, round(abs(value - previous_value), 6) as abs_change,
               cast(t.change_threshold as double) as change_threshold
        from p join {rel} as t on t."{key}" = p.indicator_code
        where previous_value is not null and t.change_threshold is not null
        order by indicator_code, region_code, municipality_code, sex, education, period_end_year
    """)


def _completeness(con):
    """Every county × reporting year: is there a current (accepted) return?"""
    return _df(con, """
        select county_code, year, submission_status, submission_status = 'inlämnad' as has_current_return
        from marts.mart_county_scorecard order by county_code, year
    """)


def _freshness(con, landing_dir: Path, now: datetime, max_age_days: Mapping[str, float | None]):
    """Newest receipt (or retrieval, for indicators) per landed source, its age and its limit."""
    import pandas as pd

    rows = []
    for source, tables in RAW_TABLES.items():
        rel = _parquet(landing_dir, source, tables[0])
        if rel is None:
            continue
        cols = _available(con, rel)
        col = "retrieved_at" if "retrieved_at" in cols else "_received_at"
        newest = con.execute(f"select max(cast({col} as timestamptz)) from {rel}").fetchone()[0]
        age = None
        if newest is not None:
            newest = newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)
            age = round((now - newest).total_seconds() / 86400, 1)
        rows.append({"dataset": f"landing/{source}", "newest": newest.isoformat() if newest else None,
                     "age_days": age, "max_age_days": max_age_days.get(source)})
    if not rows:
        return None
    return pd.DataFrame(rows).astype({"age_days": "Float64", "max_age_days": "Float64"})


def _row_counts(counts: dict[str, int], previous: dict[str, int]):
    import pandas as pd

    rows = [{"dataset": d, "rows": n, "previous_rows": previous.get(d),
             "ratio_to_previous": (n / previous[d]) if previous.get(d) else None}
            for d, n in sorted(counts.items())]
    df = pd.DataFrame(rows, columns=["dataset", "rows", "previous_rows", "ratio_to_previous"])
    return df.astype({"rows": "Int64", "previous_rows": "Int64", "ratio_to_previous": "Float64"})


def _load_previous_counts(state_dir: Path) -> dict[str, int]:
    p = state_dir / ROW_COUNT_STATE
    try:
        return {k: int(v) for k, v in json.loads(p.read_text("utf-8")).get("counts", {}).items()}
    except FileNotFoundError:
        return {}
    except (ValueError, AttributeError, TypeError):
        log.warning("Radräkningarna från förra körningen var skadade och ignoreras / previous row "
                    "counts damaged, ignored: %s", p)
        return {}


def _save_counts(state_dir: Path, run_id: str, counts: dict[str, int]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".quality_counts.", dir=state_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"run_id": run_id, "counts": counts}, f, ensure_ascii=False, indent=2)
    os.replace(tmp, state_dir / ROW_COUNT_STATE)  # atomic


# --------------------------------------------------------------------------- findings

def _plain(v: Any) -> Any:
    """JSON-safe value: numpy/pandas scalars to Python, NaN/NA/NaT to None, timestamps to ISO text."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):   # numpy.float64 included
        return None if math.isnan(v) else float(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    import pandas as pd

    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return _plain(v.item())
    return str(v)


def _param(v: Any, params: dict) -> Any:
    return params.get(v["$PARAMETER"]) if isinstance(v, dict) and "$PARAMETER" in v else v


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _condition_text(cond: Any) -> str:
    if isinstance(cond, dict) and isinstance(cond.get("column"), dict):
        return f" (där {cond['column']['name']} {cond.get('operator', '==')} {cond.get('parameter')})"
    return ""


def expected_text(exp: dict, params: dict | None = None) -> str:
    """What the expectation requires, in short Swedish."""
    params = params or {}
    kw = {k: _param(v, params) for k, v in exp["kwargs"].items()}
    t, col = exp["type"], kw.get("column")
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if t in ("expect_column_values_to_be_between", "expect_table_row_count_to_be_between"):
        what = col or "antal rader"
        text = (f"{_num(lo)} ≤ {what} ≤ {_num(hi)}" if lo is not None and hi is not None
                else f"{what} ≥ {_num(lo)}" if lo is not None else f"{what} ≤ {_num(hi)}")
    elif t == "expect_table_row_count_to_equal":
        text = f"{kw['value']} rader"
    elif t == "expect_column_values_to_be_in_set":
        vals = [_num(v) for v in kw["value_set"]]
        text = f"{col} är ett av: {', '.join(vals[:25])}{' …' if len(vals) > 25 else ''}"
    elif t == "expect_column_values_to_not_be_null":
        text = f"{col} är ifyllt"
    elif t == "expect_column_values_to_be_unique":
        text = f"{col} är unikt"
    elif t == "expect_compound_columns_to_be_unique":
        text = f"unik kombination av {', '.join(kw['column_list'])}"
    elif t == "expect_column_values_to_match_regex":
        text = f"{col} matchar {kw['regex']}"
    elif t == "expect_column_pair_values_a_to_be_greater_than_b":
        op = "≥" if kw.get("or_equal") else ">"
        text = f"{kw['column_A']} {op} {kw['column_B']}"
    else:
        text = f"{t} {json.dumps({k: v for k, v in kw.items() if k != 'row_condition'}, default=str)}"
    return text + _condition_text(kw.get("row_condition"))


def _example(df, i: int, cols: list[str]) -> Any:
    """One unexpected row as shown in the alert: the value, or the report columns that are set."""
    if len(cols) == 1:
        return _plain(df.at[i, cols[0]])
    row = {c: _plain(df.at[i, c]) for c in cols}
    return {c: v for c, v in row.items() if v is not None}


def _exception_message(info: Any) -> str | None:
    """GX gives one exception record, or one per metric (keyed by metric id); None if none raised."""
    if not isinstance(info, dict):
        return None
    records = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for r in records:
        if r.get("raised_exception"):
            return r.get("exception_message") or "okänt fel"
    return None


def findings_from_result(suite: dict, result: dict, df, params: dict | None = None) -> list[Finding]:
    """Findings for one failed expectation result (as `ExpectationValidationResult.to_json_dict()`).

    Row-level failures are split by county (suite meta `county_column`) and by dataset (suite
    meta `dataset_column`, for derived frames), each with rows affected and up to MAX_OBSERVED
    example rows; table-level failures give one finding with GX's observed value.
    """
    exp = result["expectation_config"]
    meta = exp.get("meta") or {}
    smeta = suite.get("meta", {})
    severity = meta.get("severity") or exp.get("severity") or "critical"
    if severity not in SEVERITIES:
        severity = "critical"   # an unknown severity must not let bad data through
    check_id = meta.get("check") or exp.get("id") or exp["type"]
    columns = ", ".join(_checked_columns(exp))
    check = f"{exp['type']}({columns})" if columns else exp["type"]
    expected = meta.get("expected_sv") or expected_text(exp, params)
    msg_sv = meta.get("message_sv") or f"Kontrollen {check} gick inte igenom"
    msg_en = meta.get("message_en") or f"Check {check} failed"
    suite_name, base_dataset = suite["name"], smeta.get("dataset", suite["name"])
    res = result.get("result") or {}

    def make(dataset, county, observed, rows, sv=msg_sv, en=msg_en) -> Finding:
        return Finding(key=finding_key(suite_name, check_id, dataset, county), check=check,
                       dataset=dataset, severity=severity, county=county, observed=observed,
                       expected=expected, rows_affected=rows, message=sv, message_en=en)

    error = _exception_message(result.get("exception_info"))
    if error is not None:
        # Typically a missing column: the check could not run, which is itself a failure.
        return [make(base_dataset, None, error, None, f"{msg_sv} – kontrollen kunde inte köras: {error}",
                     f"{msg_en} – the check could not run: {error}")]

    index = res.get("unexpected_index_list")
    county_col, dataset_col = smeta.get("county_column"), smeta.get("dataset_column")
    if index and df is not None and (county_col in df.columns or dataset_col in df.columns):
        report = [c for c in meta.get("report_columns") or _checked_columns(exp) if c in df.columns]
        groups: dict[tuple, list[int]] = {}
        for i in index:   # pandas row labels (the frames have a plain RangeIndex)
            ds = _plain(df.at[i, dataset_col]) if dataset_col in df.columns else base_dataset
            county = _plain(df.at[i, county_col]) if county_col in df.columns else None
            groups.setdefault((ds, county), []).append(i)
        return [make(ds, county, [_example(df, i, report) for i in rows[:MAX_OBSERVED]], len(rows))
                for (ds, county), rows in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))]

    if "observed_value" in res:
        observed = _plain(res["observed_value"])
    else:
        observed = [_plain(v) for v in (res.get("partial_unexpected_list") or [])[:MAX_OBSERVED]]
    return [make(base_dataset, None, observed, res.get("unexpected_count"))]


def _missing_table_finding(suite: dict, table: str) -> Finding:
    name = suite["name"]
    dataset = suite.get("meta", {}).get("dataset", name)
    return Finding(key=finding_key(name, "table_exists", dataset), check="table_exists", dataset=dataset,
                   severity="critical", observed="saknas", expected=f"tabellen marts.{table} finns",
                   message=f"Tabellen marts.{table} saknas i databasen",
                   message_en=f"Table marts.{table} is missing from the warehouse")


def _failed_derivation(name: str, dataset: str, error: Exception) -> Finding:
    return Finding(key=finding_key(name, "derive", dataset), check="derive", dataset=dataset,
                   severity="warning", observed=f"{type(error).__name__}: {error}",
                   message=f"Kontrollen {name} kunde inte beräknas",
                   message_en=f"The check {name} could not be computed")


# --------------------------------------------------------------------------- GX

def _open_context(project_dir: Path, gx_output_dir: Path):
    import great_expectations as gx

    return gx.get_context(mode="file", context_root_dir=str(project_dir),
                          runtime_environment={GX_OUTPUT_VARIABLE: str(gx_output_dir)})


def _validate(ctx, frames: dict, params: dict, run_name: str, run_time: datetime,
              errors: dict[str, str]) -> dict[str, dict]:
    """Run each suite on its frame; results as JSON dicts, stored in the validation results store.

    A suite that cannot run at all is left out of the results and named in `errors`.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    ds = ctx.data_sources.get(DATASOURCE)
    out = {}
    for name, df in frames.items():
        batch_def = ds.get_asset(name).get_batch_definition(BATCH_DEFINITION)
        try:
            vd = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_def, suite=ctx.suites.get(name)))
            result = vd.run(batch_parameters={"dataframe": df}, expectation_parameters=params,
                            result_format={"result_format": "COMPLETE",
                                           "return_unexpected_index_query": False},
                            run_id=RunIdentifier(run_name=run_name, run_time=run_time))
        except Exception as e:  # one broken suite must not hide the others' results
            log.exception("GX-sviten %s kunde inte köras / suite could not run", name)
            errors[name] = f"{type(e).__name__}: {e}"
            continue
        out[name] = result.to_json_dict()
    return out


def _prune_results(ctx, gx_output_dir: Path, keep_runs: int) -> None:
    """Keep the newest `keep_runs` runs in the results store and in Data Docs; drop older pages."""
    store = ctx.validation_results_store
    keys = list(store.list_keys())
    times = sorted({k.run_id.run_time for k in keys}, reverse=True)
    if len(times) <= keep_runs:
        return
    cutoff = times[keep_runs - 1]
    site = gx_output_dir / "data_docs" / "validations"
    for k in keys:
        if k.run_id.run_time < cutoff:
            store.remove_key(k)
            page = site.joinpath(*k.to_tuple()[:-1], f"{k.to_tuple()[-1]}.html")
            page.unlink(missing_ok=True)
    for root in (gx_output_dir / "validations", site):
        for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(d.iterdir()):
                d.rmdir()


def _build_data_docs(ctx, suite_names: list[str], run_time: datetime) -> None:
    """Render only this run's results and the suites (older pages stay); the index lists all."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    current = [k for k in ctx.validation_results_store.list_keys() if k.run_id.run_time == run_time]
    ctx.build_data_docs(resource_identifiers=current + [ExpectationSuiteIdentifier(name=n)
                                                        for n in suite_names])


# --------------------------------------------------------------------------- entry point

def _unreadable(suite: dict, error: Exception) -> Finding:
    name, dataset = suite["name"], suite["meta"].get("dataset", suite["name"])
    return Finding(key=finding_key(name, "readable", dataset), check="readable", dataset=dataset,
                   severity="critical", observed=f"{type(error).__name__}: {error}",
                   expected="datamängden kan läsas", message=f"Datamängden {dataset} kunde inte läsas",
                   message_en=f"Dataset {dataset} could not be read")


def _read_landing(landing_dir: Path, suites: dict, now: datetime, max_age: Mapping[str, float | None],
                  frames: dict, counts: dict, result: QualityResult) -> None:
    with duckdb.connect() as mem:   # in-memory: only reads Parquet
        for source, tables in RAW_TABLES.items():
            for table in tables:
                name = f"raw.{source}.{table}"
                try:
                    df = _read_raw(mem, landing_dir, source, table, suite_columns(suites[name]))
                except duckdb.Error as e:   # e.g. a damaged Parquet file
                    result.findings.append(_unreadable(suites[name], e))
                    continue
                if df is None:
                    result.skipped[name] = "inga landade filer ännu"
                    continue
                frames[name] = df
                counts[suites[name]["meta"]["dataset"]] = len(df)
        fresh = _freshness(mem, landing_dir, now, max_age)
    if fresh is not None:
        frames["checks.freshness"] = fresh


def _read_marts(con, suites: dict, frames: dict, counts: dict, result: QualityResult) -> None:
    for table in REQUIRED_MARTS + OPTIONAL_MARTS:
        name = f"marts.{table}"
        if not _table_exists(con, "marts", table):
            if table in REQUIRED_MARTS:
                result.findings.append(_missing_table_finding(suites[name], table))
            else:
                result.skipped[name] = f"tabellen marts.{table} finns inte ännu"
            continue
        try:
            frames[name] = _read_mart(con, table, suite_columns(suites[name]))
        except duckdb.Error as e:
            result.findings.append(_unreadable(suites[name], e))
            continue
        counts[name] = len(frames[name])


def _derive_from_marts(con, frames: dict, result: QualityResult) -> None:
    if "marts.mart_county_scorecard" in frames:
        frames["checks.return_completeness"] = _completeness(con)
    if "marts.fct_indicator_value" not in frames:
        result.skipped["checks.indicator_change"] = "inga indikatorvärden ännu"
        return
    try:
        change = _indicator_change(con)
    except duckdb.Error as e:
        result.findings.append(_failed_derivation("checks.indicator_change", "marts.fct_indicator_value", e))
        return
    if change is None:
        result.skipped["checks.indicator_change"] = "ingen tröskel (change_threshold) i databasen"
    else:
        frames["checks.indicator_change"] = change


def _read_warehouse(warehouse: Path, suites: dict, frames: dict, counts: dict,
                    result: QualityResult) -> int:
    """Read the marts and derived frames; returns the number of reporting years in the marts."""
    if not warehouse.exists():
        result.findings.append(Finding(
            key=finding_key("marts", "warehouse_exists", str(warehouse)), check="warehouse_exists",
            dataset=str(warehouse), severity="critical", observed="saknas", expected="filen finns",
            message="Databasen (warehouse) saknas – dbt-bygget har inte skapat den",
            message_en="The warehouse file is missing – the dbt build did not create it"))
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        _read_marts(con, suites, frames, counts, result)
        _derive_from_marts(con, frames, result)
        if "marts.mart_county_scorecard" not in frames:
            return 0
        return con.execute("select count(distinct year) from marts.mart_county_scorecard").fetchone()[0]


def _run_gx(project_dir: Path, gx_output_dir: Path, frames: dict, params: dict, run_id: str,
            keep_runs: int) -> tuple[dict[str, dict], dict[str, str]]:
    gx_output_dir.mkdir(parents=True, exist_ok=True)
    # Validation definitions only tie a suite to its asset: rebuilt every run.
    shutil.rmtree(gx_output_dir / "validation_definitions", ignore_errors=True)
    errors: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = _open_context(project_dir, gx_output_dir)
        run_time = datetime.now(timezone.utc)
        results = _validate(ctx, frames, params, run_id, run_time, errors)
        _prune_results(ctx, gx_output_dir, keep_runs)
        _build_data_docs(ctx, list(frames), run_time)
    from folkhalsa.data_docs_assets import localize   # CDN links -> shipped copies (works offline)
    localize(gx_output_dir / "data_docs")
    return results, errors


def _collect(result: QualityResult, suites: dict, frames: dict, results: dict[str, dict],
             errors: dict[str, str], params: dict) -> None:
    for name, res in results.items():
        stats = res["statistics"]
        result.suites[name] = {"rows": len(frames[name]), "passed": stats["successful_expectations"],
                               "failed": stats["unsuccessful_expectations"]}
        result.passed += stats["successful_expectations"]
        result.failed += stats["unsuccessful_expectations"]
        for r in res["results"]:
            if not r["success"]:
                result.findings += findings_from_result(suites[name], r, frames[name], params)
    for name, error in errors.items():
        dataset = suites[name]["meta"].get("dataset", name)
        result.failed += 1
        result.findings.append(Finding(
            key=finding_key(name, "suite_runs", dataset), check="suite_runs", dataset=dataset,
            severity="critical", observed=error, expected="sviten kan köras",
            message=f"Valideringen {name} kunde inte köras", message_en=f"Suite {name} could not run"))


def run_checks(
    warehouse: Path,
    landing_dir: Path,
    gx_output_dir: Path,
    state_dir: Path,
    run_id: str,
    *,
    years: Sequence[int] | None = None,
    max_age_days: float | Mapping[str, float | None] = DEFAULT_MAX_AGE_DAYS,
    now: datetime | None = None,
    project_dir: Path = DEFAULT_PROJECT_DIR,
    keep_runs: int = DEFAULT_KEEP_RUNS,
) -> QualityResult:
    """Validate landed data and the marts of `warehouse` (opened read-only) with the GX suites.

    `years`: reporting years expected in the marts (default: those in mart_county_scorecard).
    `max_age_days`: freshness limit in days, measured from `now` (default: the current time);
    one number for every landed source, or per source ("returns", "indicators", "skr_survey"),
    where a missing or None entry is not checked (e.g. indicators read offline from snapshots). Row counts of this run are kept in `state_dir` for the next run's comparison,
    unless a critical check failed (the baseline stays the last good run). Data Docs are built
    into `gx_output_dir/data_docs/`, keeping the newest `keep_runs` runs.
    """
    now = now or datetime.now(timezone.utc)
    suites = load_suites(project_dir)
    result = QualityResult(run_id=run_id)
    frames: dict[str, Any] = {}
    counts: dict[str, int] = {}

    max_age = (dict(max_age_days) if isinstance(max_age_days, Mapping)
               else {source: max_age_days for source in RAW_TABLES})
    _read_landing(landing_dir, suites, now, max_age, frames, counts, result)
    n_years = _read_warehouse(warehouse, suites, frames, counts, result)
    n_years = len(years) if years else n_years
    result.failed += len(result.findings)   # missing or unreadable data, each a failed check
    frames["checks.row_counts"] = _row_counts(counts, _load_previous_counts(state_dir))
    params = {"national_picture_rows": N_COUNTIES * N_TARGET_AREAS * n_years,
              "scorecard_rows": N_COUNTIES * n_years}

    results, errors = _run_gx(project_dir, gx_output_dir, frames, params, run_id, keep_runs)
    result.data_docs = gx_output_dir / "data_docs" / "index.html"
    _collect(result, suites, frames, results, errors, params)

    if not result.critical_failed:
        _save_counts(state_dir, run_id, counts)
    log.info("Datakvalitet / data quality: %d godkända, %d underkända kontroller, %d kritiska fynd",
             result.passed, result.failed, sum(f.severity == "critical" for f in result.findings))
    return result
