"""County returns (länsrapporter): read, validate and land.

`check_return` is exactly the validation the pipeline runs; `folkhalsa check-return` calls it too.
The format comes from folkhalsa.schemas.lansrapport.
"""
from __future__ import annotations

import functools
import json
import math
import re
from typing import Callable
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from folkhalsa import privacy, reference
from folkhalsa.issues import InputError, Issue
from folkhalsa.landing import (
    LandingSource, LandResult, Parsed, batch_id_for, land_files, read_manifest, sha256_file, utc_now, write_batch,
)
from folkhalsa.schemas import lansrapport
from folkhalsa.schemas.lansrapport import (
    ACCEPTED_TEMPLATE_VERSIONS, AMOUNT_FORMS, CATALOGUE, CELL_TEXT_LIMIT, CODE_LISTS, LAST_COLUMN,
    MAX_COMPRESSION_RATIO, MAX_PARTS, MAX_UNCOMPRESSED_BYTES, RULES, SHEETS, TEMPLATE_VERSIONS, UPPGIFTER, Column,
    Sheet, TemplateVersion, foreign_columns, template_version,
)
from folkhalsa.io.workbook import (
    EXCEL_ERROR_TEXTS, Grid, Limits, SheetLimits, UnreadableFile, nfc, read_csv_folder, read_xlsx,
)

SOURCE = lansrapport.SOURCE
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FILENAME_PATTERN = re.compile(r"(?<!\d)(\d{2})[_\- ](20\d{2})(?!\d)")


def _shown(value: str | None, limit: int = 200) -> str | None:
    """A value as messages show it: never megabytes of text."""
    if value is None or len(value) <= limit:
        return value
    return value[:limit] + f"… ({len(value)} tecken/characters)"


@dataclass
class ParsedReturn:
    path: Path
    sha256: str
    county_code: str | None = None
    year: int | None = None
    template_version: str | None = None  # the version the return was validated by
    submission: dict = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def notes(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "normalised"]

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- value parsing

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# Swedish amounts: space (or none) between thousands, comma before at most two decimals, an optional
# 'kr', 'SEK' or ':-'. A dot is only a decimal point as a numeric cell writes it (598500.5).
_SWEDISH_AMOUNT = re.compile(r"(-?)(\d{1,3}(?: \d{3})+|\d+)(?:,(\d{1,2}))?(?: ?(?:kr\.?|sek|:-))?", re.I)
_CELL_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS_DOT = re.compile(r"-?\d{1,3}(?:\.\d{3})+")
# Looks like a number meant as an amount, but not in an accepted form ('630.000', '6,3 mkr', '1.000,5').
_NUMBER_LIKE = re.compile(r"-?[\d .,]*\d[\d .,]*(?: ?(?:kr\.?|sek|:-|tkr|mkr|miljoner|tusen))?", re.I)
AMOUNT_HINT = "godkända former/accepted forms: " + "; ".join(AMOUNT_FORMS)


def parse_amount(s: str) -> float | None:
    """An unambiguous Swedish amount ('630 000', '630 000 kr', '630000', '630 000,00', '630 000:-'),
    or the text of a numeric cell ('598500.5'). None for anything else, '630.000' included."""
    t = _SPACES.sub(" ", s).strip()
    m = _SWEDISH_AMOUNT.fullmatch(t)
    if m:
        v = float(m[2].replace(" ", "") + (f".{m[3]}" if m[3] else ""))
        v = -v if m[1] else v
    elif _CELL_NUMBER.fullmatch(t) and not _THOUSANDS_DOT.fullmatch(t):
        v = float(t)
    else:
        return None
    return v if math.isfinite(v) else None


def parse_int(s: str) -> int | None:
    v = parse_amount(s)
    return int(v) if v is not None and v == int(v) else None


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")


def parse_date(s: str) -> tuple[date | None, bool]:
    """(date, had a time of day). A date-time keeps its date; an Excel serial that lost its date
    format is a date too."""
    m = _DATE.fullmatch(s)
    if m:
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None, False
        return d, any(x not in (None, "00") for x in (m[4], m[5], m[6]))
    if re.fullmatch(r"\d{5}(\.\d+)?", s):
        days = float(s)
        return date(1899, 12, 30) + timedelta(days=int(days)), days != int(days)
    return None, False


def split_codes(s: str) -> list[str]:
    return [p for p in re.split(r"[,;\s]+", s) if p]


def header_key(s: str | None) -> str:
    """A header as compared: NFC, whitespace and line breaks collapsed, case folded."""
    return " ".join(nfc(s or "").split()).casefold()


# Code list -> {folded value: canonical value}, so 'kommun' is read as 'Kommun'.
_CANONICAL = {name: {nfc(v).casefold(): v for v in values} for name, values in CODE_LISTS.items()}


# ---------------------------------------------------------------- validation

