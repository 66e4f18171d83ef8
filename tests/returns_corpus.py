"""A corpus of county returns made the way people and programs really make them, written by the
tests (no committed binaries): Excel on Windows and Mac (NFD names, date-times, lowercase codes,
line-broken headers, reordered columns), hand-edited defects, and hostile workbooks.

Each entry: (name, build(dir, good) -> path, exit code of `check-return`, rules expected).
"""
from __future__ import annotations

import io
import random
import re
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Callable

from openpyxl import load_workbook

from folkhalsa.sample.returns import _write_csv_return, build_return
from folkhalsa.template import build_workbook

COUNTY, YEAR = "24", 2022
NAME = f"lansrapport_{COUNTY}_{YEAR}.xlsx"


def good_filled() -> dict:
    return build_return(random.Random(7), COUNTY, YEAR, 1)


def write_good(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(good_filled()).save(dest)
    return dest


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# ------------------------------------------------------------------ builders


def edit(mutate: Callable, name: str = NAME) -> Callable[[Path, Path], Path]:
    """A workbook saved by openpyxl after `mutate(wb)`, as a hand edit in Excel would leave it."""
    def build(d: Path, good: Path) -> Path:
        wb = load_workbook(good)
        mutate(wb)
        out = d / name
        wb.save(out)
        return out
    return build


def set_cell(sheet: str, cell: str, value):
    return lambda wb: wb[sheet].__setitem__(cell, value)


def _granted(wb) -> int:
    return int(wb["Ekonomi"]["A2"].value)


def amount_text(fmt: Callable[[int], str]):
    return lambda wb: wb["Ekonomi"].__setitem__("A2", fmt(_granted(wb)))


def rename_sheets_nfd(wb):
    for ws in wb.worksheets:
        ws.title = nfd(ws.title)


def nfd_values(wb):
    for name in ("Aktörer", "Behov", "Insatser"):
        for row in wb[name].iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.value = nfd(c.value)


def datetimes(wb):
    ws = wb["Insatser"]
    for r in range(2, ws.max_row + 1):
        v = ws.cell(r, 6).value
        if v is not None:
            ws.cell(r, 6).value = datetime(v.year, v.month, v.day, 14, 35)


def lowercase_codes(wb):
    for sheet, cols in (("Aktörer", (3, 4)), ("Insatser", (3,)), ("Behov", (3, 4))):
        ws = wb[sheet]
        for r in range(2, ws.max_row + 1):
            for c in cols:
                v = ws.cell(r, c).value
                if isinstance(v, str):
                    ws.cell(r, c).value = v.lower()


def uppercase_codes(wb):
    ws = wb["Aktörer"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 3).value = ws.cell(r, 3).value.upper()


def line_broken_headers(wb):
    wb["Insatser"]["G1"] = "Kostnad\n(kr)"
    wb["Ekonomi"]["A1"] = "Beviljat\r\n(kr)"
    wb["Aktörer"]["A1"] = "  Aktörs-id "


def reorder_columns(sheet: str):
    def mutate(wb):
        ws = wb[sheet]
        # As Excel moves a column: values with their number formats.
        rows = [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
        width = max(len(r) for r in rows)
        order = list(range(width))[::-1]
        for r, row in enumerate(rows, start=1):
            row = row + [(None, "General")] * (width - len(row))
            for c, src in enumerate(order, start=1):
                ws.cell(r, c).value, ws.cell(r, c).number_format = row[src]
    return mutate


def reorder_form(wb):
    ws = wb["Uppgifter"]
    rows = [(ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 2).number_format) for r in range(1, 7)][::-1]
    for r, (a, b, fmt) in enumerate(rows, start=1):
        ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 2).number_format = a, b, fmt


def mac_export(wb):
    nfd_values(wb)
    datetimes(wb)
    line_broken_headers(wb)
    rename_sheets_nfd(wb)


def lowercase_sheet_name(d: Path, good: Path) -> Path:
    # openpyxl refuses a rename that only changes case; Excel allows it, so edit workbook.xml.
    return rewrite_parts(lambda n, data: data.replace('name="Aktörer"'.encode(), 'name="aktörer"'.encode())
                         if n == "xl/workbook.xml" else data)(d, good)


def trailing_spaces(wb):
    ws = wb["Aktörer"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 3).value = f" {ws.cell(r, 3).value}  "


