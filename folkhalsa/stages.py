"""The night's stages: their names (one enum, used by the flow, the pipeline rules, the summary
and the tests) and the decisions between them, as plain functions with typed results.

folkhalsa/night.py runs the stages with these decisions; flows/nightly.py only orders them and
runs their Prefect tasks. To add a stage: a StageName member here (in run order), its decision
function here if it has one, its method in folkhalsa/night.py, and its task and one call in
flows/nightly.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StageName(StrEnum):
    """Stage names as the run summary, the progress lines and the alert show them."""
    CHECK_INPUTS = "check inputs"
    LAND_RETURNS = "land returns"
    LAND_SURVEY = "land survey"
    LAND_INDICATORS = "land indicators"
    LAND_POPULATION = "land population"
    FEEDBACK = "feedback"
    DBT_BUILD = "dbt build"
    GX_CHECKPOINT = "gx checkpoint"
    DISCLOSURE_AUDIT = "disclosure audit"
    PUBLISH = "publish"
    RENDER = "render"
    STATUS_PAGE = "status page"
    ALERT = "alert"

    @property
    def is_landing(self) -> bool:
        return self in LANDING


# The sources land concurrently, in this order in the summary.
LANDING = (StageName.LAND_RETURNS, StageName.LAND_SURVEY, StageName.LAND_INDICATORS, StageName.LAND_POPULATION)
# Stages a run skips when nothing new landed and the code is unchanged (the last build is reused).
REUSED_WHEN_UNCHANGED = (StageName.DBT_BUILD, StageName.GX_CHECKPOINT, StageName.DISCLOSURE_AUDIT,
                         StageName.PUBLISH, StageName.RENDER)
# A failure of one of these means nothing new was published: a critical finding in the alert.
BUILD_STAGES = (StageName.DBT_BUILD, StageName.GX_CHECKPOINT)

NO_NEW_INPUT = "inga nya indata / no new input"
NO_NEW_INPUT_OR_CODE = "inga nya indata, ingen ändrad kod / no new input, no changed code"


@dataclass(frozen=True)
class Decision:
    """What a stage does: run it, or skip it (status "skipped") with the reason shown in the summary."""
    run: bool
    detail: str = ""

    @property
    def status(self) -> str:
        return "ok" if self.run else "skipped"


def publish_decision(quality) -> Decision:
    """Publish the candidate unless the checks could not run or a critical check failed.
    `quality`: the checkpoint's QualityResult, or None when the checks did not run."""
    if quality is None or quality.critical_failed:
        return Decision(False, "kritiska fel: senaste godkända lager behålls / "
                               "critical failures: last good warehouse kept")
    return Decision(True)


def render_decision(published: bool) -> Decision:
    """Render only a newly published warehouse."""
    if not published:
        return Decision(False, "inget nytt lager publicerat / nothing new published")
    return Decision(True)


def feedback_decision(returns_landed: bool) -> Decision:
    if not returns_landed:
        return Decision(False, "länsrapporterna landades inte / returns not landed")
    return Decision(True)


def stage_fails_night(name: str, status: str) -> bool:
    """A failed build, check or landing stage: nothing new published, or a source not landed."""
    return status == "failed" and (name in BUILD_STAGES or name.startswith("land "))
