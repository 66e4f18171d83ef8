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
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import polars as pl

from folkhalsa.issues import Catalogue, InputError, Issue, issues_frame, read_issues

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
class Rejection:
    """An input that could not be used; its issues say why (file, sheet, row, column, rule)."""
    source: str
    file: str
    issues: list[Issue] = field(default_factory=list)
    county_code: str | None = None
    year: int | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


@dataclass
class LandResult:
    """What one land call did, for the run summary and alerting. Issues are Issue objects."""
    source: str
    landed: list[str] = field(default_factory=list)      # batch ids written now (new or re-landed)
    skipped: list[str] = field(default_factory=list)     # batch ids already present and current
    relanded: list[str] = field(default_factory=list)    # batch ids re-landed because the parser changed
    rejected: list[Rejection] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)    # every issue of the inputs landed now
    rows: dict[str, int] = field(default_factory=dict)   # table -> rows landed now

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def add_rows(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n

    def merge(self, part: LandResult) -> None:
        self.landed += part.landed
        self.skipped += part.skipped
        self.relanded += part.relanded
        self.rejected += part.rejected
        self.issues += part.issues
        for k, v in part.rows.items():
            self.add_rows(k, v)


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
        from folkhalsa.filemodes import make_private

        dest.parent.mkdir(parents=True, exist_ok=True)
        # copyfile, not copy2: copy2 copies the inbox file's mode (often 0644) onto the copy; the
        # archive and the quarantine are owner-only (folkhalsa.filemodes).
        if path.is_dir():
            shutil.copytree(path, dest, copy_function=shutil.copyfile)
        else:
            shutil.copyfile(path, dest)
            st = path.stat()
            os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
        make_private(dest)
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


# --------------------------------------------------------------------------- one landing path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Code every source's landing depends on: a change here re-lands every source.
COMMON_PARSER_FILES = ("folkhalsa/landing.py", "folkhalsa/issues.py")


@dataclass
class Parsed:
    """What a source's parser made of one input file.

    tables: the landed tables without provenance; a `_row` column holds source row numbers.
    issues: every problem found; an error issue rejects the file unless `rejected` says otherwise.
    sheets: table -> sheet name, for the `_sheet` provenance column.
    manifest: extra fields for the batch manifest (county_code, year, ...).
    """
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    sheets: dict[str, str | None] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    received_at: datetime | None = None
    rejected: bool | None = None

    @property
    def is_rejected(self) -> bool:
        return self.rejected if self.rejected is not None else any(i.severity == "error" for i in self.issues)


@dataclass
class LandingSource:
    """The landing contract of one source.

    name: the folder under landing/ and the dbt source name.
    catalogue: the source's rules (the `unreadable` rule is used when a parser crashes).
    empty_tables: every landed table (without provenance and without `issues`) with no rows.
    parser_files: globs under the project root whose content makes the parser version.
    rejected_tables: the tables a rejected file lands besides its issues (default: empty_tables).
    """
    name: str
    catalogue: Catalogue
    empty_tables: Callable[[], dict[str, pl.DataFrame]]
    parser_files: tuple[str, ...]
    rejected_tables: Callable[[Path, str, list[Issue]], dict[str, pl.DataFrame]] | None = None
    # False: cell values stay in the landed issues table only, out of LandResult, summary and alert
    # (survey answers can be personal free text).
    values_in_results: bool = True

    def parser_version(self) -> str:
        """A hash of the code and reference files the parser reads: a change re-lands the source."""
        h = hashlib.sha256()
        for pattern in COMMON_PARSER_FILES + self.parser_files:
            for p in sorted([Path(pattern)] if Path(pattern).is_absolute() else PROJECT_ROOT.glob(pattern)):
                if p.is_file():
                    h.update(pattern.encode() + p.name.encode())
                    h.update(p.read_bytes())
        return h.hexdigest()[:16]

    def all_empty_tables(self) -> dict[str, pl.DataFrame]:
        """Every landed table with provenance and no rows (for placeholder batches)."""
        tables = {**self.empty_tables(), "issues": issues_frame([])}
        return {k: _provenance(df, PLACEHOLDER_BATCH, "", "0" * 64, None, utc_now()) for k, df in tables.items()}


Parser = Callable[[Path, str], Parsed]   # (path, display name) -> Parsed; raises InputError


def _provenance(df: pl.DataFrame, batch_id: str, file: str, sha: str, sheet: str | None,
                received_at: datetime) -> pl.DataFrame:
    if "_row" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.Int64).alias("_row"))
    df = with_provenance(df, batch_id=batch_id, source_file=file, sha256=sha, sheet=sheet,
                         received_at=received_at, row_col="_row")
    # The same column order in every landed table: the source's columns, then provenance.
    return df.select(*[c for c in df.columns if c not in PROVENANCE_COLUMNS], *PROVENANCE_COLUMNS)


def _issue_table(issues: list[Issue], batch_id: str, file: str, sha: str, received_at: datetime) -> pl.DataFrame:
    df = issues_frame(issues).with_columns(pl.col("row").alias("_row"))
    df = _provenance(df, batch_id, file, sha, None, received_at)
    return df.with_columns(pl.col("sheet").alias("_sheet"))


def quarantine_file(path: Path, quarantine_dir: Path, sha256: str, issues: list[Issue],
                    display_name: str | None = None) -> Path:
    """Copy a rejected original aside with a <name>.fel.txt listing its issues, one per line."""
    dest = archive_original(path, quarantine_dir / sha256[:16], sha256)
    lines = [f"Filen avvisades / The file was rejected: {display_name or path.name}", ""]
    lines += [i.message() for i in issues]
    dest.with_name(dest.name + ".fel.txt").write_text("\n".join(lines) + "\n", "utf-8")
    return dest