class _Checker:
    """Validates one return; collects issues instead of raising, so every problem is reported."""

    def __init__(self, path: Path, display_name: str):
        self.path = path
        self.file = display_name
        self.issues: list[Issue] = []
        self.county: str | None = None
        self.year: int | None = None
        self.form_rows: dict[str, int] = {}  # Uppgifter field -> Excel row, for later messages
        # Normalisation notes, one per (rule, sheet, column, value): a Mac file's thousand NFD cells
        # are one note with a count, not a thousand lines.
        self._notes: dict[tuple, list] = {}
        # Converted values by (sheet, field, raw): most cells repeat (codes, areas, kommun codes).
        self._memo: dict[tuple, tuple] = {}

    def add(self, rule: str, sheet: Sheet | None = None, row: int | None = None,
            column: str | None = None, value: str | None = None, detail: str = "") -> None:
        self.issues.append(CATALOGUE.issue(rule, file=self.file, sheet=sheet.name if sheet else None, row=row,
                                           column=column, value=_shown(value), detail=detail))

    def note(self, rule: str, sheet: Sheet, row: int | None, column: str | None, value: str, now: str) -> None:
        key = (rule, sheet.name, column, value)
        seen = self._notes.get(key)
        if seen:
            seen[1] += 1
            return
        self._notes[key] = [(rule, sheet, row, column, value, now), 1]

    def finish_notes(self) -> None:
        for (rule, sheet, row, column, value, now), count in self._notes.values():
            many = f"; {count} celler/cells, första på raden ovan/first on the row above" if count > 1 else ""
            self.add(rule, sheet, row, column, value, f"läst som/read as {now!r}{many}")

    def memo(self, sheet: Sheet, col: Column) -> dict:
        return self._memo.setdefault((sheet.name, col.field), {})

    def convert(self, sheet: Sheet, col: Column, raw: str | None, row: int, error: str | None):
        """Parse one cell by its schema column; returns the value or None after adding an issue."""
        if error or (raw is not None and raw in EXCEL_ERROR_TEXTS):
            self.add("excel_error", sheet, row, col.header, error or ("(dold)" if col.pii else raw))
            return None
        if raw is None:
            if col.required:
                self.add("required", sheet, row, col.header)
            return None
        memo = self._memo.get((sheet.name, col.field)) or self.memo(sheet, col)
        hit = memo.get(raw)
        if hit is not None:
            value, note = hit
            if note:
                self.note(note[0], sheet, row, col.header, raw, note[1])
            return value
        before = len(self.issues)
        self._pending_note = None
        value = self._convert(sheet, col, raw, row)
        if len(self.issues) == before or all(i.severity == "normalised" for i in self.issues[before:]):
            memo[raw] = (value, self._pending_note)
        return value

    def _normalised(self, rule: str, sheet: Sheet, row: int, col: Column, raw: str, now: str) -> None:
        self._pending_note = (rule, now)
        self.note(rule, sheet, row, col.header, raw, now)

    def _convert(self, sheet: Sheet, col: Column, raw: str, row: int):
        raw_shown = "(dold personuppgift / hidden personal data)" if col.pii else raw
        kind = col.kind
        if kind in ("int", "amount"):
            v = parse_int(raw) if kind == "int" else parse_amount(raw)
            if v is None:
                rule = "ambiguous_amount" if kind == "amount" and _NUMBER_LIKE.fullmatch(raw.strip()) else "not_a_number"
                self.add(rule, sheet, row, col.header, raw, AMOUNT_HINT if kind == "amount" else "")
            elif v < 0:
                self.add("negative", sheet, row, col.header, raw)
                return None
            return v
        if kind == "date":
            d, had_time = parse_date(raw)
            if d is None:
                self.add("date_format", sheet, row, col.header, raw, "ÅÅÅÅ-MM-DD")
            elif had_time:
                self._normalised("datetime_date", sheet, row, col, raw, d.isoformat())
            return d
        if kind == "code":
            return self._code(sheet, col, raw, row)
        if kind == "email":
            if not EMAIL_ADDRESS.fullmatch(raw):
                self.add("email", sheet, row, col.header, raw_shown)
                return None
            return raw
        if kind == "code_list":
            # Lists vary, their codes repeat: remember each code's value (ok codes only).
            memo = self._memo.setdefault((sheet.name, col.field, "codes"), {})
            codes = []
            for c in split_codes(raw):
                v = memo.get(c)
                if v is None:
                    before = len(self.issues)
                    v = self._code(sheet, col, c, row)
                    if v is not None and len(self.issues) == before:
                        memo[c] = v
                if v is not None:
                    codes.append(str(v))
            return ",".join(codes)
        return raw

    def _code(self, sheet: Sheet, col: Column, raw: str, row: int):
        if col.codes == "target_area":
            v = parse_int(raw)
            if v is None or not 1 <= v <= 8:
                self.add("target_area", sheet, row, col.header, raw)
                return None
            return v
        if col.codes == "county":
            code = raw.zfill(2) if raw.isdigit() else raw
            if code not in reference.counties():
                self.add("county_code", sheet, row, col.header, raw)
                return None
            return code
        if col.codes == "municipality":
            code = raw.split(".")[0].zfill(4) if raw.replace(".0", "").isdigit() else raw
            known = reference.municipalities().get(code)
            if known is None or (self.county and known[1] != self.county):
                self.add("municipality_code", sheet, row, col.header, raw,
                         f"län/county {self.county}" if self.county else "")
                return None
            return code
        canonical = _CANONICAL[col.codes].get(" ".join(raw.split()).casefold())
        if canonical is None:
            self.add("code_list", sheet, row, col.header, raw, "; ".join(CODE_LISTS[col.codes]))
            return None
        if canonical != raw:
            self._normalised("code_case", sheet, row, col, raw, canonical)
        return canonical


def _grid_notes(ck: _Checker, sheet: Sheet, grid: Grid) -> None:
    """Issues the reader found: a sheet name in another form, NFD text, cells over the text limit."""
    if grid.file_name and grid.file_name != sheet.name:
        ck.note("sheet_name", sheet, None, None, grid.file_name, sheet.name)
    for (r, c), before in grid.nfc_changed.items():
        ck.note("unicode_nfc", sheet, grid.excel_row(r), grid.excel_col(c), before, nfc(before))
    for (r, c), n in grid.too_long.items():
        ck.add("cell_too_long", sheet, grid.excel_row(r), grid.excel_col(c), None,
               f"{n} tecken/characters, högst/at most {CELL_TEXT_LIMIT}")


