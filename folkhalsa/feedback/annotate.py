"""The return comes back marked up: a copy of the submitted workbook with its issues on the cells.

- error cells are filled red, warning and normalisation cells yellow;
- each marked cell carries a Swedish comment: rule, what was found, what is expected, an example;
- a first sheet "Återkoppling" lists every issue with a link to its cell, under a line that says
  whether the return was accepted. Issues without a cell (a missing sheet, an unreadable file)
  are listed there only.

Only fills and comments change on the county's own sheets; values, formulas, data validation
(the x14 kind that openpyxl drops is copied back from the original), defined names and the hidden
code-list sheet stay as submitted (tests/test_feedback_annotate.py
reads both workbooks). A workbook that was itself a feedback copy (the county edited our copy and
sent it back) loses our old marks before the new ones go on.

Where an issue points:
- a form sheet (Uppgifter: label in one column, value to its right): the value cell in the issue's row;
- a table sheet: the header text in the issue's `column` is looked up in the sheet's first rows to
  find the column letter; `shifted_header` issues may carry a column letter instead;
- header rules (shifted_header, missing_column, header_whitespace): the header cell itself;
- a row without a column (blank_row, too_many_rows): column A of that row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from folkhalsa.issues import Issue
from folkhalsa.schemas.lansrapport import CATALOGUE, RULE_GUIDANCE, SHEETS, Column, Sheet

FEEDBACK_SHEET = "Återkoppling"
FEEDBACK_SUFFIX = ".återkoppling.xlsx"
AUTHOR = "folkhälsa"
# Excel's own "Bad" and "Neutral" cell styles: readable text on both, familiar to Excel users.
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
FILL_RGB = {"error": "00FFC7CE", "warning": "00FFEB9C", "normalised": "00FFEB9C"}
LEVEL_SV = {"error": "Fel", "warning": "Varning", "normalised": "Normaliserat"}
HEADER_RULES = frozenset({"shifted_header", "missing_column", "header_whitespace"})
_LETTERS = re.compile(r"[A-Z]{1,3}")
SCAN_ROWS = 60
SCAN_COLS = 40


def feedback_name(name: str) -> str:
    """lansrapport_24_2023.xlsx -> lansrapport_24_2023.återkoppling.xlsx (a CSV folder keeps its name)."""
    p = Path(name)
    stem = p.stem if p.suffix.lower() in (".xlsx", ".xlsm") else p.name
    return stem + FEEDBACK_SUFFIX


@dataclass
class Placed:
    issue: Issue
    sheet: str | None      # workbook sheet the issue is on (None: file level)
    cell: str | None       # e.g. "C5"; None: listed on Återkoppling only


def _norm(v) -> str:
    return " ".join(str(v).split()).casefold() if v is not None else ""


def _schema_sheet(name: str | None) -> Sheet | None:
    return next((s for s in SHEETS if name and _norm(s.name) == _norm(name)), None)


def _schema_column(sheet: Sheet | None, header: str | None) -> Column | None:
    if sheet is None or not header:
        return None
    return next((c for c in sheet.columns if _norm(c.header) == _norm(header)), None)


def _find_header(ws, header: str, form: bool) -> tuple[int, int] | None:
    """(row, column) of the cell holding `header` among the sheet's first rows and columns."""
    want = _norm(header)
    rows = min(ws.max_row, SCAN_ROWS if form else 12)
    for row in ws.iter_rows(min_row=1, max_row=rows, max_col=min(ws.max_column, SCAN_COLS)):
        for cell in row:
            if isinstance(cell.value, str) and _norm(cell.value) == want:
                return cell.row, cell.column
    return None


