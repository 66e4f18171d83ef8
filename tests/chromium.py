"""A real headless Chromium (Debian `chromium`) driven over the Chrome DevTools Protocol.

Only the `websockets` client from PyPI (already a Prefect dependency) is used: no Selenium, no
Playwright browser download. Each Chromium runs with a fresh profile and with every background
network feature off, so a page that loads anything from the internet shows up in `requests`.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class Page:
    url: str
    errors: list[str] = field(default_factory=list)      # console errors, exceptions, failed loads
    requests: list[str] = field(default_factory=list)    # every URL the page asked for
    values: dict[str, object] = field(default_factory=dict)
    screenshot: bytes = b""

    @property
    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


class Chromium:
    def __init__(self, width: int = 1280, height: int = 900):
        self.binary = chromium_path()
        if self.binary is None:
            raise FileNotFoundError("chromium")
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="folkhalsa-chromium-")
        self.proc = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("Chromium did not start (no DevToolsActivePort)")
            time.sleep(0.1)
        self.port = int(port_file.read_text().splitlines()[0])

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, url: str, evaluate: dict[str, str] | None = None, settle: float = 1.5,
             timeout: float = 60) -> Page:
        """Load url, wait for the load event and `settle` seconds, evaluate JS expressions, screenshot."""
        from websockets.sync.client import connect

        with _put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as r:
            target = json.load(r)
        page = Page(url)
        with connect(target["webSocketDebuggerUrl"], max_size=64 * 2**20, open_timeout=10) as ws:
            ids = iter(range(1, 10**6))

            def call(method: str, **params):
                msg_id = next(ids)
                ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
                while True:
                    msg = json.loads(ws.recv(timeout=timeout))
                    if msg.get("id") == msg_id:
                        if "error" in msg:
                            raise RuntimeError(f"{method}: {msg['error']}")
                        return msg.get("result", {})
                    _event(page, msg)

            for domain in ("Page", "Runtime", "Log", "Network"):
                call(f"{domain}.enable")
            call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                 deviceScaleFactor=1, mobile=False)
            call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            loaded = False
            while not loaded:
                msg = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
                loaded = msg.get("method") == "Page.loadEventFired"
                _event(page, msg)
            end = time.monotonic() + settle
            while time.monotonic() < end:   # scripts that fill the page after load (bootstrap-table)
                try:
                    _event(page, json.loads(ws.recv(timeout=max(end - time.monotonic(), 0.01))))
                except TimeoutError:
                    break
            for name, expression in (evaluate or {}).items():
                res = call("Runtime.evaluate", expression=expression, returnByValue=True)
                page.values[name] = res.get("result", {}).get("value")
            page.screenshot = base64.b64decode(call("Page.captureScreenshot", format="png")["data"])
        return page


def _put(url: str):
    # /json/new must be a PUT in current Chromium.
    return urllib.request.urlopen(urllib.request.Request(url, method="PUT"), timeout=10)


def _event(page: Page, msg: dict) -> None:
    method, params = msg.get("method"), msg.get("params", {})
    if method == "Runtime.exceptionThrown":
        d = params.get("exceptionDetails", {})
        page.errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
        page.errors.append(f"console.{params['type']}: {args}")
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        e = params["entry"]
        page.errors.append(f"log ({e.get('source')}): {e.get('text')} {e.get('url', '')}".strip())
    elif method == "Network.requestWillBeSent":
        page.requests.append(params.get("request", {}).get("url", ""))
    elif method == "Network.loadingFailed" and not params.get("canceled"):
        page.errors.append(f"load failed: {params.get('errorText')} ({params.get('type')})")
