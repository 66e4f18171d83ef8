"""Kolada v2 client and parser.

Data URL: <base>/data/kpi/<kpi>/municipality/<ids>/year/<years>; each page is
{"count", "values": [{"kpi", "municipality", "period", "values": [{"gender", "status", "value", "count"}]}],
 "next_page": <full URL or null>}.
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
_AREA = re.compile(r"^\d{4}$")


class KoladaError(ApiError):
    """A Kolada call failed, or a page is not what Kolada v2 returns."""


class KoladaParseError(ValueError):
    """A Kolada page is ill-formed. Message in Swedish / English."""


class KoladaClient:
    def __init__(self, base_url: str, timeout: float = 30.0, max_retries: int = 4, backoff_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, per_page: int = 5000, ids_per_request: int = 100,
                 max_pages: int = 1000):
        self.base_url = base_url.rstrip("/")
        self.policy = RetryPolicy(max_retries=max_retries, backoff_s=backoff_s, sleep=sleep)
        self.per_page = per_page
        self.ids_per_request = ids_per_request  # long id lists make Kolada answer 400 (URL too long)
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
        """All pages for one KPI, following next_page."""
        pages = []
        for url in self.data_urls(kpi_id, municipality_ids, years):
            seen: set[str] = set()
            while url:
                if url in seen or len(seen) >= self.max_pages:
                    raise KoladaError(f"Kolada: next_page går i cirkel eller tar aldrig slut ({url}) / "
                                      f"Kolada: next_page loops or never ends ({url})", url=url, reason="paging")
                seen.add(url)
                page = request_json(self._client, "GET", url, service=SERVICE, policy=self.policy,
                                    error_cls=KoladaError)
                if not isinstance(page, dict) or not isinstance(page.get("values"), list):
                    raise KoladaError(f"Kolada: svaret från GET {url} saknar 'values' / "
                                      f"Kolada: the response from GET {url} has no 'values'",
                                      url=url, status=200, reason="no values")
                pages.append(page)
                nxt = page.get("next_page")
                url = urljoin(url, nxt) if nxt else None
        return pages


def area_codes(area_id: str) -> tuple[str, str | None]:
    """Kolada area id -> (region_code, municipality_code). Riket is region '00'."""
    if not isinstance(area_id, str) or not _AREA.match(area_id):
        raise KoladaParseError(f"Kolada: okänt område '{area_id}' (väntade fyra siffror) / "
                               f"Kolada: unknown area '{area_id}' (expected four digits)")
    if area_id.startswith("00"):
        return area_id[2:], None       # "0000" -> "00" riket, "0001" -> "01" Stockholm
    return area_id[:2], area_id


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
