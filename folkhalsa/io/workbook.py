"""Read spreadsheet-like inputs as grids of strings, keeping true row/column positions.

fastexcel (calamine) trims each sheet to its used range and turns Excel error cells into nulls.
Users need real cell addresses in error messages, so we recover the range origin from the sheet
XML and the error cells from fastexcel's error report.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from folkhalsa.io.text import InputFormatError, decode_text, sniff_separator

EXCEL_ERRORS = {
    "Div0": "#DIV/0!", "Ref": "#REF!", "Value": "#VALUE!", "NA": "#N/A", "Name": "#NAME?",
    "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA",
}
EXCEL_ERROR_TEXTS = frozenset(EXCEL_ERRORS.values())
# Whitespace at the start or end of any value in a column joined with NULs.
_EDGE_SPACE = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")


class UnreadableFile(Exception):
    """The file cannot be read at all (not xlsx/csv, corrupt, encrypted or empty)."""


@dataclass
class Grid:
    """One sheet as strings: cell (r, c) is at Excel row r+1+row0, column c+1+col0.

    Held as Python rows, because validation walks cells one by one and sheets are small: Polars'
    per-call cost is larger than the work on a 50-row sheet. `frame` gives a Polars view.
    """
    name: str
    rows: list[list[str | None]]
    row0: int = 0
    col0: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (r, c) in grid coords -> "#REF!"
    file_name: str = ""  # the sheet's name as written in the file (NFD on a Mac, other case)
    nfc_changed: dict[tuple[int, int], str] = field(default_factory=dict)  # (r, c) -> value before NFC
    too_long: dict[tuple[int, int], int] = field(default_factory=dict)     # (r, c) -> characters

    @classmethod
    def from_rows(cls, name: str, rows: list[list], cell_text: int = 32_767, **kw) -> "Grid":
        """Trim cells, blank strings are empty, text in Unicode NFC; a cell over Excel's text limit
        is noted and emptied, so no rule walks megabytes of text. One linear pass."""
        grid = cls(name, [], **kw)
        width = max(map(len, rows), default=0)
        columns = [[r[c] if c < len(r) else None for r in rows] for c in range(width)] if rows else []
        grid.rows = list(zip(*(grid._tidy_column(c, [None if v is None else str(v) for v in col], cell_text)
                               for c, col in enumerate(columns))))
        return grid

    @classmethod
    def from_arrow(cls, name: str, table, cell_text: int = 32_767, **kw) -> "Grid":
        """The same tidying as from_rows, for calamine's columns of strings."""
        grid = cls(name, [], **kw)
        columns = [grid._tidy_column(c, col.to_pylist(), cell_text)
                   for c, col in enumerate(table.columns if table.num_rows else [])]
        grid.rows = list(zip(*columns))  # tuples: validation only reads them
        return grid

    def _tidy_column(self, c: int, values: list, cell_text: int) -> list:
        """Trim, blanks to None, NFC, text limit. The usual column (trimmed ASCII, short) is
        recognised by C-level checks on the joined column, and returned as it is."""
        present = [v for v in values if v is not None]
        if not present:
            return values
        stripped = list(map(str.strip, present))
        if stripped != present or "" in stripped:
            values = [(v.strip() or None) if v is not None else None for v in values]
            present = [v for v in values if v is not None]
        joined = "".join(present)
        if present and max(map(len, present)) > cell_text:
            for r, v in enumerate(values):
                if v and len(v) > cell_text:
                    self.too_long[(r, c)] = len(v)
                    values[r] = None
            joined = "".join(v for v in values if v is not None)
        if not joined.isascii():
            for r, v in enumerate(values):
                if v and not v.isascii():
                    n = unicodedata.normalize("NFC", v)
                    if n != v:
                        self.nfc_changed[(r, c)] = v
                        values[r] = n
        return values

    @property
    def frame(self) -> pl.DataFrame:
        width = len(self.rows[0]) if self.rows else 0
        return pl.DataFrame(self.rows, schema={f"c{i}": pl.Utf8 for i in range(width)}, orient="row")

    def excel_row(self, r: int) -> int:
        return r + 1 + self.row0

    def excel_col(self, c: int) -> str:
        return column_letter(c + 1 + self.col0)

    def cell(self, r: int, c: int) -> str | None:
        rows = self.rows
        if r < len(rows) and c < len(rows[r]):
            return rows[r][c]
        return None


