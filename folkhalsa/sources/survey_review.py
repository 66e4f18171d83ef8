"""Partial resubmissions of the SKR survey: held for review instead of replacing the year's export.

A new export for a year with fewer than PARTIAL_SHARE (half) of the counted respondents of the
year's current export lands with review_status `pending_review`. dbt's stg_skr__exports never
makes a pending export current, so the published marts keep the earlier export. An analyst who
has checked the file accepts it with

    folkhalsa accept-survey <file name or sha256 (prefix)> [--output data/output]

which lands a decision batch in landing/skr_survey/<id>/ (its `decisions` table holds the one
decision, every other table is empty; a new batch, so the next run rebuilds). Every survey batch has
a `decisions` table, empty for exports. The naming follows the county returns: status `pending_review`, command
`folkhalsa accept-<source>`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from folkhalsa.landing import utc_now, with_provenance, write_batch

SOURCE = "skr_survey"
PARTIAL_SHARE = 0.5
PENDING, ACCEPTED = "pending_review", "accepted"
DECISION_SCHEMA = {"target_batch_id": pl.Utf8, "survey_year": pl.Int32, "file_name": pl.Utf8,
                   "decision": pl.Utf8, "decided_at": pl.Datetime("us", "UTC")}


def empty_decisions() -> pl.DataFrame:
    """The `decisions` table of an export batch: no rows (provenance columns added by the caller)."""
    return pl.DataFrame(schema=DECISION_SCHEMA)


@dataclass
class LandedExport:
    batch_id: str
    file: str
    sha256: str
    year: int
    n_counted: int
    latest_submitted_at: datetime | None
    received_at: str
    review_status: str


def _decisions(landing_dir: Path) -> dict[str, str]:
    out = {}
    for p in sorted((landing_dir / SOURCE).glob("*/decisions.parquet")):
        for r in pl.read_parquet(p).iter_rows(named=True):
            out[r["target_batch_id"]] = r["decision"]
    return out


def landed_exports(landing_dir: Path) -> list[LandedExport]:
    """Every landed export with its effective review status (a decision overrides the landed one)."""
    decided = _decisions(landing_dir)
    out = []
    for m in sorted((landing_dir / SOURCE).glob("*/_manifest.json")):
        man = json.loads(m.read_text("utf-8"))
        if man.get("placeholder") or man.get("decision") or man.get("status") == "rejected" \
                or not (m.parent / "exports.parquet").exists():
            continue
        ex = pl.read_parquet(m.parent / "exports.parquet")
        if ex.height == 0:
            continue
        row = ex.row(0, named=True)
        status = decided.get(m.parent.name) or row.get("review_status") or ACCEPTED
        out.append(LandedExport(m.parent.name, row["file_name"], man.get("sha256", ""), int(row["survey_year"]),
                                int(row["n_counted"] or 0), row["latest_submitted_at"],
                                man.get("received_at", ""), status))
    return out


def current_export(landing_dir: Path, year: int, exclude: str | None = None) -> LandedExport | None:
    """The year's current export as dbt picks it: not pending, latest answer, then latest landed.
    exclude: a batch id to leave out (the export being re-landed)."""
    cands = [e for e in landed_exports(landing_dir) if e.year == year and e.review_status != PENDING
             and e.batch_id != exclude]
    cands.sort(key=lambda e: (e.latest_submitted_at or datetime.min, e.received_at, e.batch_id), reverse=True)
    return cands[0] if cands else None


def review_status_for(n_counted: int, current: LandedExport | None) -> str:
    """pending_review when the new export has fewer than half the current export's respondents."""
    if current is not None and n_counted < PARTIAL_SHARE * current.n_counted:
        return PENDING
    return ACCEPTED


def pending_exports(landing_dir: Path) -> list[LandedExport]:
    return [e for e in landed_exports(landing_dir) if e.review_status == PENDING]


class ReviewError(Exception):
    pass


def accept_export(landing_dir: Path, ref: str, empty_tables: dict[str, pl.DataFrame], *,
                  decided_at: datetime | None = None) -> LandedExport:
    """Accept a pending export named by file name, batch id or sha256 prefix. Returns it.
    empty_tables: every table of a survey batch, empty (the decision batch lands them all)."""
    ref = ref.strip()
    name = Path(ref).name
    pending = pending_exports(landing_dir)
    hits = [e for e in pending if e.file == name or (len(ref) >= 8 and (e.sha256.startswith(ref.lower())
                                                                        or e.batch_id.startswith(ref.lower())))]
    if len(hits) != 1:
        listed = ", ".join(f"{e.file} ({e.sha256[:12]})" for e in pending) or "inga / none"
        what = "flera träffar" if hits else "ingen träff"
        raise ReviewError(f"{ref}: {what} bland exporter som väntar på granskning / "
                          f"{'several matches' if hits else 'no match'} among exports pending review: {listed}")
    e = hits[0]
    decided_at = decided_at or utc_now()
    df = pl.DataFrame([{"target_batch_id": e.batch_id, "survey_year": e.year, "file_name": e.file,
                        "decision": ACCEPTED, "decided_at": decided_at}], schema=DECISION_SCHEMA)
    bid = hashlib.sha256(f"{e.batch_id}:{ACCEPTED}".encode()).hexdigest()[:16]
    df = with_provenance(df, batch_id=bid, source_file=e.file, sha256=e.sha256, sheet=None, received_at=decided_at)
    # No sha256 in the manifest: the decision is not an input file and is never re-landed.
    write_batch(landing_dir, SOURCE, bid, {**empty_tables, "decisions": df},
                {"decision": ACCEPTED, "target_batch_id": e.batch_id, "target_sha256": e.sha256, "file": e.file,
                 "decided_at": decided_at.isoformat()})
    e.review_status = ACCEPTED
    return e
