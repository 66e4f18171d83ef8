"""End to end: the nightly flow on the committed sample data builds a real DuckDB warehouse."""
from __future__ import annotations

import json

import duckdb
import pytest


@pytest.fixture(scope="module")
def warehouse(pipeline_run):
    settings, summary = pipeline_run
    assert summary["published"], summary["stages"]
    con = duckdb.connect(str(settings.published_warehouse), read_only=True)
    yield con
    con.close()


def count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_every_stage_ran(pipeline_run):
    _, summary = pipeline_run
    status = {s["name"]: s["status"] for s in summary["stages"]}
    assert all(s["status"] != "failed" for s in summary["stages"]), summary["stages"]
    assert status["land returns"] == "ok"
    assert status["dbt build"] == "ok"
    assert status["gx checkpoint"] == "ok"
    assert status["publish"] == "ok"
    assert status["render"] == "skipped"  # --render never


def test_the_published_warehouse_holds_only_the_published_schemas(warehouse):
    objects = warehouse.execute("select table_schema, table_type, count(*) from information_schema.tables "
                                "group by all order by 1").fetchall()
    assert {(s, t) for s, t, _ in objects} == {("marts", "BASE TABLE"), ("reference", "BASE TABLE")}
    # No view is left to read respondent-level Parquet from the landing area.
    assert count(warehouse, "select count(*) from duckdb_views() where not internal") == 0


def test_the_whole_build_is_kept_restricted_beside_it(pipeline_run):
    settings, _ = pipeline_run
    restricted = settings.restricted_warehouse
    assert restricted.stat().st_mode & 0o777 == 0o600
    assert restricted.parent.stat().st_mode & 0o777 == 0o700
    assert settings.warehouse_dir not in restricted.parents  # sharing warehouse/ never shares it
    with duckdb.connect(str(restricted), read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct table_schema from information_schema.tables")
                   .fetchall()}
        assert {"marts", "reference", "restricted", "staging", "intermediate"} <= schemas
        assert count(con, "select count(*) from restricted.fct_survey_free_text") > 0
    # The published marts are the build's marts, row for row.
    with duckdb.connect(str(settings.published_warehouse), read_only=True) as pub:
        pub.execute(f"attach '{restricted}' as build (read_only)")
        assert count(pub, "select count(*) from (select * from build.marts.mart_survey_summary "
                          "except all select * from marts.mart_survey_summary)") == 0


@pytest.mark.parametrize("table, expected", [
    ("dim_county", 21), ("dim_municipality", 290), ("dim_target_area", 8), ("dim_indicator", 35),
])
def test_dimension_row_counts(warehouse, table, expected):
    assert count(warehouse, f"select count(*) from marts.{table}") == expected


def test_returns_landed_per_year(warehouse):
    rows = dict(warehouse.execute(
        "select year, count(*) from marts.fct_submission_version where status = 'accepted' group by 1").fetchall())
    # 21 returns a year, and county 09 resubmitted its 2022 return.
    assert rows == {2022: 22, 2023: 21}
    current = dict(warehouse.execute(
        "select year, count(*) from marts.fct_submission_version where is_current group by 1").fetchall())
    assert current == {2022: 21, 2023: 21}


def test_national_picture_has_every_county_and_target_area(warehouse):
    assert count(warehouse, "select count(*) from marts.mart_national_picture") == 21 * 8 * 2


def test_sample_label_reaches_the_warehouse(warehouse):
    label, is_sample = warehouse.execute("select data_label, is_sample from marts.mart_data_version").fetchone()
    assert is_sample and label == "Exempeldata – inte officiell statistik"


def test_summary_json_lists_outputs(pipeline_run):
    settings, _ = pipeline_run
    data = json.loads((settings.output_dir / "run_summary.json").read_text("utf-8"))
    assert data["sample"] is True
    assert data["rows"]["returns"]["activities"] > 0
    assert "warehouse" in data["files"]