def column_letter(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


# ---------------------------------------------------------------- resource caps, before parsing
#
# calamine sizes a sheet from its cells and its declared dimension, so one stray value in XFD1048576
# makes it allocate hundreds of GB. Everything here reads the zip directory and streams the XML in
# chunks, so a hostile workbook is refused before any sheet is parsed.


@dataclass(frozen=True)
class SheetLimits:
    last_row: int      # the last Excel row that may hold a value
    last_column: int   # the last column number (26 = Z) that may hold a value


@dataclass(frozen=True)
class Limits:
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: float = 200.0
    max_parts: int = 2_000
    cell_text: int = 32_767
    sheets: dict = field(default_factory=dict)          # sheet name -> SheetLimits
    default_sheet: SheetLimits = SheetLimits(10_101, 26)


@dataclass
class Refusal:
    """A sheet that was not parsed because values lie outside the template's area."""
    sheet: str
    rule: str               # too_many_rows | outside_template
    row: int | None
    column: str | None
    detail: str


class WorkbookRead(tuple):
    """(grids by name, all sheet names, refusals); indexable like the old (grids, names) pair."""

    def __new__(cls, grids, names, refusals=()):
        return super().__new__(cls, (grids, names, list(refusals)))

    grids = property(lambda self: self[0])
    names = property(lambda self: self[1])
    refusals = property(lambda self: self[2])


_CHUNK = 1 << 20
_PROLOG_BYTES = 1 << 16
# A cell start tag with its reference; a self-closing tag (<c r="B2" s="1"/>) holds no value.
_CELL_TAG = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(/?)>')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]{1,3})?(\d{1,7})?:?([A-Z]{1,3})?(\d{1,7})?"')
_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _refuse(sv: str, en: str) -> UnreadableFile:
    return UnreadableFile(f"{sv} / {en}")


def check_zip_directory(z: zipfile.ZipFile, limits: Limits) -> None:
    """Reject a decompression bomb from the zip directory alone: no part is unpacked."""
    infos = z.infolist()
    if len(infos) > limits.max_parts:
        raise _refuse(f"för många delar i zip-filen ({len(infos)})", f"too many zip members ({len(infos)})")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise _refuse(f"uppackad storlek {total / 2**20:.0f} MB är över gränsen {limits.max_uncompressed / 2**20:.0f} MB",
                      f"unpacked size {total / 2**20:.0f} MB exceeds the limit of "
                      f"{limits.max_uncompressed / 2**20:.0f} MB (decompression bomb?)")
    for i in infos:
        if i.file_size > 1 << 20 and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise _refuse(f"delen {i.filename} packas upp {i.file_size // max(i.compress_size, 1)} gånger "
                          f"(gräns {limits.max_ratio:.0f})",
                          f"part {i.filename} unpacks {i.file_size // max(i.compress_size, 1)}-fold "
                          f"(limit {limits.max_ratio:.0f}; decompression bomb?)")


def check_xml_prologs(z: zipfile.ZipFile) -> None:
    """Refuse any DTD or entity declaration (entity expansion, external entities). A DTD can only
    stand before the root element, so the first 64 KB of each part are enough."""
    for i in z.infolist():
        if not i.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with z.open(i) as f:
            head = f.read(4096)
            if not _ROOT_ELEMENT.search(head):
                head += f.read(_PROLOG_BYTES)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = head.decode("utf-16", "replace").encode("utf-8")
        root = _ROOT_ELEMENT.search(head)
        prolog = head[: root.start()] if root else head
        if _DTD.search(prolog):
            raise _refuse(f"delen {i.filename} innehåller en DTD/entitetsdeklaration, vilket inte tillåts",
                          f"part {i.filename} declares a DTD or entities, which are refused "
                          "(entity expansion / external entity)")


@dataclass
class SheetScan:
    row0: int = 0
    col0: int = 0
    last_row: int = 0
    last_col: int = 0
    last_cell: str = ""    # the value cell with the largest row, for messages
    wide_cell: str = ""    # the value cell with the largest column
    declared: str = ""     # the <dimension ref>, if any
    declared_rows: int = 0
    declared_cols: int = 0


def _chunks(f, max_tag: int = 1 << 16):
    """The XML in 1 MB pieces, each cut before a tag it would end inside: never the whole part."""
    carry = b""
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            if carry:
                yield carry
            return
        buf = carry + chunk
        carry = b""
        cut = buf.rfind(b"<")
        if cut != -1 and buf.find(b">", cut) == -1:
            buf, carry = buf[:cut], buf[cut:]
            if len(carry) > max_tag:
                raise _refuse("ett XML-element är orimligt stort", "an XML tag is unreasonably large")
        yield buf


# The fast pass counts rows by their tags and looks only for the unusual: a cell in column AA or
# beyond, a cell tag without its reference first, a namespace prefix. Only then does the exact
# pass, which finds every value cell, run.
_ROW_TAG = re.compile(rb'<row r="(\d{1,7})"')
_WIDE_CELL = re.compile(rb'<c r="[A-Z]{2}')
_CELL_REF_NOT_FIRST = re.compile(rb'<c (?!r=")')
_FIRST_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>]*?(?<!/)>')
_VALUE_IN_COLUMN_A = re.compile(rb'<c r="A\d+"[^>]*?(?<!/)>')


