"""The nightly feedback stage: workbooks (feedback.workbooks), e-mails (feedback.mail), status page."""
from __future__ import annotations

from folkhalsa.feedback.workbooks import summary_lines, write_feedback
from folkhalsa.landing import LandResult
from folkhalsa.settings import Settings


def run_feedback(settings: Settings, result: LandResult, run_id: str, notice: str | None = None) -> dict:
    """The night's feedback stage: workbooks for every rejected or warned return, then (opt-in)
    the e-mails. Returns the run-summary part: files, mail report, and the lines for the alert."""
    from folkhalsa import reference

    feedback = write_feedback(settings, result)
    out = {"files": [str(fb.path) for fb in feedback], "lines": summary_lines(feedback),
           "mail": None, "alert_lines": []}
    if settings.feedback_email:
        from folkhalsa.feedback.mail import send_feedback

        report = send_feedback(settings, feedback, run_id, notice=notice)
        out["mail"] = report.to_dict()
        out["alert_lines"] = report.alert_lines(reference.counties())
    return out


def status_page(settings: Settings, notice: str | None = None) -> str | None:
    """Write the status page from the published warehouse; None when nothing is published yet."""
    from folkhalsa.feedback.status_page import write_status_page

    if not settings.published_warehouse.exists():
        return None
    return str(write_status_page(settings, notice=notice))