def archived_path(archive_dir: Path, sha256: str, name: str) -> Path:
    return archive_dir / sha256[:2] / f"{sha256}__{Path(name).name}"


def land_file(source: LandingSource, path: Path, parse: Parser, *, landing_dir: Path, archive_dir: Path,
              quarantine_dir: Path | None, result: LandResult, display_name: str | None = None,
              parser_version: str | None = None, manifest: dict | None = None) -> str:
    """Land one input file: hash, skip if landed by this parser version, archive, parse, provenance
    columns, atomic Parquet write; a rejected file is quarantined with its issues (and its issues land).

    `manifest`: fields recorded even when the parser fails (what reland_stale needs to parse again).
    Returns "landed", "relanded", "skipped", "rejected" (landed its issues only) or "unreadable".
    A parser crash rejects this file only. Everything is recorded in `result`.
    """
    path = Path(path)
    name = display_name or path.name
    version = parser_version or source.parser_version()
    try:
        sha = sha256_file(path)
    except OSError as e:
        issue = source.catalogue.issue("unreadable", file=name, detail=f"{type(e).__name__}: {e}")
        result.rejected.append(Rejection(source.name, name, [issue]))
        result.issues.append(issue)
        return "unreadable"
    bid = batch_id_for(sha)
    old = read_manifest(landing_dir, source.name, bid)
    if old is not None and old.get("parser") == version:
        result.skipped.append(bid)
        if old.get("status") == "rejected":
            issues = read_issues(pl.read_parquet(batch_dir(landing_dir, source.name, bid) / "issues.parquet"))
            if not source.values_in_results:
                issues = [replace(i, value=None) for i in issues]
            result.rejected.append(Rejection(source.name, name, issues, old.get("county_code"), old.get("year")))
        return "skipped"
    try:
        parsed = parse(path, name)
    except InputError as e:
        parsed = Parsed(issues=e.issues, rejected=True)
    except Exception as e:  # noqa: BLE001 - a parser bug quarantines this file, never the night
        parsed = Parsed(issues=[source.catalogue.issue("unreadable", file=name,
                                                       detail=f"{type(e).__name__}: {e}")], rejected=True)
    issues = [i.with_file(name, sha) for i in parsed.issues]
    received_at = parsed.received_at or utc_now()
    if parsed.is_rejected and not parsed.tables:
        parsed.tables = (source.rejected_tables or (lambda p, n, i: source.empty_tables()))(path, name, issues)
    tables = {t: _provenance(df, bid, name, sha, parsed.sheets.get(t), received_at)
              for t, df in parsed.tables.items()}
    tables["issues"] = _issue_table(issues, bid, name, sha, received_at)
    archive_original(path, archive_dir, sha)
    status = "rejected" if parsed.is_rejected else "accepted"
    counts = {s: sum(i.severity == s for i in issues) for s in ("error", "warning", "normalised")}
    write_batch(landing_dir, source.name, bid, tables, {
        "file": name, "sha256": sha, "received_at": received_at.isoformat(), "landed_at": utc_now().isoformat(),
        "status": status, "parser": version, "issues": counts, **(manifest or {}), **parsed.manifest})
    result.landed.append(bid)
    if old is not None:
        result.relanded.append(bid)
    for t, df in tables.items():
        result.add_rows(t, df.height)
    if not source.values_in_results:
        issues = [replace(i, value=None) for i in issues]
    result.issues += issues
    if parsed.is_rejected:
        if quarantine_dir is not None:
            quarantine_file(path, quarantine_dir, sha, issues, name)  # values removed above when private
        result.rejected.append(Rejection(source.name, name, issues, parsed.manifest.get("county_code"),
                                         parsed.manifest.get("year")))
        return "rejected"
    return "relanded" if old is not None else "landed"


def reland_stale(source: LandingSource, parse: Parser, *, landing_dir: Path, archive_dir: Path,
                 quarantine_dir: Path | None, result: LandResult, done: set[str],
                 parser_version: str | None = None) -> None:
    """Re-land, from the archive, every batch of `source` landed by another parser version whose
    input was not offered this run (`done`: batch ids already handled)."""
    version = parser_version or source.parser_version()
    for m in sorted((landing_dir / source.name).glob("*/_manifest.json")):
        bid = m.parent.name
        if bid in done or bid == PLACEHOLDER_BATCH:
            continue
        manifest = json.loads(m.read_text("utf-8"))
        if manifest.get("parser") == version or not manifest.get("sha256"):
            continue
        original = archived_path(archive_dir, manifest["sha256"], manifest.get("file", ""))
        if original.exists():
            land_file(source, original, parse, landing_dir=landing_dir, archive_dir=archive_dir,
                      quarantine_dir=quarantine_dir, result=result, display_name=manifest.get("file"),
                      parser_version=version)


def land_files(source: LandingSource, paths: list[tuple[Path, str]], parse: Parser, *, landing_dir: Path,
               archive_dir: Path, quarantine_dir: Path | None) -> LandResult:
    """land_file for each (path, display name), then re-land stale batches from the archive."""
    result = LandResult(source.name)
    version = source.parser_version()
    for path, name in paths:
        land_file(source, path, parse, landing_dir=landing_dir, archive_dir=archive_dir,
                  quarantine_dir=quarantine_dir, result=result, display_name=name, parser_version=version)
    reland_stale(source, parse, landing_dir=landing_dir, archive_dir=archive_dir, quarantine_dir=quarantine_dir,
                 result=result, done=set(result.landed) | set(result.skipped), parser_version=version)
    return result


def parser_versions(sources: list[LandingSource]) -> dict[str, str]:
    return {s.name: s.parser_version() for s in sources}
