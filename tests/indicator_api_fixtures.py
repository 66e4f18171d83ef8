"""Serve the sample snapshots as a Folkhälsodata PxWeb v1 API and a Kolada v3 API on the fixture server.

Shapes follow public evidence (docs/indicator_sources.md), not the project's own code:
- PxWeb v1 metadata {"title", "variables": [{"code", "text", "values", "valueTexts", "time"?, "elimination"?}]}
  with Swedish variable codes (Region, Kön, År, ...) and Region valueTexts like "21 Gävleborgs län":
  deno-li/fuzzy-MCP tests/fixtures/fohm_metadata_mobbning.json; variable layout Region, <category>,
  "Andel och konfidensintervall" (01-04), Kön (00 Totalt, 01 Kvinnor, 02 Män), År:
  KseniaBoudk/mentalHealth pipeline/fetch_folkhalsodata_hlv.py; register tables Kön 1+2/1/2 and pinned
  Ålder / Åldersstandardisering: public R config teman/socioekonomi/config.R.
- Kolada v3 pages {"values", "count", "next_url", "previous_url"}, no next_url on the last page, value items
  with "isdeleted": xemarap/koladapy tests/test_pagination.py and koladapy/utils.py.

Tables that hold several indicators (hlv1socxreg.px: five categories of *Sociala relationer*) are served
once with all their categories plus decoys, pinned variables get extra values, and one register table lists
its sex codes in a different order, so only a selection that reads codes and valueTexts gets it right.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.http_fixture_server import FixtureServer, PxTable, PxVariable, Reply

PX_ROOT = "/api/v1/sv"
SCB_ROOT = "/OV0104/v1/doris/sv/ssd"
KOLADA_ROOT = "/v3"
DECOYS = {"Sociala relationer": [("90", "Saknar emotionellt stöd"), ("91", "Lågt socialt deltagande")],
          "Psykisk hälsa": [("35", "Nedsatt psykiskt välbefinnande"), ("58", "Svår ängslan, oro eller ångest")],
          "Hälsotillstånd": [("02", "Dålig eller mycket dålig hälsa")],
          "Ålder": [("25- åldersstandardiserad", "25- åldersstandardiserad")],
          "Åldersstandardisering": [("2", "Åldersstandardiserat")]}


def _snapshots(sample_dir: Path, source: str) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((sample_dir / "indicators" / source).glob("*.json"))]


class SnapshotTable:
    """One PxWeb table built from the snapshots of every indicator that uses it."""

    def __init__(self, envelopes: list[dict], max_values: int, reverse_sex: bool = False,
                 keep_contents: bool = False):
        first = envelopes[0]["response"]
        self.keep = keep_contents  # SCB tables offer ContentsCode as a variable; FoHM's are eliminated
        self.ids = [d for d in first["id"] if d != "ContentsCode" or keep_contents]
        self.cells: dict[tuple, tuple] = {}
        codes: dict[str, dict[str, str]] = defaultdict(dict)
        for env in envelopes:
            ds = env["response"]
            dims = [ds["dimension"][d]["category"] for d in ds["id"]]
            for d, cat in zip(ds["id"], dims):
                if d != "ContentsCode" or self.keep:
                    for c, i in sorted(cat["index"].items(), key=lambda kv: kv[1]):
                        codes[d].setdefault(c, cat["label"][c])
            self._index(ds)
        variables = []
        for d in self.ids:
            values = list(codes[d].items()) + [v for v in DECOYS.get(d, []) if v[0] not in codes[d]]
            if d == "Kön" and reverse_sex:
                values = values[::-1]
            variables.append(PxVariable(d, first["dimension"][d]["label"], [c for c, _ in values],
                                        [t for _, t in values], time=d in first["role"]["time"]))
        self.px = PxTable(variables, self._value, max_values, title=first["label"], status_fn=self._status)

    def _index(self, ds: dict) -> None:
        ids = [d for d in ds["id"]]
        orders = [sorted(ds["dimension"][d]["category"]["index"], key=ds["dimension"][d]["category"]["index"].get)
                  for d in ids]
        status = ds.get("status") or {}
        if isinstance(status, list):
            status = {str(i): s for i, s in enumerate(status) if s}
        combos = [()]
        for order in orders:
            combos = [c + (x,) for c in combos for x in order]
        for i, combo in enumerate(combos):
            key = tuple(x for d, x in zip(ids, combo) if d != "ContentsCode" or self.keep)
            self.cells[key] = (ds["value"][i], status.get(str(i)))

    def _key(self, cell: dict[str, str]) -> tuple:
        return tuple(cell[d] for d in self.ids)

    def _value(self, cell: dict[str, str]):
        return self.cells.get(self._key(cell), (None, ".."))[0]

    def _status(self, cell: dict[str, str]):
        return self.cells.get(self._key(cell), (None, ".."))[1]


def serve_folkhalsodata(srv: FixtureServer, sample_dir: Path, max_values: int = 400,
                        skip_tables: tuple[str, ...] = ()) -> dict[str, SnapshotTable]:
    by_table: dict[str, list[dict]] = defaultdict(list)
    for env in _snapshots(sample_dir, "folkhalsodata"):
        by_table[env["url"].split(PX_ROOT + "/", 1)[-1].split("/sv/", 1)[-1]].append(env)
    srv.route("GET", f"{PX_ROOT}/?config", Reply.json({"maxValues": max_values, "maxCells": max_values}))
    tables = {}
    for path, envs in by_table.items():
        if any(path.endswith(s) for s in skip_tables):
            continue
        tables[path] = SnapshotTable(envs, max_values, reverse_sex=path.endswith("FortidReg.px"))
        tables[path].px.mount(srv, f"{PX_ROOT}/{path}")
    return tables


def serve_scb(srv: FixtureServer, sample_dir: Path, max_values: int = 150000) -> dict[str, SnapshotTable]:
    """SCB's PxWeb v1 for the series rows with source 'scb' (LivslUtbLan), from their sample snapshots."""
    by_table: dict[str, list[dict]] = defaultdict(list)
    for env in _snapshots(sample_dir, "scb"):
        by_table[env["url"].split("/ssd/", 1)[-1]].append(env)
    srv.route("GET", f"{SCB_ROOT}/?config", Reply.json({"maxValues": max_values, "maxCells": max_values}))
    tables = {}
    for path, envs in by_table.items():
        tables[path] = SnapshotTable(envs, max_values, keep_contents=True)
        tables[path].px.mount(srv, f"{SCB_ROOT}/{path}")
    return tables


