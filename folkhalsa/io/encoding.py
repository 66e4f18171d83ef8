"""Choosing the text encoding of a survey export by evidence, not by the first decoding that succeeds.

Order tried (ENCODING_ORDER):
1. a byte-order mark decides: UTF-8 with BOM, UTF-16 LE/BE with BOM;
2. no BOM but NUL bytes in every other position: UTF-16 LE or BE without BOM;
3. otherwise every decoding that succeeds of UTF-8, Windows-1252, Mac Roman and ISO-8859-1.
   ISO-8859-1 is tried only when Windows-1252 cannot decode the bytes: the two are identical
   except for 0x80–0x9F, where Windows-1252 has printable characters (– ’ € …) and ISO-8859-1
   only control characters.

Each candidate text is scored (0–1) by the codebook's own words (question texts, answer labels,
official kommun and region names) found in it, and by how Swedish its non-ASCII letters are
(å ä ö é; not Œ Š √ or control characters). The best candidate is used only when it is clearly
best: at least CLEAR_MARGIN above the runner-up and at least MIN_SCORE. Otherwise the file is
rejected, naming every encoding tried with its score and a garbled sample (known codebook words as
the losing decodings show them, never free text).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from folkhalsa.io.text import MOJIBAKE, InputFormatError

ENCODING_ORDER = ("utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-8", "windows-1252", "mac-roman",
                  "iso-8859-1")
EIGHT_BIT = ("utf-8", "windows-1252", "mac-roman", "iso-8859-1")
CLEAR_MARGIN = 0.2
MIN_SCORE = 0.6

# Non-ASCII characters expected in Swedish survey text: letters (weight 1), typography (0.5).
SWEDISH_LETTERS = set("åäöÅÄÖéÉüÜ")
TYPOGRAPHY = set("–—’‘“”„…«»€§°½×\u00a0\u202f")
_WORD = re.compile(r"\w+", re.UNICODE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_WORD = re.compile(r"\w*[^\x00-\x7f]\w*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Candidate:
    encoding: str
    text: str
    letters: float = 0.0         # share of plausible non-ASCII characters (1.0 when there are none)
    words: int = 0               # distinct codebook words with non-ASCII letters found
    score: float = 0.0


@dataclass
class Decoded:
    text: str
    encoding: str
    candidates: list[Candidate] = field(default_factory=list)

    def describe(self) -> str:
        return ", ".join(f"{c.encoding} {c.score:.2f}" for c in self.candidates)


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The words with non-ASCII letters in the codebook texts and official names (case-folded)."""
    out = set()
    for t in texts:
        for w in _WORD.findall(unicodedata.normalize("NFC", t).casefold()):
            if len(w) >= 3 and not w.isascii():
                out.add(w)
    return frozenset(out)


def letter_score(text: str) -> float:
    """Share of the non-ASCII characters that belong in Swedish text; 1.0 for pure ASCII."""
    counts = Counter(_NON_ASCII.findall(text))
    counts.pop("\ufeff", None)
    n = sum(counts.values())
    if not n:
        return 1.0
    good = sum(k * (1.0 if c in SWEDISH_LETTERS else 0.5 if c in TYPOGRAPHY else 0.0) for c, k in counts.items())
    return good / n


def _words_found(text: str, vocab: frozenset[str]) -> int:
    return len(vocab & {w.casefold() for w in _NON_ASCII_WORD.findall(text)})


