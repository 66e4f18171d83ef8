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
from tests.tiers import heavy

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
        # The total row leaves out counties under review (Halland 2022: its account does not reconcile).
        granted, used, repaid = c.execute(
            """select sum(g.granted_sek), sum(g.used_sek), sum(g.repaid_sek) from marts.fct_grant as g
               join marts.mart_grant_reconciliation as r using (county_code, year)
               where g.year = ? and not r.is_under_review""", [year]).fetchone()
        decided = c.execute("select decided_sek from marts.rpt_grant_decision where report_year = ?", [year]).fetchone()[0]
    totals = ns["grant_totals"]   # the row of marts.mart_grant_total
    assert (totals["granted_sek"], totals["used_sek"], totals["repaid_sek"]) == (granted, used, repaid)
    assert totals["granted_sek"] == totals["used_sek"] + totals["repaid_sek"] + totals["difference_sek"]
    summa = ns["grant_table"].iloc[-1]
    assert summa["Län"] == "Summa" and summa["Beviljat (kr)"] == rd.num(granted)
    assert len(ns["grant_table"]) == 22   # 21 län and the total
    if year == 2022:
        assert granted == 13_970_000 - 630_000 and decided == 13_970_000     # Halland under review
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
    assert len(ns["indicator_table"]) == 35 and set(ns["indicator_table"]["Kod"]) == codes
    # Table 7.2: a row per indicator, two for H1 (kvinnor, män: the source has no total), 4.4 as the median.
    spread_codes = [k.split()[0] for k in ns["spread_table"]["Kod"]]
    assert set(spread_codes) == codes and len(spread_codes) == 36
    assert {"H1 kvinnor", "H1 män", "4.4 median"} <= set(ns["spread_table"]["Kod"])
    # What stands behind the values follows the name when it is not a verified source (rpt_indicator_national).
    with con(warehouse) as c:
        status = dict(c.execute("select indicator_code, source_status from marts.dim_indicator").fetchall())
    named = dict(zip(ns["indicator_table"]["Kod"], ns["indicator_table"]["Indikator"]))
    suffix = {"verified": ")", "planned_by_source": ", ej publicerad av FoHM", "not_decided": ", ej beslutad",
              "unverified": ", källan ej verifierad"}
    assert {c: s for c, s in status.items() if not named[c].endswith(suffix[s])} == {}
    assert status["3.3"] == "planned_by_source" and status["6.2"] == "verified"


@pytest.mark.parametrize("year", [2022, 2023])
def test_indicator_table_shows_the_marts_verdict_for_the_report_year(executed, warehouse, year):
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        rows = c.execute("""select indicator_code, latest_period, trend_verdict, is_right_direction
                            from marts.mart_indicator_assessment
                            where report_year = ? and region_code = '00' and sex = 'T'""", [year]).fetchall()
        # The report's words are the seed's labels (issue 26), e.g. 'Förbättras (över tröskeln)'.
        labels = dict(c.execute("select code, label_sv from marts.rpt_verdict_legend "
                                "where verdict_group = 'utveckling'").fetchall())
    # Every indicator with a national total: MedlivsYreg (H1) publishes no total for sex, and 4.4 is a type K
    # Kolada KPI (kommun values only, no riket), see docs/indicator_sources.md.
    assert sorted(r[0] for r in rows) == sorted(set(pl.read_csv(
        REPORTS.parent / "dbt" / "seeds" / "indicator_catalogue.csv", infer_schema=False)["code"]) - {"H1", "4.4"})
    table = ns["indicator_table"].set_index("Kod")
    for code, period, verdict, right in rows:
        assert int(period[-4:]) <= year and table.loc[code, "Period"] == period
        assert table.loc[code, "Bedömning"] == (labels[verdict] if verdict else rd.MISSING)
        assert table.loc[code, "Rätt riktning"] == rd.yes_no(right)
    assert "ligger efter redovisningsåret" not in out.text


def test_spread_table_shows_the_marts_counts(executed, warehouse):
    ns, *_ = executed(2022)
    with con(warehouse) as c:
        # Every row of table 7.2 (rpt_indicator_spread.row_label: H1 per sex, 4.4's county medians) against
        # the spread mart's own counts.
        rows = c.execute("""select r.row_label, s.counties_better, s.counties_similar, s.counties_worse,
                                   s.lowest_county_code, s.highest_county_code, s.counties_not_compared
                            from marts.mart_indicator_county_spread as s
                            inner join marts.rpt_indicator_spread as r using (report_year, indicator_code, sex)
                            where s.report_year = 2022""").fetchall()
    assert len(rows) == 36
    table, names = ns["spread_table"].set_index("Kod"), ns["county_name"]
    for code, better, similar, worse, lowest, highest, not_compared in rows:
        # No county compared with riket: '..', not 0/0/0 (issue 27).
        expected = [rd.MISSING] * 3 if not_compared == 21 else [rd.num(better), rd.num(similar), rd.num(worse)]
        assert [table.loc[code, k] for k in ("Bättre än riket", "Som riket", "Sämre än riket")] == expected
        assert table.loc[code, "Ej jämförda"] == rd.num(not_compared)
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
    assert list(ns["area_summary"]["actor_count"]) == [a for _, a, _ in areas]
    assert list(ns["needs_by_area"]["Behov"]) == [rd.num(n) for _, _, n in areas]
    level_table = ns["level_table"].set_index("Län")
    for cc, name in ns["county_name"].items():
        assert level_table.loc[name, "Totalt"] == rd.num(actors.get(cc, 0))
    assert actors["00"] == sum(n for cc, n in actors.items() if cc != "00")


