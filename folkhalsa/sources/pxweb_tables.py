"""How one catalogue row picks its cells from a real Folkhälsodata (PxWeb v1) table.

Real tables have shapes the catalogue must steer (evidence in docs/indicator_sources.md):
- one table holds several indicators as categories of one variable (e.g. *Psykisk hälsa*, *Sociala
  relationer*, *Hälsotillstånd*): the catalogue names `category_variable` and `category_code`;
- survey measures are a variable *Andel och konfidensintervall* with codes 01 Andel, 02 KI nedre gräns,
  03 KI övre gräns, 04 Antal svar: matched by code AND text;
- sex is coded 00/01/02 in survey tables and 1+2/1/2 in register tables, and the order of men and women
  differs: read from each table's valueTexts, never by position;
- extra variables are pinned to one value (`fixed_selections`, e.g. ``Ålder=25-64 åldersstandardiserad``).

A catalogue value is matched against the variable's codes first; where only the published text is
known (evidence gives texts, not codes), against its valueTexts, and the request always uses the code.
"""
from __future__ import annotations

import re
from typing import Sequence

# Codes of the survey measure variable, and a word its text must contain (the code alone could drift).
MEASURE_CODES = {"01": ("value", ("andel",)), "02": ("ci_low", ("nedre",)), "03": ("ci_high", ("övre", "ovre")),
                 "04": ("n", ("antal",))}
_MEASURE_VARIABLE = "konfidensintervall"


class TableMismatch(ValueError):
    """A table lacks what a catalogue row asks for. The message names table, variable and offered values."""

    def __init__(self, message: str, variable: str = ""):
        super().__init__(message)
        self.variable = variable


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", str(s)).strip().rstrip("*").strip().lower()


def offered(values: Sequence[str], texts: Sequence[str], limit: int = 25) -> str:
    pairs = [t if _norm(v) == _norm(t) or t.startswith(f"{v} ") else f"{v} {t}" for v, t in zip(values, texts)]
    more = f" … (+{len(pairs) - limit})" if len(pairs) > limit else ""
    return ", ".join(f"'{p}'" for p in pairs[:limit]) + more


def mismatch(table: str, variable: str, what_sv: str, what_en: str, values: Sequence[str],
             texts: Sequence[str]) -> TableMismatch:
    shown = offered(values, texts)
    return TableMismatch(f"tabellen {table}, variabeln '{variable}': {what_sv}; tabellen erbjuder {shown} / "
                         f"table {table}, variable '{variable}': {what_en}; the table offers {shown}", variable)


def parse_fixed_selections(text: str | None) -> dict[str, str]:
    """'Ålder=25-64 åldersstandardiserad;Åldersstandardisering=1' -> {variable: value}."""
    out: dict[str, str] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"fixed_selections '{part}' är inte VARIABEL=VÄRDE / is not VARIABLE=VALUE")
        out[name.strip()] = value.strip()
    return out


def is_variable(var_code: str, var_text: str, name: str | None) -> bool:
    return bool(name) and _norm(name) in (_norm(var_code), _norm(var_text))


def resolve(table: str, variable: str, wanted: str, values: Sequence[str], texts: Sequence[str],
            what_sv: str = "värdet", what_en: str = "the value") -> str:
    """The code for a catalogue value: an exact code, else exactly one matching valueText."""
    if wanted in values:
        return wanted
    hits = [v for v, t in zip(values, texts) if _norm(t) == _norm(wanted)]
    if len(hits) == 1:
        return hits[0]
    raise mismatch(table, variable, f"{what_sv} '{wanted}' finns inte", f"{what_en} '{wanted}' is not there",
                   values, texts)


def is_measure_variable(var_code: str, var_text: str) -> bool:
    return _MEASURE_VARIABLE in _norm(var_code) or _MEASURE_VARIABLE in _norm(var_text)


def measure_kinds(table: str, variable: str, values: Sequence[str], texts: Sequence[str]) -> dict[str, str]:
    """{code: value|ci_low|ci_high|n} for the measure variable; the code's text must agree with the code."""
    kinds = {}
    for v, t in zip(values, texts):
        if v not in MEASURE_CODES:
            continue
        kind, words = MEASURE_CODES[v]
        if not any(w in _norm(t) for w in words):
            raise mismatch(table, variable, f"koden {v} betyder '{t}', inte {kind}",
                           f"code {v} means '{t}', not {kind}", values, texts)
        kinds[v] = kind
    if "value" not in kinds.values():
        raise mismatch(table, variable, "måttet 01 Andel saknas", "the measure 01 Andel is missing", values, texts)
    return kinds
