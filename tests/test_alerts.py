"""Alert e-mail against a real SMTP server (aiosmtpd) on 127.0.0.1."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from folkhalsa.issues import Issue
from folkhalsa.alerts import (
    AlertState, Finding, RejectedReturn, compose_alert, deliver, finding_key, send_run_alert,
)
from folkhalsa.settings import Settings

from tests.smtp_fixture import closed_port, silent_server, smtp_server

# aiosmtpd warns about AUTH without TLS; on 127.0.0.1 in a test that is intended.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")

PASSWORD = "Hemligt-Pw-7731"
DAY1 = datetime(2024, 3, 1, 2, 30, tzinfo=timezone.utc)
DAY2 = datetime(2024, 3, 2, 2, 30, tzinfo=timezone.utc)
DAY3 = datetime(2024, 3, 3, 2, 30, tzinfo=timezone.utc)
RECIPIENTS = ["analys@example.org", "samordnare@example.org"]


def settings_for(tmp_path: Path, port: int, **kw) -> Settings:
    base = dict(smtp_host="127.0.0.1", smtp_port=port, alert_to=RECIPIENTS,
                alert_from="folkhalsa@example.org", output_dir=tmp_path, smtp_timeout_s=5.0)
    return Settings(_env_file=None, **{**base, **kw})


def out_of_range(value: float = 134.5) -> Finding:
    return Finding(
        key=finding_key("marts", "values_between_0_100", "fct_indicator_values", "01"),
        check="expect_column_values_to_be_between", dataset="marts.fct_indicator_values",
        severity="critical", county="01", observed=value, expected="0–100 (procent)",
        rows_affected=1, message="Indikatorvärde utanför 0–100 för en procentindikator",
        message_en="Indicator value outside 0–100 for a percent indicator")


def anomaly() -> Finding:
    return Finding(
        key=finding_key("marts", "change_within_threshold", "fct_indicator_values", "12"),
        check="change_from_previous_period", dataset="marts.fct_indicator_values",
        severity="warning", county="12", observed=18.0, expected="högst 10 procentenheter",
        rows_affected=3, message="Ovanligt stor förändring från föregående år")


def err(text: str, file: str = "x.xlsx") -> Issue:
    """A return's error issue whose Swedish message is `text`."""
    return Issue(source="returns", file=file, rule="not_a_number", severity="error", message_sv=text,
                 message_en="")


def rejected_return() -> RejectedReturn:
    return RejectedReturn(
        file="lansrapport_05_2023.xlsx", county_code="05", year=2023,
        issues=[err("Blad 'Insatser', rad 7, kolumn 'antal': måste vara ett heltal ≥ 0 "
                    "(regel: non_negative_int) / must be a non-negative integer")])


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content()


# --------------------------------------------------------------------------- delivery


def test_alert_arrives_with_recipients_subject_and_body(tmp_path):
    with smtp_server() as srv:
        s = settings_for(tmp_path, srv.port)
        summary = send_run_alert("run-42", DAY1, [out_of_range(), anomaly()], [rejected_return()],
                                 tmp_path / "data_docs" / "index.html", s)
    assert summary["sent"] is True and summary["error"] is None
    assert summary["recipients"] == 2 and summary["queued"] is False
    assert len(srv.messages) == 1
    got = srv.messages[0]
    assert got.rcpt_tos == RECIPIENTS
    assert got.mail_from == "folkhalsa@example.org"
    assert got.message["To"] == ", ".join(RECIPIENTS)
    subject = "[folkhälsa] KRITISKT: 1 fel, 1 varning, 1 avvisad länsrapport – körning run-42"
    assert got.message["Subject"] == subject == summary["subject"]
    text = body(got)
    for expected in [
        "Körning: run-42", "Tid: 2024-03-01 02:30 UTC",
        "KRITISKA FEL", "Indikatorvärde utanför 0–100", "Datamängd: marts.fct_indicator_values",
        "Län: 01", "Observerat: 134,5", "Förväntat: 0–100 (procent)", "Berörda rader: 1",
        "VARNINGAR", "Län: 12", "Berörda rader: 3",
        "AVVISADE LÄNSRAPPORTER", "lansrapport_05_2023.xlsx (län 05, år 2023)",
        "Blad 'Insatser', rad 7, kolumn 'antal'",
        "VAD GÖR JAG?", str(tmp_path / "data_docs" / "index.html"),
        (tmp_path / "data_docs" / "index.html").as_uri(),
    ]:
        assert expected in text, expected
    assert text.count("Status: ny") == 2


