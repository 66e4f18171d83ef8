"""The indicator marts built by dbt from a small hand-made landing, checked against hand computations.

The landing holds two batches with the exact landed schema of folkhalsa.sources.indicators:
- H3 (rolling four-year means with 95 % CI, higher is better) for riket and län 01, by sex and education;
- H1 (annual register data without CI, higher is better, min_important_change 1.0) for riket and län 01;
- a later batch that corrects one H1 value (the later retrieval must win);
- one H3 value with too few respondents for the catalogue's rule (min_respondents 50).
The project's report years are 2022 and 2023; each gets its own assessment.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest

from folkhalsa.landing import PROVENANCE_COLUMNS
from tests.tiers import heavy

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
SCHEMA = {
    "indicator_code": pl.Utf8, "region_code": pl.Utf8, "municipality_code": pl.Utf8, "period": pl.Utf8,
    "period_end_year": pl.Int64, "sex": pl.Utf8, "education": pl.Utf8, "value": pl.Float64,
    "ci_low": pl.Float64, "ci_high": pl.Float64, "n_respondents": pl.Int64, "status": pl.Utf8,
    "source": pl.Utf8, "retrieved_at": pl.Datetime("us", "UTC"), **PROVENANCE_COLUMNS,
}
ROLLING = ["2015-2018", "2016-2019", "2017-2020", "2018-2021", "2019-2022"]
Z = 1.96


def _row(code, region, period, value, half_width=None, sex="T", education="total", n=500, status="ok"):
    end = int(period[-4:])
    lo, hi = (value - half_width, value + half_width) if half_width is not None else (None, None)
    return dict(indicator_code=code, region_code=region, municipality_code=None, period=period,
                period_end_year=end, sex=sex, education=education, value=value, ci_low=lo, ci_high=hi,
                n_respondents=n, status=status)


def _h3_rows() -> list[dict]:
    rows = []
    for i, period in enumerate(ROLLING):
        rows.append(_row("H3", "00", period, 70.0 + 0.5 * i, 0.5))
        rows.append(_row("H3", "01", period, 74.0 + 1.25 * i, 2.0))
    # Sex and education breakdowns for län 01 in the first and the latest period.
    for period, (women, men), (low, mid, high) in [("2015-2018", (77.0, 70.0), (66.0, 70.0, 74.0)),
                                                   ("2019-2022", (80.0, 78.0), (60.0, 70.0, 80.0))]:
        rows.append(_row("H3", "01", period, women, 2.0, sex="K"))
        rows.append(_row("H3", "01", period, men, 2.0, sex="M"))
        # Half-widths 1.96 × se with se 1.6, 1.0 and 1.2.
        for edu, value, se in [("förgymnasial", low, 1.6), ("gymnasial", mid, 1.0), ("eftergymnasial", high, 1.2)]:
            rows.append(_row("H3", "01", period, value, Z * se, education=edu))
    # Published, but below the catalogue's 50 respondents.
    rows.append(_row("H3", "03", "2019-2022", 50.0, 5.0, n=30))
    return rows


def _h1_rows(latest_01: float) -> list[dict]:
    rows = []
    for year, national, county in zip(range(2019, 2024), [82.0, 82.2, 82.1, 82.4, 82.5],
                                      [81.0, 82.0, 84.0, 85.0, latest_01]):
        rows.append(_row("H1", "00", str(year), national, n=None))
        rows.append(_row("H1", "01", str(year), county, n=None))
    return rows


def _write_batch(landing: Path, batch_id: str, rows: list[dict], retrieved: datetime) -> None:
    df = pl.DataFrame(rows, schema={k: v for k, v in SCHEMA.items() if not k.startswith("_")
                                    and k not in ("source", "retrieved_at")}, orient="row")
    df = df.with_columns(
        pl.lit("folkhalsodata").alias("source"),
        pl.lit(retrieved).cast(pl.Datetime("us", "UTC")).alias("retrieved_at"),
        pl.lit(batch_id).alias("_batch_id"), pl.lit(f"{batch_id}.json").alias("_source_file"),
        pl.lit(batch_id * 4).alias("_sha256"), pl.lit(None, pl.Utf8).alias("_sheet"),
        pl.int_range(1, len(rows) + 1, dtype=pl.Int64).alias("_row"),
        pl.lit(retrieved).cast(pl.Datetime("us", "UTC")).alias("_received_at"),
    ).select(*(pl.col(c).cast(t) for c, t in SCHEMA.items()))
    out = landing / "indicators" / batch_id
    out.mkdir(parents=True)
    df.write_parquet(out / "indicator_values.parquet")


def write_indicator_fixture(landing: Path) -> None:
    """Two batches; the second, retrieved later, corrects H1 län 01 2023 from 86.0 to 87.0."""
    early = datetime(2024, 1, 10, tzinfo=timezone.utc)
    late = datetime(2024, 6, 10, tzinfo=timezone.utc)
    _write_batch(landing, "aaaaaaaaaaaaaaaa", _h3_rows() + _h1_rows(latest_01=86.0), early)
    _write_batch(landing, "bbbbbbbbbbbbbbbb", [_row("H1", "01", "2023", 87.0, n=None)], late)


@pytest.fixture(scope="module")
@heavy("dbt")
def warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dbt_indicators")
    landing = tmp / "landing"
    write_indicator_fixture(landing)
    # No population by education landed: SII/RII fall back to equal weights (asserted below).
    from folkhalsa.landing import ensure_source
    from folkhalsa.sources import population
    ensure_source(landing, population.LANDING_SOURCE, population.empty_tables())
    db = tmp / "indicators.duckdb"
    # The marts' rules for annual register data are tested on H1 as annual data; the real MedlivsYreg
    # publishes five-year means (rolling5 in the catalogue), so this copy of the project says annual.
    project = tmp / "dbt"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb", "dbt_packages"))
    seed = project / "seeds" / "indicator_catalogue.csv"
    text = seed.read_text("utf-8")
    # ... and its minimal important change (the verdicts' threshold, issue 26) is 1.0 here, as below.
    assert "\nH1,folkhalsodata," in text and ",sex|county,rolling5,1,,1.0,0.5," in text
    seed.write_text(text.replace(",sex|county,rolling5,1,,1.0,0.5,", ",sex|county,annual,1,,1.0,1.0,", 1), "utf-8")
    env = {**os.environ, "FOLKHALSA_LANDING": str(landing), "FOLKHALSA_DEV_WAREHOUSE": str(db),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    cmd = [str(dbt), "build", "--profiles-dir", ".", "--target-path", str(tmp / "target"),
           "--log-path", str(tmp / "logs"), "--select",
           "+fct_indicator_value +mart_indicator_county_spread +mart_equity_gap +dim_county +dim_municipality",
           "--indirect-selection", "cautious"]
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]
    return db


def _one(db: Path, sql: str) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


def test_later_retrieval_wins_and_disclosure_rule(warehouse):
    h1 = _one(warehouse, "select value, batch_id from marts.fct_indicator_value "
                         "where indicator_code = 'H1' and region_code = '01' and period = '2023'")
    assert h1 == {"value": 87.0, "batch_id": "bbbbbbbbbbbbbbbb"}
    few = _one(warehouse, "select status, value, ci_low, n_respondents, is_below_min_respondents "
                          "from marts.fct_indicator_value "
                          "where indicator_code = 'H3' and region_code = '03'")
    assert few == {"status": "suppressed", "value": None, "ci_low": None, "n_respondents": None,
                   "is_below_min_respondents": True}


def test_assessment_of_rolling_means_uses_non_overlapping_periods(warehouse):
    a = _one(warehouse, "select * from marts.mart_indicator_assessment "
                        "where report_year = 2023 and indicator_code = 'H3' and region_code = '01' and sex = 'T'")
    # Latest 2019-2022: 79.0 (77-81); riket 72.0 (71.5-72.5): z = 7 / √((2/1.96)² + (.5/1.96)²) = 6.6,
    # higher is better -> bättre.
    assert (a["latest_period"], a["latest_value"], a["national_value"]) == ("2019-2022", 79.0, 72.0)
    assert a["comparison_to_national"] == "bättre" and a["comparison_method"] == "z-test (KI), BH 5 %"
    # Against 2015-2018 (74.0, 72-76), the only period that does not overlap: z = 5 / (√2 × 2/1.96) = 3.46,
    # p = 0.00053 -> förbättras (q stays under 0.05 among this warehouse's few trend tests).
    assert a["trend_base_period"] == "2015-2018" and a["trend_change"] == 5.0
    se = 2 / Z
    assert a["trend_p_value"] == pytest.approx(math.erfc(5 / math.sqrt(2 * se ** 2) / math.sqrt(2)), abs=1e-6)
    assert a["trend_q_value"] <= 0.05 and a["test_family"] == "år 2023"
    assert a["trend_verdict"] == "förbättras" and a["is_right_direction"] is True
    # The q-value is the one of the year's single family, which holds the gap tests too (issue 26).
    with duckdb.connect(str(warehouse), read_only=True) as con:
        kinds = dict(con.execute("select test_kind, count(*) from intermediate.int_verdict__tests "
                                 "where family_year = 2023 and p_value is not null group by all").fetchall())
        q = con.execute("select q_value from intermediate.int_verdict__tests where test_kind = 'utveckling' "
                        "and report_year = 2023 and indicator_code = 'H3' and region_code = '01' "
                        "and sex = 'T'").fetchone()[0]
    assert {"utveckling", "län mot riket"} <= set(kinds) and q == pytest.approx(a["trend_q_value"])
    assert a["change_since_first"] == 5.0 and a["change_last_five"] == 5.0


def test_assessment_of_annual_register_data_uses_linear_trend(warehouse):
    a = _one(warehouse, "select * from marts.mart_indicator_assessment "
                        "where report_year = 2023 and indicator_code = 'H1' and region_code = '01'")
    # 81, 82, 84, 85, 87 over 2019-2023: slope 1.5/yr, residuals .2 -.3 .2 -.3 .2 (with 87: see below).
    xs, ys = [0, 1, 2, 3, 4], [81.0, 82.0, 84.0, 85.0, 87.0]
    slope = sum((x - 2) * (y - sum(ys) / 5) for x, y in zip(xs, ys)) / 10
    sse = sum((y - (sum(ys) / 5 + slope * (x - 2))) ** 2 for x, y in zip(xs, ys))
    t = slope / math.sqrt(sse / 3 / 10)
    assert slope == pytest.approx(1.5) and t > 3.1824
    assert a["trend_change"] == pytest.approx(4 * slope) and a["trend_periods"] == 5
    # Register data without CI: a threshold rule (fitted change 6 >= 1), never called a test.
    assert a["trend_verdict"] == "förbättras (över tröskeln)" and a["trend_p_value"] is None
    # No CI: 87.0 - 82.5 = 4.5 reaches the threshold 1.0, worded as a threshold, not a test.
    assert a["comparison_to_national"] == "bättre (över tröskeln)" and a["comparison_method"] == "tröskel (KI saknas)"
    assert a["comparison_p_value"] is None and a["test_family"] is None
    assert a["change_since_first"] == 6.0


def test_assessment_for_an_earlier_report_year_ignores_later_periods(warehouse):
    a = _one(warehouse, "select * from marts.mart_indicator_assessment "
                        "where report_year = 2022 and indicator_code = 'H1' and region_code = '01'")
    # 2023 is left out: 81, 82, 84, 85 over 2019-2022. x = -3..0, Sxx = 5, Sxy = 7, slope 1.4; residuals
    # .1 -.3 .3 -.1, SSE .2, t = 1.4/√(.2/2/5) = 9.9 > 4.303 (df 2); fitted change 1.4 × 3 = 4.2 ≥ 1.
    assert (a["latest_period"], a["latest_value"], a["national_value"]) == ("2022", 85.0, 82.4)
    assert a["trend_periods"] == 4 and a["trend_change"] == 4.2
    assert a["trend_verdict"] == "förbättras (över tröskeln)"
    # 85.0 - 82.4 = 2.6 reaches the threshold: bättre; change since 2019: 85 - 81 = 4.
    assert a["comparison_to_national"] == "bättre (över tröskeln)" and a["change_since_first"] == 4.0
    # H3's periods all end by 2022, so both report years see the same latest period.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        years = con.execute("select report_year, latest_period from marts.mart_indicator_assessment "
                            "where indicator_code = 'H3' and region_code = '01' and sex = 'T' "
                            "order by report_year").fetchall()
    assert years == [(2022, "2019-2022"), (2023, "2019-2022")]


def test_county_spread_counts_the_counties_against_riket(warehouse):
    s = _one(warehouse, "select * from marts.mart_indicator_county_spread "
                        "where report_year = 2023 and indicator_code = 'H1' and sex = 'T'")
    # Only län 01 has H1 in the fixture: 87.0 against riket 82.5, better by more than the threshold.
    assert (s["county_count"], s["counties_better"], s["counties_similar"], s["counties_worse"]) == (1, 1, 0, 0)
    assert (s["lowest_value"], s["lowest_county_code"], s["highest_value"]) == (87.0, "01", 87.0)
    # H3 2019-2022: län 01 79 (77-81) is above riket 72 (71.5-72.5); län 03 is suppressed (not compared).
    h3 = _one(warehouse, "select * from marts.mart_indicator_county_spread "
                         "where report_year = 2022 and indicator_code = 'H3' and sex = 'T'")
    assert (h3["county_count"], h3["counties_with_value"], h3["counties_better"], h3["counties_not_compared"]) \
        == (2, 1, 1, 1)


def test_equity_gap_against_hand_computation(warehouse):
    g = _one(warehouse, "select * from marts.mart_equity_gap "
                        "where indicator_code = 'H3' and region_code = '01' and period = '2019-2022'")
    # Sex: 80 - 78 = 2, se of each 2/1.96, so the CI half-width is 1.96·√2·2/1.96 = 2√2.
    assert g["sex_gap_difference"] == 2.0 and g["sex_gap_ratio"] == round(80 / 78, 4)
    assert g["sex_gap_ci_low"] == round(2 - 2 * math.sqrt(2), 4)
    # Education: 80 - 60 = 20, se √(1.6² + 1.2²) = 2.
    assert (g["education_gap_difference"], g["education_gap_ci_low"], g["education_gap_ci_high"]) == (20.0, 16.08, 23.92)
    # Equal weights, ridits 1/6, 1/2, 5/6: slope = 1.5 (80 - 60) = 30, se = 1.5 √(1.6² + 1.2²) = 3.
    assert (g["sii"], g["sii_ci_low"], g["sii_ci_high"]) == (30.0, 24.12, 35.88)
    # Fitted at rank 0: 70 - 15 = 55, at rank 1: 85; RII = 85/55.
    assert g["rii"] == round(85 / 55, 4)
    d = (13 / 12, 1 / 3, -5 / 12)   # weights of y_j in the fitted value at rank 0
    e = (-5 / 12, 1 / 3, 13 / 12)   # ... at rank 1
    se_ln = math.sqrt(sum((ej / 85 - dj / 55) ** 2 * s ** 2 for dj, ej, s in zip(d, e, (1.6, 1.0, 1.2))))
    assert g["rii_ci_low"] == pytest.approx(85 / 55 * math.exp(-Z * se_ln), abs=1e-4)
    assert g["rii_ci_high"] == pytest.approx(85 / 55 * math.exp(Z * se_ln), abs=1e-4)
    # Against 2015-2018: education gap 8 -> 20 (|Δ| 12 > 1.96·√8), SII 12 -> 30 (18 > 1.96·√18),
    # sex gap 7 -> 2 (5 > 1.96·√(4 × (2/1.96)²) = 4).
    assert g["trend_base_period"] == "2015-2018"
    assert (g["education_gap_trend"], g["sii_trend"], g["sex_gap_trend"]) == ("vidgas", "vidgas", "minskar")
    assert g["inequality_weighting"] == "lika vikter (befolkningsandelar saknas)"
    assert g["sii_rii_method"] == "lika vikter (befolkningsandelar saknas)" and g["population_year"] is None


def _bh(p: list[float]) -> list[float]:
    """Benjamini–Hochberg q-values, written independently of the SQL: step-up from the largest p."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    q, running = [0.0] * len(p), 1.0
    for rank in range(len(p), 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * len(p) / rank)
        q[i] = running
    return q


