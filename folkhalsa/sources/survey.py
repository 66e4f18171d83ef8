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

import math
from collections import Counter
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import yaml

from folkhalsa.landing import (
    LandResult, archive_original, batch_exists, batch_id_for, read_manifest, sha256_file, utc_now,
    with_provenance, write_batch,
)
from folkhalsa.sources import questionnaire, respondent_names, survey_layout, survey_review
from folkhalsa.sources.encoding import decode_survey_bytes, vocabulary
from folkhalsa.sources.text import InputFormatError, decode_text, sniff_separator  # noqa: F401 (re-exported)
from folkhalsa.settings import PROJECT_ROOT

SOURCE = "skr_survey"
DEFAULT_REFERENCE_DIR = PROJECT_ROOT / "dbt" / "seeds"
DEFAULT_CODEBOOK_DIR = PROJECT_ROOT / "data" / "codebooks"
# A file where more than this share of the answers fails the codebook is rejected as a whole
# (Settings.survey_max_failed_answer_share overrides it).
MAX_FAILED_ANSWER_SHARE = 0.05
FAILED_ANSWER_RULES = ("answer_not_in_codebook", "invalid_number", "not_integer", "out_of_range")
QUESTION_TYPES = ("single", "multi", "integer", "decimal", "text")
APPLIES_TO = ("kommun", "region", "both")
MULTI_SEPARATOR = "|"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
EXPORT_NAME = re.compile(r"^skr_enkat_(\d{4})(?:_[^.]*)?\.(csv|txt|xlsx|xls|ods)$", re.IGNORECASE)

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
ISSUE_SCHEMA = {
    "survey_year": pl.Int32, "file": pl.Utf8, "row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8,
    "rule": pl.Utf8, "severity": pl.Utf8, "message_sv": pl.Utf8, "message_en": pl.Utf8,
}
EXPORT_SCHEMA = {
    "survey_year": pl.Int32, "file_name": pl.Utf8, "format": pl.Utf8, "encoding": pl.Utf8,
    "separator": pl.Utf8, "sheet": pl.Utf8, "decimal_comma": pl.Boolean, "answer_mode": pl.Utf8,
    "codebook_version": pl.Utf8, "n_rows": pl.Int32, "n_counted": pl.Int32,
    "latest_submitted_at": pl.Datetime("us"), "header_row": pl.Int32, "review_status": pl.Utf8,
}