def locate(ws, issue: Issue) -> str | None:
    """The cell an issue points at, or None when it has no cell (sheet or file level)."""
    schema = _schema_sheet(ws.title)
    form = schema is not None and schema.layout == "form"
    col = issue.column
    if col and _LETTERS.fullmatch(col) and _schema_column(schema, col) is None:
        return f"{col}{issue.row}" if issue.row else None  # a column letter (shifted header)
    if col:
        found = _find_header(ws, col, form)
        if found is None:
            return None  # the column is missing: nothing to point at
        hrow, hcol = found
        if issue.rule in HEADER_RULES:
            return f"{get_column_letter(hcol)}{hrow}"
        if form:
            return f"{get_column_letter(hcol + 1)}{issue.row or hrow}"
        return f"{get_column_letter(hcol)}{issue.row}" if issue.row and issue.row > hrow else None
    if issue.row:
        return f"A{issue.row}"
    return None


def place(wb, issues: list[Issue]) -> list[Placed]:
    by_name = {_norm(n): n for n in wb.sheetnames}
    out = []
    for i in issues:
        sheet = by_name.get(_norm(i.sheet)) if i.sheet else None
        out.append(Placed(i, sheet, locate(wb[sheet], i) if sheet else None))
    return out


def found_text(i: Issue) -> str:
    if i.value is not None:
        return str(i.value)
    return "tom cell" if i.rule == "required" else "–"


def expected_text(i: Issue) -> tuple[str, str]:
    """(what is expected, an example) from the rule catalogue and the column's help."""
    rule_expected, rule_example = RULE_GUIDANCE.get(i.rule, ("", ""))
    column = _schema_column(_schema_sheet(i.sheet), i.column)
    expected = rule_expected
    example = rule_example
    if column is not None and i.rule not in HEADER_RULES:
        if column.help_sv and column.help_sv not in expected:
            expected = f"{expected} {i.column}: {column.help_sv}".strip()
        example = column.example or example
    elif column is not None and i.rule in HEADER_RULES:
        example = column.header
    return expected, example


def comment_text(i: Issue) -> str:
    rule = CATALOGUE.rules.get(i.rule)
    title = rule.sv if rule else i.message_sv
    expected, example = expected_text(i)
    lines = [f"{LEVEL_SV.get(i.severity, i.severity)} – regel {i.rule}: {title}",
             f"Meddelande: {i.message_sv}",
             f"Hittat: {found_text(i)}",
             f"Förväntat: {expected or '–'}"]
    if example:
        lines.append(f"Exempel: {example}")
    return "\n".join(lines)


def status_line(issues: list[Issue], accepted: bool, deadline: date | None) -> str:
    n_err = sum(i.severity == "error" for i in issues)
    n_warn = sum(i.severity == "warning" for i in issues)
    if not accepted:
        when = f" senast {deadline.isoformat()}" if deadline else ""
        return (f"Rapporten är AVVISAD: {n_err} fel (röda celler) måste rättas. "
                f"Rätta filen och skicka in den igen{when}.")
    if n_warn:
        return (f"Rapporten är GODKÄND och inläst, med {n_warn} varningar (gula celler) att granska. "
                "Stämmer uppgifterna behövs ingen åtgärd.")
    return "Rapporten är GODKÄND och inläst."


def _remove_old_marks(wb) -> None:
    """A return that is our own feedback copy, edited and sent back: drop our sheet, comments, fills."""
    if FEEDBACK_SHEET in wb.sheetnames:
        del wb[FEEDBACK_SHEET]
    ours = set(FILL_RGB.values())
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None and cell.comment.author == AUTHOR:
                    cell.comment = None
                    if cell.fill is not None and cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb in ours:
                        cell.fill = PatternFill(fill_type=None)


def _mark_cells(wb, placed: list[Placed]) -> None:
    cells: dict[tuple[str, str], list[Issue]] = {}
    for p in placed:
        if p.sheet and p.cell:
            cells.setdefault((p.sheet, p.cell), []).append(p.issue)
    for (sheet, ref), issues in cells.items():
        cell = wb[sheet][ref]
        worst = "error" if any(i.severity == "error" for i in issues) else "warning"
        cell.fill = ERROR_FILL if worst == "error" else WARNING_FILL
        text = "\n\n".join(comment_text(i) for i in issues)
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 420, min(900, 110 + 95 * len(issues))
        cell.comment = comment


