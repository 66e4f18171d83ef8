"""The template workbook and the format docs are generated from the schema module and kept current."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from folkhalsa.schemas.lansrapport import INSTRUCTIONS_SHEET, SHEETS
from folkhalsa.sources.returns import check_return
from folkhalsa.template import format_docs, write_template

ROOT = Path(__file__).resolve().parent.parent


def test_committed_template_and_docs_are_current(tmp_path):
    fresh = write_template(tmp_path / "lansrapport.xlsx")
    assert fresh.read_bytes() == (ROOT / "data" / "templates" / "lansrapport.xlsx").read_bytes(), \
        "run `make template` and commit the result"
    assert format_docs() == (ROOT / "docs" / "lansrapport.md").read_text("utf-8")


def test_template_layout_follows_the_schema(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET
    for sheet in SHEETS:
        ws = wb[sheet.name]
        if sheet.layout == "table":
            assert [c.value for c in ws[1]][: len(sheet.columns)] == [c.header for c in sheet.columns]
        else:
            assert [ws.cell(row=i + 1, column=1).value for i in range(len(sheet.columns))] == \
                [c.header for c in sheet.columns]


def test_coded_fields_have_drop_downs(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    for sheet in SHEETS:
        coded = [c for c in sheet.columns if c.kind == "code"]
        validations = wb[sheet.name].data_validations.dataValidation
        assert len(validations) == len(coded), sheet.name
        assert all(v.type == "list" for v in validations)


def test_blank_template_fails_only_on_missing_content(tmp_path):
    parsed = check_return(write_template(tmp_path / "lansrapport_01_2022.xlsx"))
    # Missing content only: empty required fields, and the Ekonomi table, which must have its row.
    assert {i.rule for i in parsed.errors} == {"required", "empty_required_table"}


def test_older_template_is_kept_and_validates_by_its_own_version(tmp_path):
    from folkhalsa.schemas.lansrapport import TEMPLATE_VERSIONS
    from folkhalsa.template import older_template_name

    kept = ROOT / "data" / "templates" / older_template_name("2023.1")
    assert write_template(tmp_path / "old.xlsx", "2023.1").read_bytes() == kept.read_bytes(), \
        "run `make template` and commit the result"
    ws = load_workbook(kept)["Insatser"]
    assert [c.value for c in ws[1]] == [c.header for c in TEMPLATE_VERSIONS["2023.1"].sheet("Insatser").columns]
    assert "Jämställdhetsperspektiv" not in [c.value for c in ws[1]]
    parsed = check_return(write_template(tmp_path / "lansrapport_01_2022.xlsx", "2023.1"))
    assert parsed.template_version == "2023.1"
    assert {i.rule for i in parsed.errors} == {"required", "empty_required_table"}
