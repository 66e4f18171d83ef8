"""Write länsrapport workbooks from the schema: the blank template and filled returns.

The sample-data generator fills the same layout, so sample returns always match the template.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from folkhalsa import reference
from folkhalsa.schemas.lansrapport import (
    CODE_LISTS, INSTRUCTIONS_SHEET, SHEETS, TEMPLATE_VERSION, TEMPLATE_VERSIONS, Sheet,
)

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
LISTS_SHEET = "Kodlistor"
VALIDATION_ROWS = 500


def _code_values(name: str) -> list[str]:
    if name == "county":
        return list(reference.counties())
    if name == "municipality":
        return list(reference.municipalities())
    return list(CODE_LISTS[name])


def _write_lists(wb: Workbook, sheets: tuple[Sheet, ...]) -> dict[str, str]:
    """A hidden sheet of code lists; drop-downs refer to its ranges (Excel caps inline lists at 255 chars).
    Only the lists the version's sheets use, so an older template stays as it was."""
    ws = wb.create_sheet(LISTS_SHEET)
    refs = {}
    used = {c.codes for s in sheets for c in s.columns if c.codes}
    names = [n for n in ("county", "municipality", *CODE_LISTS) if n in used]
    for col, name in enumerate(names, start=1):
        letter = ws.cell(row=1, column=col).column_letter
        ws.cell(row=1, column=col, value=name)
        values = _code_values(name)
        for i, v in enumerate(values, start=2):
            ws.cell(row=i, column=col, value=v)
        refs[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return refs


def _instructions(wb: Workbook, version: str) -> None:
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    lines = [
        ("Länsrapport om det regionala folkhälsoarbetet", True),
        (f"Mallversion {version}. Ändra inte flikarnas namn eller rubrikerna. "
         "Kolumnernas ordning spelar ingen roll: de känns igen på rubriken.", False),
        ("Fyll i en rad per aktör, insats och behov. Lämna inga tomma rader inne i tabellerna.", False),
        ("Belopp anges i hela kronor, t.ex. 630 000. Datum anges ÅÅÅÅ-MM-DD.", False),
        ("Kontrollera filen med `folkhalsa check-return <fil>` innan den skickas.", False),
        ("", False),
    ]
    for sheet in TEMPLATE_VERSIONS[version].sheets:
        lines.append((f"{sheet.name}: {sheet.help_sv}", True))
        for c in sheet.columns:
            req = "obligatorisk" if c.required else "frivillig"
            if c.required_when:
                req = f"obligatorisk när {sheet.column(c.required_when[0]).header} börjar med {c.required_when[1]}"
            lines.append((f"  {c.header} ({req}): {c.help_sv}", False))
    for r, (text, bold) in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=text).font = Font(bold=bold)
    ws.column_dimensions["A"].width = 110


def _add_validation(ws, sheet: Sheet, refs: dict[str, str]) -> None:
    for idx, c in enumerate(sheet.columns, start=1):
        if c.kind != "code" or not c.codes:
            continue
        letter = ws.cell(row=1, column=idx).column_letter
        dv = DataValidation(type="list", formula1=f"={refs[c.codes]}", allow_blank=not c.required,
                            showErrorMessage=True, errorTitle="Ogiltigt värde",
                            error=f"Välj ett värde i listan för {c.header}.")
        if sheet.layout == "form":
            dv.add(f"B{idx}")
        else:
            dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
        ws.add_data_validation(dv)


def _write_sheet(wb: Workbook, sheet: Sheet, refs: dict[str, str], values) -> None:
    ws = wb.create_sheet(sheet.name)
    if sheet.layout == "form":
        values = values or {}
        for r, c in enumerate(sheet.columns, start=1):
            ws.cell(row=r, column=1, value=c.header).font = Font(bold=True)
            ws.cell(row=r, column=2, value=values.get(c.field))
            ws.cell(row=r, column=3, value=c.help_sv).alignment = Alignment(wrap_text=False)
        ws.column_dimensions["A"].width = 18
        ws.column_dimensions["B"].width = 36
    else:
        for col, c in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=col, value=c.header)
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
            ws.column_dimensions[cell.column_letter].width = max(14, len(c.header) + 4)
        for r, row in enumerate(values or [], start=2):
            for col, c in enumerate(sheet.columns, start=1):
                ws.cell(row=r, column=col, value=row.get(c.field))
        ws.freeze_panes = "A2"
    _add_validation(ws, sheet, refs)


