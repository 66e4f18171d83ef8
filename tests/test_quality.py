"""Data quality (folkhalsa.quality + the GX project in expectations/) against a real warehouse.

One warehouse is built per module with the real dbt project from sample returns. Problems are then
injected into a copy (opened read-write with duckdb) to check that the right finding, with the
right severity, county, observed value and rows affected, comes out.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest

import yaml

from folkhalsa.quality import (
    DEFAULT_PROJECT_DIR, PERSONAL_COLUMNS, ROW_COUNT_STATE, load_suites, run_checks, suite_columns,
)
from folkhalsa.sample.returns import write_sample_returns
from folkhalsa.settings import PROJECT_ROOT
from folkhalsa.sources.returns import land_returns
from tests.tiers import heavy

DBT = Path(sys.executable).parent / "dbt"
NEEDED = ["dim_county", "dim_municipality", "mart_national_picture", "fct_grant", "mart_county_scorecard"]


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
@heavy("dbt")
def built(tmp_path_factory):
    """Sample returns landed and built by dbt into a DuckDB file (only the models checked here)."""
    tmp = tmp_path_factory.mktemp("quality")
    write_sample_returns(tmp / "inbox")
    land_returns(tmp / "inbox", tmp / "landing", tmp / "archive", tmp / "quarantine")
    env = {**os.environ, "FOLKHALSA_LANDING": str(tmp / "landing"),
           "FOLKHALSA_DEV_WAREHOUSE": str(tmp / "w.duckdb")}
    select = [f"+{m}" for m in NEEDED] + ["ref_indicators"]
    proc = subprocess.run(
        [str(DBT), "build", "--profiles-dir", ".", "--target-path", str(tmp / "target"),
         "--log-path", str(tmp / "logs"), "--resource-type", "seed", "--resource-type", "model",
         "--select", *select],
        cwd=PROJECT_ROOT / "dbt", env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return tmp


@pytest.fixture(scope="module")
def clean(built, tmp_path_factory):
    """A run on the untouched sample warehouse, with fingerprints taken around it."""
    out = tmp_path_factory.mktemp("clean")
    before = {"project": _tree_digest(DEFAULT_PROJECT_DIR), "warehouse": _sha(built / "w.duckdb")}
    result = run_checks(built / "w.duckdb", built / "landing", out / "gx", out / "state", "run-clean")
    after = {"project": _tree_digest(DEFAULT_PROJECT_DIR), "warehouse": _sha(built / "w.duckdb")}
    return result, out, before, after


# --------------------------------------------------------------------------- injected problems

INDICATOR_ROWS = [
    # indicator, region, period, value, ci_low, ci_high
    ("6.1", "00", 2022, 6.0, 5.8, 6.2),
    ("6.1", "00", 2023, 5.8, 5.6, 6.0),
    ("6.1", "01", 2022, 6.0, 5.5, 6.5),
    ("6.1", "01", 2023, 6.1, 6.5, 7.0),      # CI does not contain the value -> critical, län 01
    ("6.1", "03", 2022, 6.0, 5.0, 7.0),
    ("6.1", "03", 2023, 12.0, 11.0, 13.0),   # +6 points, threshold 2 -> warning, län 03
    ("6.1", "12", 2022, 6.0, 5.0, 7.0),
    ("6.1", "12", 2023, 150.0, None, None),  # percent out of range -> critical, län 12
    ("H1", "00", 2022, 83.1, None, None),
    ("H1", "00", 2023, 83.3, None, None),
    ("H2", "00", 2023, 180.0, 170.0, 190.0),
]


def _inject(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("create table marts.fct_indicator_value (indicator_code varchar, region_code varchar, "
                    "municipality_code varchar, period varchar, period_end_year integer, sex varchar, "
                    "education varchar, value double, ci_low double, ci_high double, n_respondents integer, "
                    "status varchar, source varchar, retrieved_at timestamptz)")
        con.executemany("insert into marts.fct_indicator_value values (?, ?, null, ?, ?, 'T', 'total', ?, ?, ?, "
                        "1000, 'ok', 'folkhalsodata', now())",
                        [(i, r, str(p), p, v, lo, hi) for i, r, p, v, lo, hi in INDICATOR_ROWS])
        # The unit and the per-indicator threshold, as dim_indicator carries them.
        con.execute("create or replace table marts.dim_indicator as select code as indicator_code, unit, "
                    "case code when '6.1' then 2.0 when 'H1' then 1.0 end as change_threshold "
                    "from reference.ref_indicators")
        con.execute("update marts.mart_county_scorecard set submission_status = 'saknas' "
                    "where county_code = '25' and year = 2023")
        con.execute("delete from marts.dim_county where county_code = '25'")
        con.execute("drop table marts.fct_grant")
    finally:
        con.close()


def _land_indicators(landing: Path) -> None:
    """A landed indicator batch with a bad sex code for län 14 and without n_respondents."""
    df = pl.DataFrame({
        "indicator_code": ["6.1", "6.1", "6.1"], "region_code": ["00", "14", "14"],
        "municipality_code": [None, None, None], "period": ["2023"] * 3, "period_end_year": [2023] * 3,
        "sex": ["T", "X", "X"], "education": ["total"] * 3, "value": [5.8, 6.0, 6.1],
        "ci_low": [5.6, 5.0, 5.0], "ci_high": [6.0, 7.0, 7.0], "status": ["ok"] * 3,
        "source": ["folkhalsodata"] * 3,
        "retrieved_at": [datetime(2026, 1, 1, tzinfo=timezone.utc)] * 3,
    }, schema_overrides={"municipality_code": pl.Utf8})
    (landing / "indicators" / "b1").mkdir(parents=True)
    df.write_parquet(landing / "indicators" / "b1" / "indicator_values.parquet")


SECRET_TEXT = "ring mig på 070-000 00 00, anna.andersson@exempel.invalid"


def _land_survey(landing: Path) -> None:
    """Survey answers: an unknown question type from Malmö (1280) and Region Skåne (0012)."""
    df = pl.DataFrame({
        "survey_year": [2023] * 3, "respondent_code": ["0114", "1280", "0012"],
        "question_code": ["ORG1", "ORG1", "UPF9"], "concept_id": ["org_structure"] * 3,
        "question_type": ["single", "bogus", "bogus"], "target_area_code": [None, None, None],
        "value_text": [SECRET_TEXT] * 3,   # free text: must never be read
        "_batch_id": ["s1"] * 3, "_sha256": ["ab" * 32] * 3,
        "_received_at": [datetime.now(timezone.utc)] * 3,
    }, schema_overrides={"target_area_code": pl.Int32})
    (landing / "skr_survey" / "s1").mkdir(parents=True)
    df.write_parquet(landing / "skr_survey" / "s1" / "answers.parquet")


@pytest.fixture(scope="module")
def broken(built, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("broken")
    shutil.copy(built / "w.duckdb", tmp / "w.duckdb")
    shutil.copytree(built / "landing", tmp / "landing")
    _inject(tmp / "w.duckdb")
    _land_indicators(tmp / "landing")
    _land_survey(tmp / "landing")
    state = tmp / "state"
    state.mkdir()
    seeded = {"run_id": "earlier", "counts": {"marts.mart_national_picture": 10_000}}
    (state / ROW_COUNT_STATE).write_text(json.dumps(seeded), "utf-8")
    result = run_checks(tmp / "w.duckdb", tmp / "landing", tmp / "gx", state, "run-broken",
                        now=datetime.now(timezone.utc) + timedelta(days=500),
                        max_age_days={"returns": 400, "indicators": None})
    return result, tmp, seeded


def _one(findings, **match):
    hits = [f for f in findings if all(getattr(f, k) == v for k, v in match.items())]
    assert len(hits) == 1, (match, [(f.dataset, f.check, f.county) for f in findings])
    return hits[0]


# --------------------------------------------------------------------------- the suites themselves

def test_every_expectation_has_a_severity_and_a_swedish_message():
    suites = load_suites()
    assert {"raw.returns.submission", "raw.indicators.indicator_values", "raw.skr_survey.answers",
            "marts.dim_county", "marts.fct_indicator_value", "checks.indicator_change",
            "checks.return_completeness", "checks.row_counts", "checks.freshness"} <= set(suites)
    for name, suite in suites.items():
        checks = [e["meta"]["check"] for e in suite["expectations"]]
        assert len(checks) == len(set(checks)), name   # finding keys must stay stable and distinct
        for e in suite["expectations"]:
            assert e["meta"]["severity"] in ("critical", "warning"), (name, e["meta"])
            assert e["severity"] == e["meta"]["severity"], (name, e["meta"]["check"])
            assert e["meta"]["message_sv"] and e["meta"]["message_en"], (name, e["meta"]["check"])
        assert not suite_columns(suite) & PERSONAL_COLUMNS
        assert suite["meta"].get("dataset") or suite["meta"].get("dataset_column"), name


def test_each_suite_has_a_dataframe_asset_and_outputs_stay_outside_the_repo():
    config = yaml.safe_load((DEFAULT_PROJECT_DIR / "great_expectations.yml").read_text("utf-8"))
    assets = config["fluent_datasources"]["folkhalsa"]["assets"]
    assert set(assets) == set(load_suites())
    assert all("whole" in a["batch_definitions"] for a in assets.values())
    stores = config["stores"]
    for store in ("validation_results_store", "validation_definition_store", "checkpoint_store"):
        assert stores[store]["store_backend"]["base_directory"].startswith("${FOLKHALSA_GX_OUTPUT}/")
    site = config["data_docs_sites"]["local_site"]["store_backend"]["base_directory"]
    assert site.startswith("${FOLKHALSA_GX_OUTPUT}/")


# --------------------------------------------------------------------------- clean sample data

def test_sample_data_passes_without_findings(clean):
    result, out, _, _ = clean
    assert result.findings == [], [(f.dataset, f.check, f.county, f.observed) for f in result.findings]
    assert not result.critical_failed
    assert result.failed == 0 and result.passed >= 60
    assert result.suites["marts.dim_county"] == {"rows": 21, "passed": 4, "failed": 0}
    assert result.suites["marts.dim_municipality"]["rows"] == 290
    assert "raw.skr_survey.answers" in result.skipped          # no survey landed yet: skipped cleanly
    assert "marts.fct_indicator_value" in result.skipped
    json.dumps(result.to_dict())


def test_data_docs_are_built_in_the_output_folder(clean):
    result, out, _, _ = clean
    assert result.data_docs == out / "gx" / "data_docs" / "index.html"
    html = result.data_docs.read_text("utf-8")
    assert "marts.mart_county_scorecard" in html and "run-clean" in html
    assert list((out / "gx" / "validations").rglob("*.json"))


def test_checks_write_neither_the_warehouse_nor_the_gx_project(clean):
    _, _, before, after = clean
    assert before == after


def test_row_counts_are_remembered_for_the_next_run(clean):
    _, out, _, _ = clean
    saved = json.loads((out / "state" / ROW_COUNT_STATE).read_text("utf-8"))
    assert saved["run_id"] == "run-clean"
    assert saved["counts"]["marts.dim_municipality"] == 290
    assert saved["counts"]["marts.mart_national_picture"] == 21 * 8 * 2
    assert saved["counts"]["landing/returns/submission"] == 43


def test_old_runs_are_pruned_from_data_docs(clean, built):
    _, out, _, _ = clean
    run_checks(built / "w.duckdb", built / "landing", out / "gx", out / "state", "run-later", keep_runs=1)
    runs = {p.parts[-3] for p in (out / "gx" / "validations").rglob("*.json")}
    assert runs == {"run-later"}
    index = (out / "gx" / "data_docs" / "index.html").read_text("utf-8")
    assert "run-later" in index and "run-clean" not in index


# --------------------------------------------------------------------------- injected problems

def test_percent_value_out_of_range_is_critical_for_its_county(broken):
    result, _, _ = broken
    f = _one(result.findings, dataset="marts.fct_indicator_value", county="12",
             check="expect_column_values_to_be_between(value)")
    assert f.severity == "critical"
    assert f.rows_affected == 1
    assert f.observed[0]["value"] == 150.0 and f.observed[0]["indicator_code"] == "6.1"
    assert f.expected == "0 ≤ value ≤ 100 (där unit == percent)"
    assert f.message == "Indikatorvärde i procent utanför 0–100"
    assert result.critical_failed


def test_ci_that_does_not_contain_its_value_is_critical(broken):
    result, _, _ = broken
    f = _one(result.findings, dataset="marts.fct_indicator_value", county="01",
             check="expect_column_pair_values_a_to_be_greater_than_b(value, ci_low)")
    assert f.severity == "critical" and f.rows_affected == 1
    assert {k: f.observed[0][k] for k in ("region_code", "period", "value", "ci_low", "ci_high")} == {
        "region_code": "01", "period": "2023", "value": 6.1, "ci_low": 6.5, "ci_high": 7.0}
    # The upper bound holds for that row; no finding for it.
    assert not [x for x in result.findings if x.check.endswith("(ci_high, value)")]


def test_change_beyond_the_indicator_threshold_is_a_warning_per_county(broken):
    result, _, _ = broken
    changes = [f for f in result.findings if f.key.startswith("checks.indicator_change:")]
    assert {f.county for f in changes} == {"03", "12"}
    f = _one(changes, county="03")
    assert f.severity == "warning" and f.dataset == "marts.fct_indicator_value"
    assert f.observed[0]["abs_change"] == 6.0 and f.observed[0]["change_threshold"] == 2.0
    assert f.observed[0]["previous_period"] == "2022" and f.observed[0]["period"] == "2023"


def test_county_without_current_return_is_a_warning(broken):
    result, _, _ = broken
    f = _one(result.findings, key="checks.return_completeness:current_return_per_year:"
                                  "marts.mart_county_scorecard:25")
    assert f.severity == "warning" and f.rows_affected == 1
    assert f.observed == [{"county_code": "25", "year": 2023, "submission_status": "saknas"}]


def test_table_level_failures_report_observed_and_expected(broken):
    result, _, _ = broken
    f = _one(result.findings, dataset="marts.dim_county", check="expect_table_row_count_to_equal")
    assert (f.severity, f.observed, f.expected, f.county) == ("critical", 20, "21 rader", None)
    missing = _one(result.findings, dataset="marts.fct_grant")
    assert missing.severity == "critical" and missing.check == "table_exists"


def test_row_count_drop_and_stale_data_are_warnings(broken):
    result, _, _ = broken
    drop = _one(result.findings, dataset="marts.mart_national_picture",
                check="expect_column_values_to_be_between(ratio_to_previous)")
    assert drop.severity == "warning"
    assert drop.observed == [{"dataset": "marts.mart_national_picture", "previous_rows": 10_000, "rows": 336}]
    stale = [f for f in result.findings if f.key.startswith("checks.freshness:")]
    assert {f.dataset for f in stale} == {"landing/returns"}   # indicators: no limit given
    assert stale[0].severity == "warning"
    assert stale[0].observed[0]["max_age_days"] == 400 and stale[0].observed[0]["age_days"] >= 500


def test_raw_landed_indicators_are_checked_per_county(broken):
    result, _, _ = broken
    f = _one(result.findings, dataset="landing/indicators/indicator_values",
             check="expect_column_values_to_be_in_set(sex)")
    assert f.severity == "critical" and f.county == "14" and f.rows_affected == 2
    assert f.observed == ["X", "X"]
    # A column the suite needs but the landed data lacks: the check fails, saying why.
    gone = _one(result.findings, dataset="landing/indicators/indicator_values",
                check="expect_column_values_to_be_between(n_respondents)")
    assert gone.severity == "critical" and "kunde inte köras" in gone.message


def test_a_critical_failure_keeps_the_row_count_baseline(broken):
    result, tmp, seeded = broken
    assert result.critical_failed
    assert json.loads((tmp / "state" / ROW_COUNT_STATE).read_text("utf-8")) == seeded


def test_summary_counts_match_the_findings(broken):
    result, _, _ = broken
    d = json.loads(json.dumps(result.to_dict()))
    assert d["critical_failed"] is True
    assert d["critical"] + d["warnings"] == len(d["findings"]) == len(result.findings)
    assert d["failed"] >= 10 and d["passed"] > 50
    assert d["data_docs"].endswith("data_docs/index.html")
    assert d["skipped"] == {}


def test_survey_answers_are_attributed_to_the_county_and_free_text_is_never_read(broken):
    result, tmp, _ = broken
    f = _one(result.findings, dataset="landing/skr_survey/answers",
             check="expect_column_values_to_be_in_set(question_type)")
    assert f.severity == "critical" and f.county == "12" and f.rows_affected == 2
    outputs = [p.read_text("utf-8", "replace") for p in (tmp / "gx").rglob("*") if p.is_file()
               and p.suffix in (".json", ".html")]
    assert outputs and not any("anna.andersson" in text for text in outputs)
    assert "anna.andersson" not in json.dumps(result.to_dict(), ensure_ascii=False)
