"""mart_gender_equality on the sample data: 2022's returns are on template 2023.1 ('ej redovisat'),
2023's on 2024.1. The national totals over answers add up to the activities in fct_activity."""
from __future__ import annotations

import duckdb
import pytest

from folkhalsa.schemas.lansrapport import PERSPECTIVE_ANSWERS


@pytest.fixture(scope="module")
def warehouse(pipeline_run):
    settings, _ = pipeline_run
    con = duckdb.connect(str(settings.published_warehouse), read_only=True)
    yield con
    con.close()


def test_national_totals_over_answers_add_up_to_the_activities(warehouse):
    rows = warehouse.execute("""
        select g.year, sum(g.activity_count), min(g.activity_total), max(g.activity_total),
               (select count(*) from marts.fct_activity as a where a.year = g.year)
        from marts.mart_gender_equality as g
        where g.county_code = '00' and g.target_area_code = 0
        group by g.year order by g.year""").fetchall()
    assert [r[0] for r in rows] == [2022, 2023]
    for year, answered, total_min, total_max, activities in rows:
        assert activities > 100, year
        assert answered == total_min == total_max == activities, year


def test_every_answer_has_a_row_and_2022_is_not_reported(warehouse):
    answers = [r[0] for r in warehouse.execute(
        "select distinct gender_perspective, answer_order from marts.mart_gender_equality order by answer_order"
    ).fetchall()]
    assert tuple(answers) == PERSPECTIVE_ANSWERS
    by_year = dict(((y, a), n) for y, a, n in warehouse.execute("""
        select year, gender_perspective, activity_count from marts.mart_gender_equality
        where county_code = '00' and target_area_code = 0""").fetchall())
    assert by_year[(2022, "ej redovisat")] > 0
    assert all(by_year[(2022, a)] == 0 for a in PERSPECTIVE_ANSWERS[:-1])
    assert by_year[(2023, "ej redovisat")] == 0
    assert all(by_year[(2023, a)] > 0 for a in PERSPECTIVE_ANSWERS[:-1])


def test_counties_add_up_to_riket_per_answer_and_area(warehouse):
    diff = warehouse.execute("""
        with counties as (
            select year, target_area_code, gender_perspective, sum(activity_count) as n
            from marts.mart_gender_equality where county_code <> '00' group by all)
        select count(*) from counties as c
        join marts.mart_gender_equality as g using (year, target_area_code, gender_perspective)
        where g.county_code = '00' and g.activity_count <> c.n""").fetchone()[0]
    assert diff == 0


def test_scorecard_share_matches_the_mart(warehouse):
    rows = warehouse.execute("""
        select s.year, s.county_code, s.gender_perspective_share,
               (select sum(activity_count) filter (where has_perspective) / nullif(min(activity_total), 0)
                from marts.mart_gender_equality as g
                where g.year = s.year and g.county_code = s.county_code and g.target_area_code = 0)
        from marts.mart_county_scorecard as s""").fetchall()
    assert len(rows) == 42
    for year, county, share, expected in rows:
        assert (share is None and expected is None) or abs(share - expected) < 1e-9, (year, county)
    assert {share for year, _, share, _ in rows if year == 2022} <= {0.0, None}


def test_free_text_stays_out_of_the_marts(warehouse, pipeline_run):
    columns = {r[0] for r in warehouse.execute(
        "select column_name from information_schema.columns where table_schema = 'marts'").fetchall()}
    assert "gender_perspective_how" not in columns
    examples = warehouse.execute(
        "select how_text, is_marked_synthetic from marts.mart_gender_equality_example where year = 2023").fetchall()
    assert examples, "the 2023 sample has screened, marked texts"
    assert all(marked and text.startswith("[Exempeltext]") for text, marked in examples)
    assert not any("Exempelsson" in t or "@" in t for t, _ in examples)
    # The raw texts are in the restricted warehouse, the ones the screen held back included.
    with duckdb.connect(str(pipeline_run[0].restricted_warehouse), read_only=True) as restricted:
        held_back = restricted.execute("""select count(*) from restricted.fct_activity_gender_how
                                          where year = 2023 and not is_publishable""").fetchone()[0]
    assert held_back > 0
