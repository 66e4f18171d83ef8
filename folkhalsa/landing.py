"""Immutable Parquet landing with provenance.

Layout: <landing>/<source>/<batch_id>/<table>.parquet plus _manifest.json.
A batch id is derived from the content hash of the input, so landing the
same file twice is a no-op and every batch can be re-landed on its own.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

PROVENANCE_COLUMNS = {
    "_batch_id": pl.Utf8,
    "_source_file": pl.Utf8,
    "_sha256": pl.Utf8,
    "_sheet": pl.Utf8,
    "_row": pl.Int64,
    "_received_at": pl.Datetime("us", "UTC"),
}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        # A folder of CSV parts hashes as the sorted (name, content) pairs.
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(path).as_posix().encode())
                h.update(p.read_bytes())
        return h.hexdigest()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def batch_id_for(sha256: str) -> str:
    return sha256[:16]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def with_provenance(
    df: pl.DataFrame, *, batch_id: str, source_file: str, sha256: str, sheet: str | None,
    received_at: datetime, row_col: str | None = None,
) -> pl.DataFrame:
    """Add the provenance columns. `row_col` names an existing column holding source row numbers."""
    rows = pl.col(row_col).cast(pl.Int64) if row_col else pl.lit(None, pl.Int64)
    df = df.with_columns(
        pl.lit(batch_id).alias("_batch_id"),
        pl.lit(source_file).alias("_source_file"),
        pl.lit(sha256).alias("_sha256"),
        pl.lit(sheet, pl.Utf8).alias("_sheet"),
        rows.alias("_row"),
        pl.lit(received_at).cast(pl.Datetime("us", "UTC")).alias("_received_at"),
    )
    if row_col and row_col != "_row":
        df = df.drop(row_col)
    return df


@dataclass
class LandResult:
    """What one land() call did, for the run summary and alerting."""
    source: str
    landed: list[str] = field(default_factory=list)      # batch ids written now
    skipped: list[str] = field(default_factory=list)     # batch ids already present
    rejected: list[dict] = field(default_factory=list)   # {"file", "errors": [str, ...]}
    warnings: list[dict] = field(default_factory=list)   # {"file", "message"}
    rows: dict[str, int] = field(default_factory=dict)   # table -> rows landed now

    def add_rows(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def batch_dir(landing_dir: Path, source: str, batch_id: str) -> Path:
    return landing_dir / source / batch_id


def batch_exists(landing_dir: Path, source: str, batch_id: str) -> bool:
    return (batch_dir(landing_dir, source, batch_id) / "_manifest.json").exists()


def read_manifest(landing_dir: Path, source: str, batch_id: str) -> dict | None:
    p = batch_dir(landing_dir, source, batch_id) / "_manifest.json"
    return json.loads(p.read_text("utf-8")) if p.exists() else None


def write_batch(
    landing_dir: Path, source: str, batch_id: str, tables: dict[str, pl.DataFrame], manifest: dict
) -> Path:
    """Write all tables of one batch, then the manifest, then rename into place.

    Every table is written even when empty, so dbt sources always find their files.
    The batch appears atomically: a killed run leaves no half batch.
    """
    final = batch_dir(landing_dir, source, batch_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{batch_id}.", dir=final.parent))
    try:
        for name, df in tables.items():
            df.write_parquet(tmp / f"{name}.parquet")
        manifest = {**manifest, "batch_id": batch_id, "source": source,
                    "rows": {k: v.height for k, v in tables.items()}}
        (tmp / "_manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), "utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


PLACEHOLDER_BATCH = "0" * 16


def ensure_source(landing_dir: Path, source: str, empty_tables: dict[str, pl.DataFrame]) -> bool:
    """Give a source that has never landed an empty placeholder batch, so dbt's globs match a file
    and a first night without, say, a survey export still builds. True if one was written."""
    root = landing_dir / source
    if root.exists() and any(root.glob("*/_manifest.json")):
        return False
    write_batch(landing_dir, source, PLACEHOLDER_BATCH, empty_tables, {"placeholder": True})
    return True


def archive_original(path: Path, archive_dir: Path, sha256: str) -> Path:
    """Keep the original bytes under their hash, so every landed row can be traced back."""
    dest = archive_dir / sha256[:2] / f"{sha256}__{path.name}"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, dest)
        else:
            shutil.copy2(path, dest)
    return dest


def data_version(landing_dir: Path) -> str:
    """A short hash of every landed batch: the data version printed in reports."""
    h = hashlib.sha256()
    for m in sorted(landing_dir.glob("*/*/_manifest.json")):
        h.update(f"{m.parent.parent.name}/{m.parent.name}\n".encode())
    return h.hexdigest()[:12]


DATASET_FILE = "_dataset.json"


def record_dataset_info(landing_dir: Path, info: dict) -> Path:
    """Write what the landed data is next to it, so any dbt build (also a standalone one) labels it.
    Sample data stays marked: once synthetic batches have landed, the landing keeps the sample label."""
    p = Path(landing_dir) / DATASET_FILE
    old = json.loads(p.read_text("utf-8")) if p.exists() else {}
    synthetic = bool(info.get("synthetic")) or bool(old.get("synthetic"))
    label = info.get("label") if info.get("synthetic") or not old.get("synthetic") else old.get("label")
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps({"synthetic": synthetic, "label": label or ""}, ensure_ascii=False), "utf-8")
    os.replace(tmp, p)
    return p


def read_dataset_info(input_dir: Path) -> dict:
    """dataset.json in an input folder says what the data is; sample data carries its label."""
    p = input_dir / "dataset.json"
    info = json.loads(p.read_text("utf-8")) if p.exists() else {}
    return {"synthetic": bool(info.get("synthetic", False)), "label": info.get("label", ""), **info}
