"""Landing county returns: isolation, quarantine, resubmissions and idempotence."""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook

from folkhalsa.sample.returns import write_sample_returns
from folkhalsa.sources.returns import check_return, land_returns
from folkhalsa.io.workbook import UnreadableFile


@pytest.fixture(scope="module")
def returns_2022(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("returns")
    write_sample_returns(out, years=(2022,))
    return out / "2022"


def _dirs(tmp_path):
    return tmp_path / "landing", tmp_path / "archive", tmp_path / "quarantine"


def _landed(landing: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(landing / "returns" / "*" / f"{table}.parquet")


def test_one_broken_return_among_21(returns_2022, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(returns_2022, inbox)
    (inbox / "lansrapport_09_2022_v1.xlsx").unlink()  # 21 returns, one per county
    broken = inbox / "lansrapport_12_2022.xlsx"
    wb = load_workbook(broken)
    wb["Insatser"]["B2"] = 11
    wb.save(broken)
    landing, archive, quarantine = _dirs(tmp_path)

    result = land_returns(inbox, landing, archive, quarantine)

    assert len(result.landed) == 21
    assert [r.file for r in result.rejected] == ["lansrapport_12_2022.xlsx"]
    first_error = result.rejected[0].errors[0]
    assert first_error.rule == "target_area" and first_error.row == 2 and "rad/row 2" in first_error.message()
    subs = _landed(landing, "submission")
    assert subs.filter(pl.col("status") == "accepted").height == 20
    assert set(_landed(landing, "activities")["_source_file"].unique()) == {
        p.name for p in inbox.iterdir() if p.name != broken.name}
    q = list(quarantine.rglob("*lansrapport_12_2022.xlsx"))
    assert len(q) == 1 and Path(str(q[0]) + ".fel.txt").read_text("utf-8").count("target_area") == 1
    assert len(list(archive.rglob("*.xlsx"))) == 21  # every original, rejected ones too


def test_identical_file_changes_nothing(returns_2022, tmp_path):
    landing, archive, quarantine = _dirs(tmp_path)
    first = land_returns(returns_2022, landing, archive, quarantine)
    before = sorted(p.stat().st_mtime_ns for p in landing.rglob("*.parquet"))
    second = land_returns(returns_2022, landing, archive, quarantine)
    assert len(first.landed) == 22 and second.landed == [] and len(second.skipped) == 22
    assert sorted(p.stat().st_mtime_ns for p in landing.rglob("*.parquet")) == before


def test_resubmission_keeps_both_versions(returns_2022, tmp_path):
    landing, archive, quarantine = _dirs(tmp_path)
    land_returns(returns_2022, landing, archive, quarantine)
    subs = _landed(landing, "submission").filter(pl.col("county_code") == "09")
    assert subs.height == 2
    assert sorted(subs["_source_file"]) == ["lansrapport_09_2022_v1.xlsx", "lansrapport_09_2022_v2.xlsx"]


def test_provenance_columns(returns_2022, tmp_path):
    landing, archive, quarantine = _dirs(tmp_path)
    land_returns(returns_2022, landing, archive, quarantine)
    acts = _landed(landing, "activities")
    for col in ("_batch_id", "_source_file", "_sha256", "_sheet", "_row", "_received_at"):
        assert acts[col].null_count() == 0, col
    assert set(acts["_sheet"]) == {"Insatser"} and acts["_row"].min() == 2
    assert "contact_email" not in _landed(landing, "actors").columns


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048))
def test_no_byte_string_crashes_the_reader(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "lansrapport_01_2022.xlsx"
    path.write_bytes(data)
    try:
        check_return(path)
    except UnreadableFile:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=30000), flip=st.integers(min_value=0, max_value=255),
       pos=st.integers(min_value=0, max_value=30000))
def test_mangled_workbook_never_crashes(returns_2022, tmp_path_factory, cut, flip, pos):
    data = bytearray((returns_2022 / "lansrapport_01_2022.xlsx").read_bytes())
    if pos < len(data):
        data[pos] = flip
    data = data[: max(cut, 1)] if cut < len(data) else data
    path = tmp_path_factory.mktemp("mangled") / "lansrapport_01_2022.xlsx"
    path.write_bytes(bytes(data))
    try:
        parsed = check_return(path)
        assert isinstance(parsed.ok, bool)
    except UnreadableFile:
        pass


def _resubmit(src: Path, dest: Path, mutate) -> Path:
    wb = load_workbook(src)
    wb["Uppgifter"]["B5"] = "2023-03-25"  # later than the first version: it would become current
    mutate(wb)
    wb.save(dest)
    return dest


def test_shrinking_resubmission_is_held_for_review_and_accepted_by_command(returns_2022, tmp_path):
    from folkhalsa.sources.returns import accept_return, current_version, pending_reviews

    landing, archive, quarantine = _dirs(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy2(returns_2022 / "lansrapport_12_2022.xlsx", inbox)
    land_returns(inbox, landing, archive, quarantine)
    first = current_version(landing, "12", 2022)
    # A resubmission whose Insatser table is empty: valid (an empty table only warns), but held.
    _resubmit(inbox / "lansrapport_12_2022.xlsx", inbox / "lansrapport_12_2022_v2.xlsx",
              lambda wb: wb["Insatser"].delete_rows(2, wb["Insatser"].max_row))
    result = land_returns(inbox, landing, archive, quarantine)
    held = [w for w in result.warnings if w.rule == "pending_review"]
    assert len(held) == 1 and "activities" in held[0].message() and "folkhalsa accept-return" in held[0].message()
    assert result.rejected == []
    assert current_version(landing, "12", 2022)["sha256"] == first["sha256"]
    subs = _landed(landing, "submission").filter(pl.col("county_code") == "12")
    assert sorted(subs["status"]) == ["accepted", "pending_review"]
    assert len(pending_reviews(landing)) == 1

    accepted = accept_return(landing, held[0].sha256[:12])
    assert accepted["file"] == "lansrapport_12_2022_v2.xlsx"
    assert current_version(landing, "12", 2022)["file"] == "lansrapport_12_2022_v2.xlsx"
    assert pending_reviews(landing) == []
    subs = _landed(landing, "submission").filter(pl.col("county_code") == "12")
    assert sorted(subs["status"]) == ["accepted", "accepted"]
    with pytest.raises(LookupError):
        accept_return(landing, "lansrapport_12_2022_v2.xlsx")  # nothing left to accept


def test_growing_resubmission_replaces_without_review(returns_2022, tmp_path):
    landing, archive, quarantine = _dirs(tmp_path)
    result = land_returns(returns_2022, landing, archive, quarantine)  # 09 v1 (3 activities), then v2
    assert not [w for w in result.warnings if w.rule == "pending_review"]
    subs = _landed(landing, "submission").filter(pl.col("county_code") == "09")
    assert sorted(subs["status"]) == ["accepted", "accepted"]
