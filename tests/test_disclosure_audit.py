"""Disclosure audit: an intruder's linear programme against the published survey tables.

folkhalsa.disclosure bounds every suppressed count using only what the warehouse publishes. The
published marts must leave every hidden cell at least the rule's width; a suppression weakened back
to primary-only (the rule before issue 18) must be caught.
"""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from folkhalsa import disclosure
from folkhalsa.disclosure import Rule


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


def test_subtracting_from_the_national_row_recovers_two_small_counties():
    """The issue's example: national 163 chose option 1, the shown counties 158; Gotland (1) and
    Blekinge (4) are hidden but their group sizes are shown, so both are pinned exactly."""
    summary = _block({"09": (1, "primary", {1: None, 2: None}),
                      "10": (4, "primary", {1: None, 2: None}),
                      "01": (200, None, {1: 158, 2: 42})},
                     national=(205, None, {1: 163, 2: 42}))
    res = disclosure.audit(summary, _responded({"09": 1, "10": 4, "01": 200}))
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
    res = disclosure.audit(summary, _responded({"09": 1, "10": 4, "01": 200, "03": 50}), true)
    assert len(res) == 6
    assert not res["exposed"].any(), res


def test_multiple_choice_uses_at_least_one_option_per_respondent():
    """Multiple choice: each of the 3 hidden respondents chose at least one option, and the
    residual shows nobody hidden chose option 2 or 3, so all 3 chose option 1."""
    summary = _block({"09": (None, "primary", {1: None, 2: None, 3: None}),
                      "01": (10, None, {1: 4, 2: 6, 3: 5})},
                     national=(13, None, {1: 7, 2: 6, 3: 5}), qtype="multi")
    res = disclosure.audit(summary, _responded({"09": 3, "01": 10}))
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
        schemas = {"published": {s for (s,) in con.execute(respondent_tables).fetchall()}}
    with duckdb.connect(str(settings.restricted_warehouse), read_only=True) as con:
        answers = con.execute(
            "select survey_year, respondent_type, question_code, county_code, answer_code, respondent_code "
            "from restricted.fct_survey_answer where question_type in ('single', 'multi')").df()
        schemas["restricted"] = {s for (s,) in con.execute(respondent_tables).fetchall()}
    return summary, responded, answers, schemas


def _true_counts(answers: pd.DataFrame):
    """Group sizes and option counts per county and for the country, from the restricted answers."""
    keys = ["survey_year", "respondent_type", "question_code"]
    national = answers.assign(county_code="00")
    both = pd.concat([answers, national])
    sizes = both.groupby([*keys, "county_code"]).respondent_code.nunique().rename("n_true").reset_index()
    counts = both.groupby([*keys, "county_code", "answer_code"]).respondent_code.nunique().rename("n_true_answer")
    return sizes, counts.reset_index()


def test_respondent_level_data_is_not_in_the_published_warehouse(published):
    *_, schemas = published
    assert schemas == {"published": set(), "restricted": {"restricted"}}


@pytest.mark.slow
def test_audit_passes_on_the_published_marts(published):
    summary, responded, answers, _ = published
    sizes, _ = _true_counts(answers)
    assert summary["is_suppressed"].any() and (summary["suppression_reason"] == "secondary").any()
    assert summary.loc[summary["is_suppressed"], "n_respondents"].isna().all()
    res = disclosure.audit(summary, responded, sizes, Rule(min_respondents=5, min_width=2))
    assert len(res) == int(summary["is_suppressed"].sum())
    assert not res["exposed"].any(), res[res["exposed"]].head(20).to_string()


def test_audit_fails_on_a_weakened_suppression(published):
    """Undo the complementary suppression (and show group sizes again), as the rule before issue 18
    did: the intruder's LP then pins hidden cells."""
    summary, responded, answers, _ = published
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
    res = disclosure.audit(weak[disclosure.SUMMARY_COLUMNS], responded, sizes)
    assert len(res) > 0
    assert res["exposed"].sum() > 0
    assert (res["width"] == 0).sum() > 0, "primary-only suppression lets some hidden cells be recomputed exactly"