def _header_note(ck: _Checker, sheet: Sheet, grid: Grid, r: int, c: int, col: Column) -> None:
    raw = grid.cell(r, c) or ""
    if " ".join(raw.split()) != raw:
        ck.note("header_whitespace", sheet, grid.excel_row(r), grid.excel_col(c), raw, col.header)


def _read_form(ck: _Checker, sheet: Sheet, grid: Grid) -> dict:
    labels = {}
    for r in range(len(grid.rows)):
        labels.setdefault(header_key(grid.cell(r, 0)), r)
    out = {}
    if grid.row0 or grid.col0:
        ck.add("shifted_header", sheet, grid.excel_row(0), grid.excel_col(0),
               detail="fälten ska börja i cell A1 / fields must start in cell A1")
    for col in sheet.columns:
        r = labels.get(header_key(col.header))
        if r is None:
            ck.add("missing_column", sheet, None, col.header)
            continue
        _header_note(ck, sheet, grid, r, 0, col)
        raw = grid.cell(r, 1)
        ck.form_rows[col.field] = grid.excel_row(r)
        value = ck.convert(sheet, col, raw, grid.excel_row(r), grid.errors.get((r, 1)))
        out[col.field] = value
        if col.field == "county_code":
            ck.county = value
        if col.field == "year":
            ck.year = value
    return out


