"""SKR member survey: codebooks, reading, validation, landing and the sample exports."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folkhalsa.landing import PROVENANCE_COLUMNS, read_manifest
from folkhalsa.sample.survey import SAMPLE_PLAN, write_sample_survey
from folkhalsa.settings import PROJECT_ROOT
from folkhalsa.sources.survey import (
    SOURCE, SurveyError, codebook_path, decode_text, discover_exports, land_survey, load_codebook,
    load_reference, misnamed_exports, parse_respondent_code, read_export, sniff_separator, validate,
)

CODEBOOKS = PROJECT_ROOT / "data" / "codebooks"
RECEIVED = datetime(2024, 1, 15, 3, 0, tzinfo=timezone.utc)
SECRET = 'Bra stöd; tack, "särskilt" för nätverket.\nÅsa på Östra kontoret'

TEST_CODEBOOK = {
    "year": 2022, "version": "test",
    "questions": [
        {"code": "RES1", "concept_id": "res_coordinator", "text_sv": "Finns en samordnare?", "type": "single",
         "applies_to": "both", "answers": [{"code": 1, "label": "Ja"}, {"code": 2, "label": "Nej"},
                                           {"code": 9, "label": "Vet ej"}]},
        {"code": "SAM1", "concept_id": "collab", "text_sv": "Med vilka samverkar ni?", "type": "multi",
         "applies_to": "both", "answers": [{"code": 1, "label": "Regionen"}, {"code": 2, "label": "Länsstyrelsen"},
                                           {"code": 3, "label": "Civilsamhällets organisationer"}]},
        {"code": "RES2", "concept_id": "fte", "text_sv": "Årsarbetskrafter?", "type": "decimal",
         "applies_to": "both", "min": 0, "max": 100},
        {"code": "SAM2", "concept_id": "agreement", "text_sv": "Överenskommelse med kommunerna?",
         "type": "single", "applies_to": "region",
         "answers": [{"code": 1, "label": "Ja"}, {"code": 2, "label": "Nej"}]},
        {"code": "FRI1", "concept_id": "comments", "text_sv": "Övriga synpunkter", "type": "text",
         "applies_to": "both"},
    ],
}

# The same answers as codes; render() writes them as labels or codes.
ROWS = [
    ("0114", "2022-10-03 14:22", {"RES1": 1, "SAM1": [1, 3], "RES2": 1.5, "SAM2": None, "FRI1": SECRET}),
    ("1480", "2022-10-04 09:00", {"RES1": 9, "SAM1": [2], "RES2": 0.5, "SAM2": None, "FRI1": None}),
    ("0001", "2022-10-05 10:30", {"RES1": 2, "SAM1": [3], "RES2": 12.25, "SAM2": 1, "FRI1": None}),
    ("2584", "2022-10-06 08:15", {"RES1": 1, "SAM1": [1], "RES2": None, "SAM2": None, "FRI1": None}),
]


@pytest.fixture
def codebook_dir(tmp_path: Path) -> Path:
    d = tmp_path / "codebooks"
    d.mkdir()
    (d / "skr_2022.yml").write_text(yaml.safe_dump(TEST_CODEBOOK, allow_unicode=True), "utf-8")
    return d


def render(rows=ROWS, *, labels: bool, sep: str, decimal_comma: bool, encoding: str) -> bytes:
    """An export as a survey tool writes it."""
    book = TEST_CODEBOOK["questions"]
    names = {q["code"]: {a["code"]: a["label"] for a in q.get("answers", [])} for q in book}
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(["Respondentkod", "Organisation", "Inskickad"] + [f"{q['code']}. {q['text_sv']}" for q in book])
    for code, sent, answers in rows:
        cells = []
        for q in book:
            v = answers.get(q["code"])
            if v is None:
                cells.append("")
            elif q["type"] == "multi":
                cells.append("|".join(names[q["code"]][c] if labels else str(c) for c in v))
            elif q["type"] == "single":
                cells.append(names[q["code"]][v] if labels else str(v))
            elif q["type"] == "decimal":
                cells.append(str(v).replace(".", ",") if decimal_comma else str(v))
            else:
                cells.append(v)
        w.writerow([code, "Organisation Å", sent] + cells)
    return buf.getvalue().encode(encoding)


def land(path: Path, tmp_path: Path, codebook_dir: Path, year: int = 2022, **kwargs):
    landing = tmp_path / "landing"
    result = land_survey(path, year, codebook_dir, landing, tmp_path / "archive", received_at=RECEIVED, **kwargs)
    return result, landing


def landed(landing: Path, batch: str, table: str) -> pl.DataFrame:
    return pl.read_parquet(landing / SOURCE / batch / f"{table}.parquet")


def content(df: pl.DataFrame) -> pl.DataFrame:
    """A landed table without provenance, for comparing two exports of the same answers."""
    return df.drop(PROVENANCE_COLUMNS).sort(df.drop(PROVENANCE_COLUMNS).columns, nulls_last=True)


# ---------------------------------------------------------------- codebooks

def test_codebooks_load_and_differ_between_years_by_design():
    b22, b23 = load_codebook(codebook_path(CODEBOOKS, 2022)), load_codebook(codebook_path(CODEBOOKS, 2023))
    assert (b22.year, b23.year) == (2022, 2023)
    # Reworded question, same concept.
    assert b22.question("STY1").concept_id == b23.question("STY1").concept_id
    assert b22.question("STY1").text_sv != b23.question("STY1").text_sv
    # Renumbered answer code: "Vet ej" is 9 in 2022, 4 in 2023.
    assert {a.label: a.code for a in b22.question("PRI3").answers}["Vet ej"] == 9
    assert {a.label: a.code for a in b23.question("PRI3").answers}["Vet ej"] == 4
    # New question UPF2; last year's UPF2 concept is now UPF3.
    assert b23.question("UPF2").concept_id not in {q.concept_id for q in b22.questions}
    assert b23.question("UPF3").concept_id == b22.question("UPF2").concept_id
    # Every målområde has a priority question, support is asked per målområde, one free text.
    for book in (b22, b23):
        assert {q.target_area for q in book.questions if q.concept_id.startswith("prio_")} == set(range(1, 9))
        assert {a.target_area for a in book.question("STO1").answers} == set(range(1, 9))
        assert [q.type for q in book.questions].count("text") == 1
        assert {q.applies_to for q in book.questions} == {"both", "kommun", "region"}


def test_codebook_rejects_a_numeric_label(tmp_path: Path):
    bad = {**TEST_CODEBOOK, "questions": [{**TEST_CODEBOOK["questions"][0],
                                           "answers": [{"code": 1, "label": "1"}, {"code": 2, "label": "Nej"}]}]}
    p = tmp_path / "skr_2022.yml"
    p.write_text(yaml.safe_dump(bad, allow_unicode=True), "utf-8")
    with pytest.raises(SurveyError, match="RES1"):
        load_codebook(p)


# ---------------------------------------------------------------- reading

@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "windows-1252"), ("utf-16", "utf-16")])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_each_encoding_and_separator_is_detected_and_reads_the_same(tmp_path, encoding, expected, sep):
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(labels=True, sep=sep, decimal_comma=False, encoding=encoding))
    df, info = read_export(p)
    assert (info.encoding, info.separator, info.format) == (expected, sep, "csv")
    assert df["Respondentkod"].to_list() == ["0114", "1480", "0001", "2584"]
    assert df["FRI1. Övriga synpunkter"][0] == SECRET
    assert df["SAM1. Med vilka samverkar ni?"][0] == "Regionen|Civilsamhällets organisationer"
    assert df["_row"].to_list() == [2, 4, 5, 6]   # the line a row starts on; the free text spans 2-3
    assert not any("Ã" in (v or "") for col in df.columns[:-1] for v in df[col])


def test_decimal_comma_is_detected_and_read(tmp_path, codebook_dir):
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    _, info = read_export(p)
    assert info.decimal_comma
    result, landing = land(p, tmp_path, codebook_dir)
    a = landed(landing, result.landed[0], "answers").filter(pl.col("question_code") == "RES2")
    assert sorted(a["value_numeric"].to_list()) == [0.5, 1.5, 12.25]


def test_double_encoded_utf8_is_repaired_not_landed_as_mojibake():
    broken = "Respondentkod;Svar\n0114;Fördelat på flera förvaltningar\n".encode("utf-8").decode("cp1252")
    text, enc = decode_text(broken.encode("utf-8"), "x.csv")
    assert "Fördelat på flera förvaltningar" in text and "Ã" not in text
    assert "reparerad" in enc


def test_mixed_encoding_is_a_clear_error_not_mojibake():
    data = "Respondentkod;Svar\n0114;Fördelat på\n".encode("utf-8") + "0115;Västerås\n".encode("cp1252")
    with pytest.raises(SurveyError, match="rad 3"):
        decode_text(data, "x.csv")


def test_separator_ignores_commas_in_a_semicolon_header():
    text = "Respondentkod;Inskickad;PRI2. Kunskaper, kompetenser och utbildning?\n0114;2022-10-01;Ja\n"
    assert sniff_separator(text) == ";"


def test_xlsx_reads_like_csv(tmp_path, codebook_dir):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Svar"
    for row in csv.reader(io.StringIO(render(labels=False, sep=";", decimal_comma=False, encoding="utf-8").decode(),
                                      newline=""), delimiter=";"):
        ws.append(row)
    ws["A2"] = 114   # a kommunkod stored as a number loses its leading zero
    ws["C2"] = datetime(2022, 10, 3, 14, 22)
    xlsx = tmp_path / "skr_enkat_2022.xlsx"
    wb.save(xlsx)
    csv_path = tmp_path / "skr_enkat_2022.csv"
    csv_path.write_bytes(render(labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    r1, l1 = land(xlsx, tmp_path / "a", codebook_dir)
    r2, l2 = land(csv_path, tmp_path / "b", codebook_dir)
    assert landed(l1, r1.landed[0], "exports")["sheet"][0] == "Svar"
    resp = [content(landed(l, r.landed[0], "respondents")) for l, r in ((l1, r1), (l2, r2))]
    assert resp[0].filter(pl.col("respondent_code") == "0114")["respondent_code_raw"].to_list() == ["114"]
    assert resp[0].drop("respondent_code_raw").equals(resp[1].drop("respondent_code_raw"))
    assert content(landed(l1, r1.landed[0], "answers")).equals(content(landed(l2, r2.landed[0], "answers")))


# ---------------------------------------------------------------- validation and landing

def test_windows1252_semicolon_labels_and_utf8bom_comma_codes_land_identically(tmp_path, codebook_dir):
    a = tmp_path / "a" / "skr_enkat_2022.csv"
    b = tmp_path / "b" / "skr_enkat_2022.csv"
    a.parent.mkdir(), b.parent.mkdir()
    a.write_bytes(render(labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    b.write_bytes(render(labels=False, sep=",", decimal_comma=False, encoding="utf-8-sig"))
    ra, la = land(a, tmp_path / "a", codebook_dir)
    rb, lb = land(b, tmp_path / "b", codebook_dir)
    assert ra.landed and rb.landed and ra.landed != rb.landed
    for table in ("respondents", "answers", "codebook"):
        ta, tb = landed(la, ra.landed[0], table), landed(lb, rb.landed[0], table)
        assert ta.height > 0 and content(ta).equals(content(tb)), table
    ea, eb = landed(la, ra.landed[0], "exports"), landed(lb, rb.landed[0], "exports")
    assert ea.select("encoding", "separator", "answer_mode", "decimal_comma").row(0) == (
        "windows-1252", ";", "labels", True)
    assert eb.select("encoding", "separator", "answer_mode", "decimal_comma").row(0) == (
        "utf-8-sig", ",", "codes", False)
    labels = landed(la, ra.landed[0], "answers")["answer_label"].drop_nulls().to_list()
    assert "Civilsamhällets organisationer" in labels and not any("Ã" in v for v in labels)


def test_long_form_answers_carry_codebook_labels_and_free_text(tmp_path, codebook_dir):
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(labels=False, sep=",", decimal_comma=False, encoding="utf-8"))
    result, landing = land(p, tmp_path, codebook_dir)
    a = landed(landing, result.landed[0], "answers")
    first = a.filter(pl.col("respondent_code") == "0114").sort("question_code", "answer_code")
    assert first.select("question_code", "concept_id", "answer_code", "answer_label").rows() == [
        ("FRI1", "comments", None, None), ("RES1", "res_coordinator", 1, "Ja"),
        ("RES2", "fte", None, None), ("SAM1", "collab", 1, "Regionen"),
        ("SAM1", "collab", 3, "Civilsamhällets organisationer")]
    assert first.filter(pl.col("question_code") == "FRI1")["value_text"][0] == SECRET
    assert first["_row"].unique().to_list() == [2] and first["_batch_id"][0] == result.landed[0]
    assert result.rows["answers"] == a.height


def test_respondent_codes_kommun_region_and_bare_lanskod():
    ref = load_reference()
    assert len(ref.municipalities) == 290 and len(ref.counties) == 21
    assert parse_respondent_code("0114", ref).type == "kommun"
    assert parse_respondent_code("114", ref).code == "0114"          # leading zero restored
    region = parse_respondent_code("0001", ref)
    assert (region.code, region.type, region.county_code) == ("0001", "region", "01")
    assert parse_respondent_code("01", ref).code == "0001"           # bare länskod accepted
    assert parse_respondent_code("25", ref).code == "0025"
    for bad in ("0000", "0002", "0199", "9999", "Region Skåne", "", None, "12345"):
        assert parse_respondent_code(bad, ref) is None


def test_duplicates_keep_the_latest_by_timestamp_not_by_row_order(tmp_path, codebook_dir):
    rows = [ROWS[0],
            ("1480", "2022-10-09 16:00", {**ROWS[1][2], "RES1": 2}),   # latest, but earlier in the file
            ROWS[1],                                                  # 2022-10-04: superseded
            ROWS[2]]
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(rows, labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    result, landing = land(p, tmp_path, codebook_dir)
    r = landed(landing, result.landed[0], "respondents").filter(pl.col("respondent_code") == "1480").sort("_row")
    assert r.select("_row", "is_duplicate_dropped", "is_counted").rows() == [(4, False, True), (5, True, False)]
    issues = landed(landing, result.landed[0], "issues").filter(pl.col("rule") == "duplicate_respondent")
    assert issues.select("row", "severity").rows() == [(5, "warning")]
    assert "rad 4" in issues["message_sv"][0]
    assert any(w.row == 5 and w.rule == "duplicate_respondent" and "rad/row 5" in w.message() for w in result.warnings)


def test_unknown_and_missing_respondents_are_reported_and_good_rows_kept(tmp_path, codebook_dir):
    rows = [("9999", "2022-10-01 10:00", ROWS[0][2]), ("", "2022-10-01 11:00", ROWS[1][2])] + ROWS[1:3]
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(rows, labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    result, landing = land(p, tmp_path, codebook_dir)
    r = landed(landing, result.landed[0], "respondents")
    assert r.filter("is_counted")["respondent_code"].to_list() == ["1480", "0001"]
    assert r.filter(~pl.col("is_known"))["respondent_code_raw"].to_list() == ["9999", None]
    issues = landed(landing, result.landed[0], "issues").filter(pl.col("severity") == "error")
    assert issues.select("row", "rule", "value").rows() == [
        (2, "unknown_respondent", "9999"), (4, "missing_respondent", None)]


def test_partial_responses_are_flagged_and_counted(tmp_path, codebook_dir):
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    result, landing = land(p, tmp_path, codebook_dir)
    r = landed(landing, result.landed[0], "respondents").sort("_row")
    # 2584 skipped RES2; the region 0001 has one more applicable question (SAM2) and answered it.
    assert r.select("respondent_code", "n_applicable", "n_answered", "is_partial", "is_counted").rows() == [
        ("0114", 3, 3, False, True), ("1480", 3, 3, False, True),
        ("0001", 4, 4, False, True), ("2584", 3, 2, True, True)]
    issues = landed(landing, result.landed[0], "issues").filter(pl.col("rule") == "partial_response")
    assert issues["row"].to_list() == [6]


def test_bad_answers_are_reported_and_the_rest_of_the_row_kept(tmp_path, codebook_dir):
    text = ("Respondentkod;Inskickad;RES1;SAM1;RES2;SAM2;FRI1\n"
            "0114;2022-10-01 10:00;Kanske;Regionen|Grannkommunen;1,2.5;Ja;\n"
            "0115;2022-10-01 11.30;ja;3;-1;;\n"
            "0117;igår;Nej;;2;;;extra\n"
            "0120;2022-10-02T09:00:00+02:00;Vet ej;;3,0;;\n")
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(text.encode("utf-8"))
    # 4 of 9 answers fail: above the 5 % limit the whole file is rejected ...
    rejected, _ = land(p, tmp_path / "strict", codebook_dir)
    assert rejected.rows["respondents"] == 0 and "4 av 9 svar" in rejected.rejected[0].errors[0].message_sv
    # ... with the limit lifted, each bad answer is reported and the rest of its row kept.
    result, landing = land(p, tmp_path, codebook_dir, max_failed_share=1.0)
    issues = landed(landing, result.landed[0], "issues")
    found = set(issues.select("row", "column", "rule").rows())
    assert {(2, "RES1", "answer_not_in_codebook"), (2, "SAM1", "answer_not_in_codebook"),
            (2, "RES2", "invalid_number"), (2, "SAM2", "not_applicable"),
            (3, "RES2", "out_of_range"), (4, None, "ragged_row")} <= found
    a = landed(landing, result.landed[0], "answers")
    assert a.filter(pl.col("_row") == 2).select("question_code", "answer_code").rows() == [("SAM1", 1)]
    assert a.filter(pl.col("_row") == 3).select("question_code", "answer_code").rows() == [
        ("RES1", 1), ("SAM1", 3)]   # label matching ignores case; codes and labels may mix
    r = landed(landing, result.landed[0], "respondents").sort("_row")
    assert r["respondent_code"].to_list() == ["0114", "0115", "0120"]   # the ragged row is not read
    assert r["submitted_at"].to_list() == [
        datetime(2022, 10, 1, 10), datetime(2022, 10, 1, 11, 30), datetime(2022, 10, 2, 9)]
    assert landed(landing, result.landed[0], "exports")["answer_mode"][0] == "mixed"


def test_free_text_never_reaches_messages_or_the_land_result(tmp_path, codebook_dir):
    rows = [(c, t, {**a, "FRI1": SECRET, "RES2": SECRET if c == "1480" else a["RES2"]}) for c, t, a in ROWS]
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(rows, labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    strict, _ = land(p, tmp_path / "strict", codebook_dir)   # 1 of 11 answers fails: over 5 %, rejected
    assert strict.rejected and strict.rows["answers"] == 0
    result, landing = land(p, tmp_path, codebook_dir, max_failed_share=1.0)
    issues = landed(landing, result.landed[0], "issues")
    assert "invalid_number" in issues["rule"].to_list()
    dumped = json.dumps(result.__dict__, ensure_ascii=False, default=str)
    dumped += json.dumps(strict.__dict__, ensure_ascii=False, default=str)
    dumped += json.dumps(read_manifest(landing, SOURCE, result.landed[0]), ensure_ascii=False)
    dumped += " ".join(issues["message_sv"].to_list() + issues["message_en"].to_list())
    for fragment in ("särskilt", "Åsa", "Östra"):
        assert fragment not in dumped
    assert landed(landing, result.landed[0], "answers")["value_text"].drop_nulls().to_list() == [SECRET] * 4


def test_landing_twice_is_skipped_and_unreadable_files_are_rejected(tmp_path, codebook_dir):
    p = tmp_path / "skr_enkat_2022.csv"
    p.write_bytes(render(labels=True, sep=";", decimal_comma=True, encoding="cp1252"))
    first, landing = land(p, tmp_path, codebook_dir)
    again, _ = land(p, tmp_path, codebook_dir)
    assert again.skipped == first.landed and not again.landed
    assert sorted(f.name for f in (landing / SOURCE / first.landed[0]).iterdir()) == [
        "_manifest.json", "answers.parquet", "codebook.parquet", "decisions.parquet", "exports.parquet",
        "issues.parquet", "respondents.parquet"]
    bad = tmp_path / "skr_enkat_2023.csv"
    bad.write_bytes(b"\x81\x8d\x8f\x90 inte en export")
    rejected, _ = land(bad, tmp_path, codebook_dir, year=2023)   # no 2023 codebook here either
    # A rejected export lands its issues only (no exports, respondents or answers rows).
    assert rejected.rejected and rejected.rejected[0].file == bad.name
    assert landed(landing, rejected.landed[0], "respondents").height == 0
    # No row matches the codebook: no header (issue 17 – the rows searched are named) ...
    bad.write_bytes(b"Namn;Svar\nA;B\n")
    rejected, _ = land(bad, tmp_path, codebook_dir, year=2022)
    assert "Respondentkod" in rejected.rejected[0].errors[0].message_sv
    assert rejected.rejected[0].errors[0].rule == "no_header"
    assert "rad 1–2" in rejected.rejected[0].errors[0].message_sv
    # ... a header of question codes without the respondent column: that column is missing.
    bad.write_bytes("Namn;RES1;SAM1\nA;Ja;Regionen\n".encode())
    for year in (2022,):
        rejected, _ = land(bad, tmp_path, codebook_dir, year=year)
        assert "Respondentkod" in rejected.rejected[0].errors[0].message_sv
        assert rejected.rejected[0].errors[0].rule == "missing_respondent_column"
    assert len(list((landing / SOURCE).iterdir())) == 4  # the good export and three rejected ones


def test_discover_exports(tmp_path):
    d = tmp_path / "survey"
    d.mkdir()
    for name in ("skr_enkat_2023.csv", "skr_enkat_2022.xlsx", "skr_enkat_2022_omleverans.csv", "anteckningar.txt"):
        (d / name).write_text("x")
    assert [(p.name, y) for p, y in discover_exports(tmp_path)] == [
        ("skr_enkat_2022.xlsx", 2022), ("skr_enkat_2022_omleverans.csv", 2022), ("skr_enkat_2023.csv", 2023)]
    assert [p.name for p in misnamed_exports(tmp_path)] == ["anteckningar.txt"]
    assert discover_exports(d) == discover_exports(tmp_path)   # the survey folder itself also works
    assert discover_exports(tmp_path / "saknas") == []


# ---------------------------------------------------------------- sample exports

@pytest.fixture(scope="module")
def sample_landing(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample")
    paths = write_sample_survey(tmp / "survey")
    results = {y: land_survey(p, y, CODEBOOKS, tmp / "landing", tmp / "archive", received_at=RECEIVED)
               for p, y in discover_exports(tmp)}
    return paths, results, tmp / "landing"


def test_sample_exports_land_with_exact_response_counts(sample_landing):
    paths, results, landing = sample_landing
    assert [p.name for p in paths] == ["skr_enkat_2022.csv", "skr_enkat_2023.csv"]
    expected = {2022: {"kommun": 251, "region": 18, "raw": 272}, 2023: {"kommun": 262, "region": 19, "raw": 284}}
    for year, want in expected.items():
        res = results[year]
        assert not res.rejected and len(res.landed) == 1
        r = landed(landing, res.landed[0], "respondents")
        counted = r.filter("is_counted")
        assert r.height == want["raw"]
        assert counted.filter(pl.col("respondent_type") == "kommun").height == want["kommun"]
        assert counted.filter(pl.col("respondent_type") == "region").height == want["region"]
        assert counted["respondent_code"].n_unique() == counted.height
        assert counted.filter("is_partial").height == 4
        assert r.filter("is_duplicate_dropped").height == 2
        assert r.filter(~pl.col("is_known"))["respondent_code_raw"].to_list() == ["0199"]
        rules = landed(landing, res.landed[0], "issues")["rule"].to_list()
        assert rules.count("answer_not_in_codebook") == 1 and rules.count("unknown_respondent") == 1
        assert landed(landing, res.landed[0], "answers")["value_text"].drop_nulls().len() > 0


def test_sample_exports_have_the_promised_formats(sample_landing):
    paths, results, landing = sample_landing
    e22 = landed(landing, results[2022].landed[0], "exports").row(0, named=True)
    e23 = landed(landing, results[2023].landed[0], "exports").row(0, named=True)
    assert (e22["encoding"], e22["separator"], e22["decimal_comma"], e22["answer_mode"]) == (
        "windows-1252", ";", True, "labels")
    assert (e23["encoding"], e23["separator"], e23["decimal_comma"], e23["answer_mode"]) == (
        "utf-8-sig", ",", False, "codes")
    assert paths[1].read_bytes().startswith(b"\xef\xbb\xbf")
    assert SAMPLE_PLAN[2022]["encoding"] == "cp1252"


def test_sample_is_deterministic_and_scale_keeps_the_landed_result(tmp_path):
    a = write_sample_survey(tmp_path / "a")
    b = write_sample_survey(tmp_path / "b")
    c = write_sample_survey(tmp_path / "c", seed=7)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != c[0].read_bytes()
    big = write_sample_survey(tmp_path / "big", scale=3)
    res = land_survey(big[0], 2022, CODEBOOKS, tmp_path / "landing", tmp_path / "archive")
    r = landed(tmp_path / "landing", res.landed[0], "respondents")
    assert r.height > 3 * 269
    assert r.filter("is_counted").group_by("respondent_type").len().sort("respondent_type").rows() == [
        ("kommun", 251), ("region", 18)]


# ---------------------------------------------------------------- robustness

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8")),
       suffix=st.sampled_from([".csv", ".xlsx"]))
def test_arbitrary_bytes_never_crash_reading(tmp_path, codebook_dir, data, suffix):
    p = tmp_path / f"skr_enkat_2022{suffix}"
    p.write_bytes(data)
    try:
        raw, _ = read_export(p)
        validate(raw, load_codebook(codebook_dir / "skr_2022.yml"), load_reference(), file=p.name)
    except SurveyError as e:
        assert p.name in str(e) and " / " in str(e)   # names the file, Swedish / English
