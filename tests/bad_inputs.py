"""The session's "bad inputs" night: the sample with what goes wrong in a real year, in one night.

- returns: county 24 sends a broken second version of its 2022 return (rejected, with a feedback
  workbook), and county 01's 2023 return is missing;
- survey: two bad re-deliveries next to the good exports (last year's export under this year's
  name, and one garbled by a Mac/Windows round trip).

One night serves the survey end-to-end contract (tests/test_survey_e2e.py) and the feedback status
page (tests/test_feedback_status_page.py); tests/conftest.py builds it once per session
(`bad_inputs_run`). The survey marts depend only on the survey and the reference data, so the returns'
problems cannot change them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

RECIPIENTS = ["analytiker@fohm.invalid"]


def wrong_year(survey_dir: Path) -> Path:
    """Last year's export (2022 questionnaire) exported again from the tool, as UTF-8 this time,
    and saved under this year's name."""
    dest = survey_dir / "skr_enkat_2023_omleverans.csv"
    dest.write_bytes((survey_dir / "skr_enkat_2022.csv").read_bytes().decode("cp1252").encode("utf-8-sig"))
    return dest


def garbled(survey_dir: Path) -> Path:
    """The 2022 export saved on a Mac (Mac Roman), opened as Windows-1252 and saved again as UTF-8:
    every å, ä and ö is now a wrong letter (Œ, Š, š) in valid UTF-8."""
    text = (survey_dir / "skr_enkat_2022.csv").read_bytes().decode("cp1252")
    dest = survey_dir / "skr_enkat_2022_omleverans.csv"
    dest.write_bytes(text.encode("mac-roman").decode("cp1252", errors="replace").encode("utf-8"))
    return dest


def settings_for(inp: Path, out: Path, port: int | None = None):
    from folkhalsa.settings import get_settings

    return get_settings(input_dir=inp, output_dir=out, render="never", smtp_host="127.0.0.1" if port else "",
                        smtp_port=port or 25, smtp_timeout_s=5, alert_to=RECIPIENTS)


def run_bad_inputs_night(sample_dir: Path, base: Path) -> dict:
    """Run the night; everything its tests read, picklable (the alert as plain-text bodies)."""
    from flows.nightly import nightly
    from tests.smtp_fixture import smtp_server
    from tests.test_feedback_annotate import make_bad_return

    inp, out = base / "in", base / "out"
    shutil.copytree(sample_dir, inp)
    (inp / "returns" / "2023" / "lansrapport_01_2023.xlsx").unlink()
    make_bad_return(inp / "returns" / "2022" / "lansrapport_24_2022_v2.xlsx")
    bad_survey = {make_bad(inp / "survey").name: reason
                  for make_bad, reason in ((wrong_year, "2022"), (garbled, "teckenkodning"))}
    with smtp_server() as srv:
        settings = settings_for(inp, out, srv.port)
        summary = nightly(settings)
        alerts = [m.message.get_body(("plain",)).get_content() for m in srv.messages]
    return {"settings": settings, "summary": summary, "alerts": alerts, "bad_survey": bad_survey}
