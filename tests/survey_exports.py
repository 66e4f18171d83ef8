"""Survey exports as real tools and people produce them, built from the real codebooks.

    rows = respondents(2023, 40)                      # clean answers: every applicable question
    data = export_bytes(2023, rows, encoding="mac-roman", sep=";", labels=True)
"""
from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

import polars as pl

from folkhalsa.settings import PROJECT_ROOT
from folkhalsa.reference import region_names
from folkhalsa.sources.survey import Codebook, codebook_path, load_codebook

CODEBOOKS = PROJECT_ROOT / "data" / "codebooks"
SEEDS = PROJECT_ROOT / "dbt" / "seeds"
# Free text with the letters an encoding must get right; invented, never a real person.
FREE_TEXT = ["Önskar stöd i jämlikhetsanalyser – gärna med exempel.", "Bra nätverksträffar; fortsätt så.",
             "Svårt att få tid för samordning."]


def book(year: int) -> Codebook:
    return load_codebook(codebook_path(CODEBOOKS, year))


def kommuner() -> list[tuple[str, str]]:
    df = pl.read_csv(SEEDS / "ref_municipalities.csv", schema_overrides={"code": pl.Utf8})
    return list(zip(df["code"], df["name"]))


def regions() -> list[tuple[str, str]]:
    first: dict[str, str] = {}
    for name, code in region_names().items():
        first.setdefault(code, name)
    return sorted(first.items())


def respondents(year: int, n_kommun: int, n_region: int = 0, *, seed: int = 1,
                submitted_year: int | None = None) -> list[dict]:
    """Clean rows: distinct respondents, every applicable question answered, submitted in the
    autumn of the survey year (or of submitted_year)."""
    rng = random.Random(seed)
    b = book(year)
    who = [(c, n, "kommun") for c, n in rng.sample(kommuner(), n_kommun)]
    who += [(c, n, "region") for c, n in rng.sample(regions(), n_region)]
    rows = []
    for code, name, kind in sorted(who):
        answers = {}
        for q in b.questions:
            if q.applies_to not in ("both", kind):
                answers[q.code] = None
            elif q.type == "single":
                answers[q.code] = rng.choice(q.answers).code
            elif q.type == "multi":
                answers[q.code] = sorted(rng.sample([a.code for a in q.answers], rng.randint(1, 3)))
            elif q.type == "decimal":
                answers[q.code] = round(rng.uniform(0.2, 3.0), 1)
            elif q.type == "integer":
                answers[q.code] = rng.randrange(0, 4000, 50)
            else:
                answers[q.code] = rng.choice(FREE_TEXT) if rng.random() < 0.3 else None
        sent = datetime(submitted_year or year, 9, 15) + timedelta(days=rng.randrange(45), hours=rng.randint(8, 16))
        rows.append({"code": code, "name": name, "sent": sent, "answers": answers})
    return rows


def cell(q, value, labels: bool, decimal_comma: bool) -> str:
    if value is None:
        return ""
    label = {a.code: a.label for a in q.answers}
    if q.type == "single":
        return label[value] if labels else str(value)
    if q.type == "multi":
        return "|".join(label[v] if labels else str(v) for v in value)
    if q.type == "decimal":
        return f"{value:.1f}".replace(".", ",") if decimal_comma else f"{value:.1f}"
    return str(value)


def table(year: int, rows: list[dict], *, labels: bool = True, texts: bool = True, decimal_comma: bool = False,
          names: bool = False) -> list[list[str]]:
    """Header and rows as cells. names: the respondent column holds the official name, not the code."""
    b = book(year)
    header = ["Respondentkod", "Inskickad"] + [f"{q.code}. {q.text_sv}" if texts else q.code for q in b.questions]
    out = [header]
    for r in rows:
        who = r["name"] if names else r["code"]
        out.append([who, r["sent"].strftime("%Y-%m-%d %H:%M")] +
                   [cell(q, r["answers"][q.code], labels, decimal_comma) for q in b.questions])
    return out


def export_text(cells: list[list[str]], *, sep: str = ";", eol: str = "\r\n", title: list[str] = (),
                sep_line: bool = False, footer: list[str] = (), trailing_empty_columns: int = 0) -> str:
    buf = io.StringIO()
    if sep_line:
        buf.write(f"sep={sep}{eol}")
    for t in title:
        buf.write(t + eol)
    w = csv.writer(buf, delimiter=sep, lineterminator=eol)
    for r in cells:
        w.writerow(r + [""] * trailing_empty_columns)
    for f in footer:
        buf.write(f + eol)
    return buf.getvalue()


def export_bytes(year: int, rows: list[dict], *, encoding: str = "utf-8", labels: bool = True, texts: bool = True,
                 decimal_comma: bool = False, names: bool = False, **layout) -> bytes:
    cells = table(year, rows, labels=labels, texts=texts, decimal_comma=decimal_comma, names=names)
    return export_text(cells, **layout).encode(encoding)
