"""Kolada v3 client and parser (v2 was shut down on 2026-03-31).

Data URL: <base>/data/kpi/<kpi>/municipality/<ids>/year/<years>?per_page=<n>; each page is
{"count", "values": [{"kpi", "municipality", "period",
                      "values": [{"gender", "count", "status", "value", "isdeleted"}]}],
 "next_url": <full URL, or null / absent on the last page>, "previous_url": ...}.
At most 25 ids in one path segment, per_page at most 5000. Values flagged `isdeleted` are dropped
and counted. The envelope is documented with its public evidence in docs/indicator_sources.md.
Area ids are four characters: "0000" is riket, "00"+länskod is a region (e.g. "0001"
Region Stockholm), anything else is a kommunkod whose first two digits are the länskod.
"""
from __future__ import annotations

import re
import time
from typing import Callable, Sequence
from urllib.parse import urljoin

import httpx
import polars as pl

from folkhalsa.io.http import ApiError, RetryPolicy, request_json

SERVICE = "Kolada"
GENDERS = {"T", "K", "M"}
MAX_IDS_PER_REQUEST = 25   # Kolada v3 refuses longer id lists
MAX_PER_PAGE = 5000
_AREA = re.compile(r"^\d{4}$")


class KoladaError(ApiError):
    """A Kolada call failed, or a page is not what Kolada v3 returns."""


class KoladaParseError(ValueError):
    """A Kolada page is ill-formed. Message in Swedish / English."""


class KoladaClient:
    def __init__(self, base_url: str, timeout: float = 30.0, max_retries: int = 4, backoff_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, per_page: int = MAX_PER_PAGE,
                 ids_per_request: int = MAX_IDS_PER_REQUEST, max_pages: int = 1000):
        if not 1 <= ids_per_request <= MAX_IDS_PER_REQUEST:
            raise ValueError(f"ids_per_request must be 1..{MAX_IDS_PER_REQUEST} (Kolada v3), got {ids_per_request}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE} (Kolada v3), got {per_page}")
        self.base_url = base_url.rstrip("/")
        self.policy = RetryPolicy(max_retries=max_retries, backoff_s=backoff_s, sleep=sleep)
        self.per_page = per_page
        self.ids_per_request = ids_per_request
        self.max_pages = max_pages
        self._client = httpx.Client(timeout=timeout, headers={"Accept": "application/json"},
                                    follow_redirects=True)

    def __enter__(self) -> "KoladaClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def data_urls(self, kpi_id: str, municipality_ids: Sequence[str] | None,
                  years: Sequence[int] | None) -> list[str]:
        """First-page URLs; None means all areas / all years."""
        year_part = f"/year/{','.join(str(y) for y in years)}" if years else ""
        if not municipality_ids:
            return [f"{self.base_url}/data/kpi/{kpi_id}{year_part}?per_page={self.per_page}"]
        ids = list(municipality_ids)
        return [f"{self.base_url}/data/kpi/{kpi_id}/municipality/{','.join(ids[i:i + self.ids_per_request])}"
                f"{year_part}?per_page={self.per_page}" for i in range(0, len(ids), self.ids_per_request)]

    def values(self, kpi_id: str, municipality_ids: Sequence[str] | None = None,
               years: Sequence[int] | None = None) -> list[dict]:
        """All pages for one KPI, following next_url until a page has none."""
        pages = []
        for url in self.data_urls(kpi_id, municipality_ids, years):
            seen: set[str] = set()
            while url:
                if url in seen or len(seen) >= self.max_pages:
                    raise KoladaError(f"Kolada: next_url går i cirkel eller tar aldrig slut ({url}) / "
                                      f"Kolada: next_url loops or never ends ({url})", url=url, reason="paging")
                seen.add(url)
                page = request_json(self._client, "GET", url, service=SERVICE, policy=self.policy,
                                    error_cls=KoladaError)
                if not isinstance(page, dict) or not isinstance(page.get("values"), list):
                    raise KoladaError(f"Kolada: svaret från GET {url} saknar 'values' / "
                                      f"Kolada: the response from GET {url} has no 'values'",
                                      url=url, status=200, reason="no values")
                if "next_page" in page and "next_url" not in page:  # a v2 page would be cut short silently
                    raise KoladaError(f"Kolada: svaret från GET {url} har v2-formatet (next_page); v3 länkar med "
                                      f"next_url / Kolada: the response from GET {url} is in the v2 format "
                                      f"(next_page); v3 links pages with next_url", url=url, status=200,
                                      reason="v2 envelope")
                pages.append(page)
                nxt = page.get("next_url")
                url = urljoin(url, nxt) if nxt else None
        return pages

    def kpi_metadata(self, kpi_id: str) -> dict | None:
        """GET <base>/kpi/<id> -> {"values": [{"id", "title", "municipality_type", ...}]}; None if Kolada has no such KPI."""
        url = f"{self.base_url}/kpi/{kpi_id}"
        page = request_json(self._client, "GET", url, service=SERVICE, policy=self.policy, error_cls=KoladaError)
        values = page.get("values") if isinstance(page, dict) else None
        hits = [v for v in values or [] if isinstance(v, dict) and v.get("id") == kpi_id]
        return hits[0] if hits else None


