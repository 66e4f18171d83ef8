"""Private by default on disk (issue 28): the umask holds when a library writes, and secure_output
sets every mode under the output folder. The walk after a real night and after a build killed
mid-dbt is in tests/test_publish.py (test_modes_after_a_night, test_modes_after_a_killed_build)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import polars as pl

from folkhalsa.filemodes import (
    ROOT_DIR, allowed_public, private_umask, readable_by_others, secure_output,
)
from folkhalsa.settings import Settings


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_the_umask_holds_when_a_library_writes(tmp_path):
    old = os.umask(0o022)   # a service's usual umask
    try:
        with private_umask():
            (tmp_path / "d" / "e").mkdir(parents=True)
            pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "d" / "e" / "answers.parquet")
            with duckdb.connect(str(tmp_path / "d" / "build.duckdb")) as con:
                con.execute("create table t as select 1 as a")
            (tmp_path / "d" / "x.txt").write_text("x")
        assert os.umask(0o022) == 0o022   # restored
    finally:
        os.umask(old)
    assert mode(tmp_path / "d") == mode(tmp_path / "d" / "e") == 0o700
    for f in ("e/answers.parquet", "build.duckdb", "x.txt"):
        assert mode(tmp_path / "d" / f) == 0o600, f


def test_secure_output_tightens_an_old_tree_and_opens_only_the_public_parts(tmp_path):
    s = Settings(_env_file=None, output_dir=tmp_path / "out")
    old = os.umask(0o022)
    try:   # a tree as written before this rule: everything 0644 in 0755 folders
        for rel in ("landing/skr_survey/abc/answers.parquet", "archive/ab/x.xlsx", "quarantine/q/x.xlsx",
                    "feedback/01/x.återkoppling.xlsx", "state/alert_state.json", "gx/data_docs/index.html",
                    "warehouse/.candidate.duckdb", "warehouse/folkhalsa.duckdb", "reports/2023/arsrapport.html",
                    "status/index.html", "run_summary.json"):
            (s.output_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (s.output_dir / rel).write_text("x")
    finally:
        os.umask(old)
    assert len(readable_by_others(s.output_dir)) > 10
    secure_output(s)
    assert mode(s.output_dir) == ROOT_DIR
    leaks = [p for p in readable_by_others(s.output_dir) if not allowed_public(p, s)]
    assert leaks == []
    assert mode(s.landing_dir / "skr_survey" / "abc" / "answers.parquet") == 0o600
    assert mode(s.landing_dir / "skr_survey") == 0o700
    assert mode(s.published_warehouse) == 0o644 and mode(s.warehouse_dir) == 0o755
    assert mode(s.status_dir / "index.html") == 0o644
    assert mode(s.report_output_dir / "2023" / "arsrapport.html") == 0o644