def notes_column(wb):
    wb["Insatser"]["J1"] = "Anteckningar"
    wb["Insatser"]["J2"] = "ring Anna om detta"


def serial_date(wb):
    ws = wb["Insatser"]
    v = ws["F2"].value
    ws["F2"] = (datetime(v.year, v.month, v.day) - datetime(1899, 12, 30)).days
    ws["F2"].number_format = "General"


def styled_empty_rows(wb):
    from openpyxl.styles import Border, Side

    thin = Side(style="thin")
    ws = wb["Ekonomi"]
    for r in range(3, 90):
        for c in range(1, 5):
            ws.cell(r, c).border = Border(top=thin, bottom=thin)


def clear_rows(sheet: str):
    def mutate(wb):
        ws = wb[sheet]
        ws.delete_rows(2, ws.max_row)
    return mutate


def copy_row(sheet: str, src: int, dest: int):
    def mutate(wb):
        ws = wb[sheet]
        for a, b in zip(ws[src], ws[dest]):
            b.value = a.value
    return mutate


def actor_rows(n: int):
    """n actor rows, written straight into the sheet XML (openpyxl would take a minute)."""
    def fn(xml: bytes) -> bytes:
        last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', xml))
        rows = []
        for r in range(last + 1, n + 2):
            vals = (f"X{r}", f"Aktör {r}", "Annan", "Regional", "1, 6")
            cells = "".join(f'<c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                            for col, v in zip("ABCDF", vals))
            rows.append(f'<row r="{r}">{cells}</row>')
        xml = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="A1:F{n + 1}"'.encode(), xml)
        return xml.replace(b"</sheetData>", "".join(rows).encode() + b"</sheetData>")
    return in_sheet("Aktörer", fn)


def error_cell(sheet: str, cell: str, err: str):
    def mutate(wb):
        c = wb[sheet][cell]
        c.value = err
        c.data_type = "e"
    return mutate


def huge_text(n: int, sheet: str = "Insatser", cell: str = "D2"):
    """A cell over Excel's limit, written into the XML (openpyxl and Excel cut at 32 767). Random
    words, so the part compresses like real text, not like a bomb."""
    words = ["folkhälsa", "insats", "kommun", "region", "samverkan", "barn", "unga", "äldre", "stöd"]
    rng = random.Random(n)
    parts, size = [], 0
    while size < n:
        w = rng.choice(words) + str(rng.randint(0, 99999))
        parts.append(w)
        size += len(w) + 1
    text = " ".join(parts)[:n].encode()

    def fn(xml: bytes) -> bytes:
        return re.sub(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)'.encode(),
                      lambda m: f'<c r="{cell}" t="inlineStr"><is><t>'.encode() + text + b"</t></is></c>",
                      xml, count=1, flags=re.S)
    return in_sheet(sheet, fn)


def csv_folder(encoding: str = "utf-8-sig"):
    def build(d: Path, good: Path) -> Path:
        folder = _write_csv_return(d / f"lansrapport_{COUNTY}_{YEAR}", good_filled())
        for p in folder.iterdir():  # Excel for Windows: "CSV UTF-8" with a BOM, CRLF
            p.write_bytes(p.read_text("utf-8").replace("\n", "\r\n").encode(encoding))
        return folder
    return build


def rename(new_name: str, mutate: Callable | None = None):
    def build(d: Path, good: Path) -> Path:
        wb = load_workbook(good)
        if mutate:
            mutate(wb)
        out = d / new_name
        wb.save(out)
        return out
    return build


# ------------------------------------------------------------------ raw zip surgery


def rewrite_parts(transform: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None,
                  name: str = NAME):
    """Copy the good workbook part by part through `transform(name, data)`; None drops a part."""
    def build(d: Path, good: Path) -> Path:
        out = d / name
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = transform(info.filename, src.read(info.filename))
                if data is not None:
                    dst.writestr(info.filename, data)
            for k, v in (extra or {}).items():
                dst.writestr(k, v)
        return out
    return build


