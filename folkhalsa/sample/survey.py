"""Synthetic SKR survey exports for 2022 and 2023 (Exempeldata – inte officiell statistik).

The two years deliberately differ in form, as real exports do:
- 2022: Windows-1252, `;`, decimal comma, answers as Swedish labels, question text in the header;
- 2023: UTF-8 with BOM, `,`, decimal point, answers as numeric codes, bare question codes.

Both hold realistic non-response (not every kommun, a few regions missing), two
duplicates, one unknown respondent code, a few partial responses, one answer outside
the codebook and some invented free text. The counts in SAMPLE_PLAN are exact:
tests check the landed result against them.
"""
from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path

from folkhalsa import reference
from folkhalsa.settings import PROJECT_ROOT
from folkhalsa.sources.survey import Codebook, Question, codebook_path, load_codebook

CODEBOOK_DIR = PROJECT_ROOT / "data" / "codebooks"
SEEDS_DIR = PROJECT_ROOT / "dbt" / "seeds"
UNKNOWN_CODE = "0199"   # not a kommunkod

# Exact outcome per year, after duplicates and the unknown code are set aside.
SAMPLE_PLAN = {
    2022: {"kommun": 251, "region": 18, "partial": 4, "duplicates": 2, "unknown": 1,
           "encoding": "cp1252", "separator": ";", "answers": "labels"},
    2023: {"kommun": 262, "region": 19, "partial": 4, "duplicates": 2, "unknown": 1,
           "encoding": "utf-8-sig", "separator": ",", "answers": "codes"},
}

FREE_TEXTS = [
    "Vi önskar mer stöd i att följa upp målområde 6 – levnadsvanor.",
    "Bra nätverksträffar; fortsätt gärna med dem, även digitalt.",
    'Svårt att få tid för samordning, "folkhälsa" konkurrerar med annat.',
    "Behöver stöd i jämlikhetsanalyser och i att använda indikatorerna.",
    "Önskar exempel från andra kommuner på välfärdsbokslut.\nGärna en mall.",
    "Ingen kommentar.",
    "Mer stöd kring barns och ungas uppväxtvillkor, tack.",
    "Samverkan med regionen fungerar väl men behöver formaliseras.",
]


def write_sample_survey(out_dir: Path, *, seed: int = 42, scale: int = 1) -> list[Path]:
    """Write skr_enkat_2022.csv and skr_enkat_2023.csv into out_dir; return their paths.

    scale > 1 adds (scale - 1) earlier resubmissions per respondent: more raw rows,
    the same landed result once duplicates are resolved.
    """
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    orgs = _organisations()
    paths = []
    for year, plan in SAMPLE_PLAN.items():
        book = load_codebook(codebook_path(CODEBOOK_DIR, year))
        rows = _rows(rng, book, orgs, year, plan, max(1, scale))
        paths.append(_write(out_dir / f"skr_enkat_{year}.csv", book, rows, plan))
    return paths


def _organisations() -> dict[str, list[tuple[str, str]]]:
    """(code, name) per respondent type, in code order."""
    kommuner = [(code, name) for code, (name, _county) in reference.municipalities(SEEDS_DIR).items()]
    regions = [("00" + c, "Region " + n.removesuffix(" län").removesuffix("s"))
               for c, n in reference.counties(SEEDS_DIR).items()]
    return {"kommun": kommuner, "region": regions}


