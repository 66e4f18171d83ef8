"""The annual report (reports/arsrapport.qmd) against the sample warehouse of a real nightly run.

Without Quarto: the document's Python cells run in order with the parameters injected, for 2022 and
2023 (tests/report_cells.py), and the tests check what they produce. With Quarto on PATH, the
document is also rendered to HTML, Word and PDF (Typst).
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from folkhalsa import SAMPLE_NOTICE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_cells import python_cells, run_document  # noqa: E402

REPORTS = Path(__file__).resolve().parent.parent / "reports"
DOCUMENT = REPORTS / "arsrapport.qmd"
sys.path.insert(0, str(REPORTS))
import report_data as rd  # noqa: E402

NBSP = "\u00a0"


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def run(pipeline_run):
    settings, summary = pipeline_run
    if not summary["published"]:
        pytest.fail(f"the nightly flow published no warehouse: {summary['stages']}")
    return settings


@pytest.fixture(scope="module")
def warehouse(run) -> Path:
    return run.published_warehouse


@pytest.fixture(scope="module")
def executed(warehouse):
    """Each year's document run once (module cache), with a record of every duckdb.connect call."""
    results = {}

    def get(year: int):
        if year not in results:
            calls = []
            real_connect = duckdb.connect

            def recording_connect(*args, **kwargs):
                calls.append(kwargs)
                return real_connect(*args, **kwargs)

            before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
            duckdb.connect = recording_connect
            try:
                # sample=False: the sample notice must come from the warehouse's own label.
                ns, out = run_document(DOCUMENT, {"year": year, "warehouse": str(warehouse), "sample": False})
            finally:
                duckdb.connect = real_connect
            results[year] = (ns, out, calls, before, hashlib.sha256(warehouse.read_bytes()).hexdigest())
        return results[year]
    return get


def con(warehouse: Path):
    return duckdb.connect(str(warehouse), read_only=True)


# ------------------------------------------------------------------ the document's cells


def test_document_has_a_parameters_cell_with_year_warehouse_and_sample():
    cells = python_cells(DOCUMENT.read_text("utf-8"))
    params = [c for c in cells if c.is_parameters]
    assert len(params) == 1
    assigned = {t.id for node in ast.parse(params[0].source).body if isinstance(node, ast.Assign)
                for t in node.targets}
    assert assigned == {"year", "warehouse", "sample"}
    # Quarto project settings the render relies on.
    project = (REPORTS / "_quarto.yml").read_text("utf-8")
    for fmt in ("html:", "docx:", "typst:", "reference-doc: reference.docx"):
        assert fmt in project
    assert "jupyter: python3" in DOCUMENT.read_text("utf-8")


@pytest.mark.parametrize("year", [2022, 2023])
def test_cells_run_for_the_year_and_open_the_warehouse_read_only(executed, warehouse, year):
    ns, out, calls, before, after = executed(year)
    assert ns["YEAR"] == year and ns["report"].year == year
    assert calls and all(kw.get("read_only") is True for kw in calls)
    assert before == after, "the report changed the warehouse file"
    assert len(out.figures) >= 3 and all(f.png.startswith(b"\x89PNG") for f in out.figures)


@pytest.mark.parametrize("year", [2022, 2023])
def test_grant_totals_reconcile_with_the_mart(executed, warehouse, year):
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        granted, used, repaid = c.execute(
            "select sum(granted_sek), sum(used_sek), sum(repaid_sek) from marts.fct_grant where year = ?",
            [year]).fetchone()
    totals = ns["grant_totals"]   # the row of marts.mart_grant_total
    assert (totals["granted_sek"], totals["used_sek"], totals["repaid_sek"]) == (granted, used, repaid)
    assert totals["granted_sek"] == totals["used_sek"] + totals["repaid_sek"] + totals["difference_sek"]
    summa = ns["grant_table"].iloc[-1]
    assert summa["Län"] == "Summa" and summa["Beviljat (kr)"] == rd.num(granted)
    assert len(ns["grant_table"]) == 22   # 21 län and the total
    if year == 2022:
        assert granted == 13_970_000
        assert f"13{NBSP}970{NBSP}000" in out.text


@pytest.mark.parametrize("year", [2022, 2023])
def test_coverage_figure_has_21_counties_by_8_target_areas(executed, year):
    ns, out, *_ = executed(year)
    assert ns["coverage"].shape == (21, 8)
    assert len(ns["picture"]) == 21 * 8
    coverage_figure = out.figures[0]
    counties = set(ns["county_name"].values())
    assert len(counties) == 21 and set(coverage_figure.ytick_labels) == counties
    assert "Målområde" in coverage_figure.texts


