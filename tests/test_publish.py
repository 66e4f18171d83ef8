"""Atomic publish: a killed run leaves the published warehouse byte-identical; history keeps N;
two runs never overlap; a rerun with no new input skips the build.

The runs are real `folkhalsa run` subprocesses on one year (2022) of the synthetic sample input.
The scenario is a chain of module fixtures: publish -> killed mid-build -> recovered -> rerun.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from folkhalsa.runstate import RunLocked, run_lock
from folkhalsa.sample.generate import write_sample_data
from folkhalsa.settings import Settings
from folkhalsa.sources.returns import discover_returns
from folkhalsa.warehouse import publish
from tests.tiers import heavy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "folkhalsa", "run", "--years", "2022", "--render", "never"]
RESUBMISSION = "lansrapport_09_2022_v2.xlsx"  # county 09 sends a second version: the "new input"
DEADLINE_S = 300  # a guard against hanging, not a speed requirement


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _env() -> dict[str, str]:
    # Only the command-line options configure the run; no FOLKHALSA_* of the developer's leaks in.
    return {k: v for k, v in os.environ.items() if not k.startswith("FOLKHALSA_")} | {"FOLKHALSA_SMTP_HOST": ""}


def run_cli(inp: Path, out: Path, cli: list[str] = CLI, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*cli, "--input", str(inp), "--output", str(out)], env={**_env(), **(env or {})},
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=DEADLINE_S)


# A stand-in for Quarto, for the mode walk only (rendering itself is tested in test_reports.py): it
# writes the report where Quarto would, with whatever mode the process umask gives.
FAKE_QUARTO = """#!/bin/sh
mkdir -p _output && printf '<html><body>Exempeldata</body></html>' > _output/arsrapport.html
"""


def fake_quarto(folder: Path) -> Path:
    path = folder / "quarto"
    path.write_text(FAKE_QUARTO)
    path.chmod(0o755)
    return path


def modes_problems(out: Path) -> list[str]:
    """Every path under the output that others can read but may not, or that should be
    owner-only and is not (issue 28)."""
    from folkhalsa.filemodes import allowed_public, readable_by_others

    settings = Settings(_env_file=None, output_dir=out)
    problems = [f"readable by others: {p} {oct(p.stat().st_mode & 0o777)}"
                for p in readable_by_others(out) if not allowed_public(p, settings)]
    for p in out.rglob("*"):
        if p.is_symlink() or allowed_public(p, settings):
            continue
        want = 0o700 if p.is_dir() else 0o600
        if p.stat().st_mode & 0o777 != want:
            problems.append(f"not owner-only: {p} {oct(p.stat().st_mode & 0o777)}")
    return problems


def summary(out: Path) -> dict:
    return json.loads((out / "run_summary.json").read_text("utf-8"))


def stages(out: Path) -> dict[str, dict]:
    return {s["name"]: s for s in summary(out)["stages"]}


def candidates(out: Path) -> list[Path]:
    """The build in progress: beside the restricted warehouse, never in warehouse/ (issue 28)."""
    return sorted([*(out / "restricted").glob(".candidate*"), *(out / "warehouse").glob(".candidate*")])


def history(out: Path) -> list[Path]:
    return sorted((out / "warehouse" / "history").glob("folkhalsa-*.duckdb"))


def files_under(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def models_built(out: Path) -> int:
    log = out / "logs" / "dbt.log"
    return log.read_text("utf-8", "replace").count("OK created") if log.exists() else 0


# ------------------------------------------------------------------ the scenario


@pytest.fixture(scope="module")
@heavy("flow")
def published(tmp_path_factory):
    """First run: the 2022 sample without county 09's resubmission; it builds and publishes."""
    tmp = tmp_path_factory.mktemp("publish")
    pool = tmp / "sample"
    write_sample_data(pool, years=(2022,))
    inp, out = tmp / "in", tmp / "out"
    shutil.copytree(pool, inp, ignore=shutil.ignore_patterns(RESUBMISSION))
    # This night also renders (html, with a stand-in Quarto), so the mode walk sees reports.
    cli = [c for c in CLI if c not in ("--render", "never")] + ["--render", "always"]
    res = run_cli(inp, out, cli, {"FOLKHALSA_QUARTO": str(fake_quarto(tmp)), "FOLKHALSA_RENDER_FORMATS": '["html"]'})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    warehouse = out / "warehouse" / "folkhalsa.duckdb"
    assert summary(out)["published"] and warehouse.exists(), res.stdout[-3000:]
    return {"pool": pool, "inp": inp, "out": out, "warehouse": warehouse, "sha": sha256(warehouse),
            "returns": len(discover_returns(inp / "returns")), "modes": modes_problems(out)}


