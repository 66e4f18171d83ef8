"""The dbt project: an analyst's standalone `cd dbt && dbt build` on the dev target gives the night's
marts; the night's build leaves out the unit tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from folkhalsa.landing import data_version, read_dataset_info, sha256_file
from folkhalsa.warehouse import build_candidate

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"


def table_checksums(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {t: con.execute(
            f"select md5(coalesce(string_agg(x::varchar, '|' order by x::varchar), '')) from marts.\"{t}\" as x"
        ).fetchone()[0] for t in tables}


# The marts that print the flow's vars (the data version a night passes in); every other mart depends
# only on the landed data.
PRINTS_THE_VARS = {"mart_data_version", "rpt_document"}


def test_an_analysts_dev_build_gives_the_nights_marts(pipeline_run, tmp_path):
    """`cd dbt && dbt build` on the dev target, over the sample night's landing and with no vars: it
    runs dbt's unit tests (the night leaves them out), labels the sample from the landed data (issue 18),
    never touches the published warehouse, and builds the marts the night published. So a rebuild of
    the same input gives the same marts, and an analyst's build is the night's."""
    settings, _ = pipeline_run
    published_before = sha256_file(settings.published_warehouse)
    env = {**os.environ, "FOLKHALSA_LANDING": str(settings.landing_dir),
           "FOLKHALSA_DEV_WAREHOUSE": str(tmp_path / "dev.duckdb")}
    env.pop("FOLKHALSA_WAREHOUSE", None)
    dbt = Path(sys.executable).with_name("dbt")
    res = subprocess.run([str(dbt), "build", "--profiles-dir", ".", "--target-path", str(tmp_path / "target"),
                          "--log-path", str(tmp_path / "logs")], cwd=DBT_DIR, env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-4000:]
    assert "Completed successfully" in res.stdout
    assert _unit_test_results(tmp_path / "target") > 10
    dev = tmp_path / "dev.duckdb"
    with duckdb.connect(str(dev), read_only=True) as con:
        label, is_sample = con.execute("select data_label, is_sample from marts.mart_data_version").fetchone()
    assert is_sample and label == "Exempeldata – inte officiell statistik"
    assert sha256_file(settings.published_warehouse) == published_before

    night = settings.published_warehouse
    with duckdb.connect(str(night), read_only=True) as con:
        built_from = con.execute("select data_version from marts.mart_data_version").fetchone()[0]
    if built_from != data_version(settings.landing_dir):
        # Another test landed more into the shared run since it built: build the night's way here.
        dataset = {**read_dataset_info(settings.input_dir), "data_version": data_version(settings.landing_dir)}
        night = build_candidate(settings.model_copy(update={"output_dir": tmp_path}), dataset,
                                tmp_path / "night.duckdb").warehouse
    sums_night, sums_dev = table_checksums(night), table_checksums(dev)
    assert len(sums_night) >= 15 and set(sums_night) == set(sums_dev)
    differ = {t for t in sums_night if sums_night[t] != sums_dev[t]}
    assert differ <= PRINTS_THE_VARS, sorted(differ - PRINTS_THE_VARS)


def _unit_test_results(target: Path) -> int:
    results = json.loads((target / "run_results.json").read_text("utf-8"))["results"]
    failed = [r["unique_id"] for r in results if r["status"] not in ("pass", "success")]
    assert not failed, failed
    return sum(r["unique_id"].startswith("unit_test.") for r in results)


def test_the_nightly_build_leaves_out_the_unit_tests_and_runs_the_data_tests(pipeline_run):
    """Unit tests check the SQL on fixed rows, not the night's data: the night skips them
    (warehouse.NIGHTLY_BUILD_EXCLUDES) and still runs every data test."""
    settings, summary = pipeline_run
    results = json.loads((settings.output_dir / "dbt_target" / "run_results.json").read_text("utf-8"))
    assert results["args"]["which"] == "build" and results["args"]["exclude_resource_types"] == ["unit_test"]
    kinds = {r["unique_id"].split(".")[0] for r in results["results"]}
    assert kinds == {"model", "seed", "test"}, kinds
