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

import json
import math
from collections import Counter
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import yaml

from folkhalsa.issues import Catalogue, InputError, Issue, Rule
from folkhalsa.landing import (
    LandingSource, LandResult, Parsed, Rejection, archived_path, batch_id_for, land_file, read_manifest,
    sha256_file,
)
from folkhalsa.io.encoding import decode_survey_bytes, vocabulary
from folkhalsa.io.text import InputFormatError, decode_text, sniff_separator  # noqa: F401 (re-exported)
from folkhalsa.sources import questionnaire, respondent_names, survey_layout, survey_review
from folkhalsa.settings import PROJECT_ROOT, rule_default

SOURCE = "skr_survey"
DEFAULT_REFERENCE_DIR = PROJECT_ROOT / "dbt" / "seeds"
DEFAULT_CODEBOOK_DIR = PROJECT_ROOT / "data" / "codebooks"
# A file where more than this share of the answers fails the codebook is rejected as a whole
# (its home: Settings.survey_max_failed_answer_share).
MAX_FAILED_ANSWER_SHARE = rule_default("survey_max_failed_answer_share")
FAILED_ANSWER_RULES = ("answer_not_in_codebook", "invalid_number", "not_integer", "out_of_range")
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
    Rule("encoding_uncertain", "error", "Teckenkodningen går inte att avgöra säkert; filen läses inte",
         "The encoding cannot be determined with confidence; the file is not read"),
    Rule("no_header", "error", "Ingen rubrikrad med kolumnen Respondentkod och kodbokens frågekoder",
         "No header row with the respondent code column and the codebook's question codes"),
    Rule("no_data_rows", "error", "Exporten har en rubrikrad men inga svarsrader; den ersätter inte årets export",
         "The export has a header but no data rows; it does not replace the year's export"),
    Rule("wrong_questionnaire", "error", "Exporten ser ut som en annan årgångs enkät än filnamnets år",
         "The export looks like another year's questionnaire than the year in its file name"),
    Rule("too_many_failed_answers", "error", "För många svar går inte att läsa med kodboken; hela filen avvisas",
         "Too many answers fail the codebook; the whole file is rejected"),
    Rule("outside_run_years", "warning", "Exporten gäller {year}, som inte är ett av körningens år ({years}); "
         "den landas inte", "The export is for {year}, not one of the run's years ({years}); not landed"),
    Rule("layout_normalised", "normalised", "Rubrikraden är rad {header_row}; hoppade över {skipped_sv}.",
         "The header is row {header_row}; skipped {skipped_en}."),
    Rule("respondent_by_name", "normalised", "{n} respondenter angavs med officiellt namn i stället för kod "
         "och har fått sin kod.", "{n} respondents were given by official name instead of code and got their code."),
    Rule("unknown_respondent_name", "error", "Namnet är varken ett officiellt kommun- eller regionnamn eller en "
         "kod; svaret räknas inte.{hint_sv}", "The name is neither an official kommun or region name nor a code; "
         "response not counted.{hint_en}"),
    Rule("submitted_outside_survey_year", "warning", "{n} svar har en inskickningstid utanför enkätåret {year} "
         "och året efter; kontrollera att exporten gäller rätt år.", "{n} responses were submitted outside the "
         "survey year {year} and the year after; check that the export is for the right year."),
    Rule("partial_resubmission", "warning", "Exporten har {n} räknade svar, färre än hälften av {current} i årets "
         "nuvarande export {current_file}; den ersätter den inte förrän den godkänts med "
         "`folkhalsa accept-survey {export}`.", "The export has {n} counted responses, fewer than half of the "
         "{current} in the year's current export {current_file}; it does not replace it until accepted with "
         "`folkhalsa accept-survey {export}`."),
    Rule("pending_review_waiting", "warning", "Exporten för {year} ({n} svar) väntar fortfarande på granskning; "
         "godkänn den med `folkhalsa accept-survey <fil>` eller ta bort den.", "The {year} export ({n} responses) "
         "is still pending review; accept it with `folkhalsa accept-survey <file>` or remove it."),
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
       "landar. Bara fel på filnivå (unreadable, codebook, misnamed_file, missing_respondent_column, "
       "encoding_uncertain, no_header, no_data_rows, wrong_questionnaire, too_many_failed_answers – mer än 5 % av "
       "svaren) avvisar filen, och då landar inget av den. "
       "En fråga som saknas i exporten är `missing_question` (varning: räknas som obesvarad), inte returns "
       "`missing_column` (fel). Se docs/survey_exports.md. / Survey export: a row-level error drops that row or "
       "answer, the rest lands; only file-level errors reject the file, and then nothing of it lands. A question "
       "missing from the export is `missing_question`, a warning. See docs/survey_exports.md.")


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
    "latest_submitted_at": pl.Datetime("us"), "header_row": pl.Int32, "review_status": pl.Utf8,
}


