"""Disclosure audit: an intruder's linear programme against the published survey tables.

folkhalsa.disclosure bounds every suppressed count using only what the warehouse publishes (and,
as the intruder model allows, with every group size known). The published marts must leave every
hidden cell at least the rule's width (docs/disclosure.md); a suppression weakened back to
primary-only (the rule before issue 18), or one complementary suppression removed, must be caught,
and `folkhalsa audit-disclosure` must say so from the published file alone.
"""
from __future__ import annotations

import shutil
import time

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from folkhalsa import disclosure
from folkhalsa.cli import app
from folkhalsa.disclosure import Rule

RULE = Rule(min_respondents=5, min_width=2)


def _block(rows, national, qtype="single", year=2023, question="Q"):
    """rows: {county: (n_respondents or None, reason, {answer: n_answer or None})}."""
    out = []
    for cc, (n, reason, answers) in {**rows, "00": national}.items():
        for a, x in answers.items():
            out.append({"survey_year": year, "respondent_type": "kommun", "question_code": question,
                        "question_type": qtype, "county_code": cc, "answer_code": a, "n_respondents": n,
                        "n_answer": x, "is_suppressed": x is None, "suppression_reason": reason})
    return pd.DataFrame(out)


def _responded(counts, year=2023):
    return pd.DataFrame([{"survey_year": year, "respondent_type": "kommun", "county_code": cc, "n_responded": n}
                         for cc, n in counts.items()])


@pytest.mark.parametrize("seed", range(5))
def test_each_range_equals_a_fresh_linprog_solve(seed):
    """The audit re-solves one warm-started HiGHS model per system; every range must be what a fresh
    `scipy.optimize.linprog` of the same programme gives, unbounded maxima included."""
    import math

    import numpy as np
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    lp = disclosure._LP()
    n = 13
    for j in range(n):
        lp.var(("x", j), 0.0, None if j in (0, 12) else float(rng.integers(3, 20)))
    for _ in range(6):  # rows that couple a few variables
        cols = rng.choice(np.arange(1, 12), size=3, replace=False)
        lp.ub.append(({int(c): 1.0 for c in cols}, float(rng.integers(5, 30))))
    lp.ub.append(({3: 1.0, 12: -1.0}, 0.0))          # x3 <= x12: x12 has no upper bound
    lp.eq.append(({1: 1.0, 2: 1.0, 0: -1.0}, -1.0))  # x1 + x2 = x0 - 1
    lp.probe(3)
    a_ub = np.zeros((len(lp.ub), n))
    for r, (coefs, _) in enumerate(lp.ub):
        for j, v in coefs.items():
            a_ub[r, j] = v
    a_eq = np.zeros((1, n))
    for j, v in lp.eq[0][0].items():
        a_eq[0, j] = v
    kw = dict(A_ub=a_ub, b_ub=[b for _, b in lp.ub], A_eq=a_eq, b_eq=[lp.eq[0][1]], bounds=lp.bounds,
              method="highs")
    for j in range(n):
        c = np.eye(n)[j]
        lo, hi = linprog(c, **kw), linprog(-c, **kw)
        expected = (lo.fun, math.inf if hi.status == 3 else -hi.fun)
        assert lp.solve_range(j) == pytest.approx(expected), j
    assert lp.solve_range(12)[1] == math.inf


def test_subtracting_from_the_national_row_recovers_two_small_counties():
    """The issue's example: national 163 chose option 1, the shown counties 158; Gotland (1) and
    Blekinge (4) are hidden but their group sizes are shown, so both are pinned exactly."""
    summary = _block({"09": (1, "primary", {1: None, 2: None}),
                      "10": (4, "primary", {1: None, 2: None}),
                      "01": (200, None, {1: 158, 2: 42})},
                     national=(205, None, {1: 163, 2: 42}))
    res = disclosure.audit(summary, _responded({"09": 1, "10": 4, "01": 200}), rule=RULE)
    got = res.set_index(["county_code", "answer_code"])[["lower", "upper", "exposed"]]
    assert got.loc[("09", 1)].tolist() == [1, 1, True]
    assert got.loc[("10", 1)].tolist() == [4, 4, True]
    assert got.loc[("10", 2)].tolist() == [0, 0, True]