@pytest.mark.parametrize("year", [2022, 2023])
def test_sample_notice_is_at_the_top_and_on_every_figure(executed, year):
    _, out, *_ = executed(year)
    assert SAMPLE_NOTICE in out.markdown[0] and ".sample-notice" in out.markdown[0]
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
        assert "Källa: " in block and f"Dataversion: {version}." in block, block[:200]


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
    # The legend is printed once, in chapter 1's reading guide, not as a footnote under each table.
    assert "Teckenförklaring" not in out.text
    assert DOCUMENT.read_text("utf-8").count("**Teckenförklaring.**") == 1


@pytest.mark.parametrize("year", [2022, 2023])
def test_no_personal_data_reaches_the_report(executed, run, warehouse, year):
    _, out, *_ = executed(year)
    text = out.text + "\n".join("\n".join(f.texts) for f in out.figures)
    contacts = pl.read_parquet(run.landing_dir / "returns" / "*" / "submission.parquet")
    personal = set(contacts["contact_name"].drop_nulls()) | set(contacts["contact_email"].drop_nulls())
    with con(run.restricted_warehouse) as c:
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
    assert rd.with_ci(-2.8, -3.4, -2.2) == f"\u22122,8 (\u22123,4{NBSP}till{NBSP}\u22122,2)"
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
        c.execute("update marts.rpt_document set is_sample = false, data_label = ''")
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
    heading1 = styles.split('w:styleId="Heading1"')[1].split("</w:style>")[0]
    assert "<w:pageBreakBefore/>" in heading1, "each Word chapter starts on a new page, as in the PDF"


# ------------------------------------------------------------------ with Quarto
#
# Both years rendered once, in all three formats, by the same code as `folkhalsa render` and the nightly
# flow. Then the checks a reader would make: the text of each format (pdftotext -layout, python-docx,
# the HTML), the numbers and names that must be there, tokens that must not be split over lines, the
# Word tables' widths and the page count. Page counts and sizes go to the test log.

HEADINGS = ["Sammanfattning", "Om redovisningen", "Länsstyrelsernas insatser per län och målområde", "Aktörer",
            "Behov", "Ekonomisk redovisning", "Jämförelse med föregående år", "Metod och källor",
            "Bilaga A: Datakvalitet", "Bilaga B: Länsprofiler"]
YEARS = (2022, 2023)


def _need_quarto():
    if shutil.which("quarto") is None:
        pytest.skip("Quarto is not on PATH: rendering HTML, docx and PDF (Typst) is not tested here "
                    "(CI installs Quarto; users install it from quarto.org)")


@pytest.fixture(scope="module")
@heavy("render", "flow")
def rendered(request, tmp_path_factory):
    """{year: {"html": path, "docx": path, "pdf": path}} for 2022 and 2023."""
    _need_quarto()
    from folkhalsa.render import render_reports

    warehouse = request.getfixturevalue("warehouse")
    out = tmp_path_factory.mktemp("reports")
    result = render_reports(REPORTS, out, warehouse, list(YEARS), mode="always", sample=True)
    files = {y: {f.suffix.lstrip("."): f for f in result.files if f.parent.name == str(y)} for y in YEARS}
    lines = []
    for y in YEARS:
        for kind, f in sorted(files[y].items()):
            pages = _pdf_pages(f) if kind == "pdf" else None
            lines.append(f"rendered {y} {kind}: {f.stat().st_size / 1024:.0f} kB"
                         + (f", {pages} pages" if pages else "")
                         + f", {result.seconds.get(f'{y} ' + ('typst' if kind == 'pdf' else kind), 0):.0f} s")
    # Into the test log even when output is captured (so CI shows what was rendered).
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines), flush=True)
    return files


def _pdf_pages(pdf: Path) -> int:
    import subprocess
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _pdf_text(pdf: Path) -> str:
    import subprocess
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing (Debian: apt-get install poppler-utils; .ci/run installs it)")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(NBSP, " ")


def _docx_text(docx: Path) -> str:
    import docx as python_docx

    doc = python_docx.Document(str(docx))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts).replace(NBSP, " ")


