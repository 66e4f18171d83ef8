"""County-return validation: a corpus of broken returns made from a good one.

Each case asserts the exact rule and location (sheet, row, column) reported.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from openpyxl import load_workbook

from folkhalsa.sample.returns import build_return
from folkhalsa.sources.returns import check_return, parse_amount
from folkhalsa.template import build_workbook


@pytest.fixture(scope="module")
def good_workbook(tmp_path_factory) -> Path:
    filled = build_return(random.Random(7), "24", 2022, 1)
    path = tmp_path_factory.mktemp("good") / "lansrapport_24_2022.xlsx"
    build_workbook(filled).save(path)
    return path


def test_good_return_is_valid(good_workbook):
    parsed = check_return(good_workbook)
    assert parsed.ok, [i.message() for i in parsed.issues]
    assert parsed.county_code == "24" and parsed.year == 2022
    assert len(parsed.tables["activities"]) >= 6


def _set(sheet, cell, value):
    def mutate(wb):
        wb[sheet][cell] = value
    return mutate


def _delete_rows(sheet, idx, n=1):
    def mutate(wb):
        wb[sheet].delete_rows(idx, n)
    return mutate


def _insert_rows(sheet, idx, n=1):
    def mutate(wb):
        wb[sheet].insert_rows(idx, n)
    return mutate


def _insert_cols(sheet, idx):
    def mutate(wb):
        wb[sheet].insert_cols(idx)
    return mutate


def _remove_sheet(name):
    def mutate(wb):
        del wb[name]
    return mutate


def _merge_header(sheet, rng):
    def mutate(wb):
        ws = wb[sheet]
        ws[rng.split(":")[1]] = None
        ws.merge_cells(rng)
    return mutate


def _blank_row(sheet, row):
    def mutate(wb):
        ws = wb[sheet]
        for cell in ws[row]:
            cell.value = None
    return mutate


def _copy_row(sheet, src, dest):
    def mutate(wb):
        ws = wb[sheet]
        for c_src, c_dest in zip(ws[src], ws[dest]):
            c_dest.value = c_src.value
    return mutate


def _error_cell(sheet, cell, error):
    def mutate(wb):
        c = wb[sheet][cell]
        c.value = error
        c.data_type = "e"
    return mutate


# (case id, mutation, rule, sheet, row, column)
CASES = [
    ("missing sheet", _remove_sheet("Behov"), "missing_sheet", "Behov", None, None),
    ("missing sheet ekonomi", _remove_sheet("Ekonomi"), "missing_sheet", "Ekonomi", None, None),
    ("missing column", _set("Insatser", "C1", None), "missing_column", "Insatser", 1, "Insatstyp"),
    ("renamed column", _set("Aktörer", "D1", "Niva"), "missing_column", "Aktörer", 1, "Nivå"),
    ("missing form field", _set("Uppgifter", "A5", "Datum"), "missing_column", "Uppgifter", None, "Inlämningsdatum"),
    ("wrong template version", _set("Uppgifter", "B6", "2019.1"), "template_version", "Uppgifter", 6, "Mallversion"),
    ("merged header", _merge_header("Behov", "A1:B1"), "missing_column", "Behov", 1, "Målområde"),
    ("header shifted down", _insert_rows("Insatser", 1), "shifted_header", "Insatser", 2, "A"),
    ("header shifted right", _insert_cols("Aktörer", 1), "shifted_header", "Aktörer", 1, "B"),
    # Columns are matched by header in any order, so headers swapped over their data read the data
    # under the other header: the themes fail the raised-by code list.
    ("headers swapped over data", lambda wb: (wb["Behov"].__setitem__("C1", "Uppgivet av"), wb["Behov"].__setitem__("D1", "Tema")),
     "code_list", "Behov", 2, "Tema"),
    ("blank row inside table", _blank_row("Insatser", 3), "blank_row", "Insatser", 3, None),
    ("unknown county code", _set("Uppgifter", "B1", "99"), "county_code", "Uppgifter", 1, "Länskod"),
    ("county not matching file", _set("Uppgifter", "B1", "25"), "county_mismatch", "Uppgifter", 1, "Länskod"),
    ("kommun in another county", _set("Aktörer", "E2", "0180"), "municipality_code", "Aktörer", 2, "Kommunkod"),
    ("unknown kommun", _set("Behov", "E2", "9999"), "municipality_code", "Behov", 2, "Kommunkod"),
    ("kommun list with stranger", _set("Insatser", "E2", "2480, 1280"), "municipality_code", "Insatser", 2, "Kommuner"),
    ("target area 9", _set("Insatser", "B2", 9), "target_area", "Insatser", 2, "Målområde"),
    ("target area 0 in list", _set("Aktörer", "F3", "0, 6"), "target_area", "Aktörer", 3, "Målområden"),
    ("target area text", _set("Behov", "B2", "sex"), "target_area", "Behov", 2, "Målområde"),
    ("date before year", _set("Insatser", "F2", "2021-12-31"), "date_range", "Insatser", 2, "Startdatum"),
    ("date after year", _set("Insatser", "F3", "2023-01-02"), "date_range", "Insatser", 3, "Startdatum"),
    ("impossible date", _set("Insatser", "F2", "2022-02-30"), "date_format", "Insatser", 2, "Startdatum"),
    ("submission date far off", _set("Uppgifter", "B5", "2030-01-01"), "date_range", "Uppgifter", 5, "Inlämningsdatum"),
    ("negative amount", _set("Ekonomi", "B2", -100), "negative", "Ekonomi", 2, "Förbrukat (kr)"),
    ("text in number cell", _set("Ekonomi", "A2", "sexhundratusen"), "not_a_number", "Ekonomi", 2, "Beviljat (kr)"),
    ("text in cost", _set("Insatser", "G2", "ca 5 tkr"), "not_a_number", "Insatser", 2, "Kostnad (kr)"),
    ("text in year", _set("Uppgifter", "B2", "tjugotjugotvå"), "not_a_number", "Uppgifter", 2, "År"),
    ("overflowing number", _set("Uppgifter", "B2", "1e400"), "not_a_number", "Uppgifter", 2, "År"),
    ("#REF! error", _error_cell("Ekonomi", "B2", "#REF!"), "excel_error", "Ekonomi", 2, "Förbrukat (kr)"),
    ("#DIV/0! error", _error_cell("Insatser", "G3", "#DIV/0!"), "excel_error", "Insatser", 3, "Kostnad (kr)"),
    ("#N/A in code", _error_cell("Aktörer", "C2", "#N/A"), "excel_error", "Aktörer", 2, "Aktörstyp"),
    ("required empty", _set("Insatser", "D2", None), "required", "Insatser", 2, "Beskrivning"),
    ("required id empty", _set("Aktörer", "A3", None), "required", "Aktörer", 3, "Aktörs-id"),
    ("bad e-mail", _set("Uppgifter", "B4", "anna.andersson"), "email", "Uppgifter", 4, "E-post"),
    ("required year empty", _set("Uppgifter", "B2", None), "required", "Uppgifter", 2, "År"),
    ("bad actor type", _set("Aktörer", "C2", "Kommunen"), "code_list", "Aktörer", 2, "Aktörstyp"),
    ("bad activity type", _set("Insatser", "C2", "Övrigt"), "code_list", "Insatser", 2, "Insatstyp"),
    ("used exceeds granted", _set("Ekonomi", "B2", 2_000_000), "used_exceeds_granted", "Ekonomi", 2, "Förbrukat (kr)"),
    ("duplicate activity id", _copy_row("Insatser", 2, 3), "duplicate_id", "Insatser", 3, "Insats-id"),
    ("duplicate actor id", _set("Aktörer", "A3", "A1"), "duplicate_id", "Aktörer", 3, "Aktörs-id"),
    ("two finance rows", _copy_row("Ekonomi", 2, 3), "too_many_rows", "Ekonomi", 3, None),
]


@pytest.mark.parametrize("case, mutate, rule, sheet, row, column", CASES, ids=[c[0] for c in CASES])
def test_broken_return_reports_rule_and_location(good_workbook, tmp_path, case, mutate, rule, sheet, row, column):
    wb = load_workbook(good_workbook)
    mutate(wb)
    path = tmp_path / good_workbook.name
    wb.save(path)
    parsed = check_return(path)
    assert not parsed.ok, f"{case}: expected the return to be rejected"
    hits = [i for i in parsed.issues if i.rule == rule and i.sheet == sheet]
    assert hits, f"{case}: no {rule} on {sheet}; got {[i.message() for i in parsed.issues]}"
    located = [i for i in hits if (row is None or i.row == row) and (column is None or i.column == column)]
    assert located, f"{case}: {rule} at wrong place: {[i.message() for i in hits]}"
    msg = located[0].message()
    assert sheet in msg and (row is None or f"rad/row {row}" in msg)


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


def test_warnings_do_not_reject(good_workbook, tmp_path):
    wb = load_workbook(good_workbook)
    wb["Ekonomi"]["C2"] = 1  # repaid no longer granted - used
    path = tmp_path / good_workbook.name
    wb.save(path)
    parsed = check_return(path)
    assert parsed.ok
    # The sample return also lists Lycksele kommun (2481) under two ids: a duplicate_actor warning.
    assert sorted(i.rule for i in parsed.warnings) == ["duplicate_actor", "repaid_mismatch"]


@pytest.mark.parametrize("text, expected", [
    ("1 000 000", 1_000_000), ("630 000 kr", 630_000), ("1,5", 1.5), ("598500.0", 598_500),
    ("630\u00a0000", 630_000), ("12 500:-", 12_500), ("abc", None), ("1.000,5", None),
    ("630000", 630_000), ("630 000,00", 630_000), ("630 000:-", 630_000), ("630.000", None), ("6,3 mkr", None),
    ("630,000", None), ("1.5e3", None), ("598500.5", 598_500.5),
])
def test_swedish_amounts(text, expected):
    assert parse_amount(text) == expected


def test_csv_folder_return_is_accepted(good_workbook, tmp_path):
    from folkhalsa.sample.returns import _write_csv_return

    filled = build_return(random.Random(7), "24", 2022, 1)
    folder = _write_csv_return(tmp_path / "lansrapport_24_2022", filled)
    parsed = check_return(folder)
    assert parsed.ok, [i.message() for i in parsed.issues]
    xlsx = check_return(good_workbook)
    assert len(parsed.tables["activities"]) == len(xlsx.tables["activities"])
    assert parsed.tables["finance"][0]["granted_sek"] == xlsx.tables["finance"][0]["granted_sek"]


def test_csv_folder_reports_csv_row(tmp_path):
    from folkhalsa.sample.returns import _write_csv_return

    filled = build_return(random.Random(7), "24", 2022, 1)
    filled["activities"][1]["target_area"] = 12
    folder = _write_csv_return(tmp_path / "lansrapport_24_2022", filled)
    parsed = check_return(folder)
    assert [(i.rule, i.sheet, i.row) for i in parsed.errors] == [("target_area", "Insatser", 3)]


def test_malformed_csv_part_is_unreadable_not_a_crash(tmp_path):
    from folkhalsa.sample.returns import _write_csv_return
    from folkhalsa.io.workbook import UnreadableFile

    folder = _write_csv_return(tmp_path / "lansrapport_24_2022", build_return(random.Random(7), "24", 2022, 1))
    (folder / "Behov.csv").write_text('Behovs-id;"' + "x" * 200_000 + "\n", "utf-8")
    with pytest.raises(UnreadableFile, match="Behov.csv"):
        check_return(folder)