def _fail(file: str, sv: str, en: str, rule: str = "unreadable"):
    """Raise the file error; `rule` names the check (unreadable, encoding_uncertain)."""
    e = InputFormatError(f"{file}: {sv}", f"{file}: {en}")
    e.rule = rule
    raise e


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit in every other byte (ASCII text in UTF-16)."""
    if len(data) < 4:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode_strict(data: bytes, encoding: str, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        _fail(file, f"ogiltig {encoding} på rad {line}.", f"invalid {encoding} on line {line}.")


def _eight_bit_candidates(data: bytes, failed: list[str]) -> list[Candidate]:
    """Every decoding that succeeds; `failed` gets the encodings that cannot decode the bytes."""
    out: list[Candidate] = []
    for enc in EIGHT_BIT:
        if enc == "iso-8859-1" and any(c.encoding == "windows-1252" for c in out):
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            failed.append(enc)
            continue
        if enc == "utf-8" and MOJIBAKE.search(text):
            # Valid UTF-8 that an earlier tool read as Windows-1252 and saved again: undo it.
            try:
                text, enc = text.encode("cp1252").decode("utf-8"), "utf-8 (dubbelkodad, reparerad)"
            except UnicodeError:
                pass
        out.append(Candidate(enc, text))
    return out


def _garbled_sample(data: bytes, chosen: list[Candidate], vocab: frozenset[str]) -> str:
    """The same bytes as each candidate shows them, at up to three known codebook words (public
    words, never free text): the reader sees which decoding garbles them."""
    best = chosen[0]
    enc = best.encoding.split(" ")[0]
    spans = []
    for m in _WORD.finditer(best.text):
        if m.group().casefold() in vocab and not m.group().isascii():
            try:
                start = len(best.text[:m.start()].encode(enc))
                end = start + len(m.group().encode(enc))
                while end < len(data) and 0x80 <= data[end] <= 0xBF:   # finish a UTF-8 sequence
                    end += 1
                spans.append((start, end))
            except UnicodeError:
                continue
            if len(spans) == 3:
                break
    if not spans:
        bad = sorted({c for c in best.text if ord(c) > 127 and c not in SWEDISH_LETTERS | TYPOGRAPHY})[:8]
        return f"tecken / characters {' '.join(bad) or '–'} i / in {best.encoding}"
    parts = []
    for c in chosen[:3]:
        shown = [data[a:b].decode(c.encoding.split(" ")[0], "replace") for a, b in spans]
        parts.append(f"{c.encoding}: {' '.join(shown)}")
    return "; ".join(parts)


def decode_survey_bytes(data: bytes, file: str, vocab: frozenset[str]) -> Decoded:
    """Decode an export, choosing the encoding by score; raise InputFormatError when no decoding is
    clearly best (the message names every encoding tried and shows a garbled sample)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _single(_decode_strict(data[3:], "utf-8", file), "utf-8-sig", file)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _single(_decode_strict(data, "utf-16", file), "utf-16", file)
    if b"\x00" in data:
        enc = _utf16_without_bom(data)
        if enc is None:
            _fail(file, "filen är ingen textfil (innehåller nolltecken).", "not a text file (contains NUL bytes).")
        return _single(_decode_strict(data, enc, file), enc, file)
    if data.isascii():
        return _single(data.decode("ascii"), "utf-8", file)
    failed: list[str] = []
    cands = _eight_bit_candidates(data, failed)
    if not cands:
        _fail(file, f"ingen teckenkodning kunde avkoda filen (provade {', '.join(EIGHT_BIT)}).",
              f"no encoding could decode the file (tried {', '.join(EIGHT_BIT)}).")
    for c in cands:
        c.text = unicodedata.normalize("NFC", c.text)
        c.letters = letter_score(c.text)
        c.words = _words_found(c.text, vocab)
    most_words = max(c.words for c in cands)
    for c in cands:
        # Control characters never belong in an export; a decoding that makes them is penalised.
        controls = len(_CONTROL.findall(c.text))
        word_part = c.words / most_words if most_words else c.letters
        c.score = round(max(0.0, 0.5 * c.letters + 0.5 * word_part - min(0.5, controls / 20)), 3)
    cands.sort(key=lambda c: (-c.score, EIGHT_BIT.index(c.encoding.split(" ")[0])))
    best, runner = cands[0], cands[1] if len(cands) > 1 else None
    decided = best.score >= MIN_SCORE and (runner is None or best.score - runner.score >= CLEAR_MARGIN)
    if not decided:
        tried = ", ".join([f"{c.encoding} ({c.score:.2f})" for c in cands] +
                          [f"{enc} (avkodar inte / does not decode)" for enc in failed])
        sample = _garbled_sample(data, cands, vocab)
        _fail(file, f"teckenkodningen går inte att avgöra säkert; provade {tried}. Exempel: {sample}. "
                    "Spara om filen som UTF-8.",
              f"the encoding cannot be determined with confidence; tried {tried}. Sample: {sample}. "
              "Save the file again as UTF-8.", rule="encoding_uncertain")
    if "\x00" in best.text:
        _fail(file, "filen är ingen textfil (innehåller nolltecken).", "not a text file (contains NUL characters).")
    return Decoded(best.text, best.encoding, cands)


def _single(text: str, encoding: str, file: str) -> Decoded:
    text = unicodedata.normalize("NFC", text)
    if "\x00" in text:
        _fail(file, "filen är ingen textfil (innehåller nolltecken).", "not a text file (contains NUL characters).")
    if MOJIBAKE.search(text):
        try:
            text, encoding = text.encode("cp1252").decode("utf-8"), encoding + " (dubbelkodad, reparerad)"
        except UnicodeError:
            _fail(file, "texten innehåller felkodade tecken (t.ex. 'Ã¥' för 'å').",
                  "the text contains mis-encoded characters (e.g. 'Ã¥' for 'å').")
    c = Candidate(encoding, text, letter_score(text), 0, 1.0)
    return Decoded(text, encoding, [c])
