"""The marked-up return: every flagged cell filled and commented, an Återkoppling sheet with links,
and nothing else in the county's workbook changed.

The bad return is built from the sample generator in the template layout and then broken the way
people break it by hand (typed text in number cells, a deleted sheet, a blank row, a pasted id).
"""
from __future__ import annotations

import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.defined_name import DefinedName

from folkhalsa import reference
from folkhalsa.feedback.annotate import (
    FEEDBACK_SHEET, FILL_RGB, annotate_workbook, feedback_name, locate,
)
from folkhalsa.sample.returns import build_return
from folkhalsa.schemas.lansrapport import CATALOGUE, RULE_GUIDANCE
from folkhalsa.sources.returns import check_return
from folkhalsa.template import LISTS_SHEET, build_workbook

ROOT = Path(__file__).resolve().parent.parent

# (rule, sheet, cell) every one of which the bad return must carry.
EXPECTED = {
    ("email", "Uppgifter", "B4"),
    ("date_format", "Uppgifter", "B5"),
    ("code_list", "Aktörer", "C2"),
    ("municipality_code", "Aktörer", "E3"),
    ("target_area", "Aktörer", "F4"),
    ("required", "Aktörer", "B5"),
    ("duplicate_id", "Aktörer", "A6"),
    ("date_range", "Insatser", "F2"),
    ("not_a_number", "Insatser", "G3"),
    ("negative", "Insatser", "G4"),
    ("blank_row", "Insatser", "A6"),
    ("grant_differs", "Ekonomi", "A2"),
    ("used_exceeds_granted", "Ekonomi", "B2"),
    ("repaid_mismatch", "Ekonomi", "C2"),
}


def make_bad_return(path: Path, county: str = "24", year: int = 2022) -> Path:
    filled = build_return(random.Random(11), county, year, 1)
    wb = build_workbook(filled)
    up = wb["Uppgifter"]
    up["B4"] = "anna.andersson(at)lansstyrelsen.se"
    up["B5"] = "15/02/2023"
    ak = wb["Aktörer"]
    ak["C2"] = "Kommunen"
    ak["E3"] = "0180"                      # Stockholm: not a kommun in this county
    ak["F4"] = "1, 9"
    ak["B5"] = None
    ak["A6"] = ak["A2"].value              # a pasted row keeps its id
    ins = wb["Insatser"]
    ins["F2"] = date(year - 1, 5, 1)
    ins["G3"] = "femtio tusen"
    ins["G4"] = -500
    ins.insert_rows(6)                      # a blank row inside the table
    ek = wb["Ekonomi"]
    decided = reference.grants()[(county, year)]
    ek["A2"] = decided + 10_000
    ek["B2"] = decided + 20_000
    ek["D2"] = "=A2-B2"                     # a formula the county added: must survive as a formula
    del wb["Behov"]                         # a sheet-level problem: no cell to mark
    wb.defined_names["Lanskod"] = DefinedName("Lanskod", attr_text="Uppgifter!$B$1")
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("annotate")
    src = make_bad_return(folder / "lansrapport_24_2022.xlsx")
    parsed = check_return(src)
    out = folder / feedback_name(src.name)
    annotate_workbook(src, parsed.issues, out, accepted=parsed.ok, deadline=date(2023, 3, 1))
    return src, out, parsed


def _comment_cells(ws) -> dict[str, str]:
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment is not None}


def test_bad_return_has_at_least_ten_rules(annotated):
    _, _, parsed = annotated
    assert not parsed.ok
    rules = {i.rule for i in parsed.issues}
    assert len(rules) >= 10, rules
    assert {r for r, _, _ in EXPECTED} <= rules


