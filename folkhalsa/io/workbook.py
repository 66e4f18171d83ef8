"""Read spreadsheet-like inputs as grids of strings, keeping true row/column positions.

fastexcel (calamine) trims each sheet to its used range and turns Excel error cells into nulls.
Users need real cell addresses in error messages, so we recover the range origin from the sheet
XML and the error cells from fastexcel's error report.
"""
from __future__ import annotations

import csv
import io
import re
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


class UnreadableFile(Exception):
    """The file cannot be read at all (not xlsx/csv, corrupt, encrypted or empty)."""


@dataclass
class Grid:
    """One sheet as strings: cell (r, c) is at Excel row r+1+row0, column c+1+col0.

    Reading keeps the sheet as a Polars frame; validation, which walks cells one by one, gets
    Python rows on first use.
    """
    name: str
    frame: pl.DataFrame
    row0: int = 0
    col0: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (r, c) in grid coords -> "#REF!"
    _rows: list[list[str | None]] | None = field(default=None, repr=False)

    @classmethod
    def from_rows(cls, name: str, rows: list[list[str | None]], **kw) -> "Grid":
        width = max((len(r) for r in rows), default=0)
        padded = [list(r) + [None] * (width - len(r)) for r in rows]
        frame = pl.DataFrame(padded, schema=[f"c{i}" for i in range(width)], orient="row") if width else pl.DataFrame()
        return cls(name, frame, _rows=padded, **kw)

    @property
    def rows(self) -> list[list[str | None]]:
        if self._rows is None:
            self._rows = [list(r) for r in self.frame.rows()]
        return self._rows

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


_CELL_WITH_VALUE = re.compile(rb'<(?:\w+:)?c r="([A-Z]+)(\d+)"[^>]*?>\s*<(?:\w+:)?(?:v|is|f)\b')
_VALUE_IN_COLUMN_A = re.compile(rb'<(?:\w+:)?c r="A\d+"[^>]*?>\s*<(?:\w+:)?(?:v|is|f)\b')


def _origin(xml: bytes) -> tuple[int, int]:
    """(row0, col0) of the cells with values, as calamine trims them. Rows come in order, so the
    first value cell gives the row; column A is the usual answer, so look for it before scanning."""
    first = _CELL_WITH_VALUE.search(xml)
    if first is None:
        return 0, 0
    if _VALUE_IN_COLUMN_A.search(xml):
        col0 = 0
    else:
        col0 = min(_col_number(m.group(1).decode()) for m in _CELL_WITH_VALUE.finditer(xml)) - 1
    return int(first.group(2)) - 1, col0


def _sheet_origins(path: Path, wanted: list[str]) -> dict[str, tuple[int, int]]:
    """Top-left (row0, col0), zero-based, of the wanted sheets' used ranges, read from the XML."""
    origins: dict[str, tuple[int, int]] = {}
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        targets = {m.group(1): m.group(2) for m in re.finditer(
            r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
        targets.update({m.group(2): m.group(1) for m in re.finditer(
            r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
        for m in re.finditer(r'<(?:\w+:)?sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', wb):
            name = _xml_unescape(m.group(1))
            if name not in wanted:
                continue
            target = targets.get(m.group(2), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                xml = z.read(member)
            except KeyError:
                continue
            origins[name] = _origin(xml)
    return origins


def _xml_unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
             .replace("&apos;", "'").replace("&amp;", "&"))


def read_xlsx(path: Path, sheets: list[str]) -> tuple[dict[str, Grid], list[str]]:
    """Read the named sheets that exist. Returns (grids by name, all sheet names in the file)."""
    import fastexcel

    try:
        data = path.read_bytes()
        if not data:
            raise UnreadableFile("filen är tom / the file is empty")
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise UnreadableFile("filen är krypterad eller i gammalt .xls-format / "
                                 "the file is encrypted or in the old .xls format")
        if data[:2] != b"PK":
            raise UnreadableFile("filen är inte en xlsx-fil / the file is not an xlsx file")
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
        origins = _sheet_origins(path, sheets)
    except UnreadableFile:
        raise
    except Exception as e:  # calamine/zip raise many types for corrupt files
        raise UnreadableFile(f"filen kan inte öppnas som xlsx / cannot open as xlsx ({type(e).__name__})") from None
    grids = {}
    for name in sheets:
        if name not in names:
            continue
        try:
            sheet = reader.load_sheet_by_name(name, header_row=None, dtypes="string")
            table, errs = sheet.to_arrow_with_errors()
        except Exception as e:
            raise UnreadableFile(f"fliken {name} kan inte läsas / sheet {name} cannot be read "
                                 f"({type(e).__name__})") from None
        df = pl.from_arrow(table) if table.num_rows else pl.DataFrame()
        # Trim cells and treat blank strings as empty, column-wise in Polars.
        df = df.select(pl.col(c).str.strip_chars().replace("", None) for c in df.columns) if df.width else df
        errors = {}
        for err in (errs.errors if errs else []):
            m = re.search(r"Error\((\w+)\)", err.detail)
            errors[tuple(err.position)] = EXCEL_ERRORS.get(m.group(1), "#ERROR") if m else "#ERROR"
        row0, col0 = origins.get(name, (0, 0))
        grids[name] = Grid(name, df, row0, col0, errors)
    return grids, names


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
    return grids, sorted(files)
