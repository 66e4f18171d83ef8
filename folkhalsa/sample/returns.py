"""Synthetic county returns, written in the template layout. Exempeldata – inte officiell statistik.

Deterministic: the same seed and scale give byte-identical files.
"""
from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from folkhalsa import reference
from folkhalsa.io.xlsx_files import normalise_xlsx
from folkhalsa.privacy import SYNTHETIC_MARKER
from folkhalsa.schemas.lansrapport import (
    ACTIVITY_TYPES, ACTOR_LEVELS, GENDER_PERSPECTIVES, NEED_RAISED_BY, NEED_THEMES, TEMPLATE_VERSIONS,
)
from folkhalsa.template import write_return

# Weights for how often counties work in each målområde; 3 and 4 are rarer, so gaps appear.
TARGET_AREA_WEIGHTS = {1: 5, 2: 3, 3: 1, 4: 1, 5: 2, 6: 6, 7: 3, 8: 4}
# Fictitious contacts: never real people.
FIRST = ("Alva", "Erik", "Maja", "Omar", "Sara", "Johan", "Leila", "Nils")
LAST = ("Exempelsson", "Testberg", "Provlund", "Fiktivsdotter")
# 2023's amount was not fixed in the decision; the sample assumes the 2022 amounts.
RESUBMITTING = ("09", 2022)
CSV_RETURN = ("25", 2023)
# The template each sample year is on: 2022 on the old template, 2023 on the one with gender equality.
TEMPLATE_OF_YEAR = {2022: "2023.1", 2023: "2024.1"}
# Synthetic "Hur" answers, marked. The last ones name a (fictitious) person or contact details, so the
# privacy screen has something to hold back.
HOW_TEXTS = {
    "Ja, analys per kön gjord": (
        "Deltagarstatistiken redovisas och analyseras per kön.",
        "Enkätsvaren från kommunerna har brutits ned och jämförts per kön.",
        "Kartläggningen av levnadsvanor redovisas för flickor och pojkar var för sig.",
    ),
    "Ja, på annat sätt": (
        "Jämställdhet är en stående punkt i nätverkets arbetsplan.",
        "Utbildningen tar upp normer och bemötande utifrån kön.",
        "Kontakta Alva Exempelsson för underlaget.",
        "Frågor om uppföljningen: folkhalsa.exempel@exempel.invalid.",
    ),
}
WARNING_RETURNS = {("13", 2022): "repaid_mismatch", ("20", 2023): "late", ("23", 2022): "empty_needs"}


def _pick_areas(rng: random.Random, k: int) -> list[int]:
    areas, weights = zip(*TARGET_AREA_WEIGHTS.items())
    return sorted(set(rng.choices(areas, weights=weights, k=k)))


def _actors(rng, county, munis, n):
    rows = []
    for i in range(1, n + 1):
        kind = rng.choice(("Kommun", "Kommun", "Region", "Idéburen organisation", "Statlig myndighet",
                           "Lärosäte", "Näringsliv", "Annan"))
        muni = rng.choice(munis) if kind == "Kommun" else None
        name = (f"{reference.municipalities()[muni][0]} kommun" if muni
                else f"{kind} {i} i {reference.counties()[county]}")
        level = "Lokal" if kind == "Kommun" else ("Regional" if kind in ("Region", "Lärosäte") else rng.choice(ACTOR_LEVELS))
        rows.append({"actor_id": f"A{i}", "actor_name": name, "actor_type": kind, "actor_level": level,
                     "municipality_code": muni, "target_areas": ", ".join(map(str, _pick_areas(rng, rng.randint(1, 4))))})
    return rows


def _gender_perspective(grng: random.Random, row: dict) -> None:
    """2024.1's two new columns for one activity; a county-specific leaning, so the counties differ."""
    answer = grng.choices(GENDER_PERSPECTIVES, weights=grng.sample((1, 2, 3, 4), 4))[0]
    row["gender_perspective"] = answer
    if answer.startswith("Ja"):
        row["gender_perspective_how"] = f"{SYNTHETIC_MARKER} {grng.choice(HOW_TEXTS[answer])}"


def _activities(rng, munis, year, n):
    rows = []
    for i in range(1, n + 1):
        area = _pick_areas(rng, 1)[0]
        kind = rng.choice(ACTIVITY_TYPES)
        involved = rng.sample(munis, k=min(len(munis), rng.randint(1, 4)))
        start = date(year, 1, 1) + timedelta(days=rng.randint(0, 330))
        rows.append({"activity_id": f"I{i}", "target_area": area, "activity_type": kind,
                     "description": f"{kind} inom målområde {area}",
                     "municipality_codes": ", ".join(sorted(involved)), "start_date": start,
                     "cost_sek": rng.choice((None, 15000, 25000, 40000, 75000))})
    return rows


