"""Opt-in e-mail to the submitter (FOLKHALSA_FEEDBACK_EMAIL=true): their marked-up return, attached.

- One e-mail per county and night, to the contact address(es) in that county's returns' Uppgifter
  sheet, read from the landed submission table (the address is personal data: it goes into the
  message and nowhere else – not the logs, the run summary, the alert, the marts or the state JSON).
- Never twice for the same file: the sha256 of every return whose feedback was delivered is kept in
  <state>/feedback_mail_state.json, and a return already queued is not queued again.
- Through the alerts' outbox: the message is written to <state>/feedback_outbox/<id>.eml and listed
  in AlertState.mail; it leaves the outbox only once the SMTP server has taken it. A night with SMTP
  down keeps it, and the next run sends it.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import polars as pl

from folkhalsa.feedback.workbooks import Feedback
from folkhalsa.landing import batch_dir, batch_id_for
from folkhalsa.schemas.lansrapport import SOURCE as RETURNS
from folkhalsa.settings import Settings

log = logging.getLogger(__name__)

STATE_FILE = "feedback_mail_state.json"
OUTBOX_DIR = "feedback_outbox"
MAX_LINES_PER_RETURN = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class MailReport:
    """What this night did, for the run summary and the analyst's alert. Counties only, no addresses."""
    sent: list[str] = field(default_factory=list)        # county codes whose e-mail was delivered now
    queued: list[str] = field(default_factory=list)      # waiting in the outbox (SMTP down)
    no_address: list[str] = field(default_factory=list)  # no valid contact address in the return
    error: str | None = None

    def alert_lines(self, county_names: dict[str, str]) -> list[str]:
        name = lambda c: f"{county_names.get(c, c)} ({c})"  # noqa: E731
        out = []
        if self.sent:
            out.append("Skickad till: " + ", ".join(name(c) for c in sorted(set(self.sent))))
        if self.queued:
            out.append("Ej skickad ännu, ligger i kön till nästa körning: "
                       + ", ".join(name(c) for c in sorted(set(self.queued))))
        if self.no_address:
            out.append("Ingen giltig e-postadress i fliken Uppgifter, återkopplingen måste skickas manuellt: "
                       + ", ".join(name(c) for c in sorted(set(self.no_address))))
        return out

    def to_dict(self) -> dict:
        return {"sent": sorted(set(self.sent)), "queued": sorted(set(self.queued)),
                "no_address": sorted(set(self.no_address)), "error": self.error}


