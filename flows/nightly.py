"""The nightly flow: land (four sources at once), feedback, dbt build, GX checkpoint, disclosure
audit, publish, render, status page, alert, summary.

`_run` is the order of the stages. What each stage does with its task's outcome is in
folkhalsa.night (Night), the decisions between stages in folkhalsa.stages, the business rules in
folkhalsa.pipeline; here are only the Prefect tasks that call the library (handed to Night as
PrefectTasks) and Prefect's own state. Run it with `folkhalsa run` (embedded Prefect, no server). A
failed night ends in a Failed state.
"""
from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed

from folkhalsa import SAMPLE_NOTICE, pipeline, runrecord
from folkhalsa.filemodes import private_umask, secure_output
from folkhalsa.landing import LandResult, data_version, parser_versions, read_dataset_info, record_dataset_info
from folkhalsa.runstate import fingerprint, nothing_new, record_build, run_lock, unchanged_since_last_build
from folkhalsa.night import Night, TaskOutcome
from folkhalsa.settings import Settings
from folkhalsa.stages import NO_NEW_INPUT_OR_CODE, StageName
from folkhalsa.summary import Progress, RunSummary

# ------------------------------------------------------------------ tasks

# Seconds spent inside each stage's own code, without Prefect's task machinery. The benchmark
# compares the flow's wall time with their sum to measure orchestration overhead.
OWN_SECONDS: dict[str, float] = {}


def own_time(stage: str):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                OWN_SECONDS[stage] = OWN_SECONDS.get(stage, 0.0) + time.perf_counter() - t0
        return wrapper
    return deco



@task(name="land-returns")
@own_time(StageName.LAND_RETURNS)
def land_returns_task(settings: Settings) -> LandResult:
    return _log_land(pipeline.land_returns_from(settings))


@task(name="land-survey")
@own_time(StageName.LAND_SURVEY)
def land_survey_task(settings: Settings) -> LandResult:
    return _log_land(pipeline.land_survey_from(settings))


# No task retries: an API error is retried inside the HTTP client; a bad snapshot fails the same way again.
# No task timeouts on the land tasks: they run in worker threads (.submit()), where Prefect cannot
# interrupt them; the flow's own timeout bounds the night.
@task(name="land-indicators")
@own_time(StageName.LAND_INDICATORS)
def land_indicators_task(settings: Settings) -> LandResult:
    return _log_land(pipeline.land_indicators_from(settings))


@task(name="land-population")
@own_time(StageName.LAND_POPULATION)
def land_population_task(settings: Settings) -> LandResult:
    return _log_land(pipeline.land_population_from(settings))


@task(name="dbt-build", timeout_seconds=3600)
@own_time(StageName.DBT_BUILD)
def dbt_build_task(settings: Settings, dataset: dict):
    from folkhalsa.warehouse import build_candidate

    return build_candidate(settings, dataset)


@task(name="gx-checkpoint", timeout_seconds=1800)
@own_time(StageName.GX_CHECKPOINT)
def quality_task(settings: Settings, warehouse: Path, run_id: str):
    from folkhalsa.quality import run_checks

    return run_checks(warehouse, settings.landing_dir, settings.output_dir / "gx", settings.state_dir, run_id,
                      years=settings.years, max_age_days=pipeline.max_age_limits(settings))


@task(name="render", timeout_seconds=3600)
@own_time(StageName.RENDER)
def render_task(settings: Settings, warehouse: Path, sample: bool):
    from folkhalsa.render import render_reports

    return render_reports(settings.reports_dir, settings.report_output_dir, warehouse, settings.years,
                          settings.render_formats, settings.render, sample, quarto=settings.quarto)


@task(name="alert", timeout_seconds=300)
@own_time(StageName.ALERT)
def alert_task(settings: Settings, run_id: str, started: datetime, findings: list, rejected: list,
               issues: list, data_docs: Path | None, sample: bool, feedback: list | None = None,
               published: bool | None = None) -> dict:
    # No Prefect retries: an undelivered alert goes to the outbox and the next run sends it.
    from folkhalsa.alerts import RejectedReturn, send_run_alert

    return send_run_alert(run_id, started, findings, [RejectedReturn.from_dict(r) for r in rejected],
                          data_docs, settings, notice=SAMPLE_NOTICE if sample else None, issues=issues,
                          feedback=feedback or [], published=published)


