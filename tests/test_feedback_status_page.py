"""The nightly run's feedback: workbooks next to quarantined and warned returns, listed in the run
summary; mart_submission_status; and the status page, opened in headless Chromium.

Input: the sample data plus a rejected second version from county 24 (2022), and without county
01's 2023 return (missing): the session's "bad inputs" night (tests/bad_inputs.py, shared with the
survey end-to-end test).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from folkhalsa.feedback.status_page import STATUS_COLOURS

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "data" / "output" / "test-artifacts" / "status-page"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.slow, pytest.mark.flow]


@pytest.fixture(scope="module")
def night(bad_inputs_run):
    """The session's "bad inputs" night (tests/bad_inputs.py): the input this module's docstring names,
    plus two bad survey exports."""
    return bad_inputs_run["settings"], bad_inputs_run["summary"]


def test_feedback_files_next_to_quarantined_and_warned_returns(night):
    settings, summary = night
    files = [Path(f) for f in summary["feedback"]["files"]]
    rejected = [f for f in files if settings.quarantine_dir in f.parents]
    warned = [f for f in files if settings.feedback_dir in f.parents]
    assert [f.name for f in rejected] == ["lansrapport_24_2022_v2.återkoppling.xlsx"]
    # The quarantined copy lies in the same folder.
    assert any(p.name.endswith("__lansrapport_24_2022_v2.xlsx") for p in rejected[0].parent.iterdir())
    # The sample's warned returns (13/2022 repaid_mismatch, 23/2022 empty Behov, ...) get theirs.
    assert {f.parent.name for f in warned} >= {"13", "23"}
    assert all(f.exists() for f in files)
    table = (settings.output_dir / "run_summary.json").read_text("utf-8")
    assert "lansrapport_24_2022_v2.återkoppling.xlsx" in table
    assert "exempel.invalid" not in table  # no contact address in the summary


def test_mart_submission_status(night):
    settings, _ = night
    con = duckdb.connect(str(settings.published_warehouse), read_only=True)
    rows = con.execute("select county_code, year, status, version_number, version_count, "
                       "current_version_number, feedback_file from marts.mart_submission_status").fetchall()
    cols = [r[0] for r in con.execute("describe marts.mart_submission_status").fetchall()]
    con.close()
    assert len(rows) == 42 and len({(r[0], r[1]) for r in rows}) == 42
    by = {(r[0], r[1]): r for r in rows}
    assert by[("24", 2022)][2:6] == ("rejected", 2, 2, 1)
    assert by[("24", 2022)][6] == "lansrapport_24_2022_v2.återkoppling.xlsx"
    assert by[("01", 2023)][2] == "missing" and by[("01", 2023)][6] is None
    assert by[("13", 2022)][2] == "warnings"
    assert by[("01", 2022)][2] == "accepted" and by[("01", 2022)][6] is None
    assert not {"contact_name", "contact_email"} & set(cols)


def _contrast(fg: str, bg: str) -> float:
    def lum(h):
        rgb = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_status_colours_have_contrast():
    for status, (fg, bg) in STATUS_COLOURS.items():
        assert _contrast(fg, bg) >= 7, status


def test_status_page_in_headless_chromium(night, tmp_path):
    settings, summary = night
    page = settings.status_dir / "index.html"
    assert summary["files"]["status page"] == str(page)
    html = page.read_text("utf-8")
    assert '<html lang="sv">' in html and "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert "<script" not in html and "exempel.invalid" not in html
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: apt-get install -y chromium")
    profile = tmp_path / "profile"
    shot = tmp_path / "status.png"
    common = CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]
    dom = subprocess.run([CHROMIUM, *common, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    subprocess.run([CHROMIUM, *common, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
                   capture_output=True, timeout=120)
    print(f"screenshot: {shot}")
    assert shot.exists() and shot.stat().st_size > 10_000
    for year in (2022, 2023):
        table = re.search(rf'<table id="ar-{year}">(.*?)</table>', dom, re.S).group(1)
        counties = re.findall(r'<th scope="row">([^<]+)</th>', table)
        assert len(counties) == 21, (year, counties)
    assert "Avvisad" in dom and "Saknas" in dom and "Godkänd med varningar" in dom
    # The page is readable by others, the workbook (county contacts) is not: the page links to no
    # private file; it names the rejected version's workbook and the folder where analysts find it.
    assert "href=" not in dom and ".xlsx\"" not in dom
    folder = re.search(r'lansrapport_24_2022_v2\.återkoppling\.xlsx</span><br><span class="where">i utdatamappen, '
                       r'<code>([^<]+)/</code>', dom).group(1)
    assert (settings.output_dir / folder / "lansrapport_24_2022_v2.återkoppling.xlsx").exists()
    # Kept where a person can look at it after the run (data/output is git-ignored).
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "status.png")
    (ARTIFACTS / "status.dom.html").write_text(dom, "utf-8")
