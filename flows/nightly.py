"""The nightly flow: land (three sources at once), dbt build, GX checkpoint, publish, render, alert, summary.

Each stage is a Prefect task that calls plain functions from the `folkhalsa` package (business rules
in folkhalsa.pipeline); there is no parsing, validation or alert logic here. Run it with
`folkhalsa run` (embedded Prefect, no server). A failed night ends in a Failed state.
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
from folkhalsa.settings import Settings
from folkhalsa.stages import (LANDING, NO_NEW_INPUT, NO_NEW_INPUT_OR_CODE, REUSED_WHEN_UNCHANGED, StageName,
                              feedback_decision, publish_decision, render_decision)
from folkhalsa.summary import Progress, RunSummary, render_table

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
    progress = Progress(summary, progress_stream)
    with progress.stage(StageName.CHECK_INPUTS) as stage:
        stage.detail = NO_NEW_INPUT_OR_CODE
    _reuse_last_build(settings, summary, progress, last)
    _finish(settings, summary, progress, t0)
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
    OWN_SECONDS.clear()
    started = datetime.now(timezone.utc).replace(microsecond=0)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    dataset = read_dataset_info(settings.input_dir)
    summary = RunSummary(run_id=run_id, started_at=started.isoformat(), sample=dataset["synthetic"])
    progress = Progress(summary, progress_stream)
    t0 = time.perf_counter()
    if summary.sample:
        progress.line(f"{SAMPLE_NOTICE} ({settings.input_dir})")
    secure_output(settings)   # also tightens trees written before the modes were set by the code
    _record(settings, run_id, started_at=summary.started_at)

    returns = _ingest(settings, summary, progress)
    record_dataset_info(settings.landing_dir, dataset)
    _feedback(settings, summary, progress, returns, run_id)
    dataset["data_version"] = data_version(settings.landing_dir)
    fp = fingerprint(settings, dataset["data_version"], parser_versions(pipeline.landing_sources()))
    last = unchanged_since_last_build(settings, fp)
    if last:
        # Nothing new landed and the code is unchanged: the published warehouse is already this build.
        findings, data_docs = _reuse_last_build(settings, summary, progress, last)
    else:
        quality = _build_and_check(settings, summary, progress, run_id, dataset)
        findings = list(quality.findings) if quality else []
        data_docs = quality.data_docs if quality else None
        if summary.published:
            record_build(settings, fp, quality.to_dict(), [asdict(f) for f in findings])
        _render(settings, summary, progress)
    _status_page(settings, summary, progress)
    _alert(settings, summary, progress, run_id, started, findings, data_docs)
    summary.failure = pipeline.night_failure(summary)
    secure_output(settings)
    runrecord.update(settings.state_dir, run_id, status="failed" if summary.failure else "completed",
                     failure=summary.failure, finished_at=runrecord.now_iso(),
                     prefect_api=runrecord.probe_prefect_api())

    for stage in summary.stages:
        stage.own_seconds = round(OWN_SECONDS.get(stage.name, stage.seconds), 3)
    table = _finish(settings, summary, progress, t0)
    _artifact(table, summary)
    return summary.to_dict()


def _record(settings: Settings, run_id: str, **fields) -> None:
    from prefect.runtime import deployment, flow_run

    runrecord.update(settings.state_dir, run_id, flow_run_id=flow_run.id, deployment_id=deployment.id, **fields)


def _finish(settings: Settings, summary: RunSummary, progress: Progress, t0: float) -> str:
    """Write the run summary JSON and print the summary table; returns the table."""
    summary.wall_seconds = round(time.perf_counter() - t0, 3)
    summary.files["run summary (json)"] = str(settings.output_dir / "run_summary.json")
    summary.write_json(settings.output_dir / "run_summary.json")
    table = render_table(summary)
    progress.line("")
    progress.line(table)
    return table


def _reuse_last_build(settings, summary, progress, last) -> tuple[list, Path | None]:
    from folkhalsa.quality import Finding

    for name in REUSED_WHEN_UNCHANGED:
        with progress.stage(name) as stage:
            stage.status, stage.detail = "skipped", NO_NEW_INPUT
    summary.checks = last.get("checks", {})
    summary.published = True
    runrecord.update(settings.state_dir, summary.run_id, unchanged=True)
    summary.files["warehouse"] = str(settings.published_warehouse)
    docs = summary.checks.get("data_docs")
    if docs:
        summary.files["data docs"] = str(docs)
    return [Finding.from_dict(f) for f in last.get("findings", [])], Path(docs) if docs else None


def _ingest(settings: Settings, summary: RunSummary, progress: Progress) -> LandResult | None:
    """The sources land concurrently; one failing source does not stop the others.
    Returns the county returns' LandResult (None when that landing failed), for the feedback."""
    returns = None
    tasks = {StageName.LAND_RETURNS: land_returns_task, StageName.LAND_SURVEY: land_survey_task,
             StageName.LAND_INDICATORS: land_indicators_task, StageName.LAND_POPULATION: land_population_task}
    futures = [(name, tasks[name].submit(settings)) for name in LANDING]
    for name, future in futures:
        with progress.stage(name) as stage:
            future.wait()
            state = future.state
            if state.is_failed():
                stage.status, stage.detail = "failed", _state_message(state)
                continue
            stage.detail = pipeline.record_landing(summary, state.result())
            if name == StageName.LAND_RETURNS:
                returns = state.result()
    for source in pipeline.ensure_every_source(settings):
        get_run_logger().warning("%s: inga indata ännu, tom platshållare landad / no input yet, "
                                 "empty placeholder landed", source)
    summary.files["landing"] = str(settings.landing_dir)
    summary.files["quarantine"] = str(settings.quarantine_dir)
    return returns