def _write_feedback_sheet(wb, placed: list[Placed], file: str, accepted: bool, deadline: date | None) -> None:
    ws = wb.create_sheet(FEEDBACK_SHEET, 0)
    issues = [p.issue for p in placed]
    ws["A1"] = status_line(issues, accepted, deadline)
    ws["A1"].font = Font(bold=True, size=13, color="9C0006" if not accepted else "006100")
    counts = {s: sum(i.severity == s for i in issues) for s in ("error", "warning", "normalised")}
    ws["A2"] = (f"Fil: {file}. {counts['error']} fel, {counts['warning']} varningar, "
                f"{counts['normalised']} normaliseringar. Klicka på cellen i kolumn D för att gå till problemet; "
                "kommentaren i cellen säger vad som förväntas.")
    header = ["Nr", "Nivå", "Flik", "Cell", "Regel", "Meddelande", "Hittat", "Förväntat", "Exempel"]
    for c, h in enumerate(header, start=1):
        ws.cell(row=4, column=c, value=h).font = Font(bold=True)
    order = {"error": 0, "warning": 1, "normalised": 2}
    for n, p in enumerate(sorted(placed, key=lambda p: order.get(p.issue.severity, 3)), start=1):
        i = p.issue
        r = 4 + n
        expected, example = expected_text(i)
        where = p.cell or ("hela fliken" if p.sheet else "hela filen")
        values = [n, LEVEL_SV.get(i.severity, i.severity), i.sheet or "–", where, i.rule, i.message_sv,
                  found_text(i), expected, example]
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=v).alignment = Alignment(vertical="top", wrap_text=c >= 6)
        ws.cell(row=r, column=2).fill = ERROR_FILL if i.severity == "error" else WARNING_FILL
        if p.sheet:
            target = ws.cell(row=r, column=4)
            target.hyperlink = Hyperlink(ref=target.coordinate, location=f"'{p.sheet}'!{p.cell or 'A1'}",
                                         tooltip=f"Gå till {p.sheet} {p.cell or ''}".strip())
            target.font = Font(color="0563C1", underline="single")
    for letter, width in zip("ABCDEFGHI", (5, 13, 12, 10, 20, 50, 24, 50, 26)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False


# openpyxl drops every worksheet <extLst> on load (openpyxl/worksheet/_reader.py parse_extensions:
# "... extension is not supported and will be removed"). Excel keeps list validations that refer to
# another sheet, and newer conditional formats, there (x14). They are copied back from the original.
_EXT_NAMESPACES = {
    "x14": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main",
    "xm": "http://schemas.microsoft.com/office/excel/2006/main",
    "x14ac": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def _sheet_parts(z) -> dict[str, str]:
    """Sheet name -> zip member of its worksheet XML."""
    import html

    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {_attr(t, "Id"): _attr(t, "Target") for t in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels)}
    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", z.read("xl/workbook.xml").decode("utf-8")):
        name, target = _attr(tag, "name"), targets.get(_attr(tag, "r:id"))
        if name and target:
            out[html.unescape(name)] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _restore_extensions(src: Path, out: Path) -> int:
    """Copy each original worksheet's <extLst> into the written copy; returns how many were restored."""
    import zipfile

    with zipfile.ZipFile(src) as z:
        parts = _sheet_parts(z)
        exts = {}
        for name, member in parts.items():
            try:
                xml = z.read(member).decode("utf-8")
            except KeyError:
                continue
            m = re.search(r"<extLst\b.*</extLst>", xml, re.S)
            if m:
                exts[name] = m.group(0)
    if not exts:
        return 0
    with zipfile.ZipFile(out) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
        new_parts = _sheet_parts(z)
    replace = {}
    for name, block in exts.items():
        member = new_parts.get(name)
        xml = next((d for i, d in members if i.filename == member), None)
        if xml is None:
            continue
        text = xml.decode("utf-8")
        if "<extLst" in text:
            continue
        root = re.search(r"<worksheet\b[^>]*>", text).group(0)
        extra = "".join(f' xmlns:{p}="{uri}"' for p, uri in _EXT_NAMESPACES.items()
                        if f"<{p}:" in block and f"xmlns:{p}=" not in block and f"xmlns:{p}=" not in root)
        text = text.replace(root, root[:-1] + extra + ">", 1).replace("</worksheet>", block + "</worksheet>")
        replace[member] = text.encode("utf-8")
    if replace:
        import zipfile

        tmp = out.with_name(f".{out.name}.ext")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in members:
                z.writestr(info, replace.get(info.filename, data))
        tmp.replace(out)
    return len(replace)


# A workbook that broke the reader's resource caps (a zip bomb, entity declarations, a sheet far
# beyond the template, a crash or limit in the isolated reader) is never opened here: openpyxl has
# no such caps and would take the night's process down. It gets the Återkoppling sheet only.
UNSAFE_TO_OPEN = frozenset({"unreadable", "reader_failed", "outside_template", "too_many_rows", "cell_too_long"})


def annotate_workbook(src: Path, issues: list[Issue], out: Path, *, accepted: bool,
                      deadline: date | None = None, display_name: str | None = None) -> Path:
    """Write the marked-up copy of `src` to `out`. A CSV-folder return gets a workbook holding the
    Återkoppling sheet only (there is no workbook to mark up)."""
    src, out = Path(src), Path(out)
    name = display_name or src.name
    wb = None
    if src.is_file() and src.suffix.lower() in (".xlsx", ".xlsm") and not any(
            i.rule in UNSAFE_TO_OPEN for i in issues):
        try:
            wb = load_workbook(src, keep_vba=src.suffix.lower() == ".xlsm", rich_text=True)
        except Exception:  # noqa: BLE001 - an unreadable workbook still gets its feedback sheet
            wb = None
    if wb is None:
        wb = Workbook()
        placed = [Placed(i, None, None) for i in issues]
        _write_feedback_sheet(wb, placed, name, accepted, deadline)
        del wb[wb.sheetnames[1]]
    else:
        _remove_old_marks(wb)
        placed = place(wb, issues)
        _mark_cells(wb, placed)
        _write_feedback_sheet(wb, placed, name, accepted, deadline)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    wb.save(tmp)
    if src.is_file() and len(wb.sheetnames) > 1:
        _restore_extensions(src, tmp)
    tmp.replace(out)
    return out


def annotate_checked(file: Path, out: Path, code: int, lines: list[str], settings) -> Path:
    """`check-return --annotate`: the marked-up copy after check_exit_code. The return is parsed
    again in the isolated worker (so a hostile file cannot take the command down); an unreadable one
    (exit 2) gets a workbook holding the Återkoppling sheet with the reason."""
    from folkhalsa.sources.returns import parse_isolated

    file = Path(file)
    if code != 2:
        try:
            parsed = parse_isolated([file])[file](file)
        except Exception as e:  # noqa: BLE001 - same answer as check_exit_code's exit 2
            code, lines = 2, [f"{type(e).__name__}: {e}"]
        else:
            deadline = settings.return_deadline(parsed.year) if parsed.year else None
            return annotate_workbook(file, parsed.issues, out, accepted=parsed.ok, deadline=deadline)
    rule = "reader_failed" if any("[reader_failed]" in ln for ln in lines) else "unreadable"
    issue = CATALOGUE.issue(rule if rule in CATALOGUE else "unreadable", file=file.name, detail=" ".join(lines))
    return annotate_workbook(file, [issue], out, accepted=False)
