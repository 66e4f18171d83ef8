"""PxWeb v1 client against a real HTTP http_server on 127.0.0.1: chunking, retries and clear failures."""
from __future__ import annotations

import math

import polars as pl
import pytest

from folkhalsa.io.jsonstat import read_jsonstat
from folkhalsa.io.pxweb import PxWebClient, PxWebError, split_selection

from tests.http_fixture_server import (PxTable, PxVariable, Reply, Sleeps, bad_request,
                                       malformed_json, not_found, rate_limited, server_error, slow,
                                       truncated)

BASE = "/api/v1/sv"
TABLE = "A_Folkhalsodata/B_HLV/aLevvanor/aagLevvanortobak/HLV_Tobak_Daglig.px"
PATH = f"{BASE}/{TABLE}"


def value_of(cell: dict[str, str]) -> float:
    """A value that identifies its cell, so merged chunks can be checked cell by cell."""
    return int(cell["Region"]) * 100 + int(cell["Tid"]) % 100 + (0.5 if cell.get("Kon") == "2" else 0.0)


def table(max_values: int = 1000) -> PxTable:
    return PxTable([
        PxVariable("Region", "region", ["00", "01", "03", "04"], ["Riket", "Stockholm", "Uppsala", "Södermanland"]),
        PxVariable("Kon", "kön", ["1+2", "2", "1"], ["Totalt", "Kvinnor", "Män"]),
        PxVariable("Tid", "år", ["2021", "2022", "2023"], time=True),
        PxVariable("ContentsCode", "tabellinnehåll", ["Andel"], ["Andel (%)"]),
    ], value_of, max_values)


def client(http_server, sleeps=None, **kw) -> PxWebClient:
    kw.setdefault("max_retries", 2)
    return PxWebClient(http_server.url + BASE, timeout=kw.pop("timeout", 2.0), backoff_s=0.01,
                       sleep=sleeps if sleeps is not None else Sleeps(), **kw)


FULL = {"Region": ["00", "01", "03", "04"], "Kon": ["1+2", "2", "1"], "Tid": ["2021", "2022", "2023"],
        "ContentsCode": ["Andel"]}


def test_config_reads_max_values(http_server):
    http_server.route("GET", f"{BASE}/?config", Reply.json({"apiVersion": "1.1.0", "maxValues": 150000}))
    with client(http_server) as px:
        assert px.config()["maxValues"] == 150000
        assert px.max_values == 150000


def test_config_without_max_values_fails_clearly(http_server):
    http_server.route("GET", f"{BASE}/?config", Reply.json({"apiVersion": "1.1.0"}))
    with client(http_server) as px, pytest.raises(PxWebError) as e:
        px.config()
    assert "saknar ett giltigt maxValues" in str(e.value) and "has no valid maxValues" in str(e.value)
    assert http_server.url in str(e.value)


def test_metadata_is_a_get_on_the_table(http_server):
    table().mount(http_server, PATH)
    with client(http_server) as px:
        meta = px.metadata(TABLE)
    assert [v["code"] for v in meta["variables"]] == ["Region", "Kon", "Tid", "ContentsCode"]
    assert http_server.requests[-1].method == "GET"


def test_query_posts_json_stat2_request(http_server):
    http_server.route("GET", f"{BASE}/?config", Reply.json({"maxValues": 1000}))
    table().mount(http_server, PATH)
    with client(http_server) as px:
        ds = px.query(TABLE, {"Region": ["00", "01"], "Tid": ["2023"], "Kon": ["1+2"], "ContentsCode": ["Andel"]})
    body = [r for r in http_server.requests if r.method == "POST"][0].json()
    assert body["response"] == {"format": "json-stat2"}
    assert body["query"][0] == {"code": "Region", "selection": {"filter": "item", "values": ["00", "01"]}}
    df = read_jsonstat(ds)
    assert df["value"].to_list() == [23.0, 123.0]


def test_large_query_is_split_within_max_values_and_merged(http_server):
    http_server.route("GET", f"{BASE}/?config", Reply.json({"maxValues": 10}))
    table(max_values=10).mount(http_server, PATH)  # the http_server refuses more than 10 cells (403)
    with client(http_server) as px:
        merged = px.query(TABLE, FULL)
    posts = [r.json() for r in http_server.requests if r.method == "POST"]
    assert len(posts) >= 4  # 36 cells in chunks of at most 10
    for body in posts:
        assert math.prod(len(q["selection"]["values"]) for q in body["query"]) <= 10
    df = read_jsonstat(merged, labels=False)
    assert df.height == 36 and df["value"].null_count() == 0
    expected = [value_of({"Region": r, "Kon": k, "Tid": t}) for r, k, t in df.select("Region", "Kon", "Tid").rows()]
    assert df["value"].to_list() == expected
    assert merged["dimension"]["Region"]["category"]["label"]["03"] == "Uppsala"


def test_split_selection_keeps_every_cell_once():
    chunks = list(split_selection(FULL, 5))
    cells = [(r, k, t) for c in chunks for r in c["Region"] for k in c["Kon"] for t in c["Tid"]]
    assert len(cells) == 36 == len(set(cells))
    assert all(math.prod(len(v) for v in c.values()) <= 5 for c in chunks)
    assert list(split_selection(FULL, 100)) == [FULL]


def test_500_is_retried_with_backoff(http_server):
    http_server.route("GET", PATH, server_error(500), server_error(502), Reply.json({"variables": []}))
    sleeps = Sleeps()
    with client(http_server, sleeps) as px:
        assert px.metadata(TABLE) == {"variables": []}
    assert sleeps == [0.01, 0.02] and http_server.count("GET") == 3


