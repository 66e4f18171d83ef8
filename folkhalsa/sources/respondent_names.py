"""Respondents written by name instead of code: official kommun and region names, matched exactly
after normalisation (case, Unicode form, spaces, hyphens and the suffix " kommun"/"s kommun").
A name that matches nothing gets the closest official name as a hint (difflib)."""
from __future__ import annotations

import difflib
import re
import unicodedata

_DASHES = re.compile(r"[\u2010-\u2015\-]+")


def normalise_name(s: str) -> str:
    s = unicodedata.normalize("NFC", s or "").casefold()
    s = _DASHES.sub("-", s)
    s = re.sub(r"\s*-\s*", "-", s)
    return " ".join(s.split())


def name_index(municipalities: dict[str, str], region_names: dict[str, str]) -> dict[str, str]:
    """Normalised name -> respondent code. municipalities: kommunkod -> name; region_names: name -> code."""
    index: dict[str, str] = {}
    for code, name in municipalities.items():
        base = normalise_name(name)
        for form in (base, f"{base} kommun", f"{base}s kommun", f"{base} stad"):
            index.setdefault(form, code)
    for name, code in region_names.items():
        index[normalise_name(name)] = code      # "Region Gotland" is the region (docs/survey_exports.md)
    return index


def code_for_name(raw: str, index: dict[str, str]) -> str | None:
    return index.get(normalise_name(raw))


def closest_name(raw: str, official: list[str]) -> str | None:
    """The official name closest to `raw`, for a hint; None when nothing is close."""
    by_norm = {normalise_name(n): n for n in official}
    hit = difflib.get_close_matches(normalise_name(raw), list(by_norm), n=1, cutoff=0.6)
    return by_norm[hit[0]] if hit else None
