"""Survey warnings reach the alert: an export with warnings gives an e-mail (real SMTP server on
127.0.0.1, aiosmtpd) that lists its issues by rule, with sheet, row and column, never a value."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import openpyxl

from folkhalsa.pipeline import alert_issues, record_landing
from folkhalsa.alerts import send_run_alert
from folkhalsa.settings import get_settings
from folkhalsa.sources.survey import land_survey
from folkhalsa.summary import RunSummary
from tests.smtp_fixture import smtp_server
from tests.test_survey import ROWS, SECRET, codebook_dir, render  # noqa: F401 (fixture)

PRIVATE_NUMBER = "tolv och en halv"


def _export_with_warnings(tmp_path):
    rows = [*ROWS,
            ("1480", "2022-10-07 09:00", {"RES1": 1, "SAM1": [2], "RES2": PRIVATE_NUMBER, "SAM2": None,
                                          "FRI1": SECRET}),  # a duplicate, with a bad number
            ("0180", "2022-10-08 11:00", {"RES1": 1, "SAM1": None, "RES2": None, "SAM2": None, "FRI1": None})]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Svar"
    text = render(rows, labels=True, sep=";", decimal_comma=True, encoding="utf-8").decode()
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        ws.append(row)
    path = tmp_path / "skr_enkat_2022.xlsx"
    wb.save(path)
    return path


def test_survey_warnings_reach_the_alert_by_rule_with_sheet_row_column(tmp_path, codebook_dir):
    export = _export_with_warnings(tmp_path)
    # max_failed_share=1.0: one bad number is more than 5 % of this small export's answers, which would
    # reject the whole export (issue 17); this test is about row-level warnings reaching the alert.
    result = land_survey(export, 2022, codebook_dir, tmp_path / "landing", tmp_path / "archive",
                         max_failed_share=1.0)
    rules = {i.rule for i in result.issues}
    assert {"duplicate_respondent", "partial_response", "invalid_number"} <= rules

    summary = RunSummary(run_id="t1", started_at="2024-01-15T03:00:00+00:00")
    record_landing(summary, result)
    with smtp_server() as srv:
        settings = get_settings(output_dir=tmp_path / "out", smtp_host="127.0.0.1", smtp_port=srv.port,
                                smtp_timeout_s=5, alert_to=["analytiker@fohm.invalid"])
        sent = send_run_alert("t1", datetime(2024, 1, 15, 3, tzinfo=timezone.utc), [], summary.rejected, None,
                              settings, issues=alert_issues(summary))
        assert sent["sent"] is True and sent["issues"] == len(alert_issues(summary)) > 0
        assert len(srv.messages) == 1
        body = srv.messages[0].message.get_body(("plain",)).get_content()
    assert "PROBLEM I INLÄSTA FILER, PER REGEL" in body
    # One block per rule, each location with sheet, row and column.
    for rule in ("duplicate_respondent", "partial_response", "invalid_number"):
        assert f"[{rule}]" in body
    dup = [i for i in result.issues if i.rule == "duplicate_respondent"][0]
    assert f"flik Svar, rad {dup.row}, kolumn Respondentkod" in body
    bad = [i for i in result.issues if i.rule == "invalid_number"][0]
    assert f"flik Svar, rad {bad.row}, kolumn {bad.column}" in body
    # Free text and answer values never reach the e-mail.
    assert PRIVATE_NUMBER not in body and "särskilt" not in body