@pytest.mark.parametrize("year", [2022, 2023])
def test_all_35_indicators_are_listed(executed, warehouse, year):
    ns, *_ = executed(year)
    with con(warehouse) as c:
        codes = {r[0] for r in c.execute("select indicator_code from marts.dim_indicator").fetchall()}
    assert len(codes) == 35
    for table in ("indicator_table", "spread_table"):
        assert len(ns[table]) == 35 and set(ns[table]["Kod"]) == codes


@pytest.mark.parametrize("year", [2022, 2023])
def test_indicator_table_shows_the_marts_verdict_for_the_report_year(executed, warehouse, year):
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        rows = c.execute("""select indicator_code, latest_period, trend_verdict, is_right_direction
                            from marts.mart_indicator_assessment
                            where report_year = ? and region_code = '00' and sex = 'T'""", [year]).fetchall()
    # Every indicator with a national total: MedlivsYreg (H1) publishes no total for sex, and 4.4 is a type K
    # Kolada KPI (kommun values only, no riket), see docs/indicator_sources.md.
    assert sorted(r[0] for r in rows) == sorted(set(pl.read_csv(
        REPORTS.parent / "dbt" / "seeds" / "indicator_catalogue.csv", infer_schema=False)["code"]) - {"H1", "4.4"})
    table = ns["indicator_table"].set_index("Kod")
    for code, period, verdict, right in rows:
        assert int(period[-4:]) <= year and table.loc[code, "Period"] == period
        assert table.loc[code, "Bedömning"] == (verdict.capitalize() if verdict else rd.MISSING)
        assert table.loc[code, "Rätt riktning"] == rd.yes_no(right)
    assert "ligger efter redovisningsåret" not in out.text


def test_spread_table_shows_the_marts_counts(executed, warehouse):
    ns, *_ = executed(2022)
    with con(warehouse) as c:
        rows = c.execute("""select indicator_code, counties_better, counties_similar, counties_worse,
                                   lowest_county_code, highest_county_code
                            from marts.mart_indicator_county_spread
                            where report_year = 2022 and sex = 'T'""").fetchall()
    assert rows
    table, names = ns["spread_table"].set_index("Kod"), ns["county_name"]
    for code, better, similar, worse, lowest, highest in rows:
        assert [table.loc[code, k] for k in ("Bättre än riket", "Som riket", "Sämre än riket")] == \
            [rd.num(better), rd.num(similar), rd.num(worse)]
        if lowest is not None:
            assert table.loc[code, "Lägst"].endswith(f"({names[lowest]})")
            assert table.loc[code, "Högst"].endswith(f"({names[highest]})")


@pytest.mark.parametrize("year", [2022, 2023])
def test_target_area_and_actor_tables_show_the_marts_totals(executed, warehouse, year):
    ns, *_ = executed(year)
    with con(warehouse) as c:
        areas = c.execute("""select activity_count, actor_count, need_count from marts.mart_target_area_summary
                             where year = ? order by target_area_code""", [year]).fetchall()
        activities, needs = c.execute("""select (select count(*) from marts.fct_activity where year = ?),
                                                (select count(*) from marts.fct_need where year = ?)""",
                                      [year, year]).fetchone()
        actors = dict(c.execute("""select county_code, actor_count from marts.mart_actor_summary
                                   where year = ? and actor_type = 'Alla' and actor_level = 'Alla'""",
                                [year]).fetchall())
    assert len(areas) == 8
    # The målområde rows add up to the facts (each activity and need has one målområde).
    assert sum(a for a, _, _ in areas) == activities and sum(n for _, _, n in areas) == needs
    assert list(ns["per_area"]["Insatser"]) == [rd.num(a) for a, _, _ in areas]
    assert list(ns["per_area"]["Aktörer"]) == [rd.num(a) for _, a, _ in areas]
    assert list(ns["needs_by_area"]["Behov"]) == [rd.num(n) for _, _, n in areas]
    level_table = ns["level_table"].set_index("Län")
    for cc, name in ns["county_name"].items():
        assert level_table.loc[name, "Totalt"] == rd.num(actors.get(cc, 0))
    assert actors["00"] == sum(n for cc, n in actors.items() if cc != "00")