def test_hidden_sizes_and_a_wide_enough_hidden_set_protect():
    """Same counties, but 01 hidden as well (secondary) and no group size shown for hidden rows:
    every hidden cell keeps an interval of at least 2 (or the group's own size)."""
    summary = _block({"09": (None, "primary", {1: None, 2: None}),
                      "10": (None, "primary", {1: None, 2: None}),
                      "01": (None, "secondary", {1: None, 2: None}),
                      "03": (50, None, {1: 30, 2: 20})},
                     national=(255, None, {1: 193, 2: 62}))
    true = pd.DataFrame([{"survey_year": 2023, "respondent_type": "kommun", "question_code": "Q",
                          "county_code": cc, "n_true": n} for cc, n in {"09": 1, "10": 4, "01": 200}.items()])
    res = disclosure.audit(summary, _responded({"09": 1, "10": 4, "01": 200, "03": 50}), true, RULE)
    assert len(res) == 6
    assert not res["exposed"].any(), res


def test_multiple_choice_uses_at_least_one_option_per_respondent():
    """Multiple choice: each of the 3 hidden respondents chose at least one option, and the
    residual shows nobody hidden chose option 2 or 3, so all 3 chose option 1."""
    summary = _block({"09": (None, "primary", {1: None, 2: None, 3: None}),
                      "01": (10, None, {1: 4, 2: 6, 3: 5})},
                     national=(13, None, {1: 7, 2: 6, 3: 5}), qtype="multi")
    res = disclosure.audit(summary, _responded({"09": 3, "01": 10}), rule=RULE)
    got = res.set_index("answer_code")
    assert (got.loc[1, "lower"], got.loc[1, "upper"]) == (3, 3)
    assert got["exposed"].all()


# ------------------------------------------------------------------ the sample warehouse


@pytest.fixture(scope="module")
def published(pipeline_run):
    settings, _ = pipeline_run
    respondent_tables = ("select distinct table_schema from information_schema.tables "
                         "where table_name in ('fct_survey_answer', 'fct_survey_free_text')")
    with duckdb.connect(str(settings.published_warehouse), read_only=True) as con:
        summary, responded = disclosure.read_published(con)
        population = disclosure.population_from_reference(con)
        schemas = {"published": {s for (s,) in con.execute(respondent_tables).fetchall()}}
    with duckdb.connect(str(settings.restricted_warehouse), read_only=True) as con:
        answers = con.execute(
            "select survey_year, respondent_type, question_code, county_code, answer_code, respondent_code "
            "from restricted.fct_survey_answer where question_type in ('single', 'multi')").df()
        schemas["restricted"] = {s for (s,) in con.execute(respondent_tables).fetchall()}
        truth = disclosure.true_sizes_from(con)
    return summary, responded, answers, schemas, population, truth


def _true_counts(answers: pd.DataFrame):
    """Group sizes and option counts per county and for the country, from the restricted answers."""
    keys = ["survey_year", "respondent_type", "question_code"]
    national = answers.assign(county_code="00")
    both = pd.concat([answers, national])
    sizes = both.groupby([*keys, "county_code"]).respondent_code.nunique().rename("n_true").reset_index()
    counts = both.groupby([*keys, "county_code", "answer_code"]).respondent_code.nunique().rename("n_true_answer")
    return sizes, counts.reset_index()


def test_respondent_level_data_is_not_in_the_published_warehouse(published):
    *_, schemas, _, _ = published
    assert schemas == {"published": set(), "restricted": {"restricted"}}


@pytest.mark.slow
def test_audit_passes_on_the_published_marts(published):
    """The intruder of the model: every group size and response count known exactly."""
    summary, responded, answers, _, population, truth = published
    sizes, resp = truth
    assert summary["is_suppressed"].any() and (summary["suppression_reason"] == "secondary").any()
    assert summary.loc[summary["is_suppressed"], "n_respondents"].isna().all()
    res = disclosure.audit(summary, responded, sizes, RULE, population, resp)
    answers_ = res[res.kind == "answer"]
    assert len(answers_) == int(summary["is_suppressed"].sum())
    assert not res["exposed"].any(), res[res["exposed"]].head(20).to_string()
    # The documented exception: hidden cells of an option nobody in the country chose.
    assert answers_["national_exception"].sum() > 0