def test_each_flagged_cell_has_its_fill_and_comment(annotated):
    _, out, parsed = annotated
    wb = load_workbook(out)
    for rule, sheet, ref in sorted(EXPECTED):
        cell = wb[sheet][ref]
        severity = CATALOGUE.severity(rule)
        assert cell.fill.fill_type == "solid", (rule, sheet, ref)
        # Where an error and a warning share a cell the error's red wins.
        same_cell = [i for i in parsed.issues if i.sheet == sheet and locate(wb[sheet], i) == ref]
        worst = "error" if any(i.severity == "error" for i in same_cell) else severity
        assert cell.fill.fgColor.rgb == FILL_RGB[worst], (rule, sheet, ref, cell.fill.fgColor.rgb)
        text = cell.comment.text
        assert f"regel {rule}:" in text, (rule, text)
        assert CATALOGUE[rule].sv in text
        assert "Hittat:" in text and "Förväntat:" in text and "Exempel:" in text, text
    # Colours: errors red, warnings yellow.
    assert wb["Ekonomi"]["A2"].fill.fgColor.rgb == FILL_RGB["warning"]
    assert wb["Aktörer"]["C2"].fill.fgColor.rgb == FILL_RGB["error"]
    # What was found and what is expected, in the county's own words.
    c2 = wb["Aktörer"]["C2"].comment.text
    assert "Hittat: Kommunen" in c2 and "Välj i listan" in c2 and "Exempel: Kommun" in c2
    g3 = wb["Insatser"]["G3"].comment.text
    assert "Hittat: femtio tusen" in g3 and "Exempel: 50 000" in g3


def test_every_located_issue_is_marked_and_nothing_else(annotated):
    _, out, parsed = annotated
    wb = load_workbook(out)
    marked = {(ws.title, ref) for ws in wb.worksheets if ws.title != FEEDBACK_SHEET
              for ref in _comment_cells(ws)}
    located = {(i.sheet, locate(wb[i.sheet], i)) for i in parsed.issues
               if i.sheet in wb.sheetnames and locate(wb[i.sheet], i)}
    assert marked == located
    assert {(s, c) for _, s, c in EXPECTED} <= marked


def test_feedback_sheet_lists_every_issue_with_links(annotated):
    _, out, parsed = annotated
    wb = load_workbook(out)
    assert wb.sheetnames[0] == FEEDBACK_SHEET and wb.active.title == FEEDBACK_SHEET
    ws = wb[FEEDBACK_SHEET]
    assert ws["A1"].value.startswith("Rapporten är AVVISAD")
    assert "2023-03-01" in ws["A1"].value
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert len(rows) == len(parsed.issues)
    assert sorted(r[4] for r in rows) == sorted(i.rule for i in parsed.issues)
    links = {ws.cell(row=r, column=4).hyperlink.location
             for r in range(5, 5 + len(rows)) if ws.cell(row=r, column=4).hyperlink}
    for _, sheet, ref in EXPECTED:
        assert f"'{sheet}'!{ref}" in links
    # The missing sheet has no cell: it is listed, without a link.
    missing = [r for r in rows if r[4] == "missing_sheet"]
    assert missing and missing[0][3] == "hela fliken" or missing[0][3] == "hela filen"


def test_original_workbook_untouched(annotated):
    """Values, formulas, data validation, defined names and the hidden code lists are as submitted."""
    src, out, _ = annotated
    a, b = load_workbook(src), load_workbook(out)
    assert b.sheetnames == [FEEDBACK_SHEET] + a.sheetnames
    for ws in a.worksheets:
        wb_ = b[ws.title]
        va = [[c.value for c in row] for row in ws.iter_rows()]
        vb = [[c.value for c in row] for row in wb_.iter_rows()]
        assert va == vb, ws.title
        dva = sorted((str(d.sqref), d.type, d.formula1, d.allow_blank) for d in ws.data_validations.dataValidation)
        dvb = sorted((str(d.sqref), d.type, d.formula1, d.allow_blank) for d in wb_.data_validations.dataValidation)
        assert dva == dvb, ws.title
        assert ws.sheet_state == wb_.sheet_state
    assert b["Ekonomi"]["D2"].value == "=A2-B2"
    assert b[LISTS_SHEET].sheet_state == "hidden"
    assert {n: d.attr_text for n, d in a.defined_names.items()} == {n: d.attr_text for n, d in b.defined_names.items()}
    assert len(a["Aktörer"].data_validations.dataValidation) >= 3
    # The marked-up copy still reads as the same return (the county can fix it and send it back).
    again = check_return(out, src.name)
    assert sorted((i.rule, i.sheet, i.row, i.column) for i in again.issues) == \
        sorted((i.rule, i.sheet, i.row, i.column) for i in check_return(src).issues)


