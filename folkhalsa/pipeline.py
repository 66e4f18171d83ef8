"""The nightly run's business rules, as plain functions the flow calls (flows/nightly.py stays thin).

No Prefect here: landing each source from the settings, the freshness limits, which input problems
become alert findings, and when a night counts as failed.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from folkhalsa.issues import Issue
from folkhalsa.landing import LandingSource, LandResult, Rejection
from folkhalsa.quality import Finding, finding_key
from folkhalsa.schemas.lansrapport import SOURCE as RETURNS
from folkhalsa.settings import Settings
from folkhalsa.stages import StageName, stage_fails_night
from folkhalsa.summary import RunSummary


def landing_sources() -> list[LandingSource]:
    from folkhalsa.sources import indicators, population, returns, survey

    return [returns.LANDING, survey.LANDING, indicators.LANDING, population.LANDING]


def input_files(settings: Settings) -> list[tuple[str, Path]]:
    """(landing source, path) of every input the next run would consider."""
    from folkhalsa.sources.indicators import discover_snapshots
    from folkhalsa.sources.population import discover_snapshots as population_snapshots
    from folkhalsa.sources.returns import discover_returns
    from folkhalsa.sources.survey import SOURCE as SURVEY, discover_exports

    files = [(RETURNS, p) for p in discover_returns(settings.input_dir / "returns")]
    files += [(SURVEY, p) for p, year in discover_exports(settings.input_dir) if year in settings.years]
    files += [("indicators", p) for p in discover_snapshots(settings.input_dir / "indicators")]
    files += [("population", p) for p in population_snapshots(settings.input_dir / "population")]
    return files


def land_returns_from(settings: Settings) -> LandResult:
    from folkhalsa.sources.returns import land_returns

    return land_returns(settings.input_dir / "returns", settings.landing_dir, settings.archive_dir,
                        settings.quarantine_dir)


def land_population_from(settings: Settings) -> LandResult:
    from folkhalsa.sources.population import land_population

    return land_population(settings.input_dir / "population", settings.landing_dir, settings.archive_dir,
                           settings.quarantine_dir)


def land_survey_from(settings: Settings) -> LandResult:
    from folkhalsa.sources.survey import land_surveys

    return land_surveys(settings.input_dir, settings.years, settings.codebook_dir, settings.landing_dir,
                        settings.archive_dir, settings.quarantine_dir,
                        max_failed_share=settings.survey_max_failed_answer_share)


def land_indicators_from(settings: Settings) -> LandResult:
    """Offline: the bundled snapshots. Online: fetch (retries live in the HTTP client), then land."""
    from folkhalsa.sources.indicators import (
        fetch_issues, fetch_snapshots, land_indicators, load_areas, load_catalogue, unverified_sources,
    )

    catalogue = load_catalogue(settings.dbt_dir)
    snapshots = settings.input_dir / "indicators"
    failed: list[Rejection] = []
    if settings.online:
        # Online runs save every response as a snapshot; landing then reads snapshots, as offline.
        snapshots = settings.output_dir / "snapshots" / datetime.now(timezone.utc).strftime("%Y%m%d")
        counties, munis = load_areas(settings.dbt_dir)
        fetched = fetch_snapshots(catalogue, pxweb_base_url=settings.pxweb_base_url,
                                  kolada_base_url=settings.kolada_base_url, out_dir=snapshots, years=None,
                                  timeout=settings.http_timeout_s, counties=counties, municipalities=munis,
                                  scb_base_url=settings.scb_base_url)
        failed = fetch_issues(fetched)
    result = land_indicators(snapshots, settings.landing_dir, settings.archive_dir, catalogue,
                             settings.quarantine_dir)
    result.rejected += failed
    result.issues += [i for r in failed for i in r.issues]
    result.issues += unverified_sources(catalogue)  # sources without evidence are never used silently
    return result


def ensure_every_source(settings: Settings) -> list[str]:
    """Placeholder batches for sources that never landed; returns their names."""
    from folkhalsa.landing import ensure_source

    return [s.name for s in landing_sources()
            if ensure_source(settings.landing_dir, s.name, s.all_empty_tables())]


def max_age_limits(settings: Settings) -> dict[str, float | None]:
    # Offline indicator snapshots are as old as they are; freshness applies to online fetches.
    return {RETURNS: settings.max_age_days, "skr_survey": settings.max_age_days,
            "indicators": settings.indicator_max_age_days if settings.online else None}


def record_landing(summary: RunSummary, result: LandResult) -> str:
    """Put one source's LandResult into the summary; returns the stage detail line."""
    summary.rows[result.source] = result.rows
    summary.sources[result.source] = {"landed": len(result.landed), "skipped": len(result.skipped),
                                      "relanded": len(result.relanded), "rejected": len(result.rejected)}
    summary.rejected += result.rejected
    summary.issues += [i for i in result.issues if i.severity != "normalised"]
    relanded = f", {len(result.relanded)} omlandade (ny tolkningskod) / re-landed (parser changed)" \
        if result.relanded else ""
    return (f"{len(result.landed) - len(result.relanded)} nya, {len(result.skipped)} oförändrade, "
            f"{len(result.rejected)} avvisade{relanded}")