def test_audit_fails_on_a_weakened_suppression(published):
    """Undo the complementary suppression (and show group sizes again), as the rule before issue 18
    did: the intruder's LP then pins hidden cells."""
    summary, responded, answers, *_ = published
    sizes, counts = _true_counts(answers)
    keys = ["survey_year", "respondent_type", "question_code"]
    weak_blocks = summary.loc[summary["suppression_reason"] == "secondary", keys].drop_duplicates().head(15)
    weak = summary.merge(weak_blocks, on=keys)
    weak = weak.merge(sizes, on=[*keys, "county_code"], how="left").merge(
        counts, on=[*keys, "county_code", "answer_code"], how="left")
    secondary = weak["suppression_reason"] == "secondary"
    weak.loc[secondary, "n_answer"] = weak.loc[secondary, "n_true_answer"].fillna(0)
    weak.loc[secondary, ["is_suppressed", "suppression_reason"]] = [False, None]
    weak["n_respondents"] = weak["n_true"]
    res = disclosure.audit(weak[disclosure.SUMMARY_COLUMNS], responded, sizes, RULE)
    assert len(res) > 0
    assert res["exposed"].sum() > 0
    assert (res["width"] == 0).sum() > 0, "primary-only suppression lets some hidden cells be recomputed exactly"


def test_response_counts_of_one_to_four_are_not_printed(published):
    """Issue 26: a län's response count of 1–4 is hidden, except where the län has a single kommun
    or region (whose taking part shows in the answer table anyway)."""
    _, responded, *_ = published
    small = responded[responded.n_responded.between(1, 4) & (responded.population > 1)]
    assert small.empty, small
    assert (responded.suppression_reason == "primary").any()


# --------------------------------------------------------------- folkhalsa audit-disclosure


def _cli(*args):
    return CliRunner().invoke(app, ["audit-disclosure", *map(str, args)])


@pytest.mark.slow
def test_audit_disclosure_passes_on_the_published_sample_warehouse(pipeline_run):
    settings, _ = pipeline_run
    t0 = time.perf_counter()
    res = _cli(settings.published_warehouse)
    seconds = time.perf_counter() - t0
    assert res.exit_code == 0, res.output
    assert "GODKÄND / PASSED" in res.output and "zeros implied by a national total" in res.output
    print(f"audit-disclosure on the published sample warehouse: exit 0 in {seconds:.1f} s")


def _shown_again(summary: pd.DataFrame, answers: pd.DataFrame, year, rtype, question, county) -> pd.DataFrame:
    """The question's rows with one hidden county group shown (its true counts)."""
    block = summary[(summary.survey_year == year) & (summary.respondent_type == rtype)
                    & (summary.question_code == question)].copy()
    mine = answers[(answers.survey_year == year) & (answers.respondent_type == rtype)
                   & (answers.question_code == question) & (answers.county_code == county)]
    k = mine.groupby("answer_code").respondent_code.nunique()
    rows = block.county_code == county
    block.loc[rows, "n_answer"] = block.loc[rows, "answer_code"].map(k).fillna(0)
    block.loc[rows, "n_respondents"] = mine.respondent_code.nunique()
    block.loc[rows, ["is_suppressed", "suppression_reason"]] = [False, None]
    return block


def _one_secondary_block(summary: pd.DataFrame, answers: pd.DataFrame, responded, population) -> tuple:
    """A question protected by exactly one complementary (secondary) group, where showing that group
    again exposes a hidden cell from the outside: (year, type, question, the secondary county)."""
    keys = ["survey_year", "respondent_type", "question_code"]
    groups = summary[summary.county_code != "00"].drop_duplicates([*keys, "county_code"])
    secondary = groups[groups.suppression_reason == "secondary"]
    single = secondary.groupby(keys).filter(lambda g: len(g) == 1)
    for r in single.itertuples():
        block = _shown_again(summary, answers, r.survey_year, r.respondent_type, r.question_code, r.county_code)
        if disclosure.audit(block, responded, rule=RULE, population=population)["exposed"].any():
            return int(r.survey_year), r.respondent_type, r.question_code, r.county_code
    raise AssertionError("no question in the sample where one complementary suppression matters")


