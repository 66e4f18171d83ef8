"""PxWeb v1 client (Folkhälsodata): config, table metadata and json-stat2 queries.

PxWeb refuses queries that select more cells than `maxValues` (from `<base>/?config`),
so `query` splits the selection into chunks that each fit, and merges the answers.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterator

import httpx

from folkhalsa.io.http import ApiError, RetryPolicy, request_json
from folkhalsa.io.jsonstat import JsonStatError, merge_datasets

SERVICE = "PxWeb"


class PxWebError(ApiError):
    """A PxWeb call failed (URL, status and reason in the message)."""


def split_selection(selection: dict[str, list[str]], max_values: int) -> Iterator[dict[str, list[str]]]:
    """Yield sub-selections whose cell count (product of value counts) is at most max_values."""
    total = math.prod(len(v) for v in selection.values())
    if total <= max_values:
        yield selection
        return
    # Split the variable with most values; recurse in case the rest is still too big.
    name = max(selection, key=lambda k: len(selection[k]))
    values = selection[name]
    if len(values) <= 1:
        raise ValueError(f"cannot split selection {selection} below maxValues={max_values}")
    rest = total // len(values)
    step = max(1, max_values // rest)
    for i in range(0, len(values), step):
        yield from split_selection({**selection, name: values[i:i + step]}, max_values)


def query_body(selection: dict[str, list[str]]) -> dict:
    return {"query": [{"code": code, "selection": {"filter": "item", "values": list(values)}}
                      for code, values in selection.items()],
            "response": {"format": "json-stat2"}}


class PxWebClient:
    def __init__(self, base_url: str, timeout: float = 30.0, max_retries: int = 4, backoff_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, max_values: int | None = None):
        self.base_url = base_url.rstrip("/")
        self.policy = RetryPolicy(max_retries=max_retries, backoff_s=backoff_s, sleep=sleep)
        self._client = httpx.Client(timeout=timeout, headers={"Accept": "application/json"},
                                    follow_redirects=True)
        self._max_values = max_values

    def __enter__(self) -> "PxWebClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def table_url(self, table_path: str) -> str:
        return f"{self.base_url}/{table_path.strip('/')}"

    def _call(self, method: str, url: str, body: dict | None = None):
        return request_json(self._client, method, url, service=SERVICE, policy=self.policy,
                            error_cls=PxWebError, json_body=body)

    def config(self) -> dict:
        url = f"{self.base_url}/?config"
        cfg = self._call("GET", url)
        if not isinstance(cfg, dict) or not isinstance(cfg.get("maxValues"), int) or cfg["maxValues"] < 1:
            raise PxWebError(f"PxWeb: ?config saknar ett giltigt maxValues ({url}) / "
                             f"PxWeb: ?config has no valid maxValues ({url})", url=url, status=200,
                             reason="no maxValues")
        return cfg

    @property
    def max_values(self) -> int:
        if self._max_values is None:
            self._max_values = self.config()["maxValues"]
        return self._max_values

    def metadata(self, table_path: str) -> dict:
        url = self.table_url(table_path)
        meta = self._call("GET", url)
        if not isinstance(meta, dict) or not isinstance(meta.get("variables"), list):
            raise PxWebError(f"PxWeb: metadata för {url} saknar 'variables' / "
                             f"PxWeb: metadata for {url} has no 'variables'", url=url, status=200,
                             reason="no variables")
        return meta

    def query(self, table_path: str, selection: dict[str, list[str]]) -> dict:
        """POST the selection (in chunks within maxValues) and return one merged json-stat2 dataset."""
        url = self.table_url(table_path)
        empty = [k for k, v in selection.items() if not v]
        if empty:
            raise ValueError(f"empty selection for {empty} in {url}")
        parts = [self._call("POST", url, query_body(chunk))
                 for chunk in split_selection(selection, self.max_values)]
        try:
            return merge_datasets(parts)
        except JsonStatError as e:
            raise PxWebError(f"PxWeb: ogiltigt JSON-stat-svar från POST {url} / "
                             f"invalid JSON-stat response from POST {url}: {e}", url=url, status=200,
                             reason="invalid JSON-stat") from None