@pytest.mark.parametrize("year", [2022, 2023])
def test_sample_notice_is_at_the_top_and_on_every_figure(executed, year):
    _, out, *_ = executed(year)
    assert SAMPLE_NOTICE in out.markdown[0] and "callout-warning" in out.markdown[0]
    captions = [m for m in out.markdown if m.startswith("*Figur")]
    assert len(captions) == len(out.figures)
    assert all(SAMPLE_NOTICE in c for c in captions)
    assert all(SAMPLE_NOTICE in f.texts for f in out.figures)


@pytest.mark.parametrize("year", [2022, 2023])
def test_every_table_and_figure_states_source_and_data_version(executed, year):
    ns, out, *_ = executed(year)
    version = ns["report"].data_version
    assert version
    tables = [m for m in out.markdown if "\n|" in m or m.startswith("|")]
    assert len(tables) >= 12
    for block in tables + [m for m in out.markdown if m.startswith("*Figur")]:
        assert "Källa: `" in block and f"Dataversion: {version}." in block, block[:200]


def test_suppressed_survey_groups_show_a_dash_with_a_footnote(executed, warehouse):
    ns, out, *_ = executed(2022)
    table = ns["survey_by_county"].set_index("Län")
    with con(warehouse) as c:
        rows = c.execute("""
            select county_code, is_suppressed, share from marts.mart_survey_summary
            where survey_year = 2022 and respondent_type = 'kommun' and concept_id = 'res_coordinator'
              and answer_order = (select min(answer_order) from marts.mart_survey_summary
                                  where survey_year = 2022 and concept_id = 'res_coordinator')""").fetchall()
    column = next(c for c in table.columns if c.startswith("RES1"))
    names = ns["county_name"]
    assert any(suppressed for _, suppressed, _ in rows), "the sample should have a suppressed small group"
    for cc, suppressed, share in rows:
        shown = table.loc[names.get(cc, "Riket"), column]
        assert shown == (rd.SUPPRESSED if suppressed else rd.pct(share))
    block = next(m for m in out.markdown if "| Län | " in m and column in m)
    assert f"Teckenförklaring^[{rd.LEGEND}]" in block


@pytest.mark.parametrize("year", [2022, 2023])
def test_no_personal_data_reaches_the_report(executed, run, warehouse, year):
    _, out, *_ = executed(year)
    text = out.text + "\n".join("\n".join(f.texts) for f in out.figures)
    contacts = pl.read_parquet(run.landing_dir / "returns" / "*" / "submission.parquet")
    personal = set(contacts["contact_name"].drop_nulls()) | set(contacts["contact_email"].drop_nulls())
    with con(warehouse) as c:
        personal |= {r[0] for r in c.execute(
            "select free_text from restricted.fct_survey_free_text where free_text is not null").fetchall()}
    assert personal, "the sample should contain contact details and free text to check against"
    assert not [p for p in personal if p in text]
    assert "@" not in text


def test_quality_appendix_reads_the_publishing_runs_checks(executed, run):
    ns, out, *_ = executed(2023)
    summary = json.loads((run.output_dir / "run_summary.json").read_text("utf-8"))
    assert ns["checks"] == summary["checks"]
    assert ns["checks"]["run_id"] == summary["run_id"]
    passed = summary["checks"]["passed"]
    assert f"godkändes {rd.num(passed)} kontroller" in out.text


# ------------------------------------------------------------------ helpers in report_data


def test_run_checks_reads_json_next_to_the_warehouse_or_says_none(tmp_path):
    wh = tmp_path / "out" / "warehouse" / "folkhalsa.duckdb"
    wh.parent.mkdir(parents=True)
    assert rd.run_checks(wh) is None
    # A later run that failed its checks wrote run_summary.json but published nothing: not read.
    (tmp_path / "out" / "run_summary.json").write_text(json.dumps({"checks": {"critical": 2}}), "utf-8")
    assert rd.run_checks(wh) is None
    (wh.parent / "published_checks.json").write_text(json.dumps({"passed": 3, "failed": 1}), "utf-8")
    assert rd.run_checks(wh) == {"passed": 3, "failed": 1}
    (wh.parent / "published_checks.json").write_text(json.dumps({}), "utf-8")
    assert rd.run_checks(wh) is None