def build_workbook(filled: dict | None = None, version: str | None = None) -> Workbook:
    """A workbook in the layout of template `version` (by default the version the filled
    Uppgifter states, else the current one); `filled` maps table name -> dict (form) or list of dicts."""
    filled = filled or {}
    version = version or (filled.get("submission") or {}).get("template_version") or TEMPLATE_VERSION
    wb = Workbook()
    _instructions(wb, version)
    refs = _write_lists(wb, TEMPLATE_VERSIONS[version].sheets)
    for sheet in TEMPLATE_VERSIONS[version].sheets:
        default = {"template_version": version} if sheet.layout == "form" else None
        values = filled.get(sheet.table, default)
        if sheet.layout == "form":
            values = {"template_version": version, **(values or {})}
        _write_sheet(wb, sheet, refs, values)
    # Keep the code-list sheet last so the visible order is instructions, then the parts.
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    return wb


def write_template(path: Path, version: str = TEMPLATE_VERSION) -> Path:
    from folkhalsa.io.xlsx_files import normalise_xlsx

    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(version=version).save(path)
    return normalise_xlsx(path)  # byte-reproducible, so a stale committed template shows in a test


# Older templates kept beside the current one, for counties that still report on them.
KEPT_TEMPLATES = ("2023.1",)


def older_template_name(version: str) -> str:
    return f"lansrapport_{version}.xlsx"


def write_templates(folder: Path) -> list[Path]:
    """The current template as lansrapport.xlsx and each kept older one as lansrapport_<version>.xlsx."""
    return [write_template(folder / "lansrapport.xlsx"),
            *(write_template(folder / older_template_name(v), v) for v in KEPT_TEMPLATES)]