def _needs(rng, munis, n):
    rows = []
    for i in range(1, n + 1):
        by = rng.choice(NEED_RAISED_BY)
        rows.append({"need_id": f"B{i}", "target_area": _pick_areas(rng, 1)[0], "theme": rng.choice(NEED_THEMES),
                     "raised_by": by, "municipality_code": rng.choice(munis) if by == "Kommun" else None,
                     "description": "Behov av stöd i det förebyggande arbetet"})
    return rows


def _finance(rng, county, year, variant):
    granted = reference.grants().get((county, year)) or reference.grants()[(county, 2022)]
    used = round(granted * rng.uniform(0.82, 1.0), -2)
    repaid = granted - used
    if variant == "repaid_mismatch":
        repaid += 5000  # a warning, not an error
    return [{"granted_sek": granted, "used_sek": used, "repaid_sek": repaid,
             "comment": "Beloppet för 2023 antaget lika med 2022 (exempeldata)" if year == 2023 else None}]


def build_return(rng: random.Random, county: str, year: int, scale: int, version: int = 1) -> dict:
    munis = reference.municipalities_in(county)
    template = TEMPLATE_OF_YEAR.get(year, "2024.1")
    variant = WARNING_RETURNS.get((county, year))
    submitted = date(year + 1, 2, 1) + timedelta(days=rng.randint(0, 26))
    if variant == "late":
        submitted = date(year + 1, 3, 12)
    if version > 1:
        submitted = date(year + 1, 3, 20)  # the corrected resubmission arrives after the deadline
    filled = {
        "submission": {"county_code": county, "year": year,
                       "contact_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                       "contact_email": f"folkhalsa.{county}@exempel.invalid",
                       "submitted_on": submitted, "template_version": template},
        "actors": _actors(rng, county, munis, rng.randint(8, 16) * scale),
        "activities": _activities(rng, munis, year, rng.randint(6, 14) * scale),
        "needs": [] if variant == "empty_needs" else _needs(rng, munis, rng.randint(5, 10) * scale),
        "finance": _finance(rng, county, year, variant),
    }
    if version == 1 and (county, year) == RESUBMITTING:
        filled["activities"] = filled["activities"][:3]  # the first version was incomplete
    if template == "2024.1":
        # A generator of its own, so the older columns' values stay as they were before 2024.1.
        grng = random.Random(f"gender-{county}-{year}")
        for row in filled["activities"]:
            _gender_perspective(grng, row)
        used = filled["finance"][0]["used_sek"]
        filled["finance"][0]["gender_equality_used_sek"] = round(used * grng.uniform(0.1, 0.6), -3)
    return filled


def _write_csv_return(folder: Path, filled: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet in TEMPLATE_VERSIONS[filled["submission"]["template_version"]].sheets:
        with (folder / f"{sheet.name}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter=";")
            if sheet.layout == "form":
                for c in sheet.columns:
                    w.writerow([c.header, _csv_value(filled[sheet.table].get(c.field))])
            else:
                w.writerow([c.header for c in sheet.columns])
                for row in filled[sheet.table]:
                    w.writerow([_csv_value(row.get(c.field)) for c in sheet.columns])
    return folder


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}".replace(",", " ") if v == int(v) else f"{v}".replace(".", ",")
    return v.isoformat() if isinstance(v, date) else str(v)


def write_sample_returns(out_dir: Path, *, years=(2022, 2023), seed: int = 42, scale: int = 1) -> list[Path]:
    """Write 21 returns per year (plus one resubmission) under out_dir/<year>/."""
    paths = []
    for year in years:
        for county in reference.counties():
            rng = random.Random(f"{seed}-{county}-{year}")
            versions = (1, 2) if (county, year) == RESUBMITTING else (1,)
            for v in versions:
                filled = build_return(rng, county, year, scale, version=v)
                suffix = f"_v{v}" if len(versions) > 1 else ""
                if (county, year) == CSV_RETURN:
                    paths.append(_write_csv_return(out_dir / str(year) / f"lansrapport_{county}_{year}", filled))
                    continue
                path = out_dir / str(year) / f"lansrapport_{county}_{year}{suffix}.xlsx"
                write_return(path, filled)
                normalise_xlsx(path)
                paths.append(path)
    return paths