def scan_sheet(open_part, limits: SheetLimits | None = None) -> SheetScan:
    """Where a sheet's value cells lie and what it declares, from streamed XML.

    `open_part()` opens the part for reading; it is called again for the exact pass."""
    scan = SheetScan()
    lim = limits or SheetLimits(10**7, 16384)
    last_row, row0, col_a, unusual, first = 0, None, False, False, True
    with open_part() as f:
        for buf in _chunks(f):
            if first:
                first = False
                _read_dimension(scan, buf)
            if row0 is None:
                m = _FIRST_VALUE_CELL.search(buf)
                if m:
                    row0 = int(m.group(2)) - 1
            col_a = col_a or _VALUE_IN_COLUMN_A.search(buf) is not None
            # Self-closing (formatted, empty) rows count too: a high one only triggers the exact pass.
            rows = _ROW_TAG.findall(buf)
            if rows:
                last_row = max(last_row, max(map(int, rows)))
            if (_WIDE_CELL.search(buf) or _CELL_REF_NOT_FIRST.search(buf) or b":c " in buf
                    or b"<row" in buf and buf.count(b"<row ") != len(rows)):
                unusual = True
            if unusual or last_row > lim.last_row:
                break  # the exact pass decides
    if unusual or not col_a or last_row > lim.last_row:
        with open_part() as f:
            return _exact_scan(f, scan, lim)
    scan.row0, scan.col0 = row0 or 0, 0
    scan.last_row = last_row
    return scan


def _read_dimension(scan: SheetScan, buf: bytes) -> None:
    d = _DIMENSION.search(buf)
    if d:
        scan.declared = d.group(0).split(b'ref="')[1].rstrip(b'"').decode()
        end_col, end_row = d.group(3) or d.group(1), d.group(4) or d.group(2)
        scan.declared_cols = _col_number(end_col.decode()) if end_col else 0
        scan.declared_rows = int(end_row) if end_row else 0


def _exact_scan(f, scan: SheetScan, lim: SheetLimits) -> SheetScan:
    """Every value cell, wherever its reference stands in the tag; stops at the first chunk with a
    value outside the limits, since the sheet is refused then anyway."""
    rows_min, cols_min = None, None
    for buf in _chunks(f):
        if scan.last_row > lim.last_row or scan.last_col > lim.last_column:
            break
        cells = [(c, r) for c, r, closed in _CELL_TAG.findall(buf) if not closed]
        if not cells:
            continue
        rows = [int(r) for _, r in cells]
        top, bottom = min(rows), max(rows)
        if rows_min is None or top < rows_min:
            rows_min = top
        if bottom > scan.last_row:
            scan.last_row = bottom
            c, r = cells[rows.index(bottom)]
            scan.last_cell = f"{c.decode()}{r.decode()}"
        for letters in {c for c, _ in cells}:
            n = _col_number(letters.decode())
            if cols_min is None or n < cols_min:
                cols_min = n
            if n > scan.last_col:
                scan.last_col = n
                c, r = next(x for x in cells if x[0] == letters)
                scan.wide_cell = f"{c.decode()}{r.decode()}"
    scan.row0 = (rows_min or 1) - 1
    scan.col0 = (cols_min or 1) - 1
    return scan


def refusal_for(name: str, scan: SheetScan, lim: SheetLimits) -> Refusal | None:
    """Why a sheet must not be parsed, or None. A declared dimension counts when it is far beyond."""
    area = f"A1:{column_letter(lim.last_column)}{lim.last_row}"
    if scan.last_col > lim.last_column:
        return Refusal(name, "outside_template", None, scan.wide_cell,
                       f"cell {scan.wide_cell} ligger utanför mallens område {area} / lies outside the template's area")
    if scan.last_row > lim.last_row:
        return Refusal(name, "too_many_rows", scan.last_row, None,
                       f"värden minst ned till rad/values at least down to row {scan.last_row} (cell {scan.last_cell}); "
                       f"mallen rymmer rad/the template holds rows 1–{lim.last_row}")
    if scan.declared_rows > 2 * lim.last_row or scan.declared_cols > 2 * lim.last_column:
        return Refusal(name, "outside_template", None, None,
                       f"angiven storlek/declared dimension {scan.declared} är långt större än mallens område/"
                       f"is far beyond the template's area {area}")
    return None