def _html_text(html: Path) -> str:
    import html as html_lib
    body = html.read_text("utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r'src="data:[^"]*"', "", body)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).replace(NBSP, " ")


CODE = r"(?:H\d|\d\.\d)"


def _codes_in_tables(files: dict, kind: str, text: str) -> set[str]:
    """Indicator codes standing alone in a table cell (not a section number in a heading)."""
    if kind == "html":
        return set(re.findall(rf"<td[^>]*>\s*({CODE})\s*</td>", files["html"].read_text("utf-8")))
    if kind == "docx":
        import docx as python_docx
        doc = python_docx.Document(str(files["docx"]))
        return {c.text.strip() for t in doc.tables for row in t.rows for c in row.cells
                if re.fullmatch(CODE, c.text.strip())}
    return set(re.findall(rf"^\s*({CODE})\s{{2,}}\S", text, re.M))   # a table row in pdftotext -layout


def _text(files: dict, kind: str) -> str:
    return {"pdf": _pdf_text, "docx": _docx_text, "html": _html_text}[kind](files[kind])


@pytest.fixture(scope="module")
def facts(warehouse):
    """What every rendered report must show, read from the warehouse (not from the report)."""
    with con(warehouse) as c:
        counties = [r[0] for r in c.execute("select county_name from marts.dim_county").fetchall()]
        codes = [r[0] for r in c.execute("select indicator_code from marts.dim_indicator").fetchall()]
        granted = dict(c.execute("select year, granted_sek from marts.mart_grant_total").fetchall())
        periods = {y: sorted({r[0] for r in c.execute(
            "select latest_period from marts.mart_indicator_assessment where report_year = ? "
            "and region_code = '00' and sex = 'T' and latest_period is not null", [y]).fetchall()})
            for y in YEARS}
    assert len(counties) == 21 and len(codes) == 35
    return {"counties": counties, "codes": codes, "granted": granted, "periods": periods}


@pytest.mark.slow
def test_render_makes_html_docx_and_pdf_for_both_years(rendered):
    for year in YEARS:
        assert set(rendered[year]) == {"html", "docx", "pdf"}
        assert rendered[year]["pdf"].read_bytes().startswith(b"%PDF")
        assert zipfile.is_zipfile(rendered[year]["docx"])
        assert _pdf_pages(rendered[year]["pdf"]) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["html", "docx", "pdf"])
@pytest.mark.parametrize("year", YEARS)
def test_each_format_shows_the_notice_counties_codes_and_grant_total(rendered, facts, year, kind):
    text = _text(rendered[year], kind)
    assert SAMPLE_NOTICE in text
    for heading in HEADINGS:
        assert heading in text, heading
    missing = [c for c in facts["counties"] if c not in text]
    assert not missing, f"{kind} {year}: county names missing or split: {missing}"
    codes = _codes_in_tables(rendered[year], kind, text)
    assert set(facts["codes"]) <= codes, f"{kind} {year}: codes missing: {set(facts['codes']) - codes}"
    total = rd.num(facts["granted"][year]).replace(NBSP, " ")
    assert total in text, f"{kind} {year}: the grant total {total} is missing or split"
    if year == 2022:
        assert "13 970 000" in text


@pytest.mark.slow
@pytest.mark.parametrize("year", YEARS)
def test_pdf_never_splits_a_name_period_or_number_over_two_lines(rendered, facts, year):
    """pdftotext -layout keeps each printed line: a wrapped cell shows as two lines of the PDF text.
    Every county name, indicator period and grant number must occur as often in the PDF as in Word
    (whose text has no line breaks inside a cell), so no occurrence is split."""
    pdf, word = _pdf_text(rendered[year]["pdf"]), _docx_text(rendered[year]["docx"])
    tokens = facts["counties"] + facts["periods"][year] + [
        rd.num(facts["granted"][year]).replace(NBSP, " ")]
    assert facts["periods"][year]
    for token in tokens:
        assert word.count(token) > 0, token
        assert pdf.count(token) == word.count(token), (token, pdf.count(token), word.count(token))
    # No word is hyphenated at a line end in a table (Typst: hyphenate off in tables). A suspended compound
    # ("hälso- och sjukvård") may break after its own hyphen: that is a space, not hyphenation.
    broken = re.findall(r"\w+-\n\s*(?!och\b|eller\b)[a-zåäö]\w*", pdf)
    assert not broken, broken[:5]


@pytest.mark.slow
@pytest.mark.parametrize("year", YEARS)
def test_word_tables_span_the_text_width_and_there_is_no_empty_toc(rendered, year):
    import docx as python_docx
    from docx.oxml.ns import qn

    doc = python_docx.Document(str(rendered[year]["docx"]))
    section = doc.sections[-1]
    text_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    assert text_width == 9070   # A4, 2,5 cm margins (reference.docx)
    assert len(doc.tables) >= 12
    for i, table in enumerate(doc.tables):
        grid = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) == text_width, (i, grid)
        width = table._tbl.tblPr.find(qn("w:tblW"))
        assert width.get(qn("w:type")) == "pct" and width.get(qn("w:w")) == "5000"
    xml = doc.element.xml
    assert not re.search(r"<w:instrText[^>]*>\s*TOC", xml), "an empty Word TOC field (Word fills it only by hand)"
    styles = {p.style.name for p in doc.paragraphs}
    assert "Sample Notice" in styles