# A file-level problem: the export or codebook cannot be used at all (messages in Swedish and English).
SurveyError = InputFormatError


def file_error(rule: str, sv: str, en: str) -> SurveyError:
    """A SurveyError that names the check that rejected the file (e.rule)."""
    e = SurveyError(sv, en)
    e.rule = rule
    return e


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
    names: dict[str, str] = field(default_factory=dict)   # normalised official name -> respondent code
    official_names: tuple[str, ...] = ()                   # for hints


@dataclass(frozen=True)
class Respondent:
    code: str
    type: str                        # kommun | region
    county_code: str
    municipality_code: str | None


def load_reference(reference_dir: Path = DEFAULT_REFERENCE_DIR) -> Reference:
    """Kommun and län codes and the official names, read through folkhalsa.reference (the only
    reader of code lists)."""
    from folkhalsa import reference

    munis = reference.municipalities(Path(reference_dir))
    regions = reference.region_names(Path(reference_dir))
    kommun_names = {code: name for code, (name, _) in munis.items()}
    return Reference({code: county for code, (_, county) in munis.items()},
                     frozenset(reference.counties(Path(reference_dir))),
                     respondent_names.name_index(kommun_names, regions),
                     tuple(kommun_names.values()) + tuple(regions))


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


def parse_respondent(raw: str | None, reference: Reference) -> tuple[Respondent | None, bool]:
    """A code, or an official kommun or region name; (respondent, given by name)."""
    who = parse_respondent_code(raw, reference)
    if who is not None or not raw or not any(ch.isalpha() for ch in raw):
        return who, False
    code = respondent_names.code_for_name(raw, reference.names)
    return (parse_respondent_code(code, reference), True) if code else (None, False)


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
    header_row: int | None = None    # line (CSV) or row (sheet) of the header
    encoding_scores: str = ""        # every encoding tried with its score
    issues: list[Issue] = field(default_factory=list)

    def describe(self) -> tuple[str, str]:
        at = f", rubrikrad {self.header_row}" if self.header_row else ""
        at_en = f", header row {self.header_row}" if self.header_row else ""
        if self.format != "csv":
            return (f"kalkylblad, flik '{self.sheet}'{at}", f"spreadsheet, sheet '{self.sheet}'{at_en}")
        sep = {";": "semikolon", ",": "komma", "\t": "tabb"}[self.separator]
        dec = "komma" if self.decimal_comma else "punkt"
        tried = f" (provade / tried: {self.encoding_scores})" if self.encoding_scores else ""
        return (f"CSV, teckenkodning {self.encoding}{tried}, avgränsare {sep}, decimaltecken {dec}{at}",
                f"CSV, encoding {self.encoding}{tried}, separator {self.separator!r}, "
                f"decimal {'comma' if self.decimal_comma else 'point'}{at_en}")


@dataclass(frozen=True)
class ExportVocabulary:
    """What the reader knows before it reads: every codebook's question codes and words, the
    official names. Used to find the header and to score encodings."""
    codes: frozenset[str]
    words: frozenset[str]

    @classmethod
    def build(cls, books: list[Codebook], reference: Reference | None = None) -> ExportVocabulary:
        texts = [q.text_sv for b in books for q in b.questions]
        texts += [a.label for b in books for q in b.questions for a in q.answers]
        texts += list(reference.official_names) if reference else []
        return cls(frozenset(q.code for b in books for q in b.questions), vocabulary(texts))


