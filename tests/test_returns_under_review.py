"""A return-level warning never fails the build: a county whose current return breaks the
cross-county grant rule is 'under granskning' in the marts, and the build passes and publishes."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from folkhalsa.settings import get_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_cells import run_document  # noqa: E402

DOCUMENT = Path(__file__).resolve().parent.parent / "reports" / "arsrapport.qmd"

pytestmark = [pytest.mark.slow, pytest.mark.dbt]


def _land_all(settings):
    """What the flow's landing stages do, without Prefect."""
    from folkhalsa import pipeline

    for land in (pipeline.land_returns_from, pipeline.land_survey_from, pipeline.land_indicators_from,
                 pipeline.land_population_from):
        land(settings)
    pipeline.ensure_every_source(settings)


def test_grant_differs_marks_the_county_and_the_build_passes(sample_dir, tmp_path):
    from folkhalsa.warehouse import build_candidate

    inp = tmp_path / "in"
    shutil.copytree(sample_dir, inp)
    # Län 12 resubmits its 2022 return with 10 000 kr more granted than the decision (a warning).
    path = inp / "returns" / "2022" / "lansrapport_12_2022.xlsx"
    wb = load_workbook(path)
    ws = wb["Ekonomi"]
    ws["A2"] = ws["A2"].value + 10_000
    ws["C2"] = ws["C2"].value + 10_000
    wb["Uppgifter"]["B5"] = "2023-02-28"
    wb.save(inp / "returns" / "2022" / "lansrapport_12_2022_v2.xlsx")
    settings = get_settings(input_dir=inp, output_dir=tmp_path / "out", render="never", smtp_host="")
    _land_all(settings)

    build = build_candidate(settings, {"label": "test", "synthetic": True})  # raises if a test fails
    assert build.failed == 0, build.failures
    con = duckdb.connect(str(build.warehouse), read_only=True)
    try:
        review = con.execute("select county_code, review_status from marts.mart_grant_reconciliation "
                             "where year = 2022 and is_under_review").fetchall()
        card = con.execute("select review_status from marts.mart_county_scorecard "
                           "where county_code = '12' and year = 2022").fetchone()[0]
        total = con.execute("select counties_reported, counties_under_review, granted_sek, decided_sek "
                            "from marts.mart_grant_total where year = 2022").fetchone()
        decided_12 = con.execute("select granted_sek from reference.ref_grants "
                                 "where county_code = '12' and year = 2022").fetchone()[0]
    finally:
        con.close()
    assert review == [("12", "under granskning")]
    assert card == "under granskning"
    assert total[:2] == (20, 1) and total[2] == total[3] - decided_12  # 12 left out, the rest as decided

    # The report marks the county in the financial table and in the scorecard, and says why the
    # total row leaves it out.
    _, report = run_document(DOCUMENT, {"year": 2022, "warehouse": str(build.warehouse), "sample": True})
    markdown = [m.replace("\u00a0", " ") for m in report.markdown]  # names are kept whole with no-break spaces
    grant_block = next(m for m in markdown if "| Enligt beslut (kr)" in m)
    assert "| Skåne län (under granskning) " in grant_block
    assert sum("under granskning" in line for line in grant_block.splitlines()) == 1
    assert ("Skåne län är under granskning: det beviljade beloppet i länsrapporten skiljer sig från "
            "regeringens beslut. Summaraden räknar inte med länet") in "\n".join(markdown)
    scorecard = next(m for m in markdown if "| Versioner (avvisade)" in m)
    assert [line.split("|")[1].strip() for line in scorecard.splitlines() if "under granskning" in line] \
        == ["Skåne län"]
