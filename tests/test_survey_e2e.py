"""End to end: a bad survey export next to the good sample. The night publishes the good data
unchanged (the mart_survey_* tables equal a clean run's), rejects the bad file and sends one alert
that names it."""
from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from flows.nightly import nightly
from folkhalsa.settings import get_settings
from tests.smtp_fixture import smtp_server

RECIPIENTS = ["analytiker@fohm.invalid"]


def _settings(inp, out, port=None):
    return get_settings(input_dir=inp, output_dir=out, render="never", smtp_host="127.0.0.1" if port else "",
                        smtp_port=port or 25, smtp_timeout_s=5, alert_to=RECIPIENTS)


def survey_marts(warehouse) -> dict[str, list[tuple]]:
    """Every mart_survey_* table, all rows sorted, whatever schema it lives in."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_name like 'mart_survey_%' order by 1, 2").fetchall()
        return {f"{s}.{t}": sorted(con.execute(f'select * from "{s}"."{t}"').fetchall(), key=repr)
                for s, t in tables}


def wrong_year(survey_dir):
    """Last year's export (2022 questionnaire) exported again from the tool, as UTF-8 this time,
    and saved under this year's name."""
    dest = survey_dir / "skr_enkat_2023_omleverans.csv"
    dest.write_bytes((survey_dir / "skr_enkat_2022.csv").read_bytes().decode("cp1252").encode("utf-8-sig"))
    return dest


def garbled(survey_dir):
    """The 2022 export saved on a Mac (Mac Roman), opened as Windows-1252 and saved again as UTF-8:
    every å, ä and ö is now a wrong letter (Œ, Š, š) in valid UTF-8."""
    text = (survey_dir / "skr_enkat_2022.csv").read_bytes().decode("cp1252")
    dest = survey_dir / "skr_enkat_2022_omleverans.csv"
    dest.write_bytes(text.encode("mac-roman").decode("cp1252", errors="replace").encode("utf-8"))
    return dest


pytestmark = pytest.mark.flow   # every test here runs the nightly flow


@pytest.fixture(scope="module")
def clean_run(pipeline_run):
    """The survey marts of a clean night on the sample: the session's sample night (conftest)."""
    settings, summary = pipeline_run
    assert summary["published"], summary["stages"]
    return survey_marts(settings.published_warehouse)


@pytest.mark.slow
def test_bad_exports_next_to_the_sample_are_rejected_alerted_and_change_nothing(clean_run, sample_dir, tmp_path):
    """Two bad re-deliveries in one night (one night per contract): each is rejected for its own
    reason and named in the one alert; the good data is published exactly as on a clean night."""
    inp, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(sample_dir, inp)
    bad = {make_bad(inp / "survey"): reason for make_bad, reason in
           ((wrong_year, "2022"), (garbled, "teckenkodning"))}
    with smtp_server() as srv:
        summary = nightly(_settings(inp, out, srv.port))
    assert summary["published"], summary["stages"]
    rejected = json.dumps(summary.get("rejected", []) + summary.get("input_errors", []), ensure_ascii=False,
                          default=str)
    assert survey_marts(out / "warehouse" / "folkhalsa.duckdb") == clean_run
    assert len(clean_run) >= 2 and all(rows for rows in clean_run.values())
    assert len(srv.messages) == 1
    body = srv.messages[0].message.get_body(("plain",)).get_content()
    for path, reason in bad.items():
        assert path.name in rejected
        assert reason in _entries(body, path.name), (path.name, reason, body)


def _entries(body: str, name: str) -> str:
    """The alert's entries for one file: each line naming it and the indented lines below it."""
    lines, out = body.splitlines(), []
    for k, line in enumerate(lines):
        if name in line:
            out.append(line)
            for below in lines[k + 1:]:
                if not below.startswith("   "):
                    break
                out.append(below)
    return "\n".join(out)
