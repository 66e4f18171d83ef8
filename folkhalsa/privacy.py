"""Personal data: which landed columns hold it, and scrubbing e-mail addresses from free text.

Contact names, e-mail addresses and free-text survey answers stay out of reports and logs.
"""
from __future__ import annotations

import re

from folkhalsa.schemas.lansrapport import SHEETS

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_REDACTED = "[e-postadress borttagen]"

# Columns marked pii in the return schema, and the survey's free-text answers.
PERSONAL_COLUMNS = frozenset({c.field for s in SHEETS for c in s.columns if c.pii} | {"value_text"})


def redact_emails(text) -> str:
    """Messages may quote input; an e-mail address never goes further."""
    return EMAIL.sub(EMAIL_REDACTED, str(text))
