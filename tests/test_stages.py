"""The night's stage decisions, tested directly (no flow run): folkhalsa/stages.py."""
from __future__ import annotations

import json
from types import SimpleNamespace

from folkhalsa.pipeline import input_findings
from folkhalsa.stages import (BUILD_STAGES, LANDING, REUSED_WHEN_UNCHANGED, StageName, feedback_decision,
                              publish_decision, render_decision, stage_fails_night)
from folkhalsa.summary import RunSummary, Stage


def test_stage_names_are_the_strings_the_summary_shows():
    assert StageName.DBT_BUILD == "dbt build" and f"{StageName.GX_CHECKPOINT}" == "gx checkpoint"
    assert json.dumps([StageName.PUBLISH]) == '["publish"]'
    assert {"render": 1}[StageName.RENDER] == 1
    assert all(s.is_landing for s in LANDING) and not StageName.PUBLISH.is_landing
    assert set(BUILD_STAGES) <= set(REUSED_WHEN_UNCHANGED)


def test_publish_only_when_checks_ran_without_a_critical_failure():
    assert publish_decision(SimpleNamespace(critical_failed=False)).run
    for quality in (None, SimpleNamespace(critical_failed=True)):
        d = publish_decision(quality)
        assert not d.run and d.status == "skipped" and "last good warehouse kept" in d.detail


def test_render_only_a_newly_published_warehouse():
    assert render_decision(True).run and render_decision(True).status == "ok"
    assert not render_decision(False).run and "nothing new published" in render_decision(False).detail


def test_feedback_needs_the_returns_landed():
    assert feedback_decision(True).run
    assert "returns not landed" in feedback_decision(False).detail


def test_which_failed_stages_fail_the_night():
    assert stage_fails_night(StageName.DBT_BUILD, "failed") and stage_fails_night("land survey", "failed")
    assert not stage_fails_night(StageName.DBT_BUILD, "ok")
    assert not stage_fails_night(StageName.RENDER, "failed") and not stage_fails_night(StageName.ALERT, "failed")


def test_failed_stages_become_critical_findings():
    summary = RunSummary(run_id="r", started_at="2026-01-01T00:00:00+00:00", sample=True)
    summary.stages = [Stage(StageName.LAND_SURVEY, "failed", detail="boom"), Stage(StageName.DBT_BUILD, "ok"),
                      Stage(StageName.GX_CHECKPOINT, "failed", detail="gx"), Stage(StageName.RENDER, "failed")]
    found = input_findings(summary)
    # A failed render is critical too (issue 28): the published warehouse stands, the reports are old.
    assert [f.dataset for f in found] == ["land survey", "gx checkpoint", "render"]
    assert all(f.severity == "critical" for f in found)
    assert "source not landed" in found[0].message and "not published" in found[1].message
