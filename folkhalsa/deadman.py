"""The dead man's switch: `folkhalsa check-last-night`, run by a systemd timer outside Prefect.

Every alert of the nightly flow is sent by the flow. When no night runs at all (the Prefect server
or its database is down, the worker is gone, the schedule is paused) or a night dies before its
alert, nobody would hear of it. This check needs neither Prefect nor the flow: it reads the run
record on disk (folkhalsa.runrecord) and e-mails the analysts over SMTP directly (alerts.deliver;
the password from FOLKHALSA_SMTP_PASSWORD_FILE or the environment, since a Secret block needs the
Prefect API).

Not fresh, and an e-mail, when
- no night has published (or found nothing new) within `Settings.check_window_hours` (26 h), or
- the last night failed and its alert was not delivered, or
- the last night had an alert to send and it was not delivered (e.g. its Secret block could not be
  read while Prefect's database was down).

The same warning is sent once per state: <state_dir>/check_last_night.json remembers what was
warned about; a new state (another failed night, a publish and then staleness again) warns again.
Exit codes: 0 fresh; 1 not fresh (warned now or before); 2 not fresh and the warning could not be
delivered (it is tried again at the next check).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from folkhalsa import runrecord
from folkhalsa.settings import Settings

STATE_FILE = "check_last_night.json"


@dataclass
class CheckResult:
    code: int
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    sent: bool = False
    already_warned: bool = False
    error: str | None = None


def _fmt(t: datetime | None) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if t else "aldrig / never"


def _load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_state(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".check_last_night.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def assess(settings: Settings, now: datetime | None = None) -> tuple[list[str], list[str], str]:
    """(problems, report lines, state key) from the run records; no problems means fresh."""
    now = now or datetime.now(timezone.utc)
    runs = runrecord.records(settings.state_dir)
    window = timedelta(hours=settings.check_window_hours)
    current = runrecord.last_current(runs)
    last = runs[-1] if runs else None
    problems: list[str] = []
    kinds: list[str] = []
    if current is None or now - current > window:
        kinds.append("stale")
        problems.append(f"Ingen natt har publicerat inom {settings.check_window_hours:g} timmar / no night has "
                        f"published within {settings.check_window_hours:g} hours (senast / last: {_fmt(current)}).")
    alert = (last or {}).get("alert") or {}
    if last and last.get("status") == "failed" and not alert.get("sent"):
        kinds.append("failed_unalerted")
        problems.append(f"Den senaste natten ({last['run_id']}) misslyckades och dess larm levererades inte / "
                        f"the last night failed and its alert was not delivered: {last.get('failure') or '?'}"
                        + (f" (larmfel / alert error: {alert['error']})" if alert.get("error") else ""))
    elif last and alert.get("attempted") and not alert.get("sent"):
        # It did its job, but what it had to say (rejected returns, failed checks) reached nobody,
        # e.g. its Secret block could not be read while Prefect's database was down.
        kinds.append("alert_undelivered")
        problems.append(f"Den senaste nattens ({last['run_id']}) larm levererades inte / the last night's alert "
                        f"was not delivered: {alert.get('error') or '?'}")
    lines = [f"Utdatamapp / output folder: {settings.output_dir}",
             f"Senast publicerat eller oförändrat aktuellt / last published or confirmed current: {_fmt(current)}"]
    if last:
        published = last.get("published_at") or ("oförändrat / unchanged" if last.get("unchanged") else "nej / no")
        lines += [f"Senaste körning / last run: {last['run_id']} (Prefect {last.get('flow_run_id') or '–'}), "
                  f"start {last.get('started_at') or '?'}, status {last.get('status')}",
                  f"  publicerade / published: {published}",
                  f"  larm / alert: {_alert_text(alert)}",
                  f"  {' / '.join(runrecord.describe_api(last.get('prefect_api')))} (i slutet av körningen / at its end)"]
    else:
        lines.append("Ingen körningspost på disk / no run record on disk "
                     f"({settings.state_dir / runrecord.RECORDS_FILE}).")
    key = json.dumps({"current": current.isoformat() if current else None,
                      "last": last["run_id"] if last else None,
                      "kinds": kinds})
    return problems, lines, key


def _alert_text(alert: dict) -> str:
    if not alert:
        return "inget / none"
    if alert.get("sent"):
        return "levererat / delivered"
    if alert.get("attempted") is False:
        return "inget att larma om / nothing to report"
    return f"EJ levererat / NOT delivered ({alert.get('error') or 'okänt fel / unknown error'})"


def compose(settings: Settings, problems: list[str], lines: list[str], now_api: dict) -> EmailMessage:
    api_sv, api_en = runrecord.describe_api(now_api)
    body = ["folkhälsa – vakten (check-last-night) / the dead man's switch", "",
            "Nattkörningen är inte som den ska / the nightly run is not as it should be:", ""]
    body += [f"- {p}" for p in problems]
    body += ["", *lines, f"Nu / now: {api_sv} / {api_en}", "",
             "VAD GÖR JAG? Se docs/production.md, avsnitt 12: kontrollera Prefect-servern, dess databas och "
             "workern (systemctl status), och kör en natt för hand: prefect deployment run folkhalsa-nightly/nightly.",
             "", "Detta meddelande skickas av systemd-timern folkhalsa-check, utanför Prefect."]
    msg = EmailMessage()
    msg["Subject"] = "[folkhälsa] VARNING: ingen lyckad natt / no good night – " + problems[0][:80]
    msg["Message-ID"] = make_msgid(domain="folkhalsa.local")
    msg["X-Folkhalsa-Check"] = "check-last-night"
    msg.set_content("\n".join(body) + "\n", cte="quoted-printable")
    return msg


def check_last_night(settings: Settings, now: datetime | None = None, probe=runrecord.probe_prefect_api) -> CheckResult:
    from folkhalsa.alerts import deliver

    problems, lines, key = assess(settings, now)
    state_path = settings.state_dir / STATE_FILE
    state = _load_state(state_path)
    result = CheckResult(0 if not problems else 1, problems, lines)
    if not problems:
        if state.get("warned"):
            _save_state(state_path, {})   # fresh again: a later bad state warns again
        return result
    if state.get("warned") == key:
        result.already_warned = True
        return result
    d = deliver(compose(settings, problems, lines, probe()), settings)
    result.sent, result.error = d.sent, d.error
    if d.sent:
        _save_state(state_path, {"warned": key, "at": runrecord.now_iso()})
    else:
        result.code = 2
    return result
