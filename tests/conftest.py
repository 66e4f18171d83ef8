"""Shared fixtures. Prefect runs against its own temporary home, never the user's ~/.prefect."""
from __future__ import annotations

import os
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


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1 serving recorded API responses and injected faults."""
    from tests.http_fixture_server import FixtureServer

    with FixtureServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The nightly flow run once on the committed sample data (no rendering, no SMTP)."""
    from flows.nightly import nightly
    from folkhalsa.settings import get_settings

    out = tmp_path_factory.mktemp("run")
    settings = get_settings(input_dir=SAMPLE_DIR, output_dir=out, render="never", smtp_host="")
    summary = nightly(settings)
    return settings, summary


@pytest.fixture(scope="session", autouse=True)
def _stop_prefect_temporary_server():
    """Stop Prefect's temporary API server while pytest's output streams are still open
    (otherwise its atexit hook logs to a closed stream)."""
    yield
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer

    APILogWorker.drain_all(timeout=5)
    SubprocessASGIServer().stop()
