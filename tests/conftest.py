"""Shared fixtures. Prefect runs against its own temporary home, never the user's ~/.prefect."""
from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="folkhalsa-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect's temporary API server gets 20 s to start; a busy 2-core CI machine can need more.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"

# ------------------------------------------------------------------ test tiers
#
# Heavy tests carry a marker per expensive thing they do; `make test-fast` deselects them all:
#   flow    runs the nightly Prefect flow (implies dbt and server: a night builds and starts Prefect's API)
#   dbt     runs a dbt build (dbtRunner or the dbt executable)
#   server  starts a Prefect API server
#   render  runs Quarto
#   slow    anything else that takes long (several nights, a PostgreSQL stack)
# Markers are applied three ways, so a new test cannot forget them:
#   1. by the fixtures a test uses (HEAVY_FIXTURES below, transitive: a fixture built on pipeline_run counts);
#   2. by hand (pytestmark / @pytest.mark.<tier>);
#   3. a guard: a test that starts a flow, dbt, a Prefect server or Quarto without its marker FAILS,
#      naming the marker it needs. So a heavy test can never slip into the fast tier unnoticed.
TIERS = ("flow", "dbt", "server", "render", "slow")
IMPLIES = {"flow": ("dbt", "server")}
FAST = "not (" + " or ".join(TIERS) + ")"

# Fixture name -> tiers of any test that uses it (directly or through another fixture). A fixture
# local to one test module is marked where it is defined instead: @heavy("dbt") from tests/tiers.py.
HEAVY_FIXTURES: dict[str, tuple[str, ...]] = {
    "pipeline_run": ("flow",),
    "bad_inputs_run": ("flow",),
}


def _tiers(item) -> set[str]:
    from tests.tiers import fixture_tiers

    tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        tiers.update(HEAVY_FIXTURES.get(name, ()))
        for fixturedef in (info.name2fixturedefs.get(name, ()) if info else ()):
            tiers.update(fixture_tiers(fixturedef))
    for t in list(tiers):
        tiers.update(IMPLIES.get(t, ()))
    return tiers


def pytest_collection_modifyitems(config, items):
    for item in items:
        have = {m.name for m in item.iter_markers()}
        for t in sorted(_tiers(item) - have):
            item.add_marker(getattr(pytest.mark, t))


# ------------------------------------------------------------------ parallel runs
#
# `make test` runs on every core (pytest-xdist, --dist loadfile: a module's tests and its module-scoped
# fixtures stay on one worker). xdist hands out the modules with the most tests first; the longest
# modules have few tests, so they came last and the run ended on one busy worker. These go first,
# longest first (wall time per module measured in a 2-worker run on 2 cores, 2026-12-07); any other
# module follows in xdist's own order.
LONGEST_MODULES = (
    "test_production_postgres.py", "test_reports.py", "test_publish.py", "test_alert_e2e.py",
    "test_indicator_sources.py", "test_survey_e2e.py", "test_disclosure_audit.py",
    "test_returns_nightly_corpus.py", "test_deployment.py", "test_dbt_project.py",
    "test_returns_under_review.py", "test_night_failed.py", "test_production_alerting.py",
    "test_feedback_status_page.py", "test_dbt_indicators.py", "test_quality.py",
)


def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    def rank(scope: str) -> int:
        name = Path(scope).name
        return LONGEST_MODULES.index(name) if name in LONGEST_MODULES else len(LONGEST_MODULES)

    class LongestModulesFirst(LoadFileScheduling):
        _ordered = False

        def _assign_work_unit(self, node):
            if not self._ordered:   # the queue is complete at the first assignment
                ordered = sorted(self.workqueue.items(), key=lambda item: rank(item[0]))  # stable
                self.workqueue.clear()
                self.workqueue.update(ordered)
                self._ordered = True
            super()._assign_work_unit(node)

    return LongestModulesFirst(config, log)


_CURRENT: dict[str, object] = {"item": None}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _CURRENT["item"] = item
    yield
    _CURRENT["item"] = None


class TierViolation(Exception):
    """A test did something heavy without the marker that keeps it out of `make test-fast`."""


