"""SKR member survey: codebook, export reading, validation and landing.

Plain functions, no Prefect. The nightly flow calls `discover_exports` and then
`land_survey` once per export; tests call every function directly.

Export format (what survey tools produce, see also data/codebooks/):
- CSV with `;`, `,` or tab; UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252;
  XLSX/XLS/ODS (first sheet). Encoding and separator are detected and reported.
- One row per respondent: a respondent-code column (Respondentkod), a timestamp
  column (Inskickad) and one column per question, headed by the question code
  (optionally followed by the question text: "ORG1. Hur ...").
- Answers as Swedish labels or numeric codes; multiple choice separated by "|";
  decimal comma or point.
- Respondent codes: the 290 kommunkoder (4 digits; a lost leading zero is
  restored) and the 21 regioner as "00" + länskod, as SKR and Kolada write them.
  A bare länskod ("01") is also accepted and stored as "0001".

Free-text answers are landed (column `value_text`) but never put in an issue
message or a LandResult: messages name file, row, column and rule, never a value.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import yaml

from folkhalsa.issues import Catalogue, InputError, Issue, Rule
from folkhalsa.landing import LandingSource, LandResult, Parsed, Rejection, archived_path, land_file
from folkhalsa.io.text import InputFormatError, decode_text, sniff_separator
from folkhalsa.settings import PROJECT_ROOT

SOURCE = "skr_survey"
DEFAULT_REFERENCE_DIR = PROJECT_ROOT / "dbt" / "seeds"
QUESTION_TYPES = ("single", "multi", "integer", "decimal", "text")
APPLIES_TO = ("kommun", "region", "both")
MULTI_SEPARATOR = "|"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
EXPORT_NAME = re.compile(r"^skr_enkat_(\d{4})(?:_[^.]*)?\.(csv|txt|xlsx|xls|ods)$", re.IGNORECASE)

CATALOGUE = Catalogue(SOURCE, [
    Rule("unreadable", "error", "Filen kan inte läsas", "The file cannot be read"),
    Rule("codebook", "error", "Kodboken för året saknas eller är felaktig; exporten läses inte",
         "The year's codebook is missing or invalid; the export is not read"),
    Rule("misnamed_file", "error", "Filnamnet anger inget enkätår; döp om till skr_enkat_<år>.csv eller .xlsx",
         "The file name gives no survey year; rename it skr_enkat_<year>.csv or .xlsx"),
    Rule("missing_respondent_column", "error", "Kolumnen Respondentkod saknas",
         "The respondent code column is missing"),
    Rule("format_detected", "normalised", "Läst som {fmt_sv}; svar som {mode_sv}.",
         "Read as {fmt_en}; answers as {mode_en}."),
    Rule("ragged_row", "error", "Raden har {fields} fält men rubrikraden {header}; raden läses inte.",
         "Row has {fields} fields but the header {header}; row skipped."),
    Rule("short_row", "warning", "Raden har {fields} fält men rubrikraden {header}; resten räknas som obesvarat.",
         "Row has {fields} fields but the header {header}; the rest counts as unanswered."),
    Rule("unknown_respondent", "error", "Okänd eller saknad respondentkod: varken en av de 290 kommunkoderna "
         "eller en regionkod (00 + länskod). Svaret räknas inte.",
         "Unknown or missing respondent code: neither one of the 290 municipality codes nor a region code "
         "(00 + county code). Response not counted."),
    Rule("missing_respondent", "error", "Okänd eller saknad respondentkod: varken en av de 290 kommunkoderna "
         "eller en regionkod (00 + länskod). Svaret räknas inte.",
         "Unknown or missing respondent code: neither one of the 290 municipality codes nor a region code "
         "(00 + county code). Response not counted."),
    Rule("invalid_timestamp", "warning", "Ogiltig tidpunkt; förväntat ÅÅÅÅ-MM-DD tt:mm.",
         "Invalid timestamp; expected YYYY-MM-DD hh:mm."),
    Rule("no_rows", "warning", "Exporten innehåller inga svar.", "The export contains no responses."),
    Rule("empty_response", "warning", "Inga frågor besvarade; svaret räknas inte.",
         "No question answered; response not counted."),
    Rule("partial_response", "warning", "Ofullständigt svar: {answered} av {applicable} frågor besvarade. "
         "Svaret räknas; obesvarade frågor räknas aldrig som nej.",
         "Partial response: {answered} of {applicable} questions answered. "
         "Counted; unanswered questions never count as no."),
    Rule("unknown_column", "warning", "Kolumnen finns inte i kodboken för {year} och läses inte.",
         "Column not in the {year} codebook; not read."),
    Rule("missing_timestamp_column", "warning", "Kolumnen Inskickad saknas; dubbletter avgörs av radordningen.",
         "No submission time column; duplicates are resolved by row order."),
    Rule("missing_question", "warning", "Frågan {code} saknas i exporten; den räknas som obesvarad.",
         "Question {code} is missing from the export; counted as unanswered."),
    Rule("not_applicable", "warning", "Frågan gäller inte {respondent_type}; svaret läses inte.",
         "The question does not apply to a {respondent_type}; answer not read."),
    Rule("invalid_number", "error", "Ogiltigt tal; skriv t.ex. 1,5.", "Invalid number; write e.g. 1.5."),
    Rule("not_integer", "error", "Frågan kräver ett heltal.", "The question requires a whole number."),
    Rule("out_of_range", "error", "Talet ligger utanför {min}–{max}.", "The number is outside {min}–{max}."),
    Rule("answer_not_in_codebook", "error", "Svaret är varken en etikett eller en kod i kodboken för {year}; "
         "det läses inte.", "The answer is neither a label nor a code in the {year} codebook; not read."),
    Rule("duplicate_respondent", "warning", "Dubblett: respondenten har svarat flera gånger; det senaste svaret "
         "(rad {kept_row}) behålls och detta räknas inte.",
         "Duplicate: the respondent answered more than once; the latest response (row {kept_row}) is kept "
         "and this one is not counted."),
], doc="SKR:s enkätexport. Fel på en rad eller ett svar gör att raden/svaret inte läses; resten av filen "
       "landar. Bara fel på filnivå (unreadable, codebook, misnamed_file, missing_respondent_column) avvisar filen. "
       "En fråga som saknas i exporten är `missing_question` (varning: räknas som obesvarad), inte returns "
       "`missing_column` (fel). / Survey export: a row-level error drops that row or answer, the rest lands; "
       "only file-level errors reject the file. A question missing from the export is `missing_question`, a warning.")


def _issue(rule: str, file: str, row: int | None = None, column: str | None = None, value: str | None = None,
           **params) -> Issue:
    return CATALOGUE.issue(rule, file=file, row=row, column=column, value=value, **params)


# Header names (lower case) of the non-question columns.
RESPONDENT_COLUMNS = ("respondentkod", "respondent_code", "respondent", "organisationskod", "kod")
SUBMITTED_COLUMNS = ("inskickad", "submitted_at", "tidpunkt", "svarsdatum", "datum")
# Columns dropped on purpose: names are reference data, contacts are personal data.
IGNORED_COLUMNS = ("organisation", "namn", "kontaktperson", "e-post", "epost", "email", "status")

RESPONDENT_SCHEMA = {
    "survey_year": pl.Int32, "respondent_code": pl.Utf8, "respondent_code_raw": pl.Utf8,
    "respondent_type": pl.Utf8, "county_code": pl.Utf8, "municipality_code": pl.Utf8,
    "submitted_at": pl.Datetime("us"), "n_applicable": pl.Int32, "n_answered": pl.Int32,
    "is_known": pl.Boolean, "is_empty": pl.Boolean, "is_partial": pl.Boolean,
    "is_duplicate_dropped": pl.Boolean, "is_counted": pl.Boolean, "_row": pl.Int64,
}
ANSWER_SCHEMA = {
    "survey_year": pl.Int32, "respondent_code": pl.Utf8, "question_code": pl.Utf8,
    "concept_id": pl.Utf8, "question_text": pl.Utf8, "question_type": pl.Utf8,
    "target_area_code": pl.Int32, "answer_code": pl.Int32, "answer_label": pl.Utf8,
    "value_numeric": pl.Float64, "value_text": pl.Utf8, "_row": pl.Int64,
}
CODEBOOK_SCHEMA = {
    "survey_year": pl.Int32, "codebook_version": pl.Utf8, "question_order": pl.Int32,
    "question_code": pl.Utf8, "concept_id": pl.Utf8, "question_text": pl.Utf8,
    "question_type": pl.Utf8, "applies_to": pl.Utf8, "target_area_code": pl.Int32,
    "answer_order": pl.Int32, "answer_code": pl.Int32, "answer_label": pl.Utf8,
}
EXPORT_SCHEMA = {
    "survey_year": pl.Int32, "file_name": pl.Utf8, "format": pl.Utf8, "encoding": pl.Utf8,
    "separator": pl.Utf8, "sheet": pl.Utf8, "decimal_comma": pl.Boolean, "answer_mode": pl.Utf8,
    "codebook_version": pl.Utf8, "n_rows": pl.Int32, "n_counted": pl.Int32,
    "latest_submitted_at": pl.Datetime("us"),
}


# A file-level problem: the export or codebook cannot be used at all (messages in Swedish and English).
SurveyError = InputFormatError


# --------------------------------------------------------------------------- codebook

@dataclass(frozen=True)
class AnswerOption:
    code: int
    label: str
    target_area: int | None = None


@dataclass(frozen=True)
class Question:
    code: str
    concept_id: str
    text_sv: str
    type: str
    applies_to: str
    target_area: int | None = None
    min: float | None = None
    max: float | None = None
    answers: tuple[AnswerOption, ...] = ()

    def applies(self, respondent_type: str | None) -> bool:
        # An unknown respondent gets every question, so it is not flooded with warnings.
        return respondent_type is None or self.applies_to in ("both", respondent_type)


@dataclass(frozen=True)
class Codebook:
    year: int
    version: str
    questions: tuple[Question, ...]

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    def to_frame(self) -> pl.DataFrame:
        rows = []
        for qi, q in enumerate(self.questions, start=1):
            base = {"survey_year": self.year, "codebook_version": self.version, "question_order": qi,
                    "question_code": q.code, "concept_id": q.concept_id, "question_text": q.text_sv,
                    "question_type": q.type, "applies_to": q.applies_to}
            opts = q.answers or (None,)
            for ai, a in enumerate(opts, start=1):
                rows.append({**base, "target_area_code": (a and a.target_area) or q.target_area,
                             "answer_order": ai if a else None, "answer_code": a and a.code,
                             "answer_label": a and a.label})
        return pl.DataFrame(rows, schema=CODEBOOK_SCHEMA)


def codebook_path(codebook_dir: Path, year: int) -> Path:
    return Path(codebook_dir) / f"skr_{year}.yml"


def load_codebook(path: Path) -> Codebook:
    """Read and check one year's codebook; a broken codebook raises SurveyError."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise SurveyError(f"Kodboken {path.name} kan inte läsas ({type(e).__name__}).",
                          f"Codebook {path.name} cannot be read ({type(e).__name__}).") from None
    try:
        questions = tuple(_question(q) for q in doc["questions"])
        book = Codebook(year=int(doc["year"]), version=str(doc["version"]), questions=questions)
    except (KeyError, TypeError, ValueError) as e:
        raise SurveyError(f"Kodboken {path.name} är felaktig: {e}",
                          f"Codebook {path.name} is invalid: {e}") from None
    for what, values in (("frågekod", [q.code for q in questions]),
                         ("concept_id", [q.concept_id for q in questions])):
        dup = {v for v in values if values.count(v) > 1}
        if dup:
            raise SurveyError(f"Kodboken {path.name}: {what} förekommer flera gånger: {sorted(dup)}",
                              f"Codebook {path.name}: duplicate {what}: {sorted(dup)}")
    return book


