"""Kolada v3 client against a real HTTP server on 127.0.0.1, and the page parser.

The pages served here follow the public v3 envelope (not invented; see docs/indicator_sources.md):
- {"values", "count", "next_url", "previous_url"}, the last page without next_url:
  xemarap/koladapy tests/test_pagination.py and koladapy/api.py (follows `next_url`, per_page 5000,
  at most 25 ids per request); LCHansson/rKolada tests/testthat/test-api-mocked.R (v3 fixtures with
  next_url, chunks of 25 ids).
- value items {"gender", "count", "status", "value", "isdeleted"}: xemarap/koladapy koladapy/utils.py
  (flatten_data).
"""
from __future__ import annotations

import polars as pl
import pytest

from folkhalsa.io.kolada import (KoladaClient, KoladaError, KoladaParseError, area_codes, drop_deleted,
                                 parse_kolada)

from tests.http_fixture_server import (Reply, Sleeps, malformed_json, not_found, rate_limited,
                                       server_error, slow)

BASE = "/v3"
FIRST = f"{BASE}/data/kpi/N15428/municipality/0000,0001,1480/year/2022,2023"


def entry(area: str, year: int, values: list[tuple[str, float | None]]) -> dict:
    return {"kpi": "N15428", "municipality": area, "period": year,
            "values": [{"count": 1, "gender": g, "status": "", "value": v, "isdeleted": False} for g, v in values]}


PAGE_ENTRIES = [
    [entry("0000", 2022, [("T", 85.5), ("K", 86.7), ("M", 84.3)]),
     entry("0000", 2023, [("T", 85.1), ("K", 86.0), ("M", 84.2)])],
    [entry("0001", 2022, [("T", 88.0), ("K", 89.1), ("M", 86.9)]),
     entry("0001", 2023, [("T", None), ("K", None), ("M", None)])],
    [entry("1480", 2022, [("T", 83.2), ("K", 84.0), ("M", 82.4)])],
]


def pages_for(server_url: str) -> list[dict]:
    """Three v3 pages; the last one has no next_url key at all."""
    pages = []
    for i, values in enumerate(PAGE_ENTRIES, start=1):
        page = {"values": values, "count": 5}
        if i < len(PAGE_ENTRIES):
            page["next_url"] = f"{server_url}{FIRST}?page={i + 1}&per_page=2"
        if i > 1:
            page["previous_url"] = f"{server_url}{FIRST}?page={i - 1}&per_page=2"
        pages.append(page)
    return pages


def client(http_server, sleeps=None, **kw) -> KoladaClient:
    return KoladaClient(http_server.url + BASE, timeout=kw.pop("timeout", 2.0), max_retries=kw.pop("max_retries", 2),
                        backoff_s=0.01, sleep=sleeps if sleeps is not None else Sleeps(), per_page=2, **kw)


def serve_pages(http_server, first_faults=()):
    pages = pages_for(http_server.url)
    http_server.route("GET", f"{FIRST}?per_page=2", *first_faults, Reply.json(pages[0]))
    http_server.route("GET", f"{FIRST}?page=2&per_page=2", Reply.json(pages[1]))
    http_server.route("GET", f"{FIRST}?page=3&per_page=2", Reply.json(pages[2]))


def test_values_follows_next_url_to_the_last_page(http_server):
    serve_pages(http_server)
    with client(http_server) as kc:
        pages = kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])
    assert len(pages) == 3 and http_server.count("GET") == 3
    assert parse_kolada(pages).height == 15  # every row of every page, none lost
    assert [r.path for r in http_server.requests] == [f"{FIRST}?per_page=2", f"{FIRST}?page=2&per_page=2",
                                                 f"{FIRST}?page=3&per_page=2"]


def test_long_id_lists_are_split_across_requests(http_server):
    http_server.prefix("GET", f"{BASE}/data/kpi/N15428/municipality/",
                       lambda req: Reply.json({"count": 0, "values": [], "next_url": None}))
    ids = ["0000", "0001", "0003", "0114", "0115"]
    with client(http_server, ids_per_request=2) as kc:
        kc.values("N15428", ids, [2023])
    assert [r.path.split("/")[6] for r in http_server.requests] == ["0000,0001", "0003,0114", "0115"]


def _entries_for(req) -> dict:
    ids = req.path.split("/")[6].split("?")[0].split(",")
    return {"values": [entry(a, 2023, [("T", 1.0)]) for a in ids], "count": len(ids)}


def test_sixty_ids_go_in_chunks_of_at_most_25_with_per_page_5000(http_server):
    http_server.prefix("GET", f"{BASE}/data/kpi/N15428/municipality/", lambda req: Reply.json(_entries_for(req)))
    ids = [f"{i:04d}" for i in range(1, 61)]
    with KoladaClient(http_server.url + BASE, timeout=2.0, max_retries=0, sleep=Sleeps()) as kc:
        pages = kc.values("N15428", ids, [2023])
    chunks = [r.path.split("/")[6].split(",") for r in http_server.requests]
    assert [len(c) for c in chunks] == [25, 25, 10] and sum(chunks, []) == ids
    assert all(r.path.endswith("/year/2023?per_page=5000") for r in http_server.requests)
    assert sorted(parse_kolada(pages)["area_id"]) == ids


def test_more_than_25_ids_or_5000_per_page_is_refused():
    with pytest.raises(ValueError, match="ids_per_request must be 1..25"):
        KoladaClient("http://127.0.0.1:9", ids_per_request=100)
    with pytest.raises(ValueError, match="per_page must be 1..5000"):
        KoladaClient("http://127.0.0.1:9", per_page=10000)