def test_swedish_number_formats():
    assert rd.num(13_970_000) == f"13{NBSP}970{NBSP}000"
    assert rd.num(12.345, 1) == "12,3"
    assert rd.num(-5000) == f"\u22125{NBSP}000"
    assert rd.num(None) == rd.MISSING and rd.num(float("nan")) == ".."
    assert rd.pct(0.625) == f"63{NBSP}%" and rd.pct(0.6254, 1) == f"62,5{NBSP}%"
    assert rd.value(7.25, "ok", 1) == "7,3" and rd.num(2.5) == "3" and rd.num(-0.04, 1) == "0,0"
    assert rd.value(7.2, "suppressed") == "–" and rd.value(None, "missing") == ".."
    assert rd.with_ci(72.5, 72.2, 72.9) == "72,5 (72,2–72,9)"
    assert rd.with_ci(-2.8, -3.4, -2.2) == "\u22122,8 (\u22123,4 till \u22122,2)"
    assert rd.with_ci(3.6, None, None) == "3,6"
    assert rd.yes_no(True) == "Ja" and rd.yes_no(None) == ".."
    assert rd.redact("fel i rad 3 (kontakt: anna.a@lst.se)") == "fel i rad 3 (kontakt: [e-postadress borttagen])"


def test_markdown_table_aligns_numbers_and_escapes_pipes():
    import pandas as pd

    table = rd.markdown_table(pd.DataFrame({"Län": ["A|B", "C"], "Kr": [rd.num(1000), rd.SUPPRESSED]}))
    header, rule, first, _ = table.splitlines()
    assert header == "| Län | Kr |"
    assert rule.split("|")[1].startswith(":") and rule.split("|")[2].endswith(":")
    assert "A\\|B" in first


def test_real_data_carries_no_sample_notice(warehouse, tmp_path):
    copy = tmp_path / "warehouse" / "folkhalsa.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as c:
        c.execute("update marts.mart_data_version set is_sample = false, data_label = ''")
    report = rd.open_report(copy, 2023, sample=False)
    assert report.notice is None and rd.notice_block(report) == ""
    assert SAMPLE_NOTICE not in report.source("fct_grant")
    # The render parameter alone also marks the report (the flow passes sample from dataset.json).
    assert rd.open_report(copy, 2023, sample="true").notice == SAMPLE_NOTICE


def test_missing_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="Inget publicerat datalager"):
        rd.open_report(tmp_path / "nope.duckdb", 2023)


# ------------------------------------------------------------------ reference.docx


def test_reference_docx_is_generated_and_has_the_styles():
    sys.path.insert(0, str(REPORTS))
    import make_reference_docx

    committed = REPORTS / "reference.docx"
    assert committed.exists(), "run `python reports/make_reference_docx.py`"
    with zipfile.ZipFile(committed) as zf:
        assert zf.testzip() is None
        styles = zf.read("word/styles.xml").decode("utf-8")
        files = {name: zf.read(name).decode("utf-8") for name in zf.namelist()}
    assert files == make_reference_docx.parts(), "reference.docx is stale: re-run make_reference_docx.py"
    for name in ("Normal", "Title", "heading 1", "heading 2", "heading 3", "Table", "Table Caption", "Body Text"):
        assert f'<w:name w:val="{name}"/>' in styles
    assert 'w:lang w:val="sv-SE"' in styles


# ------------------------------------------------------------------ with Quarto


HEADINGS = ["Uppdraget och dess delar", "Länsstyrelsernas arbete per målområde", "Aktörskarta", "Behov",
            "Ekonomisk redovisning", "Bilaga A: Datakvalitet", "Metod och källor"]


def test_quarto_renders_html_docx_and_pdf(request, tmp_path, monkeypatch):
    if shutil.which("quarto") is None:
        pytest.skip("Quarto is not on PATH: rendering HTML, docx and PDF (Typst) is not tested here; "
                    "the Python cells are tested above without Quarto")
    from folkhalsa.render import render_reports

    # Quarto runs the Jupyter kernel with this Python (the venv with duckdb, pandas, matplotlib).
    monkeypatch.setenv("QUARTO_PYTHON", sys.executable)
    warehouse = request.getfixturevalue("warehouse")

    result = render_reports(REPORTS, tmp_path, warehouse, [2022], mode="always", sample=True)
    assert result.rendered
    out = tmp_path / "2022"
    html, docx, pdf = out / "arsrapport.html", out / "arsrapport.docx", out / "arsrapport.pdf"
    assert html.exists() and docx.exists() and pdf.exists()
    page = html.read_text("utf-8")
    with zipfile.ZipFile(docx) as zf:
        # The text of the Word document, whatever runs pandoc split it into.
        word = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", zf.read("word/document.xml").decode("utf-8")))
    for heading in HEADINGS:
        assert heading in page and heading in word
    assert SAMPLE_NOTICE in page and SAMPLE_NOTICE in word
    assert pdf.read_bytes().startswith(b"%PDF")
