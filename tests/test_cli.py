"""The folkhalsa command line, run as a user runs it: a real subprocess."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from folkhalsa.sample.returns import build_return
from folkhalsa.template import build_workbook

CLI = [sys.executable, "-m", "folkhalsa"]


def run(*args, cwd=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def good_return(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "lansrapport_03_2023.xlsx"
    build_workbook(build_return(random.Random(3), "03", 2023, 1)).save(path)
    return path


def test_help_lists_the_five_commands():
    out = run("--help").stdout
    for cmd in ("run", "check-return", "sample-data", "render", "serve"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["run", "check-return", "sample-data", "render", "serve", "template", "check-last-night"])
def test_every_command_has_help(cmd):
    res = run(cmd, "--help")
    assert res.returncode == 0 and "Usage" in res.stdout


def test_check_return_good(good_return):
    res = run("check-return", str(good_return))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "GODKÄND" in res.stdout


def test_check_return_broken_names_sheet_row_column_rule(good_return, tmp_path):
    wb = load_workbook(good_return)
    wb["Insatser"]["B4"] = 0
    wb["Ekonomi"]["B2"] = "mycket"
    path = tmp_path / good_return.name
    wb.save(path)
    res = run("check-return", str(path))
    assert res.returncode == 1
    assert "flik/sheet Insatser, rad/row 4, kolumn/column Målområde" in res.stdout
    assert "[target_area]" in res.stdout and "[not_a_number]" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


@pytest.mark.parametrize("name, content", [
    ("report.pdf", b"%PDF-1.4 not a return"),
    ("lansrapport.xlsx", b""),
    ("lansrapport2.xlsx", b"PK\x03\x04 corrupt zip"),
    ("encrypted.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
])
def test_check_return_unreadable_exits_2(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    res = run("check-return", str(path))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "[unreadable]" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_check_return_missing_file(tmp_path):
    res = run("check-return", str(tmp_path / "nope.xlsx"))
    assert res.returncode == 2 and "Traceback" not in res.stderr



def _with_output_dir(tmp_path: Path, *args: str) -> tuple[Path, str]:
    out = tmp_path / "srv-output"
    (out / "landing").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FOLKHALSA_OUTPUT_DIR": str(out)}
    res = subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    text = res.stdout + res.stderr
    assert res.returncode in (1, 2) and "Traceback" not in text, text
    return out, text


# An operator's FOLKHALSA_OUTPUT_DIR must reach every command, not only `run`.
def test_render_reads_the_warehouse_under_folkhalsa_output_dir(tmp_path):
    out, text = _with_output_dir(tmp_path, "render", "--year", "2023")
    assert f"no published warehouse at {out}/warehouse/folkhalsa.duckdb" in text


def test_accept_return_looks_for_held_versions_under_folkhalsa_output_dir(tmp_path):
    held = tmp_path / "srv-output" / "landing" / "returns" / "abc123" / "_manifest.json"
    held.parent.mkdir(parents=True)
    held.write_text(json.dumps({"file": "lansrapport_05_2023_v2.xlsx", "sha256": "ab" * 32,
                                "status": "pending_review"}), "utf-8")
    _, text = _with_output_dir(tmp_path, "accept-return", "deadbeef")
    assert "pending: lansrapport_05_2023_v2.xlsx (abababababababab)" in text
