"""Indicator sources against real table shapes: the catalogue's evidence, selections on Folkhälsodata
PxWeb v1 tables (category variable, measure variable 01-04, both sex-code styles, pinned variables,
maxValues), check-sources offline and online, and an online `folkhalsa run` against the fixture server.

Table and page shapes come from public evidence, see tests/indicator_api_fixtures.py and
docs/indicator_sources.md.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from folkhalsa.cli import app
from folkhalsa.settings import PROJECT_ROOT
from folkhalsa.sources.check import MISSING_CATEGORY, MISSING_TABLE, check_online, exit_code
from folkhalsa.sources.indicators import (fetch_snapshots, harmonise_jsonstat, is_unverified, kolada_area_ids,
                                          land_indicators, load_catalogue, pxweb_selection, unverified_sources)
from folkhalsa.io.pxweb import query_body
from folkhalsa.sources.pxweb_tables import TableMismatch
from tests.http_fixture_server import FixtureServer, Sleeps
from tests.indicator_api_fixtures import KOLADA_ROOT, PX_ROOT, SCB_ROOT, serve_folkhalsodata, serve_kolada, serve_scb

SAMPLE = PROJECT_ROOT / "data" / "sample"
SOCIAL = "A_Folkhalsodata/B_HLV/eSocialarel/aSocialarel/hlv1socxreg.px"


@pytest.fixture(scope="module")
def catalogue() -> pl.DataFrame:
    return load_catalogue(PROJECT_ROOT / "dbt")


def _row(catalogue, code: str) -> dict:
    return catalogue.filter(pl.col("code") == code).row(0, named=True)


# --------------------------------------------------------------------------- catalogue

def test_every_row_has_evidence_and_a_source_status(catalogue):
    rows = list(csv.DictReader(open(PROJECT_ROOT / "dbt" / "seeds" / "indicator_catalogue.csv", encoding="utf-8")))
    assert len(rows) == 35 and all(r["evidence"].strip() for r in rows)
    status = {r["code"]: r["source_status"] for r in rows}
    verified = [c for c, s in status.items() if s == "verified"]
    assert all(r["verified_on"] for r in rows if r["code"] in verified)
    assert len(verified) == 26
    # FoHM's own pages list 3.3, 3.4 and 5.1 as planned indicators and H5 as not decided (evidence round 4).
    assert {c: s for c, s in status.items() if s != "verified"} == {
        "H5": "not_decided", "1.1": "unverified", "3.3": "planned_by_source", "3.4": "planned_by_source",
        "4.4": "unverified", "5.1": "planned_by_source", "5.4": "unverified", "8.1": "unverified",
        "8.2": "unverified"}
    warned = unverified_sources(catalogue)
    assert sorted(w.value for w in warned) == sorted(c for c in status if c not in verified)
    assert all(w.severity == "warning" and "not verified" in w.message() for w in warned)
    planned = next(w for w in warned if w.value == "3.3")
    assert "planned_by_source" in planned.message() and "Planerade indikatorer" in planned.message()


@pytest.mark.parametrize("status, evidence, verified_on, error", [
    ("verifed", "github.com/x", "2026-12-07", "source_status 'verifed'"),
    ("verified", "unverified: nothing seen", "2026-12-07", "evidence says unverified"),
    ("planned_by_source", "github.com/x", "", "must start with 'unverified'"),
    ("verified", "github.com/x", "", "is not a date"),
])
def test_a_source_status_that_disagrees_with_its_evidence_is_refused(tmp_path, status, evidence, verified_on, error):
    dbt = tmp_path / "dbt"
    shutil.copytree(PROJECT_ROOT / "dbt" / "seeds", dbt / "seeds")
    p = dbt / "seeds" / "indicator_catalogue.csv"
    rows = list(csv.DictReader(p.open(encoding="utf-8")))
    row = next(r for r in rows if r["code"] == "6.2")
    row.update(source_status=status, evidence=evidence, verified_on=verified_on)
    with p.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(ValueError, match=re.escape("6.2: ") + ".*" + re.escape(error)):
        load_catalogue(dbt)


def test_kolada_ids_are_the_verified_ones_and_type_k_has_no_county_value(catalogue):
    kpis = dict(catalogue.filter(pl.col("source") == "kolada").select("code", "kpi_id").iter_rows())
    assert kpis == {"1.2": "N11800", "1.3": "N11050", "2.1": "N15030", "2.2": "N15428", "2.3": "N17461",
                    "3.1": "N03926", "3.2": "N02797", "4.4": "N00989", "5.2": "N07907", "7.1": "N05401"}
    r = _row(catalogue, "4.4")
    assert (r["kpi_type"], r["county_value"]) == ("K", "none") and is_unverified(r)


def test_type_k_kpis_are_fetched_for_kommuner_only(catalogue):
    assert kolada_area_ids(_row(catalogue, "4.4"), ["01", "03"], ["0114", "0305"]) == ["0114", "0305"]
    assert kolada_area_ids(_row(catalogue, "2.2"), ["01", "03"], ["0114"]) == ["0000", "0001", "0003", "0114"]
    assert kolada_area_ids(_row(catalogue, "3.1"), [], []) is None  # no areas known: every area


def test_a_type_k_kpi_with_a_county_value_is_refused(tmp_path):
    dbt = tmp_path / "dbt"
    shutil.copytree(PROJECT_ROOT / "dbt" / "seeds", dbt / "seeds")
    p = dbt / "seeds" / "indicator_catalogue.csv"
    p.write_text(p.read_text("utf-8").replace(",K,none,", ",K,source,"), "utf-8")
    with pytest.raises(ValueError, match="4.4: en KPI av typ K"):
        load_catalogue(dbt)


# --------------------------------------------------------------------------- selections on real shapes

SOCIAL_META = {"title": "Sociala relationer efter region, kön och år", "variables": [
    {"code": "Region", "text": "region", "values": ["00", "01", "20"],
     "valueTexts": ["00 Riket", "01 Stockholms län", "20 Dalarnas län"]},
    {"code": "Sociala relationer", "text": "sociala relationer", "values": ["35", "40", "41"],
     "valueTexts": ["Lågt socialt deltagande", "Låg tillit till samhällets institutioner**",
                    "Svårt att lita på andra"]},
    {"code": "Andel och konfidensintervall", "text": "andel och konfidensintervall",
     "values": ["01", "02", "03", "04"],
     "valueTexts": ["Andel", "Konfidensintervall nedre gräns", "Konfidensintervall övre gräns", "Antal svar"]},
    {"code": "Kön", "text": "kön", "values": ["00", "01", "02"], "valueTexts": ["Totalt", "Kvinnor", "Män"]},
    {"code": "År", "text": "år", "values": ["2018-2021", "2019-2022"], "valueTexts": ["2018-2021", "2019-2022"],
     "time": True}]}


def test_category_by_text_measure_variable_and_survey_sex_codes(catalogue):
    sel = pxweb_selection(SOCIAL_META, _row(catalogue, "7.2"), [2022])
    assert sel == {"Region": ["00", "01", "20"], "Sociala relationer": ["40"],
                   "Andel och konfidensintervall": ["01", "02", "03", "04"], "Kön": ["00", "01", "02"],
                   "År": ["2019-2022"]}


def test_renamed_category_names_table_variable_and_offered_values(catalogue):
    with pytest.raises(TableMismatch) as e:
        pxweb_selection(SOCIAL_META, _row(catalogue, "7.5"), None)
    msg = str(e.value)
    assert SOCIAL in msg and "'Sociala relationer'" in msg and "Utsatt för fysiskt våld eller hot om våld" in msg
    assert "'35 Lågt socialt deltagande'" in msg and "'41 Svårt att lita på andra'" in msg


def test_measure_code_whose_text_disagrees_is_refused(catalogue):
    meta = json.loads(json.dumps(SOCIAL_META))
    meta["variables"][2]["valueTexts"] = ["Antal svar", "Konfidensintervall nedre gräns",
                                          "Konfidensintervall övre gräns", "Andel"]
    with pytest.raises(TableMismatch, match="code 01 means 'Antal svar', not value"):
        pxweb_selection(meta, _row(catalogue, "7.2"), None)


# hlv1psyfutb.px as public code read its live metadata (docs/indicator_sources.md): the variables in this order,
# no Region (riket only), single years without 2017/2019/2023. Category 58 is the one that code asked for; the
# second Ålder value is made up for this test (the pinned code must win, not the first value).
HLV_EDUCATION_META = {"title": "Psykisk hälsa efter utbildning, ålder, kön och år", "variables": [
    {"code": "Psykisk hälsa", "text": "psykisk hälsa", "values": ["21", "58"],
     "valueTexts": ["Allvarlig psykisk påfrestning**", "Svår ängslan, oro eller ångest**"]},
    {"code": "Andel och konfidensintervall", "text": "andel och konfidensintervall",
     "values": ["01", "02", "03", "04"],
     "valueTexts": ["Andel", "Konfidensintervall nedre gräns", "Konfidensintervall övre gräns", "Antal svar"]},
    {"code": "Utbildning", "text": "utbildning", "values": ["00", "01", "02", "03"],
     "valueTexts": ["Totalt", "Förgymnasial", "Gymnasial", "Eftergymnasial"]},
    {"code": "Ålder", "text": "ålder", "values": ["08", "09"],
     "valueTexts": ["Åldersstandardiserad 25-84 år", "Ej åldersstandardiserad 25- år"]},
    {"code": "Kön", "text": "kön", "values": ["00", "01", "02"], "valueTexts": ["Totalt", "Kvinnor", "Män"]},
    {"code": "År", "text": "år", "values": ["2016", "2018", "2020", "2021", "2022", "2024"],
     "valueTexts": ["2016", "2018", "2020", "2021", "2022", "2024"], "time": True}]}


def test_hlv_by_education_table_without_region_is_selected_and_lands_as_riket(catalogue, tmp_path):
    """H4@utbildning (indicator_series.csv): the national HLV table by education, hlv1psyfutb.px."""
    row = catalogue.filter((pl.col("code") == "H4") & (pl.col("series") == "utbildning")).row(0, named=True)
    assert row["table_path"] == "A_Folkhalsodata/B_HLV/dPsykhals/hlv1psyfutb.px" and row["period_type"] == "annual"
    assert pxweb_selection(HLV_EDUCATION_META, row, [2021, 2022]) == {
        "Psykisk hälsa": ["21"], "Andel och konfidensintervall": ["01", "02", "03", "04"],
        "Utbildning": ["00", "01", "02", "03"], "Ålder": ["09"], "Kön": ["00", "01", "02"], "År": ["2021", "2022"]}
    # The sample snapshot in that shape lands under H4, riket only, the three groups without the total.
    (tmp_path / "folkhalsodata").mkdir()
    shutil.copy(SAMPLE / "indicators" / "folkhalsodata" / "H4@utbildning.json", tmp_path / "folkhalsodata")
    result = land_indicators(tmp_path, tmp_path / "landing", tmp_path / "archive", catalogue)
    assert not result.rejected and result.rows["indicator_values"] > 0
    df = pl.read_parquet(tmp_path / "landing" / "indicators" / "*" / "indicator_values.parquet")
    assert set(df["indicator_code"]) == {"H4"} and set(df["region_code"]) == {"00"}
    assert df["municipality_code"].null_count() == df.height
    assert set(df["education"]) == {"förgymnasial", "gymnasial", "eftergymnasial"} and set(df["sex"]) == {"T", "K", "M"}
    assert "2022" in set(df["period"]) and not {"2017", "2019", "2023"} & set(df["period"])
    ok = df.filter(pl.col("status") == "ok")
    assert ok.height and ok["ci_low"].null_count() == 0 and (ok["ci_low"] < ok["value"]).all()
    # Only a row that wants neither counties nor kommuner reads a table without Region as riket.
    env = json.loads((tmp_path / "folkhalsodata" / "H4@utbildning.json").read_text("utf-8"))
    with pytest.raises(ValueError, match="no region dimension"):
        harmonise_jsonstat(env["response"], {**row, "breakdowns": "sex|education|county"})


REGISTER_META = {"title": "Förtida dödlighet", "variables": [
    {"code": "Region", "text": "region", "values": ["00", "01"], "valueTexts": ["00 Riket", "01 Stockholms län"]},
    {"code": "Ålder", "text": "ålder", "values": ["25-64 år", "25-64 åldersstandardiserad"],
     "valueTexts": ["25-64 år", "25-64 åldersstandardiserad"]},
    {"code": "Kön", "text": "kön", "values": ["2", "1+2", "1"], "valueTexts": ["Kvinnor", "Totalt", "Män"]},
    {"code": "År", "text": "år", "values": ["2018-2022", "2019-2023"], "valueTexts": ["2018-2022", "2019-2023"],
     "time": True}]}


def test_register_table_pins_age_and_reads_sex_from_value_texts(catalogue):
    h2 = _row(catalogue, "H2")
    assert pxweb_selection(REGISTER_META, h2, [2023]) == {
        "Region": ["00", "01"], "Ålder": ["25-64 åldersstandardiserad"], "Kön": ["2", "1+2", "1"],
        "År": ["2019-2023"]}
    no_sex = {**h2, "breakdowns": "county"}
    assert pxweb_selection(REGISTER_META, no_sex, None)["Kön"] == ["1+2"]  # the total, found by its text
    odd = json.loads(json.dumps(REGISTER_META))
    odd["variables"][2]["valueTexts"] = ["Kvinnor", "Båda", "Män"]
    with pytest.raises(TableMismatch, match="the sex codes cannot be read from valueTexts"):
        pxweb_selection(odd, h2, None)
    gone = json.loads(json.dumps(REGISTER_META))
    del gone["variables"][1]
    with pytest.raises(TableMismatch, match="there is no variable 'Ålder'; the table has 'Region', 'Kön', 'År'"):
        pxweb_selection(gone, h2, None)


# SCB's metadata body (PxWeb v1 GET) for a table whose Kön has no total: variable objects as SCB publishes
# them ("code", "text", "values", "valueTexts", "elimination", "time"). Kon 1/2 män/kvinnor without 1+2 as
# in BefolkningNy and UF0506B/Utbildning; the AKU body in a public SCB client's test fixture
# (surveyForAMAndAM0401AndAM0401IAndNAKUSysselAnkAr) shows "elimination": true on Kon and Alder.
SCB_NO_SEX_TOTAL_META = {"title": "Folkmängden efter region, civilstånd, ålder och kön. År 1968 - 2023",
                         "variables": [
    {"code": "Region", "text": "region", "values": ["00", "01"], "valueTexts": ["Riket", "Stockholms län"]},
    {"code": "Civilstand", "text": "civilstånd", "values": ["OG", "G", "ÄNKL", "SK"],
     "valueTexts": ["ogifta", "gifta", "änkor/änklingar", "skilda"], "elimination": True},
    {"code": "Alder", "text": "ålder", "values": ["tot", "25"], "valueTexts": ["totalt ålder", "25 år"],
     "elimination": True},
    {"code": "Kon", "text": "kön", "values": ["1", "2"], "valueTexts": ["män", "kvinnor"], "elimination": True},
    {"code": "ContentsCode", "text": "tabellinnehåll", "values": ["BE0101N1"], "valueTexts": ["Folkmängd"]},
    {"code": "Tid", "text": "år", "values": ["2022", "2023"], "valueTexts": ["2022", "2023"], "time": True}]}


def test_an_eliminable_variable_without_a_total_is_left_out_of_the_query(catalogue):
    """PxWeb elimination: Kon has no total but is eliminable, so a row that does not want sex leaves it out
    and PxWeb answers with the total; the same table is still refused where elimination is not allowed."""
    row = {**_row(catalogue, "4.1"), "breakdowns": "county", "table_path": "BE/BE0101/BE0101A/BefolkningNy"}
    sel = pxweb_selection(SCB_NO_SEX_TOTAL_META, row, [2023])
    assert sel == {"Region": ["00", "01"], "Alder": ["tot"], "ContentsCode": ["BE0101N1"], "Tid": ["2023"]}
    assert query_body(sel) == {"query": [
        {"code": "Region", "selection": {"filter": "item", "values": ["00", "01"]}},
        {"code": "Alder", "selection": {"filter": "item", "values": ["tot"]}},
        {"code": "ContentsCode", "selection": {"filter": "item", "values": ["BE0101N1"]}},
        {"code": "Tid", "selection": {"filter": "item", "values": ["2023"]}}],
        "response": {"format": "json-stat2"}}
    # Wanted by sex: both codes are asked for, read from valueTexts.
    assert pxweb_selection(SCB_NO_SEX_TOTAL_META, {**row, "breakdowns": "sex|county"}, [2023])["Kon"] == ["1", "2"]
    strict = json.loads(json.dumps(SCB_NO_SEX_TOTAL_META))
    del strict["variables"][3]["elimination"]
    with pytest.raises(TableMismatch, match="there is no total for sex"):
        pxweb_selection(strict, row, [2023])


# --------------------------------------------------------------------------- against the fixture server

def _fetch(srv, catalogue, out: Path, codes=None, counties=("01", "03", "20"), munis=()):
    cat = catalogue if codes is None else catalogue.filter(pl.col("code").is_in(codes))
    return fetch_snapshots(cat, pxweb_base_url=srv.url + PX_ROOT, kolada_base_url=srv.url + KOLADA_ROOT,
                           out_dir=out, years=None, timeout=5.0, counties=list(counties),
                           municipalities=list(munis), max_retries=0, sleep=Sleeps())


def test_one_table_several_indicators_split_by_max_values(catalogue, tmp_path):
    with FixtureServer() as srv:
        serve_folkhalsodata(srv, SAMPLE, max_values=150)
        result = _fetch(srv, catalogue, tmp_path / "snap", ["5.3", "7.2", "7.3", "7.4", "7.5", "H2"])
        posts = [r.json() for r in srv.requests if r.method == "POST" and r.path.endswith("hlv1socxreg.px")]
    assert result.errors == [] and len(result.paths) == 6
    chosen = {tuple(q["selection"]["values"]) for p in posts for q in p["query"] if q["code"] == "Sociala relationer"}
    assert len(chosen) == 5 and all(len(c) == 1 for c in chosen)  # one category per indicator, never the decoys
    assert len(posts) > 5  # 22 regions x 4 measures x 3 sexes x 9 periods > maxValues: split
    landed = land_indicators(tmp_path / "snap", tmp_path / "landing", tmp_path / "archive", catalogue)
    assert landed.rejected == [] and len(landed.landed) == 6
    df = pl.read_parquet(tmp_path / "landing" / "indicators" / "*" / "indicator_values.parquet")
    sample = land_indicators(SAMPLE / "indicators" / "folkhalsodata", tmp_path / "l2", tmp_path / "a2", catalogue)
    assert sample.rejected == []
    ref = pl.read_parquet(tmp_path / "l2" / "indicators" / "*" / "indicator_values.parquet")
    keys = ["indicator_code", "region_code", "period", "sex"]
    for code in ("7.2", "H2"):  # online (fixture server) and offline (sample) give the same numbers
        a = df.filter(pl.col("indicator_code") == code).sort(keys).select(*keys, "value", "ci_low", "n_respondents")
        b = ref.filter(pl.col("indicator_code") == code).sort(keys).select(*keys, "value", "ci_low", "n_respondents")
        assert a.height > 0 and a.equals(b), code
    h2 = df.filter(pl.col("indicator_code") == "H2", pl.col("region_code") == "00", pl.col("period") == "2019-2023")
    assert sorted(h2["sex"]) == ["K", "M", "T"]  # the table lists Kön as 2, 1+2, 1: read by text


def _runner_env(srv) -> dict:
    return {"FOLKHALSA_PXWEB_BASE_URL": srv.url + PX_ROOT, "FOLKHALSA_KOLADA_BASE_URL": srv.url + KOLADA_ROOT,
            "FOLKHALSA_SCB_BASE_URL": srv.url + SCB_ROOT,
            "FOLKHALSA_HTTP_TIMEOUT_S": "5"}


def test_check_sources_offline_on_the_sample():
    res = CliRunner().invoke(app, ["check-sources", "--offline", "--input", str(SAMPLE)])
    assert res.exit_code == 0, res.output
    assert "36 av / of 37 rader hittade" in res.output and "9 overifierade / unverified" in res.output
    assert ("OK  H4@utbildning (folkhalsodata A_Folkhalsodata/B_HLV/dPsykhals/hlv1psyfutb.px) found, "
            "senaste period / last period 2022") in res.output
    assert "OK  H1@utbildning (scb START/BE/BE0701/LivslUtbLan) found, senaste period / last period 2019-2023" in res.output
    assert "OK  H4 (folkhalsodata A_Folkhalsodata/B_HLV/dPsykhals/hlv1psyxreg.px) found" in res.output


def test_check_sources_offline_fails_on_a_snapshot_without_the_category(tmp_path):
    shutil.copytree(SAMPLE / "indicators", tmp_path / "indicators")
    p = tmp_path / "indicators" / "folkhalsodata" / "7.3.json"
    env = json.loads(p.read_text("utf-8"))
    cats = env["response"]["dimension"]["Sociala relationer"]["category"]
    cats["index"], cats["label"] = {"41": 0}, {"41": "Svårt att lita på andra personer"}
    p.write_text(json.dumps(env, ensure_ascii=False), "utf-8")
    res = CliRunner().invoke(app, ["check-sources", "--offline", "--input", str(tmp_path)])
    assert res.exit_code == 1
    line = next(x for x in res.output.splitlines() if x.startswith("FEL 7.3"))
    assert "missing category" in line and "'Sociala relationer'" in line and "41 Svårt att lita på andra personer" in line


def test_check_sources_online_renamed_table_exits_1_naming_indicator_and_table(catalogue, monkeypatch):
    with FixtureServer() as srv:
        serve_folkhalsodata(srv, SAMPLE)
        serve_kolada(srv, SAMPLE)
        serve_scb(srv, SAMPLE)
        for k, v in _runner_env(srv).items():
            monkeypatch.setenv(k, v)
        ok = CliRunner().invoke(app, ["check-sources", "--online"])
        assert ok.exit_code == 0, ok.output
        assert "OK  2.2 (kolada N15428) found, senaste period / last period 2023" in ok.output
        assert "OK  H4 (folkhalsodata A_Folkhalsodata/B_HLV/dPsykhals/hlv1psyxreg.px) found" in ok.output
        assert not any(r.method == "POST" for r in srv.requests)  # metadata only

    with FixtureServer() as srv:  # FoHM renames hlv1psyxreg.px: the old path answers 404
        serve_folkhalsodata(srv, SAMPLE, skip_tables=("hlv1psyxreg.px",))
        serve_kolada(srv, SAMPLE)
        serve_scb(srv, SAMPLE)
        for k, v in _runner_env(srv).items():
            monkeypatch.setenv(k, v)
        res = CliRunner().invoke(app, ["check-sources", "--online"])
        checks = check_online(catalogue, pxweb_base_url=srv.url + PX_ROOT, kolada_base_url=srv.url + KOLADA_ROOT,
                              timeout=5.0, max_retries=0, scb_base_url=srv.url + SCB_ROOT)
    assert res.exit_code == 1 and exit_code(checks) == 1
    line = next(x for x in res.output.splitlines() if x.startswith("FEL H4"))
    assert "missing table" in line and "A_Folkhalsodata/B_HLV/dPsykhals/hlv1psyxreg.px" in line
    assert [c.indicator_code for c in checks if c.status == MISSING_TABLE] == ["H4"]


def test_check_sources_online_reports_a_missing_category(catalogue):
    with FixtureServer() as srv:
        tables = serve_folkhalsodata(srv, SAMPLE)
        var = next(v for v in tables[SOCIAL].px.variables if v.code == "Sociala relationer")
        i = var.texts.index("Svårt att lita på andra")
        var.values[i] = var.texts[i] = "Svårt att lita på andra människor"  # FoHM replaces the category
        checks = check_online(catalogue.filter(pl.col("source") == "folkhalsodata"),
                              pxweb_base_url=srv.url + PX_ROOT, kolada_base_url=srv.url + KOLADA_ROOT,
                              timeout=5.0, max_retries=0)
    bad = {c.indicator_code: c for c in checks if not c.resolves}
    assert list(bad) == ["7.3"] and bad["7.3"].status == MISSING_CATEGORY
    assert "Svårt att lita på andra människor" in bad["7.3"].message


@pytest.mark.slow
@pytest.mark.flow
def test_online_run_lands_every_decided_indicator(tmp_path, catalogue):
    """`folkhalsa run` in online mode against the fixture server: v3 Kolada pages (several pages, chunks of
    at most 25 ids) and PxWeb tables with a category variable, a measure variable and both sex-code styles.
    The command runs in this process (typer's runner, configured by FOLKHALSA_* as a user's shell would):
    the same CLI and flow, without paying for a second Python's imports and Prefect server."""
    with FixtureServer() as srv:
        serve_folkhalsodata(srv, SAMPLE, max_values=300)
        serve_kolada(srv, SAMPLE, per_page=40)
        serve_scb(srv, SAMPLE)
        env = {**{k: None for k in os.environ if k.startswith("FOLKHALSA_")}, **_runner_env(srv),
               "FOLKHALSA_ONLINE": "true", "FOLKHALSA_SMTP_HOST": ""}
        res = CliRunner().invoke(app, ["run", "--input", str(SAMPLE), "--output", str(tmp_path / "out"),
                                       "--render", "never"], env=env)
        kolada_gets = [r.path for r in srv.requests if r.path.startswith(f"{KOLADA_ROOT}/data/")]
    assert res.exit_code == 0, res.output[-3000:] + repr(res.exception)
    assert any("page=2" in p for p in kolada_gets)  # next_url followed
    assert all(len(p.split("/municipality/")[1].split("?")[0].split(",")) <= 25 for p in kolada_gets
               if "/municipality/" in p)
    con = duckdb.connect(str(tmp_path / "out" / "warehouse" / "folkhalsa.duckdb"), read_only=True)
    landed = {r[0] for r in con.sql("select distinct indicator_code from marts.fct_indicator_value "
                                    "where value is not null").fetchall()}
    decided = set(catalogue.filter(pl.col("decided"))["code"])
    assert decided <= landed, sorted(decided - landed)
    sexes = dict(con.sql("select indicator_code, string_agg(distinct sex, '' order by sex) from "
                         "marts.fct_indicator_value where indicator_code in ('H2', 'H4') group by 1").fetchall())
    assert sexes == {"H2": "KMT", "H4": "KMT"}  # 1+2/1/2 and 00/01/02, both read from valueTexts
    summary = json.loads((tmp_path / "out" / "run_summary.json").read_text("utf-8"))
    assert len([i for i in summary["issues"] if i["rule"] == "unverified_source"]) == 9
    assert not [r for r in summary.get("rejected", []) if "H1@utbildning" in json.dumps(r, ensure_ascii=False)]
    edu = con.execute("select count(*) from marts.fct_indicator_value where indicator_code = 'H1' "
                      "and education = 'eftergymnasial' and source = 'scb'").fetchone()[0]
    assert edu > 0  # H1 by education fetched from SCB's LivslUtbLan (served from its sample snapshot)
    h4 = con.execute("select count(*), count(distinct region_code) from marts.fct_indicator_value where "
                     "indicator_code = 'H4' and education = 'förgymnasial' and value is not null").fetchone()
    assert h4[0] > 0 and h4[1] == 1  # H4 by education from hlv1psyfutb.px: riket only


