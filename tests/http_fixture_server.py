"""A real HTTP server on 127.0.0.1 (in a thread) for API client tests.

It serves recorded responses per route and injects faults: 5xx, 429 with Retry-After,
slow answers (client timeouts), malformed JSON, truncated bodies, bad JSON-stat, 4xx.
A route's replies are used in order; the last one repeats.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from folkhalsa.io.jsonstat import Dimension, build_dataset


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0     # wait before answering, to trip the client's timeout
    truncate: bool = False   # announce the full Content-Length but send only half, then hang up

    @classmethod
    def json(cls, obj: Any, status: int = 200, **kw) -> "Reply":
        return cls(status, json.dumps(obj, ensure_ascii=False).encode(), {"Content-Type": "application/json"}, **kw)


@dataclass
class Request:
    method: str
    path: str        # with query string
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Request], Reply]


# Faults, ready to use.
def server_error(status: int = 500) -> Reply:
    return Reply(status, b"Internal Server Error")


def rate_limited(retry_after: str = "3") -> Reply:
    return Reply(429, b"Too Many Requests", {"Retry-After": retry_after})


def slow(reply: Reply, delay_s: float = 2.0) -> Reply:
    return Reply(reply.status, reply.body, reply.headers, delay_s=delay_s)


def malformed_json() -> Reply:
    return Reply(200, b'{"class": "dataset", "id": [Region, "Tid"]}', {"Content-Type": "application/json"})


def truncated(obj: Any) -> Reply:
    return Reply.json(obj, truncate=True)


def not_found() -> Reply:
    return Reply.json({"error": "Not found"}, 404)


def bad_request() -> Reply:
    return Reply(400, b"Bad request: the query is not valid")


class FixtureServer:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[Reply | Handler]] = {}
        self._prefixes: list[tuple[str, str, Handler]] = []
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(self.command, self.path, self.rfile.read(length) if length else b"")
                server.requests.append(req)
                reply = server._reply_for(req)
                if reply.delay_s and server._stop.wait(reply.delay_s):
                    return
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body[: len(reply.body) // 2] if reply.truncate else reply.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer
                if reply.truncate or reply.delay_s:
                    self.close_connection = True

            do_GET = do_POST = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Answer `method path` (path with query string, or without to match any query)."""
        self._routes[(method, path)] = list(replies)

    def prefix(self, method: str, prefix: str, handler: Handler) -> None:
        self._prefixes.append((method, prefix, handler))

    def count(self, method: str, path_start: str = "") -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(path_start))

    def _reply_for(self, req: Request) -> Reply:
        with self._lock:
            queue = self._routes.get((req.method, req.path)) or self._routes.get(
                (req.method, urlsplit(req.path).path))
            if queue:
                item = queue.pop(0) if len(queue) > 1 else queue[0]
                return item(req) if callable(item) else item
        for method, prefix, handler in self._prefixes:
            if req.method == method and req.path.startswith(prefix):
                return handler(req)
        return not_found()

    def start(self) -> "FixtureServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FixtureServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------- a fake PxWeb table

@dataclass
class PxVariable:
    code: str
    text: str
    values: list[str]
    texts: list[str] | None = None
    time: bool = False
    elimination: bool = False

    def meta(self) -> dict:
        out = {"code": self.code, "text": self.text, "values": self.values,
               "valueTexts": self.texts or self.values}
        if self.time:
            out["time"] = True
        if self.elimination:
            out["elimination"] = True
        return out


class PxTable:
    """Answers GET (metadata) and POST (json-stat2) like PxWeb, refusing queries above max_values."""

    def __init__(self, variables: list[PxVariable], value_fn: Callable[[dict[str, str]], float | None],
                 max_values: int, title: str = "Testtabell", status_fn: Callable[[dict[str, str]], str | None] = None):
        self.variables, self.value_fn, self.max_values, self.title = variables, value_fn, max_values, title
        self.status_fn = status_fn or (lambda cell: None)

    def metadata(self, req: Request) -> Reply:
        return Reply.json({"title": self.title, "variables": [v.meta() for v in self.variables]})

    def query(self, req: Request) -> Reply:
        body = req.json()
        if body.get("response", {}).get("format") != "json-stat2":
            return bad_request()
        chosen = {q["code"]: q["selection"]["values"] for q in body["query"]}
        dims = []
        for v in self.variables:
            if v.code not in chosen and v.elimination:
                continue  # PxWeb eliminates (sums up) an unselected variable that allows it
            values = chosen.get(v.code, v.values)
            texts = dict(zip(v.values, v.texts or v.values))
            dims.append(Dimension(v.code, list(values), [texts[x] for x in values], v.text))
        total = math.prod(len(d.codes) for d in dims)
        if total > self.max_values:
            return Reply(403, f"Too many values selected: {total} > {self.max_values}".encode())
        values, status = [], {}
        for i, combo in enumerate(_product([d.codes for d in dims])):
            cell = dict(zip([d.id for d in dims], combo))
            values.append(self.value_fn(cell))
            if s := self.status_fn(cell):
                status[i] = s
        tvars = [v.code for v in self.variables if v.time]
        return Reply.json(build_dataset(dims, values, status, label=self.title, source="Test",
                                        role={"time": tvars, "metric": ["ContentsCode"]}))

    def mount(self, server: FixtureServer, path: str) -> None:
        server.route("GET", path, self.metadata)
        server.route("POST", path, self.query)


def _product(lists: list[list[str]]):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield (head, *tail)


class Sleeps(list):
    """Records the waits instead of sleeping, so retries are instant."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
