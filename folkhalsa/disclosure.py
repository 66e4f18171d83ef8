"""Attack the published survey tables: how tightly can each suppressed cell be bounded?

An intruder who has everything the warehouse publishes – the answer counts of the groups shown, the
national row, the group sizes shown (`n_respondents`), the suppression reason and the response counts
of `mart_survey_response_rate` – can set up linear constraints on the hidden counts:

* the counties of a question add up to the national row, option by option and in group size;
* a hidden count lies between 0 and its group's size;
* single choice: a group's option counts add up to its size; multiple choice: to at least its size;
* a hidden group size is at least 1 (the row exists), at most the county's number of respondents,
  below the minimum group size when the reason is 'primary' and at least the minimum when 'secondary'.

For every suppressed cell the smallest and largest feasible value are found with linear programming
(scipy's HiGHS), rounded inwards to whole respondents (counts are integers, so this is still an outer
bound of what an intruder can know). The protection rule (documented in _survey__models.yml): the
interval must be at least `min_width` respondents wide, or as wide as the group itself when the group
is smaller than that (a group of one can at best hide whether its one member chose the option), or as
wide as the shown national row allows (when fewer than `min_width` in the whole country chose, or did
not choose, an option, that is published as a national figure).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from folkhalsa.settings import rule_default

SUMMARY_COLUMNS = ["survey_year", "respondent_type", "question_code", "question_type", "county_code",
                   "answer_code", "n_respondents", "n_answer", "is_suppressed", "suppression_reason"]


@dataclass(frozen=True)
class Rule:
    # Homes: Settings.survey_min_respondents and Settings.survey_min_interval_width.
    min_respondents: int = rule_default("survey_min_respondents")
    min_width: int = rule_default("survey_min_interval_width")


def read_published(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What an intruder sees: the survey summary and the response counts (a duckdb connection)."""
    summary = con.execute(f"select {', '.join(SUMMARY_COLUMNS)} from marts.mart_survey_summary").df()
    responded = con.execute(
        "select survey_year, respondent_type, county_code, n_responded from marts.mart_survey_response_rate").df()
    return summary, responded


def audit(summary: pd.DataFrame, responded: pd.DataFrame, true_sizes: pd.DataFrame | None = None,
          rule: Rule = Rule()) -> pd.DataFrame:
    """One row per suppressed cell: lower, upper, width, required width and `exposed`.

    `true_sizes` (survey_year, respondent_type, question_code, county_code, n_true) gives the real
    group sizes for the required width when the published rows hide them; without it the published
    n_respondents is used (today's marts publish it for every row)."""
    from scipy.optimize import linprog

    resp = {(int(r.survey_year), r.respondent_type, r.county_code): int(r.n_responded)
            for r in responded.itertuples()}
    truth = {} if true_sizes is None else {
        (int(r.survey_year), r.respondent_type, r.question_code, r.county_code): int(r.n_true)
        for r in true_sizes.itertuples()}
    out = []
    for key, block in summary.groupby(["survey_year", "respondent_type", "question_code"], sort=True):
        if not block["is_suppressed"].any():
            continue
        out.extend(_audit_block(key, block, resp, truth, rule, linprog))
    cols = ["survey_year", "respondent_type", "question_code", "county_code", "answer_code",
            "lower", "upper", "width", "required", "exposed"]
    return pd.DataFrame(out, columns=cols)


