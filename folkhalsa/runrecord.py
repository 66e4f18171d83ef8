"""The run record on disk: what each night did, written as it goes, readable without Prefect.

Prefect's history lives in Prefect's database; when that database or the server is down, or the
run's process dies before its final state is written, Prefect's view of a night is wrong or missing
(a night that published, recorded as Crashed). This file is the night's own account, in the output
folder's state/ (owner-only):

    <state_dir>/run_records.json   {"runs": [record, ...]}   newest last, at most MAX_RECORDS

A record: run_id, flow_run_id and deployment_id (None for `folkhalsa run`), started_at, updated_at,
status (running | completed | failed), published_at (when this night published a new warehouse),
unchanged (the night found nothing new: the published warehouse is still current), alert
(attempted, sent, queued, error), failure, finished_at, prefect_api (whether Prefect's API and its
database answered at the end of the night).

Read by the next night's crash report (folkhalsa.crashes) and by the dead man's switch
(`folkhalsa check-last-night`, folkhalsa.deadman). No Prefect import here except in the probe.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

RECORDS_FILE = "run_records.json"
MAX_RECORDS = 60
PROBE_TIMEOUT_S = 5.0


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _path(state_dir: Path) -> Path:
    return Path(state_dir) / RECORDS_FILE


def records(state_dir: Path) -> list[dict]:
    """Every record kept, oldest first; [] when there is none (or the file is unreadable)."""
    try:
        data = json.loads(_path(state_dir).read_text("utf-8"))
        return [r for r in data.get("runs", []) if isinstance(r, dict) and r.get("run_id")]
    except FileNotFoundError:
        return []
    except (ValueError, AttributeError, TypeError) as e:
        log.warning("%s kunde inte läsas / could not be read: %s", _path(state_dir), type(e).__name__)
        return []


def _save(state_dir: Path, runs: list[dict]) -> None:
    path = _path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".run_records.", dir=path.parent)   # mkstemp: 0600
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"runs": runs[-MAX_RECORDS:]}, f, ensure_ascii=False, indent=2, default=str)
    os.replace(tmp, path)


def update(state_dir: Path, run_id: str, **fields) -> dict:
    """Create or update the record of `run_id` with `fields`; returns it. Never raises for I/O:
    the record is a help, and must not stop a night."""
    try:
        runs = records(state_dir)
        rec = next((r for r in runs if r["run_id"] == run_id), None)
        if rec is None:
            rec = {"run_id": run_id, "status": "running", "published_at": None, "unchanged": False,
                   "alert": None, "failure": None, "finished_at": None, "prefect_api": None}
            runs.append(rec)
        rec.update(fields)
        rec["updated_at"] = now_iso()
        _save(state_dir, runs)
        return rec
    except OSError as e:
        log.warning("Körningsposten kunde inte skrivas / run record not written: %s", e)
        return {"run_id": run_id, **fields}


def find(state_dir: Path, flow_run_id: str) -> dict | None:
    return next((r for r in reversed(records(state_dir)) if r.get("flow_run_id") == str(flow_run_id)), None)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def last_current(runs: list[dict]) -> datetime | None:
    """When the published warehouse was last known current: the latest publish, or the end of the
    latest night that completed finding nothing new."""
    times = [parse_time(r.get("published_at")) for r in runs]
    times += [parse_time(r.get("finished_at")) for r in runs if r.get("status") == "completed" and r.get("unchanged")]
    times = [t for t in times if t]
    return max(times) if times else None


def probe_prefect_api(timeout: float = PROBE_TIMEOUT_S) -> dict:
    """Does Prefect's API answer, with its database (`GET /api/ready`, which needs no auth)?
    {"reachable": True|False|None, "detail": ..., "checked_at": ...}; None: no API configured
    (`folkhalsa run` on its temporary API counts as not configured)."""
    out = {"reachable": None, "detail": "", "checked_at": now_iso()}
    try:
        import httpx
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url
    except Exception as e:  # Prefect not installed or its settings unreadable
        out["detail"] = f"{type(e).__name__}"
        return out
    if not url:
        out["detail"] = "PREFECT_API_URL saknas / not set"
        return out
    url = str(url).rstrip("/")
    try:
        r = httpx.get(f"{url}/ready", timeout=timeout)
    except Exception as e:
        out.update(reachable=False, detail=f"{url}: {type(e).__name__}")
        return out
    if r.status_code == 200:
        out.update(reachable=True, detail=f"{url}: ok")
    else:
        out.update(reachable=False, detail=f"{url}: HTTP {r.status_code} (databasen? / database?)")
    return out


def describe_api(probe: dict | None) -> tuple[str, str]:
    """(Swedish, English) for a probe result."""
    if not probe or probe.get("reachable") is None:
        return ("Prefect-API:t kontrollerades inte", "Prefect's API was not checked")
    if probe["reachable"]:
        return (f"Prefect-API:t svarade ({probe['checked_at']})", f"Prefect's API answered ({probe['checked_at']})")
    return (f"Prefect-API:t svarade inte ({probe['checked_at']}: {probe['detail']})",
            f"Prefect's API did not answer ({probe['checked_at']}: {probe['detail']})")