def require_tier(tier: str, what: str) -> None:
    item = _CURRENT["item"]
    if item is None:
        return
    have = {m.name for m in item.iter_markers()}
    if tier not in have:
        raise TierViolation(
            f"{item.nodeid} {what} but is not marked `{tier}`: add @pytest.mark.{tier} (or pytestmark), "
            f"or list the fixture in tests/conftest.py HEAVY_FIXTURES. Unmarked heavy tests would slow "
            f"`make test-fast`.")


def _install_guards() -> None:
    import subprocess

    real_init = subprocess.Popen.__init__

    def guarded_init(self, args, *a, **kw):
        argv = [str(x) for x in ([args] if isinstance(args, (str, bytes, os.PathLike)) else args)]
        prog = Path(argv[0].split()[0]).name if argv and argv[0] else ""
        words = set(argv[1:]) | set(argv[0].split()[1:])
        if prog == "quarto" and "render" in words:
            require_tier("render", "runs Quarto")
        elif prog == "dbt" and words & {"build", "run", "seed", "test"}:
            require_tier("dbt", "runs dbt")
        elif prog == "prefect" and "server" in words:
            require_tier("server", "starts `prefect server`")
        elif prog == "folkhalsa" and "run" in words:
            # (`python -m folkhalsa run` is not guarded: tests use it for runs refused at once, e.g. by the lock)
            require_tier("flow", "runs `folkhalsa run`")
        return real_init(self, args, *a, **kw)

    subprocess.Popen.__init__ = guarded_init

    from dbt.cli.main import dbtRunner

    real_invoke = dbtRunner.invoke

    def guarded_invoke(self, args, **kw):
        if args and args[0] in ("build", "run", "seed", "test", "snapshot"):
            require_tier("dbt", f"runs `dbt {args[0]}`")
        return real_invoke(self, args, **kw)

    dbtRunner.invoke = guarded_invoke

    from prefect.flows import Flow
    from prefect.server.api.server import SubprocessASGIServer

    real_call = Flow.__call__

    def guarded_call(self, *a, **kw):
        require_tier("flow", f"runs the Prefect flow {self.name!r}")
        return real_call(self, *a, **kw)

    Flow.__call__ = guarded_call
    real_start = SubprocessASGIServer.start

    def guarded_start(self, *a, **kw):
        if not getattr(self, "running", False):
            require_tier("server", "starts a Prefect API server")
        return real_start(self, *a, **kw)

    SubprocessASGIServer.start = guarded_start


_install_guards()


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1 serving recorded API responses and injected faults."""
    from tests.http_fixture_server import FixtureServer

    with FixtureServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


def _sample_night(out: Path):
    from flows.nightly import nightly
    from folkhalsa.settings import get_settings

    settings = get_settings(input_dir=SAMPLE_DIR, output_dir=out, render="never", smtp_host="")
    return settings, nightly(settings)


def _once_per_session(tmp_path_factory, worker_id, name: str, build):
    """`build(folder)` once per session, its result shared by every pytest-xdist worker: the first
    worker to need it builds it under a file lock, the others wait and read the pickled result."""
    if worker_id == "master":
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent   # the session's folder, common to every worker
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)             # released when the file closes
        done = shared / f"{name}.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())
        result = build(shared / name)
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, worker_id):
    """The nightly flow run once on the committed sample data (no rendering, no SMTP).

    Its users only read it. Under pytest-xdist (`make test`) the workers share that one run, so a
    session pays for one sample night, not one per worker."""
    return _once_per_session(tmp_path_factory, worker_id, "pipeline_run", _sample_night)


@pytest.fixture(scope="session")
def bad_inputs_run(tmp_path_factory, worker_id):
    """One night on the sample with a rejected and a missing return and two bad survey exports
    (tests/bad_inputs.py), alerting to a local SMTP server; shared like `pipeline_run`."""
    from tests.bad_inputs import run_bad_inputs_night

    return _once_per_session(tmp_path_factory, worker_id, "bad_inputs_run",
                             lambda folder: run_bad_inputs_night(SAMPLE_DIR, folder))


@pytest.fixture(scope="session", autouse=True)
def _stop_prefect_temporary_server():
    """Stop Prefect's temporary API server while pytest's output streams are still open
    (otherwise its atexit hook logs to a closed stream)."""
    yield
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer

    APILogWorker.drain_all(timeout=5)
    SubprocessASGIServer().stop()