def test_a_response_without_the_category_variable_is_rejected(catalogue, tmp_path):
    """PxWeb sums over an eliminated variable: a 7.4 answer without *Sociala relationer* is not 7.4."""
    env = json.loads((SAMPLE / "indicators" / "folkhalsodata" / "7.4.json").read_text("utf-8"))
    resp = env["response"]
    i = resp["id"].index("Sociala relationer")
    del resp["id"][i], resp["size"][i]
    del resp["dimension"]["Sociala relationer"]
    (tmp_path / "folkhalsodata").mkdir()
    (tmp_path / "folkhalsodata" / "7.4.json").write_text(json.dumps(env, ensure_ascii=False), "utf-8")
    result = land_indicators(tmp_path, tmp_path / "landing", tmp_path / "archive", catalogue)
    # A rejected snapshot lands only its issues, no values.
    assert len(result.rejected) == 1 and result.rows.get("indicator_values", 0) == 0
    assert "the response lacks the variable 'Sociala relationer'" in result.rejected[0].errors[0].message()


def test_dim_indicator_accepts_the_source_statuses_the_loader_knows():
    """The statuses live in SOURCE_STATUSES; dbt's accepted_values test on dim_indicator must list the same."""
    import yaml

    from folkhalsa.sources.indicators import SOURCE_STATUSES

    doc = yaml.safe_load((PROJECT_ROOT / "dbt" / "models" / "marts" / "core" / "dim_indicator.yml").read_text("utf-8"))
    col = next(c for m in doc["models"] for c in m["columns"] if c["name"] == "source_status")
    accepted = next(t["accepted_values"]["arguments"]["values"] for t in col["data_tests"]
                    if isinstance(t, dict) and "accepted_values" in t)
    assert accepted == list(SOURCE_STATUSES)
