"""Synthetic, deterministic snapshots for the 35 indicators ("Exempeldata – inte officiell statistik").

The files have the shape the real APIs return (evidence: docs/indicator_sources.md): json-stat2 from
Folkhälsodata's PxWeb v1 with the real table paths and variable names (Region "00 Riket"/"01 Stockholms
län", the category variable, *Andel och konfidensintervall* 01-04, Kön 00/01/02 in survey tables and
1+2/1/2 in register tables, År, pinned extra variables, one ContentsCode), and Kolada v3 pages linked by
next_url, wrapped in the same snapshot envelope as online runs, so the offline pipeline reads them with
the same parser. Values are synthetic. Where the evidence gives a category's text but not its code, the
sample uses the text as the code.
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from folkhalsa import SAMPLE_NOTICE, reference
from folkhalsa.settings import PROJECT_ROOT, Settings
from folkhalsa.sources.indicators import (PLACEHOLDER_NOTE, breakdowns, envelope, load_catalogue,
                                          placeholder_dataset, write_snapshot)
from folkhalsa.sources.pxweb_tables import parse_fixed_selections
from folkhalsa.io.jsonstat import Dimension, build_dataset
from folkhalsa.io.pxweb import query_body

RETRIEVED_AT = datetime(2024, 3, 1, 6, 0, tzinfo=timezone.utc)  # fixed: same seed -> same bytes
UPDATED = "2024-02-15T08:00:00Z"
LAST_YEAR = 2023
FIRST_YEAR = 2012
PXWEB_BASE = Settings.model_fields["pxweb_base_url"].default
KOLADA_BASE = Settings.model_fields["kolada_base_url"].default
SCB_BASE = Settings.model_fields["scb_base_url"].default
KOLADA_PER_PAGE = 100

# How deprived a county is in this synthetic world (-1 best off .. 1 worst off); drives county differences.
DEPRIVATION = {"01": -0.8, "03": -0.6, "04": 0.6, "05": 0.1, "06": -0.2, "07": 0.0, "08": 0.4, "09": 0.2,
               "10": 0.4, "12": 0.3, "13": -0.7, "14": -0.2, "17": 0.4, "18": 0.3, "19": 0.5, "20": 0.5,
               "21": 0.9, "22": 0.4, "23": 0.2, "24": -0.3, "25": 0.5}
# Respondents per county over four years of Hälsa på lika villkor (all ages).
SURVEY_N = {"01": 12000, "03": 5000, "04": 4000, "05": 5500, "06": 4500, "07": 3000, "08": 3500, "09": 1000,
            "10": 2500, "12": 10000, "13": 4000, "14": 11000, "17": 4000, "18": 4000, "19": 3500, "20": 4000,
            "21": 4000, "22": 3500, "23": 2000, "24": 3500, "25": 3500}
SEX_SHARE = {"T": 1.0, "K": 0.54, "M": 0.46}
EDU_SHARE = {"total": 1.0, "förgymnasial": 0.13, "gymnasial": 0.42, "eftergymnasial": 0.42}
EDU_WEIGHT = {"total": 0.0, "förgymnasial": -0.55, "gymnasial": -0.05, "eftergymnasial": 0.45}
# Kön as the tables publish it: survey tables 00/01/02 (01 = Kvinnor), register tables 1+2/1/2 (1 = Män),
# MedlivsYreg 01/02 without a total. The pipeline reads the labels, never the order.
SURVEY_SEX = [("00", "Totalt", "T"), ("01", "Kvinnor", "K"), ("02", "Män", "M")]
REGISTER_SEX = [("1+2", "Totalt", "T"), ("1", "Män", "M"), ("2", "Kvinnor", "K")]
SEX_BY_TABLE = {"MedlivsYreg.px": [("01", "Kvinnor", "K"), ("02", "Män", "M")]}
MEASURES = [("01", "Andel"), ("02", "Konfidensintervall nedre gräns"), ("03", "Konfidensintervall övre gräns"),
            ("04", "Antal svar")]
# Texts for pinned values and known category codes (labels of the synthetic tables).
PINNED_TEXTS = {("Åldersstandardisering", "1"): "Ej åldersstandardiserat",
                ("Psykisk hälsa", "21"): "Allvarlig psykisk påfrestning"}

@dataclass
class Spec:
    level: float          # national value in the period ending 2022
    trend: float          # change per year
    county_sd: float      # spread between counties
    sex_diff: float = 0.0  # women minus men
    edu_gap: float = 0.0   # eftergymnasial minus förgymnasial
    dep: float = 0.5       # weight of county deprivation (sign follows polarity)
    share_asked: float = 1.0  # share of respondents asked (e.g. only the employed)
    shocks: dict[int, float] = field(default_factory=dict)


SPECS = {
    "H1": Spec(83.2, 0.15, 0.7, 3.6, 4.5, 0.7, shocks={2020: -0.5}),
    "H2": Spec(205, -3.0, 22, -90, -150, 0.7, shocks={2020: 12}),
    "H3": Spec(72.5, 0.1, 2.0, -3.0, 16, 0.6),
    "H4": Spec(17.5, 0.35, 1.5, 7.5, -2.5, 0.3),
    "1.1": Spec(7.5, -0.15, 1.8, 0, -4, 0.4),
    "1.2": Spec(94.0, 0.3, 1.6, dep=0.3),
    "1.3": Spec(41.0, -0.4, 6.0, dep=0.2),
    "2.1": Spec(71.0, -0.3, 4.0, dep=0.3),
    "2.2": Spec(85.5, -0.1, 2.5, 2.4, dep=0.6),
    "2.3": Spec(72.0, 0.2, 3.0, 5.0, dep=0.5),
    "3.1": Spec(2.4, -0.05, 0.8, -0.2, dep=0.6, shocks={2020: 0.3, 2021: 0.5}),
    "3.2": Spec(7.8, -0.1, 1.5, -0.8, dep=0.6, shocks={2020: 0.6}),
    "3.3": Spec(25.0, 0.2, 1.8, 6.0, -6.0, -0.2, share_asked=0.55),
    "3.4": Spec(31.0, -0.2, 3.0, -4.0, -22.0, 0.5, share_asked=0.55),
    "4.1": Spec(318000, 7000, 20000, -14000, 110000, 0.7),
    "4.2": Spec(8.2, 0.1, 1.5, 1.0, -9.0, 0.6),
    "4.3": Spec(2.6, -0.05, 0.7, 0.4, -3.5, 0.5),
    "4.4": Spec(3.9, -0.12, 0.8, -2.0, dep=0.7),
    "5.1": Spec(62, 1.0, 15, dep=0.0),
    "5.2": Spec(14.5, 0.1, 3.0, -0.4, -6.0, -0.4),
    "5.3": Spec(18.5, 0.1, 2.0, 21.0, -5.0, -0.1),
    "5.4": Spec(4.5, 0.0, 1.2, 0.5, -0.5, -0.5),
    "6.1": Spec(6.1, -0.35, 1.2, 0.4, -8.0, 0.7),
    "6.2": Spec(16.0, -0.25, 1.5, -8.5, 1.5, -0.2),
    "6.3": Spec(64.5, 0.2, 2.5, -1.0, 10.0, 0.5),
    "6.4": Spec(24.5, -0.1, 2.0, 12.0, 9.0, 0.5),
    "7.1": Spec(81.8, 0.0, 2.5, dep=0.6),  # election years only, see _election_value
    "7.2": Spec(24.0, 0.2, 2.5, -1.0, -9.0, 0.4),  # LOW trust (the real category)
    "7.3": Spec(28.0, 0.1, 2.5, -1.5, -12.0, 0.5),
    "7.4": Spec(19.5, 0.3, 1.5, 4.5, -2.0, 0.2),
    "7.5": Spec(5.6, 0.1, 0.8, -0.6, -1.5, 0.3),
    "8.1": Spec(13.0, 0.3, 1.5, 4.0, -3.0, 0.3),
    # MPR moved to the national vaccination register in 2021: a small level shift from then on.
    "8.2": Spec(97.0, 0.1, 1.0, dep=0.3, shocks={2021: -0.5, 2022: -0.5, 2023: -0.5}),
    "8.3": Spec(7.8, 0.1, 1.5, 1.8, -6.0, 0.6),
}
# Series rows (indicator_series.csv): H1 by education is remaining life expectancy at 30 (SCB LivslUtbLan).
SPECS["H1@utbildning"] = Spec(52.6, 0.12, 0.6, 3.6, 5.2, 0.7, shocks={2020: -0.4})
# SCB LivslUtbLan as public code reads it (texts only; the codes were not seen, so the sample uses the texts).
SCB_EDUCATION = [("samtliga utbildningsnivåer", "total"), ("förgymnasial utbildning", "förgymnasial"),
                 ("gymnasial utbildning", "gymnasial"), ("eftergymnasial utbildning", "eftergymnasial"),
                 ("uppgift om utbildningsnivå saknas", None)]
SCB_SEX = [("samtliga män och kvinnor", "T"), ("män", "M"), ("kvinnor", "K")]
# H4 by education, riket: Folkhälsodata's hlv1psyfutb.px (HLV, national only, single survey years). Codes and
# texts as its live metadata was read by public code (docs/indicator_sources.md); no Region variable.
SPECS["H4@utbildning"] = Spec(15.5, 0.35, 1.5, 7.0, -6.0, 0.3)
HLV_EDUCATION = [("00", "Totalt", "total"), ("01", "Förgymnasial", "förgymnasial"), ("02", "Gymnasial", "gymnasial"),
                 ("03", "Eftergymnasial", "eftergymnasial")]
HLV_AGE = {"09": "Ej åldersstandardiserad 25- år"}
# HLV runs every other year since 2016, with an extra round in 2021: the table's År lacks 2017, 2019 and 2023.
HLV_MISSING_YEARS = {2017, 2019, 2023}
HLV_RESPONDENTS_PER_YEAR = 17000  # about the national number of respondents in one round (2022: 16 971)

ELECTIONS = {1991: 84.3, 1994: 84.4, 1998: 78.6, 2002: 77.9, 2006: 79.4, 2010: 81.6, 2014: 82.8, 2018: 84.1, 2022: 81.8}


class _Indicator:
    """Latent annual values per area, sex and education for one indicator."""

    def __init__(self, cat: dict, spec: Spec, rng: random.Random, areas: list[str]):
        self.cat, self.spec, self.rng = cat, spec, rng
        self.sign = -1 if cat["polarity"] == "higher_is_better" else 1
        self.percent = cat["unit"] == "percent"
        self.ref_year = 2020.5 if cat["period_type"] == "rolling4" else 2022
        self.effect: dict[str, float] = {"00": 0.0}
        for a in areas:
            if len(a) == 2 and a != "00":
                self.effect[a] = spec.county_sd * (spec.dep * DEPRIVATION[a] * self.sign
                                                   + (1 - abs(spec.dep)) * rng.gauss(0, 1))
        for a in areas:
            if len(a) == 4:
                self.effect[a] = self.effect[a[:2]] + rng.gauss(0, 0.8 * spec.county_sd)
        self._cache: dict[tuple, float] = {}

    def annual(self, area: str, sex: str, edu: str, year: int) -> float:
        key = (area, sex, edu, year)
        if key not in self._cache:
            s = self.spec
            sex_eff = {"T": 0.0, "K": s.sex_diff / 2, "M": -s.sex_diff / 2}[sex]
            # Survey years are noisy (the rolling mean smooths them); registers count everyone.
            rel = (0.05, 0.15, 0.3) if self.cat["period_type"] == "rolling4" else (0.03, 0.08, 0.15)
            noise_sd = s.county_sd * rel[0 if area == "00" else 1 if len(area) == 2 else 2]
            if sex != "T" or edu != "total":
                noise_sd *= 2 if self.cat["period_type"] == "rolling4" else 1.5
            v = (s.level + s.trend * (year - self.ref_year) + s.shocks.get(year, 0.0) + self.effect[area]
                 + sex_eff + EDU_WEIGHT[edu] * s.edu_gap + self.rng.gauss(0, noise_sd))
            self._cache[key] = self._clamp(v)
        return self._cache[key]

    def _clamp(self, v: float) -> float:
        return min(max(v, 0.2), 99.8) if self.percent else max(v, 0.0)

    def value(self, area: str, sex: str, edu: str, period: str) -> float:
        if self.cat["code"] == "7.1":
            return self._election_value(area, int(period))
        if "-" in period:
            start, end = map(int, period.split("-"))
            return sum(self.annual(area, sex, edu, y) for y in range(start, end + 1)) / (end - start + 1)
        return self.annual(area, sex, edu, int(period))

    def _election_value(self, area: str, year: int) -> float:
        # Kolada's "valdeltagande i senaste kommunalvalet" repeats the latest election's value.
        election = max(y for y in ELECTIONS if y <= year)
        return self.annual(area, "T", "total", election) - self.spec.level + ELECTIONS[election]

    def rounded(self, v: float) -> float | int:
        d = self.cat["decimals"]
        return int(round(v)) if d == 0 else round(v, d)


def _periods(cat: dict, first_year: int) -> list[str]:
    span = {"rolling4": 3, "rolling5": 4}.get(cat["period_type"], 0)
    if span:
        return [f"{e - span}-{e}" for e in range(first_year + span, LAST_YEAR + 1)]
    return [str(y) for y in range(first_year, LAST_YEAR + 1)]


def _survey_n(area: str, sex: str, edu: str, period: str, spec: Spec, rng: random.Random,
              counties: list[str]) -> int:
    base = sum(SURVEY_N[c] for c in counties) if area == "00" else SURVEY_N[area[:2]]
    fading = 1 + 0.02 * (LAST_YEAR - int(period[-4:]))  # response rates fall over time
    return max(1, round(base * SEX_SHARE[sex] * EDU_SHARE[edu] * spec.share_asked * fading * rng.uniform(0.9, 1.1)))


def _folkhalsodata(cat: dict, spec: Spec, rng: random.Random, county_names: dict[str, str],
                   munis: dict[str, str], scale: int, first_year: int) -> dict:
    """A json-stat2 answer shaped like the real table: the selection an online fetch of this row makes."""
    bd = breakdowns(cat)
    survey = bool(cat["min_respondents"])
    areas = ["00", *county_names]
    if scale >= 10 and "municipality" in bd:
        areas += list(munis)
    names = {"00": "Riket", **county_names, **munis}
    ind = _Indicator(cat, spec, rng, areas)
    periods = _periods(cat, first_year)
    table = Path(cat["table_path"]).name
    sexes = SEX_BY_TABLE.get(table) or (SURVEY_SEX if survey else REGISTER_SEX)
    if "sex" not in bd:
        sexes = [s for s in sexes if s[2] == "T"]
    dims = [Dimension("Region", areas, [f"{a} {names[a]}" for a in areas], "region")]
    if cat["category_variable"]:
        code = cat["category_code"]
        dims.append(Dimension(cat["category_variable"], [code],
                              [PINNED_TEXTS.get((cat["category_variable"], code), code if not code.isdigit()
                                                else cat["name_sv"])], cat["category_variable"].lower()))
    for var, value in parse_fixed_selections(cat["fixed_selections"]).items():
        dims.append(Dimension(var, [value], [PINNED_TEXTS.get((var, value), value)], var.lower()))
    if survey:
        dims.append(Dimension("Andel och konfidensintervall", [c for c, _ in MEASURES], [t for _, t in MEASURES],
                              "andel och konfidensintervall"))
    dims.append(Dimension("Kön", [c for c, _, _ in sexes], [lab for _, lab, _ in sexes], "kön"))
    dims.append(Dimension("År", periods, periods, "år"))
    title = f"{cat['category_variable'] or cat['name_sv']} efter region, kön och år"
    base = "procent" if cat["unit"] == "percent" else cat["unit"]
    dims.append(Dimension("ContentsCode", ["EliminatedValue"], [title], "EliminatedContents",
                          {"unit": {"EliminatedValue": {"base": base, "decimals": cat["decimals"]}}}))
    by_cell: dict[tuple, list] = {}
    for area, (_, _, sex), period in itertools.product(areas, sexes, periods):
        p = ind.value(area, sex, "total", period)
        cell = [ind.rounded(p)]
        if survey:
            n = _survey_n(area, sex, "total", period, spec, rng, list(county_names))
            half = 1.96 * 1.2 * math.sqrt(max(p * (100 - p), 1.0) / n)
            cell += [ind.rounded(max(p - half, 0.0)), ind.rounded(min(p + half, 100.0)), n]
        by_cell[(area, sex, period)] = cell
    if survey:  # one small group the publisher still shows: the catalogue's disclosure rule must catch it
        area, (_, _, sex) = areas[rng.randrange(1, len(areas))], sexes[rng.randrange(len(sexes))]
        by_cell[(area, sex, periods[rng.randrange(len(periods))])][3] = rng.randint(20, 49)
    # json-stat2 order: the last dimension runs fastest (Region, ..., measure, Kön, År, ContentsCode).
    values: list[float | int | None] = []
    n_measures = len(MEASURES) if survey else 1
    for area in areas:
        for m in range(n_measures):
            for _, _, sex in sexes:
                for period in periods:
                    values.append(by_cell[(area, sex, period)][m])
    status = _inject_gaps(values, n_measures, len(sexes) * len(periods), areas, rng, survey)
    return build_dataset(dims, values, status, label=title, source="Folkhälsomyndigheten (exempeldata)",
                         updated=UPDATED, note=[SAMPLE_NOTICE], role={"time": ["År"], "metric": ["ContentsCode"]},
                         extension={"px": {"tableid": Path(cat["table_path"]).stem, "decimals": cat["decimals"],
                                           "language": "sv"}})


def _scb_by_education(cat: dict, spec: Spec, rng: random.Random, county_names: dict[str, str],
                      first_year: int) -> dict:
    """SCB's LivslUtbLan answer for the series row's selection: Region × UtbildningsNiva × Kon × Alder
    (pinned) × ContentsCode (pinned) × Tid (five-year windows). SCB marks no total for education
    'uppgift saknas' outside riket: those cells are '..'."""
    areas = ["00", *county_names]
    names = {"00": "Riket", **county_names}
    ind = _Indicator(cat, spec, rng, areas)
    periods = [p for p in _periods(cat, first_year) if int(p[:4]) >= 2012]  # windows from 2012-2016
    fixed = parse_fixed_selections(cat["fixed_selections"])
    dims = [Dimension("Region", areas, [names[a] for a in areas], "region"),
            Dimension("UtbildningsNiva", [t for t, _ in SCB_EDUCATION], [t for t, _ in SCB_EDUCATION],
                      "utbildningsnivå"),
            Dimension("Kon", [t for t, _ in SCB_SEX], [t for t, _ in SCB_SEX], "kön"),
            Dimension("Alder", [fixed["Alder"]], [fixed["Alder"]], "ålder"),
            Dimension("ContentsCode", [fixed["ContentsCode"]], [fixed["ContentsCode"]], "tabellinnehåll",
                      {"unit": {fixed["ContentsCode"]: {"base": "år", "decimals": 2}}}),
            Dimension("Tid", periods, periods, "årsintervall")]
    values: list[float | None] = []
    status: dict[int, str] = {}
    for area in areas:
        for _, edu in SCB_EDUCATION:
            for _, sex in SCB_SEX:
                for period in periods:
                    if edu is None:
                        if area != "00":
                            status[len(values)] = ".."
                        values.append(None if area != "00" else round(ind.value(area, sex, "gymnasial", period) - 1.5, 2))
                    else:
                        values.append(round(ind.value(area, sex, edu, period), 2))
    title = ("Femårig livslängdstabell efter län, utbildningsnivå, kön och ålder "
             "(Exempeldata – inte officiell statistik)")
    return build_dataset(dims, values, status, label=title, source="SCB (exempeldata)", updated=UPDATED,
                         note=[SAMPLE_NOTICE], role={"time": ["Tid"], "geo": ["Region"], "metric": ["ContentsCode"]})


def _hlv_by_education(cat: dict, spec: Spec, rng: random.Random, first_year: int) -> dict:
    """Folkhälsodata's national HLV table by education (hlv1psyfutb.px) for the series row's selection:
    Psykisk hälsa (the category) × Andel och konfidensintervall 01-04 × Utbildning 00-03 × Ålder (pinned)
    × Kön 00/01/02 × År (single survey years), no Region. The series lands without the total (Utbildning 00)."""
    ind = _Indicator(cat, spec, rng, ["00"])
    years = [str(y) for y in range(first_year, LAST_YEAR + 1) if y not in HLV_MISSING_YEARS]
    age = parse_fixed_selections(cat["fixed_selections"])["Ålder"]
    dims = [Dimension(cat["category_variable"], [cat["category_code"]],
                      [PINNED_TEXTS.get((cat["category_variable"], cat["category_code"]), cat["name_sv"])],
                      cat["category_variable"].lower()),
            Dimension("Andel och konfidensintervall", [c for c, _ in MEASURES], [t for _, t in MEASURES],
                      "andel och konfidensintervall"),
            Dimension("Utbildning", [c for c, _, _ in HLV_EDUCATION], [t for _, t, _ in HLV_EDUCATION], "utbildning"),
            Dimension("Ålder", [age], [HLV_AGE.get(age, age)], "ålder"),
            Dimension("Kön", [c for c, _, _ in SURVEY_SEX], [t for _, t, _ in SURVEY_SEX], "kön"),
            Dimension("År", years, years, "år")]
    title = f"{cat['category_variable']} efter utbildning, ålder, kön och år"
    dims.append(Dimension("ContentsCode", ["EliminatedValue"], [title], "EliminatedContents",
                          {"unit": {"EliminatedValue": {"base": "procent", "decimals": cat["decimals"]}}}))
    cells: dict[tuple, list] = {}
    for (_, _, edu), (_, _, sex), year in itertools.product(HLV_EDUCATION, SURVEY_SEX, years):
        p = ind.value("00", sex, edu, year)
        n = max(1, round(HLV_RESPONDENTS_PER_YEAR * SEX_SHARE[sex] * EDU_SHARE[edu] * rng.uniform(0.9, 1.1)))
        half = 1.96 * 1.2 * math.sqrt(max(p * (100 - p), 1.0) / n)
        cells[(edu, sex, year)] = [ind.rounded(p), ind.rounded(max(p - half, 0.0)), ind.rounded(min(p + half, 100.0)), n]
    # json-stat2 order: the last dimension runs fastest (category, measure, Utbildning, Ålder, Kön, År).
    values = [cells[(edu, sex, year)][m] for m in range(len(MEASURES)) for _, _, edu in HLV_EDUCATION
              for _, _, sex in SURVEY_SEX for year in years]
    return build_dataset(dims, values, {}, label=title, source="Folkhälsomyndigheten (exempeldata)", updated=UPDATED,
                         note=[SAMPLE_NOTICE], role={"time": ["År"], "metric": ["ContentsCode"]},
                         extension={"px": {"tableid": Path(cat["table_path"]).stem, "decimals": cat["decimals"],
                                           "language": "sv"}})


def _inject_gaps(values: list, n_measures: int, cells_per_measure: int, areas: list[str], rng: random.Random,
                 survey: bool) -> dict[int, str]:
    """Blank a few county cells the way PxWeb does: '..' missing, 'x' suppressed, '*' unreliable.

    values run area, measure, then (sex, period); a mark applies to every measure of its cell."""
    status: dict[int, str] = {}
    marks = ["..", "..", "x", "*"] if survey else ["..", ".."]
    per_area = n_measures * cells_per_measure
    for mark in marks:
        area = rng.randrange(1, len(areas))  # never riket (the first area)
        cell = rng.randrange(cells_per_measure)
        for m in range(n_measures):
            i = area * per_area + m * cells_per_measure + cell
            status[i] = mark
            if mark != "*":
                values[i] = None
    return status


def _kolada_pages(cat: dict, spec: Spec, rng: random.Random, counties: list[str], munis: dict[str, str],
                  scale: int, first_year: int) -> tuple[str, dict, list[dict]]:
    bd = breakdowns(cat)
    kolada_ids = ["0000"] + [f"00{c}" for c in counties]
    areas = ["00", *counties]
    if cat["kpi_type"] == "K":  # kommun values only: all 290 kommuner (the area gradient ranks them)
        kolada_ids, areas = [], []
    if (scale >= 10 and "municipality" in bd) or cat["kpi_type"] == "K":
        kolada_ids += list(munis)
        areas += list(munis)
    ind = _Indicator(cat, spec, rng, ["00", *counties, *(a for a in areas if len(a) == 4)])
    years = list(range(first_year, LAST_YEAR + 1))
    genders = ["T", "K", "M"] if "sex" in bd else ["T"]
    entries = []
    for kid, area in zip(kolada_ids, areas):
        for y in years:
            vals = [{"count": 1, "gender": g, "status": "", "value": ind.rounded(ind.value(area, g, "total", str(y))),
                     "isdeleted": False} for g in genders]
            entries.append({"kpi": cat["kpi_id"], "municipality": kid, "period": y, "values": vals})
    for _ in range(2):  # a couple of gaps, as Kolada publishes them: value null
        e = entries[rng.randrange(len(years), len(entries))]
        for v in e["values"]:
            v["value"] = None
    if len(genders) > 1:  # and one value Kolada has withdrawn (women's, so the cell keeps T and M)
        e = entries[rng.randrange(len(years), len(entries))]
        e["values"][1]["isdeleted"] = True
    ids_part = "" if scale >= 10 and cat["kpi_type"] != "K" else f"/municipality/{','.join(kolada_ids[:25])}"
    first_url = f"{KOLADA_BASE}/data/kpi/{cat['kpi_id']}{ids_part}/year/{','.join(map(str, years))}"
    query = {"kpi": cat["kpi_id"], "municipality": None if scale >= 10 else kolada_ids, "years": years}
    return f"{first_url}?per_page={KOLADA_PER_PAGE}", query, _paginate(entries, first_url)


def _paginate(entries: list[dict], first_url: str) -> list[dict]:
    """Cut entries into Kolada v3 pages linked by full next_url / previous_url; the last has no next_url."""
    def url(n: int) -> str:
        return f"{first_url}?page={n}&per_page={KOLADA_PER_PAGE}"
    chunks = [entries[i:i + KOLADA_PER_PAGE] for i in range(0, len(entries), KOLADA_PER_PAGE)]
    pages = []
    for p, chunk in enumerate(chunks, start=1):
        page = {"values": chunk, "count": len(entries)}
        if p > 1:
            page["previous_url"] = url(p - 1)
        if p < len(chunks):
            page["next_url"] = url(p + 1)
        pages.append(page)
    return pages


def write_sample_indicators(out_dir: Path, *, seed: int = 42, scale: int = 1,
                            dbt_dir: Path | None = None) -> list[Path]:
    """Write snapshots for all 35 indicators to out_dir/{folkhalsodata,kolada,file}/<code>.json."""
    dbt_dir = dbt_dir or PROJECT_ROOT / "dbt"
    catalogue = load_catalogue(dbt_dir)
    seeds = Path(dbt_dir) / "seeds"
    county_names = dict(reference.counties(seeds))
    munis = {code: name for code, (name, _county) in reference.municipalities(seeds).items()}
    first_year = FIRST_YEAR - min(max(scale, 1) - 1, 20)  # bigger scale, longer history
    out_dir = Path(out_dir)
    paths = []
    for cat in catalogue.iter_rows(named=True):
        code, source = cat["code"], cat["source"]
        key = f"{code}@{cat['series']}" if cat.get("series") else code
        rng = random.Random(f"{seed}:{key}")  # one stream per indicator: editing one leaves the rest alone
        if source == "scb":
            data = _scb_by_education(cat, SPECS[key], rng, county_names, first_year)
            sel = {d: list(data["dimension"][d]["category"]["index"]) for d in data["id"]}
            env = envelope(source, code, f"{SCB_BASE}/{cat['table_path']}", query_body(sel), RETRIEVED_AT,
                           response=data, notice=SAMPLE_NOTICE, series=cat["series"])
            paths.append(write_snapshot(out_dir / source / f"{key}.json", env))
            continue
        if source == "folkhalsodata" and cat.get("series"):  # HLV by education (national table)
            data = _hlv_by_education(cat, SPECS[key], rng, first_year)
            sel = {d: list(data["dimension"][d]["category"]["index"]) for d in data["id"] if d != "ContentsCode"}
            env = envelope(source, code, f"{PXWEB_BASE}/{cat['table_path']}", query_body(sel), RETRIEVED_AT,
                           response=data, notice=SAMPLE_NOTICE, series=cat["series"])
            paths.append(write_snapshot(out_dir / source / f"{key}.json", env))
            continue
        if source == "folkhalsodata":
            data = _folkhalsodata(cat, SPECS[code], rng, county_names, munis, scale, first_year)
            sel = {d: list(data["dimension"][d]["category"]["index"]) for d in data["id"] if d != "ContentsCode"}
            env = envelope(source, code, f"{PXWEB_BASE}/{cat['table_path']}", query_body(sel), RETRIEVED_AT,
                           response=data, notice=SAMPLE_NOTICE)
        elif source == "kolada":
            url, query, pages = _kolada_pages(cat, SPECS[code], rng, list(county_names), munis, scale, first_year)
            env = envelope(source, code, url, query, RETRIEVED_AT, pages=pages, notice=SAMPLE_NOTICE)
        else:
            periods = [str(y) for y in range(first_year, LAST_YEAR + 1)]
            data = placeholder_dataset(code, ["00", *county_names], periods, PLACEHOLDER_NOTE)
            env = envelope(source, code, None, None, RETRIEVED_AT, response=data, notice=SAMPLE_NOTICE)
        paths.append(write_snapshot(out_dir / source / f"{code}.json", env))
    return paths
