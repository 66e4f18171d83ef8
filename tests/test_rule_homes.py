"""Every threshold, deadline and limit has one home: folkhalsa/settings.py.

Python reads it from settings (rule_default / a Settings object), dbt from a var the flow passes in
(settings.dbt_vars), and dbt_project.yml's default for a standalone `dbt build` must equal settings.
The scan below fails when a literal copy of a rule's value appears next to the rule's name anywhere
else in the project's .py/.sql/.yml/.json files (tests aside: they may state examples).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from folkhalsa.settings import RULES, Settings, dbt_vars, rule_default

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / "folkhalsa" / "settings.py"
SCANNED = (".py", ".sql", ".yml", ".yaml", ".json")
SKIP_TOP = {"tests"}   # the test suite may state example values; dbt/tests is scanned
SKIP_DIRS = {".venv", ".git", "target", "dbt_packages", "logs", "output", "__pycache__", ".quarto",
             "node_modules", "_freeze"}


def _num(value) -> str:
    """A regex for a number written as a literal: 0.05 also as .05 or 5e-2 is overkill; 0.05/.05, 400/400.0."""
    text = repr(value)
    if isinstance(value, float) and value == int(value):
        alts = [str(int(value)), f"{int(value)}.0"]
    elif isinstance(value, float) and text.startswith("0."):
        alts = [text, text[1:]]
    else:
        alts = [text]
    return r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w.])"


def patterns() -> dict[str, list[re.Pattern]]:
    """rule -> regexes that find its value written next to its name (assignment, default, dbt var default)."""
    names = {
        "survey_max_failed_answer_share": r"\w*failed\w*share\w*",
        "max_age_days": r"\w*max_age\w*",
        "survey_min_respondents": r"\w*min_respondents\w*",
        "survey_min_interval_width": r"\w*min_(?:interval_)?width\w*",
        "return_deadline_month": r"\w*deadline_month\w*",
        "return_deadline_day": r"\w*deadline_day\w*",
    }
    out = {}
    for rule, name in names.items():
        v = _num(rule_default(rule))
        out[rule] = [
            # name = 5, name: int = 5, "name": 5, name: 5 (yml), name=5 (keyword)
            re.compile(rf"""["']?{name}["']?\s*(?::\s*[\w\[\], |]+\s*)?[:=]\s*(?:\w+\()?{v}""", re.I),
            # var('name', 5) in dbt
            re.compile(rf"""var\(\s*["']{name}["']\s*,\s*{v}""", re.I),
        ]
    month, day = rule_default("return_deadline_month"), rule_default("return_deadline_day")
    # the deadline written out: make_date(year + 1, 3, 1) / date(year + 1, 3, 1)
    out["return_deadline"] = [re.compile(rf"date\(\s*[\w.]+\s*\+\s*1\s*,\s*0?{month}\s*,\s*0?{day}\s*\)")]
    return out


def scan(root: Path = ROOT, pats: dict[str, list[re.Pattern]] | None = None) -> list[str]:
    pats = pats or patterns()
    hits = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix not in SCANNED or not path.is_file() or SKIP_DIRS & set(rel.parts[:-1]) \
                or rel.parts[0] in SKIP_TOP:
            continue
        if path == HOME or rel == Path("dbt/dbt_project.yml"):
            continue   # the home, and dbt's standalone defaults (checked equal below)
        for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            for rule, regexes in pats.items():
                if any(r.search(line) for r in regexes):
                    hits.append(f"{rel}:{n}: {rule}: {line.strip()}")
    return hits


def test_no_literal_copy_of_a_rule_outside_its_home():
    hits = scan()
    assert not hits, "literal copies of rules (read them from folkhalsa.settings instead):\n" + "\n".join(hits)


