"""The corpus mixed into the sample input, through the nightly flow twice: the night completes
and publishes, every other county's marts equal the clean run, every bad file is quarantined and
named in the alert and in fct_submission_version, and the second night does the same."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.nightly import run_nightly
from folkhalsa.landing import sha256_file
from folkhalsa.settings import get_settings
from returns_corpus import COUNTY, CORPUS, write_corpus
from tests.smtp_fixture import smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.flow]
# The county the corpus files claim; every other county must come out as in the clean run.
COMPARED = ["fct_actor", "fct_activity", "fct_need", "fct_grant", "mart_county_scorecard",
            "mart_national_picture", "mart_grant_reconciliation"]
BAD = {name for name, _, code, _ in CORPUS if code != 0}


def _mixed_input(sample: Path, corpus: dict[str, Path], dest: Path) -> dict[str, Path]:
    """The sample input plus every corpus file, named lansrapport_24_2022_<case> like a resubmission."""
    shutil.copytree(sample, dest)
    placed = {}
    for name, src in corpus.items():
        target = dest / "returns" / "corpus" / f"lansrapport_{COUNTY}_2022_{name}{src.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, target)
        placed[name] = target
    return placed


def _rows(con, table: str) -> list[tuple]:
    cols = [c for c, in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
        "order by ordinal_position", [table]).fetchall()
        if not c.endswith("_at") and c not in ("batch_id", "source_file", "current_version_file")]
    return con.execute(f"select {', '.join(cols)} from marts.{table} where county_code <> ? order by all",
                       [COUNTY]).fetchall()


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: _rows(con, t) for t in COMPARED}
    finally:
        con.close()


def _settings(inp: Path, out: Path, port: int):
    return get_settings(input_dir=inp, output_dir=out, render="never", smtp_host="127.0.0.1", smtp_port=port,
                        smtp_timeout_s=10, alert_to=["analytiker@fohm.invalid"])


def test_corpus_in_the_nightly_flow_twice(pipeline_run, sample_dir, tmp_path):
    clean_settings, clean = pipeline_run   # the clean night on the sample (conftest)
    assert clean["published"], clean["stages"]
    expected = _marts(clean_settings.published_warehouse)

    placed = _mixed_input(sample_dir, write_corpus(tmp_path / "corpus"), tmp_path / "in")
    out = tmp_path / "out"
    for night in (1, 2):
        with smtp_server() as srv:
            summary = run_nightly(_settings(tmp_path / "in", out, srv.port))
            messages = list(srv.messages)
        failed = [s for s in summary["stages"] if s["status"] == "failed"]
        assert not failed and summary["published"], (night, summary["stages"])
        assert _marts(out / "warehouse" / "folkhalsa.duckdb") == expected, f"night {night}: other counties changed"

        rejected = {r["file"] for r in summary["rejected"]}
        assert {placed[n].name for n in BAD} <= rejected, (night, sorted({placed[n].name for n in BAD} - rejected))
        if night == 1:
            assert len(messages) == 1
            body = messages[0].message.get_body(("plain",)).get_content()
            missing = [n for n in BAD if placed[n].name not in body]
            assert not missing, f"not named in the alert: {missing}"

    quarantine = out / "quarantine"
    for name in BAD:
        sha = sha256_file(placed[name])
        assert (quarantine / sha[:16]).is_dir(), f"{name} not quarantined"

    con = duckdb.connect(str(out / "warehouse" / "folkhalsa.duckdb"), read_only=True)
    versions = {f: (c, y, s) for f, c, y, s in con.execute(
        "select source_file, county_code, year, status from marts.fct_submission_version").fetchall()}
    con.close()
    for name in BAD:
        assert versions.get(placed[name].name) == (COUNTY, 2022, "rejected"), (name, versions.get(placed[name].name))
