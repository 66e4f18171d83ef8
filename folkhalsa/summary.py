"""The run summary: stages, durations, rows, checks, alerts and files written."""
from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from folkhalsa.issues import Issue
from folkhalsa.landing import Rejection
from folkhalsa.schemas.lansrapport import SOURCE as RETURNS


@dataclass
class Stage:
    name: str
    status: str = "pending"   # ok | failed | skipped
    seconds: float = 0.0       # wall time of the stage, Prefect task machinery included
    own_seconds: float = 0.0   # time inside the stage's own code
    detail: str = ""


@dataclass
class RunSummary:
    run_id: str
    started_at: str
    sample: bool = False
    stages: list[Stage] = field(default_factory=list)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)       # source -> table -> rows
    sources: dict[str, dict] = field(default_factory=dict)              # source -> landed/skipped counts
    rejected: list[Rejection] = field(default_factory=list)  # rejected inputs of every source
    issues: list[Issue] = field(default_factory=list)        # errors and warnings of every input landed now
    failure: str | None = None                               # why the night ended Failed
    checks: dict = field(default_factory=dict)
    published: bool = False
    alert: dict = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)             # folkhalsa.feedback: files, mail (no addresses)
    wall_seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def write_json(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str), "utf-8")
        return path


class Progress:
    """Stage-by-stage progress: rich on a terminal, plain lines in CI or when piped."""

    def __init__(self, summary: RunSummary, stream=None):
        self.summary = summary
        self.stream = stream or sys.stdout
        self.rich = self.stream.isatty()
        if self.rich:
            from rich.console import Console
            self.console = Console(file=self.stream)

    def line(self, text: str, style: str = "") -> None:
        if self.rich:
            self.console.print(text, style=style or None, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def stage(self, name: str):
        stage = Stage(name)
        self.summary.stages.append(stage)
        self.line(f"▶ {name} …" if self.rich else f"[{name}] start")
        t0 = time.perf_counter()
        try:
            yield stage
            if stage.status == "pending":
                stage.status = "ok"
        except Exception as e:
            stage.status, stage.detail = "failed", str(e)
            raise
        finally:
            stage.seconds = round(time.perf_counter() - t0, 3)
            mark = {"ok": "✓", "skipped": "–", "failed": "✗"}.get(stage.status, "?")
            style = {"ok": "green", "skipped": "yellow", "failed": "red"}.get(stage.status, "")
            detail = f" – {stage.detail}" if stage.detail else ""
            self.line(f"{mark} {name} ({stage.seconds:.1f} s){detail}" if self.rich
                      else f"[{name}] {stage.status} {stage.seconds:.1f}s{detail}", style)


def render_table(summary: RunSummary) -> str:
    """A plain-text summary table, the same on a terminal and in a log."""
    out = [f"Körning / run {summary.run_id}  ({summary.wall_seconds:.1f} s)"]
    if summary.sample:
        out.append("Exempeldata – inte officiell statistik")
    out.append("")
    out.append(f"{'Steg / stage':<28}{'status':<10}{'sek':>8}")
    for s in summary.stages:
        out.append(f"{s.name:<28}{s.status:<10}{s.seconds:>8.1f}")
    out.append("")
    out.append(f"{'Källa / source':<28}{'tabell / table':<26}{'rader / rows':>12}")
    for source, tables in summary.rows.items():
        for table, n in tables.items():
            out.append(f"{source:<28}{table:<26}{n:>12}")
    for source, info in summary.sources.items():
        relanded = (f", omlandade/re-landed {info['relanded']} (ny tolkningskod / parser changed)"
                    if info.get("relanded") else "")
        out.append(f"{source:<28}landade/landed {info.get('landed', 0)}, oförändrade/unchanged "
                   f"{info.get('skipped', 0)}{relanded}")
    out.append("")
    c = summary.checks
    if c:
        out.append(f"Kontroller / checks: {c.get('passed', 0)} godkända/passed, {c.get('failed', 0)} "
                   f"underkända/failed ({c.get('critical', 0)} kritiska/critical)")
    returns = [r for r in summary.rejected if r.source == RETURNS]
    other = [r for r in summary.rejected if r.source != RETURNS]
    out.append(f"Avvisade länsrapporter / rejected returns: {len(returns)}")
    for r in returns:
        out.append(f"  - {r.file}: {len(r.errors)} fel/errors")
    if other:
        out.append(f"Andra avvisade indata / other rejected inputs: {len(other)}")
        for r in other:
            out.append(f"  - {r.source}: {r.file}: {len(r.errors)} fel/errors")
    if summary.issues:
        # Per input file, then per rule: which export or return needs a look, and for what.
        by_file: dict[tuple, dict[tuple, int]] = {}
        for i in summary.issues:
            rules = by_file.setdefault((i.source, i.file), {})
            rules[(i.rule, i.severity)] = rules.get((i.rule, i.severity), 0) + 1
        out.append(f"Problem i indata / input issues: {len(summary.issues)}")
        for (source, file), rules in sorted(by_file.items()):
            counts = ", ".join(f"[{rule}] {sev} {n}" for (rule, sev), n in sorted(rules.items()))
            out.append(f"  - {source}: {file}: {counts}")
    if summary.feedback.get("lines"):
        out.append(f"Återkoppling till länen / feedback workbooks: {len(summary.feedback['lines'])}")
        out += [f"  - {line}" for line in summary.feedback["lines"]]
    if summary.feedback.get("mail"):
        m = summary.feedback["mail"]
        out.append(f"Återkoppling per e-post / feedback e-mail: skickad/sent {', '.join(m['sent']) or '–'}; "
                   f"i kön/queued {', '.join(m['queued']) or '–'}; utan adress/no address {', '.join(m['no_address']) or '–'}")
    out.append(f"Publicerat lager / published warehouse: {'ja/yes' if summary.published else 'nej/no'}")
    if summary.alert:
        out.append(f"Larm / alert: {summary.alert.get('status', '')}")
    if summary.failure:
        out.append(f"KÖRNINGEN MISSLYCKADES / THE RUN FAILED: {summary.failure}")
    out.append("")
    out.append("Skrivna filer / files written:")
    for label, path in summary.files.items():
        out.append(f"  {label:<24}{path}")
    return "\n".join(out)
