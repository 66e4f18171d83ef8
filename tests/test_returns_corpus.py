"""The county-return corpus (tests/returns_corpus.py): every file gets its exact check-return exit
code, no file takes more than 1 GB or 30 s, and a reader that crashes or overruns quarantines its
file once, never the night."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from folkhalsa import isolation
from folkhalsa.isolation import WorkerPool
from folkhalsa.sources.returns import check_return, land_returns
from folkhalsa.io.workbook import UnreadableFile
from returns_corpus import CORPUS, HOSTILE, write_corpus

pytestmark = pytest.mark.slow
EXPECTED = {name: (code, rules) for name, _, code, rules in CORPUS}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def outcomes(corpus) -> dict[str, isolation.Outcome]:
    """Every corpus file through the production pool: 1 GB, 30 s, two reused workers."""
    by_path = {p: n for n, p in corpus.items()}
    with WorkerPool(memory_limit=1 << 30, time_limit=30) as pool:
        out = {by_path[p]: o for p, o in pool.map(check_return, list(corpus.values()))}
        assert pool.replaced == 0, "no corpus file may crash or overrun a worker"
    return out


def exit_code(outcome: isolation.Outcome) -> tuple[int, set[str]]:
    """check-return's exit code for one outcome, and the rules it reported."""
    if outcome.ok:
        return (0 if outcome.value.ok else 1), {i.rule for i in outcome.value.issues}
    assert isinstance(outcome.value, UnreadableFile), outcome.detail
    return 2, {"unreadable"}


def test_corpus_is_large_and_covers_every_class():
    codes = Counter(code for _, _, code, _ in CORPUS)
    assert len(CORPUS) >= 60 and min(codes.values()) >= 10, codes
    assert {"decompression_bomb_300_mb", "billion_laughs_workbook", "external_entity_in_sheet",
            "stray_cell_XFD1048576", "text_cell_10_mb", "actors_100000_rows"} <= HOSTILE


@pytest.mark.parametrize("name", [c[0] for c in CORPUS])
def test_exit_code_and_rules(outcomes, name):
    code, rules = exit_code(outcomes[name])
    want_code, want_rules = EXPECTED[name]
    assert code == want_code, f"{name}: exit {code}, rules {sorted(rules)}"
    assert want_rules <= rules, f"{name}: expected {sorted(want_rules)}, got {sorted(rules)}"
    if want_code == 0:
        notes = {i.rule for i in outcomes[name].value.notes}
        # A normalisation is a note, never an error; and it says what the value was read as.
        assert all(i.severity != "error" for i in outcomes[name].value.issues)
        assert all("read as" in i.message_sv for i in outcomes[name].value.notes), notes


def test_no_file_takes_more_than_1_gb_or_30_s(outcomes):
    worst = max(outcomes.items(), key=lambda kv: kv[1].peak_rss_mb)
    slowest = max(outcomes.items(), key=lambda kv: kv[1].seconds)
    print(f"\npeak RSS {worst[1].peak_rss_mb:.0f} MB ({worst[0]}); slowest {slowest[1].seconds:.2f} s ({slowest[0]})")
    for name, o in outcomes.items():
        assert o.peak_rss_mb < 1024 and o.seconds < 30, (name, o.peak_rss_mb, o.seconds)
    assert worst[1].peak_rss_mb > 0


def test_normalised_values_land_in_canonical_form(outcomes):
    actors = outcomes["lowercase_codes"].value.tables["actors"]
    assert {a["actor_type"] for a in actors} <= {"Kommun", "Region", "Idéburen organisation", "Statlig myndighet",
                                                  "Lärosäte", "Näringsliv", "Annan"}
    mac = outcomes["mac_export_all_at_once"].value
    good = outcomes["good"].value
    assert mac.tables == good.tables  # the Mac export reads exactly as the clean file