def test_deleted_values_are_dropped_and_counted():
    pages = pages_for("http://x")
    pages[0]["values"][0]["values"][1]["isdeleted"] = True
    pages[2]["values"][0]["values"][0]["isdeleted"] = True
    kept, dropped = drop_deleted(pages)
    assert dropped == 2
    df = parse_kolada(kept)
    assert df.height == 13
    assert df.filter(pl.col("area_id") == "0000", pl.col("period") == "2022")["sex"].sort().to_list() == ["M", "T"]
    assert pages[0]["values"][0]["values"][1]["isdeleted"] is True  # the saved response is left as it came


def test_a_v2_page_is_refused_not_cut_short(http_server):
    http_server.route("GET", f"{FIRST}?per_page=2", Reply.json(
        {"count": 2, "values": PAGE_ENTRIES[0], "next_page": f"{http_server.url}{FIRST}?page=2&per_page=2"}))
    with client(http_server) as kc, pytest.raises(KoladaError, match="v2 format"):
        kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])


def test_all_areas_and_years_when_none_given(http_server):
    http_server.route("GET", f"{BASE}/data/kpi/N15428?per_page=2", Reply.json({"count": 0, "values": []}))
    with client(http_server) as kc:
        assert kc.values("N15428") == [{"count": 0, "values": []}]


def test_parse_pages_into_rows():
    df = parse_kolada(pages_for("http://x"))
    assert df.height == 15
    assert df.schema["value"] == pl.Float64 and df.schema["row"] == pl.Int64
    riket = df.filter(pl.col("area_id") == "0000", pl.col("period") == "2022")
    assert riket["region_code"].unique().to_list() == ["00"] and riket["municipality_code"].null_count() == 3
    assert sorted(riket["sex"].to_list()) == ["K", "M", "T"]
    region = df.filter(pl.col("area_id") == "0001")
    assert region["region_code"].unique().to_list() == ["01"] and region["municipality_code"].null_count() == 6
    kommun = df.filter(pl.col("area_id") == "1480")
    assert kommun["region_code"].unique().to_list() == ["14"]
    assert kommun["municipality_code"].unique().to_list() == ["1480"]
    assert df.filter(pl.col("area_id") == "0001", pl.col("period") == "2023")["value"].null_count() == 3
    assert df["row"].to_list() == list(range(1, 16))


@pytest.mark.parametrize("area, expected", [("0000", ("00", None)), ("0001", ("01", None)), ("0025", ("25", None)),
                                            ("0114", ("01", "0114")), ("2584", ("25", "2584"))])
def test_area_ids(area, expected):
    assert area_codes(area) == expected


def test_unknown_area_gender_and_period_fail_clearly():
    with pytest.raises(KoladaParseError) as e:
        parse_kolada([{"values": [entry("G33344", 2022, [("T", 1.0)])]}])
    assert "okänt område 'G33344'" in str(e.value) and "unknown area 'G33344'" in str(e.value)
    with pytest.raises(KoladaParseError) as e:
        parse_kolada([{"values": [entry("0001", 2022, [("F", 1.0)])]}])
    assert "okänt kön 'F'" in str(e.value) and "unknown gender 'F'" in str(e.value) and "page 1" in str(e.value)
    with pytest.raises(KoladaParseError, match="invalid period '22'"):
        parse_kolada([{"values": [entry("0001", 22, [("T", 1.0)])]}])
    with pytest.raises(KoladaParseError, match="page 2 has no 'values'"):
        parse_kolada([{"values": []}, {"count": 0}])
    with pytest.raises(KoladaParseError, match="is not a number"):
        parse_kolada([{"values": [entry("0001", 2022, [("T", "85,5")])]}])


def test_5xx_and_429_are_retried(http_server):
    serve_pages(http_server, first_faults=(server_error(503), rate_limited("4")))
    sleeps = Sleeps()
    with client(http_server, sleeps) as kc:
        assert len(kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])) == 3
    assert sleeps == [0.01, 4.0]


def test_timeout_is_retried(http_server):
    pages = pages_for(http_server.url)
    del pages[0]["next_url"]
    http_server.route("GET", f"{FIRST}?per_page=2", slow(Reply.json(pages[0])), Reply.json(pages[0]))
    with client(http_server, timeout=0.2) as kc:
        assert len(kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])) == 1


def test_404_fails_at_once_naming_url(http_server):
    http_server.route("GET", f"{FIRST}?per_page=2", not_found())
    with client(http_server) as kc, pytest.raises(KoladaError) as e:
        kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])
    msg = str(e.value)
    assert "Kolada svarade 404" in msg and "Kolada responded 404" in msg and FIRST in msg
    assert http_server.count("GET") == 1


def test_malformed_page_fails_clearly(http_server):
    http_server.route("GET", f"{FIRST}?per_page=2", malformed_json())
    with client(http_server) as kc, pytest.raises(KoladaError, match="malformed JSON"):
        kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])
    http_server.route("GET", f"{FIRST}?per_page=2", Reply.json({"count": 0}))
    with client(http_server) as kc, pytest.raises(KoladaError, match="has no 'values'"):
        kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])


def test_next_url_loop_is_stopped(http_server):
    page = {"count": 0, "values": [], "next_url": f"{http_server.url}{FIRST}?per_page=2"}
    http_server.route("GET", f"{FIRST}?per_page=2", Reply.json(page))
    with client(http_server) as kc, pytest.raises(KoladaError, match="next_url loops"):
        kc.values("N15428", ["0000", "0001", "1480"], [2022, 2023])
