"""`make docs`: the dbt docs site for the published warehouse, written into the outputs."""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from folkhalsa.settings import Settings
from folkhalsa.warehouse import run_dbt


def build_docs(settings: Settings) -> Path:
    if not settings.published_warehouse.exists():
        raise SystemExit(f"Inget publicerat lager / no published warehouse at {settings.published_warehouse}; "
                         "kör / run `make run` först.")
    out = settings.output_dir / "dbt_docs"
    with tempfile.TemporaryDirectory() as tmp:
        # dbt opens its target read-write; give it a copy so the published file is never touched.
        copy = Path(tmp) / "docs.duckdb"
        shutil.copy2(settings.published_warehouse, copy)
        res = run_dbt(settings, copy, "docs generate", "--static", target_path=out)
    if not res.success:
        raise SystemExit(f"dbt docs generate failed: {res.exception}")
    return out / "static_index.html"


if __name__ == "__main__":
    index = build_docs(Settings())
    print(f"dbt docs: {index}")
    sys.exit(0)
