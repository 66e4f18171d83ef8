"""Which year's questionnaire an export is: its header texts, question codes and answers are
compared with every codebook in data/codebooks/.

The fit of one codebook is the mean of the parts the export allows:
- codes: |export codes ∩ codebook codes| / |export codes ∪ codebook codes| (question columns only);
- texts: share of the question columns headed by a text whose text equals that codebook's
  question text (after case and space normalisation); only when the header carries texts;
- answers: share of the non-empty answer cells that the codebook reads (a label or code it has,
  a number in range), in the first SAMPLE_ROWS rows.
Another year fits *clearly* better when its fit exceeds the claimed year's by CLEAR_MARGIN.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

from folkhalsa.sources.survey_layout import split_header

CLEAR_MARGIN = 0.02
SAMPLE_ROWS = 300   # rows whose answers are compared; enough to tell the years apart


@dataclass
class Fit:
    year: int
    codes_shared: int
    codes_union: int
    texts_matched: int
    texts_total: int
    answers_ok: int
    answers_total: int

    @property
    def parts(self) -> list[float]:
        out = [self.codes_shared / self.codes_union if self.codes_union else 0.0]
        if self.texts_total:
            out.append(self.texts_matched / self.texts_total)
        if self.answers_total:
            out.append(self.answers_ok / self.answers_total)
        return out

    @property
    def score(self) -> float:
        return round(sum(self.parts) / len(self.parts), 4)

    def describe(self) -> str:
        s = f"{self.year}: frågekoder/codes {self.codes_shared}/{self.codes_union}"
        if self.texts_total:
            s += f", frågetexter/texts {self.texts_matched}/{self.texts_total}"
        if self.answers_total:
            s += f", svar/answers {self.answers_ok}/{self.answers_total}"
        return s + f" (= {self.score:.3f})"


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).casefold().split())


def question_columns(columns: Iterable[str], other_columns: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """column -> (code, text) for the columns that may be questions (not respondent/time/ignored)."""
    return {c: split_header(c) for c in columns if c != "_row" and c.strip().lower() not in other_columns}


def fit_codebook(qcols: dict[str, tuple[str, str]], rows: list[dict], book,
                 answer_ok: Callable[[object, str, dict], bool]) -> Fit:
    """How well one codebook reads these question columns and rows.

    answer_ok(question, cell value, row) -> bool says whether the codebook reads the answer."""
    export_codes = {code for code, _ in qcols.values()}
    book_codes = {q.code for q in book.questions}
    texts = [(code, text) for code, text in qcols.values() if text]
    matched = sum(1 for code, text in texts
                  if (q := book.question(code)) is not None and _norm(q.text_sv) == _norm(text))
    ok = total = 0
    by_col = {col: book.question(code) for col, (code, _) in qcols.items()}
    for row in rows[:SAMPLE_ROWS]:
        for col, q in by_col.items():
            v = (row.get(col) or "").strip()
            if not v:
                continue
            total += 1
            ok += q is not None and answer_ok(q, v, row)
    return Fit(book.year, len(export_codes & book_codes), len(export_codes | book_codes), matched, len(texts),
               ok, total)


def clearly_other_year(fits: list[Fit], claimed: int) -> Fit | None:
    """The other year's fit when it is clearly better than the claimed year's, else None."""
    mine = next((f for f in fits if f.year == claimed), None)
    others = sorted((f for f in fits if f.year != claimed), key=lambda f: -f.score)
    if mine is None or not others:
        return None
    return others[0] if others[0].score - mine.score >= CLEAR_MARGIN else None