def _question(d: dict) -> Question:
    q = Question(
        code=str(d["code"]).strip().upper(), concept_id=str(d["concept_id"]), text_sv=str(d["text_sv"]),
        type=str(d["type"]), applies_to=str(d["applies_to"]),
        target_area=int(d["target_area"]) if d.get("target_area") is not None else None,
        min=d.get("min"), max=d.get("max"),
        answers=tuple(AnswerOption(int(a["code"]), str(a["label"]),
                                   int(a["target_area"]) if a.get("target_area") is not None else None)
                      for a in d.get("answers") or ()),
    )
    if q.type not in QUESTION_TYPES or q.applies_to not in APPLIES_TO:
        raise ValueError(f"{q.code}: type/applies_to")
    if (q.type in ("single", "multi")) != bool(q.answers):
        raise ValueError(f"{q.code}: svarsalternativ krävs för single/multi och bara där")
    codes, labels = [a.code for a in q.answers], [_norm(a.label) for a in q.answers]
    if len(set(codes)) != len(codes) or len(set(labels)) != len(labels):
        raise ValueError(f"{q.code}: svarskoder och etiketter måste vara unika")
    # Pure-number labels would make "answers as labels" and "answers as codes" ambiguous.
    if any(_as_int(a.label) is not None or MULTI_SEPARATOR in a.label for a in q.answers):
        raise ValueError(f"{q.code}: en etikett får inte vara ett tal eller innehålla '|'")
    return q


