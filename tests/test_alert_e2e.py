"""The whole flow with alerting: an injected out-of-range value and a rejected return give exactly
one e-mail naming both; SMTP down does not stop the run, and the next run delivers the alert; a
critical failure keeps the previous warehouse published."""
from __future__ import annotations

import json
import shutil

import pytest
from openpyxl import load_workbook

from flows.nightly import run_nightly as nightly  # the summary, also of a Failed night
from folkhalsa.alerts import AlertState
from folkhalsa.landing import sha256_file
from folkhalsa.settings import get_settings
from tests.smtp_fixture import closed_port, smtp_server

RECIPIENTS = ["analytiker@fohm.invalid", "samordnare@lst.invalid"]


def _inject_problems(inp):
    snap = inp / "indicators" / "folkhalsodata" / "6.1.json"
    doc = json.loads(snap.read_text("utf-8"))
    doc["response"]["value"][0] = 150.0  # riket, totalt, 2012-2015: a share of 150 %
    doc["retrieved_at"] = "2024-06-01T06:00:00Z"  # a later retrieval replaces the earlier one
    snap.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    broken = inp / "returns" / "2022" / "lansrapport_12_2022.xlsx"
    wb = load_workbook(broken)
    wb["Insatser"]["B2"] = 11
    wb.save(broken)


def _settings(inp, out, port):
    return get_settings(input_dir=inp, output_dir=out, render="never", smtp_host="127.0.0.1",
                        smtp_port=port, smtp_timeout_s=5, alert_to=RECIPIENTS)


def _from_the_sample_night(pipeline_run, inp, out):
    """The sample night (conftest) as this test's first night: its input, and a copy of its output with
    its alert settled. It ran without SMTP, so its alert was queued: the first night's contract is
    checked on that queued alert, and then it is cleared as if delivered."""
    settings, summary = pipeline_run
    assert summary["published"] and summary["failure"] is None, summary["stages"]
    # The sample survey exports carry warnings (partial and duplicate responses): they are reported
    # (they used to reach nobody), and nothing else is.
    alert = summary["alert"]
    assert alert["attempted"] and alert["queued"] and not alert["sent"], alert
    assert "KRITISKT" not in alert["subject"] and "problem i indata" in alert["subject"], alert["subject"]
    shutil.copytree(settings.input_dir, inp)
    shutil.copytree(settings.output_dir, out, symlinks=True)
    state = AlertState(out / "state")
    assert [i.rule for i in state.pending_issues() if i.rule == "partial_response"], state.outbox
    assert not [f for _, f in state.pending_findings() if f.severity == "critical"]
    state.clear_outbox()
    state.save()


@pytest.mark.slow
@pytest.mark.flow
def test_one_email_names_both_problems_and_survives_smtp_outage(pipeline_run, tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    _from_the_sample_night(pipeline_run, inp, out)
    published = sha256_file(out / "warehouse" / "folkhalsa.duckdb")

    _inject_problems(inp)
    down = nightly(_settings(inp, out, closed_port()))
    assert not down["published"], "a critical failure must not publish"
    assert down["failure"], "a night that published nothing ends Failed"
    assert down["alert"]["sent"] is False and down["alert"]["attempted"] is True
    assert "EJ SKICKAT" in down["alert"]["status"]
    assert sha256_file(out / "warehouse" / "folkhalsa.duckdb") == published

    with smtp_server() as srv:
        up = nightly(_settings(inp, out, srv.port))
        assert len(srv.messages) == 1
        msg = srv.messages[0]
    assert sorted(msg.rcpt_tos) == sorted(RECIPIENTS)
    subject = msg.message["Subject"]
    assert "KRITISKT" in subject
    body = msg.message.get_body(("plain",)).get_content()
    assert "lansrapport_12_2022.xlsx" in body and "target_area" in body
    assert "fct_indicator_value" in body and "150" in body
    assert "Exempeldata – inte officiell statistik" in body
    assert up["alert"]["sent"] is True
    assert sha256_file(out / "warehouse" / "folkhalsa.duckdb") == published