def load_codebooks(codebook_dir: Path = DEFAULT_CODEBOOK_DIR) -> list[Codebook]:
    """Every readable codebook skr_<year>.yml in the folder, by year."""
    books = []
    for p in sorted(Path(codebook_dir).glob("skr_*.yml")):
        try:
            books.append(load_codebook(p))
        except SurveyError:
            continue   # a broken codebook is reported when its own year is landed
    return books


_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_DEFAULT_VOCAB: list[ExportVocabulary] = []


def default_vocabulary() -> ExportVocabulary:
    if not _DEFAULT_VOCAB:
        _DEFAULT_VOCAB.append(ExportVocabulary.build(load_codebooks(), load_reference()))
    return _DEFAULT_VOCAB[0]


def read_export(path: Path, vocab: ExportVocabulary | None = None) -> tuple[pl.DataFrame, ReadInfo]:
    """Read an export as all-text columns plus `_row` (the row or line number in the file).

    The table is found by the codebooks' question codes (vocab; default: every codebook in
    data/codebooks): a `sep=` line, title rows above the header, footer lines and empty columns are
    dropped and reported. Raises SurveyError for a file that cannot be read at all (e.rule names the
    check); row-level problems are in ReadInfo.issues.
    """
    path = Path(path)
    vocab = vocab or default_vocabulary()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SurveyError(f"Filen {path.name} kan inte läsas ({type(e).__name__}).",
                          f"File {path.name} cannot be read ({type(e).__name__}).") from None
    is_zip_or_ole = data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0"
    if path.suffix.lower() in SPREADSHEET_SUFFIXES or is_zip_or_ole:
        return _read_spreadsheet(path, data, vocab)
    return _read_csv(path, data, vocab)


def _read_spreadsheet(path: Path, data: bytes, vocab: ExportVocabulary) -> tuple[pl.DataFrame, ReadInfo]:
    import fastexcel

    try:
        sheet = fastexcel.read_excel(data).sheet_names[0]
        df = pl.read_excel(data, sheet_name=sheet, has_header=False, infer_schema_length=0,
                           drop_empty_rows=False, drop_empty_cols=False, raise_if_empty=False)
    except BaseException as e:  # noqa: BLE001 - any parser failure (even a Rust panic) is one file error
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise SurveyError(f"Filen {path.name} är inget läsbart kalkylblad ({type(e).__name__}).",
                          f"File {path.name} is not a readable spreadsheet ({type(e).__name__}).") from None
    cells = df.select(pl.all().cast(pl.Utf8)).rows()
    records = [(i, ["" if v is None else v for v in r]) for i, r in enumerate(cells, start=1)
               if any(v is not None and v.strip() for v in r)]
    table = survey_layout.locate_table(records, path.name, vocab.codes, RESPONDENT_COLUMNS)
    info = ReadInfo(path.name, "xlsx", sheet=sheet, header_row=table.header_row)
    return _table_frame(table, info), info


def _read_csv(path: Path, data: bytes, vocab: ExportVocabulary) -> tuple[pl.DataFrame, ReadInfo]:
    decoded = decode_survey_bytes(data, path.name, vocab.words)
    text, sep = survey_layout.strip_sep_line(decoded.text)
    sep_line = sep is not None
    sep = sep or survey_layout.choose_separator(text, path.name, vocab.codes, RESPONDENT_COLUMNS) \
        or _sniff_or_default(text, path.name)
    records = survey_layout.csv_records(text, sep, path.name)
    table = survey_layout.locate_table(records, path.name, vocab.codes, RESPONDENT_COLUMNS)
    table.sep_line = sep_line
    scores = decoded.describe() if len(decoded.candidates) > 1 else ""
    info = ReadInfo(path.name, "csv", encoding=decoded.encoding, separator=sep, header_row=table.header_row,
                    encoding_scores=scores)
    df = _table_frame(table, info)
    info.decimal_comma = any(_DECIMAL_COMMA.match(v or "") for col in df.columns[:-1] for v in df[col])
    return df, info