@pytest.fixture(scope="module")
def killed(published):
    """The resubmission arrives; the next run is SIGKILLed while dbt is building the candidate."""
    p = published
    new = next(p["pool"].rglob(RESUBMISSION))
    shutil.copy2(new, p["inp"] / "returns" / new.parent.name / new.name)
    built_before = models_built(p["out"])
    with (p["out"].parent / "killed-run.log").open("wb") as log:
        proc = subprocess.Popen([*CLI, "--input", str(p["inp"]), "--output", str(p["out"])], env=_env(),
                                cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Mid-build: the candidate file exists and dbt has created a few models in it.
        end = time.monotonic() + DEADLINE_S
        while not (candidates(p["out"]) and models_built(p["out"]) >= built_before + 3):
            assert proc.poll() is None, "the run ended before it could be killed mid-build"
            assert time.monotonic() < end, "dbt build never started"
            time.sleep(0.05)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: the CLI and Prefect's server
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    left = candidates(p["out"])
    return {"returncode": proc.returncode, "left": left, "modes": modes_problems(p["out"]),
            "left_modes": {c.name: c.stat().st_mode & 0o777 for c in left}}


@pytest.fixture(scope="module")
def recovered(published, killed):
    """The run after the killed one: it removes the stale candidate and publishes."""
    res = run_cli(published["inp"], published["out"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


@pytest.fixture(scope="module")
def rerun(published, recovered):
    """Once more with nothing new."""
    out = published["out"]
    before = {"warehouse": sha256(published["warehouse"]), "landing": files_under(out / "landing"),
              "history": history(out)}
    res = run_cli(published["inp"], out)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return before


@pytest.mark.slow
def test_killed_run_leaves_the_published_warehouse_byte_identical(published, killed):
    assert killed["returncode"] == -signal.SIGKILL
    assert killed["left"], "the kill should have left a half-built candidate behind"
    assert sha256(published["warehouse"]) == published["sha"]
    assert history(published["out"]) == []  # nothing was published, so nothing was moved to history
    # Readers still get a complete warehouse: it opens and holds the first run's returns.
    with duckdb.connect(str(published["warehouse"]), read_only=True) as con:
        n = con.execute("select count(*) from marts.fct_submission_version").fetchone()[0]
    assert n == published["returns"]


@pytest.mark.slow
def test_modes_after_a_night(published):
    """Issue 28: after a night (landed survey answers, archive, quarantine, feedback, restricted
    warehouse, state, logs), only the published warehouse, the reports and the status page are
    readable by others; everything else is 0600/0700, the root 0711."""
    out = published["out"]
    assert published["modes"] == []
    assert (out.stat().st_mode & 0o777) == 0o711
    for public in ("warehouse/folkhalsa.duckdb", "status/index.html", "reports/2022/arsrapport.html"):
        assert (out / public).stat().st_mode & 0o777 == 0o644, public
    answers = list((out / "landing" / "skr_survey").rglob("*.parquet"))
    assert answers and all(a.stat().st_mode & 0o777 == 0o600 for a in answers)
    assert (out / "restricted" / "folkhalsa_restricted.duckdb").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_modes_after_a_killed_build(published, killed):
    """Issue 28: a build SIGKILLed mid-dbt leaves its candidate owner-only, outside warehouse/, and
    nothing under the output readable by others but the public parts."""
    assert killed["left"] and all(c.parent.name == "restricted" for c in killed["left"]), killed["left"]
    assert set(killed["left_modes"].values()) == {0o600}, killed["left_modes"]
    assert killed["modes"] == []


@pytest.mark.slow
def test_the_next_run_cleans_the_stale_candidate_and_publishes(published, killed, recovered):
    out = published["out"]
    assert candidates(out) == []
    assert summary(out)["published"]
    assert stages(out)["publish"]["status"] == "ok"
    # The killed run had already landed the resubmission; this run builds from it.
    assert sha256(published["warehouse"]) != published["sha"]
    with duckdb.connect(str(published["warehouse"]), read_only=True) as con:
        n = con.execute("select count(*) from marts.fct_submission_version").fetchone()[0]
    assert n == published["returns"] + 1
    # The warehouse it replaced is kept, byte for byte, in history/.
    assert [sha256(h) for h in history(out)] == [published["sha"]]


@pytest.mark.slow
def test_rerun_with_no_new_input_skips_ingestion_and_build(published, rerun):
    out = published["out"]
    s = stages(out)
    # `folkhalsa run` sees every input already landed and nothing changed: it lands nothing at all.
    # (A deployment run goes through the flow and lands 0 new: see test_deployment.py.)
    assert s["check inputs"]["detail"].startswith("inga nya indata")
    assert not [name for name in s if name.startswith("land ")]
    for name in ("dbt build", "gx checkpoint", "publish", "render"):
        assert s[name]["status"] == "skipped", s[name]
        assert s[name]["detail"].startswith("inga nya indata"), s[name]
    assert files_under(out / "landing") == rerun["landing"]
    assert sha256(published["warehouse"]) == rerun["warehouse"]
    assert history(out) == rerun["history"]


# ------------------------------------------------------------------ publish() and the run lock


def _settings(tmp_path: Path, keep: int) -> Settings:
    return Settings(output_dir=tmp_path / "out", keep_published=keep)


def _warehouse(path: Path, value) -> Path:
    """A built candidate in miniature: one published table and one restricted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema restricted")
        con.execute("create table marts.t as select ? as v", [value])
        con.execute("create table restricted.answers as select 'free text' as free_text")
    return path


def _candidate(settings: Settings, text: str) -> Path:
    return _warehouse(settings.warehouse_dir / f".candidate-{text}.duckdb", text)


def _value(path: Path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select v from marts.t").fetchone()[0]


@pytest.mark.parametrize("keep", [0, 2])
def test_publish_keeps_the_last_n_published_warehouses(tmp_path, keep):
    settings = _settings(tmp_path, keep)
    for version in ("v1", "v2", "v3", "v4"):
        publish(_candidate(settings, version), settings)
    assert _value(settings.published_warehouse) == "v4"
    kept = sorted((settings.warehouse_dir / "history").glob("folkhalsa-*.duckdb"))
    assert [_value(p) for p in kept] == ["v1", "v2", "v3"][3 - keep:]  # the newest, in order
    assert list(settings.warehouse_dir.glob(".candidate*")) == []
    assert _value(settings.restricted_warehouse) == "v4"


def test_publish_leaves_the_restricted_schema_out_of_the_published_file(tmp_path):
    settings = _settings(tmp_path, 1)
    publish(_candidate(settings, "v1"), settings)
    with duckdb.connect(str(settings.published_warehouse), read_only=True) as con:
        assert con.execute("select distinct table_schema from information_schema.tables").fetchall() == [("marts",)]
    with duckdb.connect(str(settings.restricted_warehouse), read_only=True) as con:
        assert con.execute("select free_text from restricted.answers").fetchall() == [("free text",)]


def test_a_reader_of_the_old_warehouse_is_not_disturbed_by_publish(tmp_path):
    settings = _settings(tmp_path, 1)
    settings.warehouse_dir.mkdir(parents=True)
    publish(_warehouse(settings.warehouse_dir / ".candidate-a.duckdb", 1), settings)
    reader = duckdb.connect(str(settings.published_warehouse), read_only=True)
    try:
        publish(_warehouse(settings.warehouse_dir / ".candidate-b.duckdb", 2), settings)
        assert reader.execute("select v from marts.t").fetchone() == (1,)  # still the file it opened
    finally:
        reader.close()
    assert _value(settings.published_warehouse) == 2


HOLD_LOCK = """
import sys
from pathlib import Path
from folkhalsa.runstate import run_lock
from folkhalsa.settings import Settings
from folkhalsa.sources.returns import discover_returns

with run_lock(Settings(output_dir=Path(sys.argv[1]))):
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the test closes stdin
"""


def test_a_second_run_is_refused_while_one_holds_the_lock(tmp_path):
    out, inp = tmp_path / "out", tmp_path / "in"
    inp.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], cwd=PROJECT_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked, match="En annan körning pågår"):
            with run_lock(Settings(output_dir=out)):
                pass
        res = run_cli(inp, out)  # the command line says so and exits 3
        assert res.returncode == 3, res.stdout[-2000:] + res.stderr[-2000:]
        assert "another run is in progress" in res.stderr
        assert not (out / "run_summary.json").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with run_lock(Settings(output_dir=out)):  # released when the first run ends
        pass