def test_the_scan_finds_a_planted_copy(tmp_path):
    """The scan can fail: a copy planted in each file type is found, and a larger number is not."""
    (tmp_path / "folkhalsa").mkdir()
    (tmp_path / "folkhalsa" / "x.py").write_text("MAX_FAILED_ANSWER_SHARE = 0.05\nDEFAULT_MAX_AGE_DAYS = 400\n"
                                                "    min_respondents: int = 5\nok = 50\n")
    (tmp_path / "m.sql").write_text("{%- set n = var('survey_min_respondents', 5) -%}\n"
                                    "select make_date(g.year + 1, 3, 1)\nmin_respondents: 50\n")
    (tmp_path / "s.yml").write_text("vars:\n  survey_min_interval_width: 2\n  return_deadline_month: 3\n")
    (tmp_path / "e.json").write_text('{"max_age_days": 400}\n')
    hits = scan(tmp_path)
    found = {h.split(": ")[1] for h in hits}
    assert found == {"survey_max_failed_answer_share", "max_age_days", "survey_min_respondents",
                     "return_deadline", "survey_min_interval_width", "return_deadline_month"}, hits
    assert len(hits) == 8, hits
    assert not any("50" in h for h in hits)


def test_dbt_project_defaults_equal_settings():
    """dbt_project.yml's vars serve a standalone `dbt build`; the flow always passes settings' values."""
    project_vars = yaml.safe_load((ROOT / "dbt" / "dbt_project.yml").read_text("utf-8"))["vars"]
    passed = dbt_vars(Settings(_env_file=None))
    for name, value in passed.items():
        assert project_vars[name] == value, f"dbt_project.yml vars.{name} = {project_vars[name]!r}, settings: {value!r}"


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_is_a_settings_field(rule):
    assert rule in Settings.model_fields


def test_modules_read_the_rules_from_settings(monkeypatch):
    from folkhalsa import disclosure, quality
    from folkhalsa.sources import survey

    assert survey.MAX_FAILED_ANSWER_SHARE == rule_default("survey_max_failed_answer_share")
    assert quality.DEFAULT_MAX_AGE_DAYS == rule_default("max_age_days")
    assert disclosure.Rule.from_settings(Settings()) == disclosure.Rule(rule_default("survey_min_respondents"),
                                                rule_default("survey_min_interval_width"))
    s = Settings(_env_file=None, survey_min_respondents=7, return_deadline_month=4)
    assert dbt_vars(s)["survey_min_respondents"] == 7 and dbt_vars(s)["return_deadline_month"] == 4


def test_used_le_granted_is_declared_once():
    """The return rule's text, guidance, check and the mart's GX expectation come from one declaration."""
    import json

    from folkhalsa.schemas.lansrapport import CATALOGUE, EKONOMI, RULE_GUIDANCE, USED_LE_GRANTED as r

    assert CATALOGUE.rules[r.id].sv == r.sv and CATALOGUE.rules[r.id].en == r.en
    assert RULE_GUIDANCE[r.id] == (r.guidance, r.example)
    assert {r.smaller, r.larger} <= {c.field for c in EKONOMI.columns}
    assert r.violated({r.smaller: 2, r.larger: 1}) and not r.violated({r.smaller: 1, r.larger: 1})
    assert not r.violated({r.smaller: 2, r.larger: None})
    suite = json.loads((ROOT / "expectations" / "expectations" / "marts" / "fct_grant.json").read_text("utf-8"))
    [exp] = [e for e in suite["expectations"] if e["meta"].get("check") == r.gx_check]
    assert exp["type"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert (exp["kwargs"]["column_A"], exp["kwargs"]["column_B"], exp["kwargs"]["or_equal"]) == (r.larger, r.smaller, True)
    assert (exp["meta"]["message_sv"], exp["meta"]["message_en"], exp["meta"]["rule"]) == (r.sv, r.en, r.id)


def test_the_gx_submission_status_set_is_dbt_s():
    """A return held for review lands with status pending_review: the GX suite over the landed
    submissions must know every status the staging model accepts, or the night stops publishing
    (found by the PostgreSQL-outage test on a generated night with a halved table)."""
    import json

    suite = json.loads((ROOT / "expectations" / "expectations" / "raw" / "returns" / "submission.json")
                       .read_text("utf-8"))
    gx = next(e["kwargs"]["value_set"] for e in suite["expectations"]
              if e["kwargs"].get("column") == "status" and "value_set" in e["kwargs"])
    model = yaml.safe_load((ROOT / "dbt" / "models" / "staging" / "returns" / "stg_returns__submissions.yml")
                           .read_text("utf-8"))["models"][0]
    column = next(c for c in model["columns"] if c["name"] == "status")
    dbt = next(t["accepted_values"]["arguments"]["values"] for t in column["data_tests"]
               if isinstance(t, dict) and "accepted_values" in t)
    assert sorted(gx) == sorted(dbt)
