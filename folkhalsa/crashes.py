"""Crashed earlier runs of the deployment, as alert findings for the next run's e-mail.

A run that dies with its host, worker or process sends no e-mail of its own. Prefect marks it
Crashed (the zombie automation in flows/deployment.py, or the worker when the process exits), and
the next run of the same deployment reports it once: which run, when it started, and Prefect's
message. Runs already reported are remembered in <state_dir>/reported_crashes.json.

Only flow runs of a deployment look (`folkhalsa run` by hand has no deployment, and no history on
its temporary API). Looking is best-effort: an unreachable API never stops the night.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from folkhalsa.quality import Finding, finding_key

log = logging.getLogger(__name__)

STATE_FILE = "reported_crashes.json"
LOOK_BACK = timedelta(days=14)
MAX_RUNS = 50


def crashed_runs(deployment_id: str, since: datetime) -> list:
    """Flow runs of the deployment in state Crashed, started after `since`, newest first."""
    from prefect import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterStartTime, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.CRASHED])),
                                          start_time=FlowRunFilterStartTime(after_=since)),
            sort=FlowRunSort.START_TIME_DESC, limit=MAX_RUNS, offset=0)


def known_facts(record: dict | None) -> tuple[str, str]:
    """What the dead run's own record on disk (folkhalsa.runrecord) says: did it publish, was its
    alert delivered, did Prefect's API answer at its end. (Swedish, English)."""
    from folkhalsa.runrecord import describe_api

    if record is None:
        return ("Körningen lämnade ingen körningspost på disk (den dog innan den kom igång, eller före "
                "denna version); den publicerade inget enligt disken.",
                "The run left no run record on disk (it died before it started, or predates the record); "
                "by the disk it published nothing.")
    sv, en = [], []
    if record.get("published_at"):
        sv.append(f"Enligt körningsposten på disk PUBLICERADE körningen ett nytt lager {record['published_at']}.")
        en.append(f"By its run record on disk the run PUBLISHED a new warehouse at {record['published_at']}.")
    elif record.get("unchanged"):
        sv.append("Enligt körningsposten fanns inget nytt att publicera; lagret var redan aktuellt.")
        en.append("By its run record there was nothing new to publish; the warehouse was already current.")
    else:
        sv.append("Enligt körningsposten på disk publicerade körningen inget nytt lager.")
        en.append("By its run record on disk the run published no new warehouse.")
    alert = record.get("alert") or {}
    if alert.get("sent"):
        sv.append("Dess larm skickades.")
        en.append("Its alert was delivered.")
    elif alert.get("queued"):
        sv.append("Dess larm kunde inte skickas och tas med här.")
        en.append("Its alert could not be delivered and is included here.")
    elif alert.get("attempted") is False:
        sv.append("Den hade inget att larma om.")
        en.append("It had nothing to alert about.")
    else:
        sv.append("Den skickade inget larm.")
        en.append("It sent no alert.")
    api_sv, api_en = describe_api(record.get("prefect_api"))
    sv.append(f"{api_sv} i slutet av körningen.")
    en.append(f"{api_en} at the end of the run.")
    if record.get("status") in ("completed", "failed") and record.get("finished_at"):
        sv.append(f"Körningen gjorde klart sitt arbete {record['finished_at']} ({record['status']}); "
                  "det var Prefects slutliga tillstånd som inte kunde skrivas.")
        en.append(f"The run finished its work at {record['finished_at']} ({record['status']}); what failed was "
                  "writing its final state to Prefect.")
    return " ".join(sv), " ".join(en)


def crash_finding(run, record: dict | None = None) -> Finding:
    started = run.start_time.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if run.start_time else "?"
    message = (run.state.message if run.state else "") or ""
    facts_sv, facts_en = known_facts(record)
    return Finding(
        key=finding_key("pipeline", "run_crashed", "nightly", str(run.id)),
        check="körningen kraschade / the run crashed", dataset="nightly", severity="warning",
        observed=f"körning {run.name} ({run.id}), start {started}: Crashed", expected="Completed",
        message=(f"Körningen {run.name} som startade {started} avbröts (värddator, worker eller process "
                 f"dog, eller Prefect kunde inte nås) och markerades Crashed: {message} {facts_sv} Publiceringen är atomisk: "
                 "lagret är det senast godkända eller ett nytt helt lager, aldrig ett halvfärdigt. Den här "
                 "körningen har läst in allt som inte redan var inläst."),
        message_en=(f"Run {run.name} started {started} died (host, worker or process), or lost Prefect, and was "
                    f"marked Crashed: {message} {facts_en} Publishing is atomic: the warehouse is the last good one "
                    "or a complete new one, never half-built. This run landed whatever was not landed yet."))


def _load(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return set()
    except (ValueError, TypeError):
        log.warning("%s was damaged; crashed runs may be reported again", path)
        return set()


def _save(path: Path, ids: set[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".reported_crashes.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(sorted(ids), f)
    os.replace(tmp, path)


def new_crash_findings(state_dir: Path, deployment_id: str | None, this_run_id: str | None = None,
                       now: datetime | None = None) -> list[Finding]:
    """Findings for crashed runs of the deployment not reported before; marks them reported."""
    if not deployment_id:
        return []
    now = now or datetime.now(timezone.utc)
    try:
        runs = [r for r in crashed_runs(deployment_id, now - LOOK_BACK) if str(r.id) != this_run_id]
    except Exception as e:  # the night goes on without this report; it is tried again next run
        log.warning("Kunde inte läsa kraschade körningar / could not read crashed runs: %s: %s",
                    type(e).__name__, e)
        return []
    path = Path(state_dir) / STATE_FILE
    reported = _load(path)
    new = [r for r in runs if str(r.id) not in reported]
    if new:
        # Ids beyond the look-back window are never returned again: the file holds only the window.
        _save(path, {str(r.id) for r in runs})
    from folkhalsa.runrecord import find

    return [crash_finding(r, find(state_dir, str(r.id))) for r in reversed(new)]