def _find_header(sheet: Sheet, grid: Grid) -> int | None:
    wanted = {header_key(c.header) for c in sheet.columns}
    for r, row in enumerate(grid.rows[:10]):
        if len(wanted & {header_key(v) for v in row}) >= max(1, len(wanted) // 2):
            return r
    return None


def _read_table(ck: _Checker, sheet: Sheet, grid: Grid) -> list[dict]:
    h = _find_header(sheet, grid)
    if h is None:
        for col in sheet.columns:
            ck.add("missing_column", sheet, 1, col.header)
        return []
    header = [header_key(v) for v in grid.rows[h]]
    if h != 0 or grid.row0 or grid.col0:
        ck.add("shifted_header", sheet, grid.excel_row(h), grid.excel_col(0),
               detail="rubrikraden ska börja i cell A1 / the header row must start in cell A1")
    # Columns are matched by header, in any order.
    positions = {}
    for col in sheet.columns:
        name = header_key(col.header)
        if name not in header:
            ck.add("missing_column", sheet, grid.excel_row(h), col.header)
            continue
        positions[col.field] = j = header.index(name)
        _header_note(ck, sheet, grid, h, j, col)
    body = grid.rows[h + 1:]
    error_rows = {r - h - 1 for r, _ in grid.errors} | {r - h - 1 for r, _ in grid.too_long}
    filled = [r for r, row in enumerate(body) if r in error_rows or any(v is not None for v in row)]
    filled_set = set(filled)
    last = filled[-1] if filled else -1
    first_issue = len(ck.issues)
    for r in range(last + 1):
        if r not in filled_set:
            ck.add("blank_row", sheet, grid.excel_row(h + 1 + r))
    # Column by column: one C-level lookup of each column's values among those already converted
    # (codes, areas, dates repeat); only new values and problems go through convert().
    kept = [r for r in filled if r <= last]
    grs = [h + 1 + r for r in kept]
    excel_rows = [grid.excel_row(gr) for gr in grs]
    lines = [body[r] for r in kept]
    errors, errs = grid.errors, EXCEL_ERROR_TEXTS
    names, columns = ["_row"], [excel_rows]
    for col in sheet.columns:
        j = positions.get(col.field)
        names.append(col.field)
        if j is None:
            columns.append([None] * len(lines))
            continue
        raws = [line[j] if j < len(line) else None for line in lines]
        bad = {i for i, gr in enumerate(grs) if (gr, j) in errors} if errors else set()
        if col.kind == "text" and not col.codes:
            values = raws
            todo = ([i for i, v in enumerate(raws) if (v is None and col.required) or v in errs]
                    if (None in raws and col.required) or not errs.isdisjoint(raws) else [])
        else:
            memo = ck.memo(sheet, col)
            hits = list(map(memo.get, raws))
            values = [hit[0] if hit is not None else None for hit in hits]
            todo = [i for i, hit in enumerate(hits) if (hit is None and (raws[i] is not None or col.required))
                    or (hit is not None and hit[1])]
        plain = col.kind == "text" and not col.codes
        for i in sorted(set(todo) | bad):
            raw, row = raws[i], excel_rows[i]
            hit = None if plain or i in bad or raw is None else memo.get(raw)
            if hit is not None:  # converted earlier in this column; count its note, if any
                values[i] = hit[0]
                if hit[1]:
                    ck.note(hit[1][0], sheet, row, col.header, raw, hit[1][1])
                continue
            values[i] = ck.convert(sheet, col, raw, row, errors.get((grs[i], j)) if i in bad else None)
        columns.append(values)
    rows = [dict(zip(names, rec)) for rec in zip(*columns)]
    # Messages in reading order: by row, then by the template's column order.
    order = {c.header: k for k, c in enumerate(sheet.columns)}
    ck.issues[first_issue:] = sorted(ck.issues[first_issue:], key=lambda i: (i.row or 0, order.get(i.column, -1)))
    if sheet.max_rows and len(rows) > sheet.max_rows:
        ck.add("too_many_rows", sheet, rows[sheet.max_rows]["_row"], detail=f"max {sheet.max_rows}")
    if not rows:
        ck.add("empty_required_table" if sheet.must_have_rows else "empty_table", sheet)
    for key in sheet.unique:
        seen: dict = {}
        for rec in rows:
            v = rec.get(key)
            if v is None:
                continue
            if v in seen:
                ck.add("duplicate_id", sheet, rec["_row"], sheet.column(key).header, str(v),
                       f"även på rad/also on row {seen[v]}")
            else:
                seen[v] = rec["_row"]
    return rows


def _check_dates(ck: _Checker, tables: dict[str, list[dict]], submission: dict) -> None:
    year = ck.year
    if not year:
        return
    for sheet in SHEETS:
        for col in sheet.columns:
            if col.kind != "date":
                continue
            recs = [submission] if sheet.layout == "form" else tables.get(sheet.table, [])
            # A return is submitted after its year ends, so the submission date may fall in year + 1.
            last_year = year + 1 if sheet.layout == "form" else year
            for rec in recs:
                d = rec.get(col.field)
                row = rec.get("_row") or ck.form_rows.get(col.field)
                if isinstance(d, date) and not (year <= d.year <= last_year):
                    ck.add("date_range", sheet, row, col.header, d.isoformat(),
                           f"rapportår/reporting year {year}")


def _check_finance(ck: _Checker, finance: list[dict]) -> None:
    from folkhalsa.schemas.lansrapport import EKONOMI, USED_LE_GRANTED

    for rec in finance:
        g, u, r = rec.get("granted_sek"), rec.get("used_sek"), rec.get("repaid_sek")
        row = rec["_row"]
        if USED_LE_GRANTED.violated(rec):
            ck.add(USED_LE_GRANTED.id, EKONOMI, row, EKONOMI.column(USED_LE_GRANTED.smaller).header, f"{u:.0f}",
                   f"beviljat/granted {g:.0f}")
        if None not in (g, u, r) and abs((g - u) - r) > 0.5:
            ck.add("repaid_mismatch", EKONOMI, row, "Återbetalas (kr)", f"{r:.0f}",
                   f"beviljat − förbrukat / granted − used = {g - u:.0f}")
        share = rec.get("gender_equality_used_sek")
        if share is not None and u is not None and share > u + 0.5:
            ck.add("gender_used_exceeds_used", EKONOMI, row, "Varav insatser med jämställdhetsperspektiv (kr)",
                   f"{share:.0f}", f"förbrukat/used {u:.0f}")
        expected = reference.grants().get((ck.county, ck.year))
        if g is not None and expected is not None and abs(g - expected) > 0.5:
            ck.add("grant_differs", EKONOMI, row, "Beviljat (kr)", f"{g:.0f}", f"beslut/decision {expected}")


def _check_version_columns(ck: _Checker, version: TemplateVersion, grids: dict[str, Grid]) -> None:
    """A header that belongs to another template version: the stated version is wrong, and reading the
    sheet by it would drop that column's answers."""
    for sheet in version.sheets:
        grid = grids.get(sheet.name)
        foreign = foreign_columns(version, sheet) if grid is not None and sheet.layout == "table" else {}
        h = _find_header(sheet, grid) if foreign else None
        if h is None:
            continue
        header = [header_key(v) for v in grid.rows[h]]
        for name, other in foreign.items():
            if header_key(name) in header:
                ck.add("template_version_mismatch", sheet, grid.excel_row(h), name, version.version,
                       f"kolumnen finns i mall {other}, inte i angiven mall {version.version} / "
                       f"the column is in template {other}, not in the stated {version.version}")


def _check_required_when(ck: _Checker, version: TemplateVersion, tables: dict[str, list[dict]]) -> None:
    for sheet in version.sheets:
        for col in sheet.columns:
            if not col.required_when:
                continue
            other, prefix = col.required_when
            for rec in tables.get(sheet.table, []):
                answer = rec.get(other)
                if isinstance(answer, str) and answer.startswith(prefix) and rec.get(col.field) is None:
                    ck.add("required_when", sheet, rec["_row"], col.header,
                           detail=f"{sheet.column(other).header} = {answer}")


def file_name_key(path: Path) -> tuple[str | None, int | None]:
    """(county code, year) as the file name gives them: lansrapport_24_2022.xlsx -> ('24', 2022)."""
    m = FILENAME_PATTERN.search(path.stem if not path.is_dir() else path.name)
    return (m.group(1), int(m.group(2))) if m else (None, None)
def actor_identity(name: str | None) -> str:
    """Normalised actor name: Unicode NFKC, case-folded, punctuation and runs of space as one space.
    mart_national_picture (fct_actor.actor_identity) normalises the same way."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", name or "").casefold()).split())


def _check_actor_duplicates(ck: _Checker, actors: list[dict]) -> None:
    """One organisation in one kommun listed under several ids: a warning (it may be two units),
    and the national picture counts it once."""
    from folkhalsa.schemas.lansrapport import AKTORER

    first: dict[tuple[str, str], dict] = {}
    for rec in actors:
        key = (actor_identity(rec.get("actor_name")), rec.get("municipality_code") or "")
        if not key[0]:
            continue
        if key in first and first[key].get("actor_id") != rec.get("actor_id"):
            ck.add("duplicate_actor", AKTORER, rec.get("_row"), "Aktör", str(rec.get("actor_name")),
                   f"som id/as id {first[key].get('actor_id')} på rad/on row {first[key].get('_row')}")
        first.setdefault(key, rec)


def _check_file_name(ck: _Checker, path: Path, submission: dict) -> None:
    county, year = file_name_key(path)
    if county and ck.county and county != ck.county:
        ck.add("county_mismatch", UPPGIFTER, ck.form_rows.get("county_code"), "Länskod", ck.county,
               f"filnamnet anger län/the file name says county {county}")
    if year and ck.year and year != ck.year:
        ck.add("year_mismatch", UPPGIFTER, ck.form_rows.get("year"), "År", str(ck.year),
               f"filnamnet anger år/the file name says year {year}")


def read_limits() -> Limits:
    """The reader's limits, from the schema: each sheet may hold values only inside its area."""
    return Limits(max_uncompressed=MAX_UNCOMPRESSED_BYTES, max_ratio=MAX_COMPRESSION_RATIO, max_parts=MAX_PARTS,
                  cell_text=CELL_TEXT_LIMIT,
                  sheets={s.name: SheetLimits(s.last_row, LAST_COLUMN) for s in SHEETS})


def check_return(path: Path, display_name: str | None = None) -> ParsedReturn:
    """Validate one return (xlsx file or folder of CSV files). Raises UnreadableFile only when it
    cannot be read at all; every other problem becomes an Issue."""
    path = Path(path)
    if not path.exists():
        raise UnreadableFile(f"{path} finns inte / does not exist")
    sheet_names = [s.name for s in SHEETS]
    if path.is_dir():
        grids, _, refusals = read_csv_folder(path, sheet_names)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        grids, _, refusals = read_xlsx(path, sheet_names, read_limits())
    else:
        raise UnreadableFile(f"{path.name}: varken xlsx eller mapp med csv / neither xlsx nor a folder of csv files")
    parsed = ParsedReturn(path, sha256_file(path))
    ck = _Checker(path, display_name or path.name)
    refused = {r.sheet for r in refusals}
    by_name = {s.name: s for s in SHEETS}
    for r in refusals:
        ck.add(r.rule, by_name[r.sheet], r.row, r.column, detail=r.detail)
    for sheet in SHEETS:
        if sheet.name in grids:
            _grid_notes(ck, sheet, grids[sheet.name])
        elif sheet.name not in refused:
            ck.add("missing_sheet", sheet)
    form = grids.get(UPPGIFTER.name)
    submission = _read_form(ck, UPPGIFTER, form) if form else {}
    tv = submission.get("template_version")
    if form and tv is not None and str(tv) not in ACCEPTED_TEMPLATE_VERSIONS:
        ck.add("template_version", UPPGIFTER, ck.form_rows.get("template_version"), "Mallversion", str(tv),
               f"kända versioner/known versions: {', '.join(ACCEPTED_TEMPLATE_VERSIONS)}")
    # The rules of the version the workbook states (Uppgifter is the same in every version).
    version = template_version(tv)
    tables = {s.table: _read_table(ck, s, grids[s.name]) for s in version.sheets
              if s.layout == "table" and s.name in grids}
    _check_version_columns(ck, version, grids)
    _check_required_when(ck, version, tables)
    _check_file_name(ck, path, submission)
    _check_dates(ck, tables, submission)
    _check_finance(ck, tables.get("finance", []))
    ck.finish_notes()
    _check_actor_duplicates(ck, tables.get("actors", []))
    parsed.county_code, parsed.year = ck.county, ck.year
    parsed.template_version = version.version
    parsed.submission, parsed.tables, parsed.issues = submission, tables, ck.issues
    return parsed


# ---------------------------------------------------------------- landing

def _frame(sheet: Sheet, rows: list[dict]) -> pl.DataFrame:
    dtypes = {"text": pl.Utf8, "email": pl.Utf8, "code_list": pl.Utf8, "int": pl.Int64,
              "amount": pl.Float64, "date": pl.Date, "code": pl.Utf8}
    schema = {"_row": pl.Int64}
    for c in sheet.columns:
        schema[c.field] = pl.Int64 if c.codes == "target_area" and c.kind == "code" else dtypes[c.kind]
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _bridge(rows: list[dict], key: str, list_field: str, out_field: str, dtype) -> pl.DataFrame:
    pairs = [{"_row": r["_row"], key: r[key], out_field: (int(v) if dtype == pl.Int64 else v)}
             for r in rows if r.get(key) for v in split_codes(r.get(list_field) or "")]
    schema = {"_row": pl.Int64, key: pl.Utf8, out_field: dtype}
    return pl.DataFrame(pairs, schema=schema, orient="row") if pairs else pl.DataFrame(schema=schema)


def return_tables(parsed: ParsedReturn, status: str | None = None) -> dict[str, pl.DataFrame]:
    """The landed tables of one return (without provenance and issues; land_file adds them).
    A rejected return lands its submission row and issues only; a return held for review
    (status pending_review) lands everything, but is not current."""
    keep = _in_landed_layout(parsed) if parsed.ok else {}
    frames = {s.table: _frame(s, keep.get(s.table, [])) for s in SHEETS if s.layout == "table"}
    # Free text may name people: the privacy screen decides, here in Python, which texts a
    # publishable model may ever select; the marts never carry the unscreened column.
    how = frames["activities"]["gender_perspective_how"].to_list()
    frames["activities"] = frames["activities"].with_columns(pl.Series(
        "gender_perspective_how_publishable", [privacy.is_publishable_text(t) for t in how], dtype=pl.Boolean))
    frames["actor_target_areas"] = _bridge(keep.get("actors", []), "actor_id", "target_areas", "target_area", pl.Int64)
    frames["activity_municipalities"] = _bridge(keep.get("activities", []), "activity_id",
                                                "municipality_codes", "municipality_code", pl.Utf8)
    sub = {c.field: parsed.submission.get(c.field) for c in UPPGIFTER.columns}
    # A rejected version belongs to the county and year it was sent as (its file name) when the name
    # gives them: a 2022 file for län 24 whose sheet says 25 or 2021 is län 24's rejected 2022 version.
    file_county, file_year = file_name_key(parsed.path)
    county, year = ((file_county or parsed.county_code, file_year or parsed.year) if not parsed.ok
                    else (parsed.county_code or file_county, parsed.year or file_year))
    sub.update(county_code=county, year=year, _row=None,
               status=status or ("accepted" if parsed.ok else "rejected"),
               error_count=len(parsed.errors), warning_count=len(parsed.warnings))
    frames["submission"] = pl.DataFrame([sub], schema={
        **{c.field: (pl.Date if c.kind == "date" else pl.Int64 if c.kind == "int" else pl.Utf8)
           for c in UPPGIFTER.columns},
        "_row": pl.Int64, "status": pl.Utf8, "error_count": pl.Int64, "warning_count": pl.Int64,
    }, orient="row")
    # Review decisions on a landed version (folkhalsa accept-return): written by accept_return
    # only, empty in every landed file, so that dbt's glob always finds the table.
    frames["review"] = pl.DataFrame(schema=REVIEW_SCHEMA)
    return frames


# A person's decision on a landed version: 'grant_reconciliation' accepts a current version whose
# grant account does not reconcile (granted ≠ used + repaid), which is under review until then.
REVIEW_SCHEMA = {"reviewed_batch_id": pl.Utf8, "subject": pl.Utf8, "decision": pl.Utf8,
                 "decided_at": pl.Utf8}


def _in_landed_layout(parsed: ParsedReturn) -> dict[str, list[dict]]:
    """Rows in the newest layout: a column the return's template version lacks gets its `absent`
    value (Jämställdhetsperspektiv of a 2023.1 return: 'ej redovisat', which is not 'Nej')."""
    version = TEMPLATE_VERSIONS.get(parsed.template_version or "")
    if version is None:
        return parsed.tables
    out = {}
    for sheet in SHEETS:
        rows = parsed.tables.get(sheet.table)
        if rows is None:
            continue
        own = {c.field for c in version.sheet(sheet.name).columns}
        fill = {c.field: c.absent for c in sheet.columns if c.field not in own}
        out[sheet.table] = [{**fill, **r} for r in rows]
    return out


SHEET_OF = {**{s.table: s.name for s in SHEETS}, "actor_target_areas": "Aktörer",
            "activity_municipalities": "Insatser"}


def empty_tables() -> dict[str, pl.DataFrame]:
    """Every landed table (without provenance) with its schema and no rows."""
    parsed = ParsedReturn(Path("-"), "0" * 64)
    return {name: df.clear() for name, df in return_tables(parsed).items()}


def discover_returns(inbox: Path) -> list[Path]:
    """Returns under an inbox: spreadsheet files, and folders of CSV files (one per county and year).

    Any other file is offered too, so that it is reported as unreadable rather than silently ignored.
    """
    if not inbox.exists():
        return []
    found = []
    for p in sorted(inbox.rglob("*")):
        if any(part.startswith((".", "~$")) for part in p.relative_to(inbox).parts):
            continue
        if p.is_dir() and any(c.suffix.lower() == ".csv" for c in p.iterdir()):
            found.append(p)
        elif p.is_file() and p.suffix.lower() != ".csv" and p.name.lower() not in ("readme.md", "readme.txt"):
            found.append(p)
    return found


def parse_return(path: Path, name: str) -> Parsed:
    """The land_file parser: check_return, then the tables. A rejected return keeps its submission row."""
    try:
        parsed = check_return(path, name)
    except UnreadableFile as e:
        raise InputError(CATALOGUE.issue("unreadable", file=name, detail=str(e))) from None
    return Parsed(tables=return_tables(parsed), issues=parsed.issues, sheets=SHEET_OF,
                  manifest={"county_code": parsed.county_code, "year": parsed.year,
                            "template_version": parsed.template_version})


def _rejected_tables(path: Path, name: str, issues: list[Issue]) -> dict[str, pl.DataFrame]:
    return return_tables(ParsedReturn(path, "0" * 64, issues=issues))


LANDING = LandingSource(SOURCE, CATALOGUE, empty_tables, rejected_tables=_rejected_tables, parser_files=(
    "folkhalsa/sources/returns.py", "folkhalsa/schemas/lansrapport.py", "folkhalsa/io/workbook.py",
    "folkhalsa/io/text.py", "folkhalsa/reference.py", "folkhalsa/privacy.py", "dbt/seeds/ref_counties.csv",
    "dbt/seeds/ref_municipalities.csv", "dbt/seeds/ref_grants.csv"))


def land_returns(inbox: Path, landing_dir: Path, archive_dir: Path, quarantine_dir: Path) -> LandResult:
    """Validate and land every return in the inbox. One bad file never stops the rest: each new file
    is parsed in a worker process with a memory and a time limit (folkhalsa.isolation) before landing."""
    paths = discover_returns(inbox)
    version = LANDING.parser_version()
    new = [p for p in paths if not _landed_by(p, landing_dir, version)]
    outcomes = parse_isolated(new)

    def parse(path: Path, name: str) -> Parsed:
        # Inputs re-landed from the archive (a parser change) were not parsed above.
        check = outcomes.pop(path, None) or parse_isolated([path])[path]
        return _for_landing(check, path, name, landing_dir)

    result = land_files(LANDING, [(p, p.name) for p in paths], parse,
                        landing_dir=landing_dir, archive_dir=archive_dir, quarantine_dir=quarantine_dir)
    # Held resubmissions are reported every night until someone accepts them.
    reported = {i.file for i in result.issues if i.rule == "pending_review"}
    result.issues += [i for i in pending_reviews(landing_dir) if i.file not in reported]
    return result


def _landed_by(path: Path, landing_dir: Path, version: str) -> bool:
    """Already landed by this parser version: a file that crashed the reader stays rejected until a
    new version (a new hash) arrives or the parser changes; it is never parsed again."""
    try:
        m = read_manifest(landing_dir, SOURCE, batch_id_for(sha256_file(path)))
    except OSError:
        return True  # land_file reports it
    return m is not None and m.get("parser") == version


def _for_landing(check: Callable[[Path], "ParsedReturn"], path: Path, name: str, landing_dir: Path) -> Parsed:
    """The land_file parser's answer for one return parsed in a worker."""
    try:
        parsed = check(path)
    except UnreadableFile as e:
        raise InputError(CATALOGUE.issue("unreadable", file=name, detail=str(e))) from None
    except ReaderFailed as e:
        raise InputError(CATALOGUE.issue("reader_failed", file=name, detail=str(e))) from None
    received_at = utc_now()
    held = review_reasons(parsed, landing_dir, received_at) if parsed.ok else []
    status = "pending_review" if held else ("accepted" if parsed.ok else "rejected")
    tables = return_tables(parsed, status)
    sub = tables["submission"].row(0, named=True)
    issues = list(parsed.issues)
    if held:
        issues.append(pending_issue(name, parsed.sha256, held))
    manifest = {"county_code": sub["county_code"], "year": sub["year"],
                "submitted_on": str(sub["submitted_on"]) if sub["submitted_on"] else None, "review": held}
    if held:
        manifest["status"] = "pending_review"
    return Parsed(tables=tables, issues=issues, sheets=SHEET_OF, received_at=received_at, manifest=manifest)


class ReaderFailed(Exception):
    """The reader crashed, hit the memory limit or the time limit on this file."""


def parse_isolated(paths: list[Path]) -> dict[Path, Callable[[Path], "ParsedReturn"]]:
    """check_return for each path in the worker pool; path -> a parse function that returns the
    result or raises what the worker met (UnreadableFile, ReaderFailed)."""
    from folkhalsa.isolation import WorkerPool

    out: dict[Path, Callable] = {}
    if not paths:
        return out
    with WorkerPool() as pool:
        for path, outcome in pool.map(check_return, paths):
            out[path] = functools.partial(_outcome_value, outcome)
    return out


def _outcome_value(outcome, _path: Path) -> "ParsedReturn":
    if outcome.ok:
        return outcome.value
    if isinstance(outcome.value, Exception):
        raise outcome.value
    raise ReaderFailed(f"{outcome.reason}: {outcome.detail}")


def check_exit_code(file: Path) -> tuple[int, list[str]]:
    """What `folkhalsa check-return` answers: (0 valid | 1 invalid | 2 unreadable, lines to print).
    The file is parsed in an isolated worker, so a reader crash is exit 2 with its reason."""
    parse = parse_isolated([file])[file]
    try:
        parsed = parse(file)
    except UnreadableFile as e:
        return 2, [f"FEL [unreadable] {file.name}: Filen kan inte läsas / The file cannot be read: {e}"]
    except ReaderFailed as e:
        return 2, [f"FEL [reader_failed] {file.name}: {RULES['reader_failed'][0]} / {RULES['reader_failed'][1]}: {e}"]
    except Exception as e:  # a guard: users get a message, never a traceback
        return 2, [f"FEL [unreadable] {file.name}: {type(e).__name__}: {e}"]
    lines = [i.message() for i in parsed.issues]
    status = "GODKÄND / VALID" if parsed.ok else "AVVISAD / INVALID"
    lines.append(f"{file.name}: {status} – {len(parsed.errors)} fel/errors, {len(parsed.warnings)} "
                 f"varningar/warnings, {len(parsed.notes)} normaliserade/normalised")
    return (0 if parsed.ok else 1), lines


# ---------------------------------------------------------------- review of shrinking resubmissions

REVIEW_TABLES = ("actors", "activities", "needs", "finance")
ACCEPT_COMMAND = "folkhalsa accept-return {sha}"


def _manifests(landing_dir: Path) -> list[dict]:
    out = []
    for m in sorted(landing_dir.glob(f"{SOURCE}/*/_manifest.json")):
        try:
            out.append(json.loads(m.read_text("utf-8")))
        except (OSError, ValueError):
            continue
    return out


def _version_key(m: dict) -> tuple:
    # As int_returns__versions orders them: submission date, then when received, then file name.
    return (m.get("submitted_on") or "", m.get("received_at") or "", m.get("file") or "")


def current_version(landing_dir: Path, county: str | None, year: int | None) -> dict | None:
    """The manifest of the county's current (latest accepted) landed version, if any."""
    versions = [m for m in _manifests(landing_dir) if m.get("status") == "accepted"
                and m.get("county_code") == county and m.get("year") == year]
    return max(versions, key=_version_key, default=None)


def review_reasons(parsed: ParsedReturn, landing_dir: Path, received_at: datetime) -> list[str]:
    """Why a valid new version must wait for a person before it becomes current: it would empty a
    table the current version has, or shrink one by more than half. [] when it may replace it."""
    current = current_version(landing_dir, parsed.county_code, parsed.year)
    if current is None:
        return []
    submitted = parsed.submission.get("submitted_on")
    new_key = (str(submitted) if submitted else "", received_at.isoformat(), parsed.path.name)
    if new_key <= _version_key(current):
        return []  # an older version: it would not become current anyway
    reasons = []
    for table in REVIEW_TABLES:
        old, new = current.get("rows", {}).get(table, 0), len(parsed.tables.get(table, []))
        if old and new == 0:
            reasons.append(f"{table}: {old} → 0 rader/rows")
        elif old and new < old / 2:
            reasons.append(f"{table}: {old} → {new} rader/rows (mer än halverad / more than halved)")
    if reasons:
        reasons.append(f"jämfört med gällande version / compared with the current version {current.get('file')}")
    return reasons


def pending_issue(file: str, sha: str, reasons: list[str]) -> Issue:
    accept = ACCEPT_COMMAND.format(sha=sha[:16])
    return CATALOGUE.issue("pending_review", file=file, sha256=sha,
                           detail=f"{'; '.join(reasons)}; godkänn med / accept with: {accept}")


def pending_reviews(landing_dir: Path) -> list[Issue]:
    """Every landed version still waiting for review, as alert warnings."""
    return [pending_issue(m["file"], m["sha256"], m.get("review") or [])
            for m in _manifests(landing_dir) if m.get("status") == "pending_review"]


def _unreconciled(landing_dir: Path, m: dict) -> int | None:
    """granted − used − repaid of a landed version's grant account, or None when it reconciles
    (or has no account)."""
    path = landing_dir / SOURCE / batch_id_for(m["sha256"]) / "finance.parquet"
    try:
        f = pl.read_parquet(path)
    except OSError:
        return None
    diff = sum(int(r["granted_sek"] or 0) - int(r["used_sek"] or 0) - int(r["repaid_sek"] or 0)
               for r in f.iter_rows(named=True))
    return diff or None


def _grant_accepted(landing_dir: Path) -> set[str]:
    return {m["review_of"] for m in _manifests(landing_dir)
            if m.get("review_subject") == "grant_reconciliation" and m.get("review_of")}


def unreconciled_current(landing_dir: Path) -> list[tuple[dict, int]]:
    """Current versions whose grant account does not reconcile and that nobody has accepted yet:
    they are 'under granskning' (mart_grant_reconciliation) until `folkhalsa accept-return`."""
    accepted = _grant_accepted(landing_dir)
    keys = {(m.get("county_code"), m.get("year")) for m in _manifests(landing_dir) if m.get("status") == "accepted"}
    out = []
    for county, year in sorted(keys, key=str):
        m = current_version(landing_dir, county, year)
        if m is None or batch_id_for(m["sha256"]) in accepted:
            continue
        diff = _unreconciled(landing_dir, m)
        if diff is not None:
            out.append((m, diff))
    return out


def accept_return(landing_dir: Path, ref: str) -> dict:
    """Accept a landed version, by hash (prefix of at least 8) or file name:

    * a version held for review (pending_review) becomes current: its landed submission row and
      manifest say 'accepted';
    * a current version whose grant account does not reconcile (under review in
      mart_grant_reconciliation) is accepted as it is and is no longer under review.

    Either way a decision batch records what and when (and changes the data version, so the next
    run rebuilds). The returned manifest carries `accepted_as`: 'version' or 'grant_reconciliation'."""
    def hit(m: dict) -> bool:
        return len(ref) >= 8 and m.get("sha256", "").startswith(ref) or m.get("file") == ref

    matches = [m for m in _manifests(landing_dir) if m.get("status") == "pending_review" and hit(m)]
    grant = [m for m, _ in unreconciled_current(landing_dir) if hit(m)]
    if len(matches) + len(grant) != 1:
        waiting = ", ".join(f"{m['file']} ({m['sha256'][:16]})" for m in _manifests(landing_dir)
                            if m.get("status") == "pending_review") or "inga / none"
        ledger = ", ".join(f"{m['file']} ({m['sha256'][:16]}, differens {d} kr)"
                           for m, d in unreconciled_current(landing_dir)) or "inga / none"
        raise LookupError(f"{len(matches) + len(grant)} versioner väntar som matchar / versions pending that "
                          f"match {ref!r}; väntar / pending: {waiting}; räkenskap som inte stämmer / "
                          f"grant accounts that do not reconcile: {ledger}")
    decided = utc_now().isoformat()
    if grant:
        m = grant[0]
        bid = batch_id_for(m["sha256"])
        tables = LANDING.all_empty_tables()
        empty = tables["review"]
        record = {c: None for c in empty.columns}
        record.update(reviewed_batch_id=bid, subject="grant_reconciliation", decision="accepted",
                      decided_at=decided, _batch_id=f"grant-review-{bid}")
        tables["review"] = pl.DataFrame([record], schema=empty.schema, orient="row")
        write_batch(landing_dir, SOURCE, f"grant-review-{bid}", tables,
                    {"placeholder": True, "review_of": bid, "review_subject": "grant_reconciliation",
                     "file": m["file"], "decision": "accepted", "decided_at": decided})
        return {**m, "accepted_as": "grant_reconciliation"}
    m = matches[0]
    bid = batch_id_for(m["sha256"])
    folder = landing_dir / SOURCE / bid
    sub = pl.read_parquet(folder / "submission.parquet").with_columns(pl.lit("accepted").alias("status"))
    sub.write_parquet(folder / "submission.parquet")
    m.update(status="accepted", accepted_after_review_at=decided)
    (folder / "_manifest.json").write_text(json.dumps(m, ensure_ascii=False, indent=2, default=str), "utf-8")
    write_batch(landing_dir, SOURCE, f"review-{bid}", LANDING.all_empty_tables(),
                {"placeholder": True, "review_of": bid, "file": m["file"], "decision": "accepted",
                 "decided_at": decided})
    return {**m, "accepted_as": "version"}
