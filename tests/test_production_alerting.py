"""A bad night is never silent (issue 28).

- A production night (a deployment run) whose Quarto is missing: the render stage fails, the alert
  names it, the run is Failed, and the warehouse is still published.
- The SMTP password from a file (a systemd credential) wins over a Secret block: no Prefect needed.
- A crash report says what the dead run's record on disk says: published or not, alert, Prefect API.
- `folkhalsa check-last-night`, with no Prefect server: one e-mail when stale, none when fresh, none
  twice for the same state.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from folkhalsa import runrecord
from folkhalsa.alerts import AlertState, compose_alert, deliver
from folkhalsa.quality import Finding
from folkhalsa.settings import Settings
from tests.smtp_fixture import closed_port, smtp_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cret pass:word!"
TO = ["analytiker@fohm.invalid"]


def _env(tmp_path: Path, **extra) -> dict:
    """A clean environment: no FOLKHALSA_*/PREFECT_* of the developer; Prefect's API is a port
    where nothing listens (the server is stopped)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLKHALSA_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect_home"), PREFECT_API_URL=f"http://127.0.0.1:{closed_port()}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(PROJECT_ROOT))
    env.update(extra)
    return env


# ------------------------------------------------------------------ the password file


def test_password_file_wins_over_an_unreachable_secret_block(tmp_path):
    pw = tmp_path / "smtp-password"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    with smtp_server(user="larm", password=PASSWORD) as srv:
        # The block would need Prefect's API; with a file configured it is never asked.
        s = Settings(_env_file=None, smtp_host="127.0.0.1", smtp_port=srv.port, smtp_user="larm",
                     smtp_password_file=pw, smtp_password_block="folkhalsa-smtp-password",
                     alert_to=TO, output_dir=tmp_path, smtp_timeout_s=5)
        msg = compose_alert("r", datetime.now(timezone.utc), [Finding(key="k", check="c", dataset="d",
                                                                      severity="warning")], [], None,
                            AlertState(s.state_dir))
        d = deliver(msg, s)
    assert d.sent and d.error is None
    assert len(srv.messages) == 1 and PASSWORD.encode() not in srv.messages[0].raw


def test_a_missing_password_file_is_named_never_a_traceback(tmp_path):
    s = Settings(_env_file=None, smtp_host="127.0.0.1", smtp_port=closed_port(), smtp_user="larm",
                 smtp_password_file=tmp_path / "nope", alert_to=TO, output_dir=tmp_path)
    msg = compose_alert("r", datetime.now(timezone.utc), [Finding(key="k", check="c", dataset="d",
                                                                  severity="warning")], [], None,
                        AlertState(s.state_dir))
    d = deliver(msg, s)
    assert not d.sent and str(tmp_path / "nope") in d.error and "FileNotFoundError" in d.error


# ------------------------------------------------------------------ the crash report


def test_a_crash_report_says_the_run_published_and_prefect_was_down(tmp_path):
    from folkhalsa.crashes import crash_finding

    state = tmp_path / "state"
    runrecord.update(state, "20261207T010000Z-abc", flow_run_id="11111111-1111-1111-1111-111111111111",
                     started_at="2026-12-07T01:00:00+00:00")
    runrecord.update(state, "20261207T010000Z-abc", published_at="2026-12-07T01:05:00+00:00")
    runrecord.update(state, "20261207T010000Z-abc", alert={"attempted": True, "sent": True, "queued": False,
                                                           "error": None})
    runrecord.update(state, "20261207T010000Z-abc", status="completed", finished_at="2026-12-07T01:06:00+00:00",
                     prefect_api={"reachable": False, "detail": "http://127.0.0.1:4200/api: HTTP 503",
                                  "checked_at": "2026-12-07T01:06:00+00:00"})
    run = SimpleNamespace(id="11111111-1111-1111-1111-111111111111", name="sly-fox",
                          start_time=datetime(2026, 12, 7, 1, tzinfo=timezone.utc),
                          state=SimpleNamespace(message="Flow run marked as crashed due to missing heartbeats."))
    f = crash_finding(run, runrecord.find(state, run.id))
    assert "PUBLISHED a new warehouse at 2026-12-07T01:05:00" in f.message_en
    assert "Its alert was delivered" in f.message_en
    assert "Prefect's API did not answer" in f.message_en and "HTTP 503" in f.message_en
    assert "PUBLICERADE" in f.message
    # No record: it says what is known, that by the disk nothing was published.
    g = crash_finding(run, None)
    assert "left no run record" in g.message_en and "published nothing" in g.message_en


# ------------------------------------------------------------------ the dead man's switch