def _sniff_or_default(text: str, file: str) -> str:
    # No header matched under any separator: locate_table reports the rows searched.
    try:
        return sniff_separator(text, file)
    except InputFormatError:
        return ";"


def _table_frame(table: survey_layout.Table, info: ReadInfo) -> pl.DataFrame:
    """The located table as a frame; what the layout dropped goes to info.issues (for the record)."""
    file = info.file
    names = _unique([_clean_header(h, i) for i, h in enumerate(table.header)])
    dropped = []
    if table.sep_line:
        dropped.append(("Excel-raden sep= på rad 1", "the Excel sep= line on row 1"))
    if table.skipped_above:
        rows = _ranges(table.skipped_above)
        dropped.append((f"{len(table.skipped_above)} rubrikrad(er) ovanför tabellen (rad {rows})",
                        f"{len(table.skipped_above)} title row(s) above the table (rows {rows})"))
    if table.footer:
        rows = _ranges(table.footer)
        dropped.append((f"{len(table.footer)} fotrad(er) under tabellen (rad {rows})",
                        f"{len(table.footer)} footer line(s) below the table (rows {rows})"))
    if table.dropped_columns:
        cols = ", ".join(map(str, table.dropped_columns))
        dropped.append((f"tomma kolumner {cols}", f"empty columns {cols}"))
    if dropped:
        info.issues.append(_issue("layout_normalised", file, header_row=table.header_row,
                                  skipped_sv="; ".join(d[0] for d in dropped),
                                  skipped_en="; ".join(d[1] for d in dropped)))
    rows = []
    for line, rec in table.rows:
        if len(rec) > len(names) and any(v.strip() for v in rec[len(names):]):
            info.issues.append(_issue("ragged_row", file, line, fields=len(rec), header=len(names)))
            continue
        if len(rec) < len(names) and info.format == "csv":
            info.issues.append(_issue("short_row", file, line, fields=len(rec), header=len(names)))
        rows.append([*(rec + [""] * len(names))[:len(names)], line])
    info.n_rows = len(rows)
    return pl.DataFrame(rows, schema={**{n: pl.Utf8 for n in names}, "_row": pl.Int64}, orient="row")


def _ranges(rows: list[int]) -> str:
    return f"{rows[0]}–{rows[-1]}" if len(rows) > 1 else str(rows[0])


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
    n_answers: int = 0               # answers read against the codebook (free text not included)
    n_failed_answers: int = 0        # of those, answers the codebook does not read

    @property
    def failed_share(self) -> float:
        return self.n_failed_answers / self.n_answers if self.n_answers else 0.0


def validate(raw: pl.DataFrame, codebook: Codebook, reference: Reference, *, file: str) -> Validated:
    """Check one export against the codebook and the reference codes.

    Every row is kept in `respondents` with flags; answers that are not in the
    codebook or do not apply to the respondent are reported and left out; the
    rest of the row is kept. Raises SurveyError when the respondent column is missing
    or the export has no data rows.
    """
    issues: list[Issue] = []
    resp_col, time_col, qcols = _map_columns(raw.columns, codebook, file, issues)
    modes: dict[str, int] = {"label": 0, "code": 0, "cells": 0, "failed": 0}
    respondents, answers = [], []
    by_name = 0
    for rec in raw.iter_rows(named=True):
        values = {k: (v or "").strip() for k, v in rec.items() if k != "_row"}
        if not any(values.values()):
            continue
        row = rec["_row"]
        who, named = parse_respondent(values[resp_col], reference)
        by_name += named
        r = {"survey_year": codebook.year, "respondent_code": who and who.code,
             "respondent_code_raw": values[resp_col] or None, "respondent_type": who and who.type,
             "county_code": who and who.county_code, "municipality_code": who and who.municipality_code,
             "submitted_at": _parse_time(values.get(time_col, "")) if time_col else None,
             "is_known": who is not None, "_row": row}
        if who is None:
            issues.append(_unknown_respondent(file, row, resp_col, values[resp_col], reference))
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
        raise file_error("no_data_rows",
                         f"{file}: exporten har en rubrikrad men inga svarsrader; den ersätter inte årets export.",
                         f"{file}: the export has a header but no data rows; it does not replace the year's export.")
    if by_name:
        issues.append(_issue("respondent_by_name", file, None, resp_col, n=by_name))
    outside = dates_outside_survey_year([r["submitted_at"] for r in respondents], codebook.year)
    if outside:
        issues.append(_issue("submitted_outside_survey_year", file, None, time_col, n=outside, year=codebook.year))
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
                     pl.DataFrame(answers, schema=ANSWER_SCHEMA), issues, mode, modes["cells"], modes["failed"])