# One file per exit code and every hostile kind, through the real command line.
CLI_CASES = ["good", "mac_export_all_at_once", "amount_dot_thousands", "sheet_year_2021_in_2022_file",
             "stray_cell_XFD1048576", "text_cell_10_mb", "decompression_bomb_300_mb", "billion_laughs_workbook",
             "external_entity_in_sheet", "empty_file"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_check_return_command(corpus, name):
    exe = Path(sys.executable).with_name("folkhalsa")
    proc = subprocess.run([str(exe), "check-return", str(corpus[name])], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXPECTED[name][0], proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for rule in EXPECTED[name][1]:
        assert f"[{rule}]" in proc.stdout


def _inbox(corpus, tmp_path, names) -> Path:
    inbox = tmp_path / "inbox"
    for n in names:
        dest = inbox / n
        dest.mkdir(parents=True)
        src = corpus[n]
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / src.name)
    return inbox


def test_reader_over_its_limit_quarantines_that_file_once(corpus, tmp_path, monkeypatch):
    """A worker that overruns is killed and replaced; its file is rejected with the reason and
    quarantined, and later nights skip it (never retried) until a new version arrives."""
    # A limit no parse can meet stands in for a reader that hangs: every file overruns.
    monkeypatch.setattr(isolation, "TIME_LIMIT_S", 0.001)
    inbox = _inbox(corpus, tmp_path, ["good", "lowercase_codes"])
    landing, archive, quarantine = tmp_path / "landing", tmp_path / "archive", tmp_path / "quarantine"
    first = land_returns(inbox, landing, archive, quarantine)
    assert len(first.landed) == 2 and len(first.rejected) == 2
    assert all("reader_failed" in r.errors[0].message() and "timeout" in r.errors[0].message()
               for r in first.rejected)
    reports = list(quarantine.rglob("*.fel.txt"))
    assert len(reports) == 2 and all("reader_failed" in r.read_text("utf-8") for r in reports)
    subs = pl.read_parquet(landing / "returns" / "*" / "submission.parquet")
    # Version history keeps them, with county and year from the file name.
    assert subs.select("county_code", "year", "status").rows() == [("24", 2022, "rejected")] * 2

    monkeypatch.setattr(isolation, "TIME_LIMIT_S", 30.0)
    second = land_returns(inbox, landing, archive, quarantine)  # same files: not parsed again
    assert second.landed == [] and len(second.skipped) == 2 and len(second.rejected) == 2

    new = next((inbox / "good").iterdir())
    wb = load_workbook(new)
    wb["Aktörer"]["B2"] = "Umeå kommun (rättad)"
    wb.save(new)  # a new version, a new hash: read again
    third = land_returns(inbox, landing, archive, quarantine)
    assert len(third.landed) == 1 and len(third.rejected) == 1  # the unchanged one stays rejected


def test_pool_survives_abort_segfault_memory_and_hang(tmp_path):
    """Real failures in a worker: abort (as calamine's allocation failure did), a segfault, an
    allocation over the memory limit, a hang. Each fails alone, the worker is replaced, the
    next item is parsed by a fresh one."""
    helper = tmp_path / "crashers.py"
    helper.write_text(
        "import ctypes, os, time\n"
        "def work(kind):\n"
        "    if kind == 'abort': os.abort()\n"
        "    if kind == 'segv': ctypes.string_at(0)\n"
        "    if kind == 'hog': return len(bytearray(3 << 30))\n"
        "    if kind == 'hang': time.sleep(60)\n"
        "    return kind\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import crashers

        with WorkerPool(workers=1, memory_limit=1 << 30, time_limit=3, preload=["crashers"]) as pool:
            got = {item: o for item, o in pool.map(crashers.work, ["ok1", "abort", "segv", "hog", "hang", "ok2"])}
            assert pool.replaced == 3  # abort, segv, hang; the refused allocation keeps its worker
    finally:
        sys.path.remove(str(tmp_path))
    assert got["ok1"].ok and got["ok2"].ok and got["ok2"].value == "ok2"
    assert (got["abort"].reason, got["segv"].reason) == ("crash", "crash")
    assert "SIGABRT" in got["abort"].detail and "SIGSEGV" in got["segv"].detail
    assert got["hog"].reason == "memory" and got["hang"].reason == "timeout"
