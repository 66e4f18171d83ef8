"""The night's stages as the library runs them: what each stage does with its task's outcome, and
the run summary they fill.

No Prefect here. flows/nightly.py hands in its tasks as a `Tasks` (run one, or start one and wait
later) and calls the stages in order; a task that failed comes back as a `TaskOutcome` with the
task's own error message, so every stage decides the same way whatever runs the task.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from folkhalsa import pipeline, runrecord
from folkhalsa.filemodes import secure_output
from folkhalsa.landing import LandResult
from folkhalsa.settings import Settings
from folkhalsa.stages import (LANDING, NO_NEW_INPUT, REUSED_WHEN_UNCHANGED, StageName, feedback_decision,
                              publish_decision, render_decision)
from folkhalsa.summary import Progress, RunSummary, render_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskOutcome:
    """A stage task's result: its value, or why it failed (the task's own exception)."""
    ok: bool
    value: Any = None
    error: str = ""


class Tasks(Protocol):
    def run(self, stage: StageName, *args) -> TaskOutcome:
        """Run the stage's task and wait for it."""

    def start(self, stage: StageName, *args) -> Callable[[], TaskOutcome]:
        """Start the stage's task; the returned function waits for its outcome."""


@dataclass
class Night:
    """One night's stages over one run summary. Each method is one stage (or, for landing, four)."""
    settings: Settings
    summary: RunSummary
    progress: Progress
    tasks: Tasks
    returns: LandResult | None = None          # the county returns landed now (for the feedback)
    findings: list = field(default_factory=list)
    data_docs: Path | None = None
    log: Any = log                             # the flow passes Prefect's run logger

    # ------------------------------------------------------------------ landing and feedback

    def ingest(self) -> None:
        """The sources land concurrently; one failing source does not stop the others."""
        started = [(name, self.tasks.start(name, self.settings)) for name in LANDING]
        for name, wait in started:
            with self.progress.stage(name) as stage:
                outcome = wait()
                if not outcome.ok:
                    stage.status, stage.detail = "failed", outcome.error
                    continue
                stage.detail = pipeline.record_landing(self.summary, outcome.value)
                if name == StageName.LAND_RETURNS:
                    self.returns = outcome.value
        for source in pipeline.ensure_every_source(self.settings):
            self.log.warning("%s: inga indata ännu, tom platshållare landad / no input yet, empty placeholder landed",
                        source)
        self.summary.files["landing"] = str(self.settings.landing_dir)
        self.summary.files["quarantine"] = str(self.settings.quarantine_dir)

    def feedback(self, run_id: str) -> None:
        """Marked-up workbooks for rejected and warned returns (and, opt-in, the e-mails to the counties)."""
        with self.progress.stage(StageName.FEEDBACK) as stage:
            decision = feedback_decision(self.returns is not None)
            if not decision.run:
                stage.status, stage.detail = decision.status, decision.detail
                return
            outcome = self.tasks.run(StageName.FEEDBACK, self.settings, self.returns, run_id, self.summary.sample)
            if not outcome.ok:
                stage.status, stage.detail = "failed", outcome.error
                return
            self.summary.feedback = outcome.value
            files, mail = outcome.value["files"], outcome.value.get("mail")
            stage.detail = f"{len(files)} återkopplingsfiler / feedback workbooks" + (
                f", e-post till {len(mail['sent'])} län, {len(mail['queued'])} i kön" if mail else "")
            if files:
                self.summary.files["feedback"] = str(self.settings.feedback_dir)

    # ------------------------------------------------------------------ build, check, publish

    def reuse_last_build(self, last: dict) -> None:
        """Nothing new landed and the code is unchanged: the published warehouse is already this build."""
        from folkhalsa.quality import Finding

        for name in REUSED_WHEN_UNCHANGED:
            with self.progress.stage(name) as stage:
                stage.status, stage.detail = "skipped", NO_NEW_INPUT
        self.summary.checks = last.get("checks", {})
        self.summary.published = True
        runrecord.update(self.settings.state_dir, self.summary.run_id, unchanged=True)
        self.summary.files["warehouse"] = str(self.settings.published_warehouse)
        docs = self.summary.checks.get("data_docs")
        if docs:
            self.summary.files["data docs"] = str(docs)
        self.findings = [Finding.from_dict(f) for f in last.get("findings", [])]
        self.data_docs = Path(docs) if docs else None

    def build_and_check(self, dataset: dict):
        """dbt build into a candidate, check it, audit it, and publish it unless a check is critical.
        Returns the quality result, or None when the build or the checks could not run."""
        from folkhalsa.disclosure import audit_detail, findings_before_publish
        from folkhalsa.warehouse import clean_stale_candidates, discard, publish

        s, summary = self.settings, self.summary
        clean_stale_candidates(s)
        with self.progress.stage(StageName.DBT_BUILD) as stage:
            outcome = self.tasks.run(StageName.DBT_BUILD, s, dataset)
            if not outcome.ok:
                stage.status, stage.detail = "failed", outcome.error
                return None
            build = outcome.value
            summary.marts = build.rows
            stage.detail = f"{len(build.rows)} marts, {build.passed} ok"
        with self.progress.stage(StageName.GX_CHECKPOINT) as stage:
            outcome = self.tasks.run(StageName.GX_CHECKPOINT, s, build.warehouse, summary.run_id)
            quality = outcome.value if outcome.ok else None
            if quality is None:
                stage.status, stage.detail = "failed", outcome.error
            else:
                summary.checks = quality.to_dict()
                summary.files["data docs"] = str(quality.data_docs)
                stage.detail = f"{quality.passed} godkända, {quality.failed} underkända"
        if quality is not None:  # the disclosure audit of what would be published: a failure is critical
            with self.progress.stage(StageName.DISCLOSURE_AUDIT) as stage:
                audit, found = findings_before_publish(build.warehouse, s)
                quality.findings.extend(found)
                summary.checks = quality.to_dict()
                stage.status, stage.detail = ("failed" if found else stage.status), audit_detail(audit, found)
        with self.progress.stage(StageName.PUBLISH) as stage:
            decision = publish_decision(quality)
            if not decision.run:
                discard(build.warehouse)
                stage.status, stage.detail = decision.status, decision.detail
            else:
                publish(build.warehouse, s, quality.to_dict())
                summary.published = True
                runrecord.update(s.state_dir, summary.run_id, published_at=runrecord.now_iso())
                stage.detail = str(s.published_warehouse)
                summary.files["restricted warehouse"] = str(s.restricted_warehouse)
        summary.files["warehouse"] = str(s.published_warehouse)
        self.findings = list(quality.findings) if quality else []
        self.data_docs = quality.data_docs if quality else None
        return quality

    # ------------------------------------------------------------------ after publishing

    def render(self) -> None:
        with self.progress.stage(StageName.RENDER) as stage:
            decision = render_decision(self.summary.published)
            if not decision.run:
                stage.status, stage.detail = decision.status, decision.detail
                return
            outcome = self.tasks.run(StageName.RENDER, self.settings, self.settings.published_warehouse,
                                     self.summary.sample)
            if not outcome.ok:
                # The night goes on to the status page and the alert, which names this stage; it ends
                # Failed (pipeline.night_failure). The published warehouse stays published.
                stage.status, stage.detail = "failed", outcome.error
                return
            stage.detail = outcome.value.message
            if outcome.value.rendered:
                self.summary.files["reports"] = str(self.settings.report_output_dir)
            else:
                stage.status = "skipped"

    def status_page(self) -> None:
        with self.progress.stage(StageName.STATUS_PAGE) as stage:
            outcome = self.tasks.run(StageName.STATUS_PAGE, self.settings, self.summary.sample)
            if not outcome.ok:
                stage.status, stage.detail = "failed", outcome.error
                return
            if outcome.value is None:
                stage.status, stage.detail = "skipped", "inget publicerat lager / nothing published"
                return
            self.summary.files["status page"] = outcome.value
            stage.detail = outcome.value

    def alert(self, started, crash_findings: list) -> None:
        """Called on every run: it forgets fixed failures and sends what an earlier run could not."""
        summary = self.summary
        findings = list(self.findings) + pipeline.input_findings(summary) + list(crash_findings)
        with self.progress.stage(StageName.ALERT) as stage:
            outcome = self.tasks.run(StageName.ALERT, self.settings, summary.run_id, started, findings,
                                     summary.rejected, pipeline.alert_issues(summary), self.data_docs,
                                     summary.sample, summary.feedback.get("alert_lines", []),
                                     pipeline.published_now(summary))
            if not outcome.ok:
                summary.alert = {"status": outcome.error}
            else:
                summary.alert = outcome.value
                summary.alert["status"] = pipeline.alert_status(summary.alert)
            stage.detail = summary.alert["status"]
            if not summary.alert.get("attempted"):
                stage.status = "skipped"
        runrecord.update(self.settings.state_dir, summary.run_id,
                         alert={k: summary.alert.get(k) for k in ("attempted", "sent", "queued", "error")})

    # ------------------------------------------------------------------ the end

    def conclude(self) -> None:
        """Why the night failed (None when it did its job), owner-only modes for everything it wrote,
        and the end in the run record on disk (which check-last-night reads without Prefect)."""
        s = self.summary
        s.failure = pipeline.night_failure(s)
        secure_output(self.settings)
        runrecord.update(self.settings.state_dir, s.run_id, status="failed" if s.failure else "completed",
                         failure=s.failure, finished_at=runrecord.now_iso(),
                         prefect_api=runrecord.probe_prefect_api())

    def finish(self, t0: float) -> str:
        """Write the run summary JSON and print the summary table; returns the table."""
        summary = self.summary
        summary.wall_seconds = round(time.perf_counter() - t0, 3)
        summary.files["run summary (json)"] = str(self.settings.output_dir / "run_summary.json")
        summary.write_json(self.settings.output_dir / "run_summary.json")
        table = render_table(summary)
        self.progress.line("")
        self.progress.line(table)
        return table
