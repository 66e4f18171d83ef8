"""Finding the table in a survey export: the rows that are neither header nor data are dropped.

Survey tools and Excel put things around the table: Excel's `sep=;` first line, title rows
("SKR Folkhälsoenkät 2023, export 2023-11-02"), footer lines ("Källa: SKR"), and empty trailing
rows and columns. The header is the first of the first HEADER_SEARCH_ROWS non-empty rows that
matches the codebook: it holds at least two question codes, or the respondent column and one
question code. Rows above it are reported and skipped.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from folkhalsa.io.text import InputFormatError

HEADER_SEARCH_ROWS = 30
SEPARATORS = (";", ",", "\t")
SEP_LINE = re.compile(r'^\ufeff?\s*"?sep=(.)"?\s*$', re.IGNORECASE)
FOOTER = re.compile(r"^(källa|kalla|source|anm\.?|anmärkning|fotnot|not|totalt|summa|antal|exporterad|"
                    r"export|utskriven|skapad|generated|©)\b", re.IGNORECASE)
_CODE_SPLIT = re.compile(r"[\s.:)\-–]")


def split_header(cell: str) -> tuple[str, str]:
    """'ORG1. Hur är ...?' -> ('ORG1', 'Hur är ...?'); a bare code gives an empty text."""
    cell = (cell or "").strip()
    code = _CODE_SPLIT.split(cell, maxsplit=1)[0].upper()
    return code, cell[len(code):].lstrip(" .:)-–").strip()


@dataclass
class Table:
    header: list[str]
    header_row: int                  # line (CSV) or row (sheet) of the header, 1-based
    rows: list[tuple[int, list[str]]]
    separator: str | None = None
    sep_line: bool = False           # an Excel `sep=` line was skipped
    skipped_above: list[int] = field(default_factory=list)   # title rows skipped
    footer: list[int] = field(default_factory=list)          # footer lines dropped
    dropped_columns: list[int] = field(default_factory=list)  # empty columns dropped (1-based)


def header_matches(rec: list[str], codes: frozenset[str], respondent_columns: tuple[str, ...]) -> int:
    """How well a row looks like the header: question codes found, plus one for the respondent column;
    0 unless it has two codes, or the respondent column and a code."""
    n_codes = sum(1 for c in rec if split_header(c)[0] in codes)
    has_resp = any((c or "").strip().lower() in respondent_columns for c in rec)
    if n_codes >= 2 or (has_resp and n_codes >= 1):
        return n_codes + has_resp
    return 0


def csv_records(text: str, sep: str, file: str, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """Non-blank records with the line number they start on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    out, start = [], 1
    try:
        for rec in reader:
            if any(v.strip() for v in rec):
                out.append((start, rec))
                if limit and len(out) >= limit:
                    break
            start = reader.line_num + 1
    except csv.Error as e:
        raise InputFormatError(f"{file}: CSV-fel på rad {reader.line_num} ({e}).",
                               f"{file}: CSV error on line {reader.line_num} ({e}).") from None
    return out


def strip_sep_line(text: str) -> tuple[str, str | None]:
    """Excel's first line `sep=;` names the separator; return the text without it, and the separator."""
    first, _, rest = text.partition("\n")
    m = SEP_LINE.match(first.rstrip("\r"))
    if m and m.group(1) in SEPARATORS:
        # Keep the line count: the header stays on line 2, as the user sees it.
        return "\n" + rest, m.group(1)
    return text, None


def choose_separator(text: str, file: str, codes: frozenset[str], respondent_columns: tuple[str, ...]) -> str:
    """The separator under which a header row matches the codebook best; ties go to the separator
    whose rows keep the header's width, then to the order ; , tab."""
    best, best_key = None, None
    for sep in SEPARATORS:
        try:
            recs = csv_records(text, sep, file, limit=HEADER_SEARCH_ROWS + 20)
        except InputFormatError:
            continue
        found = _header_index(recs, codes, respondent_columns)
        if found is None:
            continue
        score = header_matches(recs[found][1], codes, respondent_columns)
        width = len(recs[found][1])
        body = recs[found + 1:]
        steady = sum(len(r) == width for _, r in body) / len(body) if body else 1.0
        key = (score, steady, -SEPARATORS.index(sep))
        if best_key is None or key > best_key:
            best, best_key = sep, key
    return best


def _header_index(recs: list[tuple[int, list[str]]], codes, respondent_columns) -> int | None:
    for i, (_, rec) in enumerate(recs[:HEADER_SEARCH_ROWS]):
        if header_matches(rec, codes, respondent_columns):
            return i
    return None


def locate_table(recs: list[tuple[int, list[str]]], file: str, codes: frozenset[str],
                 respondent_columns: tuple[str, ...]) -> Table:
    """Header, data rows and what was dropped; raises InputFormatError naming the rows searched."""
    if not recs:
        raise _rule(InputFormatError(f"Filen {file} är tom.", f"File {file} is empty."), "no_header")
    i = _header_index(recs, codes, respondent_columns)
    if i is None:
        searched = recs[:HEADER_SEARCH_ROWS]
        first, last = searched[0][0], searched[-1][0]
        raise _rule(InputFormatError(
            f"{file}: hittar ingen rubrikrad med kolumnen Respondentkod och kodbokens frågekoder "
            f"(sökte på rad {first}–{last}).",
            f"{file}: no header row with the respondent code column (Respondentkod) and the codebook's "
            f"question codes (searched rows {first}–{last})."), "no_header")
    header_row, header = recs[i]
    body = list(recs[i + 1:])
    footer: list[int] = []
    while body and _is_footer(body[-1][1]):
        footer.insert(0, body.pop()[0])
    dropped = [j for j in range(len(header)) if not (header[j] or "").strip()
               and all(j >= len(r) or not (r[j] or "").strip() for _, r in body)]
    if dropped:
        keep = [j for j in range(len(header)) if j not in set(dropped)]
        header = [header[j] for j in keep]
        body = [(line, [r[j] if j < len(r) else "" for j in keep] + r[len(recs[i][1]):]) for line, r in body]
    return Table(header=header, header_row=header_row, rows=body,
                 skipped_above=[line for line, _ in recs[:i]], footer=footer,
                 dropped_columns=[j + 1 for j in dropped])


def _rule(e: InputFormatError, rule: str) -> InputFormatError:
    e.rule = rule   # the check that rejected the file, for the issue catalogue
    return e


def _is_footer(rec: list[str]) -> bool:
    cells = [c.strip() for c in rec if c and c.strip()]
    return len(cells) == 1 and (bool(FOOTER.match(cells[0])) or ":" in cells[0]) and \
        any(ch.isalpha() for ch in cells[0])
