"""One issue model for every source: rules, issues and the one input exception.

Each source declares a `Catalogue` of `Rule`s (id, one severity, Swedish and English text).
Every problem found in an input is an `Issue` made from that catalogue; sources, `LandResult`,
the run summary and the alert pass `Issue` objects, never strings. docs/rules.md is generated
from all catalogues (`python -m folkhalsa.rules_doc`), and a test keeps it up to date.

Severities:
- error: the file (or the row, where the source says so) is not used; the file is quarantined
  when an error rejects it.
- warning: used, but somebody should look at it.
- normalised: read after a harmless fix (detected encoding, restored leading zero); for the record.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Iterable

import polars as pl

SEVERITIES = ("error", "warning", "normalised")

# The landed `issues` table: the same columns for every source (plus the provenance columns).
ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8, "file": pl.Utf8, "sha256": pl.Utf8, "rule": pl.Utf8, "severity": pl.Utf8,
    "sheet": pl.Utf8, "row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8,
    "message_sv": pl.Utf8, "message_en": pl.Utf8,
}


@dataclass(frozen=True)
class Rule:
    """One check. `sv`/`en` may hold {placeholders}, filled from Catalogue.issue(..., **params)."""
    id: str
    severity: str
    sv: str
    en: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: unknown severity {self.severity!r}")


class Catalogue:
    """The rules of one source. Rule ids are unique within the source."""

    def __init__(self, source: str, rules: Iterable[Rule], doc: str = ""):
        self.source = source
        self.doc = doc
        self.rules: dict[str, Rule] = {}
        for r in rules:
            if r.id in self.rules:
                raise ValueError(f"{source}: rule {r.id} declared twice")
            self.rules[r.id] = r
        CATALOGUES[source] = self

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self.rules

    def severity(self, rule_id: str) -> str:
        return self.rules[rule_id].severity

    def issue(self, rule_id: str, *, file: str, sha256: str | None = None, sheet: str | None = None,
              row: int | None = None, column: str | None = None, value: str | None = None,
              detail: str = "", detail_en: str = "", **params) -> Issue:
        """An Issue of this rule. `params` fill the rule's {placeholders}; `detail` (Swedish, or
        bilingual) and `detail_en` are appended in brackets."""
        r = self.rules[rule_id]
        sv, en = r.sv.format(**params), r.en.format(**params)
        if detail:
            sv += f" ({detail})"
        if detail_en:
            en += f" ({detail_en})"
        return Issue(source=self.source, file=file, sha256=sha256, rule=r.id, severity=r.severity,
                     sheet=sheet, row=row, column=column, value=value, message_sv=sv, message_en=en)


# Every catalogue declared so far, by source (filled when a source module is imported).
CATALOGUES: dict[str, Catalogue] = {}


@dataclass
class Issue:
    """One problem in one input, located as precisely as the source allows."""
    source: str
    file: str
    rule: str
    severity: str
    message_sv: str
    message_en: str
    sha256: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"flik/sheet {self.sheet}")
        if self.row:
            parts.append(f"rad/row {self.row}")
        if self.column:
            parts.append(f"kolumn/column {self.column}")
        return ", ".join(parts)

    def message(self, *, with_value: bool = True) -> str:
        """One line for logs, error reports and e-mails: level, rule, location, value, both languages."""
        kind = {"error": "FEL", "warning": "VARNING", "normalised": "NORMALISERAT"}[self.severity]
        value = f" värde/value {self.value!r}:" if with_value and self.value is not None else ""
        return f"{kind} [{self.rule}] {self.location()}:{value} {self.message_sv} / {self.message_en}"

    def as_row(self) -> dict:
        return {k: getattr(self, k) for k in ISSUE_SCHEMA}

    @classmethod
    def from_row(cls, d: dict) -> Issue:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def with_file(self, file: str, sha256: str | None) -> Issue:
        return Issue(**{**asdict(self), "file": file, "sha256": sha256})


def issues_frame(issues: Iterable[Issue]) -> pl.DataFrame:
    rows = [i.as_row() for i in issues]
    return pl.DataFrame(rows, schema=ISSUE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ISSUE_SCHEMA)


def read_issues(df: pl.DataFrame) -> list[Issue]:
    return [Issue.from_row(r) for r in df.select(list(ISSUE_SCHEMA)).iter_rows(named=True)]


class InputError(Exception):
    """An input cannot be used at all. Carries the issues (at least one, severity error) that say why.

    Raise it from a parser; land_file() quarantines the file and lands the issues.
    """

    def __init__(self, issues: Issue | list[Issue]):
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        super().__init__("; ".join(f"{i.message_sv} / {i.message_en}" for i in self.issues))