def test_fixed_feedback_copy_loses_old_marks(annotated, tmp_path):
    """The county fixes our copy and sends it back: the new feedback carries only the new problems."""
    _, out, _ = annotated
    wb = load_workbook(out)
    wb["Aktörer"]["C2"] = "Kommun"
    fixed = tmp_path / "lansrapport_24_2022.xlsx"
    wb.save(fixed)
    parsed = check_return(fixed)
    again = annotate_workbook(fixed, parsed.issues, tmp_path / "again.xlsx", accepted=parsed.ok)
    wb2 = load_workbook(again)
    assert wb2.sheetnames.count(FEEDBACK_SHEET) == 1
    assert wb2["Aktörer"]["C2"].comment is None and wb2["Aktörer"]["C2"].fill.fill_type is None
    assert wb2["Aktörer"]["E3"].comment is not None


def test_every_rule_has_guidance():
    assert set(CATALOGUE.rules) <= set(RULE_GUIDANCE), set(CATALOGUE.rules) - set(RULE_GUIDANCE)


def test_cli_annotate(annotated, tmp_path):
    src, _, _ = annotated
    out = tmp_path / "ut.xlsx"
    p = subprocess.run([sys.executable, "-m", "folkhalsa", "check-return", str(src), "--annotate", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert load_workbook(out).sheetnames[0] == FEEDBACK_SHEET
    broken = tmp_path / "trasig.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    out2 = tmp_path / "trasig.återkoppling.xlsx"
    p = subprocess.run([sys.executable, "-m", "folkhalsa", "check-return", str(broken), "--annotate", str(out2)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    ws = load_workbook(out2)[FEEDBACK_SHEET]
    assert ws["A1"].value.startswith("Rapporten är AVVISAD") and ws["E5"].value == "unreadable"


X14_DV = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB5-D1EAD5B6F4C4}" '
          'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
          '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
          '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1>'
          '<xm:f>Kodlistor!$C$2:$C$9</xm:f></x14:formula1><xm:sqref>D2:D500</xm:sqref>'
          '</x14:dataValidation></x14:dataValidations></ext></extLst>')


def test_excel_x14_validation_survives(tmp_path):
    """Excel stores a list validation that refers to another sheet as an x14 extension, which
    openpyxl drops on load; the marked-up copy carries it back."""
    import zipfile

    src = make_bad_return(tmp_path / "lansrapport_24_2022.xlsx")
    with zipfile.ZipFile(src) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    from folkhalsa.feedback.annotate import _sheet_parts
    with zipfile.ZipFile(src) as z:
        member = _sheet_parts(z)["Aktörer"]
    excel = tmp_path / "excel" / src.name
    excel.parent.mkdir()
    with zipfile.ZipFile(excel, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == member:
                data = data.replace(b"</worksheet>", X14_DV.encode() + b"</worksheet>")
            z.writestr(info, data)
    out = tmp_path / "ut.xlsx"
    with pytest.warns(UserWarning, match="extension is not supported"):
        annotate_workbook(excel, check_return(excel).issues, out, accepted=False)
    with zipfile.ZipFile(out) as z:
        xml = z.read(_sheet_parts(z)["Aktörer"]).decode()
    assert "<xm:sqref>D2:D500</xm:sqref>" in xml and "Kodlistor!$C$2:$C$9" in xml
    assert load_workbook(out)["Aktörer"]["C2"].comment is not None  # still a valid workbook
    assert {i.rule for i in check_return(out, src.name).issues} == {i.rule for i in check_return(excel).issues}
