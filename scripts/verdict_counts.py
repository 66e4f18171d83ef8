"""Count the published verdicts per report year, family and kind, to compare two builds (issue 26).

    .venv/bin/python scripts/verdict_counts.py WAREHOUSE [--csv OUT]
    .venv/bin/python scripts/verdict_counts.py AFTER --before BEFORE [--years 2022,2023]   # side by side

Reads the marts only (read-only). Works on a warehouse from before issue 26 (no q-values, no
test_family) and after it: the kind says which rule gave the verdict (test with BH, unadjusted
test, threshold). Gap rows (mart_equity_gap) have no report year; they are counted under the year
their period ends, the year of the family they are adjusted in since issue 26.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
        [table]).fetchall()}


def counts(warehouse: Path) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    parts = []
    a = _columns(con, "mart_indicator_assessment")
    family = "test_family" if "trend_test_family" not in a else "trend_test_family"
    parts.append(con.execute(f"""
        select report_year as year, 'utveckling (nivå)' as kind,
               case when trend_method like '%tröskel%' then 'tröskel'
                    when trend_method like '%z-test%' then 'test' else 'övrigt' end as rule,
               coalesce(trend_verdict, '(ingen bedömning)') as verdict, count(*) as n
        from marts.mart_indicator_assessment group by all""").df())
    parts.append(con.execute("""
        select report_year as year, 'län mot riket' as kind,
               case when comparison_method like '%tröskel%' then 'tröskel'
                    when comparison_method like '%z-test%' then 'test' else 'övrigt' end as rule,
               coalesce(comparison_to_national, '(ingen bedömning)') as verdict, count(*) as n
        from marts.mart_indicator_assessment where region_code <> '00' group by all""").df())
    g = _columns(con, "mart_equity_gap")
    for gap, label in [("sex_gap", "skillnad kvinnor–män"), ("education_gap", "skillnad efter utbildning")]:
        if f"{gap}_q_value" in g:
            verdict = f"coalesce({gap}_verdict, '(ingen bedömning)')"
            rule = "'test'"
        else:   # before: a 95 % interval that excludes 0, unadjusted
            verdict = (f"case when {gap}_ci_low > 0 then 'högre' when {gap}_ci_high < 0 then 'lägre' "
                       f"when {gap}_ci_low is not null then 'ingen säker skillnad' else '(ingen bedömning)' end")
            rule = "'test utan justering'"
        parts.append(con.execute(f"""
            select period_end_year as year, '{label}' as kind, {rule} as rule, {verdict} as verdict, count(*) as n
            from marts.mart_equity_gap where {gap}_difference is not null group by all""").df())
    for gap, label in [("sex_gap", "trend, skillnad kvinnor–män"),
                       ("education_gap", "trend, skillnad efter utbildning"), ("sii", "trend, SII")]:
        if f"{gap}_trend_q_value" in g:
            rule = (f"case when {gap}_trend_rule = 'tröskel' then 'tröskel' when {gap}_trend_rule = 'test' "
                    f"then 'test' else 'övrigt' end")
        else:
            rule = ("case when trend_basis like 'tröskel%' then 'tröskel' "
                    "when trend_basis = 'konfidensintervall' then 'test utan justering' else 'övrigt' end")
        parts.append(con.execute(f"""
            select period_end_year as year, '{label}' as kind, {rule} as rule,
                   coalesce({gap}_trend, '(ingen bedömning)') as verdict, count(*) as n
            from marts.mart_equity_gap where {gap} is not null or {gap}_difference is not null group by all"""
            .replace(f"where {gap} is not null or {gap}_difference is not null",
                     f"where {'sii' if gap == 'sii' else gap + '_difference'} is not null")).df())
    con.close()
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    out["n"] = out["n"].astype(int)
    return out.sort_values(["year", "kind", "rule", "verdict"]).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("warehouse", type=Path)
    p.add_argument("--csv", type=Path)
    p.add_argument("--before", type=Path, help="a warehouse to compare with (counted the same way)")
    p.add_argument("--years", default="", help="only these years, e.g. 2022,2023")
    args = p.parse_args(argv)
    df = counts(args.warehouse)
    if args.before:
        before = counts(args.before).rename(columns={"n": "before"})
        df = before.merge(df.rename(columns={"n": "after"}), how="outer",
                          on=["year", "kind", "rule", "verdict"]).fillna({"before": 0, "after": 0})
        df[["before", "after"]] = df[["before", "after"]].astype(int)
        df = df.sort_values(["year", "kind", "rule", "verdict"]).reset_index(drop=True)
    if args.years:
        df = df[df["year"].isin([int(y) for y in args.years.split(",")])]
    if args.csv:
        df.to_csv(args.csv, index=False)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(df.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