# --------------------------------------------------------------------------- reference

@dataclass(frozen=True)
class Reference:
    municipalities: dict[str, str]   # kommunkod -> länskod
    counties: frozenset[str]         # länskoder


@dataclass(frozen=True)
class Respondent:
    code: str
    type: str                        # kommun | region
    county_code: str
    municipality_code: str | None


def load_reference(reference_dir: Path = DEFAULT_REFERENCE_DIR) -> Reference:
    """Kommun and län codes, read through folkhalsa.reference (the only reader of code lists)."""
    from folkhalsa import reference

    munis = reference.municipalities(Path(reference_dir))
    return Reference({code: county for code, (_, county) in munis.items()},
                     frozenset(reference.counties(Path(reference_dir))))


def parse_respondent_code(raw: str | None, reference: Reference) -> Respondent | None:
    """Kommun "0114" (or "114"), region "0001" (or bare länskod "01"/"1"); else None."""
    s = (raw or "").strip()
    s = s[:-2] if s.endswith(".0") else s          # a code stored as a number in Excel
    if not s.isdigit() or len(s) > 4:
        return None
    if len(s) <= 2:
        s = "00" + s.zfill(2)
    s = s.zfill(4)
    if s.startswith("00"):
        county = s[2:]
        return Respondent(s, "region", county, None) if county in reference.counties else None
    county = reference.municipalities.get(s)
    return Respondent(s, "kommun", county, s) if county else None


