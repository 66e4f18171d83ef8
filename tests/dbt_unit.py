"""`make test-dbt`: dbt's own unit tests (the `unit_tests:` in the model yml files), nothing else.

dbt unit tests read the columns of a model's parents from the database, so the models are first
created empty (`dbt run --empty`) on empty placeholder landing batches, in a temporary folder; no
sample data is landed and no full build runs. Exit status is dbt's.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from folkhalsa.pipeline import ensure_every_source
from folkhalsa.settings import get_settings
from folkhalsa.warehouse import run_dbt


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="folkhalsa-dbt-unit-") as tmp:
        settings = get_settings(output_dir=Path(tmp), input_dir=Path(tmp) / "in")
        ensure_every_source(settings)
        warehouse = Path(tmp) / "unit.duckdb"
        res = run_dbt(settings, warehouse, "build", "--empty", "--exclude", "test_type:unit",
                      "--exclude", "test_type:data")
        if not res.success:
            print(f"dbt run --empty failed: {res.exception or res.result}", file=sys.stderr)
            return 1
        res = run_dbt(settings, warehouse, "test", "--select", "test_type:unit")
        results = list(res.result or [])
        failed = [r for r in results if str(r.status).lower() not in ("pass", "success")]
        for r in failed:
            print(f"FAIL {r.node.name}: {r.message}", file=sys.stderr)
        print(f"dbt unit tests: {len(results) - len(failed)} passed, {len(failed)} failed")
        return 0 if res.success and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