def sheet_part(good: Path, sheet: str) -> str:
    with zipfile.ZipFile(good) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{sheet}"[^>]*r:id="([^"]+)"', wb).group(1)
    target = re.search(rf'<Relationship[^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else f"xl/{t}"


def in_sheet(sheet: str, fn: Callable[[bytes], bytes]):
    """A raw edit of one sheet's XML."""
    def build(d: Path, good: Path) -> Path:
        part = sheet_part(good, sheet)
        return rewrite_parts(lambda n, data: fn(data) if n == part else data)(d, good)
    return build


def stray_cell(ref: str, value: str = "x"):
    row = re.match(r"[A-Z]+(\d+)", ref).group(1)

    def fn(xml: bytes) -> bytes:
        cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c></row>'.encode()
        xml = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="A1:{ref}"'.encode(), xml)
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")
    return fn


def declared_dimension(ref: str):
    return lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml)


def ref_not_first(xml: bytes) -> bytes:
    """Attributes in another order (<c s=".." r="A1">), as some writers do: still read right."""
    return re.sub(rb'<c r="([A-Z]+\d+)"( [^>]*?)?(/?)>', lambda m: b"<c" + (m.group(2) or b"") +
                  b' r="' + m.group(1) + b'"' + m.group(3) + b">", xml)


def stray_cell_ref_second(ref: str):
    row = re.match(r"[A-Z]+(\d+)", ref).group(1)

    def fn(xml: bytes) -> bytes:
        cell = f'<row r="{row}"><c t="inlineStr" r="{ref}"><is><t>x</t></is></c></row>'.encode()
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")
    return fn


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + b"".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
                             for i in range(1, 10))
                  + b']>\n')


def entity_expansion(part: str):
    def t(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data)
        body = body.replace(b"<t>", b"<t>&lol9;", 1) if b"<t>" in body else body
        return BILLION_LAUGHS + body
    return t


def external_entity(part: str):
    def t(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data)
        body = body.replace(b"<t>", b"<t>&xxe;", 1)
        return b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + body
    return t


def bomb(total_mb: int):
    """A real decompression bomb: one part of `total_mb` MB of spaces, a few hundred KB packed."""
    def build(d: Path, good: Path) -> Path:
        out = rewrite_parts(lambda n, data: data)(d, good)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
            with z.open("xl/media/padding.xml", "w", force_zip64=True) as f:
                block = b" " * (1 << 20)
                for _ in range(total_mb):
                    f.write(block)
        return out
    return build


def ratio_bomb(d: Path, good: Path) -> Path:
    """A sheet padded with 60 MB of whitespace inside its XML: under the total cap, over the ratio."""
    part = sheet_part(good, "Aktörer")
    pad = b" " * (60 << 20)
    return rewrite_parts(lambda n, data: data.replace(b"<sheetData>", b"<sheetData>" + pad) if n == part else data)(d, good)


def many_parts(d: Path, good: Path) -> Path:
    return rewrite_parts(lambda n, data: data, extra={f"xl/media/p{i}.bin": b"x" for i in range(2100)})(d, good)


def raw_bytes(data: bytes, name: str = NAME):
    def build(d: Path, good: Path) -> Path:
        out = d / name
        out.write_bytes(data)
        return out
    return build


def truncated(d: Path, good: Path) -> Path:
    out = d / NAME
    out.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return out


def without_workbook(d: Path, good: Path) -> Path:
    return rewrite_parts(lambda n, data: None if n == "xl/workbook.xml" else data)(d, good)


# ------------------------------------------------------------------ the corpus

