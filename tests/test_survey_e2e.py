"""End to end: bad survey exports next to the good sample. The night publishes the good data
unchanged (the mart_survey_* tables equal a clean run's), rejects each bad file and sends one alert
that names it. The night is the session's "bad inputs" night (tests/bad_inputs.py), which also
carries the returns' problems the feedback tests read; the survey marts do not depend on returns."""
from __future__ import annotations

import json

import duckdb
import pytest


def survey_marts(warehouse) -> dict[str, list[tuple]]:
    """Every mart_survey_* table, all rows sorted, whatever schema it lives in."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_name like 'mart_survey_%' order by 1, 2").fetchall()
        return {f"{s}.{t}": sorted(con.execute(f'select * from "{s}"."{t}"').fetchall(), key=repr)
                for s, t in tables}


pytestmark = pytest.mark.flow   # every test here runs the nightly flow


@pytest.fixture(scope="module")
def clean_run(pipeline_run):
    """The survey marts of a clean night on the sample: the session's sample night (conftest)."""
    settings, summary = pipeline_run
    assert summary["published"], summary["stages"]
    return survey_marts(settings.published_warehouse)


@pytest.mark.slow
def test_bad_exports_next_to_the_sample_are_rejected_alerted_and_change_nothing(clean_run, bad_inputs_run):
    """Two bad re-deliveries in one night (one night per contract): each is rejected for its own
    reason and named in the one alert; the good data is published exactly as on a clean night."""
    summary, alerts, bad = bad_inputs_run["summary"], bad_inputs_run["alerts"], bad_inputs_run["bad_survey"]
    assert summary["published"], summary["stages"]
    rejected = json.dumps(summary.get("rejected", []) + summary.get("input_errors", []), ensure_ascii=False,
                          default=str)
    assert survey_marts(bad_inputs_run["settings"].published_warehouse) == clean_run
    assert len(clean_run) >= 2 and all(rows for rows in clean_run.values())
    assert len(alerts) == 1
    for name, reason in bad.items():
        assert name in rejected
        assert reason in _entries(alerts[0], name), (name, reason, alerts[0])


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
