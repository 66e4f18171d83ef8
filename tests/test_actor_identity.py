"""Actors: the same organisation (normalised name) in the same kommun under several ids in one return
is a validation warning, and the national picture counts it once (issue 18)."""
from __future__ import annotations

import random

import pytest
from openpyxl import load_workbook

from folkhalsa.sample.returns import build_return
from folkhalsa.sources.returns import actor_identity, check_return
from folkhalsa.template import build_workbook


@pytest.mark.parametrize("a, b", [("Lycksele kommun", "  LYCKSELE   kommun."), ("Region Västerbotten", "region västerbotten"),
                                  ("Skellefteå kommun", "Skellefteå-kommun")])
def test_names_that_differ_only_in_case_space_or_punctuation_are_one_actor(a, b):
    assert actor_identity(a) == actor_identity(b)


def test_different_names_stay_apart():
    assert actor_identity("Umeå kommun") != actor_identity("Umea kommun")


def test_same_name_and_kommun_under_another_id_warns_and_does_not_reject(tmp_path):
    wb = build_workbook(build_return(random.Random(7), "24", 2022, 1))
    ws = wb["Aktörer"]
    # Row 3 is A2 'Skellefteå kommun' in 2482. Row 6 (A5) becomes the same actor, spelt differently;
    # row 4 (A3) gets the same name but another kommun, which is a different actor.
    ws["B6"], ws["E6"] = "SKELLEFTEÅ  kommun", "2482"
    ws["B4"], ws["E4"] = "Skellefteå kommun", "2409"
    path = tmp_path / "lansrapport_24_2022.xlsx"
    wb.save(path)
    parsed = check_return(path)
    dup = [i for i in parsed.issues if i.rule == "duplicate_actor"]
    assert parsed.ok
    assert {(i.sheet, i.row, i.column, i.value) for i in dup} == {
        ("Aktörer", 5, "Aktör", "Lycksele kommun"),      # the sample's own A4 = A1 (Lycksele, 2481)
        ("Aktörer", 6, "Aktör", "SKELLEFTEÅ  kommun")}
    assert all(i.severity == "warning" for i in dup)
    assert "A2" in next(i for i in dup if i.row == 6).message()