def for_production(settings: Settings, production: bool) -> Settings:
    """The settings of a production night (a deployment run). A render mode left unset becomes
    `always`: a night that should have rendered and could not (Quarto missing) fails, and says so.
    An explicit FOLKHALSA_RENDER (environment or .env) wins."""
    if production and "render" not in settings.model_fields_set:
        return settings.model_copy(update={"render": "always"})
    return settings


def published_now(summary: RunSummary) -> bool:
    """This night published a new warehouse (not: found nothing new and kept the last one)."""
    return any(s.name == StageName.PUBLISH and s.status == "ok" for s in summary.stages)


def input_findings(summary: RunSummary) -> list[Finding]:
    """Failed stages as critical findings. Input issues go to the alert as Issues (see alert_issues)."""
    out = []
    for s in summary.stages:
        if s.status == "failed" and s.name == StageName.RENDER:
            out.append(Finding(key=finding_key("pipeline", "stage_failed", s.name), check="steget render misslyckades",
                               dataset=s.name, severity="critical", observed=s.detail[:2000], expected="ok",
                               message="Rapporterna renderades inte (steget render misslyckades); lagret "
                               "publicerades ändå, rapporterna är de senast renderade",
                               message_en="The reports were not rendered (the render stage failed); the "
                               "warehouse was published, the reports are the last rendered ones"))
            continue
        if stage_fails_night(s.name, s.status):
            out.append(Finding(key=finding_key("pipeline", "stage_failed", s.name), check=f"steget {s.name} misslyckades",
                               dataset=s.name, severity="critical", observed=s.detail[:2000], expected="ok",
                               message="Lagret publicerades inte; senaste godkända lager gäller / not published"
                               if not s.name.startswith("land ") else "Källan kunde inte landas / source not landed"))
    return out


def alert_issues(summary: RunSummary) -> list[Issue]:
    """Warnings and errors of inputs that landed (rejected files are listed as rejections)."""
    rejected = {(r.source, r.file) for r in summary.rejected}
    return [i for i in summary.issues if (i.source, i.file) not in rejected]


def alert_waiting(settings: Settings) -> bool:
    """An undelivered alert that a run now could send. Without an SMTP host nothing can be sent,
    so a queued alert is no reason to run the whole night again."""
    from folkhalsa.alerts import AlertState

    state = AlertState(settings.state_dir)
    return bool(settings.smtp_host) and bool(state.outbox or state.mail)


def alert_status(a: dict) -> str:
    if not a.get("attempted"):
        return "inget att larma om / nothing to report"
    if a.get("sent"):
        return f"skickat till {a.get('recipients')} mottagare / sent: {a.get('subject')}"
    return f"EJ SKICKAT, sparat till nästa körning / NOT SENT, queued for the next run: {a.get('error')}"


def night_failure(summary: RunSummary) -> str | None:
    """Why this night must end in a Failed state (after the alert), or None when it did its job."""
    failed = [s.name for s in summary.stages if s.status == "failed"]
    if failed:
        return f"steg misslyckades / stages failed: {', '.join(failed)}"
    if not summary.published:
        critical = summary.checks.get("critical", 0) if summary.checks else 0
        return (f"inget publicerat / nothing published ({critical} kritiska kontroller / critical checks)"
                if critical else "inget publicerat / nothing published")
    return None
