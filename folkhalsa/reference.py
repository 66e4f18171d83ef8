"""Code lists from the project's reference seeds (copied from the shared reference; never read from there)."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt" / "seeds"


def _rows(name: str, seeds_dir: Path = SEEDS_DIR) -> list[dict[str, str]]:
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache
def counties(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """länskod -> name, for the 21 län. `seeds_dir`: another copy of the seeds (tests)."""
    return {r["code"]: r["name"] for r in _rows("ref_counties", seeds_dir)}


@lru_cache
def municipalities(seeds_dir: Path = SEEDS_DIR) -> dict[str, tuple[str, str]]:
    """kommunkod -> (name, länskod), for the 290 kommuner."""
    return {r["code"]: (r["name"], r["county_code"]) for r in _rows("ref_municipalities", seeds_dir)}


@lru_cache
def region_names(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """Region name -> region code (00 + länskod): each region's own name and short forms in use
    (ref_region_names; evidence in docs/survey_exports.md)."""
    if not (seeds_dir / "ref_region_names.csv").exists():
        seeds_dir = SEEDS_DIR   # a test copy of the older seeds
    return {r["name"]: "00" + r["county_code"] for r in _rows("ref_region_names", seeds_dir)}


@lru_cache
def target_areas() -> dict[int, str]:
    """målområde 1-8 -> Swedish name."""
    return {int(r["code"]): r["name_sv"] for r in _rows("ref_target_areas")}


@lru_cache
def grants() -> dict[tuple[str, int], int]:
    """(länskod, year) -> granted kronor, for the years the government fixed an amount."""
    return {(r["county_code"], int(r["year"])): int(r["granted_sek"]) for r in _rows("ref_grants")}


def municipalities_in(county_code: str) -> list[str]:
    return sorted(c for c, (_, lan) in municipalities().items() if lan == county_code)
