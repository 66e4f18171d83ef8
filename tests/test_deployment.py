"""The nightly deployment against a real Prefect server: schedule, a served run, concurrency, a worker.

Starts `prefect server start` on 127.0.0.1 with a temporary PREFECT_HOME and SQLite database, then
`folkhalsa serve` and a process worker as subprocesses, as in production (docs/production.md).
Deselect with `-m "not server"`.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deployment import CRON, FULL_NAME, TIMEZONE, deploy_nightly, nightly_deployment
from folkhalsa.sample.generate import write_sample_data
from folkhalsa.sources.returns import discover_returns

pytestmark = [pytest.mark.server, pytest.mark.flow]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
POOL = "folkhalsa-test-pool"
POOL_DEPLOYMENT = "nightly-pool"
DEADLINE_S = 600  # a guard against hanging, not a speed requirement (2 shared cores: a night can take 4 min)
SCHEDULER_BROKEN = "Can't evaluate bulk DML statement"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without any Prefect/folkhalsa settings of the developer's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOLKHALSA_"))}
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}, **extra)
    return env


def _start(args: list[str], env: dict, log: Path, cwd: Path = PROJECT_ROOT) -> subprocess.Popen:
    # A new session: the process and everything it starts can be killed as one group.
    with log.open("wb") as f:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # Flow-run children may outlive the leader; the group id is still the leader's pid.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(log: Path, n: int = 40) -> str:
    return "\n".join(log.read_text("utf-8", "replace").splitlines()[-n:]) if log.exists() else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """A real Prefect server: (api_url, env for its clients, its log)."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = _clean_env(PREFECT_HOME=str(tmp / "home"),
                     PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp / 'prefect.db'}",
                     PREFECT_UI_ENABLED="false",
                     # The scheduler service turns schedules into runs; look every second (default 60).
                     PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1",
                     # A run waiting for the deployment's slot is retried after this many seconds (default 30).
                     PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS="1")
    log = tmp / "server.log"
    proc = _start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log)
    request.addfinalizer(lambda: _stop(proc))
    _wait(lambda: _healthy(url), f"Prefect server on {url}", proc, log)
    client_env = _clean_env(PREFECT_HOME=str(tmp / "client-home"), PREFECT_API_URL=url)
    return url, client_env, log


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(ready, what: str, proc: subprocess.Popen | None = None, log: Path | None = None):
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        value = ready()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: process exited with {proc.returncode}\n{_tail(log)}")
        time.sleep(0.5)
    pytest.fail(f"{what}: not ready after {DEADLINE_S} s\n{_tail(log) if log else ''}")


