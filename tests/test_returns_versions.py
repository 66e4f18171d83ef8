"""Template versions side by side: a 2023.1 return validates by 2023.1's rules and lands its
activities as 'ej redovisat'; a 2024.1 return by 2024.1's rules, with the gender-equality columns."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from openpyxl import load_workbook

from folkhalsa import privacy
from folkhalsa.sample.returns import build_return
from folkhalsa.schemas.lansrapport import (
    ACCEPTED_TEMPLATE_VERSIONS, GENDER_PERSPECTIVES, PERSPECTIVE_NOT_REPORTED, TEMPLATE_VERSION,
)
from folkhalsa.sources.returns import check_return, parse_return
from folkhalsa.template import build_workbook


def _workbook(tmp_path: Path, year: int, version: str | None = None, edit=None) -> Path:
    filled = build_return(random.Random(7), "24", year, 1)
    wb = build_workbook(filled, version)
    if edit:
        edit(wb)
    path = tmp_path / f"lansrapport_24_{year}.xlsx"
    wb.save(path)
    return path


def _header(wb, sheet: str) -> list[str]:
    return [c.value for c in wb[sheet][1]]


def _rules(parsed) -> set[str]:
    return {i.rule for i in parsed.errors}


def test_current_template_is_2024_1():
    assert TEMPLATE_VERSION == "2024.1"
    assert ACCEPTED_TEMPLATE_VERSIONS == ("2022.1", "2023.1", "2024.1")


def test_a_2023_1_and_a_2024_1_return_validate_side_by_side(tmp_path):
    old = check_return(_workbook(tmp_path, 2022))          # the sample's 2022 returns are on 2023.1
    new = check_return(_workbook(tmp_path, 2023))          # and 2023's on 2024.1
    assert old.ok, [i.message() for i in old.issues]
    assert new.ok, [i.message() for i in new.issues]
    assert (old.template_version, new.template_version) == ("2023.1", "2024.1")
    assert "gender_perspective" not in old.tables["activities"][0]
    assert {r["gender_perspective"] for r in new.tables["activities"]} <= set(GENDER_PERSPECTIVES)
    assert all(r["gender_perspective_how"] for r in new.tables["activities"]
               if r["gender_perspective"].startswith("Ja"))

    old_tables = parse_return(old.path, old.path.name).tables
    new_tables = parse_return(new.path, new.path.name).tables
    # Both land in one layout, so the batches union; 2023.1 activities are 'ej redovisat', not 'Nej'.
    assert old_tables["activities"].columns == new_tables["activities"].columns
    assert set(old_tables["activities"]["gender_perspective"]) == {PERSPECTIVE_NOT_REPORTED}
    assert old_tables["activities"]["gender_perspective_how"].null_count() == old_tables["activities"].height
    assert set(new_tables["activities"]["gender_perspective"]) <= set(GENDER_PERSPECTIVES)
    assert old_tables["finance"]["gender_equality_used_sek"].to_list() == [None]
    assert new_tables["finance"]["gender_equality_used_sek"].to_list()[0] > 0


def test_2024_1_workbook_that_claims_2023_1_is_rejected_naming_the_columns(tmp_path):
    path = _workbook(tmp_path, 2023, edit=lambda wb: wb["Uppgifter"].__setitem__("B6", "2023.1"))
    parsed = check_return(path)
    mismatches = [i for i in parsed.errors if i.rule == "template_version_mismatch"]
    assert {(i.sheet, i.column) for i in mismatches} == {
        ("Insatser", "Jämställdhetsperspektiv"), ("Insatser", "Hur"),
        ("Ekonomi", "Varav insatser med jämställdhetsperspektiv (kr)")}
    assert all(i.row == 1 and "2024.1" in i.message() for i in mismatches)


def test_2023_1_workbook_that_claims_2024_1_misses_the_new_columns(tmp_path):
    path = _workbook(tmp_path, 2022, edit=lambda wb: wb["Uppgifter"].__setitem__("B6", "2024.1"))
    parsed = check_return(path)
    missing = {(i.sheet, i.column) for i in parsed.errors if i.rule == "missing_column"}
    assert {("Insatser", "Jämställdhetsperspektiv"), ("Insatser", "Hur")} <= missing
    assert not parsed.ok


def test_unknown_version_is_an_error_listing_the_known_ones(tmp_path):
    parsed = check_return(_workbook(tmp_path, 2023, edit=lambda wb: wb["Uppgifter"].__setitem__("B6", "2025.1")))
    [issue] = [i for i in parsed.errors if i.rule == "template_version"]
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("Uppgifter", 6, "Mallversion", "2025.1")
    assert all(v in issue.message() for v in ("2022.1", "2023.1", "2024.1"))


def _first_activity_with(wb, prefix: str) -> int:
    ws = wb["Insatser"]
    col = _header(wb, "Insatser").index("Jämställdhetsperspektiv") + 1
    return next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, col).value).startswith(prefix))


def test_hur_is_required_when_the_answer_starts_with_ja(tmp_path):
    def edit(wb):
        row = _first_activity_with(wb, "Ja")
        wb["Insatser"].cell(row, _header(wb, "Insatser").index("Hur") + 1).value = None
        edit.row = row
    parsed = check_return(_workbook(tmp_path, 2023, edit=edit))
    [issue] = parsed.errors
    assert (issue.rule, issue.sheet, issue.row, issue.column) == ("required_when", "Insatser", edit.row, "Hur")
    assert "Jämställdhetsperspektiv = Ja" in issue.message()


def test_nej_and_ej_relevant_need_no_hur_but_an_unknown_answer_is_an_error(tmp_path):
    def edit(wb):
        col = _header(wb, "Insatser").index("Jämställdhetsperspektiv") + 1
        wb["Insatser"].cell(2, col).value = "Nej"
        wb["Insatser"].cell(2, col + 1).value = None
        wb["Insatser"].cell(3, col).value = "Ej relevant"
        wb["Insatser"].cell(3, col + 1).value = None
        wb["Insatser"].cell(4, col).value = "Kanske"
    parsed = check_return(_workbook(tmp_path, 2023, edit=edit))
    assert [(i.rule, i.row, i.column) for i in parsed.errors] == [("code_list", 4, "Jämställdhetsperspektiv")]


def test_gender_equality_amount_is_optional_and_at_most_used(tmp_path):
    def blank(wb):
        wb["Ekonomi"].cell(2, _header(wb, "Ekonomi").index("Varav insatser med jämställdhetsperspektiv (kr)") + 1).value = None
    assert check_return(_workbook(tmp_path, 2023, edit=blank)).ok

    def too_much(wb):
        ws = wb["Ekonomi"]
        ws.cell(2, _header(wb, "Ekonomi").index("Varav insatser med jämställdhetsperspektiv (kr)") + 1).value = \
            ws["B2"].value + 1000
    assert _rules(check_return(_workbook(tmp_path, 2023, edit=too_much))) == {"gender_used_exceeds_used"}


def test_template_2023_1_drops_nothing_a_2023_1_return_holds(tmp_path):
    wb = load_workbook(_workbook(tmp_path, 2022))
    assert "Jämställdhetsperspektiv" not in _header(wb, "Insatser")
    assert wb["Uppgifter"]["B6"].value == "2023.1"


@pytest.mark.parametrize("text, publishable", [
    ("[Exempeltext] Deltagarstatistiken redovisas och analyseras per kön.", True),
    ("Enkätsvaren har jämförts per kön.", True),
    ("Kontakta Alva Exempelsson för underlaget.", False),           # a name, and a contact word
    ("Arbetet leddes av Maja Testberg.", False),                    # a name
    ("Frågor: folkhalsa.exempel@exempel.invalid", False),           # e-mail
    ("Ring 070-123 45 67.", False),                                 # phone
    ("Gäller 19850101-1234 särskilt.", False),                      # personnummer
    ("Se www.exempel.se", False),                                   # link
    ("", False), (None, False), ("x" * 301, False),
])
def test_privacy_screen_for_free_text(text, publishable):
    assert privacy.is_publishable_text(text) is publishable


def test_hur_counts_as_personal_data_and_its_screen_lands_beside_it(tmp_path):
    assert "gender_perspective_how" in privacy.PERSONAL_COLUMNS
    path = _workbook(tmp_path, 2023)
    activities = parse_return(path, path.name).tables["activities"]
    for text, flag in zip(activities["gender_perspective_how"], activities["gender_perspective_how_publishable"]):
        assert flag is privacy.is_publishable_text(text)