def area_codes(area_id: str) -> tuple[str, str | None]:
    """Kolada area id -> (region_code, municipality_code). Riket is region '00'."""
    if not isinstance(area_id, str) or not _AREA.match(area_id):
        raise KoladaParseError(f"Kolada: okänt område '{area_id}' (väntade fyra siffror) / "
                               f"Kolada: unknown area '{area_id}' (expected four digits)")
    if area_id.startswith("00"):
        return area_id[2:], None       # "0000" -> "00" riket, "0001" -> "01" Stockholm
    return area_id[:2], area_id


def _is_deleted(v: object) -> bool:
    flag = v.get("isdeleted") if isinstance(v, dict) else None
    return flag is True or flag == 1 or (isinstance(flag, str) and flag.strip().lower() in ("true", "1"))


def drop_deleted(pages: Sequence[dict]) -> tuple[list[dict], int]:
    """The pages without the values Kolada flags `isdeleted`, and how many were dropped."""
    out, dropped = [], 0
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("values"), list):
            out.append(page)  # parse_kolada reports the malformed page
            continue
        entries = []
        for entry in page["values"]:
            if isinstance(entry, dict) and isinstance(entry.get("values"), list):
                kept = [v for v in entry["values"] if not _is_deleted(v)]
                dropped += len(entry["values"]) - len(kept)
                entry = {**entry, "values": kept}
            entries.append(entry)
        out.append({**page, "values": entries})
    return out, dropped


def parse_kolada(pages: Sequence[dict]) -> pl.DataFrame:
    """Kolada pages -> one row per (kpi, area, period, gender).

    Columns: kpi, area_id, region_code, municipality_code, period, sex, value, kolada_status, row.
    `row` numbers the value entries across pages (1-based) for provenance.
    """
    rows: dict[str, list] = {k: [] for k in
                             ("kpi", "area_id", "region_code", "municipality_code", "period", "sex", "value",
                              "kolada_status", "row")}
    n = 0
    for p, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not isinstance(page.get("values"), list):
            raise KoladaParseError(f"Kolada: sida {p} saknar 'values' / Kolada: page {p} has no 'values'")
        for entry in page["values"]:
            where_sv, where_en = f"sida {p}", f"page {p}"
            if not isinstance(entry, dict) or not isinstance(entry.get("values"), list):
                raise KoladaParseError(f"Kolada: {where_sv}: posten saknar 'values' / "
                                       f"Kolada: {where_en}: entry has no 'values'")
            area = entry.get("municipality")
            region, muni = area_codes(area)
            period = str(entry.get("period", ""))
            if not re.fullmatch(r"\d{4}", period):
                raise KoladaParseError(f"Kolada: {where_sv}, område {area}: ogiltig period '{period}' / "
                                       f"Kolada: {where_en}, area {area}: invalid period '{period}'")
            for v in entry["values"]:
                n += 1
                gender = v.get("gender") if isinstance(v, dict) else None
                if gender not in GENDERS:
                    raise KoladaParseError(f"Kolada: {where_sv}, område {area}, {period}: okänt kön '{gender}' "
                                           f"(T, K eller M) / Kolada: {where_en}, area {area}, {period}: "
                                           f"unknown gender '{gender}' (T, K or M)")
                value = v.get("value")
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                    raise KoladaParseError(f"Kolada: {where_sv}, område {area}, {period}: värdet {value!r} är inte "
                                           f"ett tal / Kolada: {where_en}, area {area}, {period}: value {value!r} "
                                           f"is not a number")
                for k, x in (("kpi", entry.get("kpi")), ("area_id", area), ("region_code", region),
                             ("municipality_code", muni), ("period", period), ("sex", gender),
                             ("value", None if value is None else float(value)),
                             ("kolada_status", v.get("status") or None), ("row", n)):
                    rows[k].append(x)
    schema = {"kpi": pl.Utf8, "area_id": pl.Utf8, "region_code": pl.Utf8, "municipality_code": pl.Utf8,
              "period": pl.Utf8, "sex": pl.Utf8, "value": pl.Float64, "kolada_status": pl.Utf8, "row": pl.Int64}
    return pl.DataFrame(rows, schema=schema)