@task(name="feedback", timeout_seconds=1800)
@own_time(StageName.FEEDBACK)
def feedback_task(settings: Settings, result: LandResult, run_id: str, sample: bool) -> dict:
    from folkhalsa.feedback.run import run_feedback

    return run_feedback(settings, result, run_id, notice=SAMPLE_NOTICE if sample else None)


@task(name="status-page", timeout_seconds=600)
@own_time(StageName.STATUS_PAGE)
def status_page_task(settings: Settings, sample: bool) -> str | None:
    from folkhalsa.feedback.run import status_page

    return status_page(settings, notice=SAMPLE_NOTICE if sample else None)


def _log_land(result: LandResult) -> LandResult:
    log = get_run_logger()
    log.info("%s: %d batches landed (%d re-landed), %d unchanged, %d rejected, rows %s", result.source,
             len(result.landed), len(result.relanded), len(result.skipped), len(result.rejected), result.rows)
    for r in result.rejected:
        log.warning("%s rejected: %s (%d errors)", result.source, r.file, len(r.errors))
    return result


# ------------------------------------------------------------------ flow


def run_or_skip(settings: Settings, progress_stream=None) -> dict:
    """`folkhalsa run`: the flow, unless nothing could change. Then the temporary Prefect API server
    is not even started, so a no-change rerun costs little more than hashing the inputs."""
    with private_umask():   # everything the night writes is owner-only unless made public (filemodes)
        return _run_or_skip(settings, progress_stream)


def _run_or_skip(settings: Settings, progress_stream=None) -> dict:
    with run_lock(settings):
        last = nothing_new(settings, pipeline.input_files(settings), parser_versions(pipeline.landing_sources()),
                           alerts_waiting=pipeline.alert_waiting(settings))
    if last is None:
        return run_nightly(settings, progress_stream)
    started = datetime.now(timezone.utc).replace(microsecond=0)
    t0 = time.perf_counter()
    summary = RunSummary(run_id=started.strftime("%Y%m%dT%H%M%SZ") + "-skip", started_at=started.isoformat(),
                         sample=read_dataset_info(settings.input_dir)["synthetic"])
    night = Night(settings, summary, Progress(summary, progress_stream), PrefectTasks())
    with night.progress.stage(StageName.CHECK_INPUTS) as stage:
        stage.detail = NO_NEW_INPUT_OR_CODE
    night.reuse_last_build(last)
    night.finish(t0)
    runrecord.update(settings.state_dir, summary.run_id, started_at=summary.started_at, unchanged=True,
                     status="completed", finished_at=runrecord.now_iso())
    return summary.to_dict()


def run_nightly(settings: Settings, progress_stream=None) -> dict:
    """Run the flow and return its summary, also when the night ended Failed."""
    state = nightly(settings, progress_stream, return_state=True)
    path = settings.output_dir / "run_summary.json"
    if state.is_completed() or (state.is_failed() and path.exists() and _summary_is_this_runs(state, path)):
        return json.loads(path.read_text("utf-8"))
    # The flow crashed before it could write its summary.
    return {"stages": [{"name": "flow", "status": "failed", "detail": state.message or ""}],
            "failure": state.message or "flow failed"}


def _summary_is_this_runs(state, path: Path) -> bool:
    return json.loads(path.read_text("utf-8")).get("failure") == (state.message or "")


# A hung run must not hold the deployment's concurrency slot for ever.
@flow(name="folkhalsa-nightly", log_prints=False, timeout_seconds=4 * 3600)
def nightly(settings: Settings | None = None, progress_stream=None):
    """The nightly run. Returns the summary dict; a night that published nothing, or whose build,
    checks or a landing failed, ends in a Failed state (after the alert has been sent)."""
    from prefect.runtime import deployment

    # In production (a deployment run: `folkhalsa serve` or a worker) an unset render mode is `always`.
    settings = pipeline.for_production(settings or Settings(), production=deployment.id is not None)
    with private_umask(), run_lock(settings):
        summary = _run(settings, progress_stream)
    if summary["failure"]:
        return Failed(message=summary["failure"], data=summary)
    return summary


