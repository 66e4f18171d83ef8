"""Checksums of every marts.* table in a warehouse, receipt and build times aside.

    python -m benchmarks.mart_checksums data/output/warehouse/folkhalsa.duckdb [> before.txt]

One line per table: name, row count, sha256 of its rows in a stable order. Columns that hold the
time a file was received or a build ran differ between two runs of the same data, so they are left out.
Used to show that a refactor changes no mart on the sample data (diff two outputs).
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import duckdb

VOLATILE = {"_received_at", "received_at", "built_at", "_built_at", "loaded_at", "_loaded_at", "run_at",
            "generated_at", "_landed_at", "landed_at"}
# Columns that hold a receipt time under another name: mart_source_provenance's first/last times are,
# for the county returns, when the files were received (the other sources' are their own fixed dates).
VOLATILE_BY_TABLE = {"mart_source_provenance": {"first_at", "last_at"}}


def checksums(warehouse: Path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        out = {}
        for t in tables:
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [t]).fetchall()]
            skip = VOLATILE | VOLATILE_BY_TABLE.get(t, set())
            keep = [c for c in cols if c.lower() not in skip]
            sel = ", ".join(f'"{c}"' for c in keep)
            rows = con.execute(f'select {sel} from marts."{t}" order by all').fetchall()
            h = hashlib.sha256()
            for r in rows:
                h.update(repr(r).encode())
            out[t] = (len(rows), h.hexdigest()[:16])
        return out
    finally:
        con.close()


def main(argv: list[str]) -> int:
    warehouse = Path(argv[0]) if argv else Path("data/output/warehouse/folkhalsa.duckdb")
    for t, (n, digest) in checksums(warehouse).items():
        print(f"{t}\t{n}\t{digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