def test_login_with_password_from_settings(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_server(user="larm", password=PASSWORD) as srv:
        s = settings_for(tmp_path, srv.port, smtp_user="larm", smtp_password=PASSWORD)
        summary = send_run_alert("run-1", DAY1, [out_of_range()], [], None, s)
    assert summary["sent"] is True
    assert len(srv.messages) == 1
    assert PASSWORD.encode() not in srv.messages[0].raw
    assert PASSWORD not in caplog.text


def test_authentication_failure_is_reported_without_password(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_server(user="larm", password="the-right-one") as srv:
        s = settings_for(tmp_path, srv.port, smtp_user="larm", smtp_password=PASSWORD)
        msg = compose_alert("run-1", DAY1, [out_of_range()], [], None, AlertState(s.state_dir))
        d = deliver(msg, s)
    assert d.sent is False
    assert "authentication failed" in d.error and "535" in d.error
    assert srv.messages == []
    assert PASSWORD not in d.error
    assert PASSWORD not in caplog.text
    assert PASSWORD.encode() not in msg.as_bytes()


def test_password_echoed_by_server_is_scrubbed(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="folkhalsa")
    with smtp_server(user="larm", password="the-right-one", echo_credentials=True) as srv:
        s = settings_for(tmp_path, srv.port, smtp_user="larm", smtp_password=PASSWORD)
        summary = send_run_alert("run-1", DAY1, [out_of_range()], [], None, s)
    assert summary["sent"] is False and "Bad credentials: ***" in summary["error"]
    assert PASSWORD not in summary["error"] and PASSWORD not in caplog.text
    assert PASSWORD not in (tmp_path / "state" / "alert_state.json").read_text("utf-8")


def test_connection_refused(tmp_path):
    s = settings_for(tmp_path, closed_port())
    msg = compose_alert("run-1", DAY1, [out_of_range()], [], None, AlertState(s.state_dir))
    d = deliver(msg, s)
    assert d.sent is False
    assert "connection refused" in d.error


def test_timeout_when_server_never_answers(tmp_path):
    with silent_server() as port:
        s = settings_for(tmp_path, port, smtp_timeout_s=0.3)
        msg = compose_alert("run-1", DAY1, [out_of_range()], [], None, AlertState(s.state_dir))
        d = deliver(msg, s)
    assert d.sent is False
    assert "timed out" in d.error


def test_unconfigured_smtp_is_reported_not_raised(tmp_path):
    s = settings_for(tmp_path, 25, smtp_host="")
    msg = compose_alert("run-1", DAY1, [out_of_range()], [], None, AlertState(s.state_dir))
    d = deliver(msg, s)
    assert d.sent is False and "smtp_host" in d.error


# --------------------------------------------------------------------------- never lost, never a storm


def test_smtp_down_then_up_delivers_once_with_both_problems(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    down = settings_for(tmp_path, closed_port(), smtp_user="larm", smtp_password=PASSWORD)
    first = send_run_alert("run-1", DAY1, [out_of_range()], [rejected_return()], None, down)
    assert first["attempted"] is True and first["sent"] is False and first["queued"] is True
    assert "connection refused" in first["error"]
    state_text = (tmp_path / "state" / "alert_state.json").read_text("utf-8")
    assert PASSWORD not in state_text and PASSWORD not in caplog.text

    with smtp_server(user="larm", password=PASSWORD) as srv:
        up = settings_for(tmp_path, srv.port, smtp_user="larm", smtp_password=PASSWORD)
        # Run 2 finds nothing new; the undelivered alert of run 1 still goes out.
        second = send_run_alert("run-2", DAY2, [], [], None, up)
        third = send_run_alert("run-3", DAY3, [], [], None, up)
    assert second["sent"] is True and second["earlier_runs"] == 1
    assert third["attempted"] is False and third["sent"] is False
    assert len(srv.messages) == 1
    text = body(srv.messages[0])
    assert "Indikatorvärde utanför 0–100" in text and "Observerat: 134,5" in text
    assert "lansrapport_05_2023.xlsx" in text and "från körning run-1" in text
    assert "run-1" in text
    assert srv.messages[0].message["Subject"] == (
        "[folkhälsa] KRITISKT: 1 fel, 1 avvisad länsrapport – körning run-2")


def test_repeated_outage_merges_without_duplicates(tmp_path):
    down = settings_for(tmp_path, closed_port())
    send_run_alert("run-1", DAY1, [out_of_range()], [rejected_return()], None, down)
    send_run_alert("run-2", DAY2, [out_of_range(140.0)], [], None, down)
    with smtp_server() as srv:
        up = settings_for(tmp_path, srv.port)
        summary = send_run_alert("run-3", DAY3, [out_of_range(150.0), anomaly()], [], None, up)
    assert summary["sent"] is True
    assert len(srv.messages) == 1
    text = body(srv.messages[0])
    # The out-of-range check is listed once, with its latest value and its first date.
    assert text.count("Indikatorvärde utanför 0–100") == 1
    assert "Observerat: 150" in text and "fortfarande fel sedan 2024-03-01" in text
    assert text.count("lansrapport_05_2023.xlsx") == 1
    assert AlertState(tmp_path / "state").outbox == []


def test_persisting_failure_is_still_failing_since_not_new(tmp_path):
    with smtp_server() as srv:
        s = settings_for(tmp_path, srv.port)
        send_run_alert("run-1", DAY1, [out_of_range()], [], None, s)
        send_run_alert("run-2", DAY2, [out_of_range(), anomaly()], [], None, s)
        send_run_alert("run-3", DAY3, [anomaly()], [], None, s)       # out-of-range fixed
        send_run_alert("run-4", DAY3, [out_of_range(), anomaly()], [], None, s)  # back again
    assert len(srv.messages) == 4
    run1, run2, run3, run4 = (body(m) for m in srv.messages)
    assert "Status: ny" in run1 and "fortfarande" not in run1
    crit2, warn2 = run2.split("VARNINGAR")
    assert "Status: fortfarande fel sedan 2024-03-01" in crit2
    assert "Status: ny" in warn2
    assert "Status: fortfarande fel sedan 2024-03-02" in run3
    crit4, warn4 = run4.split("VARNINGAR")
    assert "Status: ny" in crit4  # it stopped failing, so it is new again
    assert "fortfarande fel sedan 2024-03-02" in warn4


# --------------------------------------------------------------------------- content rules


def test_nothing_to_report_sends_nothing(tmp_path):
    with smtp_server() as srv:
        summary = send_run_alert("run-1", DAY1, [], [], None, settings_for(tmp_path, srv.port))
    assert summary == {"attempted": False, "sent": False, "recipients": 0, "subject": None,
                       "error": None, "findings": 0, "rejected": 0, "issues": 0, "earlier_runs": 0,
                       "queued": False}
    assert srv.messages == []


def test_warning_only_subject_and_plural(tmp_path):
    w2 = Finding(**{**anomaly().__dict__, "key": "marts:x:y:13", "county": "13"})
    msg = compose_alert("r", DAY1, [anomaly(), w2], [rejected_return(), RejectedReturn("b.xlsx")],
                        None, AlertState(tmp_path))
    assert msg["Subject"] == ("[folkhälsa] VARNING: 2 varningar, 2 avvisade länsrapporter "
                              "– körning r")
    assert "KRITISKA FEL" not in msg.get_content()


def test_contact_emails_from_data_are_removed(tmp_path):
    r = RejectedReturn("lansrapport_01_2023.xlsx", "01", 2023,
                       [err("Blad 'Kontakt', rad 3, kolumn 'e-post': 'anna.svensson@region.se' är "
                            "ogiltig (regel: email)")])
    f = Finding(**{**out_of_range().__dict__, "message": "Fel rapporterat av kalle@lan.se"})
    text = compose_alert("r", DAY1, [f], [r], None, AlertState(tmp_path)).get_content()
    assert "anna.svensson@region.se" not in text and "kalle@lan.se" not in text
    assert "[e-postadress borttagen]" in text


def test_sample_notice_is_carried(tmp_path):
    from folkhalsa import SAMPLE_NOTICE
    msg = compose_alert("r", DAY1, [out_of_range()], [], None, AlertState(tmp_path),
                        notice=SAMPLE_NOTICE)
    assert SAMPLE_NOTICE in msg.get_content()


def test_long_error_lists_are_capped(tmp_path):
    r = RejectedReturn("x.xlsx", issues=[err(f"Blad 'A', rad {i}, kolumn 'b': fel") for i in range(100)])
    text = compose_alert("r", DAY1, [], [r], None, AlertState(tmp_path)).get_content()
    assert "rad 19," in text and "rad 20," not in text
    assert "och 80 fel till" in text


def test_unknown_severity_is_rejected():
    with pytest.raises(ValueError, match="severity"):
        Finding(key="k", check="c", dataset="d", severity="info")


def test_damaged_state_file_does_not_stop_the_run(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "alert_state.json").write_text("{not json", "utf-8")
    with smtp_server() as srv:
        summary = send_run_alert("run-1", DAY1, [out_of_range()], [], None,
                                 settings_for(tmp_path, srv.port))
    assert summary["sent"] is True
    assert (tmp_path / "state" / "alert_state.json.damaged").exists()
    assert json.loads((tmp_path / "state" / "alert_state.json").read_text("utf-8"))["first_seen"]


def test_rejected_from_land_result_and_outbox():
    from dataclasses import asdict

    from folkhalsa.landing import Rejection

    r = RejectedReturn.from_dict(Rejection("returns", "a.xlsx", [err("Blad 'X', rad 2, kolumn 'y': z", "a.xlsx")]))
    assert r == RejectedReturn("a.xlsx", None, None, [err("Blad 'X', rad 2, kolumn 'y': z", "a.xlsx")])
    assert RejectedReturn.from_dict(asdict(r)) == r  # the outbox keeps Issues, not strings


# --------------------------------------------------------------------------- Prefect boundary


def _clean_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and not k.startswith("FOLKHALSA_")}
    # The subprocess must import this checkout's folkhalsa, whatever the install looks like.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env.update(PREFECT_HOME=str(tmp_path / "prefect_home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="CRITICAL",
               PREFECT_SERVER_LOGGING_LEVEL="CRITICAL",
               # The temporary API server's start limit (conftest): 20 s by default, too short on a
               # busy machine (a full parallel run), where the child then printed nothing.
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=os.environ.get(
                   "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180"))
    return env


def test_module_imports_without_prefect(tmp_path):
    code = "import sys, folkhalsa.alerts; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=_clean_env(tmp_path), cwd=tmp_path)
    assert out.stdout.strip() == "False"


@pytest.mark.server   # the child process starts Prefect's temporary API server
def test_password_from_prefect_secret_block(tmp_path):
    """Production path: the password comes from a Prefect Secret block (ephemeral Prefect server)."""
    with smtp_server(user="larm", password=PASSWORD) as srv:
        code = textwrap.dedent(f"""
            import json
            from datetime import datetime, timezone
            from prefect.blocks.system import Secret
            from folkhalsa.alerts import AlertState, compose_alert, deliver, Finding
            from folkhalsa.settings import Settings
            Secret(value={PASSWORD!r}).save("folkhalsa-smtp", overwrite=True)
            out = {{}}
            for block in ("folkhalsa-smtp", "no-such-block"):
                s = Settings(_env_file=None, smtp_host="127.0.0.1", smtp_port={srv.port},
                             smtp_user="larm", smtp_password="wrong", smtp_password_block=block,
                             alert_to=["a@example.org"], output_dir={str(tmp_path)!r})
                f = Finding(key="k", check="c", dataset="d", severity="warning")
                msg = compose_alert("r", datetime.now(timezone.utc), [f], [], None,
                                    AlertState(s.state_dir))
                d = deliver(msg, s)
                out[block] = [d.sent, d.error]
            print("RESULT" + json.dumps(out))
        """)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=_clean_env(tmp_path), cwd=tmp_path, timeout=180)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-3000:]
    result = json.loads(line[len("RESULT"):])
    assert result["folkhalsa-smtp"] == [True, None]
    sent, error = result["no-such-block"]
    assert sent is False and "no-such-block" in error and "could not load" in error
    assert len(srv.messages) == 1
    assert PASSWORD not in proc.stdout + proc.stderr
