"""One issue model: one Issue class, one catalogue per source, one generated rules table."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from folkhalsa.issues import SEVERITIES, Catalogue, InputError, Issue, Rule, issues_frame, read_issues
from folkhalsa.rules_doc import RULES_DOC, load_all_catalogues, rules_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_rules_doc_is_up_to_date():
    assert RULES_DOC.read_text("utf-8") == rules_markdown(), "run `python -m folkhalsa.rules_doc`"


def test_every_source_declares_a_catalogue_with_one_severity_per_rule():
    cats = load_all_catalogues()
    assert set(cats) == {"returns", "skr_survey", "indicators", "population"}
    for cat in cats.values():
        assert "unreadable" in cat  # land_file needs it for a parser crash
        for rule in cat.rules.values():
            assert rule.severity in SEVERITIES and rule.sv and rule.en
    # The decision on a missing column: an error in a return, a question missing from an export is
    # another rule (a warning), so no rule id means two things.
    assert cats["returns"].severity("missing_column") == "error"
    assert "missing_column" not in cats["skr_survey"] and cats["skr_survey"].severity("missing_question") == "warning"


def test_no_second_issue_class():
    """grep for `class Issue`: only folkhalsa/issues.py defines one."""
    found = []
    for p in (ROOT / "folkhalsa").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name == "Issue":
                found.append(p.relative_to(ROOT).as_posix())
    assert found == ["folkhalsa/issues.py"]


def test_issue_message_row_and_round_trip():
    cat = Catalogue("test_source", [Rule("too_big", "warning", "För stort: {n}", "Too big: {n}")])
    i = cat.issue("too_big", file="a.xlsx", sheet="Ekonomi", row=4, column="Beviljat (kr)", value="9", n=9,
                  detail="max 5")
    assert i.severity == "warning" and i.message_sv == "För stort: 9 (max 5)" and i.message_en == "Too big: 9"
    assert i.message() == ("VARNING [too_big] a.xlsx, flik/sheet Ekonomi, rad/row 4, kolumn/column Beviljat (kr): "
                           "värde/value '9': För stort: 9 (max 5) / Too big: 9")
    assert read_issues(issues_frame([i])) == [i]
    assert InputError(i).issues == [i]
    with pytest.raises(ValueError):
        Rule("x", "info", "a", "b")
    with pytest.raises(ValueError):
        Catalogue("dup", [Rule("x", "error", "a", "b"), Rule("x", "error", "a", "b")])