# --------------------------------------------------------------------------- reading

@dataclass
class ReadInfo:
    file: str
    format: str                      # csv | xlsx
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    decimal_comma: bool = False
    n_rows: int = 0
    issues: list[Issue] = field(default_factory=list)

    def describe(self) -> tuple[str, str]:
        if self.format != "csv":
            return (f"kalkylblad, flik '{self.sheet}'", f"spreadsheet, sheet '{self.sheet}'")
        sep = {";": "semikolon", ",": "komma", "\t": "tabb"}[self.separator]
        dec = "komma" if self.decimal_comma else "punkt"
        return (f"CSV, teckenkodning {self.encoding}, avgränsare {sep}, decimaltecken {dec}",
                f"CSV, encoding {self.encoding}, separator {self.separator!r}, "
                f"decimal {'comma' if self.decimal_comma else 'point'}")


_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


def read_export(path: Path) -> tuple[pl.DataFrame, ReadInfo]:
    """Read an export as all-text columns plus `_row` (the row or line number in the file).

    Raises SurveyError for a file that cannot be read at all; row-level problems are
    in ReadInfo.issues.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SurveyError(f"Filen {path.name} kan inte läsas ({type(e).__name__}).",
                          f"File {path.name} cannot be read ({type(e).__name__}).") from None
    is_zip_or_ole = data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0"
    if path.suffix.lower() in SPREADSHEET_SUFFIXES or is_zip_or_ole:
        return _read_spreadsheet(path, data)
    return _read_csv(path, data)


def _read_spreadsheet(path: Path, data: bytes) -> tuple[pl.DataFrame, ReadInfo]:
    import fastexcel

    try:
        sheet = fastexcel.read_excel(data).sheet_names[0]
        df = pl.read_excel(data, sheet_name=sheet, infer_schema_length=0, drop_empty_rows=False,
                           drop_empty_cols=False, raise_if_empty=False)
    except BaseException as e:  # noqa: BLE001 - any parser failure (even a Rust panic) is one file error
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise SurveyError(f"Filen {path.name} är inget läsbart kalkylblad ({type(e).__name__}).",
                          f"File {path.name} is not a readable spreadsheet ({type(e).__name__}).") from None
    df = df.select(pl.all().cast(pl.Utf8))
    df.columns = _unique([_clean_header(c, i) for i, c in enumerate(df.columns)])
    df = df.with_columns(pl.int_range(2, df.height + 2, dtype=pl.Int64).alias("_row"))  # header is row 1
    info = ReadInfo(path.name, "xlsx", sheet=sheet, n_rows=df.height)
    return df, info


def _read_csv(path: Path, data: bytes) -> tuple[pl.DataFrame, ReadInfo]:
    text, encoding = decode_text(data, path.name)
    sep = sniff_separator(text, path.name)
    info = ReadInfo(path.name, "csv", encoding=encoding, separator=sep)
    records = _csv_records(text, sep, path.name)
    if not records:
        raise SurveyError(f"Filen {path.name} är tom.", f"File {path.name} is empty.")
    (_, header), body = records[0], records[1:]
    names = _unique([_clean_header(h, i) for i, h in enumerate(header)])
    rows = []
    for line, rec in body:
        if len(rec) > len(names) and any(v.strip() for v in rec[len(names):]):
            info.issues.append(_issue("ragged_row", path.name, line, fields=len(rec), header=len(names)))
            continue
        if len(rec) < len(names):
            info.issues.append(_issue("short_row", path.name, line, fields=len(rec), header=len(names)))
        rows.append([*(rec + [""] * len(names))[:len(names)], line])
    df = pl.DataFrame(rows, schema={**{n: pl.Utf8 for n in names}, "_row": pl.Int64}, orient="row")
    info.n_rows = df.height
    info.decimal_comma = any(_DECIMAL_COMMA.match(v or "") for r in rows for v in r[:-1])
    return df, info


def _csv_records(text: str, sep: str, file: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with the line number they start on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    out, start = [], 1
    try:
        for rec in reader:
            if any(v.strip() for v in rec):
                out.append((start, rec))
            start = reader.line_num + 1
    except csv.Error as e:
        raise SurveyError(f"{file}: CSV-fel på rad {reader.line_num} ({e}).",
                          f"{file}: CSV error on line {reader.line_num} ({e}).") from None
    return out


def _clean_header(h: str | None, i: int) -> str:
    h = unicodedata.normalize("NFC", (h or "").replace("\ufeff", "")).strip()
    return h or f"kolumn_{i + 1}"


def _unique(names: list[str]) -> list[str]:
    """Distinct column names (a repeated header gets a suffix); `_row` is ours."""
    taken, out = {"_row"}, []
    for n in names:
        name, k = n, 1
        while name in taken:
            k += 1
            name = f"{n}__{k}"
        taken.add(name)
        out.append(name)
    return out


# --------------------------------------------------------------------------- validation

@dataclass
class Validated:
    respondents: pl.DataFrame
    answers: pl.DataFrame
    issues: list[Issue]
    answer_mode: str                 # labels | codes | mixed | none


def validate(raw: pl.DataFrame, codebook: Codebook, reference: Reference, *, file: str) -> Validated:
    """Check one export against the codebook and the reference codes.

    Every row is kept in `respondents` with flags; answers that are not in the
    codebook or do not apply to the respondent are reported and left out; the
    rest of the row is kept. Raises SurveyError only when the respondent column is missing.
    """
    issues: list[Issue] = []
    resp_col, time_col, qcols = _map_columns(raw.columns, codebook, file, issues)
    modes: dict[str, int] = {"label": 0, "code": 0}
    respondents, answers = [], []
    for rec in raw.iter_rows(named=True):
        values = {k: (v or "").strip() for k, v in rec.items() if k != "_row"}
        if not any(values.values()):
            continue
        row = rec["_row"]
        who = parse_respondent_code(values[resp_col], reference)
        r = {"survey_year": codebook.year, "respondent_code": who and who.code,
             "respondent_code_raw": values[resp_col] or None, "respondent_type": who and who.type,
             "county_code": who and who.county_code, "municipality_code": who and who.municipality_code,
             "submitted_at": _parse_time(values.get(time_col, "")) if time_col else None,
             "is_known": who is not None, "_row": row}
        if who is None:
            rule = "unknown_respondent" if values[resp_col] else "missing_respondent"
            issues.append(_issue(rule, file, row, resp_col, values[resp_col] or None))
        if time_col and values.get(time_col) and r["submitted_at"] is None:
            issues.append(_issue("invalid_timestamp", file, row, time_col, values[time_col]))
        answered, applicable, texts = 0, 0, 0
        for col, q in qcols.items():
            got = _answers_for(q, values.get(col, ""), r, row, col, codebook.year, file, issues, modes)
            answers.extend(got)
            if q.type == "text":
                texts += bool(got)
            elif q.applies(r["respondent_type"]):
                applicable += 1
                answered += bool(got)
        r.update(n_applicable=applicable, n_answered=answered, is_empty=answered + texts == 0,
                 is_partial=answered < applicable)
        respondents.append(r)
    if not respondents:
        issues.append(_issue("no_rows", file))
    _flag_duplicates(respondents, file, resp_col, issues)
    for r in respondents:
        r["is_counted"] = r["is_known"] and not r["is_duplicate_dropped"] and not r["is_empty"]
        if r["is_empty"] and r["is_known"]:
            issues.append(_issue("empty_response", file, r["_row"]))
        elif r["is_counted"] and r["is_partial"]:
            issues.append(_issue("partial_response", file, r["_row"], answered=r["n_answered"],
                                 applicable=r["n_applicable"]))
    mode = {(True, True): "mixed", (True, False): "labels", (False, True): "codes"}.get(
        (modes["label"] > 0, modes["code"] > 0), "none")
    return Validated(pl.DataFrame(respondents, schema=RESPONDENT_SCHEMA),
                     pl.DataFrame(answers, schema=ANSWER_SCHEMA), issues, mode)


def _map_columns(columns: list[str], codebook: Codebook, file: str, issues: list[Issue]):
    resp_col = time_col = None
    qcols: dict[str, Question] = {}
    for col in columns:
        if col == "_row":
            continue
        low = col.lower()
        code = re.split(r"[\s.:)\-–]", col, maxsplit=1)[0].upper()
        if low in RESPONDENT_COLUMNS and resp_col is None:
            resp_col = col
        elif low in SUBMITTED_COLUMNS and time_col is None:
            time_col = col
        elif low in IGNORED_COLUMNS:
            continue
        elif (q := codebook.question(code)) and q not in qcols.values():
            qcols[col] = q
        else:
            issues.append(_issue("unknown_column", file, None, col, year=codebook.year))
    if resp_col is None:
        raise SurveyError(f"{file}: kolumnen Respondentkod saknas.", f"{file}: the respondent code column is missing.")
    if time_col is None:
        issues.append(_issue("missing_timestamp_column", file))
    for q in codebook.questions:
        if q not in qcols.values():
            issues.append(_issue("missing_question", file, None, q.code, code=q.code))
    return resp_col, time_col, qcols


def _answers_for(q: Question, value: str, r: dict, row: int, col: str, year: int, file: str,
                 issues: list[Issue], modes: dict[str, int]) -> list[dict]:
    """The answer rows for one cell (several for multiple choice); problems go to issues."""
    if not value:
        return []
    if not q.applies(r["respondent_type"]):
        issues.append(_issue("not_applicable", file, row, col, respondent_type=r["respondent_type"]))
        return []
    base = {"survey_year": year, "respondent_code": r["respondent_code"], "question_code": q.code,
            "concept_id": q.concept_id, "question_text": q.text_sv, "question_type": q.type,
            "target_area_code": q.target_area, "answer_code": None, "answer_label": None,
            "value_numeric": None, "value_text": None, "_row": row}
    if q.type == "text":
        return [{**base, "value_text": value}]
    if q.type in ("integer", "decimal"):
        num, problem = _number(value, q)
        if problem:
            issues.append(_issue(problem[0], file, row, col, value, **problem[1]))
            return []
        return [{**base, "value_numeric": num}]
    out = []
    parts = [p.strip() for p in value.split(MULTI_SEPARATOR)] if q.type == "multi" else [value]
    for part in dict.fromkeys(p for p in parts if p):
        opt, how = _option(q, part)
        if opt is None:
            issues.append(_issue("answer_not_in_codebook", file, row, col, part, year=year))
            continue
        modes[how] += 1
        out.append({**base, "answer_code": opt.code, "answer_label": opt.label,
                    "target_area_code": opt.target_area or q.target_area})
    return out


def _option(q: Question, value: str) -> tuple[AnswerOption | None, str]:
    key = _norm(value)
    for a in q.answers:
        if _norm(a.label) == key:
            return a, "label"
    code = _as_int(value)
    return next(((a, "code") for a in q.answers if a.code == code), (None, ""))


def _number(value: str, q: Question) -> tuple[float | None, tuple | None]:
    """The number, or (rule, params) of the problem."""
    t = re.sub(r"[\s\u00a0\u202f]", "", value)
    if "," in t and "." in t or not re.fullmatch(r"[+-]?\d+([.,]\d+)?", t):
        return None, ("invalid_number", {})
    num = float(t.replace(",", "."))
    if not math.isfinite(num):
        return None, ("invalid_number", {})
    if q.type == "integer" and num != int(num):
        return None, ("not_integer", {})
    if (q.min is not None and num < q.min) or (q.max is not None and num > q.max):
        return None, ("out_of_range", {"min": q.min, "max": q.max})
    return num, None


def _flag_duplicates(respondents: list[dict], file: str, resp_col: str, issues: list[Issue]) -> None:
    """Keep the latest non-empty response per respondent (by timestamp, then row)."""
    latest: dict[str, dict] = {}
    key = lambda r: (r["submitted_at"] or datetime.min, r["_row"])  # noqa: E731
    for r in respondents:
        r["is_duplicate_dropped"] = False
        if r["is_known"] and not r["is_empty"]:
            cur = latest.get(r["respondent_code"])
            if cur is None or key(r) > key(cur):
                latest[r["respondent_code"]] = r
    for r in respondents:
        kept = latest.get(r["respondent_code"])
        if kept is not None and r is not kept and r["is_known"] and not r["is_empty"]:
            r["is_duplicate_dropped"] = True
            issues.append(_issue("duplicate_respondent", file, r["_row"], resp_col, r["respondent_code"],
                                 kept_row=kept["_row"]))


_STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _parse_time(value: str) -> datetime | None:
    """ISO-like timestamps, also with Swedish "14.22"; an offset is converted to Swedish local time."""
    if not value:
        return None
    v = re.sub(r"(\d{1,2})\.(\d{2})(?:\.(\d{2}))?$", lambda m: ":".join(g for g in m.groups() if g), value.strip())
    try:
        t = datetime.fromisoformat(v)
        return t.astimezone(_STOCKHOLM).replace(tzinfo=None) if t.tzinfo else t
    except (ValueError, OverflowError):
        return None


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).casefold().split())


def _as_int(s: str) -> int | None:
    s = s.strip()
    s = s[:-2] if s.endswith(".0") else s
    return int(s) if re.fullmatch(r"[+-]?\d{1,9}", s) else None


# --------------------------------------------------------------------------- landing

def _survey_folder(input_dir: Path) -> Path:
    # Accept the input folder (with survey/ in it) or the survey folder itself.
    sub = Path(input_dir) / "survey"
    return sub if sub.is_dir() else Path(input_dir)


def discover_exports(input_dir: Path) -> list[tuple[Path, int]]:
    """Exports in <input>/survey/ named skr_enkat_<year>[_suffix].csv|xlsx, sorted by year and name."""
    found = [(p, int(m.group(1))) for p in sorted(_survey_folder(input_dir).glob("*")) if p.is_file()
             and (m := EXPORT_NAME.match(p.name))]
    return sorted(found, key=lambda t: (t[1], t[0].name))


def misnamed_exports(input_dir: Path) -> list[Path]:
    """Files in <input>/survey/ that discover_exports ignores, so the flow can report them."""
    return [p for p in sorted(_survey_folder(input_dir).glob("*"))
            if p.is_file() and not p.name.startswith(".") and not EXPORT_NAME.match(p.name)]


def parse_export(path: Path, name: str, *, year: int, codebook_dir: Path, reference_dir: Path,
                 received_at: datetime | None = None) -> Parsed:
    """The land_file parser: codebook, export, validation, tables. Row-level errors drop the row or
    answer and never reject the file; a file that cannot be used at all raises InputError."""
    try:
        book = load_codebook(codebook_path(codebook_dir, year))
    except (SurveyError, FileNotFoundError) as e:
        sv, en = (e.message_sv, e.message_en) if isinstance(e, SurveyError) else (str(e), str(e))
        raise InputError(_issue("codebook", name, detail=sv, detail_en=en)) from None
    if book.year != year:
        raise InputError(_issue("codebook", name, detail=f"kodboken gäller {book.year}, inte {year}",
                                detail_en=f"the codebook is for {book.year}, not {year}"))
    try:
        raw, info = read_export(path)
    except SurveyError as e:
        raise InputError(_issue("unreadable", name, detail=e.message_sv, detail_en=e.message_en)) from None
    info.file = name
    try:
        checked = validate(raw, book, load_reference(reference_dir), file=name)
    except SurveyError:  # validate raises only when the respondent column is missing
        raise InputError(_issue("missing_respondent_column", name)) from None
    fmt_sv, fmt_en = info.describe()
    mode_sv = {"labels": "etiketter", "codes": "koder", "mixed": "etiketter och koder", "none": "inga"}
    issues = [_issue("format_detected", name, fmt_sv=fmt_sv, mode_sv=mode_sv[checked.answer_mode],
                     fmt_en=fmt_en, mode_en=checked.answer_mode)] + info.issues + checked.issues
    if info.sheet:  # a spreadsheet export: every located issue is on its one sheet
        issues = [replace(i, sheet=info.sheet) if i.row or i.column else i for i in issues]
    counted = checked.respondents.filter("is_counted")
    export = {"survey_year": year, "file_name": name, "format": info.format,
              "encoding": info.encoding, "separator": info.separator, "sheet": info.sheet,
              "decimal_comma": info.decimal_comma, "answer_mode": checked.answer_mode,
              "codebook_version": book.version, "n_rows": info.n_rows, "n_counted": counted.height,
              "latest_submitted_at": counted["submitted_at"].max()}
    tables = {"exports": pl.DataFrame([export], schema=EXPORT_SCHEMA), "respondents": checked.respondents,
              "answers": checked.answers, "codebook": book.to_frame()}
    return Parsed(tables=tables, issues=issues, sheets=dict.fromkeys(tables, info.sheet), rejected=False,
                  received_at=received_at, manifest={
                      "survey_year": year, "codebook_version": book.version, "format": info.format,
                      "encoding": info.encoding, "separator": info.separator, "sheet": info.sheet,
                      "decimal_comma": info.decimal_comma, "answer_mode": checked.answer_mode})


def _empty_tables() -> dict[str, pl.DataFrame]:
    return {"exports": pl.DataFrame(schema=EXPORT_SCHEMA), "respondents": pl.DataFrame(schema=RESPONDENT_SCHEMA),
            "answers": pl.DataFrame(schema=ANSWER_SCHEMA), "codebook": pl.DataFrame(schema=CODEBOOK_SCHEMA)}


LANDING = LandingSource(SOURCE, CATALOGUE, _empty_tables, values_in_results=False, parser_files=(
    "folkhalsa/sources/survey.py", "folkhalsa/io/text.py", "data/codebooks/*.yml",
    "dbt/seeds/ref_counties.csv", "dbt/seeds/ref_municipalities.csv"))


def _parser(year: int, codebook_dir: Path, reference_dir: Path, received_at: datetime | None = None):
    return lambda path, name: parse_export(path, name, year=year, codebook_dir=codebook_dir,
                                           reference_dir=reference_dir, received_at=received_at)


def land_survey(export_path: Path, year: int, codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                *, reference_dir: Path = DEFAULT_REFERENCE_DIR, received_at: datetime | None = None,
                quarantine_dir: Path | None = None) -> LandResult:
    """Validate one export and land it as source `skr_survey` (landing.land_file).

    Tables: exports, respondents, answers, codebook, issues. Landing the same bytes again is a
    no-op (skipped) unless the parser changed. A file that cannot be used at all is rejected: its
    issues land (and it is quarantined when quarantine_dir is given); row-level problems land in
    `issues` and are in LandResult.issues as Issue objects.
    """
    export_path = Path(export_path)
    result = LandResult(source=SOURCE)
    if not export_path.is_file():
        issue = _issue("unreadable", export_path.name, detail="filen finns inte", detail_en="file not found")
        result.rejected.append(Rejection(SOURCE, export_path.name, [issue]))
        result.issues.append(issue)
        return result
    land_file(LANDING, export_path, _parser(year, codebook_dir, reference_dir, received_at),
              landing_dir=landing_dir, archive_dir=archive_dir, quarantine_dir=quarantine_dir, result=result,
              manifest={"survey_year": year})
    return result


def land_surveys(input_dir: Path, years: list[int], codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                 quarantine_dir: Path | None, *, reference_dir: Path = DEFAULT_REFERENCE_DIR) -> LandResult:
    """Every export of the configured years, misnamed files reported, stale batches re-landed."""
    total = LandResult(SOURCE)
    for path, year in discover_exports(input_dir):
        if year in years:
            total.merge(land_survey(path, year, codebook_dir, landing_dir, archive_dir,
                                    reference_dir=reference_dir, quarantine_dir=quarantine_dir))
    for path in misnamed_exports(input_dir):
        issue = _issue("misnamed_file", path.name)
        total.rejected.append(Rejection(SOURCE, path.name, [issue]))
        total.issues.append(issue)
    # Batches whose parser changed and whose export was not offered now: re-land from the archive.
    version, handled = LANDING.parser_version(), set(total.landed) | set(total.skipped)
    for m in sorted((Path(landing_dir) / SOURCE).glob("*/_manifest.json")):
        manifest = json.loads(m.read_text("utf-8"))
        if m.parent.name in handled or manifest.get("parser") == version or not manifest.get("survey_year"):
            continue
        original = archived_path(archive_dir, manifest["sha256"], manifest["file"])
        if original.exists():
            year = int(manifest["survey_year"])
            land_file(LANDING, original, _parser(year, codebook_dir, reference_dir), landing_dir=landing_dir,
                      archive_dir=archive_dir, quarantine_dir=quarantine_dir, result=total,
                      display_name=manifest["file"], parser_version=version, manifest={"survey_year": year})
    return total


def empty_tables() -> dict[str, pl.DataFrame]:
    """Every landed table with provenance and no rows (placeholder batch)."""
    return LANDING.all_empty_tables()