def dates_outside_survey_year(times: list[datetime | None], year: int) -> int:
    """How many submission times fall outside the survey year and the year after."""
    return sum(1 for t in times if t is not None and t.year not in (year, year + 1))


def _unknown_respondent(file: str, row: int, col: str, raw: str, reference: Reference) -> Issue:
    if raw and any(ch.isalpha() for ch in raw):
        hint = respondent_names.closest_name(raw, list(reference.official_names))
        return _issue("unknown_respondent_name", file, row, col, raw,
                      hint_sv=f" Närmaste officiella namn: {hint}." if hint else "",
                      hint_en=f" Closest official name: {hint}." if hint else "")
    return _issue("unknown_respondent" if raw else "missing_respondent", file, row, col, raw or None)


def _map_columns(columns: list[str], codebook: Codebook, file: str, issues: list[Issue]):
    resp_col = time_col = None
    qcols: dict[str, Question] = {}
    for col in columns:
        if col == "_row":
            continue
        low = col.lower()
        code = survey_layout.split_header(col)[0]
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
        raise file_error("missing_respondent_column", f"{file}: kolumnen Respondentkod saknas.",
                         f"{file}: the respondent code column is missing.")
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
        modes["cells"] += 1
        num, problem = _number(value, q)
        if problem:
            modes["failed"] += 1
            issues.append(_issue(problem[0], file, row, col, value, **problem[1]))
            return []
        return [{**base, "value_numeric": num}]
    out = []
    parts = [p.strip() for p in value.split(MULTI_SEPARATOR)] if q.type == "multi" else [value]
    for part in dict.fromkeys(p for p in parts if p):
        modes["cells"] += 1
        opt, how = _option(q, part)
        if opt is None:
            modes["failed"] += 1
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
                 received_at: datetime | None = None, landing_dir: Path | None = None,
                 max_failed_share: float = MAX_FAILED_ANSWER_SHARE) -> Parsed:
    """The land_file parser: codebook, export, validation, tables. Row-level errors drop the row or
    answer and never reject the file; a file that cannot be used at all raises InputError: no
    header or no data rows, an encoding that is not clearly one, another year's questionnaire, or
    more than `max_failed_share` of the answers failing the codebook. With `landing_dir`, an export
    with fewer than half the respondents of the year's current export is held as pending_review."""
    try:
        book = load_codebook(codebook_path(codebook_dir, year))
    except (SurveyError, FileNotFoundError) as e:
        sv, en = (e.message_sv, e.message_en) if isinstance(e, SurveyError) else (str(e), str(e))
        raise InputError(_issue("codebook", name, detail=sv, detail_en=en)) from None
    if book.year != year:
        raise InputError(_issue("codebook", name, detail=f"kodboken gäller {book.year}, inte {year}",
                                detail_en=f"the codebook is for {book.year}, not {year}"))
    try:
        books = load_codebooks(codebook_dir) or [book]
        reference = load_reference(reference_dir)
        raw, info = read_export(path, ExportVocabulary.build(books, reference))
        info.file = name
        check_questionnaire(raw, book, books, name)
        checked = validate(raw, book, reference, file=name)
        check_failed_share(checked, name, max_failed_share)
    except SurveyError as e:
        raise InputError(_issue(getattr(e, "rule", "unreadable"), name, detail=e.message_sv,
                                detail_en=e.message_en)) from None
    fmt_sv, fmt_en = info.describe()
    mode_sv = {"labels": "etiketter", "codes": "koder", "mixed": "etiketter och koder", "none": "inga"}
    issues = [_issue("format_detected", name, fmt_sv=fmt_sv, mode_sv=mode_sv[checked.answer_mode],
                     fmt_en=fmt_en, mode_en=checked.answer_mode)] + info.issues + checked.issues
    if info.sheet:  # a spreadsheet export: every located issue is on its one sheet
        issues = [replace(i, sheet=info.sheet) if i.row or i.column else i for i in issues]
    counted = checked.respondents.filter("is_counted")
    review = survey_review.ACCEPTED
    if landing_dir is not None:
        current = survey_review.current_export(landing_dir, year, exclude=batch_id_for(sha256_file(path)))
        review = survey_review.review_status_for(counted.height, current)
        if review == survey_review.PENDING:
            issues.append(_issue("partial_resubmission", name, n=counted.height, current=current.n_counted,
                                 current_file=current.file, export=name))
    export = {"survey_year": year, "file_name": name, "format": info.format,
              "encoding": info.encoding, "separator": info.separator, "sheet": info.sheet,
              "decimal_comma": info.decimal_comma, "answer_mode": checked.answer_mode,
              "codebook_version": book.version, "n_rows": info.n_rows, "n_counted": counted.height,
              "latest_submitted_at": counted["submitted_at"].max(), "header_row": info.header_row,
              "review_status": review}
    tables = {"exports": pl.DataFrame([export], schema=EXPORT_SCHEMA), "respondents": checked.respondents,
              "answers": checked.answers, "codebook": book.to_frame(), "decisions": survey_review.empty_decisions()}
    return Parsed(tables=tables, issues=issues, sheets=dict.fromkeys(tables, info.sheet), rejected=False,
                  received_at=received_at, manifest={
                      "survey_year": year, "codebook_version": book.version, "format": info.format,
                      "encoding": info.encoding, "encoding_scores": info.encoding_scores,
                      "separator": info.separator, "sheet": info.sheet, "header_row": info.header_row,
                      "decimal_comma": info.decimal_comma, "answer_mode": checked.answer_mode,
                      "review_status": review,
                      # as for county returns: a held export's batch status is pending_review
                      **({"status": review} if review == survey_review.PENDING else {})})