def _rows(rng: random.Random, book: Codebook, orgs: dict, year: int, plan: dict, scale: int) -> list[dict]:
    respondents = [(code, name, kind) for kind in ("kommun", "region")
                   for code, name in sorted(rng.sample(orgs[kind], plan[kind]))]
    rows = []
    for code, name, kind in respondents:
        sent = datetime(year, 9, 15) + timedelta(days=rng.randrange(45), hours=rng.randint(8, 16),
                                                 minutes=rng.randrange(60))
        rows.append({"code": code, "name": name, "sent": sent, "answers": _answers(rng, book, kind)})
    kommun_rows = [r for r in rows if r["code"][:2] != "00"]
    partial = rng.sample(kommun_rows, plan["partial"])
    for r in partial:
        asked = [c for c, v in r["answers"].items() if v is not None and book.question(c).type != "text"]
        for c in rng.sample(asked, rng.randint(1, len(asked) // 2)):
            r["answers"][c] = None
    # An answer outside the codebook, inside a multiple choice so the question stays answered.
    odd = rng.choice([r for r in kommun_rows if r not in partial])["answers"]
    odd["SAM1"] = odd["SAM1"][:1] + ["Grannkommunen" if plan["answers"] == "labels" else 7]
    # scale > 1: earlier resubmissions after each row; they lose to the later answer.
    rows = [x for r in rows for x in [r] + [
        {**r, "sent": r["sent"] - timedelta(days=k), "answers": _answers(rng, book, _kind(r))}
        for k in range(1, scale)]]
    # Two resubmissions that lose to a later answer; one of them is placed after the kept row.
    for i, r in enumerate(rng.sample(kommun_rows, plan["duplicates"])):
        dup = {**r, "sent": r["sent"] - timedelta(days=2), "answers": _answers(rng, book, "kommun")}
        rows.insert(rows.index(r) + (1 if i == 0 else 0), dup)
    rows.insert(rng.randrange(len(rows)), {"code": UNKNOWN_CODE, "name": "Okänd organisation",
                                           "sent": datetime(year, 10, 1, 9), "answers": _answers(rng, book, "kommun")})
    return rows


def _kind(row: dict) -> str:
    return "region" if row["code"].startswith("00") else "kommun"


def _answers(rng: random.Random, book: Codebook, kind: str) -> dict:
    """One respondent's answers; a latent maturity makes the answers hang together."""
    maturity = rng.random()
    out: dict = {}
    for q in book.questions:
        out[q.code] = _answer(rng, q, kind, maturity) if q.applies_to in ("both", kind) else None
    return out


def _answer(rng: random.Random, q: Question, kind: str, m: float):
    if q.type == "single":
        weights = [0.3 if a.label == "Vet ej" else (1 + 3 * m if i == 0 else 1) for i, a in enumerate(q.answers)]
        return rng.choices(q.answers, weights)[0].code
    if q.type == "multi":
        picked = [a.code for a in q.answers if rng.random() < (0.15 + 0.5 * m)]
        return picked or [rng.choice(q.answers).code]
    if q.type == "decimal":
        return round(rng.uniform(0.2, 2.5) * (3 if kind == "region" else 1), 1)
    if q.type == "integer":
        return rng.randrange(0, 4000 if kind == "kommun" else 20000, 50)
    return rng.choice(FREE_TEXTS) if rng.random() < 0.08 else None


def _write(path: Path, book: Codebook, rows: list[dict], plan: dict) -> Path:
    labels = plan["answers"] == "labels"
    header = ["Respondentkod", "Organisation", "Inskickad"] + [
        f"{q.code}. {q.text_sv}" if labels else q.code for q in book.questions]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=plan["separator"], lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        sent = r["sent"].strftime("%Y-%m-%d %H:%M") if labels else r["sent"].isoformat()
        w.writerow([r["code"], r["name"], sent] + [
            _format(book.question(c), v, labels) for c, v in r["answers"].items()])
    path.write_bytes(buf.getvalue().encode(plan["encoding"]))
    return path


def _format(q: Question, value, labels: bool) -> str:
    if value is None:
        return ""
    label = {a.code: a.label for a in q.answers}
    if q.type == "single":
        return label[value] if labels else str(value)
    if q.type == "multi":
        return "|".join(label.get(v, str(v)) if labels else str(v) for v in value)
    if q.type == "decimal":
        return f"{value:.1f}".replace(".", ",") if labels else f"{value:.1f}"
    return str(value)