class SentState:
    """sha256 -> {county, year, sent_at} of every return whose feedback e-mail was delivered."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / STATE_FILE
        self.sent: dict[str, dict] = {}
        if self.path.exists():
            try:
                self.sent = dict(json.loads(self.path.read_text("utf-8")).get("sent", {}))
            except (ValueError, AttributeError, TypeError):
                os.replace(self.path, self.path.with_name(STATE_FILE + ".damaged"))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".feedback_mail.", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"sent": self.sent}, f, ensure_ascii=False, indent=2)
        os.replace(tmp, self.path)


def contact_addresses(settings: Settings, sha256: str) -> list[str]:
    """The contact e-mail of one landed return (the submission row), if it passed validation."""
    from folkhalsa.sources.returns import EMAIL_ADDRESS

    p = batch_dir(settings.landing_dir, RETURNS, batch_id_for(sha256)) / "submission.parquet"
    if not p.exists():
        return []
    values = pl.read_parquet(p, columns=["contact_email"])["contact_email"].drop_nulls().to_list()
    return sorted({v.strip() for v in values if v and EMAIL_ADDRESS.fullmatch(v.strip())})


def _where(fb_issue) -> str:
    parts = [f"fliken {fb_issue.sheet}" if fb_issue.sheet else "", f"rad {fb_issue.row}" if fb_issue.row else "",
             f"kolumn {fb_issue.column}" if fb_issue.column else ""]
    return ", ".join(p for p in parts if p) or "hela filen"


def _return_section(fb: Feedback, settings: Settings, today: date) -> list[str]:
    deadline = settings.return_deadline(fb.year) if fb.year else None
    if fb.status == "rejected":
        lines = [f"{fb.file}: AVVISAD. Rapporten har {fb.errors} fel som måste rättas innan den kan läsas in.",
                 "Det här behöver rättas:"]
        shown = [i for i in fb.issues if i.severity == "error"]
    else:
        lines = [f"{fb.file}: GODKÄND och inläst, men med {fb.warnings} varningar att granska.",
                 "Stämmer uppgifterna behöver ni inte göra något. Det här bör ni titta på:"]
        shown = [i for i in fb.issues if i.severity == "warning"]
    for i in shown[:MAX_LINES_PER_RETURN]:
        value = f" (i filen: {i.value})" if i.value is not None else ""
        lines.append(f"  - {_where(i)}: {i.message_sv}{value}")
    if len(shown) > MAX_LINES_PER_RETURN:
        lines.append(f"  ... och {len(shown) - MAX_LINES_PER_RETURN} till; alla finns i den bifogade filen.")
    if fb.status == "rejected":
        if fb.warnings:
            lines.append(f"  Dessutom {fb.warnings} varningar att granska; de är gulmarkerade i den bifogade filen.")
        if deadline and deadline >= today:
            lines.append(f"Skicka in den rättade rapporten senast {deadline.isoformat()}.")
        elif deadline:
            lines.append(f"Sista dag var {deadline.isoformat()}. Skicka in den rättade rapporten så snart som möjligt.")
        else:
            lines.append("Skicka in den rättade rapporten så snart som möjligt.")
    return lines + [""]


def compose(county: str, county_name: str, feedback: list[Feedback], to: list[str], settings: Settings,
            today: date, notice: str | None = None) -> EmailMessage:
    rejected = any(fb.status == "rejected" for fb in feedback)
    years = ", ".join(sorted({str(fb.year) for fb in feedback if fb.year}))
    subject = (f"Länsrapport {years} från {county_name}: " +
               ("rätta felen och skicka in igen" if rejected else "godkänd, med varningar att granska"))
    L = [notice, ""] if notice else []
    L += ["Hej!", "", f"Vi har tagit emot och kontrollerat länsrapporten från {county_name}.", ""]
    for fb in feedback:
        L += _return_section(fb, settings, today)
    L += ["Bifogat finns er egen arbetsbok med problemen markerade: röda celler är fel, gula celler är "
          "varningar. Varje markerad cell har en kommentar som säger vad som hittades, vad som förväntas "
          "och ett exempel. Den första fliken, Återkoppling, listar allt med länkar till cellerna.",
          "Rätta i er ursprungliga fil (eller i den bifogade) och skicka in den på vanligt sätt.",
          "", "Hälsningar", "Folkhälsomyndigheten, uppföljningen av det regionala folkhälsoarbetet", "",
          "Detta är ett automatiskt meddelande från folkhälsa."]
    if notice:
        L.append(notice)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.alert_from
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = make_msgid(domain="folkhalsa.local")
    msg["X-Folkhalsa-Feedback"] = county
    msg.set_content("\n".join(L) + "\n", cte="quoted-printable")
    for fb in feedback:
        msg.add_attachment(fb.path.read_bytes(), maintype=XLSX.split("/")[0], subtype=XLSX.split("/")[1],
                           filename=fb.path.name)
    return msg


def _queue(state, settings: Settings, msg: EmailMessage, county: str, shas: list[str], run_id: str) -> dict:
    folder = settings.state_dir / OUTBOX_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ident = f"{run_id}-{county}"
    path = folder / f"{ident}.eml"
    path.write_bytes(bytes(msg))
    entry = {"kind": "feedback", "id": ident, "county": county, "sha256": shas, "eml": path.name,
             "queued_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    state.mail.append(entry)
    return entry


def _send_queued(state, sent: SentState, settings: Settings, report: MailReport) -> None:
    from folkhalsa.mailer import deliver

    folder = settings.state_dir / OUTBOX_DIR
    keep = []
    for entry in state.mail:
        if entry.get("kind") != "feedback":
            keep.append(entry)
            continue
        path = folder / entry["eml"]
        if not path.exists():
            continue  # nothing left to send
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        to = [a.strip() for a in str(msg["To"]).split(",") if a.strip()]
        d = deliver(msg, settings, to=to)
        if d.sent:
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for sha in entry["sha256"]:
                sent.sent[sha] = {"county": entry["county"], "sent_at": now}
            path.unlink()
            report.sent.append(entry["county"])
        else:
            keep.append(entry)
            report.queued.append(entry["county"])
            report.error = d.error
    state.mail = keep


def send_feedback(settings: Settings, feedback: list[Feedback], run_id: str, *,
                  notice: str | None = None, today: date | None = None) -> MailReport:
    """Queue one e-mail per county for the returns not yet sent, then send everything queued."""
    from folkhalsa import reference
    from folkhalsa.alerts import AlertState

    report = MailReport()
    state = AlertState(settings.state_dir)
    sent = SentState(settings.state_dir)
    queued = {sha for e in state.mail if e.get("kind") == "feedback" for sha in e.get("sha256", [])}
    today = today or date.today()
    names = reference.counties()
    by_county: dict[str, list[Feedback]] = {}
    for fb in feedback:
        if fb.sha256 in sent.sent or fb.sha256 in queued or not fb.county_code or not fb.path.exists():
            continue
        by_county.setdefault(fb.county_code, []).append(fb)
    for county, fbs in sorted(by_county.items()):
        to = sorted({a for fb in fbs for a in contact_addresses(settings, fb.sha256)})
        if not to:
            report.no_address.append(county)
            continue
        msg = compose(county, names.get(county, county), fbs, to, settings, today, notice)
        _queue(state, settings, msg, county, [fb.sha256 for fb in fbs], run_id)
    _send_queued(state, sent, settings, report)
    state.save()
    sent.save()
    if report.sent or report.queued:
        log.info("Återkoppling: %d län skickade, %d i kön / feedback: %d counties sent, %d queued",
                 len(set(report.sent)), len(set(report.queued)), len(set(report.sent)), len(set(report.queued)))
    return report