def test_429_waits_for_retry_after(http_server):
    http_server.route("GET", PATH, rate_limited("7"), Reply.json({"variables": []}))
    sleeps = Sleeps()
    with client(http_server, sleeps) as px:
        px.metadata(TABLE)
    assert sleeps == [7.0]


def test_429_retry_after_as_http_date_and_give_up(http_server):
    http_server.route("GET", PATH, rate_limited("Wed, 21 Oct 2015 07:28:00 GMT"))  # in the past: retry at once
    sleeps = Sleeps()
    with client(http_server, sleeps) as px, pytest.raises(PxWebError) as e:
        px.metadata(TABLE)
    assert sleeps == [0.0, 0.0]
    msg = str(e.value)
    assert "gav upp efter 3 försök" in msg and "gave up after 3 attempts" in msg and "rate limited" in msg
    assert e.value.status == 429 and e.value.url.endswith(TABLE)


def test_persistent_5xx_gives_up_naming_url_and_status(http_server):
    http_server.route("GET", PATH, server_error(503))
    with client(http_server) as px, pytest.raises(PxWebError) as e:
        px.metadata(TABLE)
    msg = str(e.value)
    assert f"GET {http_server.url}{PATH}" in msg and "503" in msg
    assert http_server.count("GET") == 3


def test_timeout_is_retried(http_server):
    ok = Reply.json({"variables": []})
    http_server.route("GET", PATH, slow(ok, 2.0), ok)
    with client(http_server, timeout=0.2) as px:
        assert px.metadata(TABLE) == {"variables": []}
    assert http_server.count("GET") == 2


def test_persistent_timeout_fails_clearly(http_server):
    http_server.route("GET", PATH, slow(Reply.json({}), 2.0))
    with client(http_server, timeout=0.2, max_retries=1) as px, pytest.raises(PxWebError) as e:
        px.metadata(TABLE)
    assert "tidsgränsen överskreds" in str(e.value) and "timed out" in str(e.value)


def test_malformed_json_fails_without_retry(http_server):
    http_server.route("GET", PATH, malformed_json())
    with client(http_server) as px, pytest.raises(PxWebError) as e:
        px.metadata(TABLE)
    msg = str(e.value)
    assert "ogiltig JSON" in msg and "malformed JSON" in msg and PATH in msg and "status 200" in msg
    assert http_server.count("GET") == 1


def test_truncated_body_fails_clearly(http_server):
    http_server.route("GET", PATH, truncated({"title": "x", "variables": [{"code": "Region"}] * 50}))
    with client(http_server, max_retries=1) as px, pytest.raises(PxWebError) as e:
        px.metadata(TABLE)
    msg = str(e.value)
    assert "avkortad" in msg and "truncated" in msg and PATH in msg
    assert http_server.count("GET") == 2


def test_truncated_then_complete_recovers(http_server):
    good = {"title": "x", "variables": []}
    http_server.route("GET", PATH, truncated(good), Reply.json(good))
    with client(http_server) as px:
        assert px.metadata(TABLE) == good


@pytest.mark.parametrize("fault, status", [(not_found, 404), (bad_request, 400)])
def test_other_4xx_fail_at_once(http_server, fault, status):
    http_server.route("POST", PATH, fault())
    with client(http_server, max_values=1000) as px, pytest.raises(PxWebError) as e:
        px.query(TABLE, {"Region": ["00"]})
    msg = str(e.value)
    assert f"svarade {status}" in msg and f"responded {status}" in msg and f"POST {http_server.url}{PATH}" in msg
    assert e.value.status == status and http_server.count("POST") == 1


def test_size_not_matching_values_is_rejected(http_server):
    bad = table().query
    http_server.route("POST", PATH, lambda req: _tamper(bad(req), size=[9, 1, 1, 1]))
    with client(http_server, max_values=1000) as px, pytest.raises(PxWebError) as e:
        px.query(TABLE, {"Region": ["00", "01"], "Kon": ["1+2"], "Tid": ["2023"], "ContentsCode": ["Andel"]})
    msg = str(e.value)
    assert "invalid JSON-stat response" in msg and "size" in msg and PATH in msg


def test_unknown_dimension_is_rejected(http_server):
    bad = table().query
    http_server.route("POST", PATH, lambda req: _tamper(bad(req), id=["Region", "Alder", "Tid", "ContentsCode"]))
    with client(http_server, max_values=1000) as px, pytest.raises(PxWebError) as e:
        px.query(TABLE, {"Region": ["00"], "Kon": ["1+2"], "Tid": ["2023"], "ContentsCode": ["Andel"]})
    assert "dimension 'Alder' is listed in 'id' but missing from 'dimension'" in str(e.value)


def _tamper(reply: Reply, **changes) -> Reply:
    import json
    data = json.loads(reply.body)
    data.update(changes)
    return Reply.json(data)


def test_chunks_survive_a_fault_midway(http_server):
    """A 500 on one chunk is retried; the merged answer is still complete."""
    http_server.route("GET", f"{BASE}/?config", Reply.json({"maxValues": 12}))
    px_table = table(max_values=12)
    http_server.route("POST", PATH, px_table.query, server_error(500), px_table.query)
    with client(http_server) as px:
        df = read_jsonstat(px.query(TABLE, FULL), labels=False)
    assert df.height == 36 and df["value"].null_count() == 0
    assert df.filter(pl.col("Region") == "04", pl.col("Tid") == "2023", pl.col("Kon") == "2")["value"].item() == 423.5
