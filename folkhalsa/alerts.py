"""Data-quality alert e-mail: one message per run, never lost, never a storm.

Plain Python (no Prefect at import time). The nightly flow calls `send_run_alert(...)`
after the GX checkpoint with the run's findings and rejected returns.

- `AlertState` (a JSON file in the state dir) remembers when each failing check was first
  seen, so a persisting failure reads "fortfarande fel sedan <datum>" instead of "ny".
  It also holds an outbox: what could not be delivered is merged into the next run's
  single e-mail and cleared only after a successful delivery.
- `deliver(...)` never raises for SMTP faults and never puts the password in its error.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Iterable, Sequence

from folkhalsa.issues import Issue
from folkhalsa.privacy import redact_emails
from folkhalsa.mailer import Delivery, deliver  # noqa: F401 (re-exported: the alert sends through it)
from folkhalsa.quality import SEVERITIES, Finding, finding_key  # noqa: F401 (re-exported)
from folkhalsa.schemas.lansrapport import SOURCE as RETURNS

log = logging.getLogger(__name__)

STATE_FILE = "alert_state.json"
# Caps that keep one e-mail readable when a whole dataset fails; the rest is in Data Docs.
MAX_ITEMS_PER_SECTION = 50
MAX_ERRORS_PER_RETURN = 20
MAX_LOCATIONS_PER_RULE = 10



@dataclass
class RejectedReturn:
    """A rejected input (a county return, or another source's file): its issues name sheet, row,
    column and rule. The name is kept from when only county returns were rejected."""
    file: str
    county_code: str | None = None
    year: int | None = None
    issues: list[Issue] = field(default_factory=list)
    source: str = RETURNS

    @classmethod
    def from_dict(cls, d: dict) -> RejectedReturn:
        """From the outbox (asdict), or a landing.Rejection."""
        if not isinstance(d, dict):  # a landing.Rejection
            return cls(file=d.file, county_code=d.county_code, year=d.year, issues=list(d.issues), source=d.source)
        issues = [i if isinstance(i, Issue) else Issue.from_row(i) for i in d.get("issues", [])]
        return cls(file=str(d["file"]), county_code=d.get("county_code"), year=d.get("year"), issues=issues,
                   source=d.get("source", RETURNS))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ident(self) -> tuple:
        return (self.source, self.file, self.county_code, self.year, tuple(i.message() for i in self.errors))


# --------------------------------------------------------------------------- state

class AlertState:
    """Persisted alert memory: first-seen date per failing key, and the undelivered outbox.

    File: <state_dir>/alert_state.json. Outbox entries are
    {"run_id", "run_time", "error", "findings": [...], "rejected": [...]}; each finding key
    and each rejected return appears in at most one entry (the newest), so the outbox is
    bounded by the number of distinct problems, not by the number of failed runs.
    """

    def __init__(self, state_dir: Path | str):
        self.path = Path(state_dir) / STATE_FILE
        self.first_seen: dict[str, str] = {}   # key -> ISO date
        self.outbox: list[dict] = []
        # Other queued e-mails (feedback to the counties, folkhalsa.feedback.mail): each entry names
        # an .eml file in the state dir; recipients live in that file only, never in this JSON.
        self.mail: list[dict] = []
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text("utf-8"))
            self.first_seen = dict(data.get("first_seen", {}))
            self.outbox = list(data.get("outbox", []))
            self.mail = list(data.get("mail", []))
        except (ValueError, AttributeError, TypeError) as e:
            # A damaged state file must not stop the run; keep it aside for inspection.
            aside = self.path.with_name(f"{STATE_FILE}.damaged")
            os.replace(self.path, aside)
            log.warning("Larmtillståndet var skadat och har flyttats till %s / alert state was "
                        "damaged, moved aside: %s", aside, type(e).__name__)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".alert_state.", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"first_seen": self.first_seen, "outbox": self.outbox, "mail": self.mail}, f,
                      ensure_ascii=False, indent=2, default=str)
        os.replace(tmp, self.path)  # atomic: a killed run leaves the old state

    def since(self, key: str) -> date | None:
        d = self.first_seen.get(key)
        return date.fromisoformat(d) if d else None

    def record(self, findings: Iterable[Finding], on: date) -> None:
        """Remember new failing keys from `on`; forget keys that no longer fail."""
        current = {f.key for f in findings}
        self.first_seen = {k: v for k, v in self.first_seen.items() if k in current}
        for k in current:
            self.first_seen.setdefault(k, on.isoformat())

    def pending_findings(self) -> list[tuple[dict, Finding]]:
        return [(e, Finding.from_dict(d)) for e in self.outbox for d in e.get("findings", [])]

    def pending_issues(self) -> list[Issue]:
        return [Issue.from_row(d) for e in self.outbox for d in e.get("issues", [])]

    def pending_rejected(self) -> list[tuple[dict, RejectedReturn]]:
        return [(e, RejectedReturn.from_dict(d)) for e in self.outbox for d in e.get("rejected", [])]

    def enqueue(self, run_id: str, run_time: datetime, findings: Sequence[Finding],
                rejected: Sequence[RejectedReturn], error: str | None, issues: Sequence[Issue] = ()) -> None:
        """Keep an undelivered run for the next e-mail; older copies of the same problems go."""
        keys = {f.key for f in findings}
        idents = {r.ident for r in rejected}
        for e in self.outbox:
            e["findings"] = [d for d in e.get("findings", []) if d["key"] not in keys]
            e["rejected"] = [d for d in e.get("rejected", [])
                             if RejectedReturn.from_dict(d).ident not in idents]
        self.outbox.append({
            "run_id": run_id, "run_time": run_time.isoformat(), "error": error,
            "findings": [asdict(f) for f in findings], "rejected": [asdict(r) for r in rejected],
            "issues": [i.as_row() for i in issues],
        })
        for e in self.outbox[:-1]:  # an issue is kept in the newest entry only
            keys = {_issue_key(i) for i in issues}
            e["issues"] = [d for d in e.get("issues", []) if _issue_key(Issue.from_row(d)) not in keys]
        self.outbox = [e for e in self.outbox if e["findings"] or e["rejected"] or e.get("issues")]

    def clear_outbox(self) -> None:
        self.outbox = []


# --------------------------------------------------------------------------- compose

def _redact(value: Any) -> str:
    """Text from the data may carry a contact's e-mail address; it must not reach the alert."""
    return redact_emails(value)


def _fmt_value(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, float):
        return f"{v:.6g}".replace(".", ",")  # Swedish decimal comma
    if isinstance(v, (list, dict)):
        return _redact(json.dumps(v, ensure_ascii=False, default=str))
    return _redact(v)


def _fmt_time(t: datetime) -> str:
    s = t.strftime("%Y-%m-%d %H:%M")
    return f"{s} {t.tzname()}" if t.tzinfo else s


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _counts(n_crit: int, n_warn: int, n_rej: int) -> str:
    parts = []
    if n_crit:
        parts.append(_plural(n_crit, "fel", "fel"))
    if n_warn:
        parts.append(_plural(n_warn, "varning", "varningar"))
    if n_rej:
        parts.append(_plural(n_rej, "avvisad länsrapport", "avvisade länsrapporter"))
    return ", ".join(parts)


def _finding_lines(i: int, f: Finding, status: str) -> list[str]:
    lines = [f"{i}. {_redact(f.message) or _redact(f.check)}"]
    if f.message_en:
        lines.append(f"   (English: {_redact(f.message_en)})")
    lines += [
        f"   Kontroll: {_redact(f.check)}",
        f"   Datamängd: {_redact(f.dataset)}",
        f"   Län: {_redact(f.county) if f.county else 'alla / ej länsspecifikt'}",
        f"   Observerat: {_fmt_value(f.observed)}",
        f"   Förväntat: {_fmt_value(f.expected)}",
        f"   Berörda rader: {_fmt_value(f.rows_affected)}",
        f"   Status: {status}",
    ]
    return lines


def _capped(items: list, render) -> list[str]:
    lines: list[str] = []
    for i, item in enumerate(items[:MAX_ITEMS_PER_SECTION], 1):
        lines += render(i, item)
    if len(items) > MAX_ITEMS_PER_SECTION:
        lines.append(f"... och {len(items) - MAX_ITEMS_PER_SECTION} till (se Data Docs).")
    return lines


def _rejected_lines(i: int, item: tuple[RejectedReturn, str | None]) -> list[str]:
    r, from_run = item
    where = ", ".join(p for p in (f"län {r.county_code}" if r.county_code else "",
                                  f"år {r.year}" if r.year else "") if p)
    head = f"{i}. {_redact(r.file)}" + (f" ({where})" if where else "")
    if from_run:
        head += f" – från körning {from_run}"
    lines = [head]
    lines += [f"   - {_redact(e.message())}" for e in r.errors[:MAX_ERRORS_PER_RETURN]]
    if len(r.errors) > MAX_ERRORS_PER_RETURN:
        lines.append(f"   ... och {len(r.errors) - MAX_ERRORS_PER_RETURN} fel till "
                     "(se felrapporten i karantänen).")
    return lines


def _where(i: Issue) -> str:
    parts = [f"flik {i.sheet}" if i.sheet else "", f"rad {i.row}" if i.row else "",
             f"kolumn {i.column}" if i.column else ""]
    return ", ".join(p for p in parts if p) or "hela filen / whole file"


def _issue_groups(issues: Sequence[Issue]) -> list[list[Issue]]:
    """Issues grouped by source, file and rule, errors first, in a stable order."""
    groups: dict[tuple, list[Issue]] = {}
    for i in issues:
        groups.setdefault((i.severity != "error", i.source, i.file, i.rule), []).append(i)
    return [groups[k] for k in sorted(groups)]


def _issue_group_lines(n: int, group: list[Issue]) -> list[str]:
    first = group[0]
    level = "fel" if first.severity == "error" else "varning"
    lines = [f"{n}. {first.source}: {_redact(first.file)} – [{first.rule}] {level}, {len(group)} st: "
             f"{_redact(first.message_sv)} / {_redact(first.message_en)}"]
    lines += [f"   - {_redact(_where(i))}" for i in group[:MAX_LOCATIONS_PER_RULE]]
    if len(group) > MAX_LOCATIONS_PER_RULE:
        lines.append(f"   ... och {len(group) - MAX_LOCATIONS_PER_RULE} till (se tabellen issues i lagret).")
    return lines


def _issue_key(i: Issue) -> tuple:
    return (i.source, i.file, i.sha256, i.rule, i.sheet, i.row, i.column)


def _data_docs_text(data_docs: str | Path | None) -> str:
    if not data_docs:
        return "Data Docs har inte byggts i denna körning."
    if isinstance(data_docs, Path) and data_docs.is_absolute():
        return f"{data_docs}\n{data_docs.as_uri()}"
    return str(data_docs)


def compose_alert(
    run_id: str,
    run_time: datetime,
    findings: Sequence[Finding],
    rejected: Sequence[RejectedReturn],
    data_docs: str | Path | None,
    state: AlertState,
    *,
    notice: str | None = None,
    issues: Sequence[Issue] = (),
    feedback: Sequence[str] = (),
    published: bool | None = None,
) -> EmailMessage | None:
    """Build this run's single alert, including anything still in the outbox; None if nothing to say.

    Reads `state` as left by earlier runs (does not change it): a key already in
    `state.first_seen` is "still failing since", otherwise it is new. From/To are set by deliver().
    `notice` (e.g. folkhalsa.SAMPLE_NOTICE) is printed at the top and bottom when given.
    `published`: whether this run published a new warehouse (None: not said).
    """
    current = list({f.key: f for f in findings}.values())  # one line per check
    current_keys = {f.key for f in current}
    earlier = [(e, f) for e, f in state.pending_findings() if f.key not in current_keys]
    rej_now = {r.ident: (r, None) for r in rejected}
    for e, r in state.pending_rejected():
        rej_now.setdefault(r.ident, (r, e["run_id"]))
    all_rejected = list(rej_now.values())
    all_issues = list({_issue_key(i): i for i in [*issues, *state.pending_issues()]}.values())
    if not current and not earlier and not all_rejected and not all_issues and not state.outbox and not feedback:
        return None

    all_findings = current + [f for _, f in earlier]
    n_crit = sum(f.severity == "critical" for f in all_findings)
    n_warn = len(all_findings) - n_crit
    n_rej = len(all_rejected)
    level = "KRITISKT" if n_crit else "VARNING"
    counts = _counts(n_crit, n_warn, n_rej) or (
        _plural(len(all_issues), "problem i indata", "problem i indata") if all_issues else "larm från tidigare körningar")

    def status(f: Finding) -> str:
        since = state.since(f.key)
        return f"fortfarande fel sedan {since.isoformat()}" if since else "ny"

    L: list[str] = []
    if notice:
        L += [notice, ""]
    L += [
        "folkhälsa – larm om datakvalitet",
        f"(English: data quality alert for run {run_id}: {n_crit} critical, {n_warn} warning(s), "
        f"{n_rej} rejected county return(s). Details below in Swedish.)",
        "",
        f"Körning: {run_id}",
        f"Tid: {_fmt_time(run_time)}",
        f"Sammanfattning: {counts}.",
    ]
    if published is True:
        L.append("Publicering: denna körning publicerade ett nytt lager / this run published a new warehouse.")
    elif published is False:
        L.append("Publicering: inget nytt lager publicerades; det senast godkända gäller / "
                 "nothing new was published; the last good warehouse stays.")
    if n_crit and not published:
        L.append("Kritiska fel stoppar publiceringen: den senast godkända databasen och "
                 "rapporterna ligger kvar publicerade.")
    if state.outbox:
        runs = ", ".join(f"{e['run_id']} ({e['run_time'][:16].replace('T', ' ')})" for e in state.outbox)
        L.append(f"Detta e-postmeddelande tar även med larm som inte kunde skickas vid tidigare "
                 f"körningar: {runs}.")
    for sev, title in (("critical", "KRITISKA FEL (stoppar publicering)"),
                       ("warning", "VARNINGAR (publiceras ändå, bör granskas)")):
        items = [f for f in current if f.severity == sev]
        if items:
            L += ["", title, ""] + _capped(items, lambda i, f: _finding_lines(i, f, status(f)))
    if earlier:
        L += ["", "LARM FRÅN TIDIGARE KÖRNINGAR SOM INTE KUNDE SKICKAS", "(rapporteras inte längre "
              "i denna körning; kontrollera att felet verkligen är åtgärdat)", ""]
        L += _capped(earlier, lambda i, ef: _finding_lines(
            i, ef[1], f"fel vid körning {ef[0]['run_id']} ({ef[0]['run_time'][:10]})"))
    returns = [r for r in all_rejected if r[0].source == RETURNS]
    other = [r for r in all_rejected if r[0].source != RETURNS]
    if returns:
        L += ["", "AVVISADE LÄNSRAPPORTER", ""] + _capped(returns, _rejected_lines)
    if other:
        L += ["", "AVVISADE FILER (enkät, indikatorer)", ""] + _capped(other, _rejected_lines)
    if all_issues:
        L += ["", "PROBLEM I INLÄSTA FILER, PER REGEL (filen lästes in; fel gäller enskilda rader eller svar)",
              "(English: issues in files that were landed, by rule, with sheet, row and column)", ""]
        L += _capped(_issue_groups(all_issues), _issue_group_lines)
    if feedback:
        # Which counties were sent their marked-up return (folkhalsa.feedback.mail): counties only.
        L += ["", "ÅTERKOPPLING TILL LÄNEN (e-post med markerad arbetsbok)", ""]
        L += [f"- {_redact(line)}" for line in feedback]
    L += ["", "VAD GÖR JAG?"]
    if n_crit:
        L.append("- Kritiska fel: rätta orsaken (källdata eller beräkning) och kör flödet igen. "
                 "Ingenting nytt publiceras förrän kontrollerna går igenom.")
    if n_warn:
        L.append("- Varningar: granska värdena. Stämmer de (t.ex. en verklig förändring) behövs "
                 "ingen åtgärd, annars rätta källdata inför nästa körning.")
    if n_rej:
        L.append("- Avvisade länsrapporter: filen ligger i karantän och ingen rad ur den har lästs in. "
                 "Be länet rätta felen ovan (blad, rad, kolumn och regel anges) och skicka in "
                 "rapporten på nytt; den läses in vid nästa körning.")
    L.append("- Detaljerade valideringsresultat finns i Data Docs.")
    L += ["", "DATA DOCS", _data_docs_text(data_docs), "",
          "Detta är ett automatiskt meddelande från folkhälsa."]
    if notice:
        L.append(notice)

    msg = EmailMessage()
    msg["Subject"] = f"[folkhälsa] {level}: {counts} – körning {run_id}"
    msg["Message-ID"] = make_msgid(domain="folkhalsa.local")
    msg["X-Folkhalsa-Run"] = run_id
    msg.set_content("\n".join(L) + "\n", cte="quoted-printable")
    return msg


# --------------------------------------------------------------------------- orchestrate

def send_run_alert(
    run_id: str,
    run_time: datetime,
    findings: Sequence[Finding],
    rejected: Sequence[RejectedReturn],
    data_docs: str | Path | None,
    settings,
    *,
    notice: str | None = None,
    issues: Sequence[Issue] = (),
    feedback: Sequence[str] = (),
    published: bool | None = None,
) -> dict:
    """One alert e-mail per run; undelivered alerts are carried to the next run. Never raises on SMTP faults.

    Returns a run-summary dict: attempted, sent, recipients, subject, error, findings, rejected,
    earlier_runs (undelivered runs merged into this e-mail), queued (kept for the next run).
    """
    state = AlertState(settings.state_dir)
    earlier_runs = len(state.outbox)
    rejected = [r if isinstance(r, RejectedReturn) else RejectedReturn.from_dict(r) for r in rejected]
    msg = compose_alert(run_id, run_time, findings, rejected, data_docs, state, notice=notice, issues=issues,
                        feedback=feedback, published=published)
    summary = {"attempted": msg is not None, "sent": False, "recipients": 0,
               "subject": msg["Subject"] if msg else None, "error": None,
               "findings": len(findings), "rejected": len(rejected), "issues": len(issues),
               "earlier_runs": earlier_runs, "queued": False}
    if msg is not None:
        d = deliver(msg, settings)
        summary.update(sent=d.sent, error=d.error,
                       recipients=len(settings.alert_to) if d.sent else 0)
        if d.sent:
            state.clear_outbox()
        else:
            state.enqueue(run_id, run_time, findings, rejected, d.error, issues)
            summary["queued"] = True
    state.record(findings, run_time.date())
    state.save()
    return summary
