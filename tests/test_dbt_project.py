"""The dbt project: standalone `cd dbt && dbt build` on the dev target, and idempotent builds."""
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


def test_two_builds_give_identical_marts(pipeline_run, tmp_path):
    """A rebuild of the pipeline run's landing, with the same vars, gives the marts it published.
    The run's own build is the first of the two (one dbt build here, not two)."""
    settings, _ = pipeline_run
    # A new output folder whose landing is the pipeline run's: the same inputs.
    settings = settings.model_copy(update={"output_dir": tmp_path})
    landing_link = tmp_path / "landing"
    landing_link.symlink_to(pipeline_run[0].landing_dir, target_is_directory=True)
    dataset = {**read_dataset_info(pipeline_run[0].input_dir), "data_version": data_version(landing_link)}
    b = build_candidate(settings, dataset, tmp_path / "b.duckdb")
    first = pipeline_run[0].published_warehouse
    with duckdb.connect(str(first), read_only=True) as con:
        built_from = con.execute("select data_version from marts.mart_data_version").fetchone()[0]
    if built_from != dataset["data_version"]:
        # Another test landed more into the shared run since it built: build the first one here.
        first = build_candidate(settings, dataset, tmp_path / "a.duckdb").warehouse
    sums_a, sums_b = table_checksums(first), table_checksums(b.warehouse)
    assert len(sums_a) >= 15
    assert sums_a == sums_b


def test_standalone_dbt_build_on_dev_target(pipeline_run, tmp_path):
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
    # An analyst's build runs dbt's unit tests (the nightly build leaves them out: see the next test).
    assert _unit_test_results(tmp_path / "target") > 10
    assert (tmp_path / "dev.duckdb").exists()
    # No vars given: the sample label comes from the landed data (issue 18).
    with duckdb.connect(str(tmp_path / "dev.duckdb"), read_only=True) as con:
        label, is_sample = con.execute("select data_label, is_sample from marts.mart_data_version").fetchone()
    assert is_sample and label == "Exempeldata – inte officiell statistik"
    # The dev target never touches the published warehouse.
    assert sha256_file(settings.published_warehouse) == published_before


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
