"""Shared HTTP plumbing for the indicator APIs: retries, backoff and clear errors.

One place decides what is worth retrying (429, 5xx, timeouts, broken connections)
and what fails at once (other 4xx, malformed JSON), so PxWeb and Kolada behave alike.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable

import httpx


class ApiError(Exception):
    """An API call failed. The message is Swedish / English and names URL, status and reason."""

    def __init__(self, message: str, *, url: str, status: int | None = None, reason: str = ""):
        super().__init__(message)
        self.url = url
        self.status = status
        self.reason = reason


@dataclass
class RetryPolicy:
    max_retries: int = 4             # retries after the first attempt
    backoff_s: float = 1.0           # first wait; doubles each retry
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 300.0  # never wait longer than this, whatever the server asks
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_s * (2 ** attempt), self.max_backoff_s)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse Retry-After: either delta-seconds or an HTTP date. None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def request_json(
    client: httpx.Client, method: str, url: str, *, service: str, policy: RetryPolicy,
    error_cls: type[ApiError] = ApiError, json_body: Any = None, params: dict | None = None,
) -> Any:
    """Send one request with retries and return the decoded JSON body."""
    where = f"{method} {url}"
    attempt = 0
    while True:
        status: int | None = None
        try:
            resp = client.request(method, url, json=json_body, params=params)
        except httpx.TimeoutException:
            sv, en = "tidsgränsen överskreds", "timed out"
            wait = policy.backoff(attempt)
        except httpx.RemoteProtocolError as e:
            # httpx raises this when the body is shorter than Content-Length or the connection drops.
            sv, en = f"svaret avbröts, avkortad kropp ({e})", f"response truncated ({e})"
            wait = policy.backoff(attempt)
        except httpx.TransportError as e:
            sv, en = f"nätverksfel ({e})", f"network error ({e})"
            wait = policy.backoff(attempt)
        else:
            status = resp.status_code
            reason = resp.reason_phrase
            if status == 429:
                asked = retry_after_seconds(resp.headers.get("Retry-After"))
                wait = min(asked, policy.max_retry_after_s) if asked is not None else policy.backoff(attempt)
                sv, en = f"429 {reason} (för många anrop)", f"429 {reason} (rate limited)"
            elif status >= 500:
                wait = policy.backoff(attempt)
                sv = en = f"{status} {reason}"
            elif status >= 400:
                raise error_cls(
                    f"{service} svarade {status} {reason} på {where} (klientfel, görs inte om): "
                    f"{_snippet(resp.text)} / {service} responded {status} {reason} to {where} "
                    f"(client error, not retried)",
                    url=url, status=status, reason=reason)
            else:
                return _decode(resp, where=where, service=service, error_cls=error_cls)
        if attempt >= policy.max_retries:
            raise error_cls(
                f"{service}: gav upp efter {attempt + 1} försök på {where}, senast: {sv} / "
                f"{service}: gave up after {attempt + 1} attempts at {where}, last: {en}",
                url=url, status=status, reason=en)
        policy.sleep(wait)
        attempt += 1


def _decode(resp: httpx.Response, *, where: str, service: str, error_cls: type[ApiError]) -> Any:
    text = resp.text
    try:
        return json.loads(text)
    except ValueError as e:
        pos = getattr(e, "pos", 0)
        truncated = pos >= len(text.rstrip()) - 1
        hint_sv = ", svaret verkar avkortat" if truncated else ""
        hint_en = ", the response looks truncated" if truncated else ""
        raise error_cls(
            f"{service}: ogiltig JSON från {where} (status {resp.status_code}{hint_sv}): {e} / "
            f"{service}: malformed JSON from {where} (status {resp.status_code}{hint_en}): {e}",
            url=str(resp.url), status=resp.status_code,
            reason="truncated JSON" if truncated else "malformed JSON") from None