def empty_tables() -> dict[str, pl.DataFrame]:
    """Every landed table with its schema and no rows."""
    prov = dict(batch_id="0" * 16, source_file="", sha256="0" * 64, sheet=None, received_at=utc_now())
    issues = pl.DataFrame(schema=ISSUE_SCHEMA).with_columns(_row=pl.col("row"))
    return {
        "exports": with_provenance(pl.DataFrame(schema=EXPORT_SCHEMA), **prov),
        "respondents": with_provenance(pl.DataFrame(schema=RESPONDENT_SCHEMA), **prov, row_col="_row"),
        "answers": with_provenance(pl.DataFrame(schema=ANSWER_SCHEMA), **prov, row_col="_row"),
        "codebook": with_provenance(pl.DataFrame(schema=CODEBOOK_SCHEMA), **prov),
        "issues": with_provenance(issues, **prov, row_col="_row"),
        "decisions": with_provenance(survey_review.empty_decisions(), **prov),
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
    kommuner = pl.read_csv(Path(reference_dir) / "ref_municipalities.csv", schema_overrides={
        "code": pl.Utf8, "county_code": pl.Utf8})
    counties = pl.read_csv(Path(reference_dir) / "ref_counties.csv", schema_overrides={"code": pl.Utf8})
    regions = respondent_names.load_region_names()
    kommun_names = dict(zip(kommuner["code"], kommuner["name"]))
    return Reference(dict(zip(kommuner["code"], kommuner["county_code"])), frozenset(counties["code"]),
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
class Issue:
    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: str                    # error: not landed | warning: landed, check it | info
    message_sv: str
    message_en: str

    def summary(self) -> str:
        """For logs and alerts: names file, row, column and rule, never the value."""
        where = ", ".join(p for p in (self.row and f"rad {self.row}", self.column and f"kolumn {self.column}") if p)
        return f"{self.file}{': ' + where if where else ''} [{self.rule}] {self.message_sv} / {self.message_en}"


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
    dropped and reported. Raises SurveyError for a file that cannot be read at all; row-level
    problems are in ReadInfo.issues.
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
        info.issues.append(Issue(file, None, None, None, "layout_normalised", "info",
                                 f"Rubrikraden är rad {table.header_row}; hoppade över " +
                                 "; ".join(d[0] for d in dropped) + ".",
                                 f"The header is row {table.header_row}; skipped " +
                                 "; ".join(d[1] for d in dropped) + "."))
    rows = []
    for line, rec in table.rows:
        if len(rec) > len(names) and any(v.strip() for v in rec[len(names):]):
            info.issues.append(Issue(file, line, None, None, "ragged_row", "error",
                                     f"Raden har {len(rec)} fält men rubrikraden {len(names)}; raden läses inte.",
                                     f"Row has {len(rec)} fields but the header {len(names)}; row skipped."))
            continue
        if len(rec) < len(names) and info.format == "csv":
            info.issues.append(Issue(file, line, None, None, "short_row", "warning",
                                     f"Raden har {len(rec)} fält men rubrikraden {len(names)}; "
                                     "resten räknas som obesvarat.",
                                     f"Row has {len(rec)} fields but the header {len(names)}; "
                                     "the rest counts as unanswered."))
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
            issues.append(Issue(file, row, time_col, values[time_col], "invalid_timestamp", "warning",
                                "Ogiltig tidpunkt; förväntat ÅÅÅÅ-MM-DD tt:mm.",
                                "Invalid timestamp; expected YYYY-MM-DD hh:mm."))
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
        issues.append(Issue(file, None, resp_col, None, "respondent_by_name", "info",
                            f"{by_name} respondenter angavs med officiellt namn i stället för kod och har fått sin kod.",
                            f"{by_name} respondents were given by official name instead of code and got their code."))
    outside = dates_outside_survey_year([r["submitted_at"] for r in respondents], codebook.year)
    if outside:
        issues.append(Issue(file, None, time_col, None, "submitted_outside_survey_year", "warning",
                            f"{outside} svar har en inskickningstid utanför enkätåret {codebook.year} och året efter; "
                            "kontrollera att exporten gäller rätt år.",
                            f"{outside} responses were submitted outside the survey year {codebook.year} and the "
                            "year after; check that the export is for the right year."))
    _flag_duplicates(respondents, file, resp_col, issues)
    for r in respondents:
        r["is_counted"] = r["is_known"] and not r["is_duplicate_dropped"] and not r["is_empty"]
        if r["is_empty"] and r["is_known"]:
            issues.append(Issue(file, r["_row"], None, None, "empty_response", "warning",
                                "Inga frågor besvarade; svaret räknas inte.",
                                "No question answered; response not counted."))
        elif r["is_counted"] and r["is_partial"]:
            issues.append(Issue(file, r["_row"], None, None, "partial_response", "warning",
                                f"Ofullständigt svar: {r['n_answered']} av {r['n_applicable']} frågor besvarade. "
                                "Svaret räknas; obesvarade frågor räknas aldrig som nej.",
                                f"Partial response: {r['n_answered']} of {r['n_applicable']} questions answered. "
                                "Counted; unanswered questions never count as no."))
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
        hint_sv = f" Närmaste officiella namn: {hint}." if hint else ""
        hint_en = f" Closest official name: {hint}." if hint else ""
        return Issue(file, row, col, raw, "unknown_respondent_name", "error",
                     "Namnet är varken ett officiellt kommun- eller regionnamn eller en kod; svaret räknas inte."
                     + hint_sv,
                     "The name is neither an official kommun or region name nor a code; response not counted."
                     + hint_en)
    rule = "unknown_respondent" if raw else "missing_respondent"
    return Issue(file, row, col, raw or None, rule, "error",
                 "Okänd eller saknad respondentkod: varken en av de 290 kommunkoderna eller "
                 "en regionkod (00 + länskod). Svaret räknas inte.",
                 "Unknown or missing respondent code: neither one of the 290 municipality "
                 "codes nor a region code (00 + county code). Response not counted.")


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
            issues.append(Issue(file, None, col, None, "unknown_column", "warning",
                                f"Kolumnen finns inte i kodboken för {codebook.year} och läses inte.",
                                f"Column not in the {codebook.year} codebook; not read."))
    if resp_col is None:
        raise SurveyError(f"{file}: kolumnen Respondentkod saknas.", f"{file}: the respondent code column is missing.")
    if time_col is None:
        issues.append(Issue(file, None, None, None, "missing_timestamp_column", "warning",
                            "Kolumnen Inskickad saknas; dubbletter avgörs av radordningen.",
                            "No submission time column; duplicates are resolved by row order."))
    for q in codebook.questions:
        if q not in qcols.values():
            issues.append(Issue(file, None, q.code, None, "missing_column", "warning",
                                f"Frågan {q.code} saknas i exporten; den räknas som obesvarad.",
                                f"Question {q.code} is missing from the export; counted as unanswered."))
    return resp_col, time_col, qcols


def _answers_for(q: Question, value: str, r: dict, row: int, col: str, year: int, file: str,
                 issues: list[Issue], modes: dict[str, int]) -> list[dict]:
    """The answer rows for one cell (several for multiple choice); problems go to issues."""
    if not value:
        return []
    if not q.applies(r["respondent_type"]):
        issues.append(Issue(file, row, col, None, "not_applicable", "warning",
                            f"Frågan gäller inte {r['respondent_type']}; svaret läses inte.",
                            f"The question does not apply to a {r['respondent_type']}; answer not read."))
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
            issues.append(Issue(file, row, col, value, problem[0], "error", *problem[1:]))
            return []
        return [{**base, "value_numeric": num}]
    out = []
    parts = [p.strip() for p in value.split(MULTI_SEPARATOR)] if q.type == "multi" else [value]
    for part in dict.fromkeys(p for p in parts if p):
        modes["cells"] += 1
        opt, how = _option(q, part)
        if opt is None:
            modes["failed"] += 1
            issues.append(Issue(file, row, col, part, "answer_not_in_codebook", "error",
                                f"Svaret är varken en etikett eller en kod i kodboken för {year}; det läses inte.",
                                f"The answer is neither a label nor a code in the {year} codebook; not read."))
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
    t = re.sub(r"[\s\u00a0\u202f]", "", value)
    if "," in t and "." in t or not re.fullmatch(r"[+-]?\d+([.,]\d+)?", t):
        return None, ("invalid_number", "Ogiltigt tal; skriv t.ex. 1,5.", "Invalid number; write e.g. 1.5.")
    num = float(t.replace(",", "."))
    if not math.isfinite(num):
        return None, ("invalid_number", "Ogiltigt tal.", "Invalid number.")
    if q.type == "integer" and num != int(num):
        return None, ("not_integer", "Frågan kräver ett heltal.", "The question requires a whole number.")
    if (q.min is not None and num < q.min) or (q.max is not None and num > q.max):
        return None, ("out_of_range", f"Talet ligger utanför {q.min}–{q.max}.",
                      f"The number is outside {q.min}–{q.max}.")
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
            issues.append(Issue(file, r["_row"], resp_col, r["respondent_code"], "duplicate_respondent", "warning",
                                "Dubblett: respondenten har svarat flera gånger; det senaste svaret "
                                f"(rad {kept['_row']}) behålls och detta räknas inte.",
                                f"Duplicate: the respondent answered more than once; the latest response "
                                f"(row {kept['_row']}) is kept and this one is not counted."))


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


@dataclass
class ExportReport:
    """What happened to one export this run, for the run summary and the alert."""
    file: str
    year: int
    outcome: str                     # landed | landed_with_warnings | pending_review | rejected | skipped | outside_years
    respondents: int = 0             # counted respondents
    counts: dict[str, int] = field(default_factory=dict)   # rule -> issues (warnings and errors)
    encoding: str | None = None
    separator: str | None = None
    header_row: int | None = None
    message: str = ""


def land_survey(export_path: Path, year: int, codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                *, reference_dir: Path = DEFAULT_REFERENCE_DIR, received_at: datetime | None = None,
                max_failed_share: float = MAX_FAILED_ANSWER_SHARE) -> LandResult:
    """Validate one export and land it as source `skr_survey` (see land_survey_export)."""
    return land_survey_export(export_path, year, codebook_dir, landing_dir, archive_dir, reference_dir=reference_dir,
                              received_at=received_at, max_failed_share=max_failed_share)[0]


def land_survey_export(export_path: Path, year: int, codebook_dir: Path, landing_dir: Path, archive_dir: Path,
                       *, reference_dir: Path = DEFAULT_REFERENCE_DIR, received_at: datetime | None = None,
                       max_failed_share: float = MAX_FAILED_ANSWER_SHARE) -> tuple[LandResult, ExportReport]:
    """Validate one export and land it as source `skr_survey`; also say what happened to it.

    Tables: exports, respondents, answers, codebook, issues. Landing the same bytes
    again is a no-op (skipped). Rejected, nothing written: a file that cannot be read, has no
    header or no data rows, whose encoding is not clearly one, that looks like another year's
    questionnaire, or where more than `max_failed_share` of the answers fail the codebook.
    A new export with fewer than half the respondents of the year's current export lands as
    `pending_review` (see survey_review). Row-level problems land in `issues` and are listed,
    without values, in LandResult.warnings.
    """
    export_path = Path(export_path)
    result = LandResult(source=SOURCE)
    report = ExportReport(export_path.name, year, "rejected")

    def reject(message: str):
        result.rejected.append({"file": export_path.name, "errors": [message]})
        report.message = message
        return result, report

    if not export_path.is_file():
        return reject(f"Filen finns inte: {export_path.name} / File not found: {export_path.name}")
    sha = sha256_file(export_path)
    batch_id = batch_id_for(sha)
    if batch_exists(landing_dir, SOURCE, batch_id):
        landed_as = same_bytes_other_year(landing_dir, batch_id, year)
        if landed_as:
            return reject(str(file_error(
                "wrong_questionnaire",
                f"{export_path.name}: filen är byte för byte samma som {landed_as[1]}, som landades för "
                f"{landed_as[0]}; exporten ser ut som {landed_as[0]} års enkät, inte {year} års.",
                f"{export_path.name}: the file is byte for byte the same as {landed_as[1]}, landed for "
                f"{landed_as[0]}; this looks like the {landed_as[0]} questionnaire, not the {year} one.")))
        result.skipped.append(batch_id)
        report.outcome = "skipped"
        return result, report
    try:
        book = load_codebook(codebook_path(codebook_dir, year))
        if book.year != year:
            raise SurveyError(f"Kodboken gäller {book.year}, inte {year}.", f"Codebook is for {book.year}, not {year}.")
        books = load_codebooks(codebook_dir)
        reference = load_reference(reference_dir)
        raw, info = read_export(export_path, ExportVocabulary.build(books or [book], reference))
        report.encoding, report.separator, report.header_row = info.encoding, info.separator, info.header_row
        check_questionnaire(raw, book, books, export_path.name)
        checked = validate(raw, book, reference, file=export_path.name)
        check_failed_share(checked, export_path.name, max_failed_share)
    except (SurveyError, FileNotFoundError) as e:
        return reject(str(e))

    received_at = received_at or utc_now()
    issues = info.issues + checked.issues
    fmt_sv, fmt_en = info.describe()
    mode_sv = {"labels": "etiketter", "codes": "koder", "mixed": "etiketter och koder", "none": "inga"}
    issues.insert(0, Issue(export_path.name, None, None, None, "format_detected", "info",
                           f"Läst som {fmt_sv}; svar som {mode_sv[checked.answer_mode]}.",
                           f"Read as {fmt_en}; answers as {checked.answer_mode}."))
    counted = checked.respondents.filter("is_counted")
    current = survey_review.current_export(landing_dir, year)
    review = survey_review.review_status_for(counted.height, current)
    if review == survey_review.PENDING:
        issues.append(Issue(export_path.name, None, None, None, "partial_resubmission", "warning",
                            f"Exporten har {counted.height} räknade svar, färre än hälften av {current.n_counted} i årets "
                            f"nuvarande export {current.file}; den ersätter den inte förrän den godkänts med "
                            f"`folkhalsa accept-survey {export_path.name}`.",
                            f"The export has {counted.height} counted responses, fewer than half of the "
                            f"{current.n_counted} in the year's current export {current.file}; it does not replace it "
                            f"until accepted with `folkhalsa accept-survey {export_path.name}`."))
    export = {"survey_year": year, "file_name": export_path.name, "format": info.format,
              "encoding": info.encoding, "separator": info.separator, "sheet": info.sheet,
              "decimal_comma": info.decimal_comma, "answer_mode": checked.answer_mode,
              "codebook_version": book.version, "n_rows": info.n_rows, "n_counted": counted.height,
              "latest_submitted_at": counted["submitted_at"].max(), "header_row": info.header_row,
              "review_status": review}
    prov = dict(batch_id=batch_id, source_file=export_path.name, sha256=sha, sheet=info.sheet,
                received_at=received_at)
    tables = {
        "exports": with_provenance(pl.DataFrame([export], schema=EXPORT_SCHEMA), **prov),
        "respondents": with_provenance(checked.respondents, **prov, row_col="_row"),
        "answers": with_provenance(checked.answers, **prov, row_col="_row"),
        "codebook": with_provenance(book.to_frame(), **prov),
        "issues": with_provenance(pl.DataFrame([{**asdict(i), "survey_year": year} for i in issues],
                                               schema=ISSUE_SCHEMA).with_columns(_row=pl.col("row")),
                                  **prov, row_col="_row"),
        "decisions": with_provenance(survey_review.empty_decisions(), **prov),
    }
    archive_original(export_path, archive_dir, sha)
    write_batch(landing_dir, SOURCE, batch_id, tables, {
        "file": export_path.name, "sha256": sha, "survey_year": year, "codebook_version": book.version,
        "format": info.format, "encoding": info.encoding, "encoding_scores": info.encoding_scores,
        "separator": info.separator, "sheet": info.sheet, "header_row": info.header_row,
        "decimal_comma": info.decimal_comma, "answer_mode": checked.answer_mode, "review_status": review,
        "received_at": received_at.isoformat()})
    result.landed.append(batch_id)
    for name, df in tables.items():
        result.add_rows(name, df.height)
    result.warnings.extend({"file": export_path.name, "message": i.summary()}
                           for i in issues if i.severity != "info")
    report.respondents = counted.height
    report.counts = dict(sorted(Counter(i.rule for i in issues if i.severity != "info").items()))
    report.outcome = review if review == survey_review.PENDING else (
        "landed_with_warnings" if report.counts else "landed")
    return result, report


def same_bytes_other_year(landing_dir: Path, batch_id: str, year: int) -> tuple[int, str] | None:
    """(year, file) when these exact bytes already landed for another survey year."""
    manifest = read_manifest(landing_dir, SOURCE, batch_id) or {}
    landed_year = manifest.get("survey_year")
    if landed_year is not None and int(landed_year) != year:
        return int(landed_year), str(manifest.get("file", ""))
    return None


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
            "wrong_questionnaire", f"{file}: exporten ser ut som {other.year} års enkät, inte {book.year} års ({detail}). "
            f"Kontrollera filnamnet (skr_enkat_<år>).",
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
            "too_many_failed_answers", f"{file}: {checked.n_failed_answers} av {checked.n_answers} svar ({checked.failed_share:.1%}) "
            f"går inte att läsa med kodboken, mer än gränsen {max_share:.0%} ({rules}); "
            "hela filen avvisas och inget landas.",
            f"{file}: {checked.n_failed_answers} of {checked.n_answers} answers ({checked.failed_share:.1%}) fail the "
            f"codebook, more than the limit of {max_share:.0%} ({rules}); the whole file is rejected, nothing landed.")