V, I, U = 0, 1, 2  # valid, invalid, unreadable
CORPUS: list[tuple[str, Callable, int, set[str]]] = [
    # Valid as people really make them; each normalisation is a note, never an error.
    ("good", edit(lambda wb: None), V, set()),
    ("mac_nfd_sheet_names", edit(rename_sheets_nfd), V, {"sheet_name"}),
    ("mac_nfd_values", edit(nfd_values), V, {"unicode_nfc"}),
    ("datetime_in_date_column", edit(datetimes), V, {"datetime_date"}),
    ("datetime_submitted_on", edit(set_cell("Uppgifter", "B5", datetime(2023, 2, 10, 9, 12, 30))), V, {"datetime_date"}),
    ("lowercase_codes", edit(lowercase_codes), V, {"code_case"}),
    ("uppercase_codes", edit(uppercase_codes), V, {"code_case"}),
    ("line_broken_headers", edit(line_broken_headers), V, {"header_whitespace"}),
    ("reordered_actor_columns", edit(reorder_columns("Aktörer")), V, set()),
    ("reordered_activity_columns", edit(reorder_columns("Insatser")), V, set()),
    ("reordered_finance_columns", edit(reorder_columns("Ekonomi")), V, set()),
    ("reordered_form_rows", edit(reorder_form), V, set()),
    ("mac_export_all_at_once", edit(mac_export), V, {"sheet_name", "unicode_nfc", "datetime_date", "header_whitespace"}),
    ("lowercase_sheet_name", lowercase_sheet_name, V, {"sheet_name"}),
    ("trailing_spaces_in_codes", edit(trailing_spaces), V, set()),
    ("notes_column_beside_table", edit(notes_column), V, set()),
    ("excel_serial_date", edit(serial_date), V, set()),
    ("styled_empty_rows", edit(styled_empty_rows), V, set()),
    ("amount_text_spaces", edit(amount_text(lambda g: f"{g:,}".replace(",", " "))), V, set()),
    ("amount_text_kr", edit(amount_text(lambda g: f"{g:,} kr".replace(",", " "))), V, set()),
    ("amount_text_decimals", edit(amount_text(lambda g: f"{g:,},00".replace(",", " ", 1) if g < 10**6 else f"{g},00")), V, set()),
    ("amount_text_colon_dash", edit(amount_text(lambda g: f"{g:,}:-".replace(",", " "))), V, set()),
    ("amount_text_plain", edit(amount_text(lambda g: str(g))), V, set()),
    ("amount_text_nbsp", edit(amount_text(lambda g: f"{g:,}".replace(",", "\u00a0"))), V, set()),
    ("template_version_2022", edit(set_cell("Uppgifter", "B6", "2022.1")), V, set()),
    ("cell_ref_not_first_attribute", in_sheet("Aktörer", ref_not_first), V, set()),
    ("csv_folder_windows_bom_crlf", csv_folder(), V, set()),
    ("empty_needs_is_a_warning", edit(clear_rows("Behov")), V, {"empty_table"}),
    ("repaid_mismatch_is_a_warning", edit(set_cell("Ekonomi", "C2", 1)), V, {"repaid_mismatch"}),
    ("grant_differs_is_a_warning", edit(lambda wb: (wb["Ekonomi"].__setitem__("A2", _granted(wb) + 1000),
                                                    wb["Ekonomi"].__setitem__("C2", wb["Ekonomi"]["C2"].value + 1000))),
     V, {"grant_differs"}),
    # Defects that used to land silently, or that a person must fix.
    ("amount_dot_thousands", edit(set_cell("Ekonomi", "A2", "630.000")), I, {"ambiguous_amount"}),
    ("amount_mkr", edit(set_cell("Ekonomi", "A2", "6,3 mkr")), I, {"ambiguous_amount"}),
    ("amount_comma_thousands", edit(set_cell("Insatser", "G2", "15,000")), I, {"ambiguous_amount"}),
    ("amount_words", edit(set_cell("Ekonomi", "A2", "sexhundratusen")), I, {"not_a_number"}),
    ("sheet_year_2021_in_2022_file", edit(set_cell("Uppgifter", "B2", 2021)), I, {"year_mismatch"}),
    ("county_not_file_county", edit(set_cell("Uppgifter", "B1", "25")), I, {"county_mismatch"}),
    ("empty_ekonomi", edit(clear_rows("Ekonomi")), I, {"empty_required_table"}),
    ("missing_ekonomi_sheet", edit(lambda wb: wb.remove(wb["Ekonomi"])), I, {"missing_sheet"}),
    ("two_finance_rows", edit(copy_row("Ekonomi", 2, 3)), I, {"too_many_rows"}),
    ("actors_100000_rows", actor_rows(100_000), I, {"too_many_rows"}),
    ("actors_10001_rows", actor_rows(10_001), I, {"too_many_rows"}),
    ("text_cell_10_mb", huge_text(10 * 1024 * 1024), I, {"cell_too_long"}),
    ("text_cell_40000_chars", huge_text(40_000, "Aktörer", "B2"), I, {"cell_too_long"}),
    ("stray_cell_XFD1048576", in_sheet("Aktörer", stray_cell("XFD1048576")), I, {"outside_template"}),
    ("stray_cell_A1048576", in_sheet("Insatser", stray_cell("A1048576")), I, {"too_many_rows"}),
    ("stray_cell_AA2_in_form", in_sheet("Uppgifter", stray_cell("AA2")), I, {"outside_template"}),
    ("stray_cell_ekonomi_row_500", in_sheet("Ekonomi", stray_cell("A500")), I, {"too_many_rows"}),
    ("declared_dimension_whole_sheet", in_sheet("Behov", declared_dimension("A1:XFD1048576")), I, {"outside_template"}),
    ("stray_cell_ref_second", in_sheet("Aktörer", stray_cell_ref_second("XFD7")), I, {"outside_template"}),
    ("unknown_actor_type", edit(set_cell("Aktörer", "C2", "Kommunen")), I, {"code_list"}),
    ("target_area_9", edit(set_cell("Insatser", "B2", 9)), I, {"target_area"}),
    ("date_before_year", edit(set_cell("Insatser", "F2", datetime(2021, 12, 31))), I, {"date_range"}),
    ("impossible_date", edit(set_cell("Insatser", "F2", "2022-02-30")), I, {"date_format"}),
    ("required_empty", edit(set_cell("Insatser", "D2", None)), I, {"required"}),
    ("duplicate_actor_id", edit(set_cell("Aktörer", "A3", "A1")), I, {"duplicate_id"}),
    ("kommun_in_other_county", edit(set_cell("Aktörer", "E2", "0180")), I, {"municipality_code"}),
    ("negative_amount", edit(set_cell("Ekonomi", "B2", -100)), I, {"negative"}),
    ("ref_error", edit(error_cell("Ekonomi", "B2", "#REF!")), I, {"excel_error"}),
    ("wrong_template_version", edit(set_cell("Uppgifter", "B6", "2019.1")), I, {"template_version"}),
    ("header_shifted_down", edit(lambda wb: wb["Insatser"].insert_rows(1)), I, {"shifted_header"}),
    ("blank_row_inside_table", edit(lambda wb: [setattr(c, "value", None) for c in wb["Insatser"][3]]), I, {"blank_row"}),
    ("bad_email", edit(set_cell("Uppgifter", "B4", "anna.andersson")), I, {"email"}),
    ("used_exceeds_granted", edit(set_cell("Ekonomi", "B2", 2_000_000)), I, {"used_exceeds_granted"}),
    ("unknown_county", edit(set_cell("Uppgifter", "B1", "99")), I, {"county_code"}),
    # Hostile or broken files: refused before any sheet is parsed.
    ("decompression_bomb_300_mb", bomb(300), U, set()),
    ("ratio_bomb_in_sheet", ratio_bomb, U, set()),
    ("billion_laughs_styles", rewrite_parts(entity_expansion("xl/styles.xml")), U, set()),
    ("billion_laughs_workbook", rewrite_parts(entity_expansion("xl/workbook.xml")), U, set()),
    ("external_entity_in_sheet", lambda d, g: rewrite_parts(external_entity(sheet_part(g, "Aktörer")))(d, g), U, set()),
    ("dtd_in_content_types", rewrite_parts(lambda n, data: b'<?xml version="1.0"?><!DOCTYPE Types SYSTEM "http://example.invalid/t.dtd">' + re.sub(rb"^<\?xml[^>]*\?>", b"", data) if n == "[Content_Types].xml" else data), U, set()),
    ("too_many_zip_parts", many_parts, U, set()),
    ("text_file_named_xlsx", raw_bytes("Länskod;År\n24;2022\n".encode()), U, set()),
    ("empty_file", raw_bytes(b""), U, set()),
    ("truncated_download", truncated, U, set()),
    ("encrypted_ole", raw_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000), U, set()),
    ("zip_without_workbook", without_workbook, U, set()),
    ("old_xls_extension", raw_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, f"lansrapport_{COUNTY}_{YEAR}.xls"), U, set()),
]

# Files that check_return rejects for their content keep these rules; the unreadable ones, 'unreadable'.
HOSTILE = {"decompression_bomb_300_mb", "ratio_bomb_in_sheet", "billion_laughs_styles",
           "billion_laughs_workbook", "external_entity_in_sheet", "dtd_in_content_types", "stray_cell_XFD1048576",
           "stray_cell_A1048576", "declared_dimension_whole_sheet", "text_cell_10_mb", "actors_100000_rows"}


def write_corpus(root: Path) -> dict[str, Path]:
    """Every corpus file under root/<name>/, named like a real return."""
    good = write_good(root / "_good" / NAME)
    out = {}
    for name, build, _, _ in CORPUS:
        d = root / name
        d.mkdir(parents=True, exist_ok=True)
        out[name] = build(d, good)
    return out