def _run(settings: Settings, progress_stream) -> dict:
    """The night, stage by stage (folkhalsa.night holds what each stage does)."""
    OWN_SECONDS.clear()
    started = datetime.now(timezone.utc).replace(microsecond=0)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    dataset = read_dataset_info(settings.input_dir)
    summary = RunSummary(run_id=run_id, started_at=started.isoformat(), sample=dataset["synthetic"])
    night = Night(settings, summary, Progress(summary, progress_stream), PrefectTasks(), log=get_run_logger())
    t0 = time.perf_counter()
    if summary.sample:
        night.progress.line(f"{SAMPLE_NOTICE} ({settings.input_dir})")
    secure_output(settings)   # also tightens trees written before the modes were set by the code
    _record(settings, run_id, started_at=summary.started_at)

    night.ingest()
    record_dataset_info(settings.landing_dir, dataset)
    night.feedback(run_id)
    dataset["data_version"] = data_version(settings.landing_dir)
    fp = fingerprint(settings, dataset["data_version"], parser_versions(pipeline.landing_sources()))
    last = unchanged_since_last_build(settings, fp)
    if last:
        night.reuse_last_build(last)
    else:
        quality = night.build_and_check(dataset)
        if summary.published:
            record_build(settings, fp, quality.to_dict(), [asdict(f) for f in night.findings])
        night.render()
    night.status_page()
    night.alert(started, _crash_findings(settings))
    night.conclude()

    for stage in summary.stages:
        stage.own_seconds = round(OWN_SECONDS.get(stage.name, stage.seconds), 3)
    _artifact(night.finish(t0), summary)
    return summary.to_dict()


def _record(settings: Settings, run_id: str, **fields) -> None:
    from prefect.runtime import deployment, flow_run

    runrecord.update(settings.state_dir, run_id, flow_run_id=flow_run.id, deployment_id=deployment.id, **fields)


class PrefectTasks:
    """The stages' tasks as folkhalsa.night asks for them: run as Prefect tasks, each failure
    returned as the task's own error message."""
    TASKS = {StageName.LAND_RETURNS: land_returns_task, StageName.LAND_SURVEY: land_survey_task,
             StageName.LAND_INDICATORS: land_indicators_task, StageName.LAND_POPULATION: land_population_task,
             StageName.FEEDBACK: feedback_task, StageName.DBT_BUILD: dbt_build_task,
             StageName.GX_CHECKPOINT: quality_task, StageName.RENDER: render_task,
             StageName.STATUS_PAGE: status_page_task, StageName.ALERT: alert_task}

    def run(self, stage: StageName, *args) -> TaskOutcome:
        return _outcome(self.TASKS[stage](*args, return_state=True))

    def start(self, stage: StageName, *args):
        future = self.TASKS[stage].submit(*args)

        def wait() -> TaskOutcome:
            future.wait()
            return _outcome(future.state)
        return wait


def _outcome(state) -> TaskOutcome:
    if state.is_failed():
        return TaskOutcome(False, error=_state_message(state))
    return TaskOutcome(True, state.result())


def _crash_findings(settings: Settings) -> list:
    # Earlier runs of this deployment that died (host, worker, process) sent no e-mail: report them.
    from prefect.runtime import deployment, flow_run

    from folkhalsa.crashes import new_crash_findings

    return new_crash_findings(settings.state_dir, deployment.id, flow_run.id)


def _state_message(state) -> str:
    try:
        state.result()
    except Exception as e:  # the task's own exception, re-raised by Prefect
        return f"{type(e).__name__}: {e}"
    return state.message or "failed"


def _artifact(table: str, summary: RunSummary) -> None:
    try:
        create_markdown_artifact(key="nightly-run-summary", markdown=f"```\n{table}\n```",
                                 description=f"folkhalsa run {summary.run_id}")
    except Exception:  # an artifact is a convenience; never fail the run for it
        get_run_logger().warning("could not create the run-summary artifact")


if __name__ == "__main__":
    print(json.dumps(nightly(), indent=2, default=str))