def test_one_benjamini_hochberg_family_per_year_across_the_marts(warehouse):
    # Every p-value the two marts publish, with the year of its family (issue 26): the assessment's by
    # report year, the gaps' by the year their period ends. BH per year, in Python, gives the marts' q.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select report_year, trend_p_value, trend_q_value from marts.mart_indicator_assessment
            where trend_p_value is not null
            union all
            select report_year, comparison_p_value, comparison_q_value from marts.mart_indicator_assessment
            where comparison_p_value is not null
            union all
            select period_end_year, unnest([sex_gap_p_value, education_gap_p_value, sex_gap_trend_p_value,
                                            education_gap_trend_p_value, sii_trend_p_value]),
                   unnest([sex_gap_q_value, education_gap_q_value, sex_gap_trend_q_value,
                           education_gap_trend_q_value, sii_trend_q_value])
            from marts.mart_equity_gap""").fetchall()
        sizes = dict(con.execute("select family_year, max(family_size) from intermediate.int_verdict__tests "
                                 "group by all").fetchall())
    families: dict[int, list[tuple[float, float]]] = {}
    for year, p, q in rows:
        if p is not None:
            families.setdefault(year, []).append((p, q))
    assert families and any(len(f) > 1 for f in families.values())
    for year, tests in families.items():
        assert sizes[year] == len(tests)
        expected = _bh([p for p, _ in tests])
        assert [q for _, q in tests] == pytest.approx(expected, abs=2e-8), year
    # The gap tests of 2019-2022 share the family of 2022 with that report year's assessments.
    g = _one(warehouse, "select test_family, sex_gap_q_value from marts.mart_equity_gap "
                        "where indicator_code = 'H3' and region_code = '01' and period = '2019-2022'")
    assert g["test_family"] == "år 2022" and g["sex_gap_q_value"] is not None
