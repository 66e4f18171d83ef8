"""County returns (länsrapporter): read, validate and land.

`check_return` is exactly the validation the pipeline runs; `folkhalsa check-return` calls it too.
The format comes from folkhalsa.schemas.lansrapport.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from folkhalsa import privacy, reference
from folkhalsa.issues import InputError, Issue
from folkhalsa.landing import LandingSource, LandResult, Parsed, land_files, sha256_file
from folkhalsa.schemas.lansrapport import (
    ACCEPTED_TEMPLATE_VERSIONS, CATALOGUE, CODE_LISTS, SHEETS, TEMPLATE_VERSIONS, UPPGIFTER, Column, Sheet,
    TemplateVersion, foreign_columns, template_version,
)
from folkhalsa.io.workbook import EXCEL_ERROR_TEXTS, Grid, UnreadableFile, read_csv_folder, read_xlsx

SOURCE = "returns"
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FILENAME_PATTERN = re.compile(r"(?<!\d)(\d{2})[_\- ](20\d{2})(?!\d)")


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
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- value parsing

_AMOUNT_JUNK = re.compile(r"(?i)\s|\u00a0|\u202f|kr\.?|sek|:-")


def parse_amount(s: str) -> float | None:
    """Swedish amounts: '1 000 000', '630 000 kr', '1,5', '598500.0'. None if not a number."""
    t = _AMOUNT_JUNK.sub("", s)
    if re.fullmatch(r"-?\d+(,\d+)?", t):
        v = float(t.replace(",", "."))
    elif re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", t):
        v = float(t)
    else:
        return None
    return v if math.isfinite(v) else None


def parse_int(s: str) -> int | None:
    v = parse_amount(s)
    return int(v) if v is not None and v == int(v) else None


def parse_date(s: str) -> date | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00(?:\.0+)?)?", s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if re.fullmatch(r"\d{5}(\.0+)?", s):  # an Excel serial that lost its date format
        return date(1899, 12, 30) + timedelta(days=int(float(s)))
    return None


def split_codes(s: str) -> list[str]:
    return [p for p in re.split(r"[,;\s]+", s) if p]


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

    def add(self, rule: str, sheet: Sheet | None = None, row: int | None = None,
            column: str | None = None, value: str | None = None, detail: str = "") -> None:
        self.issues.append(CATALOGUE.issue(rule, file=self.file, sheet=sheet.name if sheet else None, row=row,
                                           column=column, value=value, detail=detail))

    def convert(self, sheet: Sheet, col: Column, raw: str | None, row: int, error: str | None):
        """Parse one cell by its schema column; returns the value or None after adding an issue."""
        if col.pii and raw is not None:
            raw_shown = "(dold personuppgift / hidden personal data)"
        else:
            raw_shown = raw
        if error or (raw is not None and raw in EXCEL_ERROR_TEXTS):
            self.add("excel_error", sheet, row, col.header, error or raw_shown)
            return None
        if raw is None:
            if col.required:
                self.add("required", sheet, row, col.header)
            return None
        kind = col.kind
        if kind in ("int", "amount"):
            v = parse_int(raw) if kind == "int" else parse_amount(raw)
            if v is None:
                self.add("not_a_number", sheet, row, col.header, raw)
            elif v < 0:
                self.add("negative", sheet, row, col.header, raw)
                return None
            return v
        if kind == "date":
            d = parse_date(raw)
            if d is None:
                self.add("date_format", sheet, row, col.header, raw, "ÅÅÅÅ-MM-DD")
            return d
        if kind == "code":
            return self._code(sheet, col, raw, row)
        if kind == "email":
            if not EMAIL_ADDRESS.fullmatch(raw):
                self.add("email", sheet, row, col.header, raw_shown)
                return None
            return raw
        if kind == "code_list":
            codes = [self._code(sheet, col, c, row) for c in split_codes(raw)]
            return ",".join(str(c) for c in codes if c is not None)
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
        if raw not in CODE_LISTS[col.codes]:
            self.add("code_list", sheet, row, col.header, raw, "; ".join(CODE_LISTS[col.codes]))
            return None
        return raw


def _norm(s: str | None) -> str:
    return (s or "").strip().casefold()


def _read_form(ck: _Checker, sheet: Sheet, grid: Grid) -> dict:
    labels = {_norm(grid.cell(r, 0)): r for r in range(len(grid.rows))}
    out = {}
    if grid.row0 or grid.col0:
        ck.add("shifted_header", sheet, grid.excel_row(0), grid.excel_col(0),
               detail="fälten ska börja i cell A1 / fields must start in cell A1")
    for i, col in enumerate(sheet.columns):
        r = labels.get(_norm(col.header))
        if r is None:
            ck.add("missing_column", sheet, None, col.header)
            continue
        if r != i:
            ck.add("shifted_header", sheet, grid.excel_row(r), col.header,
                   detail=f"väntad rad/expected row {i + 1}")
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
    wanted = {_norm(c.header) for c in sheet.columns}
    for r, row in enumerate(grid.rows[:10]):
        if len(wanted & {_norm(v) for v in row}) >= max(1, len(wanted) // 2):
            return r
    return None


def _read_table(ck: _Checker, sheet: Sheet, grid: Grid) -> list[dict]:
    h = _find_header(sheet, grid)
    if h is None:
        for col in sheet.columns:
            ck.add("missing_column", sheet, 1, col.header)
        return []
    header = [_norm(v) for v in grid.rows[h]]
    if h != 0 or grid.row0 or grid.col0:
        ck.add("shifted_header", sheet, grid.excel_row(h), grid.excel_col(0),
               detail="rubrikraden ska börja i cell A1 / the header row must start in cell A1")
    positions = {}
    for i, col in enumerate(sheet.columns):
        name = _norm(col.header)
        if name not in header:
            ck.add("missing_column", sheet, grid.excel_row(h), col.header)
            continue
        j = header.index(name)
        if j != i:
            ck.add("shifted_header", sheet, grid.excel_row(h), grid.excel_col(j),
                   col.header, f"väntad kolumn/expected column {grid.excel_col(i)}")
        positions[col.field] = j
    body = grid.rows[h + 1:]
    filled = [r for r, row in enumerate(body) if any(v is not None for v in row)
              or any((h + 1 + r, c) in grid.errors for c in range(len(row)))]
    last = filled[-1] if filled else -1
    rows = []
    for r in range(last + 1):
        gr = h + 1 + r
        excel_row = grid.excel_row(gr)
        if r not in filled:
            ck.add("blank_row", sheet, excel_row)
            continue
        rec = {"_row": excel_row}
        for col in sheet.columns:
            j = positions.get(col.field)
            if j is None:
                rec[col.field] = None
                continue
            rec[col.field] = ck.convert(sheet, col, grid.cell(gr, j), excel_row, grid.errors.get((gr, j)))
        rows.append(rec)
    if sheet.max_rows and len(rows) > sheet.max_rows:
        ck.add("too_many_rows", sheet, rows[sheet.max_rows]["_row"], detail=f"max {sheet.max_rows}")
    if not rows:
        ck.add("empty_table", sheet)
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
    from folkhalsa.schemas.lansrapport import EKONOMI

    for rec in finance:
        g, u, r = rec.get("granted_sek"), rec.get("used_sek"), rec.get("repaid_sek")
        row = rec["_row"]
        if g is not None and u is not None and u > g:
            ck.add("used_exceeds_granted", EKONOMI, row, "Förbrukat (kr)", f"{u:.0f}", f"beviljat/granted {g:.0f}")
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
        header = [_norm(v) for v in grid.rows[h]]
        for name, other in foreign.items():
            if _norm(name) in header:
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


def _check_file_name(ck: _Checker, path: Path, submission: dict) -> None:
    m = FILENAME_PATTERN.search(path.stem if path.is_file() else path.name)
    if m and ck.county and m.group(1) != ck.county:
        ck.add("county_mismatch", UPPGIFTER, ck.form_rows.get("county_code"), "Länskod", ck.county, f"filnamnet anger län/the file name says county {m.group(1)}")


def check_return(path: Path, display_name: str | None = None) -> ParsedReturn:
    """Validate one return (xlsx file or folder of CSV files). Raises UnreadableFile only when it
    cannot be read at all; every other problem becomes an Issue."""
    path = Path(path)
    if not path.exists():
        raise UnreadableFile(f"{path} finns inte / does not exist")
    sheet_names = [s.name for s in SHEETS]
    if path.is_dir():
        grids, _ = read_csv_folder(path, sheet_names)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        grids, _ = read_xlsx(path, sheet_names)
    else:
        raise UnreadableFile(f"{path.name}: varken xlsx eller mapp med csv / neither xlsx nor a folder of csv files")
    parsed = ParsedReturn(path, sha256_file(path))
    ck = _Checker(path, display_name or path.name)
    for sheet in SHEETS:
        if sheet.name not in grids:
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


def return_tables(parsed: ParsedReturn) -> dict[str, pl.DataFrame]:
    """The landed tables of one return (without provenance and issues; land_file adds them).
    A rejected return lands its submission row and issues only."""
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
    sub.update(county_code=parsed.county_code, year=parsed.year, _row=None,
               status="accepted" if parsed.ok else "rejected",
               error_count=len(parsed.errors), warning_count=len(parsed.warnings))
    frames["submission"] = pl.DataFrame([sub], schema={
        **{c.field: (pl.Date if c.kind == "date" else pl.Int64 if c.kind == "int" else pl.Utf8)
           for c in UPPGIFTER.columns},
        "_row": pl.Int64, "status": pl.Utf8, "error_count": pl.Int64, "warning_count": pl.Int64,
    }, orient="row")
    return frames


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
    """Validate and land every return in the inbox. One bad file never stops the rest."""
    return land_files(LANDING, [(p, p.name) for p in discover_returns(inbox)], parse_return,
                      landing_dir=landing_dir, archive_dir=archive_dir, quarantine_dir=quarantine_dir)
