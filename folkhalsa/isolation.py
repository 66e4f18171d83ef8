"""Run parsers in a small pool of worker processes, each with a memory and a time limit.

A hostile or broken input can make a native reader abort, allocate without bound or hang. In a
worker that costs the worker, not the night: the file is rejected with the reason, and the worker
is replaced. Workers are reused across files (no interpreter per file). They are plain
`python -m folkhalsa.isolation` processes talking over a socket pair: unlike multiprocessing's
spawn and forkserver, they never re-import the caller's main script, and unlike fork they are
safe under Prefect's and DuckDB's threads.

    with WorkerPool() as pool:
        for item, outcome in pool.map(check_return, paths):
            ...  # outcome.ok, outcome.value or outcome.reason
"""
from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

from folkhalsa.settings import rule_default

DEFAULT_MEMORY_MB = rule_default("parse_memory_mb")
DEFAULT_TIME_LIMIT_S = rule_default("parse_timeout_s")
# Overrides for tests; None = Settings (FOLKHALSA_PARSE_MEMORY_MB, _PARSE_TIMEOUT_S, _PARSE_WORKERS),
# read when a pool starts, not at import. One worker by default: it parses while the landing process
# writes Parquet, so two cores are busy. A second worker pays the reader's imports (polars, pyarrow,
# numpy) again, and on the 2-core machine the sample landing measured slower with two (see the issue
# 15 report); raise it on bigger hosts.
MEMORY_LIMIT_BYTES: int | None = None
TIME_LIMIT_S: float | None = None
WORKERS: int | None = None
# Imported before a worker says it is ready, so no file pays for them against its time limit.
PRELOAD = ["folkhalsa.sources.returns", "fastexcel", "pyarrow"]


@dataclass
class Outcome:
    ok: bool
    value: Any = None          # the parser's result when ok
    reason: str = ""           # why not: "crash", "memory", "timeout" or "error"
    detail: str = ""           # a message for the user, Swedish / English
    seconds: float = 0.0
    peak_rss_mb: float = 0.0   # the worker's peak resident memory during this task

    def raise_for_failure(self, exc_type: type[Exception] = RuntimeError):
        if not self.ok:
            raise exc_type(self.detail)
        return self.value


def _worker_main(conn, memory_limit: int) -> None:
    # The limit covers the whole address space: a reader that tries to allocate hundreds of GB gets
    # a failed allocation (MemoryError, or a native abort) instead of the machine's memory.
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    conn.send("ready")  # imports done: the time limit counts from here
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, args = task
        _reset_peak_rss()
        t0 = time.perf_counter()
        try:
            value = fn(*args)
            reply = ("ok", value, "")
        except MemoryError:
            reply = ("memory", None, "")
        except Exception as e:  # the parser's own failure: report it, keep the worker
            reply = ("error", e, "".join(traceback.format_exception_only(type(e), e)).strip())
        rss = _peak_rss_mb()
        try:
            conn.send((*reply, time.perf_counter() - t0, rss))
        except Exception as e:  # an unpicklable result
            conn.send(("error", None, f"{type(e).__name__}: {e}", time.perf_counter() - t0, rss))


def _reset_peak_rss() -> None:
    """Linux: reset this process's peak RSS (VmHWM), so each task's peak is its own."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    """Peak RSS since the last reset (VmHWM); else getrusage's peak over the worker's life."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Worker:
    def __init__(self, memory_limit: int, preload: list[str]):
        self.conn, child = mp.Pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "folkhalsa.isolation", str(child.fileno()), str(memory_limit), *preload],
            pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL)
        child.close()
        self.task: tuple | None = None    # (index, item) being parsed
        self.started = 0.0
        self.ready = False

    def wait_ready(self, timeout: float = 300) -> bool:
        """Wait for the worker to finish its imports; False if it died or never got there."""
        if not self.ready and self.conn.poll(timeout):
            try:
                self.ready = self.conn.recv() == "ready"
            except (EOFError, OSError):
                self.ready = False
        return self.ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, kill: bool = False) -> None:
        if kill and self.alive():
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.conn.close()


def _describe_death(exitcode: int | None) -> tuple[str, str]:
    if exitcode is not None and exitcode < 0:
        sig = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        if sig == "SIGKILL":
            return "memory", ("läsaren avbröts (SIGKILL), troligen minnesgränsen / "
                              "the reader was killed (SIGKILL), probably the memory limit")
        return "crash", f"läsaren kraschade ({sig}) / the reader crashed ({sig})"
    return "crash", f"läsaren avslutades oväntat (kod {exitcode}) / the reader exited unexpectedly (code {exitcode})"