def check_questionnaire(raw: pl.DataFrame, book: Codebook, books: list[Codebook], file: str) -> None:
    """Reject an export that another year's codebook reads clearly better than its own year's."""
    qcols = questionnaire.question_columns(raw.columns, RESPONDENT_COLUMNS + SUBMITTED_COLUMNS + IGNORED_COLUMNS)
    rows = raw.head(questionnaire.SAMPLE_ROWS).to_dicts()
    fits = [questionnaire.fit_codebook(qcols, rows, b, _answer_readable) for b in books]
    if book.year not in {b.year for b in books}:
        fits.append(questionnaire.fit_codebook(qcols, rows, book, _answer_readable))
    other = questionnaire.clearly_other_year(fits, book.year)
    if other is not None:
        detail = "; ".join(f.describe() for f in sorted(fits, key=lambda f: f.year))
        raise file_error(
            "wrong_questionnaire", f"{file}: exporten ser ut som {other.year} års enkät, inte {book.year} års "
            f"({detail}). Kontrollera filnamnet (skr_enkat_<år>).",
            f"{file}: this looks like the {other.year} questionnaire, not the {book.year} one ({detail}). "
            f"Check the file name (skr_enkat_<year>).")


def _answer_readable(q: Question, value: str, row: dict) -> bool:
    if q.type == "text":
        return True
    if q.type in ("integer", "decimal"):
        return _number(value, q)[1] is None
    parts = [p.strip() for p in value.split(MULTI_SEPARATOR)] if q.type == "multi" else [value]
    return all(_option(q, p)[0] is not None for p in parts if p)