def _audit_block(key, block: pd.DataFrame, resp: dict, truth: dict, rule: Rule, linprog) -> list[dict]:
    year, rtype, question = int(key[0]), key[1], key[2]
    single = (block["question_type"] == "single").all()
    groups = sorted(block["county_code"].unique())
    options = sorted(block["answer_code"].unique())
    idx: dict[tuple, int] = {}  # variable index of each hidden count / size
    bounds: list[tuple[float, float | None]] = []

    def var(name: tuple, lo: float, hi: float | None) -> int:
        idx[name] = len(bounds)
        bounds.append((lo, hi))
        return idx[name]

    size: dict[str, float | int] = {}  # group -> known size or variable index (as ("N", g))
    for g, rows in block.groupby("county_code"):
        n = rows["n_respondents"].iloc[0]
        reason = rows["suppression_reason"].iloc[0]
        if pd.notna(n):
            size[g] = int(n)
            continue
        hi = resp.get((year, rtype, g))
        lo = 1
        if reason == "primary":
            hi = rule.min_respondents - 1 if hi is None else min(hi, rule.min_respondents - 1)
        elif reason == "secondary":
            lo = rule.min_respondents
        var(("N", g), lo, hi)
    cell: dict[tuple, int] = {}
    for r in block.itertuples():
        if pd.isna(r.n_answer):
            cell[(r.county_code, r.answer_code)] = var(("x", r.county_code, r.answer_code), 0, None)
    n_vars = len(bounds)
    a_eq, b_eq, a_ub, b_ub = [], [], [], []

    def term(row: np.ndarray, g: str, a=None, coef: float = 1.0) -> float:
        """Add coef × (cell or size) to the row; return the constant part."""
        name = ("N", g) if a is None else ("x", g, a)
        if name in idx:
            row[idx[name]] += coef
            return 0.0
        if a is None:
            return coef * size[g]
        v = block.loc[(block.county_code == g) & (block.answer_code == a), "n_answer"]
        return coef * float(v.iloc[0]) if len(v) else 0.0

    counties = [g for g in groups if g != "00"]
    if "00" in groups:
        for a in [*options, None]:  # counties add up to the national row (None: the group sizes)
            row = np.zeros(n_vars)
            const = term(row, "00", a, -1.0) + sum(term(row, g, a) for g in counties)
            a_eq.append(row)
            b_eq.append(-const)
    for g in groups:
        total = np.zeros(n_vars)
        const_total = 0.0
        for a in options:
            const_total += term(total, g, a)
            if ("x", g, a) in idx:  # cell <= group size
                row = np.zeros(n_vars)
                const = term(row, g, a) + term(row, g, None, -1.0)
                a_ub.append(row)
                b_ub.append(-const)
        const_total += term(total, g, None, -1.0)
        if single:
            a_eq.append(total)
            b_eq.append(-const_total)
        else:  # every respondent chose at least one option: sum of cells >= size
            a_ub.append(-total)
            b_ub.append(const_total)
    kwargs = dict(A_ub=np.array(a_ub) if a_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                  A_eq=np.array(a_eq) if a_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                  bounds=bounds, method="highs")
    national = block[(block.county_code == "00") & block.n_answer.notna()].set_index("answer_code")
    found = []
    for (g, a), i in cell.items():
        c = np.zeros(n_vars)
        c[i] = 1.0
        lo = linprog(c, **kwargs)
        hi = linprog(-c, **kwargs)
        if lo.status != 0 or hi.status not in (0, 3):
            raise RuntimeError(f"LP for {year} {rtype} {question} {g}/{a}: {lo.message} / {hi.message}")
        lower = math.ceil(lo.fun - 1e-6)
        upper = math.inf if hi.status == 3 else math.floor(-hi.fun + 1e-6)
        n_true = truth.get((year, rtype, question, g))
        if n_true is None:
            n_pub = block.loc[block.county_code == g, "n_respondents"].iloc[0]
            n_true = int(n_pub) if pd.notna(n_pub) else rule.min_width
        required = min(rule.min_width, n_true)
        if g != "00" and a in national.index:
            # What the shown national row itself says (e.g. nobody in the country chose a) is published
            # on purpose; a county cell need not be more uncertain than that.
            x, n = national.loc[a, "n_answer"], national.loc[a, "n_respondents"]
            required = int(min(required, x, n - x))
        found.append({"survey_year": year, "respondent_type": rtype, "question_code": question,
                      "county_code": g, "answer_code": int(a), "lower": lower, "upper": upper,
                      "width": upper - lower, "required": required, "exposed": upper - lower < required})
    return found
