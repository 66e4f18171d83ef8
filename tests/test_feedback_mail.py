"""Feedback e-mail to the counties on a real SMTP server (aiosmtpd on 127.0.0.1).

Two bad returns from two counties are landed the way the nightly run lands them; the feedback stage
then sends one e-mail per county to the address in the return's Uppgifter sheet, with that
county's marked-up workbook attached. A rerun sends nothing; a night with SMTP down loses nothing.
"""
from __future__ import annotations

import io
import logging
import random

from openpyxl import load_workbook

from folkhalsa.alerts import AlertState, send_run_alert
from folkhalsa.feedback.annotate import FEEDBACK_SHEET
from folkhalsa.feedback.run import run_feedback
from folkhalsa.sample.returns import build_return
from folkhalsa.settings import get_settings
from folkhalsa.sources.returns import land_returns
from folkhalsa.template import build_workbook
from tests.smtp_fixture import closed_port, smtp_server

CONTACTS = {"24": "kontakt.vasterbotten@exempel.invalid", "25": "kontakt.norrbotten@exempel.invalid"}


def _bad_return(path, county: str, year: int = 2022):
    filled = build_return(random.Random(county), county, year, 1)
    filled["submission"]["contact_email"] = CONTACTS[county]
    wb = build_workbook(filled)
    wb["Aktörer"]["C2"] = "Kommunen"          # code_list: an error, the return is rejected
    wb["Insatser"]["G3"] = "femtio tusen"     # not_a_number
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _settings(tmp_path, port: int, **kw):
    return get_settings(input_dir=tmp_path / "in", output_dir=tmp_path / "out", smtp_host="127.0.0.1",
                        smtp_port=port, alert_to=["analytiker@exempel.invalid"], feedback_email=True,
                        smtp_timeout_s=5, **kw)


def _night(settings, run_id: str) -> dict:
    result = land_returns(settings.input_dir / "returns", settings.landing_dir, settings.archive_dir,
                          settings.quarantine_dir)
    return run_feedback(settings, result, run_id)


def test_two_counties_two_emails_rerun_none(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    inbox = tmp_path / "in" / "returns" / "2022"
    _bad_return(inbox / "lansrapport_24_2022.xlsx", "24")
    _bad_return(inbox / "lansrapport_25_2022.xlsx", "25")
    with smtp_server() as srv:
        settings = _settings(tmp_path, srv.port)
        out = _night(settings, "natt1")
        assert len(out["files"]) == 2
        assert sorted(out["mail"]["sent"]) == ["24", "25"]
        assert len(srv.messages) == 2
        by_county = {m.message["X-Folkhalsa-Feedback"]: m for m in srv.messages}
        for county, address in CONTACTS.items():
            m = by_county[county]
            assert m.rcpt_tos == [address]
            assert m.message["To"] == address
            body = m.message.get_body(("plain",)).get_content()
            assert "AVVISAD" in body and "skicka in den rättade rapporten" in body.lower()
            assert "Värdet finns inte i kodlistan" in body and "fliken Aktörer" in body
            attachments = list(m.message.iter_attachments())
            assert [a.get_filename() for a in attachments] == [f"lansrapport_{county}_2022.återkoppling.xlsx"]
            wb = load_workbook(io.BytesIO(attachments[0].get_content()))
            assert wb.sheetnames[0] == FEEDBACK_SHEET
            assert wb["Aktörer"]["C2"].comment is not None
            assert f"lansrapport_{county}_2022.xlsx" in wb[FEEDBACK_SHEET]["A2"].value
        # The analyst's alert names the counties, never the addresses.
        alert = send_run_alert("natt1", __import__("datetime").datetime(2023, 3, 2, 3, 0), [], [], None,
                               settings, feedback=out["alert_lines"])
        assert alert["sent"]
        text = srv.messages[-1].message.get_body(("plain",)).get_content()
        assert "Skickad till: Västerbottens län (24), Norrbottens län (25)" in text, text
        assert "exempel.invalid" not in text.replace("analytiker@exempel.invalid", "")
        n = len(srv.messages)
        # A rerun (the same files, landed again as unchanged) sends no feedback.
        again = _night(settings, "natt2")
        assert again["mail"]["sent"] == [] and len(srv.messages) == n
    # The addresses are nowhere in logs, the summary part, or the state JSON.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("folkhalsa", "flows")))
    logged = ours + str(out) + (settings.state_dir / "alert_state.json").read_text("utf-8") \
        + (settings.state_dir / "feedback_mail_state.json").read_text("utf-8")
    for address in CONTACTS.values():
        assert address not in logged


def test_smtp_down_keeps_feedback_for_the_next_night(tmp_path):
    inbox = tmp_path / "in" / "returns" / "2022"
    _bad_return(inbox / "lansrapport_24_2022.xlsx", "24")
    down = _settings(tmp_path, closed_port())
    first = _night(down, "natt1")
    assert first["mail"]["sent"] == [] and first["mail"]["queued"] == ["24"]
    assert "Ej skickad ännu" in " ".join(first["alert_lines"])
    assert len(AlertState(down.state_dir).mail) == 1
    # Still down: queued once, not twice.
    _night(down, "natt2")
    assert len(AlertState(down.state_dir).mail) == 1
    with smtp_server() as srv:
        up = _settings(tmp_path, srv.port)
        second = _night(up, "natt3")
        assert second["mail"]["sent"] == ["24"]
        assert len(srv.messages) == 1 and srv.messages[0].rcpt_tos == [CONTACTS["24"]]
        assert AlertState(up.state_dir).mail == []
        third = _night(up, "natt4")
        assert third["mail"]["sent"] == [] and len(srv.messages) == 1


def test_feedback_email_is_opt_in(tmp_path):
    inbox = tmp_path / "in" / "returns" / "2022"
    _bad_return(inbox / "lansrapport_24_2022.xlsx", "24")
    with smtp_server() as srv:
        settings = get_settings(input_dir=tmp_path / "in", output_dir=tmp_path / "out", smtp_host="127.0.0.1",
                                smtp_port=srv.port, alert_to=["a@exempel.invalid"])
        assert settings.feedback_email is False
        out = _night(settings, "natt1")
        assert out["mail"] is None and len(out["files"]) == 1 and srv.messages == []
    # The rejected return's feedback lies next to its quarantined copy.
    path = out["files"][0]
    assert "/quarantine/" in path and path.endswith("lansrapport_24_2022.återkoppling.xlsx")
