"""A corpus of survey exports as tools, Excel and people make them, each with the outcome it must
have (land, land_with_warnings or reject) and the number of respondents it must count.
The corpus is built here from the real codebooks; nothing is committed as a binary."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import openpyxl
import polars as pl
import pytest

from folkhalsa.sources.survey import SOURCE, empty_tables, land_survey_export, land_surveys
from folkhalsa.sources.survey_review import accept_export, current_export, pending_exports
from tests.survey_exports import CODEBOOKS, export_bytes, export_text, respondents, table

N = 30   # kommuner in a clean export


@dataclass
class Case:
    name: str
    year: int                        # the year in the file name
    build: Callable[[], bytes]
    outcome: str                     # land | land_with_warnings | reject
    respondents: int                 # counted respondents (0 for a rejected file)
    suffix: str = ".csv"
    encoding: str | None = None      # the encoding the reader must name
    header_row: int | None = None
    message: str | None = None       # a fragment the rejection or a warning must contain
    rules: dict[str, int] = field(default_factory=dict)   # warning/error rules and their counts
    before: list[Callable[[], bytes]] = field(default_factory=list)   # exports of the year landed first
    review: str = "accepted"


def clean(year=2023, **kw) -> Callable[[], bytes]:
    return lambda: export_bytes(year, respondents(year, N, seed=year), **kw)


def mixed_8bit() -> bytes:
    """Header saved on a Mac (Mac Roman), rows appended on Windows (Windows-1252)."""
    cells = table(2023, respondents(2023, N, seed=3))
    head = export_text(cells[:1]).encode("mac-roman")
    return head + export_text(cells[1:]).encode("cp1252")


def _no_dashes(rows: list[dict]) -> list[dict]:
    """What an ISO-8859-1 tool does with a character it lacks: '–' becomes '-'."""
    for r in rows:
        if r["answers"]["FRI1"]:
            r["answers"]["FRI1"] = r["answers"]["FRI1"].replace("–", "-")
    return rows


def latin1_with_c1() -> bytes:
    """ISO-8859-1 from a system that kept two C1 control characters from pasted text (bytes 0x81 and
    0x8D, which Windows-1252 does not define): only ISO-8859-1 decodes it."""
    rows = _no_dashes(respondents(2023, N, seed=4))
    rows[0]["answers"]["FRI1"] = "Stöd\x81 till samverkan\x8d önskas."
    return export_bytes(2023, rows, encoding="iso-8859-1")


def latin1_extra_letters() -> bytes:
    """ISO-8859-1 with letters beyond å ä ö (é, ü, ½, ×, non-breaking space); a tool that could not
    write '–' wrote '-' instead."""
    rows = respondents(2023, N, seed=5)
    rows = _no_dashes(rows)
    rows[1]["answers"]["FRI1"] = "Café-träffar med Jürgen, ½ dag × 2\u00a0gånger - bra."
    return export_bytes(2023, rows, encoding="iso-8859-1")


def xlsx_with_title() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(["SKR:s medlemsenkät om folkhälsoarbete 2023"])
    ws.append([])
    for r in table(2023, respondents(2023, N, seed=6), labels=False, texts=False):
        ws.append(r)
    ws.append(["Källa: SKR, enkätverktyget"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def names_for_codes() -> bytes:
    """The respondent column holds official names, in the forms people type them."""
    rows = respondents(2023, N, 3, seed=7)
    for i, r in enumerate(rows):
        forms = [r["name"], r["name"].upper(), f"{r['name']} kommun", f"  {r['name'].lower()} "]
        r["name"] = forms[i % 4] if not r["code"].startswith("00") else r["name"]
    return export_bytes(2023, rows, names=True)


def names_with_typo() -> bytes:
    rows = respondents(2023, N, seed=8)
    target = next(r for r in rows if r["name"] not in ("Ale", "Åre", "Bjuv", "Mora", "Lund", "Sala", "Åmål"))
    target["name"] = target["name"][:-1] + ("x" if target["name"][-1] != "x" else "y")
    return export_bytes(2023, rows, names=True)


def garbage_answers() -> bytes:
    """Answers a tool filled with the wrong list: 10 of 30 respondents answer STY1 outside the codebook."""
    rows = respondents(2023, N, seed=9)
    cells = table(2023, rows)
    col = next(i for i, h in enumerate(cells[0]) if h.startswith("STY1"))
    for r in cells[1:11]:
        r[col] = "Kanske"
    extra = table(2023, rows)
    for name in ("ORG1", "ORG2", "STY2", "STY3", "RES1", "UPF1", "UPF2", "UPF3"):
        c = next(i for i, h in enumerate(extra[0]) if h.startswith(name))
        for r in cells[1:11]:
            r[c] = "Kanske"
    return export_text(cells).encode("utf-8")


CASES = [
    # --- encodings
    Case("utf8_bom_comma_codes", 2023, clean(encoding="utf-8-sig", sep=",", labels=False, texts=False),
         "land", N, encoding="utf-8-sig"),
    Case("utf8_no_bom_semicolon_labels", 2023, clean(encoding="utf-8"), "land", N, encoding="utf-8"),
    Case("utf16le_bom_tab_excel_unicode_text", 2023, clean(encoding="utf-16", sep="\t"), "land", N,
         encoding="utf-16"),
    Case("utf16le_no_bom_tab", 2023, clean(encoding="utf-16-le", sep="\t"), "land", N, encoding="utf-16-le"),
    Case("windows1252_semicolon_decimal_comma", 2023, clean(encoding="cp1252", decimal_comma=True), "land", N,
         encoding="windows-1252"),
    Case("mac_roman_semicolon_labels", 2023, clean(encoding="mac-roman"), "land", N, encoding="mac-roman"),
    Case("mac_roman_codes_only_names_carry_the_letters", 2023,
         lambda: export_bytes(2023, respondents(2023, N, seed=2), names=True, labels=False, texts=False,
                              encoding="mac-roman"), "land", N, encoding="mac-roman"),
    Case("iso8859_1_extra_letters_reads_as_its_superset", 2023, latin1_extra_letters, "land", N,
         encoding="windows-1252"),
    Case("iso8859_1_with_bytes_windows1252_lacks", 2023, latin1_with_c1, "land", N, encoding="iso-8859-1"),
    Case("mixed_mac_roman_and_windows1252", 2023, mixed_8bit, "reject", 0,
         message="the encoding cannot be determined"),
    # --- separators and line endings
    Case("comma_lf", 2023, clean(sep=",", eol="\n"), "land", N),
    Case("tab_cr_only_old_mac", 2023, clean(sep="\t", eol="\r"), "land", N),
    Case("semicolon_crlf_codes", 2023, clean(labels=False), "land", N),
    # --- layout
    Case("excel_sep_line", 2023, clean(encoding="cp1252", sep_line=True), "land", N, header_row=2),
    Case("title_rows_footer_and_empty_columns", 2023,
         clean(title=["SKR Folkhälsoenkät 2023", "Export 2023-11-02;;;"], footer=["Källa: SKR", "Totalt 30 svar"],
               trailing_empty_columns=2), "land", N, header_row=3),
    Case("sep_line_and_title_rows", 2023, clean(sep=",", sep_line=True, title=["Rapport: Alla svar"]), "land", N,
         header_row=3),
    Case("xlsx_title_row_and_footer", 2023, xlsx_with_title, "land", N, suffix=".xlsx", header_row=3),
    Case("no_header_anywhere", 2023, lambda: "Rapport\nInga data\n".encode(), "reject", 0,
         message="searched rows 1–2"),
    # --- empty and partial
    Case("header_only_no_rows", 2023, lambda: export_bytes(2023, []), "reject", 0, message="no data rows"),
    Case("partial_resubmission_held_for_review", 2023,
         lambda: export_bytes(2023, respondents(2023, 10, seed=11)), "land_with_warnings", 10,
         before=[clean()], review="pending_review", rules={"partial_resubmission": 1}),
    Case("fuller_resubmission_replaces", 2023,
         lambda: export_bytes(2023, respondents(2023, 20, seed=12)), "land", 20, before=[clean()]),
    # --- the wrong questionnaire
    Case("2022_questionnaire_as_2023_texts", 2023, clean(2022, encoding="cp1252"), "reject", 0,
         message="this looks like the 2022 questionnaire"),
    Case("2022_questionnaire_as_2023_bare_codes", 2023, clean(2022, texts=False), "reject", 0,
         message="this looks like the 2022 questionnaire"),
    Case("2023_questionnaire_as_2022_codes", 2022, clean(2023, labels=False, texts=False), "reject", 0,
         message="this looks like the 2023 questionnaire"),
    Case("2023_questionnaire_as_2022_texts", 2022, clean(2023), "reject", 0,
         message="this looks like the 2023 questionnaire"),
    Case("2023_answers_submitted_in_2021", 2023,
         lambda: export_bytes(2023, respondents(2023, N, seed=13, submitted_year=2021)), "land_with_warnings", N,
         rules={"submitted_outside_survey_year": 1}, message="30 responses were submitted outside"),
    # --- names for codes
    Case("official_names_instead_of_codes", 2023, names_for_codes, "land", N + 3),
    Case("misspelt_name_gets_a_hint", 2023, names_with_typo, "land_with_warnings", N - 1,
         rules={"unknown_respondent_name": 1}, message="Closest official name"),
    # --- too many answers outside the codebook
    Case("a_third_of_the_answers_fail", 2023, garbage_answers, "reject", 0, message="the whole file is rejected"),
]

def rejection_text(result) -> str:
    """The rejection messages of a LandResult (dict entries or landing.Rejection objects)."""
    out = []
    for r in result.rejected:
        if isinstance(r, dict):
            out += r["errors"]
        else:
            out += [f"{i.message_sv} / {i.message_en}" for i in r.errors]
    return " ".join(out)


def warning_text(result) -> str:
    """Warnings and row-level errors of a landed export."""
    if result.warnings and isinstance(result.warnings[0], dict):
        return " ".join(w["message"] for w in result.warnings)
    return " ".join(f"{i.message_sv} / {i.message_en}" for i in result.issues if i.severity != "normalised")


def export_batches(landing: Path) -> list[Path]:
    """Batches that landed an export (a rejected file lands only its issues)."""
    return [m.parent for m in landing.glob(f"{SOURCE}/*/_manifest.json")
            if (m.parent / "exports.parquet").exists() and pl.read_parquet(m.parent / "exports.parquet").height]


OUTCOME = {"landed": "land", "landed_with_warnings": "land_with_warnings", "pending_review": "land_with_warnings",
           "rejected": "reject"}


def test_the_corpus_is_big_and_varied_enough():
    assert len(CASES) >= 20
    assert {c.outcome for c in CASES} == {"land", "land_with_warnings", "reject"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_export_has_its_expected_outcome_and_respondents(case: Case, tmp_path: Path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    for i, build in enumerate(case.before):
        p = tmp_path / f"before{i}" / f"skr_enkat_{case.year}.csv"
        p.parent.mkdir()
        p.write_bytes(build())
        r, rep = land_survey_export(p, case.year, CODEBOOKS, landing, archive)
        assert rep.outcome == "landed", (rep, r.rejected)
    path = tmp_path / f"skr_enkat_{case.year}_ny{case.suffix}"
    path.write_bytes(case.build())
    result, report = land_survey_export(path, case.year, CODEBOOKS, landing, archive)

    errors = rejection_text(result)
    assert OUTCOME[report.outcome] == case.outcome, (report, errors)
    assert report.respondents == case.respondents
    if case.outcome == "reject":
        assert result.rejected and path.name in errors
        assert len(export_batches(landing)) == len(case.before)   # nothing of the file landed
    else:
        assert not result.rejected
        batch = landing / SOURCE / result.landed[0]
        resp = pl.read_parquet(batch / "respondents.parquet")
        assert resp.filter("is_counted").height == case.respondents
        export = pl.read_parquet(batch / "exports.parquet").row(0, named=True)
        assert export["review_status"] == case.review
        assert export["header_row"] == (case.header_row or 1)
        if case.encoding:
            assert export["encoding"] == case.encoding
        answers = pl.read_parquet(batch / "answers.parquet")
        labels = answers["answer_label"].drop_nulls().to_list()
        assert labels and not any(ch in "".join(labels) for ch in "ÃÂŒŠš‰√"), "mojibake landed"
        assert bool(report.counts) == (case.outcome == "land_with_warnings"), report.counts
    for rule, n in case.rules.items():
        assert report.counts.get(rule) == n, report.counts
    if case.message:
        text = errors + warning_text(result)
        assert case.message in text, text


def test_mac_roman_read_as_windows1252_would_have_been_mojibake():
    """The bug this guards against: the same Mac Roman bytes decoded the old way give Œ/Š/š."""
    data = export_bytes(2023, respondents(2023, 5, seed=20), encoding="mac-roman")
    wrong = data.decode("cp1252", errors="replace")
    assert "hšgt" in wrong.lower() or "Š" in wrong or "Œ" in wrong


def test_rejected_encoding_names_every_encoding_tried_and_shows_a_garbled_sample(tmp_path):
    p = tmp_path / "skr_enkat_2023.csv"
    p.write_bytes(mixed_8bit())
    result, report = land_survey_export(p, 2023, CODEBOOKS, tmp_path / "landing", tmp_path / "archive")
    msg = rejection_text(result)
    for enc in ("utf-8", "windows-1252", "mac-roman"):
        assert enc in msg
    assert "Sample:" in msg and "Exempel:" in msg
    assert "Önskar" not in msg and "nätverksträffar" not in msg   # never free text


def test_pending_export_is_accepted_by_command_and_then_current(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    full, part = tmp_path / "a" / "skr_enkat_2023.csv", tmp_path / "b" / "skr_enkat_2023_omleverans.csv"
    full.parent.mkdir(), part.parent.mkdir()
    full.write_bytes(export_bytes(2023, respondents(2023, N, seed=30)))
    part.write_bytes(export_bytes(2023, respondents(2023, 5, seed=31, submitted_year=2024)))
    land_survey_export(full, 2023, CODEBOOKS, landing, archive)
    _, rep = land_survey_export(part, 2023, CODEBOOKS, landing, archive)
    assert rep.outcome == "pending_review"
    assert current_export(landing, 2023).file == full.name
    assert [e.file for e in pending_exports(landing)] == [part.name]
    accepted = accept_export(landing, part.name, empty_tables())
    assert accepted.review_status == "accepted" and pending_exports(landing) == []
    assert current_export(landing, 2023).file == part.name   # its answers are later


def test_last_years_file_copied_under_this_years_name_is_rejected_not_skipped(tmp_path):
    """The same bytes already landed for 2022: content addressing must not skip it as 'unchanged'."""
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    data = export_bytes(2022, respondents(2022, N, seed=40))
    old, new = tmp_path / "skr_enkat_2022.csv", tmp_path / "skr_enkat_2023.csv"
    old.write_bytes(data)
    new.write_bytes(data)
    assert land_survey_export(old, 2022, CODEBOOKS, landing, archive)[1].outcome == "landed"
    result, report = land_survey_export(new, 2023, CODEBOOKS, landing, archive)
    assert report.outcome == "rejected" and not result.skipped
    assert "this looks like the 2022 questionnaire" in rejection_text(result)
    assert land_survey_export(old, 2022, CODEBOOKS, landing, archive)[1].outcome == "skipped"


def test_export_outside_the_run_years_is_reported_not_skipped(tmp_path):
    survey = tmp_path / "in" / "survey"
    survey.mkdir(parents=True)
    (survey / "skr_enkat_2021.csv").write_bytes(export_bytes(2023, respondents(2023, 5, seed=50)))
    result = land_surveys(tmp_path / "in", [2022, 2023], CODEBOOKS, tmp_path / "landing", tmp_path / "archive", None)
    issues = [i for i in result.issues if i.rule == "outside_run_years"]
    assert [(i.file, i.severity) for i in issues] == [("skr_enkat_2021.csv", "warning")]
    assert "2021" in issues[0].message_en and "2022, 2023" in issues[0].message_en
    assert not result.landed


def test_a_pending_export_is_reported_every_night_until_accepted(tmp_path):
    survey = tmp_path / "in" / "survey"
    survey.mkdir(parents=True)
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    (survey / "skr_enkat_2023.csv").write_bytes(export_bytes(2023, respondents(2023, N, seed=51)))
    land_surveys(tmp_path / "in", [2023], CODEBOOKS, landing, archive, None)
    (survey / "skr_enkat_2023_ny.csv").write_bytes(export_bytes(2023, respondents(2023, 4, seed=52)))
    first = land_surveys(tmp_path / "in", [2023], CODEBOOKS, landing, archive, None)
    assert [i.rule for i in first.issues if "pending" in i.rule or "partial_re" in i.rule] == ["partial_resubmission"]
    again = land_surveys(tmp_path / "in", [2023], CODEBOOKS, landing, archive, None)
    waiting = [i for i in again.issues if i.rule == "pending_review_waiting"]
    assert [i.file for i in waiting] == ["skr_enkat_2023_ny.csv"] and not again.landed
    accept_export(landing, "skr_enkat_2023_ny.csv", empty_tables())
    after = land_surveys(tmp_path / "in", [2023], CODEBOOKS, landing, archive, None)
    assert not [i for i in after.issues if i.rule == "pending_review_waiting"]


def test_accept_survey_command(tmp_path):
    """`folkhalsa accept-survey` as a user runs it (a real subprocess)."""
    import subprocess
    import sys

    out = tmp_path / "out"
    landing, archive = out / "landing", out / "archive"
    full, part = tmp_path / "a" / "skr_enkat_2023.csv", tmp_path / "b" / "skr_enkat_2023_omleverans.csv"
    full.parent.mkdir(), part.parent.mkdir()
    full.write_bytes(export_bytes(2023, respondents(2023, N, seed=60)))
    part.write_bytes(export_bytes(2023, respondents(2023, 3, seed=61)))
    land_survey_export(full, 2023, CODEBOOKS, landing, archive)
    assert land_survey_export(part, 2023, CODEBOOKS, landing, archive)[1].outcome == "pending_review"
    cli = [sys.executable, "-m", "folkhalsa", "accept-survey"]
    wrong = subprocess.run([*cli, "skr_enkat_2022.csv", "--output", str(out)], capture_output=True, text=True)
    assert wrong.returncode == 1 and "skr_enkat_2023_omleverans.csv" in wrong.stderr   # lists what is pending
    ok = subprocess.run([*cli, part.name, "--output", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "skr_enkat_2023_omleverans.csv" in ok.stdout and pending_exports(landing) == []