def check_failed_share(checked: Validated, file: str, max_share: float) -> None:
    """Reject the whole file when more than max_share of its answers fail the codebook."""
    if checked.n_answers and checked.failed_share > max_share:
        by_rule = Counter(i.rule for i in checked.issues if i.rule in FAILED_ANSWER_RULES)
        rules = ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items()))
        raise file_error(
            "too_many_failed_answers", f"{file}: {checked.n_failed_answers} av {checked.n_answers} svar "
            f"({checked.failed_share:.1%}) går inte att läsa med kodboken, mer än gränsen {max_share:.0%} "
            f"({rules}); hela filen avvisas och inget landas.",
            f"{file}: {checked.n_failed_answers} of {checked.n_answers} answers ({checked.failed_share:.1%}) fail "
            f"the codebook, more than the limit of {max_share:.0%} ({rules}); the whole file is rejected, "
            "nothing landed.")


def same_bytes_other_year(landing_dir: Path, batch_id: str, year: int) -> tuple[int, str] | None:
    """(year, file) when these exact bytes already landed for another survey year."""
    manifest = read_manifest(landing_dir, SOURCE, batch_id) or {}
    landed_year = manifest.get("survey_year")
    if landed_year is not None and int(landed_year) != year:
        return int(landed_year), str(manifest.get("file", ""))
    return None


def _empty_tables() -> dict[str, pl.DataFrame]:
    return {"exports": pl.DataFrame(schema=EXPORT_SCHEMA), "respondents": pl.DataFrame(schema=RESPONDENT_SCHEMA),
            "answers": pl.DataFrame(schema=ANSWER_SCHEMA), "codebook": pl.DataFrame(schema=CODEBOOK_SCHEMA),
            "decisions": survey_review.empty_decisions()}


LANDING = LandingSource(SOURCE, CATALOGUE, _empty_tables, values_in_results=False, parser_files=(
    "folkhalsa/sources/survey.py", "folkhalsa/sources/survey_layout.py", "folkhalsa/sources/questionnaire.py",
    "folkhalsa/sources/respondent_names.py", "folkhalsa/sources/survey_review.py", "folkhalsa/io/text.py",
    "folkhalsa/io/encoding.py", "data/codebooks/*.yml", "dbt/seeds/ref_counties.csv",
    "dbt/seeds/ref_municipalities.csv", "dbt/seeds/ref_region_names.csv"))


def _parser(year: int, codebook_dir: Path, reference_dir: Path, received_at: datetime | None = None,
            landing_dir: Path | None = None, max_failed_share: float = MAX_FAILED_ANSWER_SHARE):
    return lambda path, name: parse_export(path, name, year=year, codebook_dir=codebook_dir,
                                           reference_dir=reference_dir, received_at=received_at,
                                           landing_dir=landing_dir, max_failed_share=max_failed_share)


def land_survey(export_path: Path, year: int, codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                *, reference_dir: Path = DEFAULT_REFERENCE_DIR, received_at: datetime | None = None,
                quarantine_dir: Path | None = None, max_failed_share: float = MAX_FAILED_ANSWER_SHARE) -> LandResult:
    """Validate one export and land it as source `skr_survey` (landing.land_file).

    Tables: exports, respondents, answers, codebook, decisions (empty), issues. Landing the same
    bytes again is a no-op (skipped) unless the parser changed; the same bytes offered for another
    year are rejected as that year's questionnaire. A file that cannot be used at all is rejected:
    its issues land (and it is quarantined when quarantine_dir is given); row-level problems land in
    `issues` and are in LandResult.issues as Issue objects.
    """
    export_path = Path(export_path)
    result = LandResult(source=SOURCE)
    if not export_path.is_file():
        issue = _issue("unreadable", export_path.name, detail="filen finns inte", detail_en="file not found")
        result.rejected.append(Rejection(SOURCE, export_path.name, [issue]))
        result.issues.append(issue)
        return result
    landed_as = same_bytes_other_year(Path(landing_dir), batch_id_for(sha256_file(export_path)), year)
    if landed_as:
        issue = _issue("wrong_questionnaire", export_path.name,
                       detail=f"filen är byte för byte samma som {landed_as[1]}, som landades för {landed_as[0]}; "
                              f"exporten ser ut som {landed_as[0]} års enkät, inte {year} års",
                       detail_en=f"the file is byte for byte the same as {landed_as[1]}, landed for {landed_as[0]}; "
                                 f"this looks like the {landed_as[0]} questionnaire, not the {year} one")
        result.rejected.append(Rejection(SOURCE, export_path.name, [issue], year=year))
        result.issues.append(issue)
        return result
    land_file(LANDING, export_path, _parser(year, codebook_dir, reference_dir, received_at, Path(landing_dir),
                                            max_failed_share),
              landing_dir=landing_dir, archive_dir=archive_dir, quarantine_dir=quarantine_dir, result=result,
              manifest={"survey_year": year})
    return result


