"""docs/production.md, followed as an operator would, on real services: PostgreSQL, an authenticated
`prefect server start`, a process work pool and a worker; then a host crash.

One private PostgreSQL cluster (initdb, 127.0.0.1, a free port; `.ci/run` installs Debian's
postgresql when it is missing) holds Prefect's database. The server requires
PREFECT_SERVER_API_AUTH_STRING; every client sends PREFECT_API_AUTH_STRING. The worker has no
FOLKHALSA_* variables: the flow reads them from the `.env` in the deployment's working_dir.

The crash: during a night's dbt build the worker, the flow process and the server are SIGKILLed and
PostgreSQL stopped immediately (no checkpoint), then all come back. The dead run is still Running
and holds the deployment's slot; Prefect's zombie automation (heartbeats) marks it Crashed, the
slot frees, the next run completes, and its alert e-mail reports the crashed run.

Heartbeats every 30 s (Prefect's minimum) and a 60 s zombie window keep the test short.
Processes are started and stopped by PID (tests/production_stack.py). Deselect with -m "not server".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows.deployment import FULL_NAME, ZOMBIE_MESSAGE, zombie_automation_name
from folkhalsa.sample.generate import write_sample_data
from tests.production_stack import (Api, PgCluster, Proc, StackError, free_port, healthy, new_pg_cluster, start,
                                    tail, wait_for)
from tests.smtp_fixture import smtp_server

pytestmark = [pytest.mark.server, pytest.mark.flow, pytest.mark.slow, pytest.mark.timeout(1500)]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
POOL = "folkhalsa"
AUTH = "folkhalsa-admin:test-api-password-7Q"  # PREFECT_SERVER_API_AUTH_STRING / PREFECT_API_AUTH_STRING
DB_PASSWORD = "prefect-db-password-3x"
SMTP_USER, SMTP_PASSWORD = "folkhalsa", "smtp-password-from-the-secret-block-9k"
HEARTBEAT_S, ZOMBIE_AFTER_S = 30, 60
NEXT_NIGHT_LIMIT_S = 600  # the issue: after a crash and restart the next night runs within 10 minutes
LIST_COMMANDS = (["deployment", "ls"], ["flow-run", "ls"], ["work-pool", "ls"], ["block", "ls"], ["artifact", "ls"])


def _base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOLKHALSA_"))}
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}, **extra)
    return env


class Stack:
    """What the runbook builds; each piece can be killed and started again."""

    def __init__(self, tmp: Path, pg: PgCluster, smtp_port: int):
        self.tmp, self.pg = tmp, pg
        self.port = 0
        self.server: Proc | None = None
        self.worker: Proc | None = None
        self.workdir = tmp / "app"           # the deployment's working_dir, holding .env
        self.input, self.output = tmp / "inbox", tmp / "output"
        self.smtp_port = smtp_port
        from cryptography.fernet import Fernet

        self.encryption_key = Fernet.generate_key().decode()

    # The server's environment file of the runbook (section 2).
    def server_env(self) -> dict[str, str]:
        return _base_env(
            PREFECT_HOME=str(self.tmp / "prefect-home"),
            PREFECT_API_DATABASE_CONNECTION_URL=self.pg.url("prefect", DB_PASSWORD, "prefect"),
            PREFECT_SERVER_API_AUTH_STRING=AUTH,
            PREFECT_SERVER_ENCRYPTION_KEY=self.encryption_key,
            PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE="prefect.server.concurrency.lease_storage.filesystem",
            PREFECT_UI_ENABLED="false",
            # Test speed: a run waiting for the slot is retried after 2 s (default 30).
            PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS="2",
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def client_env(self, **extra: str) -> dict[str, str]:
        return _base_env(PREFECT_HOME=str(self.tmp / "client-home"), PREFECT_API_URL=self.api_url,
                         PREFECT_API_AUTH_STRING=AUTH, **extra)

    @property
    def api(self) -> Api:
        return Api(self.api_url, AUTH)

    def prefect(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([PREFECT, *args], env=self.client_env(), cwd=self.workdir, input=input,
                              capture_output=True, text=True, timeout=180)

    def start_server(self) -> None:
        self.port = self.port or free_port()
        self.server = start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                            self.server_env(), self.tmp / "server.log", self.tmp)
        wait_for(lambda: healthy(self.api_url) or not self.server.alive(), "Prefect server", logs=(self.server.log,))
        assert self.server.alive(), tail(self.server.log)

    def start_worker(self) -> None:
        self.worker = start("worker", [PREFECT, "worker", "start", "--pool", POOL, "--type", "process"],
                            self.client_env(PREFECT_WORKER_QUERY_SECONDS="2"), self.tmp / "worker.log", self.workdir)

    def stop(self) -> None:
        for p in (self.worker, self.server):
            if p is not None:
                p.stop()

    def deployment_id(self) -> str:
        r = self.api.get(f"/deployments/name/{FULL_NAME}")
        r.raise_for_status()
        return r.json()["id"]

    def trigger(self) -> tuple[str, datetime]:
        r = self.api.post(f"/deployments/{self.deployment_id()}/create_flow_run", {})
        r.raise_for_status()
        return r.json()["id"], datetime.now(timezone.utc)

    def wait_final(self, run_id: str, timeout: float = 420) -> dict:
        logs = tuple(p.log for p in (self.worker, self.server) if p)
        return wait_for(lambda: (lambda r: r if r["state"]["type"] in FINAL else None)(self.api.flow_run(run_id)),
                        f"flow run {run_id} to finish", timeout=timeout, every=2, logs=logs)


FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _write_env_file(stack: Stack, years: str, password_file: Path | None = None) -> None:
    """The runbook's example `.env`, in the deployment's working directory. With `password_file`,
    the SMTP password comes from that file (a systemd credential), not the Secret block."""
    stack.workdir.mkdir(parents=True, exist_ok=True)
    (stack.workdir / ".env").write_text("\n".join([
        f"FOLKHALSA_INPUT_DIR={stack.input}",
        f"FOLKHALSA_OUTPUT_DIR={stack.output}",
        f"FOLKHALSA_YEARS={years}",
        "FOLKHALSA_RENDER=never",
        "FOLKHALSA_SMTP_HOST=127.0.0.1",
        f"FOLKHALSA_SMTP_PORT={stack.smtp_port}",
        f"FOLKHALSA_SMTP_USER={SMTP_USER}",
        "FOLKHALSA_SMTP_PASSWORD_BLOCK=folkhalsa-smtp-password",
        *([f"FOLKHALSA_SMTP_PASSWORD_FILE={password_file}"] if password_file else []),
        'FOLKHALSA_ALERT_TO=["folkhalsa-drift@example.se"]',
    ]) + "\n", "utf-8")


@pytest.fixture(scope="module")
def smtp():
    with smtp_server(user=SMTP_USER, password=SMTP_PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def stack(tmp_path_factory, smtp):
    pg = new_pg_cluster()
    s = Stack(tmp_path_factory.mktemp("production"), pg, smtp.port)
    try:
        pg.init()
        pg.start()
        # Section 2 of the runbook: the role and the database, as the postgres superuser.
        pg.superuser("createuser", "--login", "--no-superuser", "--no-createdb", "--no-createrole", "prefect")
        pg.superuser("psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", "postgres",
                     input=f"ALTER ROLE prefect PASSWORD '{DB_PASSWORD}';\n")
        pg.superuser("createdb", "--owner", "prefect", "prefect")
        # Migrations, before the first start (start would run them too).
        r = subprocess.run([PREFECT, "server", "database", "upgrade", "-y"], env=s.server_env(),
                           capture_output=True, text=True, timeout=300, cwd=s.tmp)
        assert r.returncode == 0, r.stdout + r.stderr
        s.start_server()
        _write_env_file(s, "[2022]")
        write_sample_data(s.input, years=(2022,))
        yield s
    finally:
        s.stop()
        pg.destroy()


def test_unauthenticated_requests_get_401_and_the_secret_stays_locked(stack):
    # The runbook's scriptable Secret block: the password on stdin, no terminal.
    saved = subprocess.run([str(BIN / "folkhalsa"), "secret", "set-smtp-password"], input=SMTP_PASSWORD + "\n",
                           env=stack.client_env(), cwd=stack.workdir, capture_output=True, text=True, timeout=120)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert SMTP_PASSWORD not in saved.stdout + saved.stderr

    import httpx

    body = {"include_secrets": True}
    anonymous = httpx.post(f"{stack.api_url}/block_documents/filter", json=body, timeout=15)
    assert anonymous.status_code == 401
    assert SMTP_PASSWORD not in anonymous.text
    wrong = httpx.post(f"{stack.api_url}/block_documents/filter", json=body, timeout=15,
                       headers=Api(stack.api_url, "folkhalsa-admin:guess").headers)
    assert wrong.status_code == 401
    authorised = stack.api.post("/block_documents/filter", body)
    assert authorised.status_code == 200
    assert SMTP_PASSWORD in authorised.text  # it is there, behind the auth string

    # The encryption key came from PREFECT_SERVER_ENCRYPTION_KEY: none is stored in the database,
    # and a backup (the runbook's pg_dump) holds the password only encrypted.
    stored = stack.pg.superuser("psql", "--dbname", "prefect", "--tuples-only", "--no-align", "--command",
                                "SELECT count(*) FROM configuration WHERE key = 'ENCRYPTION_KEY'")
    assert stored.strip() == "0"
    pgpass = stack.tmp / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{stack.pg.port}:prefect:prefect:{DB_PASSWORD}\n")
    pgpass.chmod(0o600)
    dump = stack.tmp / "prefect.dump"
    subprocess.run([str(stack.pg.bin / "pg_dump"), "--format=custom", f"--file={dump}",
                    f"postgresql://prefect@127.0.0.1:{stack.pg.port}/prefect"],
                   env={**os.environ, "PGPASSFILE": str(pgpass)}, check=True, capture_output=True, timeout=120)
    listed = subprocess.run([str(stack.pg.bin / "pg_restore"), "--list", str(dump)], check=True,
                            capture_output=True, text=True, timeout=60).stdout
    assert "TABLE DATA public block_document" in listed
    assert SMTP_PASSWORD.encode() not in dump.read_bytes()


@pytest.fixture(scope="module")
def deployed(stack):
    """Section 3 of the runbook: the work pool, the deployment (with its zombie automation) and a
    worker. Every test that triggers a night asks for it, so each also runs alone."""
    assert stack.prefect("work-pool", "create", POOL, "--type", "process").returncode == 0
    res = subprocess.run([sys.executable, "-m", "flows.deployment", "--work-pool", POOL,
                          "--working-dir", str(stack.workdir), "--heartbeat-seconds", str(HEARTBEAT_S),
                          "--zombie-after-seconds", str(ZOMBIE_AFTER_S)],
                         env=stack.client_env(), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    stack.start_worker()
    return res


def test_a_night_runs_through_the_worker_with_settings_from_dotenv(stack, smtp, deployed):
    automations = stack.api.post("/automations/filter", {}).json()
    assert zombie_automation_name("nightly") in [a["name"] for a in automations]
    d = stack.api.get(f"/deployments/name/{FULL_NAME}").json()
    assert d["job_variables"]["working_dir"] == str(stack.workdir)
    assert d["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == str(HEARTBEAT_S)

    r = stack.prefect("deployment", "run", FULL_NAME)
    assert r.returncode == 0, r.stdout + r.stderr
    run_id = next(line.split()[-1] for line in r.stdout.splitlines() if "UUID" in line)
    run = stack.wait_final(run_id)
    assert run["state"]["type"] == "COMPLETED", tail(stack.worker.log)
    # The worker had no FOLKHALSA_* variables: the folders came from .env in the working_dir.
    summary = json.loads((stack.output / "run_summary.json").read_text("utf-8"))
    assert (stack.output / "warehouse" / "folkhalsa.duckdb").exists()
    assert summary["sources"]["returns"]["landed"] > 0


def test_the_operators_list_commands_work(stack, deployed):
    for args in LIST_COMMANDS:
        r = stack.prefect(*args)
        assert r.returncode == 0, f"prefect {' '.join(args)}: {r.stdout}{r.stderr}"
    listed = stack.prefect("deployment", "ls").stdout
    assert FULL_NAME in listed


def test_after_a_host_crash_the_dead_run_is_crashed_and_the_next_night_runs(stack, smtp, deployed):
    # A new reporting year and its returns, so the night does real work: dbt build takes a while.
    _write_env_file(stack, "[2022,2023]")
    write_sample_data(stack.input, years=(2023,))
    dead_id, _ = stack.trigger()

    def in_dbt_build():
        run = stack.api.flow_run(dead_id)
        if run["state"]["type"] in FINAL:
            raise StackError(f"the run finished before it could be killed: {run['state']}")
        building = any(t["name"].startswith("dbt-build") and t["state"]["type"] == "RUNNING"
                       for t in stack.api.task_runs(dead_id))
        return building and stack.api.heartbeats(dead_id) >= 1

    wait_for(in_dbt_build, "the run to be in dbt build with a heartbeat sent", every=0.5,
             logs=(stack.worker.log,))
    flow_pids = stack.worker.children()
    assert flow_pids, "the worker runs the flow in a child process"
    # The host dies: worker and flow process, the Prefect server, PostgreSQL (no checkpoint).
    stack.worker.kill()
    stack.server.kill()
    stack.pg.stop(immediate=True)

    # The host comes back: the services start again (systemd), nobody touches the runs.
    stack.pg.start()
    stack.start_server()
    stack.start_worker()
    # A zombie: nothing will ever report it (unless the automation, whose window may be over, already did).
    assert stack.api.flow_run(dead_id)["state"]["type"] in ("RUNNING", "CRASHED")
    next_id, triggered = stack.trigger()

    crashed = wait_for(lambda: (lambda r: r if r["state"]["type"] in FINAL else None)(stack.api.flow_run(dead_id)),
                       "the dead run to be marked Crashed", timeout=ZOMBIE_AFTER_S + 120, every=2,
                       logs=(stack.server.log,))
    assert crashed["state"]["type"] == "CRASHED"
    assert crashed["state"]["message"] == ZOMBIE_MESSAGE
    crashed_at = datetime.fromisoformat(crashed["state"]["timestamp"])

    nxt = stack.wait_final(next_id, timeout=NEXT_NIGHT_LIMIT_S)
    assert nxt["state"]["type"] == "COMPLETED", tail(stack.worker.log)
    took = (datetime.fromisoformat(nxt["end_time"]) - triggered).total_seconds()
    assert took < NEXT_NIGHT_LIMIT_S
    names = [s["name"] for s in stack.api.states(next_id)]
    if crashed_at > triggered:  # the next run was proposed while the zombie held the slot
        assert "AwaitingConcurrencySlot" in names, names
    d = stack.api.get(f"/deployments/{stack.deployment_id()}").json()
    assert d["global_concurrency_limit"]["active_slots"] == 0  # nothing holds the slot now

    # The next run's alert e-mail reports the crashed run (and the SMTP password came from the block).
    bodies = [m.message.get_body(("plain",)).get_content() for m in smtp.messages]
    reporting = [b for b in bodies if dead_id in b]
    assert reporting, f"{len(bodies)} e-mails, none names the crashed run {dead_id}"
    assert "Crashed" in reporting[-1]
    print(f"\nzombie marked Crashed {(crashed_at - triggered).total_seconds():.0f} s after the restart's trigger; "
          f"next night completed {took:.0f} s after it was triggered; states {names}")


def test_a_postgresql_outage_at_the_end_of_a_night_is_reported_and_says_it_published(stack, smtp, deployed):
    """Issue 28: PostgreSQL stops right after [publish] for 60 s. With the SMTP password in a file,
    the night's own alert is delivered during the outage and says the night published; Prefect may
    then record the run as Crashed, and the next run's report of it says, from the run record on
    disk, that it published and that Prefect's API did not answer."""
    from folkhalsa import runrecord

    pw = stack.tmp / "smtp-password"
    pw.write_text(SMTP_PASSWORD + "\n")
    pw.chmod(0o600)
    _write_env_file(stack, "[2022,2023]", password_file=pw)
    # New input, so the night builds and publishes; an unreadable return, so it has something to say.
    write_sample_data(stack.input, years=(2023,), seed=2028)
    (stack.input / "returns" / "2023" / "lansrapport_25_2023.xlsx").write_bytes(b"not a workbook")
    before = len(smtp.messages)
    run_id, _ = stack.trigger()
    state = stack.output / "state"

    def checking_or_published():
        # As the operator did: PostgreSQL goes down at the end of the night, here while the GX
        # checkpoint runs (just before [publish]), or at the latest once the publish is recorded.
        run = stack.api.flow_run(run_id)
        if run["state"]["type"] in FINAL:
            raise StackError(f"the run finished before publishing was seen: {run['state']}")
        if any(t["name"].startswith("gx-checkpoint") and t["state"]["type"] == "RUNNING"
               for t in stack.api.task_runs(run_id)):
            return "gx checkpoint running"
        rec = runrecord.find(state, run_id)
        return "published" if rec and rec.get("published_at") else None

    when = wait_for(checking_or_published, "the night's checks or publish", timeout=600, every=0.2,
                    logs=(stack.worker.log,))
    stack.pg.stop(immediate=True)
    down = time.monotonic()
    sent_before_the_stop = len(smtp.messages) - before
    try:
        rec = wait_for(lambda: runrecord.find(state, run_id), "the run record", timeout=60, every=0.5)
        mail = wait_for(lambda: [m for m in smtp.messages[before:] if m.message["X-Folkhalsa-Run"] == rec["run_id"]],
                        "the night's alert during the outage", timeout=300, every=1, logs=(stack.worker.log,))
        during = time.monotonic() - down
        rec = wait_for(lambda: (lambda r: r if r.get("finished_at") else None)(runrecord.find(state, run_id)),
                       "the run record's end", timeout=120, every=1, logs=(stack.worker.log,))
    finally:
        time.sleep(max(0.0, 60 - (time.monotonic() - down)))
        stack.pg.start()
    body = mail[0].message.get_body(("plain",)).get_content()
    assert sent_before_the_stop == 0, "the alert went out before PostgreSQL stopped: the test proves nothing"
    assert "this run published a new warehouse" in body, body
    assert rec["alert"]["sent"] and rec["prefect_api"]["reachable"] is False, rec
    final = stack.wait_final(run_id, timeout=ZOMBIE_AFTER_S + 300)
    print(f"\nPostgreSQL stopped when: {when}; alert delivered {during:.0f} s into the outage; "
          f"Prefect's final state of the run: "
          f"{final['state']['type']} ({final['state'].get('message')}); run record: {rec['status']}, "
          f"prefect_api {rec['prefect_api']}")
    if final["state"]["type"] == "CRASHED":
        # The next run reports it, with what the disk knows: it published, Prefect did not answer.
        next_id, _ = stack.trigger()
        assert stack.wait_final(next_id)["state"]["type"] == "COMPLETED", tail(stack.worker.log)
        bodies = [m.message.get_body(("plain",)).get_content() for m in smtp.messages]
        reporting = [b for b in bodies if run_id in b]
        assert reporting, f"no e-mail names the crashed run {run_id}"
        assert "PUBLISHED a new warehouse" in reporting[-1] and "did not answer" in reporting[-1]
    # The dead man's switch, without Prefect: the night published, so it is fresh and sends nothing.
    n = len(smtp.messages)
    check = subprocess.run([str(BIN / "folkhalsa"), "check-last-night", "--output", str(stack.output)],
                           env=_base_env(), cwd=stack.workdir, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert len(smtp.messages) == n
