"""Decoding text exports as survey tools and spreadsheets write them: UTF-8 with or without BOM,
UTF-16 or Windows-1252, separated by `;`, `,` or tab. Never returns mojibake such as 'Ã¥'."""
from __future__ import annotations

import csv
import io
import re
import unicodedata


class InputFormatError(Exception):
    """A file cannot be used at all; the message comes in Swedish and English."""

    def __init__(self, message_sv: str, message_en: str):
        super().__init__(f"{message_sv} / {message_en}")
        self.message_sv, self.message_en = message_sv, message_en


# Two or more characters that UTF-8 bytes become when read as Windows-1252 ("Ã¥" for "å").
_CP1252_CONT = "".join(sorted({bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0xC0)} - {""}))
MOJIBAKE = re.compile(f"[ÃÂ][{re.escape(_CP1252_CONT)}]|â€")

def decode_text(data: bytes, file: str = "") -> tuple[str, str]:
    """Decode export bytes and name the encoding; never returns mojibake."""
    def fail(sv: str, en: str):
        raise InputFormatError(f"{file}: {sv}", f"{file}: {en}")

    if data.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8-sig", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data
        if b"\x00" in data:
            fail("filen är ingen textfil (innehåller nolltecken).", "not a text file (contains NUL bytes).")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as e:
        if encoding != "utf-8":
            line = body[:e.start].count(b"\n") + 1
            fail(f"ogiltig {encoding} på rad {line}.", f"invalid {encoding} on line {line}.")
        try:
            text, encoding = body.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            fail("okänd teckenkodning; spara som UTF-8 eller Windows-1252.",
                 "unknown encoding; save as UTF-8 or Windows-1252.")
        if MOJIBAKE.search(text):
            # Mostly UTF-8 with a few broken bytes: guessing would corrupt å, ä and ö.
            line = body[:e.start].count(b"\n") + 1
            fail(f"blandad teckenkodning (ogiltig UTF-8 på rad {line}); spara om filen som UTF-8.",
                 f"mixed encoding (invalid UTF-8 on line {line}); save the file again as UTF-8.")
    text = unicodedata.normalize("NFC", text)
    if MOJIBAKE.search(text):
        # Valid UTF-8 that an earlier tool decoded as Windows-1252 and saved again: undo it.
        try:
            text = text.encode("cp1252").decode("utf-8")
            encoding += " (dubbelkodad, reparerad)"
        except UnicodeError:
            fail("texten innehåller felkodade tecken (t.ex. 'Ã¥' för 'å').",
                 "the text contains mis-encoded characters (e.g. 'Ã¥' for 'å').")
    if "\x00" in text:
        fail("filen är ingen textfil (innehåller nolltecken).", "not a text file (contains NUL characters).")
    return text, encoding


def sniff_separator(text: str, file: str = "") -> str:
    """Pick the separator whose first records have a constant width of at least 2 columns."""
    best, best_score = None, (0.0, 0)
    for sep in (";", ",", "\t"):
        recs: list[list[str]] = []
        try:
            for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
                if r:
                    recs.append(r)
                if len(recs) == 50:
                    break
        except csv.Error:
            pass   # judge by the records read so far
        if not recs or len(recs[0]) < 2:
            continue
        width = len(recs[0])
        score = (sum(len(r) == width for r in recs) / len(recs), width)
        if score > best_score:
            best, best_score = sep, score
    if best is None:
        raise InputFormatError(f"{file}: hittar ingen avgränsare (; , eller tabb) i rubrikraden.",
                          f"{file}: no separator (; , or tab) found in the header row.")
    return best