class WorkerPool:
    """A few reusable worker processes; one that dies or overruns is replaced."""

    def __init__(self, workers: int | None = None, memory_limit: int | None = None,
                 time_limit: float | None = None, preload: list[str] | None = None):
        # Defaults are read now, not at import, so settings (and tests) can change them.
        from folkhalsa.settings import Settings

        s = Settings()
        self.size = max(1, workers or WORKERS or s.parse_workers)
        default_memory = MEMORY_LIMIT_BYTES if MEMORY_LIMIT_BYTES is not None else s.parse_memory_mb * 1024 * 1024
        self.memory_limit = default_memory if memory_limit is None else memory_limit
        self.time_limit = time_limit or TIME_LIMIT_S or s.parse_timeout_s
        self.preload = preload if preload is not None else PRELOAD
        self.workers: list[_Worker] = []
        self.replaced = 0  # workers that died or were killed and replaced

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        # Workers hold no state: end them at once rather than wait for interpreter shutdown.
        for w in self.workers:
            w.stop(kill=True)
        self.workers = []

    def start(self, n: int | None = None) -> "WorkerPool":
        """Start workers now (they import the parsers meanwhile); map() would start them anyway."""
        while len(self.workers) < min(self.size, n if n is not None else self.size):
            self.workers.append(self._spawn())
        return self

    def _spawn(self) -> _Worker:
        return _Worker(self.memory_limit, self.preload)

    def run(self, fn: Callable, item) -> Outcome:
        return next(self.map(fn, [item]))[1]

    def map(self, fn: Callable, items: Iterable) -> Iterator[tuple[Any, Outcome]]:
        """(item, outcome) for every item, in the order they finish; at most `size` at a time."""
        queue = list(enumerate(items))[::-1]
        while len(self.workers) < min(self.size, len(queue)):
            self.workers.append(self._spawn())
        busy: list[_Worker] = []
        while queue or busy:
            for w in self.workers:
                if queue and w.task is None:
                    w.wait_ready()  # a worker that died starting is found dead below
                    w.task = queue.pop()
                    w.started = time.perf_counter()
                    try:
                        w.conn.send((fn, (w.task[1],)))
                    except (BrokenPipeError, OSError):
                        pass  # found dead below
                    busy.append(w)
            now = time.perf_counter()
            timeout = max(0.0, min(w.started + self.time_limit for w in busy) - now)
            ready = wait([w.conn for w in busy], timeout)
            for w in list(busy):
                outcome = None
                if w.conn in ready:
                    try:
                        status, value, detail, seconds, rss = w.conn.recv()
                    except (EOFError, OSError):
                        status = None
                    else:
                        outcome = self._outcome(status, value, detail, seconds, rss)
                        if seconds > self.time_limit:
                            # The reading itself overran; its reply only arrived before the pool looked
                            # (it was busy starting another worker). The limit is on the reading, so the
                            # verdict does not depend on when the pool happened to look.
                            outcome = self._timeout(seconds)
                if outcome is None and (w.conn in ready or not w.alive()):
                    try:
                        w.proc.wait(5)
                    except subprocess.TimeoutExpired:
                        w.proc.kill()
                        w.proc.wait(5)
                    reason, detail = _describe_death(w.proc.returncode)
                    outcome = Outcome(False, reason=reason, detail=detail, seconds=time.perf_counter() - w.started)
                    self._replace(w)
                elif outcome is None and time.perf_counter() - w.started >= self.time_limit:
                    outcome = self._timeout(time.perf_counter() - w.started)
                    self._replace(w, kill=True)
                if outcome is not None:
                    item = w.task[1]
                    w.task = None
                    busy.remove(w)
                    yield item, outcome

    def _timeout(self, seconds: float) -> Outcome:
        return Outcome(False, reason="timeout", seconds=seconds,
                       detail=f"läsningen tog mer än {self.time_limit:.0f} s och avbröts / "
                              f"reading took more than {self.time_limit:.0f} s and was stopped")

    def _outcome(self, status, value, detail, seconds, rss) -> Outcome:
        if status == "ok":
            return Outcome(True, value, seconds=seconds, peak_rss_mb=rss)
        if status == "memory":
            return Outcome(False, reason="memory", seconds=seconds, peak_rss_mb=rss,
                           detail=f"läsningen behövde mer än {self.memory_limit // 2**20} MB minne / "
                                  f"reading needed more than {self.memory_limit // 2**20} MB of memory")
        return Outcome(False, value, reason="error", detail=detail, seconds=seconds, peak_rss_mb=rss)

    def _replace(self, w: _Worker, kill: bool = False) -> None:
        """A fresh process in the dead (or overrunning) worker's place; its task is finished."""
        w.stop(kill=kill)
        fresh = self._spawn()
        w.conn, w.proc, w.ready = fresh.conn, fresh.proc, False
        self.replaced += 1


def _serve() -> None:
    """`python -m folkhalsa.isolation FD MEMORY [MODULE ...]`: a worker."""
    fd, memory_limit, *preload = sys.argv[1:]
    for name in preload:
        importlib.import_module(name)
    _worker_main(Connection(int(fd)), int(memory_limit))


if __name__ == "__main__":
    _serve()
