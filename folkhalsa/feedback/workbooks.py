"""What the nightly run does with feedback: a marked-up workbook for every rejected or warned return.

Where the files go (documented in README "Återkoppling till länen"):
- a rejected return: next to its quarantined copy (and its .fel.txt),
  quarantine/<batch>/<sha[:2]>/<name>.återkoppling.xlsx;
- a landed return with warnings: feedback/<county>/<name>.återkoppling.xlsx under the output folder
  (a later version with the same file name replaces it).
Both are made from the archived original (landing keeps it under its hash), so a file removed from
the inbox still gets its feedback. A feedback file that exists is not written again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from folkhalsa.issues import Issue
from folkhalsa.landing import LandResult, archived_path, batch_id_for, read_manifest
from folkhalsa.schemas.lansrapport import SOURCE as RETURNS
from folkhalsa.settings import Settings

SOURCE = RETURNS


@dataclass
class Feedback:
    """One return's feedback workbook."""
    file: str                   # the return's file name as received
    sha256: str
    county_code: str | None
    year: int | None
    status: str                 # rejected | warnings
    path: Path                  # the marked-up workbook
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(i.severity == "error" for i in self.issues)

    @property
    def warnings(self) -> int:
        return sum(i.severity == "warning" for i in self.issues)


def feedback_path(settings: Settings, status: str, file: str, batch_id: str, county: str | None) -> Path:
    """Where a return's feedback workbook goes. `batch_id`: the first 16 hex digits of its sha256."""
    from folkhalsa.feedback.annotate import feedback_name

    if status == "rejected":
        # landing.quarantine_file keeps the copy in quarantine/<batch>/<sha[:2]>/: beside it.
        return settings.quarantine_dir / batch_id / batch_id[:2] / feedback_name(file)
    return settings.feedback_dir / (county or "okänt-län") / feedback_name(file)


def _by_file(issues: list[Issue]) -> dict[tuple[str, str], list[Issue]]:
    out: dict[tuple[str, str], list[Issue]] = {}
    for i in issues:
        if i.sha256:
            out.setdefault((i.file, i.sha256), []).append(i)
    return out


def feedback_targets(settings: Settings, result: LandResult) -> list[Feedback]:
    """The returns of this night that get feedback: every rejected one, and every landed one with
    a warning (a skipped, unchanged rejected file is listed again; its workbook already exists)."""
    out: dict[str, Feedback] = {}
    for r in result.rejected:
        sha = next((i.sha256 for i in r.issues if i.sha256), None)
        if sha is None:
            continue  # not even hashed (unreadable from disk): nothing to send back
        out[sha] = Feedback(r.file, sha, r.county_code, r.year, "rejected",
                            feedback_path(settings, "rejected", r.file, batch_id_for(sha), r.county_code), list(r.issues))
    for (file, sha), issues in _by_file(result.issues).items():
        if sha in out or not any(i.severity == "warning" for i in issues):
            continue
        m = read_manifest(settings.landing_dir, SOURCE, batch_id_for(sha)) or {}
        if m.get("status") == "rejected":
            continue
        county = m.get("county_code")
        out[sha] = Feedback(file, sha, county, m.get("year"), "warnings",
                            feedback_path(settings, "warnings", file, batch_id_for(sha), county), issues)
    return list(out.values())


def write_feedback(settings: Settings, result: LandResult) -> list[Feedback]:
    """Write the feedback workbook of each target that has none yet; returns all targets.
    One return's failure to annotate never stops the others (it is logged, not raised)."""
    import logging

    from folkhalsa.feedback.annotate import annotate_workbook

    log = logging.getLogger(__name__)
    done = []
    for fb in feedback_targets(settings, result):
        if not fb.path.exists():
            original = archived_path(settings.archive_dir, fb.sha256, fb.file)
            deadline = settings.return_deadline(fb.year) if fb.year else None
            try:
                annotate_workbook(original, fb.issues, fb.path, accepted=fb.status != "rejected",
                                  deadline=deadline, display_name=fb.file)
            except Exception as e:  # noqa: BLE001 - feedback is a courtesy; the night goes on
                log.warning("Återkoppling kunde inte skrivas / feedback not written for %s: %s: %s",
                            fb.file, type(e).__name__, e)
                continue
        done.append(fb)
    return done


def summary_lines(feedback: list[Feedback]) -> list[str]:
    """For the run summary: one line per feedback workbook (file names and counts, no personal data)."""
    return [f"{fb.county_code or '??'} {fb.year or ''} {fb.file}: {fb.status}, {fb.errors} fel, "
            f"{fb.warnings} varningar -> {fb.path}" for fb in feedback]

