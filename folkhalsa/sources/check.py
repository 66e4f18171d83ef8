"""`folkhalsa check-sources`: does every catalogue row still resolve against its source?

Online, each row's metadata only is fetched (PxWeb table metadata, Kolada KPI metadata) and the row's
selection is tried on it: found, missing table, missing category, missing measure, last period published.
Offline, the snapshots (the sample, or saved online responses) are read as landing reads them.
This is what an analyst runs after FoHM renames a table or Kolada retires a KPI.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl

from folkhalsa.io.http import ApiError
from folkhalsa.sources.indicators import _end, catalogue_key, harmonise_snapshot, pxweb_selection
from folkhalsa.io.kolada import KoladaClient
from folkhalsa.io.pxweb import PxWebClient
from folkhalsa.sources.pxweb_tables import TableMismatch, is_measure_variable, is_variable

FOUND, MISSING_TABLE, MISSING_CATEGORY, MISSING_MEASURE, MISMATCH, NO_SNAPSHOT, ERROR, NOT_CHECKED = (
    "found", "missing table", "missing category", "missing measure", "mismatch", "no snapshot", "error",
    "not checked")


@dataclass
class SourceCheck:
    indicator_code: str
    decided: bool
    source: str
    where: str              # table path or KPI id
    status: str
    last_period: str | None = None
    message: str = ""
    source_status: str = "verified"     # catalogue source_status (SOURCE_STATUSES)

    @property
    def verified(self) -> bool:
        return self.source_status == "verified"

    @property
    def resolves(self) -> bool:
        return self.status == FOUND

    def line(self) -> str:
        flag = "OK " if self.resolves else ("-- " if self.status == NOT_CHECKED else "FEL")
        last = f", senaste period / last period {self.last_period}" if self.last_period else ""
        note = "" if self.verified else f" [overifierad / unverified: {self.source_status}]"
        msg = f": {self.message}" if self.message and not self.resolves else ""
        return f"{flag} {self.indicator_code} ({self.source} {self.where}) {self.status}{last}{note}{msg}"


def _classify(e: TableMismatch, cat: dict) -> str:
    if e.variable and is_variable(e.variable, "", cat.get("category_variable")):
        return MISSING_CATEGORY
    if e.variable and is_measure_variable(e.variable, ""):
        return MISSING_MEASURE
    return MISMATCH


def _base(cat: dict) -> SourceCheck:
    where = cat.get("table_path") or cat.get("kpi_id") or "-"
    return SourceCheck(catalogue_key(cat), bool(cat.get("decided")), cat["source"], where, ERROR,
                       source_status=cat["source_status"])


def _time_values(meta: dict) -> list[str]:
    for var in meta.get("variables", []):
        if var.get("time") or re.sub(r"\W", "", str(var.get("code", "")).lower()) in ("år", "ar", "tid", "period"):
            return [str(v) for v in var.get("values", [])]
    return []


def check_pxweb_row(px: PxWebClient, cat: dict) -> SourceCheck:
    out = _base(cat)
    try:
        meta = px.metadata(cat["table_path"])
    except ApiError as e:
        out.status = MISSING_TABLE if e.status in (400, 404) else ERROR
        out.message = f"tabellen {cat['table_path']} / the table {cat['table_path']}: {e}"
        return out
    try:
        pxweb_selection(meta, cat, None)
    except TableMismatch as e:
        out.status, out.message = _classify(e, cat), str(e)
        return out
    periods = sorted(_time_values(meta), key=lambda p: (_end(p) or 0, p))
    out.status, out.last_period = FOUND, periods[-1] if periods else None
    return out


def check_kolada_row(kc: KoladaClient, cat: dict) -> SourceCheck:
    out = _base(cat)
    try:
        kpi = kc.kpi_metadata(cat["kpi_id"])
    except ApiError as e:
        out.status, out.message = ERROR, str(e)
        return out
    if kpi is None:
        out.status = MISSING_TABLE
        out.message = f"Kolada har inget nyckeltal {cat['kpi_id']} / Kolada has no KPI {cat['kpi_id']}"
        return out
    kind = kpi.get("municipality_type")
    if cat.get("kpi_type") and kind and kind != cat["kpi_type"]:
        out.status = MISMATCH
        out.message = (f"{cat['kpi_id']} är typ {kind}, katalogen anger {cat['kpi_type']} / "
                       f"{cat['kpi_id']} is type {kind}, the catalogue says {cat['kpi_type']}")
        return out
    out.status, out.last_period = FOUND, str(kpi.get("publ_period") or "") or None
    return out


def check_online(catalogue: pl.DataFrame, *, pxweb_base_url: str, kolada_base_url: str, timeout: float = 30.0,
                 max_retries: int = 2, sleep: Callable[[float], None] = time.sleep,
                 scb_base_url: str = "https://api.scb.se/OV0104/v1/doris/sv/ssd") -> list[SourceCheck]:
    checks = []
    retry = dict(timeout=timeout, max_retries=max_retries, backoff_s=1.0, sleep=sleep)
    with PxWebClient(pxweb_base_url, **retry) as px, KoladaClient(kolada_base_url, **retry) as kc:
        for cat in catalogue.iter_rows(named=True):
            if cat["source"] == "folkhalsodata":
                checks.append(check_pxweb_row(px, cat))
            elif cat["source"] == "scb":  # a series row on SCB's PxWeb: its own base URL
                with PxWebClient(scb_base_url, **retry) as scb:
                    checks.append(check_pxweb_row(scb, cat))
            elif cat["source"] == "kolada":
                checks.append(check_kolada_row(kc, cat))
            else:
                checks.append(_not_checked(cat))
    return checks


def _not_checked(cat: dict) -> SourceCheck:
    out = _base(cat)
    out.status, out.message = NOT_CHECKED, "ingen API-källa / no API source"
    return out


def check_offline(catalogue: pl.DataFrame, snapshot_dir: Path) -> list[SourceCheck]:
    """Read each row's newest snapshot under snapshot_dir/<source>/<code>[__stamp].json as landing does."""
    cats = {catalogue_key(r): r for r in catalogue.iter_rows(named=True)}
    checks = []
    for key, cat in cats.items():
        out = _base(cat)
        files = sorted(Path(snapshot_dir).glob(f"{cat['source']}/{key}.json")) + sorted(
            Path(snapshot_dir).glob(f"{cat['source']}/{key}__*.json"))
        if not files:
            out.status, out.message = NO_SNAPSHOT, f"ingen ögonblicksbild i / no snapshot in {snapshot_dir}"
            checks.append(out)
            continue
        try:
            df, _ = harmonise_snapshot(json.loads(files[-1].read_text("utf-8")), cats)
        except TableMismatch as e:
            out.status, out.message = _classify(e, cat), f"{files[-1].name}: {e}"
        except (ValueError, KeyError) as e:
            out.status, out.message = ERROR, f"{files[-1].name}: {e}"
        else:
            shown = df.filter(pl.col("value").is_not_null())
            out.status = FOUND if shown.height or cat["source"] == "file" else MISMATCH
            out.message = "" if out.resolves else f"{files[-1].name}: inga värden / no values"
            if shown.height:
                out.last_period = shown.sort("period_end_year", "period")["period"][-1]
        if cat["source"] == "file" and not out.decided:
            out.status = NOT_CHECKED if out.status == FOUND else out.status
        checks.append(out)
    return checks


def exit_code(checks: list[SourceCheck]) -> int:
    """0 when every decided indicator resolves, 1 otherwise."""
    return 0 if all(c.resolves for c in checks if c.decided) else 1
