"""The nightly flow: ingest and land, dbt build, GX checkpoint, publish, render, alert, summary.

Each stage is a Prefect task that calls plain functions from the `folkhalsa` package; there is
no parsing or validation logic here. Run it with `folkhalsa run` (embedded Prefect, no server).
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

from folkhalsa import SAMPLE_NOTICE
from folkhalsa.landing import LandResult, data_version, read_dataset_info
from folkhalsa.runstate import fingerprint, nothing_new, record_build, run_lock, unchanged_since_last_build
from folkhalsa.settings import Settings
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



@task(name="land-returns", timeout_seconds=1800)
@own_time("land returns")
def land_returns_task(settings: Settings) -> LandResult:
    from folkhalsa.sources.returns import land_returns

    result = land_returns(settings.input_dir / "returns", settings.landing_dir, settings.archive_dir,
                          settings.quarantine_dir)
    _log_land(result)
    return result


@task(name="land-survey", timeout_seconds=1800)
@own_time("land survey")
def land_survey_task(settings: Settings) -> LandResult:
    from folkhalsa.sources.survey import discover_exports, land_survey, misnamed_exports

    total = LandResult("skr_survey")
    for path, year in discover_exports(settings.input_dir):
        if year not in settings.years:
            continue
        r = land_survey(path, year, settings.codebook_dir, settings.landing_dir, settings.archive_dir)
        _merge(total, r)
    for path in misnamed_exports(settings.input_dir):
        total.rejected.append({"file": path.name, "errors": [
            f"{path.name}: filnamnet anger inget enkätår, döp om till skr_enkat_<år>.csv eller .xlsx / "
            "the file name gives no survey year; rename it skr_enkat_<year>.csv or .xlsx"]})
    _log_land(total)
    return total


@task(name="land-indicators", timeout_seconds=3600, retries=2, retry_delay_seconds=[10, 60])
@own_time("land indicators")
def land_indicators_task(settings: Settings) -> LandResult:
    from folkhalsa.sources.indicators import fetch_snapshots, load_areas, land_indicators, load_catalogue

    catalogue = load_catalogue(settings.dbt_dir)
    snapshots = settings.input_dir / "indicators"
    fetch_errors = []
    if settings.online:
        # Online runs save every response as a snapshot; landing then reads snapshots, as offline.
        snapshots = settings.output_dir / "snapshots" / datetime.now(timezone.utc).strftime("%Y%m%d")
        counties, munis = load_areas(settings.dbt_dir)
        fetched = fetch_snapshots(catalogue, pxweb_base_url=settings.pxweb_base_url,
                                  kolada_base_url=settings.kolada_base_url, out_dir=snapshots, years=None,
                                  timeout=settings.http_timeout_s, counties=counties, municipalities=munis)
        fetch_errors = fetched.errors
    result = land_indicators(snapshots, settings.landing_dir, settings.archive_dir, catalogue)
    result.rejected += [{"file": e["indicator_code"], "errors": [e["error"]]} for e in fetch_errors]
    _log_land(result)
    return result


@task(name="dbt-build", timeout_seconds=3600)
@own_time("dbt build")
def dbt_build_task(settings: Settings, dataset: dict):
    from folkhalsa.warehouse import build_candidate

    return build_candidate(settings, dataset)


@task(name="gx-checkpoint", timeout_seconds=1800)
@own_time("gx checkpoint")
def quality_task(settings: Settings, warehouse: Path, run_id: str):
    from folkhalsa.quality import run_checks

    # Offline indicator snapshots are as old as they are; freshness applies to online fetches.
    max_age = {"returns": settings.max_age_days, "skr_survey": settings.max_age_days,
               "indicators": settings.indicator_max_age_days if settings.online else None}
    return run_checks(warehouse, settings.landing_dir, settings.output_dir / "gx", settings.state_dir, run_id,
                      years=settings.years, max_age_days=max_age)


@task(name="render", timeout_seconds=3600)
@own_time("render")
def render_task(settings: Settings, warehouse: Path, sample: bool):
    from folkhalsa.render import render_reports

    return render_reports(settings.reports_dir, settings.report_output_dir, warehouse, settings.years,
                          settings.render_formats, settings.render, sample)


@task(name="alert", timeout_seconds=300)
@own_time("alert")
def alert_task(settings: Settings, run_id: str, started: datetime, findings: list, rejected: list,
               data_docs: Path | None, sample: bool) -> dict:
    # No Prefect retries: an undelivered alert goes to the outbox and the next run sends it.
    from folkhalsa.alerts import RejectedReturn, send_run_alert

    return send_run_alert(run_id, started, findings, [RejectedReturn.from_dict(r) for r in rejected],
                          data_docs, settings, notice=SAMPLE_NOTICE if sample else None)


def _merge(total: LandResult, part: LandResult) -> None:
    total.landed += part.landed
    total.skipped += part.skipped
    total.rejected += part.rejected
    total.warnings += part.warnings
    for k, v in part.rows.items():
        total.add_rows(k, v)


def _log_land(result: LandResult) -> None:
    log = get_run_logger()
    log.info("%s: %d batches landed, %d unchanged, %d rejected, rows %s", result.source,
             len(result.landed), len(result.skipped), len(result.rejected), result.rows)
    for r in result.rejected:
        log.warning("%s rejected: %s (%d errors)", result.source, r.get("file"), len(r.get("errors", [])))


# ------------------------------------------------------------------ flow


def run_or_skip(settings: Settings, progress_stream=None) -> dict:
    """`folkhalsa run`: the flow, unless nothing could change. Then the temporary Prefect API server
    is not even started, so a no-change rerun costs little more than hashing the inputs."""
    with run_lock(settings):
        last = nothing_new(settings)
    if last is None:
        return nightly(settings, progress_stream)
    started = datetime.now(timezone.utc).replace(microsecond=0)
    t0 = time.perf_counter()
    summary = RunSummary(run_id=started.strftime("%Y%m%dT%H%M%SZ") + "-skip", started_at=started.isoformat(),
                         sample=read_dataset_info(settings.input_dir)["synthetic"])
    progress = Progress(summary, progress_stream)
    with progress.stage("check inputs") as stage:
        stage.detail = "inga nya indata, ingen ändrad kod / no new input, no changed code"
    _reuse_last_build(settings, summary, progress, last)
    _finish(settings, summary, progress, t0)
    return summary.to_dict()


# A hung run must not hold the deployment's concurrency slot for ever.
@flow(name="folkhalsa-nightly", log_prints=False, timeout_seconds=4 * 3600)
def nightly(settings: Settings | None = None, progress_stream=None) -> dict:
    settings = settings or Settings()
    with run_lock(settings):
        return _run(settings, progress_stream)


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

    _ingest(settings, summary, progress)
    dataset["data_version"] = data_version(settings.landing_dir)
    fp = fingerprint(settings, dataset["data_version"])
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
    _alert(settings, summary, progress, run_id, started, findings, data_docs)

    for stage in summary.stages:
        stage.own_seconds = round(OWN_SECONDS.get(stage.name, stage.seconds), 3)
    table = _finish(settings, summary, progress, t0)
    _artifact(table, summary)
    return summary.to_dict()


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
    from folkhalsa.alerts import Finding

    for name in ("dbt build", "gx checkpoint", "publish", "render"):
        with progress.stage(name) as stage:
            stage.status, stage.detail = "skipped", "inga nya indata / no new input"
    summary.checks = last.get("checks", {})
    summary.published = True
    summary.files["warehouse"] = str(settings.published_warehouse)
    docs = summary.checks.get("data_docs")
    if docs:
        summary.files["data docs"] = str(docs)
    return [Finding.from_dict(f) for f in last.get("findings", [])], Path(docs) if docs else None


def _ingest(settings: Settings, summary: RunSummary, progress: Progress) -> None:
    for name, fn in (("land returns", land_returns_task), ("land survey", land_survey_task),
                     ("land indicators", land_indicators_task)):
        with progress.stage(name) as stage:
            # One failing source must not stop the others: record it and go on.
            state = fn(settings, return_state=True)
            if state.is_failed():
                stage.status, stage.detail = "failed", _state_message(state)
                summary.input_errors.append({"source": name, "file": "", "errors": [stage.detail]})
                continue
            result: LandResult = state.result()
            summary.rows[result.source] = result.rows
            summary.sources[result.source] = {"landed": len(result.landed), "skipped": len(result.skipped),
                                              "rejected": len(result.rejected)}
            if result.source == "returns":
                summary.rejected += result.rejected
            else:
                summary.input_errors += [{**r, "source": result.source} for r in result.rejected]
            stage.detail = f"{len(result.landed)} nya, {len(result.skipped)} oförändrade, {len(result.rejected)} avvisade"
    _ensure_every_source(settings)
    summary.files["landing"] = str(settings.landing_dir)
    summary.files["quarantine"] = str(settings.quarantine_dir)


def _ensure_every_source(settings: Settings) -> None:
    from folkhalsa.landing import ensure_source
    from folkhalsa.sources import indicators, returns, survey

    for source, module in (("returns", returns), ("skr_survey", survey), ("indicators", indicators)):
        if ensure_source(settings.landing_dir, source, module.empty_tables()):
            get_run_logger().warning("%s: inga indata ännu, tom platshållare landad / no input yet, "
                                     "empty placeholder landed", source)


def _build_and_check(settings, summary, progress, run_id, dataset):
    """dbt build into a candidate, check it, and publish it unless a check is critical.
    Returns the quality result, or None when the build or the checks could not run."""
    from folkhalsa.warehouse import clean_stale_candidates, discard, publish

    clean_stale_candidates(settings)
    with progress.stage("dbt build") as stage:
        state = dbt_build_task(settings, dataset, return_state=True)
        if state.is_failed():
            stage.status, stage.detail = "failed", _state_message(state)
            return None
        build = state.result()
        summary.marts = build.rows
        stage.detail = f"{len(build.rows)} marts, {build.passed} ok"
    with progress.stage("gx checkpoint") as stage:
        state = quality_task(settings, build.warehouse, run_id, return_state=True)
        quality = None if state.is_failed() else state.result()
        if quality is None:
            stage.status, stage.detail = "failed", _state_message(state)
        else:
            summary.checks = quality.to_dict()
            summary.files["data docs"] = str(quality.data_docs)
            stage.detail = f"{quality.passed} godkända, {quality.failed} underkända"
    with progress.stage("publish") as stage:
        if quality is None or quality.critical_failed:
            discard(build.warehouse)
            stage.status = "skipped"
            stage.detail = "kritiska fel: senaste godkända lager behålls / critical failures: last good warehouse kept"
        else:
            publish(build.warehouse, settings, quality.to_dict())
            summary.published = True
            stage.detail = str(settings.published_warehouse)
    summary.files["warehouse"] = str(settings.published_warehouse)
    return quality


def _render(settings: Settings, summary: RunSummary, progress: Progress) -> None:
    with progress.stage("render") as stage:
        if not summary.published:
            stage.status, stage.detail = "skipped", "inget nytt lager publicerat / nothing new published"
            return
        state = render_task(settings, settings.published_warehouse, summary.sample, return_state=True)
        if state.is_failed():
            stage.status, stage.detail = "failed", _state_message(state)
            if settings.render == "always":
                raise RuntimeError(stage.detail)
            return
        result = state.result()
        stage.detail = result.message
        if result.rendered:
            summary.files["reports"] = str(settings.report_output_dir)
        else:
            stage.status = "skipped"


def _input_findings(summary: RunSummary) -> list:
    """Rejected survey exports, indicator snapshots and failed stages, as alert findings."""
    from folkhalsa.alerts import Finding, finding_key

    out = []
    for e in summary.input_errors:
        out.append(Finding(key=finding_key("landing", "input_rejected", e["source"], e.get("file") or None),
                           check="indata avvisade / input rejected", dataset=e["source"], severity="warning",
                           observed=e.get("file") or e["source"], expected="läsbar indata / readable input",
                           rows_affected=None, message="; ".join(e.get("errors", []))[:2000]))
    for s in summary.stages:
        if s.status == "failed" and s.name in ("dbt build", "gx checkpoint"):
            out.append(Finding(key=finding_key("pipeline", "stage_failed", s.name), check=f"steget {s.name} misslyckades",
                               dataset=s.name, severity="critical", observed=s.detail[:2000], expected="ok",
                               message="Lagret publicerades inte; senaste godkända lager gäller / not published"))
    return out


def _alert(settings, summary, progress, run_id, started, findings, data_docs) -> None:
    # Called on every run: it forgets fixed failures and sends what an earlier run could not.
    findings = list(findings) + _input_findings(summary) + _crash_findings(settings)
    with progress.stage("alert") as stage:
        state = alert_task(settings, run_id, started, findings, summary.rejected, data_docs,
                           summary.sample, return_state=True)
        if state.is_failed():
            summary.alert = {"status": _state_message(state)}
        else:
            summary.alert = state.result()
            summary.alert["status"] = _alert_status(summary.alert)
        stage.detail = summary.alert["status"]
        if not summary.alert.get("attempted"):
            stage.status = "skipped"


def _crash_findings(settings: Settings) -> list:
    # Earlier runs of this deployment that died (host, worker, process) sent no e-mail: report them.
    from prefect.runtime import deployment, flow_run

    from folkhalsa.crashes import new_crash_findings

    return new_crash_findings(settings.state_dir, deployment.id, flow_run.id)


def _alert_status(a: dict) -> str:
    if not a.get("attempted"):
        return "inget att larma om / nothing to report"
    if a.get("sent"):
        return f"skickat till {a.get('recipients')} mottagare / sent: {a.get('subject')}"
    return f"EJ SKICKAT, sparat till nästa körning / NOT SENT, queued for the next run: {a.get('error')}"


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