def _feedback(settings: Settings, summary: RunSummary, progress: Progress, returns, run_id: str) -> None:
    """Marked-up workbooks for rejected and warned returns (and, opt-in, the e-mails to the counties)."""
    with progress.stage(StageName.FEEDBACK) as stage:
        decision = feedback_decision(returns is not None)
        if not decision.run:
            stage.status, stage.detail = decision.status, decision.detail
            return
        state = feedback_task(settings, returns, run_id, summary.sample, return_state=True)
        if state.is_failed():
            stage.status, stage.detail = "failed", _state_message(state)
            return
        summary.feedback = state.result()
        mail = summary.feedback.get("mail")
        stage.detail = f"{len(summary.feedback['files'])} återkopplingsfiler / feedback workbooks" + (
            f", e-post till {len(mail['sent'])} län, {len(mail['queued'])} i kön" if mail else "")
        if summary.feedback["files"]:
            summary.files["feedback"] = str(settings.feedback_dir)


def _status_page(settings: Settings, summary: RunSummary, progress: Progress) -> None:
    with progress.stage(StageName.STATUS_PAGE) as stage:
        state = status_page_task(settings, summary.sample, return_state=True)
        if state.is_failed():
            stage.status, stage.detail = "failed", _state_message(state)
            return
        page = state.result()
        if page is None:
            stage.status, stage.detail = "skipped", "inget publicerat lager / nothing published"
            return
        summary.files["status page"] = page
        stage.detail = page


def _build_and_check(settings, summary, progress, run_id, dataset):
    """dbt build into a candidate, check it, and publish it unless a check is critical.
    Returns the quality result, or None when the build or the checks could not run."""
    from folkhalsa.disclosure import audit_detail, findings_before_publish
    from folkhalsa.warehouse import clean_stale_candidates, discard, publish

    clean_stale_candidates(settings)
    with progress.stage(StageName.DBT_BUILD) as stage:
        state = dbt_build_task(settings, dataset, return_state=True)
        if state.is_failed():
            stage.status, stage.detail = "failed", _state_message(state)
            return None
        build = state.result()
        summary.marts = build.rows
        stage.detail = f"{len(build.rows)} marts, {build.passed} ok"
    with progress.stage(StageName.GX_CHECKPOINT) as stage:
        state = quality_task(settings, build.warehouse, run_id, return_state=True)
        quality = None if state.is_failed() else state.result()
        if quality is None:
            stage.status, stage.detail = "failed", _state_message(state)
        else:
            summary.checks = quality.to_dict()
            summary.files["data docs"] = str(quality.data_docs)
            stage.detail = f"{quality.passed} godkända, {quality.failed} underkända"
    if quality is not None:  # the disclosure audit of what would be published: a failure is critical
        with progress.stage(StageName.DISCLOSURE_AUDIT) as stage:
            audit, found = findings_before_publish(build.warehouse, settings)
            quality.findings.extend(found)
            summary.checks = quality.to_dict()
            stage.status, stage.detail = ("failed" if found else stage.status), audit_detail(audit, found)
    with progress.stage(StageName.PUBLISH) as stage:
        decision = publish_decision(quality)
        if not decision.run:
            discard(build.warehouse)
            stage.status, stage.detail = decision.status, decision.detail
        else:
            publish(build.warehouse, settings, quality.to_dict())
            summary.published = True
            runrecord.update(settings.state_dir, run_id, published_at=runrecord.now_iso())
            stage.detail = str(settings.published_warehouse)
            summary.files["restricted warehouse"] = str(settings.restricted_warehouse)
    summary.files["warehouse"] = str(settings.published_warehouse)
    return quality


def _render(settings: Settings, summary: RunSummary, progress: Progress) -> None:
    with progress.stage(StageName.RENDER) as stage:
        decision = render_decision(summary.published)
        if not decision.run:
            stage.status, stage.detail = decision.status, decision.detail
            return
        state = render_task(settings, settings.published_warehouse, summary.sample, return_state=True)
        if state.is_failed():
            # The night goes on to the status page and the alert, which names this stage; it ends
            # Failed (pipeline.night_failure). The published warehouse stays published.
            stage.status, stage.detail = "failed", _state_message(state)
            return
        result = state.result()
        stage.detail = result.message
        if result.rendered:
            summary.files["reports"] = str(settings.report_output_dir)
        else:
            stage.status = "skipped"


def _alert(settings, summary, progress, run_id, started, findings, data_docs) -> None:
    # Called on every run: it forgets fixed failures and sends what an earlier run could not.
    findings = list(findings) + pipeline.input_findings(summary) + _crash_findings(settings)
    with progress.stage(StageName.ALERT) as stage:
        state = alert_task(settings, run_id, started, findings, summary.rejected, pipeline.alert_issues(summary),
                           data_docs, summary.sample, summary.feedback.get("alert_lines", []),
                           pipeline.published_now(summary), return_state=True)
        if state.is_failed():
            summary.alert = {"status": _state_message(state)}
        else:
            summary.alert = state.result()
            summary.alert["status"] = pipeline.alert_status(summary.alert)
        stage.detail = summary.alert["status"]
        if not summary.alert.get("attempted"):
            stage.status = "skipped"
    runrecord.update(settings.state_dir, run_id, alert={k: summary.alert.get(k) for k in
                                                         ("attempted", "sent", "queued", "error")})


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