def write_return(path: Path, filled: dict, version: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(filled, version).save(path)
    return path


def format_docs() -> str:
    """The format documentation page, generated from the schema (docs/lansrapport.md)."""
    from folkhalsa.schemas.lansrapport import NORMALISED_RULES, RULES, WARNING_RULES

    out = [
        "# Länsrapportens format",
        "",
        f"Genererad från `folkhalsa/schemas/lansrapport.py`. Mallversion **{TEMPLATE_VERSION}**. "
        "Mallen: `data/templates/lansrapport.xlsx`; äldre mallar: "
        + ", ".join(f"`data/templates/{older_template_name(v)}`" for v in KEPT_TEMPLATES) + ".",
        "",
        "## Mallversioner",
        "",
        "Rapporten valideras efter den version som står i Uppgifter/Mallversion. En okänd version är ett fel. "
        "En kolumn som den angivna versionen saknar läses in med sitt värde för saknad kolumn "
        "(Jämställdhetsperspektiv i en rapport på 2023.1: *ej redovisat*, som inte är *Nej*).",
        "",
        "| Version | Ändringar |",
        "|---|---|",
        *(f"| {v.version}{' (aktuell)' if v.version == TEMPLATE_VERSION else ''} | {v.changes_sv} |"
          for v in TEMPLATE_VERSIONS.values()),
        "",
    ]
    for s in SHEETS:
        out += [f"## {s.name}", "", s.help_sv, "",
                "| Rubrik | Fält | Typ | Obligatorisk | Kodlista | Beskrivning | Exempel | Från version |",
                "|---|---|---|---|---|---|---|---|"]
        for c in s.columns:
            required = "ja" if c.required else "nej"
            if c.required_when:
                required = f"när {s.column(c.required_when[0]).header} börjar med {c.required_when[1]}"
            since = next(v.version for v in TEMPLATE_VERSIONS.values() if c in v.sheet(s.name).columns)
            note = f" Saknas kolumnen (äldre mall): *{c.absent}*." if c.absent else ""
            note += " Fritext: hålls utanför de publicerade tabellerna." if c.free_text else ""
            out.append(f"| {c.header} | `{c.field}` | {c.kind} | {required} | "
                       f"{c.codes or ''} | {c.help_sv}{note} | {c.example} | {since} |")
        out.append("")
    out += _limits_docs()
    out += ["## Kontroller", "",
            "Nivå **fel** avvisar rapporten (`check-return` avslutar med 1; en fil som inte alls kan läsas ger 2). "
            "**varning** godkänner den men visas i larmet. **normaliserat** är en notis: värdet lästes som det "
            "en människa menar, och rapporten godkänns.", "",
            "| Regel | Nivå | Svenska | English |", "|---|---|---|---|"]
    for rule, (sv, en) in RULES.items():
        level = ("normaliserat" if rule in NORMALISED_RULES else "varning" if rule in WARNING_RULES else "fel")
        out.append(f"| `{rule}` | {level} | {sv} | {en} |")
    out += ["", "## Kodlistor", ""]
    for name, values in CODE_LISTS.items():
        out.append(f"- **{name}**: " + ", ".join(values))
    out.append("- **county**: de 21 länskoderna; **municipality**: de 290 kommunkoderna (dbt/seeds).")
    return "\n".join(out) + "\n"



def _limits_docs() -> list[str]:
    """Limits, amounts and normalisations, from the schema's constants."""
    from folkhalsa.schemas.lansrapport import (
        AMOUNT_FORMS, CELL_TEXT_LIMIT, LAST_COLUMN, MAX_COMPRESSION_RATIO, MAX_PARTS, MAX_UNCOMPRESSED_BYTES,
        NORMALISATIONS,
    )
    from folkhalsa.isolation import DEFAULT_MEMORY_MB as MEMORY_MB, DEFAULT_TIME_LIMIT_S as TIME_S
    from folkhalsa.io.workbook import column_letter

    out = ["## Kolumnordning / Column order", "",
           "Kolumnerna känns igen på rubriken, i vilken ordning som helst. Columns are matched by their "
           "header, in any order; the header row must start in cell A1.", "",
           "## Belopp / Amounts", "",
           "Belopp i hela kronor som tal eller som entydig svensk text. Godkänt / accepted: "
           + ", ".join(f"`{f}`" for f in AMOUNT_FORMS) + ". "
           "Avvisas / rejected (`ambiguous_amount`): `630.000` (punkt som tusentalsavgränsare), `6,3 mkr`, "
           "`630,000`.", "",
           "## Gränser / Limits", "",
           "Kontrolleras innan någon flik läses; en fil över gränserna avvisas med regeln och cellen. "
           "Checked before any sheet is parsed.", "",
           "| Gräns / Limit | Värde / Value | Regel / Rule |", "|---|---|---|",
           f"| Uppackad storlek, alla delar / unpacked size, all parts | {MAX_UNCOMPRESSED_BYTES // 2**20} MB | `unreadable` |",
           f"| Packningsgrad per del över 1 MB / compression ratio per part over 1 MB | {MAX_COMPRESSION_RATIO} | `unreadable` |",
           f"| Delar i zip-filen / zip members | {MAX_PARTS} | `unreadable` |",
           "| DTD eller entitetsdeklaration i XML / DTD or entity declaration | aldrig / never | `unreadable` |",
           f"| Text i en cell / text in one cell | {CELL_TEXT_LIMIT} tecken/characters | `cell_too_long` |",
           f"| Sista kolumn med värden / last column with values | {column_letter(LAST_COLUMN)} | `outside_template` |",
           "| Angiven storlek (dimension) / declared dimension | högst 2 × flikens område / at most 2 × the sheet's area | `outside_template` |"]
    for s in SHEETS:
        rows = f"{s.max_rows} rader/rows" if s.max_rows else f"{len(s.columns)} fält/fields"
        out.append(f"| {s.name}: innehåll / content | {rows}; värden till rad/values down to row {s.last_row} | "
                   f"`too_many_rows` |")
    out += ["", "Ekonomi måste ha en rad (`empty_required_table`); andra tomma tabeller ger en varning. "
            "Året i Uppgifter måste vara filnamnets år (`year_mismatch`), länskoden filnamnets län "
            "(`county_mismatch`).", "",
            "## Normaliseringar / Normalisations", "",
            "Var och en ger en notis med nivån *normaliserat* i `check-return`, aldrig ett fel:", ""]
    out += [f"- {n}" for n in NORMALISATIONS]
    out += ["", "## Isolering / Isolation", "",
            f"Varje fil läses i en arbetsprocess med högst {MEMORY_MB} MB minne och {TIME_S:.0f} s "
            "(ändras med / set by `FOLKHALSA_PARSE_MEMORY_MB`, `FOLKHALSA_PARSE_TIMEOUT_S`). En krasch eller en nådd gräns avvisar "
            "filen (`reader_failed`) och lägger den i karantän; den läses inte igen förrän en ny version "
            "(ny hash) kommer. Each file is parsed in a worker process with these limits; a crash or a limit "
            "rejects and quarantines that file only, and it is not retried until a new version arrives.", "",
            "## Nya versioner och granskning / New versions and review", "",
            "En godkänd ny version som tömmer en tabell som den gällande versionen har, eller mer än halverar "
            "den, blir `pending_review`: den landas men blir inte gällande, och larmet nämner den varje natt. "
            "Godkänn den med / accept it with:", "",
            "    folkhalsa accept-return <hash eller filnamn / hash or file name>", "",
            "Ett län vars gällande rapport bryter en regel över länen (beviljat skiljer sig från beslutet) "
            "markeras **under granskning** i `mart_grant_reconciliation` och `mart_county_scorecard` och "
            "räknas inte i de nationella summorna; allt annat publiceras. Detsamma gäller när räkenskapen "
            "inte stämmer (beviljat ≠ förbrukat + återbetalt), tills en rättad version kommer eller någon "
            "godtar versionen med `folkhalsa accept-return <hash>` / likewise when the account does not "
            "reconcile, until a corrected version arrives or someone accepts it with that command. Varningar stoppar aldrig "
            "publiceringen. Every file version, rejected ones too, stays in `fct_submission_version`; a file "
            "whose content cannot be read gets county and year from its name.", ""]
    return out
