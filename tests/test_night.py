"""The night's stages (folkhalsa.night) tested directly: tasks are plain functions here, no Prefect,
no dbt. What each stage records when its task succeeds or fails is decided in the library."""
from __future__ import annotations

import io
import json
import pytest

from folkhalsa import runrecord
from folkhalsa.night import Night, TaskOutcome
from folkhalsa.settings import get_settings
from folkhalsa.stages import LANDING, StageName
from folkhalsa.summary import Progress, RunSummary


class FakeTasks:
    """Each stage's outcome given in advance; records the calls."""

    def __init__(self, outcomes: dict[StageName, TaskOutcome]):
        self.outcomes, self.calls = outcomes, []

    def run(self, stage, *args):
        self.calls.append(stage)
        return self.outcomes[stage]

    def start(self, stage, *args):
        self.calls.append(stage)
        return lambda: self.outcomes[stage]


@pytest.fixture
def night_for(tmp_path):
    def make(outcomes) -> Night:
        settings = get_settings(input_dir=tmp_path / "in", output_dir=tmp_path / "out", smtp_host="")
        summary = RunSummary(run_id="natt-1", started_at="2026-12-07T02:00:00+00:00")
        return Night(settings, summary, Progress(summary, io.StringIO()), FakeTasks(outcomes))
    return make


def _landed(source: str):
    from folkhalsa.landing import LandResult

    return LandResult(source=source, landed=["a"], rows={"t": 3})


def test_one_failed_landing_is_its_stage_only(night_for):
    outcomes = {name: TaskOutcome(True, _landed(name.removeprefix("land "))) for name in LANDING}
    outcomes[StageName.LAND_SURVEY] = TaskOutcome(False, error="ValueError: trasig export")
    night = night_for(outcomes)
    night.ingest()
    status = {s.name: (s.status, s.detail) for s in night.summary.stages}
    assert status[StageName.LAND_SURVEY] == ("failed", "ValueError: trasig export")
    assert all(status[n][0] == "ok" for n in LANDING if n != StageName.LAND_SURVEY)
    assert night.returns is outcomes[StageName.LAND_RETURNS].value
    assert night.summary.rows["returns"] == {"t": 3}


def test_a_failed_build_stops_before_checks_and_publish(night_for):
    night = night_for({StageName.DBT_BUILD: TaskOutcome(False, error="DbtBuildError: fct_grant")})
    assert night.build_and_check({}) is None
    assert [(s.name, s.status) for s in night.summary.stages] == [(StageName.DBT_BUILD, "failed")]
    assert night.tasks.calls == [StageName.DBT_BUILD]
    assert not night.summary.published and night.findings == []


def test_render_runs_only_after_a_publish_and_a_failed_render_is_named(night_for):
    night = night_for({StageName.RENDER: TaskOutcome(False, error="QuartoNotFound: quarto")})
    night.render()                                    # nothing published: skipped, task not run
    assert night.summary.stages[-1].status == "skipped" and night.tasks.calls == []
    night.summary.published = True
    night.render()
    assert (night.summary.stages[-1].status, night.summary.stages[-1].detail) == ("failed", "QuartoNotFound: quarto")


def test_an_alert_task_that_failed_is_recorded_on_disk(night_for):
    night = night_for({StageName.ALERT: TaskOutcome(False, error="SMTPException: nere")})
    night.alert(started=None, crash_findings=[])
    assert night.summary.alert == {"status": "SMTPException: nere"}
    assert night.summary.stages[-1].status == "skipped"
    [record] = [r for r in runrecord.records(night.settings.state_dir) if r["run_id"] == "natt-1"]
    assert record["alert"] == {"attempted": None, "sent": None, "queued": None, "error": None}


def test_finish_writes_the_summary_json(night_for):
    night = night_for({StageName.STATUS_PAGE: TaskOutcome(True, None)})
    night.status_page()
    assert night.summary.stages[-1].status == "skipped"
    night.finish(t0=0.0)
    written = json.loads((night.settings.output_dir / "run_summary.json").read_text("utf-8"))
    assert written["run_id"] == "natt-1" and written["stages"][-1]["name"] == StageName.STATUS_PAGE


def test_reusing_the_last_build_keeps_its_findings_and_data_docs(night_for, tmp_path):
    finding = {"key": "returns:used_le_granted:fct_grant:12", "check": "used ≤ granted", "dataset": "fct_grant",
               "severity": "warning", "observed": "5000", "expected": "≤ 0"}
    last = {"checks": {"passed": 3, "data_docs": str(tmp_path / "docs" / "index.html")}, "findings": [finding]}
    night = night_for({})
    night.reuse_last_build(last)
    assert night.summary.published and night.data_docs == tmp_path / "docs" / "index.html"
    assert [f.key for f in night.findings] == [finding["key"]]
    assert {s.status for s in night.summary.stages} == {"skipped"}


def test_conclude_fails_a_night_that_published_nothing_and_records_it_on_disk(night_for):
    night = night_for({StageName.DBT_BUILD: TaskOutcome(False, error="DbtBuildError: fct_grant")})
    night.build_and_check({})
    night.conclude()
    assert night.summary.failure and "dbt build" in night.summary.failure
    [record] = [r for r in runrecord.records(night.settings.state_dir) if r["run_id"] == "natt-1"]
    assert record["status"] == "failed" and record["failure"] == night.summary.failure
