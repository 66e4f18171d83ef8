"""The county return (länsrapport) format, defined once.

This module is the single source for the template workbook (template.py), the validator
(sources/returns.py) and the format documentation (docs/lansrapport.md). Change a column here and
all three follow.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from folkhalsa.issues import Catalogue, Rule

# The county returns' source id: landing folder, issues' source, alert grouping.
SOURCE = "returns"

# The version `folkhalsa template` writes. Every version a return may be on: TEMPLATE_VERSIONS (below).
TEMPLATE_VERSION = "2024.1"

ACTOR_TYPES = (
    "Kommun", "Region", "Länsstyrelse", "Statlig myndighet", "Idéburen organisation",
    "Näringsliv", "Lärosäte", "Annan",
)
ACTOR_LEVELS = ("Lokal", "Regional", "Nationell")
ACTIVITY_TYPES = (
    "Samordningsstruktur", "Kompetensutveckling", "Tvärsektoriell utbildning",
    "Mellankommunal insats", "Kunskapsstöd",
)
NEED_THEMES = (
    "Psykisk hälsa", "Levnadsvanor", "Barn och unga", "Äldre", "Jämlikhet och jämställdhet",
    "Kunskapsunderlag och uppföljning", "Samverkan och styrning", "Resurser och finansiering",
    "Boende och närmiljö", "Arbete och försörjning",
)
# Template 2024.1: how gender equality was considered in each activity (S2022/01941: "jämställdhet
# ska beaktas genomgående"). A return on an older template did not answer: PERSPECTIVE_NOT_REPORTED,
# which is not "Nej".
GENDER_PERSPECTIVES = ("Ja, analys per kön gjord", "Ja, på annat sätt", "Nej", "Ej relevant")
PERSPECTIVE_NOT_REPORTED = "ej redovisat"
PERSPECTIVE_ANSWERS = (*GENDER_PERSPECTIVES, PERSPECTIVE_NOT_REPORTED)
NEED_RAISED_BY = ("Kommun", "Region", "Idéburen organisation", "Statlig myndighet", "Annan")

# Code lists by name. County and municipality codes come from the reference seeds at run time.
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "actor_type": ACTOR_TYPES,
    "actor_level": ACTOR_LEVELS,
    "activity_type": ACTIVITY_TYPES,
    "need_theme": NEED_THEMES,
    "need_raised_by": NEED_RAISED_BY,
    "target_area": tuple(str(i) for i in range(1, 9)),
    "gender_perspective": GENDER_PERSPECTIVES,
}


@dataclass(frozen=True)
class Column:
    header: str               # as written in the workbook (Swedish)
    field: str                # landed column name
    kind: str                 # text | int | amount | date | code | code_list | email
    required: bool = True
    codes: str | None = None  # code list: a CODE_LISTS key, "county" or "municipality"
    help_sv: str = ""
    example: str = ""
    pii: bool = False         # personal data: landed, never shown in reports or logs
    free_text: bool = False   # free text that may hold personal data: landed, kept out of the marts
    absent: str | None = None  # landed value for a return whose template version lacks the column
    required_when: tuple[str, str] | None = None  # (field, prefix): required when that field starts so


@dataclass(frozen=True)
class Sheet:
    name: str                 # sheet name in the workbook
    table: str                # landed table name
    layout: str               # "form" (label in A, value in B) or "table" (header in row 1)
    columns: tuple[Column, ...]
    help_sv: str = ""
    unique: tuple[str, ...] = field(default_factory=tuple)  # fields that must be unique per return
    max_rows: int | None = None  # data rows (tables) or label rows (form) the template holds
    must_have_rows: bool = False  # an empty table is an error, not a warning

    @property
    def last_row(self) -> int:
        """The last Excel row that may hold a value: the template's rows plus room for a header
        moved down or a few blank rows, which the validator reports with their own rules."""
        return 1 + (self.max_rows or len(self.columns)) + ROW_SLACK

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)


# Resource limits, applied before a sheet is parsed (folkhalsa/io/workbook.py).
ROW_SLACK = 100                 # rows beyond a table's limit still read, so too_many_rows can name a row
LAST_COLUMN = 26                # column Z: the widest sheet has 7 columns; notes beside it are allowed
CELL_TEXT_LIMIT = 32_767        # Excel's own limit for the text in one cell
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024   # all parts of the workbook together, unpacked
MAX_COMPRESSION_RATIO = 200     # per part over 1 MB unpacked; ordinary sheet XML packs 5-30 times
MAX_PARTS = 2_000               # zip members
MAX_TABLE_ROWS = 10_000         # actors, activities, needs: 100 times the largest real return

UPPGIFTER = Sheet(
    name="Uppgifter", table="submission", layout="form",
    help_sv="Uppgifter om länsrapporten. Fyll i kolumn B.",
    columns=(
        Column("Länskod", "county_code", "code", codes="county", help_sv="Länets tvåsiffriga kod.", example="24"),
        Column("År", "year", "int", help_sv="Det år rapporten avser.", example="2022"),
        Column("Kontaktperson", "contact_name", "text", help_sv="Namn på kontaktperson.", example="Anna Andersson", pii=True),
        Column("E-post", "contact_email", "email", help_sv="Kontaktpersonens e-postadress.", example="anna.andersson@lansstyrelsen.se", pii=True),
        Column("Inlämningsdatum", "submitted_on", "date", help_sv="Datum då rapporten lämnas in (ÅÅÅÅ-MM-DD).", example="2023-02-15"),
        Column("Mallversion", "template_version", "text", help_sv="Fylls i av mallen. Ändra inte.", example=TEMPLATE_VERSION),
    ),
)

AKTORER = Sheet(
    name="Aktörer", table="actors", layout="table", max_rows=MAX_TABLE_ROWS,
    help_sv="Aktörskartan: en rad per aktör som arbetar med folkhälsa i länet.",
    unique=("actor_id",),
    columns=(
        Column("Aktörs-id", "actor_id", "text", help_sv="Länets egen id för aktören, unik i rapporten.", example="A1"),
        Column("Aktör", "actor_name", "text", help_sv="Organisationens namn.", example="Umeå kommun"),
        Column("Aktörstyp", "actor_type", "code", codes="actor_type", help_sv="Välj i listan.", example="Kommun"),
        Column("Nivå", "actor_level", "code", codes="actor_level", help_sv="Välj i listan.", example="Lokal"),
        Column("Kommunkod", "municipality_code", "code", required=False, codes="municipality",
               help_sv="Fyra siffror, för aktörer i en kommun i länet.", example="2480"),
        Column("Målområden", "target_areas", "code_list", codes="target_area",
               help_sv="Målområden 1–8 som aktören arbetar inom, kommaseparerade.", example="1, 6, 8"),
    ),
)

INSATSER = Sheet(
    name="Insatser", table="activities", layout="table", max_rows=MAX_TABLE_ROWS,
    help_sv="Länsstyrelsens insatser: en rad per insats och målområde.",
    unique=("activity_id",),
    columns=(
        Column("Insats-id", "activity_id", "text", help_sv="Unik id för insatsen i rapporten.", example="I1"),
        Column("Målområde", "target_area", "code", codes="target_area", help_sv="Målområde 1–8.", example="6"),
        Column("Insatstyp", "activity_type", "code", codes="activity_type", help_sv="Välj i listan.", example="Samordningsstruktur"),
        Column("Beskrivning", "description", "text", help_sv="Kort beskrivning av insatsen.", example="Länsgemensamt nätverk för folkhälsostrateger"),
        Column("Kommuner", "municipality_codes", "code_list", required=False, codes="municipality",
               help_sv="Kommunkoder för deltagande kommuner, kommaseparerade.", example="2480, 2482"),
        Column("Startdatum", "start_date", "date", help_sv="Inom rapportåret (ÅÅÅÅ-MM-DD).", example="2022-03-01"),
        Column("Kostnad (kr)", "cost_sek", "amount", required=False, help_sv="Kostnad i kronor, om känd.", example="50 000"),
    ),
)

BEHOV = Sheet(
    name="Behov", table="needs", layout="table", max_rows=MAX_TABLE_ROWS,
    help_sv="Behov som kommuner, regionen och andra har lyft till länsstyrelsen.",
    unique=("need_id",),
    columns=(
        Column("Behovs-id", "need_id", "text", help_sv="Unik id för behovet i rapporten.", example="B1"),
        Column("Målområde", "target_area", "code", codes="target_area", help_sv="Målområde 1–8.", example="6"),
        Column("Tema", "theme", "code", codes="need_theme", help_sv="Välj i listan.", example="Levnadsvanor"),
        Column("Uppgivet av", "raised_by", "code", codes="need_raised_by", help_sv="Välj i listan.", example="Kommun"),
        Column("Kommunkod", "municipality_code", "code", required=False, codes="municipality",
               help_sv="Om behovet lyfts av en kommun i länet.", example="2480"),
        Column("Beskrivning", "description", "text", required=False, help_sv="Kort beskrivning.", example="Stöd i arbetet med ANDT-förebyggande insatser"),
    ),
)

EKONOMI = Sheet(
    name="Ekonomi", table="finance", layout="table", max_rows=1, must_have_rows=True,
    help_sv="Ekonomisk redovisning av statsbidraget. Outnyttjade medel återbetalas senast 31 mars året efter.",
    columns=(
        Column("Beviljat (kr)", "granted_sek", "amount", help_sv="Beviljat belopp.", example="630 000"),
        Column("Förbrukat (kr)", "used_sek", "amount", help_sv="Förbrukat belopp.", example="598 500"),
        Column("Återbetalas (kr)", "repaid_sek", "amount", help_sv="Belopp som återbetalas.", example="31 500"),
        Column("Kommentar", "comment", "text", required=False, help_sv="Frivillig kommentar.", example=""),
    ),
)

INSTRUCTIONS_SHEET = "Instruktioner"

# ---------------------------------------------------------------- template versions
# A version's sheets are the sheets above plus the columns it added. A return is validated by the
# rules of the version it states in Uppgifter/Mallversion, and lands in the newest layout: a column
# its version lacks lands as the column's `absent` value (or empty).

INSATSER_2024_1 = replace(INSATSER, columns=INSATSER.columns + (
    Column("Jämställdhetsperspektiv", "gender_perspective", "code", codes="gender_perspective",
           help_sv="Hur jämställdhet har beaktats i insatsen. Välj i listan.",
           example="Ja, analys per kön gjord", absent=PERSPECTIVE_NOT_REPORTED),
    Column("Hur", "gender_perspective_how", "text", required=False, free_text=True,
           required_when=("gender_perspective", "Ja"),
           help_sv="Obligatorisk när svaret börjar med Ja: beskriv kort hur. Skriv inga namn eller kontaktuppgifter.",
           example="Deltagarstatistiken redovisas och analyseras per kön"),
))
EKONOMI_2024_1 = replace(EKONOMI, columns=EKONOMI.columns + (
    Column("Varav insatser med jämställdhetsperspektiv (kr)", "gender_equality_used_sek", "amount", required=False,
           help_sv="Den del av förbrukat belopp som gick till insatser med jämställdhetsperspektiv.",
           example="120 000"),
))


@dataclass(frozen=True)
class TemplateVersion:
    version: str
    sheets: tuple[Sheet, ...]
    changes_sv: str

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)


TEMPLATE_VERSIONS: dict[str, TemplateVersion] = {v.version: v for v in (
    TemplateVersion("2022.1", (UPPGIFTER, AKTORER, INSATSER, BEHOV, EKONOMI), "Första mallen."),
    TemplateVersion("2023.1", (UPPGIFTER, AKTORER, INSATSER, BEHOV, EKONOMI), "Samma flikar och kolumner som 2022.1."),
    TemplateVersion("2024.1", (UPPGIFTER, AKTORER, INSATSER_2024_1, BEHOV, EKONOMI_2024_1),
                    "Insatser: Jämställdhetsperspektiv och Hur. Ekonomi: Varav insatser med "
                    "jämställdhetsperspektiv (kr)."),
)}
ACCEPTED_TEMPLATE_VERSIONS = tuple(TEMPLATE_VERSIONS)
# The current template's sheets; also the layout every return lands in.
SHEETS: tuple[Sheet, ...] = TEMPLATE_VERSIONS[TEMPLATE_VERSION].sheets


def template_version(version: str | None) -> TemplateVersion:
    """The stated version's layout; the current one when the version is missing or unknown (the
    validator reports that as an error, and still checks the rest)."""
    return TEMPLATE_VERSIONS.get(str(version) if version is not None else "", TEMPLATE_VERSIONS[TEMPLATE_VERSION])


def foreign_columns(version: TemplateVersion, sheet: Sheet) -> dict[str, str]:
    """Headers of `sheet` in other versions that this version does not have: header -> a version that has it."""
    own = {c.header.casefold() for c in version.sheet(sheet.name).columns}
    out: dict[str, str] = {}
    for other in TEMPLATE_VERSIONS.values():
        for c in other.sheet(sheet.name).columns:
            if c.header.casefold() not in own:
                out.setdefault(c.header, other.version)
    return out

# Rules, named once so messages, docs and tests use the same ids. Each has one severity:
# an error rejects the whole return (it is quarantined), a warning lands it, and a `normalised`
# note says a value was read as what a person would call the same (never rejects).
@dataclass(frozen=True)
class AmountOrder:
    """One "smaller ≤ larger" rule between two amounts on the Ekonomi row, declared once: its text (the
    catalogue Rule), its guidance for the county, the return check (sources/returns.py) and the GX
    expectation on the mart (expectations/.../fct_grant.json, meta.check == gx_check; the test
    tests/test_rule_homes.py holds the suite to this declaration)."""
    id: str
    smaller: str          # field / mart column that may not exceed ...
    larger: str           # ... this one
    sv: str
    en: str
    guidance: str
    example: str
    gx_check: str

    def rule(self) -> Rule:
        return Rule(self.id, "error", self.sv, self.en)

    def violated(self, rec: dict) -> bool:
        small, large = rec.get(self.smaller), rec.get(self.larger)
        return small is not None and large is not None and small > large


USED_LE_GRANTED = AmountOrder("used_exceeds_granted", "used_sek", "granted_sek",
                              "Förbrukat är större än beviljat", "Amount used exceeds amount granted",
                              "Förbrukat högst lika med beviljat.", "Beviljat 630 000, förbrukat 598 500",
                              gx_check="used_le_granted")

CATALOGUE = Catalogue(SOURCE, [
    Rule("unreadable", "error", "Filen kan inte läsas", "The file cannot be read"),
    Rule("reader_failed", "error", "Läsaren kraschade eller nådde minnes- eller tidsgränsen",
         "The reader crashed or hit the memory or time limit"),
    Rule("missing_sheet", "error", "Fliken saknas", "Sheet is missing"),
    Rule("missing_column", "error", "Kolumnen saknas", "Column is missing"),
    Rule("shifted_header", "error", "Rubriken är förskjuten eller sammanslagen", "Header cells are shifted or merged"),
    Rule("template_version", "error", "Okänd mallversion", "Unknown template version"),
    Rule("template_version_mismatch", "error", "Kolumnerna hör till en annan mallversion än den angivna",
         "The columns belong to another template version than the one stated"),
    Rule("blank_row", "error", "Tom rad inne i tabellen", "Blank row inside the table"),
    Rule("required", "error", "Obligatoriskt fält är tomt", "Required field is empty"),
    Rule("county_code", "error", "Okänd länskod", "Unknown county code"),
    Rule("county_mismatch", "error", "Länskoden stämmer inte med filens län", "County code does not match the file's county"),
    Rule("year_mismatch", "error", "Året stämmer inte med filnamnets år", "Year does not match the file name's year"),
    Rule("municipality_code", "error", "Kommunkoden finns inte i länet", "Municipality code is not in this county"),
    Rule("code_list", "error", "Värdet finns inte i kodlistan", "Value is not in the code list"),
    Rule("target_area", "error", "Målområde måste vara 1–8", "Target area must be 1-8"),
    Rule("date_format", "error", "Ogiltigt datum", "Invalid date"),
    Rule("date_range", "error", "Datumet ligger utanför rapportåret", "Date outside the reporting year"),
    Rule("not_a_number", "error", "Text i ett sifferfält", "Text in a number cell"),
    Rule("ambiguous_amount", "error", "Beloppet är inte ett entydigt svenskt tal",
         "Amount is not an unambiguous Swedish number"),
    Rule("email", "error", "Ogiltig e-postadress", "Invalid e-mail address"),
    Rule("negative", "error", "Beloppet är negativt", "Amount is negative"),
    Rule("excel_error", "error", "Excel-felvärde i cellen", "Excel error value in cell"),
    Rule("required_when", "error", "Fältet är obligatoriskt för det valda svaret", "Field is required for the answer given"),
    Rule("cell_too_long", "error", "Cellen har mer text än Excel tillåter (32 767 tecken)",
         "Cell holds more text than Excel allows (32 767 characters)"),
    Rule("outside_template", "error", "Värden utanför mallens område", "Values outside the template's area"),
    USED_LE_GRANTED.rule(),
    Rule("gender_used_exceeds_used", "error", "Varav jämställdhetsperspektiv är större än förbrukat",
         "Amount for gender-equality activities exceeds amount used"),
    Rule("repaid_mismatch", "warning", "Återbetalas stämmer inte med beviljat − förbrukat", "Repaid does not equal granted minus used"),
    Rule("grant_differs", "warning", "Beviljat skiljer sig från regeringsbeslutet", "Granted differs from the government decision"),
    Rule("duplicate_id", "error", "Id förekommer flera gånger", "Duplicate id"),
    Rule("duplicate_actor", "warning", "Samma aktör (namn och kommun) under flera id; räknas en gång i riksbilden",
         "Same actor (name and kommun) under several ids; counted once in the national picture"),
    Rule("too_many_rows", "error", "För många rader", "Too many rows"),
    Rule("empty_table", "warning", "Tabellen är tom", "Table is empty"),
    Rule("empty_required_table", "error", "Tabellen får inte vara tom", "This table must not be empty"),
    Rule("pending_review", "warning", "Ny version väntar på granskning: den tömmer eller mer än halverar en tabell",
         "New version held for review: it empties or more than halves a table"),
    Rule("unicode_nfc", "normalised", "Texten normaliserades till Unicode NFC", "Text normalised to Unicode NFC"),
    Rule("header_whitespace", "normalised", "Rubrikens mellanslag/radbrytningar slogs ihop",
         "Header whitespace/line breaks collapsed"),
    Rule("code_case", "normalised", "Kodvärdet skrevs om till kodlistans form", "Code value rewritten in the code list's form"),
    Rule("datetime_date", "normalised", "Datum och tid: datumet behölls", "Date and time: the date was kept"),
    Rule("sheet_name", "normalised", "Flikens namn lästes i mallens form", "Sheet name read in the template's form"),
], doc="Länsrapporter. Ett fel avvisar hela rapporten (karantän); `missing_column` är ett fel: en saknad mallkolumn gör att fliken inte kan läsas rätt. / County returns: an error rejects the whole return; `missing_column` is an error because a missing template column means the sheet cannot be read faithfully.")
RULES: dict[str, tuple[str, str]] = {r.id: (r.sv, r.en) for r in CATALOGUE.rules.values()}
WARNING_RULES = frozenset(r.id for r in CATALOGUE.rules.values() if r.severity == "warning")
NORMALISED_RULES = frozenset(r.id for r in CATALOGUE.rules.values() if r.severity == "normalised")

# Amounts: the forms the validator accepts, for messages and docs.
AMOUNT_FORMS = ("630 000", "630 000 kr", "630000", "630 000,00", "630 000:-")
# What is normalised, in the template docs' words.
NORMALISATIONS = (
    "All text is read as Unicode NFC (Mac saves names and values decomposed, NFD); sheet names too.",
    "Whitespace and line breaks in a header collapse to one space; headers match regardless of case.",
    "Columns are matched by their header, in any order.",
    "Code-list values match regardless of case and are stored in the code list's form (kommun -> Kommun).",
    "A date with a time in a date column keeps its date.",
)

# What each rule expects and an example of a right value, for the marked-up workbook returned to
# the county (folkhalsa.feedback.annotate). Where the issue names a column, the column's own help
# and example are shown as well. Rules of later template versions are listed too, so a new rule
# without guidance shows in tests/test_feedback_annotate.py.
RULE_GUIDANCE: dict[str, tuple[str, str]] = {
    "unreadable": ("En xlsx-fil sparad från mallen (Excel eller LibreOffice), inte krypterad.", "lansrapport_24_2023.xlsx"),
    "reader_failed": ("En fil av normal storlek som går att öppna i Excel.", "Spara om filen från mallen"),
    "missing_sheet": ("Alla mallens flikar: Uppgifter, Aktörer, Insatser, Behov, Ekonomi.", "Kopiera in fliken från mallen"),
    "missing_column": ("Alla mallens kolumner med rubriker som i mallen.", "Aktörstyp"),
    "shifted_header": ("Rubrikerna i rad 1 från kolumn A, i mallens ordning, utan sammanslagna celler.", "A1: Aktörs-id, B1: Aktör"),
    "template_version": (f"Mallversion {', '.join(ACCEPTED_TEMPLATE_VERSIONS)}. Hämta den senaste mallen.", TEMPLATE_VERSION),
    "blank_row": ("Inga tomma rader mellan raderna i tabellen.", "Ta bort den tomma raden"),
    "required": ("Ett värde: fältet är obligatoriskt.", ""),
    "county_code": ("Länets tvåsiffriga länskod.", "24"),
    "county_mismatch": ("Samma länskod som i filens namn.", "lansrapport_24_2023.xlsx med länskod 24"),
    "municipality_code": ("En fyrsiffrig kommunkod för en kommun i länet.", "2480"),
    "code_list": ("Ett värde ur listan i cellen (rullgardinsmenyn).", ""),
    "target_area": ("Ett målområde, ett heltal 1–8.", "6"),
    "date_format": ("Ett datum skrivet ÅÅÅÅ-MM-DD.", "2023-02-15"),
    "date_range": ("Ett datum inom rapportåret (inlämningsdatum: rapportåret eller året efter).", "2022-03-01"),
    "not_a_number": ("Ett tal, i hela kronor, utan text.", "630 000"),
    "email": ("En e-postadress.", "namn@lansstyrelsen.se"),
    "negative": ("Ett belopp som är 0 eller större.", "31 500"),
    "excel_error": ("Ett värde, inte ett Excel-fel som #REF! eller #DIV/0!. Kontrollera formeln.", "630 000"),
    USED_LE_GRANTED.id: (USED_LE_GRANTED.guidance, USED_LE_GRANTED.example),
    "repaid_mismatch": ("Återbetalas = beviljat − förbrukat.", "630 000 − 598 500 = 31 500"),
    "grant_differs": ("Beviljat belopp enligt regeringsbeslutet för länet.", "630 000"),
    "duplicate_id": ("Varje id bara en gång i tabellen.", "A1, A2, A3"),
    "too_many_rows": ("Högst så många rader som fliken tillåter (Ekonomi: en rad).", "En rad med beviljat, förbrukat och återbetalas"),
    "empty_table": ("Minst en rad, om länet har något att redovisa.", "En rad per behov"),
    "empty_required_table": ("Minst en rad.", "En rad med beviljat, förbrukat och återbetalas"),
    "year_mismatch": ("Samma år som i filens namn.", "lansrapport_24_2023.xlsx med år 2023"),
    "ambiguous_amount": ("Ett belopp i hela kronor med mellanslag som tusentalsavgränsare.", "630 000"),
    "cell_too_long": ("Högst 32 767 tecken i en cell.", "En kort beskrivning"),
    "outside_template": ("Värden bara inom mallens tabeller.", "Flytta eller ta bort värdena"),
    "unicode_nfc": ("Ingen åtgärd behövs: texten lästes in.", ""),
    "header_whitespace": ("Ingen åtgärd behövs; skriv gärna rubriken som i mallen.", "Kostnad (kr)"),
    "code_case": ("Ingen åtgärd behövs; skriv gärna värdet som i listan.", "Kommun"),
    "datetime_date": ("Ingen åtgärd behövs; skriv gärna bara datumet.", "2023-02-15"),
    "sheet_name": ("Ingen åtgärd behövs; använd gärna mallens fliknamn.", "Aktörer"),
    "template_version_mismatch": ("Kolumnerna för den mallversion som står i fliken Uppgifter (Mallversion). "
                                  "Använd mallen för den versionen, eller ändra inte mallversionen.", TEMPLATE_VERSION),
    "required_when": ("Ett värde: fältet är obligatoriskt när svaret i kolumnen före kräver det "
                      "(t.ex. Hur när Jämställdhetsperspektiv är Ja).", "Insatsen riktades till både kvinnor och män"),
    "gender_used_exceeds_used": ("Varav jämställdhetsperspektiv högst lika med förbrukat belopp.", "Förbrukat 598 500, varav 120 000"),
    "duplicate_actor": ("Varje aktör bara en gång i aktörskartan (samma namn räknas som samma aktör).", "Umeå kommun på en rad"),
    "pending_review": ("Ingen åtgärd behövs om tabellen verkligen ska vara mindre än i förra versionen; "
                       "Folkhälsomyndigheten granskar och godkänner versionen.", "Alla rader från förra versionen finns kvar"),
}
