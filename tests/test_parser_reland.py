"""A parser fix reaches data already landed: the parser version is in each batch manifest, and a
change re-lands the affected inputs (from the archive when the input is gone), and the summary says so."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from folkhalsa.landing import read_manifest
from folkhalsa.pipeline import record_landing
from folkhalsa.sample.returns import write_sample_returns
from folkhalsa.sources import returns
from folkhalsa.summary import RunSummary, render_table


@pytest.fixture(scope="module")
def three_returns(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("returns")
    write_sample_returns(out, years=(2022,))
    inbox = tmp_path_factory.mktemp("inbox")
    for p in sorted((out / "2022").glob("*.xlsx"))[:3]:
        shutil.copy2(p, inbox / p.name)
    return inbox


def _land(inbox: Path, tmp: Path):
    return returns.land_returns(inbox, tmp / "landing", tmp / "archive", tmp / "quarantine")


def _actors(tmp: Path) -> pl.DataFrame:
    return pl.read_parquet(tmp / "landing" / "returns" / "*" / "actors.parquet")


def test_a_parser_change_relands_from_the_archive(three_returns, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    shutil.copytree(three_returns, inbox)
    # The "parser" includes this file; editing it is editing the parser.
    parser_file = tmp_path / "parser_part.py"
    parser_file.write_text("VERSION = 1\n")
    monkeypatch.setattr(returns.LANDING, "parser_files", returns.LANDING.parser_files + (str(parser_file),))

    # A buggy parser: it loses every actor.
    real_tables = returns.return_tables
    monkeypatch.setattr(returns, "return_tables",
                        lambda parsed: {**real_tables(parsed), "actors": real_tables(parsed)["actors"].clear()})
    first = _land(inbox, tmp_path)
    assert len(first.landed) == 3 and first.relanded == [] and _actors(tmp_path).height == 0
    v1 = read_manifest(tmp_path / "landing", "returns", first.landed[0])["parser"]

    # Nothing changed: nothing is re-landed.
    again = _land(inbox, tmp_path)
    assert again.landed == [] and sorted(again.skipped) == sorted(first.landed)

    # The fix: the real table code, and the parser's code changes. One input has left the inbox
    # meanwhile (it is only in the archive).
    monkeypatch.setattr(returns, "return_tables", real_tables)
    parser_file.write_text("VERSION = 2  # actors fixed\n")
    gone = sorted(inbox.iterdir())[0]
    gone.unlink()
    fixed = _land(inbox, tmp_path)
    assert sorted(fixed.relanded) == sorted(first.landed), "all three batches re-landed, also the archived one"
    assert fixed.skipped == []
    assert _actors(tmp_path).height > 0
    assert set(_actors(tmp_path)["_source_file"]) == {p.name for p in three_returns.iterdir()}
    for bid in first.landed:
        m = read_manifest(tmp_path / "landing", "returns", bid)
        assert m["parser"] != v1 and m["parser"] == returns.LANDING.parser_version()

    summary = RunSummary(run_id="t", started_at="now")
    detail = record_landing(summary, fixed)
    assert "3 omlandade" in detail and "re-landed (parser changed)" in detail
    assert "omlandade/re-landed 3 (ny tolkningskod / parser changed)" in render_table(summary)

    # And once re-landed, the next run skips them again.
    assert _land(inbox, tmp_path).relanded == []


def test_parser_version_follows_the_parser_source(tmp_path, monkeypatch):
    part = tmp_path / "p.py"
    part.write_text("a = 1\n")
    monkeypatch.setattr(returns.LANDING, "parser_files", (str(part),))
    v1 = returns.LANDING.parser_version()
    assert returns.LANDING.parser_version() == v1
    part.write_text("a = 2\n")
    assert returns.LANDING.parser_version() != v1


def test_the_fingerprint_holds_the_parser_versions(tmp_path):
    from folkhalsa.landing import parser_versions
    from folkhalsa.pipeline import landing_sources
    from folkhalsa.runstate import fingerprint
    from folkhalsa.settings import get_settings

    fp = fingerprint(get_settings(output_dir=tmp_path), "abc", parser_versions(landing_sources()))
    assert set(fp["parsers"]) == {"returns", "skr_survey", "indicators", "population"}
    json.dumps(fp)