@dataclass
class ExportReport:
    """What happened to one export, for tests and the command line."""
    file: str
    year: int
    outcome: str                     # landed | landed_with_warnings | pending_review | rejected | skipped
    respondents: int = 0             # counted respondents
    counts: dict[str, int] = field(default_factory=dict)   # rule -> warnings and errors
    encoding: str | None = None
    separator: str | None = None
    header_row: int | None = None
    message: str = ""


def land_survey_export(export_path: Path, year: int, codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                       **kwargs) -> tuple[LandResult, ExportReport]:
    """land_survey, and what became of the export."""
    export_path = Path(export_path)
    result = land_survey(export_path, year, codebook_dir, landing_dir, archive_dir, **kwargs)
    report = ExportReport(export_path.name, year, "rejected")
    counts = Counter(i.rule for i in result.issues if i.severity != "normalised")
    report.counts = dict(sorted(counts.items()))
    if result.rejected:
        report.message = "; ".join(f"{i.message_sv} / {i.message_en}" for r in result.rejected for i in r.errors)
        return result, report
    if result.skipped and not result.landed:
        report.outcome = "skipped"
        return result, report
    manifest = read_manifest(Path(landing_dir), SOURCE, result.landed[0]) or {}
    export = pl.read_parquet(Path(landing_dir) / SOURCE / result.landed[0] / "exports.parquet").row(0, named=True)
    report.respondents = int(export["n_counted"])
    report.encoding, report.separator, report.header_row = export["encoding"], export["separator"], export["header_row"]
    report.outcome = ("pending_review" if manifest.get("review_status") == survey_review.PENDING
                      else "landed_with_warnings" if report.counts else "landed")
    return result, report


def land_surveys(input_dir: Path, years: list[int], codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                 quarantine_dir: Path | None, *, reference_dir: Path = DEFAULT_REFERENCE_DIR,
                 max_failed_share: float = MAX_FAILED_ANSWER_SHARE) -> LandResult:
    """Every export of the configured years; exports of other years, misnamed files and exports still
    pending review reported; stale batches re-landed."""
    total = LandResult(SOURCE)
    for path, year in discover_exports(input_dir):
        if year in years:
            total.merge(land_survey(path, year, codebook_dir, landing_dir, archive_dir, reference_dir=reference_dir,
                                    quarantine_dir=quarantine_dir, max_failed_share=max_failed_share))
        else:
            total.issues.append(_issue("outside_run_years", path.name, year=year,
                                       years=", ".join(map(str, years))))
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
            land_file(LANDING, original, _parser(year, codebook_dir, reference_dir, None, Path(landing_dir),
                                                 max_failed_share), landing_dir=landing_dir,
                      archive_dir=archive_dir, quarantine_dir=quarantine_dir, result=total,
                      display_name=manifest["file"], parser_version=version, manifest={"survey_year": year})
    # Reported every night until accepted: a pending export never becomes the year's export by itself.
    reported = {i.file for i in total.issues if i.rule == "partial_resubmission"}
    for e in survey_review.pending_exports(Path(landing_dir)):
        if e.file not in reported:
            total.issues.append(_issue("pending_review_waiting", e.file, year=e.year, n=e.n_counted))
    return total


def empty_tables() -> dict[str, pl.DataFrame]:
    """Every landed table with provenance and no rows (placeholder batch)."""
    return LANDING.all_empty_tables()