def serve_kolada(srv: FixtureServer, sample_dir: Path, per_page: int = 40) -> None:
    """Answer /v3/data/kpi/<kpi>[/municipality/<ids>][/year/<years>] in pages of per_page, and /v3/kpi/<id>."""
    by_kpi: dict[str, list[dict]] = {}
    kpi_type: dict[str, str] = {}
    for env in _snapshots(sample_dir, "kolada"):
        entries = [e for page in env["pages"] for e in page["values"]]
        by_kpi[entries[0]["kpi"]] = entries
    from folkhalsa.settings import PROJECT_ROOT
    import csv
    with open(PROJECT_ROOT / "dbt" / "seeds" / "indicator_catalogue.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["kpi_id"]:
                kpi_type[row["kpi_id"]] = row["kpi_type"] or "A"

    def data(req) -> Reply:
        parts = urlsplit(req.path)
        seg = parts.path.split("/")
        kpi = seg[4]
        ids = seg[seg.index("municipality") + 1].split(",") if "municipality" in seg else None
        years = seg[seg.index("year") + 1].split(",") if "year" in seg else None
        if ids and len(ids) > 25:
            return Reply(400, b"Too many ids (max 25)")
        rows = [e for e in by_kpi.get(kpi, []) if (ids is None or e["municipality"] in ids)
                and (years is None or str(e["period"]) in years)]
        page = int(parse_qs(parts.query).get("page", ["1"])[0])
        chunk = rows[(page - 1) * per_page: page * per_page]
        body = {"values": chunk, "count": len(rows)}
        base = f"{srv.url}{parts.path}"
        if page * per_page < len(rows):
            body["next_url"] = f"{base}?page={page + 1}&per_page={per_page}"
        if page > 1:
            body["previous_url"] = f"{base}?page={page - 1}&per_page={per_page}"
        return Reply.json(body)

    def kpi(req) -> Reply:
        kid = urlsplit(req.path).path.split("/")[3]
        if kid not in by_kpi:
            return Reply.json({"values": [], "count": 0})
        return Reply.json({"values": [{"id": kid, "title": f"Exempel {kid}", "municipality_type": kpi_type[kid],
                                       "publ_period": "2023", "is_divided_by_gender": True}], "count": 1})

    srv.prefix("GET", f"{KOLADA_ROOT}/data/kpi/", data)
    srv.prefix("GET", f"{KOLADA_ROOT}/kpi/", kpi)