@pytest.fixture
def api(server):
    """Point this process's Prefect client at the test server."""
    url, _, _ = server
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A small input (one year of the synthetic sample) and an output folder, both in tmp."""
    tmp = tmp_path_factory.mktemp("nightly-data")
    write_sample_data(tmp / "in", years=(2022,))
    return {"FOLKHALSA_INPUT_DIR": str(tmp / "in"), "FOLKHALSA_OUTPUT_DIR": str(tmp / "out"),
            "FOLKHALSA_YEARS": "[2022]", "FOLKHALSA_RENDER": "never", "FOLKHALSA_SMTP_HOST": ""}


@pytest.fixture(scope="module")
def served(server, data, tmp_path_factory, request):
    """`folkhalsa serve` in a subprocess: it registers the deployment and runs its flow runs.

    Its settings are in a `.env` in its working directory, as with systemd's WorkingDirectory=
    (docs/production.md, section 4): the flow-run subprocesses read the same file."""
    _, client_env, _ = server
    workdir = tmp_path_factory.mktemp("serve")
    log = workdir / "serve.log"
    (workdir / ".env").write_text("".join(f"{k}={v}\n" for k, v in data.items()), "utf-8")
    env = {**client_env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    proc = _start([sys.executable, "-m", "folkhalsa", "serve"], env, log, cwd=workdir)
    request.addfinalizer(lambda: _stop(proc))
    _wait(lambda: "being served" in log.read_text("utf-8", "replace") if log.exists() else False,
          "folkhalsa serve", proc, log)
    return proc, log


def _wait_final(client, run_ids, log: Path):
    def done():
        runs = [client.read_flow_run(i) for i in run_ids]
        return runs if all(r.state and r.state.is_final() for r in runs) else None
    return _wait(done, "flow runs to finish", log=log)


def test_schedule_read_back_from_the_server(api):
    deployment_id = nightly_deployment().apply()
    with get_client(sync_client=True) as client:
        d = client.read_deployment_by_name(FULL_NAME)
    assert d.id == deployment_id
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules] == \
        [("0 2 * * *", "Europe/Stockholm", True)]
    assert d.global_concurrency_limit.limit == 1
    assert d.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert d.entrypoint == "flows.nightly.nightly"


def test_the_server_scheduler_creates_runs_at_0200_stockholm_time(api, server):
    # Schedules only fire with a real server: its scheduler service turns them into runs.
    _, _, log = server
    deployment_id = nightly_deployment().apply()

    def ready():
        if SCHEDULER_BROKEN in log.read_text("utf-8", "replace"):
            pytest.fail("The Prefect server's scheduler crashes, so no schedule would ever fire: "
                        f"'{SCHEDULER_BROKEN}' (Prefect 3.8.8 with SQLAlchemy 2.1; pin SQLAlchemy<2.1)")
        return _scheduled_runs(client, deployment_id)

    with get_client(sync_client=True) as client:
        runs = _wait(ready, "scheduled runs", log=log)
    # Re-applying the deployment (the test above did) may leave runs of the earlier schedule: the
    # same times twice. What matters is the set of start times.
    local = sorted({r.expected_start_time.astimezone(ZoneInfo("Europe/Stockholm")) for r in runs})
    assert {(t.hour, t.minute) for t in local} == {(2, 0)}
    assert [(b.date() - a.date()).days for a, b in zip(local, local[1:])] == [1] * (len(local) - 1)


def _scheduled_runs(client, deployment_id) -> list | None:
    # sort and limit given: the server (FastAPI 0.154) refuses the nulls the client would send.
    runs = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=FlowRunFilter(state={"type": {"any_": ["SCHEDULED"]}}),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=20)
    return runs if len(runs) >= 3 else None


def test_served_run_completes_and_a_second_run_waits_for_it(api, served, data):
    _, log = served
    # Two runs at once: the deployment's concurrency limit lets one run; the other waits.
    runs = [run_deployment(FULL_NAME, timeout=0) for _ in range(2)]
    with get_client(sync_client=True) as client:
        finished = _wait_final(client, [r.id for r in runs], log)
        assert [r.state.type.value for r in finished] == ["COMPLETED", "COMPLETED"], _tail(log)
        first, second = sorted(finished, key=lambda r: r.start_time)
        assert second.start_time >= first.end_time  # never overlapped
        waited = [s.name for s in client.read_flow_run_states(second.id)]
        assert "AwaitingConcurrencySlot" in waited, waited
        assert "AwaitingConcurrencySlot" not in [s.name for s in client.read_flow_run_states(first.id)]
    # The run summary is a markdown artifact on each run. (Plain REST: the 3.8 sync client's
    # read_artifacts sends nulls the server rejects.)
    artifacts = httpx.post(f"{api}/artifacts/filter", timeout=10,
                           json={"artifacts": {"key": {"any_": ["nightly-run-summary"]}}}).json()
    assert {a["flow_run_id"] for a in artifacts} >= {str(first.id), str(second.id)}

    out = Path(data["FOLKHALSA_OUTPUT_DIR"])
    assert (out / "warehouse" / "folkhalsa.duckdb").exists()  # the first run built and published
    # The second run found nothing new: it landed nothing, skipped the build, kept the warehouse.
    summary = json.loads((out / "run_summary.json").read_text("utf-8"))
    returns = len(discover_returns(Path(data["FOLKHALSA_INPUT_DIR"]) / "returns"))
    assert summary["sources"]["returns"] == {"landed": 0, "skipped": returns, "relanded": 0, "rejected": 0}
    stages = {s["name"]: s for s in summary["stages"]}
    assert stages["dbt build"]["status"] == "skipped"
    assert stages["dbt build"]["detail"].startswith("inga nya indata")


def test_process_worker_runs_the_work_pool_deployment(api, server, data, tmp_path):
    _, client_env, _ = server
    summary = Path(data["FOLKHALSA_OUTPUT_DIR"]) / "run_summary.json"
    before = json.loads(summary.read_text("utf-8"))["run_id"] if summary.exists() else None
    subprocess.run([PREFECT, "work-pool", "create", POOL, "--type", "process"], env=client_env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    # Settings reach the flow run through the pool deployment's job variables, not the worker's env.
    deployment_id = deploy_nightly(POOL, job_variables={"env": data, "working_dir": str(PROJECT_ROOT)},
                                   name=POOL_DEPLOYMENT)
    with get_client(sync_client=True) as client:
        d = client.read_deployment(deployment_id)
        assert d.work_pool_name == POOL
        assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] == [(CRON, TIMEZONE)]
        run = run_deployment(f"folkhalsa-nightly/{POOL_DEPLOYMENT}", timeout=0)
        log = tmp_path / "worker.log"
        worker = _start([PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--run-once"],
                        client_env, log)
        try:
            (finished,) = _wait_final(client, [run.id], log)
        finally:
            _stop(worker)
    assert finished.state.type.value == "COMPLETED", _tail(log)
    # The run used the folders from the job variables: it wrote its summary there.
    assert json.loads(summary.read_text("utf-8"))["run_id"] != before