def _check(tmp_path: Path, out: Path, port: int, pw: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = _env(tmp_path, FOLKHALSA_SMTP_HOST="127.0.0.1", FOLKHALSA_SMTP_PORT=str(port),
               FOLKHALSA_SMTP_USER="larm", FOLKHALSA_SMTP_PASSWORD_FILE=str(pw),
               FOLKHALSA_SMTP_PASSWORD_BLOCK="folkhalsa-smtp-password",   # would need Prefect: not used
               FOLKHALSA_ALERT_TO=json.dumps(TO))
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "folkhalsa", "check-last-night", "--output", str(out)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return proc, time.monotonic() - t0


def _night(state: Path, run_id: str, hours_ago: float, **fields) -> None:
    t = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()
    runrecord.update(state, run_id, started_at=t, **{"published_at": t, "status": "completed",
                                                    "finished_at": t, **fields})


def test_check_last_night_without_prefect(tmp_path):
    out = tmp_path / "out"
    state = out / "state"
    pw = tmp_path / "smtp-password"
    pw.write_text(PASSWORD + "\n")
    with smtp_server(user="larm", password=PASSWORD) as srv:
        # Fresh: a night published 2 hours ago. Exit 0, no e-mail.
        _night(state, "night-1", 2)
        fresh, seconds = _check(tmp_path, out, srv.port, pw)
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        assert srv.messages == []
        # Stale: the last publish 30 hours ago (> 26 h). Exit 1, one e-mail, SMTP direct.
        shutil.rmtree(state)
        _night(state, "night-2", 30, alert={"attempted": True, "sent": False, "queued": True,
                                             "error": "could not load the SMTP password: HTTP 500"})
        stale, _ = _check(tmp_path, out, srv.port, pw)
        assert stale.returncode == 1, stale.stdout + stale.stderr
        assert len(srv.messages) == 1
        body = srv.messages[0].message.get_body(("plain",)).get_content()
        assert "26 hours" in body and "night-2" in body and "published: 20" in body
        assert "Prefect's API did not answer" in body   # the check itself found Prefect down
        # The same stale state again: no second e-mail, still exit 1.
        again, _ = _check(tmp_path, out, srv.port, pw)
        assert again.returncode == 1 and len(srv.messages) == 1, again.stdout
        assert "already warned" in again.stdout
        # A new night that failed and whose alert was not delivered: a new state, a new e-mail.
        _night(state, "night-3", 1, published_at=None, status="failed", failure="steg misslyckades: dbt build",
               alert={"attempted": True, "sent": False, "queued": True, "error": "connection refused"})
        failed, _ = _check(tmp_path, out, srv.port, pw)
        assert failed.returncode == 1 and len(srv.messages) == 2
        assert "night-3" in srv.messages[1].message.get_body(("plain",)).get_content()
        # Fresh again: exit 0, nothing sent.
        _night(state, "night-4", 0.5)
        ok, _ = _check(tmp_path, out, srv.port, pw)
        assert ok.returncode == 0 and len(srv.messages) == 2, ok.stdout + ok.stderr
        # A night that published but whose alert reached nobody (its Secret block unreadable while
        # Prefect's database was down): the switch says so.
        _night(state, "night-5", 0.2, alert={"attempted": True, "sent": False, "queued": True,
                                              "error": "could not load the SMTP password: HTTP 500"})
        lost, _ = _check(tmp_path, out, srv.port, pw)
        assert lost.returncode == 1 and len(srv.messages) == 3, lost.stdout + lost.stderr
        assert "HTTP 500" in srv.messages[2].message.get_body(("plain",)).get_content()
    assert PASSWORD not in "".join(p.stdout + p.stderr for p in (fresh, stale, again, failed, ok, lost))
    print(f"\ncheck-last-night (fresh, Prefect stopped): {seconds:.1f} s")


def test_check_last_night_with_no_record_at_all_is_not_fresh(tmp_path):
    with smtp_server() as srv:
        env = _env(tmp_path, FOLKHALSA_SMTP_HOST="127.0.0.1", FOLKHALSA_SMTP_PORT=str(srv.port),
                   FOLKHALSA_ALERT_TO=json.dumps(TO))
        proc = subprocess.run([sys.executable, "-m", "folkhalsa", "check-last-night", "--output",
                               str(tmp_path / "empty")], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1 and len(srv.messages) == 1, proc.stdout + proc.stderr
    assert "no run record" in proc.stdout


# ------------------------------------------------------------------ production night, no Quarto


@pytest.mark.slow
@pytest.mark.flow
def test_production_night_without_quarto_is_failed_and_the_alert_names_render(tmp_path, sample_dir, monkeypatch):
    """A deployment run (Prefect's runtime says so: PREFECT__RUNTIME__DEPLOYMENT__ID is how Prefect
    lets a test set it) with FOLKHALSA_RENDER unset renders `always`; Quarto is not found."""
    from flows.nightly import nightly

    inp = tmp_path / "in"
    shutil.copytree(sample_dir, inp)
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "8e8a9c1e-0000-4000-8000-000000000028")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")   # no quarto on PATH
    for k in [k for k in os.environ if k.startswith("FOLKHALSA_")]:
        monkeypatch.delenv(k)
    assert shutil.which("quarto") is None
    with smtp_server() as srv:
        settings = Settings(_env_file=None, input_dir=inp, output_dir=tmp_path / "out", years=[2023],
                                smtp_host="127.0.0.1", smtp_port=srv.port, alert_to=TO)
        assert "render" not in settings.model_fields_set
        state = nightly(settings, return_state=True)
        messages = list(srv.messages)
    assert state.is_failed(), state
    assert "render" in state.message
    summary = json.loads((settings.output_dir / "run_summary.json").read_text("utf-8"))
    stages = {s["name"]: s for s in summary["stages"]}
    assert stages["render"]["status"] == "failed" and "Quarto" in stages["render"]["detail"]
    assert stages["publish"]["status"] == "ok" and summary["published"]
    assert stages["status page"]["status"] == "ok" and stages["alert"]["status"] == "ok"
    assert len(messages) == 1
    body = messages[0].message.get_body(("plain",)).get_content()
    assert "steget render misslyckades" in body and "render stage failed" in body
    assert "this run published a new warehouse" in body
    rec = runrecord.records(settings.state_dir)[-1]
    assert rec["status"] == "failed" and rec["published_at"] and rec["alert"]["sent"]
