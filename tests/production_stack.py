"""The production stack of docs/production.md, for tests: PostgreSQL, `prefect server start`, a worker.

- `PgCluster`: a private PostgreSQL cluster (initdb) on 127.0.0.1 and a free port, with the runbook's
  pg_hba.conf and listen_addresses. As root, the PostgreSQL tools run as the `postgres` user
  (`runuser -u postgres`), since PostgreSQL refuses to run as root.
- `Proc`: a long-running process (server, worker) in its own session, stopped by PID.
- small helpers to wait for things and to talk to the API with and without the auth string.

Every process is started here and stopped here, by PID; nothing is found or killed by name.
"""
from __future__ import annotations

import base64
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DEADLINE_S = 300  # a guard against hanging, not a speed requirement


class StackError(AssertionError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin_dir() -> Path | None:
    """Debian keeps the server tools in /usr/lib/postgresql/<major>/bin (not on PATH)."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(d) / "initdb").exists():
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text("utf-8", "replace").splitlines()[-n:]) if path.exists() else ""


def wait_for(ready, what: str, timeout: float = DEADLINE_S, every: float = 0.5, logs: tuple = ()):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = ready()
        if value:
            return value
        time.sleep(every)
    raise StackError(f"{what}: not after {timeout:.0f} s\n" + "\n".join(f"--- {p}\n{tail(p)}" for p in logs))


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """A process in a new session (its children share its process group), logging to a file."""
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def children(self) -> list[int]:
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL this process and every child of it, each by PID: a crash, nothing cleans up."""
        for pid in [self.pid, *self.children()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, then SIGKILL; children that outlive the leader are killed by PID too."""
        kids = self.children()
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start(name: str, args: list[str], env: dict, log: Path, cwd: Path) -> Proc:
    f = log.open("ab")
    try:
        popen = subprocess.Popen(args, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    finally:
        f.close()
    return Proc(name, popen, log)


# --------------------------------------------------------------------------- PostgreSQL


# The runbook's pg_hba.conf (docs/production.md, section 2): the superuser over the local socket
# only, the prefect role to its own database over TCP from the server host, with a password.
PG_HBA = """\
# TYPE  DATABASE  USER      ADDRESS         METHOD
local   all       postgres                  peer
host    prefect   prefect   127.0.0.1/32    scram-sha-256
"""


@dataclass
class PgCluster:
    root: Path
    bin: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @staticmethod
    def as_root() -> bool:
        return os.geteuid() == 0

    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bin / tool), *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root() else cmd

    def run(self, tool: str, *args: str, input: str | None = None, env: dict | None = None) -> str:
        """A PostgreSQL client tool as the cluster's superuser (the `postgres` OS user when root)."""
        r = subprocess.run(self._cmd(tool, *args), input=input, capture_output=True, text=True,
                           env={**os.environ, **(env or {})}, cwd="/", timeout=120)
        if r.returncode:
            raise StackError(f"{tool} {' '.join(args)}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def superuser(self, tool: str, *args: str, input: str | None = None) -> str:
        """`sudo -u postgres <tool> ...` of the runbook: over the local socket, as user postgres."""
        return self.run(tool, "--host", str(self.socket_dir), "--port", str(self.port), "--username",
                        "postgres", *args, input=input)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self.as_root():
            pg = pwd.getpwnam("postgres")
            for p in (self.root, self.socket_dir):
                os.chown(p, pg.pw_uid, pg.pw_gid)
        local_auth = "peer" if self.as_root() else "trust"  # not root: the OS user is not `postgres`
        self.run("initdb", "--pgdata", str(self.data), "--username", "postgres", "--encoding", "UTF8",
                 "--locale", "C", f"--auth-local={local_auth}", "--auth-host=scram-sha-256")
        hba = PG_HBA if self.as_root() else PG_HBA.replace("postgres                  peer",
                                                            "all                       trust")
        (self.data / "pg_hba.conf").write_text(hba)
        with (self.data / "postgresql.conf").open("a") as f:
            f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.socket_dir}'\n")
        if self.as_root():
            for p in (self.data / "pg_hba.conf", self.data / "postgresql.conf"):
                os.chown(p, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)

    def start(self) -> None:
        self.run("pg_ctl", "--pgdata", str(self.data), "--log", str(self.log), "--wait", "start")

    def postmaster_pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def stop(self, immediate: bool = False) -> None:
        """Stop the postmaster by its PID: SIGQUIT is an immediate (crash-like) stop, SIGINT a fast one."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT if immediate else signal.SIGINT)
        except ProcessLookupError:
            return
        wait_for(lambda: not _pid_alive(pid), "PostgreSQL to stop", timeout=60, logs=(self.log,))

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, user: str, password: str, db: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{user}:{password}@127.0.0.1:{self.port}/{db}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) no longer serves anything.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def new_pg_cluster() -> PgCluster:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise StackError("PostgreSQL's initdb was not found (/usr/lib/postgresql/*/bin): "
                         "apt-get install -y postgresql (.ci/run does this)")
    # Not under pytest's tmp_path: as root that is mode 0700, and the postgres user must get in.
    root = Path(tempfile.mkdtemp(prefix="folkhalsa-pg-"))
    os.chmod(root, 0o755)
    return PgCluster(root=root, bin=bin_dir)


# --------------------------------------------------------------------------- Prefect API


def basic_auth(auth_string: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(auth_string.encode()).decode()}


def healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Api:
    """Plain REST calls to the server, with the client's auth string."""

    def __init__(self, url: str, auth_string: str):
        self.url = url
        self.headers = basic_auth(auth_string)

    def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body or {}, headers=self.headers, timeout=15)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=self.headers, timeout=15)

    def flow_run(self, run_id: str) -> dict:
        r = self.get(f"/flow_runs/{run_id}")
        r.raise_for_status()
        return r.json()

    def states(self, run_id: str) -> list[dict]:
        r = httpx.get(f"{self.url}/flow_run_states/", params={"flow_run_id": run_id}, headers=self.headers,
                      timeout=15)
        r.raise_for_status()
        return r.json()

    def task_runs(self, run_id: str) -> list[dict]:
        r = self.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200, "offset": 0,
                                           "sort": "EXPECTED_START_TIME_ASC"})
        r.raise_for_status()
        return r.json()

    def heartbeats(self, run_id: str) -> int:
        r = self.post("/events/filter", {"filter": {"event": {"name": ["prefect.flow-run.heartbeat"]},
                                                    "resource": {"id": [f"prefect.flow-run.{run_id}"]}},
                                         "limit": 50})
        r.raise_for_status()
        return len(r.json().get("events", []))