@pytest.mark.slow
def test_every_table_is_as_wide_as_its_longest_word(executed):
    """The widths the document asks for leave each column room for its longest unbreakable piece."""
    import pandas as pd

    for year in YEARS:
        ns, out, *_ = executed(year)
        tables = [m for m in out.markdown if m.startswith("|")]
        assert len(tables) >= 12
        for block in tables:
            lines = [l for l in block.splitlines() if l.startswith("|")]
            split = [[c.strip().replace("\\|", "|") for c in l.strip("|").split(" | ")] for l in lines]
            df = pd.DataFrame(split[2:], columns=split[0])
            assert rd.table_fits(df, ns["report"].phrases), (year, list(df.columns))
            widths = re.search(r'tbl-colwidths="\[([\d,]+)\]"', block).group(1).split(",")
            assert sum(map(int, widths)) == 100 and len(widths) == len(df.columns)


@pytest.mark.render
def test_a_failed_format_keeps_the_last_good_reports_and_says_why(tmp_path):
    """A tiny project: HTML renders; then the Typst source is broken and the PDF fails with Quarto's
    (Typst's) own message, and the year's earlier reports are still there."""
    _need_quarto()
    from folkhalsa.render import RenderError, render_reports

    project = tmp_path / "reports"
    project.mkdir()
    (project / "_quarto.yml").write_text("project:\n  type: default\n  output-dir: _output\n", "utf-8")
    doc = project / "arsrapport.qmd"
    doc.write_text("---\ntitle: Test\n---\n\nHej.\n", "utf-8")
    out = tmp_path / "out"
    render_reports(project, out, tmp_path / "wh.duckdb", [2023], ["html", "typst"], mode="always")
    before = {p.name: p.read_bytes() for p in (out / "2023").iterdir()}
    assert set(before) == {"arsrapport.html", "arsrapport.pdf"}

    doc.write_text("---\ntitle: Test\n---\n\nNytt.\n\n```{=typst}\n#let x = (\n```\n", "utf-8")
    with pytest.raises(RenderError) as e:
        render_reports(project, out, tmp_path / "wh.duckdb", [2023], ["html", "typst"], mode="always")
    assert "--to typst" in str(e.value) and "2023" in str(e.value) and "error" in str(e.value).lower()
    assert {p.name: p.read_bytes() for p in (out / "2023").iterdir()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary folders left behind"


@pytest.mark.render
def test_a_typst_package_import_fails_the_pdf(tmp_path):
    """A Quarto callout makes the Typst source import @preview/fontawesome, which Typst would download:
    the render refuses it (the tool in CI has that package cached, so this is the only way to see it)."""
    _need_quarto()
    from folkhalsa.render import RenderError, render_reports

    project = tmp_path / "reports"
    project.mkdir()
    (project / "_quarto.yml").write_text("project:\n  type: default\n  output-dir: _output\n", "utf-8")
    (project / "arsrapport.qmd").write_text(
        "---\ntitle: Test\n---\n\n::: {.callout-warning}\nObs.\n:::\n", "utf-8")
    with pytest.raises(RenderError, match="@preview/fontawesome"):
        render_reports(project, tmp_path / "out", tmp_path / "wh.duckdb", [2023], ["typst"], mode="always")


def test_format_names():
    from folkhalsa.render import parse_formats

    assert parse_formats("html,docx,typst") == ["html", "docx", "typst"]
    assert parse_formats("pdf") == ["typst"] and parse_formats(["docx", "docx"]) == ["docx"]
    with pytest.raises(ValueError, match="latex"):
        parse_formats("html,latex")


@pytest.mark.slow
def test_html_first_screen_in_chromium_has_no_console_errors(rendered, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from chromium import Chromium, chromium_path

    if chromium_path() is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    html = rendered[2023]["html"]
    with Chromium() as browser:
        page = browser.open(html.as_uri(), {
            "title": "document.title",
            "notice_top": "document.querySelector('.sample-notice').getBoundingClientRect().top",
            "height": "window.innerHeight",
            "tables": "document.querySelectorAll('table').length",
            "images": "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length",
        })
    shot = tmp_path / "arsrapport-2023-first-screen.png"
    shot.write_bytes(page.screenshot)
    assert page.errors == [], page.errors
    assert page.remote_requests == [], page.remote_requests
    assert "en nationell bild" in page.values["title"]
    assert 0 <= page.values["notice_top"] < page.values["height"], "the sample notice is not on the first screen"
    assert page.values["tables"] >= 12 and page.values["images"] >= 4
    assert page.screenshot.startswith(b"\x89PNG") and len(page.screenshot) > 20_000


def test_quarto_finds_its_gitignore_entry_already_there():
    """Quarto appends `/.quarto/` to a project's .gitignore when that exact line is missing, which
    leaves a clone's working tree modified after a render by hand."""
    lines = [l.strip() for l in (REPORTS / ".gitignore").read_text("utf-8").splitlines()]
    assert "/.quarto/" in lines
    root = [l.strip() for l in (REPORTS.parent / ".gitignore").read_text("utf-8").splitlines()]
    assert "*.egg-info/" in root


@pytest.mark.parametrize("year", [2022, 2023])
def test_gender_equality_section_shows_the_marts_numbers_and_only_screened_texts(executed, run, warehouse, year):
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        national = dict(c.execute("""select gender_perspective, activity_count from marts.mart_gender_equality
                                     where year = ? and county_code = '00' and target_area_code = 0""",
                                  [year]).fetchall())
        examples = [r[0] for r in c.execute("""select how_text from marts.mart_gender_equality_example
                                               where year = ? and example_rank <= 3""", [year]).fetchall()]
    if year == 2022:
        # The template did not ask: one sentence, no table of zeros and no page of "ej redovisat" bars.
        assert national["ej redovisat"] == sum(national.values())
        assert not ns["template_asked"] and "per_area_rows" not in ns
        assert f"Länsrapportmallen för 2022 frågade inte" in out.text
        assert not examples
    else:
        table = ns["per_area_rows"][-1]
        assert table["Målområde"] == "Alla målområden"
        assert table["Insatser"] == rd.num(sum(national.values()))
        assert table["Nej"].startswith(rd.num(national["Nej"]) + " (")
        # Every 2023 activity has an answer: no column, bar or count of zeros for "ej redovisat" (issue 27).
        assert national["ej redovisat"] == 0 and len(examples) == 3
        assert "Ej redovisat" not in table and "ej redovisat" not in ns["answers"]
        assert "Alla insatser har ett svar om jämställdhetsperspektiv." in out.text
        for text in examples:
            assert rd.md_escape(text) in out.text
    # Hur texts that failed the privacy screen never reach the report.
    landed = pl.read_parquet(run.landing_dir / "returns" / "*" / "activities.parquet")
    held_back = set(landed.filter(~pl.col("gender_perspective_how_publishable"))["gender_perspective_how"].drop_nulls())
    assert held_back or year == 2022
    assert not [t for t in held_back if t in out.text]
    assert "Exempelsson" not in out.text


# ------------------------------------------------------------------ issue 27: report marts and the national picture


SQL = re.compile(r"\b(select\s+.+?\s+from|insert\s+into|create\s+table|marts\.[a-z_]+\b(?!`))", re.I | re.S)


def test_no_sql_in_the_report_documents():
    """The report computes nothing: no query in any .qmd; report_data reads marts only through rpt()."""
    documents = [DOCUMENT, *sorted((REPORTS / "sections").glob("*.qmd"))]
    for doc in documents:
        code = "\n".join(c.source for c in python_cells(doc.read_text("utf-8")))
        assert not SQL.search(code), (doc.name, SQL.search(code).group(0))
        assert ".query(" not in code and "duckdb.connect" not in code and "import duckdb" not in code, doc.name
    helpers = (REPORTS / "report_data.py").read_text("utf-8")
    assert helpers.count("select ") == 1 and "select * from marts.{name}" in helpers


def test_rpt_reads_only_report_marts_with_bound_filters(warehouse):
    rd.open_report(warehouse, 2023)
    grid = rd.rpt("rpt_county_area_grid", report_year=2023)
    assert len(grid) == 21 * 8 and set(grid["report_year"]) == {2023}
    with pytest.raises(ValueError):
        rd.rpt("dim_county")
    with pytest.raises(ValueError):
        rd.rpt("rpt_counties", **{"county_code = '01' or 1": 1})


def test_every_report_mart_has_a_yml_entry_with_columns_and_tests():
    import yaml
    folder = REPORTS.parent / "dbt" / "models" / "marts" / "report"
    models = {m["name"]: m for p in folder.glob("*.yml") for m in yaml.safe_load(p.read_text("utf-8"))["models"]}
    assert set(models) == {p.stem for p in folder.glob("rpt_*.sql")} and len(models) >= 25
    for name, m in models.items():
        assert m["description"] and all(c.get("description") and c.get("data_type") for c in m["columns"]), name
        tested = m.get("data_tests") or [t for c in m["columns"] for t in c.get("data_tests", [])]
        assert tested, name
    # Every mart the document reads exists.
    used = set(re.findall(r'rpt\("(rpt_[a-z_]+)"', DOCUMENT.read_text("utf-8")))
    assert used <= set(models), used - set(models)


@pytest.mark.parametrize("year", [2022, 2023])
def test_summary_findings_are_the_marts_sentences(executed, warehouse, year):
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        rows = c.execute("select finding_order, n, sentence_template from marts.rpt_key_findings "
                         "where report_year = ? order by finding_order", [year]).fetchall()
    assert len(rows) == len(ns["key_findings"]) >= 6
    summary = next(m for m in out.markdown if m.startswith("1. "))
    for i, (order, n, template) in enumerate(rows, start=1):
        assert f"{i}. {ns['key_findings'][i - 1]}" in summary
        assert "{" not in ns["key_findings"][i - 1]
        if n is not None and "{n}" in template:
            assert rd.num(n) in ns["key_findings"][i - 1]
    # Sammanfattning comes before chapter 1 in the document.
    text = DOCUMENT.read_text("utf-8")
    assert text.index("# Sammanfattning {.unnumbered}") < text.index("# Om redovisningen")


@pytest.mark.parametrize("year", [2022, 2023])
def test_grant_decision_column_and_missing_decision(executed, warehouse, year):
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        decided = c.execute("select count(*) from reference.ref_grant_decisions where year = ?", [year]).fetchone()[0]
    table = ns["grant_table"]
    assert "Enligt beslut (kr)" in table.columns
    grant_text = next(m for m in out.markdown if m.startswith(f"År {year} redovisade länsstyrelserna")
                      and "kr som beviljat" in m)
    if decided:
        assert rd.num(630_000) in set(table["Enligt beslut (kr)"])
        assert "beslut saknas i underlaget" not in grant_text
    else:
        assert set(table["Enligt beslut (kr)"]) == {rd.MISSING}
        assert "beslut saknas i underlaget" in grant_text
        assert "stämmer med beslutet" not in grant_text and "Redovisningen stämmer för alla län" not in out.text
        assert any(f.startswith("Länsstyrelserna redovisade") and "saknas i underlaget" in f
                   for f in ns["key_findings"])


@pytest.mark.parametrize("year", [2022, 2023])
def test_spread_table_adds_up_to_21_counties(executed, year):
    ns, *_ = executed(year)
    spread = ns["spread"]
    for _, row in ns["spread_table"].iterrows():
        counts = [row[k] for k in ("Bättre än riket", "Som riket", "Sämre än riket")]
        sp = spread.loc[row["Kod"]] if row["Kod"] in spread.index else None
        if sp is None or sp["counties_not_compared"] == sp["county_count"]:
            assert counts == [rd.MISSING] * 3, row["Kod"]     # not 0/0/0
        else:
            assert sum(int(c) for c in counts) + int(row["Ej jämförda"]) == 21, row["Kod"]


@pytest.mark.parametrize("year", [2022, 2023])
def test_h1_and_4_4_are_shown_in_the_small_multiples_and_table_7_2(executed, warehouse, year):
    """Issue: H1 (no total for both sexes) and 4.4 (kommun values only) were '..' or empty panels although the
    warehouse holds them. The figure draws H1 as kvinnor and män and 4.4 as the median of the kommun values
    with its range, the very aggregate table 7.1 shows; table 7.2 shows H1 per sex and 4.4's county medians.
    Each says what it shows."""
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        lines = c.execute("""select indicator_code, series, count(*) from marts.rpt_indicator_series
                             where report_year = ? and indicator_code in ('H1', '4.4') group by all order by all""",
                          [year]).fetchall()
        median, low, high = c.execute("""select kommun_median, kommun_min, kommun_max
                                         from marts.mart_indicator_headline_value
                                         where report_year = ? and indicator_code = '4.4' and region_code = '00'""",
                                      [year]).fetchone()
    assert [(code, series) for code, series, n in lines if n >= 2] == [
        ("4.4", "median av kommunvärden"), ("H1", "kvinnor"), ("H1", "män")]
    axes = dict(zip(ns["indicators"]["indicator_code"], ns["axes"].flat))
    h1, k44 = axes["H1"], axes["4.4"]
    assert "kvinnor och män" in h1.get_title(loc="left")
    assert sorted(line.get_label() for line in h1.get_lines()) == ["kvinnor", "män"]
    assert "median av kommunvärden" in k44.get_title(loc="left")
    (line,) = k44.get_lines()
    assert line.get_ydata()[-1] == median and k44.collections, "the median with its range as a band"
    assert k44.get_ylim()[0] == 0 and k44.get_ylim()[1] >= high > low
    caption = next(m for m in out.markdown if m.startswith("*Figur: Indikatorernas utveckling"))
    assert "H1: kvinnor (svart linje) och män (grå, streckad)" in caption and "4.4: medianen av kommunernas värden" in caption
    table = ns["spread_table"].set_index("Kod")
    for label in ("H1 kvinnor", "H1 män", "4.4 median"):
        assert rd.MISSING not in (table.loc[label, "Lägst"], table.loc[label, "Högst"]), label
    assert table.loc["4.4 median", "Ej jämförda"] == "21" and table.loc["4.4 median", "Bättre än riket"] == rd.MISSING
    note = next(m for m in out.markdown if m.startswith("| Kod | Lägst"))
    assert "*H1 kvinnor* och *H1 män*: länens värden för kvinnor respektive män" in note
    assert "*4.4 median*: varje läns median av kommunernas värden" in note


def test_chapter_list_matches_the_chapters():
    """Chapter 1 lists chapters 2.. by number and name, exactly the numbered level-1 headings."""
    text = re.sub(r"^```.*?^```", "", DOCUMENT.read_text("utf-8"), flags=re.M | re.S)   # prose only
    headings = [h for h in re.findall(r"^# (.+)$", text, re.M) if "{.unnumbered" not in h]
    listed = re.findall(r"^- (\d+) \*\*([^*]+)\*\*", text, re.M)
    assert [int(n) for n, _ in listed] == list(range(2, len(headings) + 1))
    for n, title in listed:
        assert headings[int(n) - 1].startswith(title.split(":")[0]), (n, title, headings[int(n) - 1])
    appendices = [h for h in re.findall(r"^# (.+)$", text, re.M) if h.startswith("Bilaga")]
    assert text.index("# Metod och källor") < text.index("# " + appendices[0])


@pytest.mark.parametrize("year", [2022, 2023])
def test_one_profile_per_county_from_one_template(executed, year):
    ns, *_ = executed(year)
    profiles, names = ns["profiles"], list(ns["county_name"].values())
    assert len(profiles) == 21
    for profile, name in zip(profiles, names):
        assert profile.startswith(f"## {name} {{.unnumbered}}")
        assert "Källa: `marts.rpt_county_area_grid`" in profile and "**Ekonomi.**" in profile
        assert ("beslut saknas i underlaget" in profile) == (not ns["decision"]["has_decision"])


@pytest.mark.parametrize("year", [2022, 2023])
def test_report_date_and_dates_come_from_the_data(executed, warehouse, year):
    import datetime
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        submitted = c.execute("select max(submitted_on) from marts.fct_submission_version").fetchone()[0]
    report_date = pd_date(ns["document"]["report_date"])
    assert report_date >= submitted and report_date != datetime.date.today()
    assert f"**Rapportdatum:** {rd.day(report_date)}" in out.text
    versions = ns.get("version_table")
    if versions is not None:
        assert "Mottagen" not in versions.columns and "Inlämnad" in versions.columns


def pd_date(x):
    import pandas as pd
    return pd.Timestamp(x).date()


@pytest.mark.parametrize("year", [2022, 2023])
def test_national_picture_by_county_and_target_area(executed, warehouse, year):
    ns, *_ = executed(year)
    for grid in ("activity_grid", "actor_grid", "need_grid"):
        assert ns[grid].shape == (21, 9), grid
    with con(warehouse) as c:
        reached = c.execute("""select count(distinct b.municipality_code) from marts.fct_activity as a
                               join marts.bridge_activity_municipality as b using (activity_key)
                               where a.year = ?""", [year]).fetchone()[0]
    assert ns["riket_reach"]["kommuner_reached"] == reached
    assert ns["actor_total"] == ns["actor_reach"]["actor_count"].sum()


def _pdf_outline(pdf: Path) -> list[tuple[str, str | None]]:
    """(title, parent title) of every PDF outline (bookmark) item, in file order; Typst writes the items
    as plain objects (titles as literal or UTF-16 hex strings)."""
    def text(raw: bytes) -> str:
        if raw.startswith(b"<"):
            return bytes.fromhex(raw[1:-1].decode()).decode("utf-16-be").lstrip("\ufeff")
        return re.sub(rb"\\(.)", rb"\1", raw[1:-1]).decode("latin-1")
    items = {}
    for num, body in re.findall(rb"(\d+) 0 obj\s*<<(.*?)>>\s*endobj", pdf.read_bytes(), re.S):
        title = re.search(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]+>)", body)
        parent = re.search(rb"/Parent (\d+) 0 R", body)
        if title and parent:
            items[int(num)] = (text(title.group(1)), int(parent.group(1)))
    return [(t, items[p][0] if p in items else None) for t, p in items.values()]


@pytest.mark.slow
@pytest.mark.parametrize("year", YEARS)
def test_pdf_outline_summary_first_and_21_county_profiles(rendered, facts, year):
    outline = _pdf_outline(rendered[year]["pdf"])
    top = [t for t, parent in outline if parent is None]
    assert top[0] == "Sammanfattning" and top[1] == "Om redovisningen", top[:3]
    profiles = [t for t, parent in outline if parent == "Bilaga B: Länsprofiler"]
    assert len(profiles) == 21 and sorted(profiles) == sorted(facts["counties"])
    assert top.index("Metod och källor") < top.index("Bilaga A: Datakvalitet") < top.index("Bilaga B: Länsprofiler")


@pytest.mark.slow
@pytest.mark.parametrize("year", YEARS)
def test_every_pdf_page_carries_the_sample_label(rendered, year):
    pages = [p for p in _pdf_text(rendered[year]["pdf"]).split("\f") if p.strip()]
    assert len(pages) == _pdf_pages(rendered[year]["pdf"])
    assert [i + 1 for i, p in enumerate(pages) if SAMPLE_NOTICE not in p] == []


@pytest.mark.slow
def test_html_links_only_to_formats_that_exist(rendered):
    html = rendered[2023]["html"].read_text("utf-8")
    assert 'href="arsrapport.docx"' in html and 'href="arsrapport.pdf"' in html
    assert "Typst" not in re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    assert html.count('href="arsrapport.docx"') == 1


def test_an_analysts_plain_quarto_render_finds_the_projects_python():
    """`cd reports && quarto render arsrapport.qmd` needs no QUARTO_PYTHON: _environment names the venv
    that `make setup` links as reports/.venv (Quarto 1.7 sets a variable from _environment only when the
    shell has not set it, so `folkhalsa render`'s own QUARTO_PYTHON still wins)."""
    env = dict(l.split("=", 1) for l in (REPORTS / "_environment").read_text("utf-8").splitlines()
               if l.strip() and not l.startswith("#"))
    assert env == {"QUARTO_PYTHON": ".venv/bin/python"}
    makefile = (REPORTS.parent / "Makefile").read_text("utf-8")
    assert "ln -sfn ../$(VENV) reports/.venv" in makefile
    assert "reports/.venv" in (REPORTS.parent / ".gitignore").read_text("utf-8")
    from folkhalsa.render import _NOT_COPIED
    assert ".venv" in _NOT_COPIED(str(REPORTS), [".venv", "arsrapport.qmd"])


@pytest.mark.parametrize("year", [2022, 2023])
def test_threshold_verdicts_are_never_worded_as_a_test(executed, warehouse, year):
    """Issue 26: a register series judged against its threshold is never called 'statistiskt säker', in the
    text above table 7.1, in table 7.2 (its Jämförelse column), in the Sammanfattning or in a county profile."""
    ns, out, *_ = executed(year)
    with con(warehouse) as c:
        national = c.execute("""select indicator_code, trend_verdict from marts.rpt_indicator_national
                                where report_year = ?""", [year]).fetchall()
        basis = dict(c.execute("""select row_label, comparison_basis from marts.rpt_indicator_spread
                                  where report_year = ?""", [year]).fetchall())
    tested_up = [k for k, v in national if v == "förbättras"]
    threshold_up = [k for k, v in national if v == "förbättras (över tröskeln)"]
    assert threshold_up, "the sample has threshold verdicts (issue 26: the rule fires)"
    sentence = next(m for m in out.markdown if m.startswith("Av de 35 indikatorerna förbättras"))
    tested_part, threshold_part = sentence.split("statistiskt säkert", 1)
    assert all(k in tested_part for k in tested_up) and all(k in threshold_part for k in threshold_up)
    assert "utan statistiskt test" in threshold_part
    table = ns["spread_table"].set_index("Kod")
    for code, b in basis.items():
        assert table.loc[code, "Jämförelse"] == (b if b else rd.MISSING)
    finding = next(f for f in ns["key_findings"] if f.startswith("Av de 35"))
    assert "över tröskeln" in finding and "utan statistiskt test" in finding
    for profile in ns["profiles"]:
        ind = next(line for line in profile.splitlines() if line.startswith("**Indikatorer.**"))
        tested, _, rest = ind.partition(" registeruppgifter utan konfidensintervall")
        assert "tröskel" not in tested and "statistiskt" not in rest, ind


def test_halland_2022_grant_is_under_review_everywhere(executed, warehouse):
    """Issue 26: Halland 2022 spent and repaid 5 000 kr more than it was granted; the account does not
    reconcile, so it is under review: in the grant table and text, the Sammanfattning and its profile."""
    ns, out, *_ = executed(2022)
    with con(warehouse) as c:
        row = c.execute("""select is_under_review, review_reason, is_reconciled from marts.rpt_grant
                           where report_year = 2022 and county_code = '13'""").fetchone()
        decided = c.execute("select decided_sek from marts.rpt_grant_decision where report_year = 2022").fetchone()[0]
    assert row == (True, "redovisningen stämmer inte", False)
    table = ns["grant_table"].set_index("Län")
    assert "Hallands län (under granskning)" in table.index
    text = next(m for m in out.markdown if m.startswith("År 2022 redovisade länsstyrelserna") and "kr som beviljat" in m)
    assert "utom Hallands län som är under granskning" in text and "redovisningen stämmer inte" in text
    assert "skiljer sig från regeringens beslut" not in text      # the decided amount is not the problem
    finding = next(f for f in ns["key_findings"] if f.startswith("Enligt regeringens beslut"))
    assert rd.num(decided) in finding and "Hallands län (redovisningen stämmer inte)" in finding
    halland = next(p for p in ns["profiles"] if p.startswith("## Hallands län"))
    assert "Redovisningen är under granskning" in halland


def test_format_links_point_only_to_files_that_exist(tmp_path, monkeypatch):
    """Issue 27 (12): the HTML links to Word and PDF only when they exist: in the output folder (folkhalsa
    render) or beside the .qmd (an analyst's plain `quarto render`, before Quarto moves them to _output/)."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "_output"
    out.mkdir()
    assert rd.format_links(out) == ""
    (out / "arsrapport.pdf").write_bytes(b"%PDF")
    assert rd.format_links(out) == "Rapporten finns också som [PDF](arsrapport.pdf)."
    (tmp_path / "arsrapport.docx").write_bytes(b"PK")
    assert rd.format_links(out) == "Rapporten finns också som [Word](arsrapport.docx) och [PDF](arsrapport.pdf)."