def _weaken(copy, published) -> tuple:
    """Show one secondary group again in the warehouse file `copy` (its true counts, from the
    restricted answers). Returns (year, respondent type, question, the primary cells it protected)."""
    summary, responded, answers, _, population, _ = published
    year, rtype, question, county = _one_secondary_block(summary, answers, responded, population)
    block = _shown_again(summary, answers, year, rtype, question, county)
    exposed = disclosure.audit(block, responded, rule=RULE, population=population)
    exposed = exposed[exposed.exposed]
    rows = block[block.county_code == county]
    with duckdb.connect(str(copy)) as con:
        for r in rows.itertuples():
            con.execute("""update marts.mart_survey_summary set n_respondents = ?, n_answer = ?,
                           share = round(? / ?, 4), is_suppressed = false, suppression_reason = null
                           where survey_year = ? and respondent_type = ? and question_code = ?
                           and county_code = ? and answer_code = ?""",
                        [int(r.n_respondents), int(r.n_answer), int(r.n_answer), int(r.n_respondents),
                         year, rtype, question, county, int(r.answer_code)])
    return year, rtype, question, exposed


@pytest.mark.slow
def test_audit_disclosure_names_the_cell_when_a_complementary_suppression_is_removed(published, pipeline_run,
                                                                                      tmp_path):
    """A copy of the published warehouse where one secondary group is shown again: the primary
    group beside it can be recomputed from the national row, and the command exits 1 naming it."""
    settings, _ = pipeline_run
    copy = tmp_path / "weakened.duckdb"
    shutil.copy2(settings.published_warehouse, copy)
    year, rtype, question, exposed = _weaken(copy, published)
    res = _cli(copy)
    assert res.exit_code == 1, res.output
    assert "UNDERKÄND / FAILED" in res.output
    assert len(exposed) > 0
    for r in exposed.head(5).itertuples():
        cell = f"{year} {rtype} län/county {r.county_code} fråga/question {question}, svar/answer {int(r.answer_code)}:"
        assert cell in res.output, res.output
    print("\n".join(res.output.splitlines()[:4]))


@pytest.mark.slow
def test_nightly_stage_passes_the_sample_and_blocks_a_weakened_build(published, pipeline_run, tmp_path):
    """The night ran the stage before publishing; on a build (the whole candidate, as the flow has
    it) with one complementary suppression removed, the stage gives one critical finding naming it."""
    settings, summary = pipeline_run
    stages = {s["name"]: s for s in summary["stages"]}
    names = [s["name"] for s in summary["stages"]]
    assert stages["disclosure audit"]["status"] == "ok", stages["disclosure audit"]
    assert names.index("disclosure audit") < names.index("publish")
    candidate = tmp_path / ".candidate.duckdb"
    shutil.copy2(settings.restricted_warehouse, candidate)
    result, found = disclosure.findings_before_publish(candidate, settings)
    assert found == [] and result.ok
    year, rtype, question, exposed = _weaken(candidate, published)
    result, found = disclosure.findings_before_publish(candidate, settings)
    assert [f.severity for f in found] == ["critical"]
    first = exposed.iloc[0]
    assert f"{year} {rtype} län/county {first.county_code} fråga/question {question}," in found[0].observed


def test_audit_disclosure_exit_2_on_an_unreadable_file(tmp_path):
    missing = _cli(tmp_path / "nope.duckdb")
    assert missing.exit_code == 2 and "no such file" in missing.output
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database")
    res = _cli(junk)
    assert res.exit_code == 2 and "cannot be read as a published warehouse" in res.output
    assert "Traceback" not in res.output
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    res = _cli(empty)
    assert res.exit_code == 2 and "mart_survey_summary" in res.output


def test_the_rule_comes_from_settings():
    from folkhalsa.settings import get_settings

    s = get_settings(survey_min_respondents=7, survey_min_interval_width=3)
    assert Rule.from_settings(s) == Rule(min_respondents=7, min_width=3)