def _sheet_members(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name (NFC) -> zip member of its XML."""
    wb = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {m.group(1): m.group(2) for m in re.finditer(
        r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m.group(2): m.group(1) for m in re.finditer(
        r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r'<(?:\w+:)?sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', wb):
        target = targets.get(m.group(2), "")
        out[nfc(_xml_unescape(m.group(1)))] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _xml_unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
             .replace("&apos;", "'").replace("&amp;", "&"))


def nfc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFC", s)


def match_sheet_names(wanted: list[str], names: list[str]) -> dict[str, str]:
    """Wanted sheet name -> the name in the file: exact, else NFC, else NFC and case-insensitive."""
    exact = set(names)
    by_nfc = {nfc(n): n for n in names}
    by_fold = {nfc(n).casefold().strip(): n for n in names}
    out = {}
    for w in wanted:
        found = w if w in exact else by_nfc.get(w) or by_fold.get(w.casefold())
        if found is not None:
            out[w] = found
    return out


def read_xlsx(path: Path, sheets: list[str], limits: Limits | None = None) -> WorkbookRead:
    """Read the named sheets that exist, within the limits. Returns (grids by wanted name, all sheet
    names in the file, sheets refused for their size). Raises UnreadableFile for a file that is not
    an xlsx, corrupt, encrypted, a decompression bomb or declares XML entities."""
    import fastexcel

    limits = limits or Limits()
    try:
        data = path.read_bytes()
        if not data:
            raise UnreadableFile("filen är tom / the file is empty")
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise UnreadableFile("filen är krypterad eller i gammalt .xls-format / "
                                 "the file is encrypted or in the old .xls format")
        if data[:2] != b"PK":
            raise UnreadableFile("filen är inte en xlsx-fil / the file is not an xlsx file")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            check_zip_directory(z, limits)
            check_xml_prologs(z)
            members = _sheet_members(z)
            scans = {}
            for name in sheets:
                member = members.get(name) or members.get(next(
                    (n for n in members if n.casefold() == name.casefold()), ""))
                if member and member in z.NameToInfo:
                    scans[name] = scan_sheet(lambda m=member: z.open(m),
                                             limits.sheets.get(name, limits.default_sheet))
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
    except UnreadableFile:
        raise
    except Exception as e:  # calamine/zip raise many types for corrupt files
        raise UnreadableFile(f"filen kan inte öppnas som xlsx / cannot open as xlsx ({type(e).__name__})") from None
    grids, refusals = {}, []
    for want, name in match_sheet_names(sheets, names).items():
        scan = scans.get(want, SheetScan())
        refusal = refusal_for(want, scan, limits.sheets.get(want, limits.default_sheet))
        if refusal:
            refusals.append(refusal)
            continue
        grids[want] = _load_sheet(reader, name, want, scan, limits.cell_text)
    return WorkbookRead(grids, names, refusals)


def _load_sheet(reader, name: str, want: str, scan: SheetScan, cell_text: int) -> Grid:
    try:
        sheet = reader.load_sheet_by_name(name, header_row=None, dtypes="string")
        table, errs = sheet.to_arrow_with_errors()
    except Exception as e:
        raise UnreadableFile(f"fliken {name} kan inte läsas / sheet {name} cannot be read "
                             f"({type(e).__name__})") from None
    errors = {}
    for err in (errs.errors if errs else []):
        m = re.search(r"Error\((\w+)\)", err.detail)
        errors[tuple(err.position)] = EXCEL_ERRORS.get(m.group(1), "#ERROR") if m else "#ERROR"
    return Grid.from_arrow(want, table, cell_text, row0=scan.row0, col0=scan.col0, errors=errors, file_name=name)


def _clean(v) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def read_csv_grid(path: Path, name: str) -> Grid:
    try:
        text, _ = decode_text(path.read_bytes(), path.name)
        sep = sniff_separator(text, path.name)
    except InputFormatError as e:
        raise UnreadableFile(str(e)) from None
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        rows = [[_clean(v) for v in r] for r in reader]
    except csv.Error as e:
        raise UnreadableFile(f"{path.name}, rad/line {reader.line_num}: felaktig csv / malformed csv ({e})") from None
    # csv.reader gives [] for blank lines; keep them as blank rows so row numbers stay true.
    return Grid.from_rows(name, rows)


def read_csv_folder(path: Path, sheets: list[str]) -> tuple[dict[str, Grid], list[str]]:
    """A return as a folder of CSV files, one per sheet, named like the sheets (Aktörer.csv ...)."""
    files = {p.stem: p for p in path.iterdir() if p.suffix.lower() == ".csv"}
    if not files:
        raise UnreadableFile("mappen innehåller inga csv-filer / the folder holds no csv files")
    by_lower = {k.casefold(): v for k, v in files.items()}
    grids = {}
    for name in sheets:
        p = files.get(name) or by_lower.get(name.casefold())
        if p is not None:
            grids[name] = read_csv_grid(p, name)
            grids[name].file_name = p.stem
    return WorkbookRead(grids, sorted(files))
