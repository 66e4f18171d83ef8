"""Personal data: which landed columns hold it, scrubbing e-mail addresses from free text, and the
screen a free-text answer must pass before any publishable model may select it.

Contact names, e-mail addresses and free-text survey answers stay out of reports and logs.
"""
from __future__ import annotations

import re

from folkhalsa.schemas.lansrapport import TEMPLATE_VERSIONS

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_REDACTED = "[e-postadress borttagen]"

_RETURN_COLUMNS = [c for v in TEMPLATE_VERSIONS.values() for s in v.sheets for c in s.columns]
# Columns marked pii or free_text in the return schema (every template version), and the survey's
# free-text answers.
PERSONAL_COLUMNS = frozenset({c.field for c in _RETURN_COLUMNS if c.pii or c.free_text} | {"value_text"})

# A free-text answer is publishable only when none of these match. Deliberately blunt: a hidden
# harmless text costs an example in the report; a shown name costs a person's privacy.
PUBLISHABLE_MAX_CHARS = 300
_PERSONAL_PATTERNS = (
    EMAIL,
    re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)"),         # personnummer / samordningsnummer
    re.compile(r"(?<!\w)(?:\+46|0)\d{1,3}[- ]?\d{2,3}(?:[- ]?\d{2}){2,3}(?!\d)"),  # telefonnummer
    re.compile(r"https?://|www\.", re.IGNORECASE),                  # links may lead to a person
    re.compile(r"\b[A-ZÅÄÖÉ][a-zåäöé]+(?:[- ][A-ZÅÄÖÉ][a-zåäöé]+)+\b"),  # two capitalised words: a name?
    re.compile(r"(?i)\b(?:kontaktperson|kontakta|ring|mejla|tel\.?|telefon|namn)\b"),
)
# Synthetic sample texts carry this marker; a report on sample data shows only marked texts.
SYNTHETIC_MARKER = "[Exempeltext]"


def redact_emails(text) -> str:
    """Messages may quote input; an e-mail address never goes further."""
    return EMAIL.sub(EMAIL_REDACTED, str(text))


def is_publishable_text(text: str | None) -> bool:
    """True when a short free-text answer shows no sign of personal data (names, e-mail, phone,
    personnummer, links, contact words). Empty text is not publishable: there is nothing to show."""
    if not text or len(text) > PUBLISHABLE_MAX_CHARS:
        return False
    body = text.replace(SYNTHETIC_MARKER, " ")
    return not any(p.search(body) for p in _PERSONAL_PATTERNS)


def is_marked_synthetic(text: str | None) -> bool:
    return bool(text) and text.startswith(SYNTHETIC_MARKER)
