"""Build the warehouse with dbt into a candidate file, and publish it atomically.

dbt is the only writer of the warehouse. The build always goes to a new file; publishing is a
rename, so readers (reports, analysts, GX) only ever see a complete and checked warehouse.

The published warehouse holds only the schemas readers need (`PUBLISHED_SCHEMAS`), copied into a
fresh file. The build itself, with the respondent-level `restricted` schema and the staging views
over the landed files, becomes the restricted warehouse (`Settings.restricted_warehouse`), readable
by its owner only. A fresh file, not a copy with schemas dropped: DuckDB reuses freed blocks but
does not wipe them, so dropped rows would still be in the published bytes.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from folkhalsa.filemodes import PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE, private_dir
from folkhalsa.settings import Settings, dbt_vars


class DbtBuildError(RuntimeError):
    pass


@dataclass
class BuildResult:
    warehouse: Path
    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


@contextmanager
def _dbt_env(values: dict[str, str]):
    """dbt reads its paths from env_var() in profiles.yml and sources; set them for one invocation."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt_args(settings: Settings, command: str, *extra: str, dataset: dict | None = None,
             target_path: Path | None = None) -> list[str]:
    """Arguments for one dbt invocation; `command` may be two words, e.g. "docs generate"."""
    dataset = dataset or {}
    vars_ = {**dbt_vars(settings),
             "data_label": dataset.get("label", ""), "is_sample": dataset.get("synthetic", False),
             "data_version": dataset.get("data_version", "")}
    return [*command.split(), "--project-dir", str(settings.dbt_dir), "--profiles-dir", str(settings.dbt_dir),
            "--target", "prod", "--target-path", str(target_path or settings.output_dir / "dbt_target"),
            "--log-path", str(settings.output_dir / "logs"), "--log-level-file", settings.dbt_file_log_level,
            "--vars", json.dumps(vars_),
            "--quiet", *extra]


def run_dbt(settings: Settings, warehouse: Path, command: str = "build", *extra: str,
            dataset: dict | None = None, target_path: Path | None = None):
    from dbt.cli.main import dbtRunner

    env = {"FOLKHALSA_WAREHOUSE": str(warehouse.resolve()),
           "FOLKHALSA_LANDING": str(settings.landing_dir.resolve()),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with _dbt_env(env):
        try:
            return dbtRunner().invoke(dbt_args(settings, command, *extra, dataset=dataset, target_path=target_path))
        finally:
            _close_duckdb()


def _close_duckdb() -> None:
    """Close the DuckDB file dbt kept open for the whole invocation.

    The profile says `keep_open: true`: opening the file for each of a build's ~600 nodes took a third
    of the build (27 s -> 17 s on the sample). dbt-duckdb drops that connection only when the process
    exits, and the night goes on in this process: it re-opens the file read-only, copies it and moves
    it. So it is closed here, after every invocation, pass or fail."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
        DuckDBConnectionManager.close_all_connections()


NIGHTLY_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


def candidate_path(settings: Settings) -> Path:
    """Where the build goes: beside the restricted warehouse (owner-only folder), never in warehouse/,
    since the build holds the respondent-level `restricted` schema until publish splits it off."""
    return settings.restricted_warehouse.parent / ".candidate.duckdb"


def build_candidate(settings: Settings, dataset: dict | None = None, candidate: Path | None = None) -> BuildResult:
    """`dbt build` into a new candidate file in the restricted folder (0700; the file is born 0600)."""
    # A stable name keeps dbt's partial parse valid between runs; the run lock rules out two builds.
    candidate = candidate or candidate_path(settings)
    if candidate.parent == settings.restricted_warehouse.parent:
        private_dir(candidate.parent)
    candidate.unlink(missing_ok=True)
    # dbt's unit tests check the SQL against fixed inputs, not the night's data: they run where the SQL
    # changes (an analyst's `dbt build` on the dev target, `make test-dbt`, CI), not in every night.
    res = run_dbt(settings, candidate, "build", *NIGHTLY_BUILD_EXCLUDES, dataset=dataset)
    result = BuildResult(candidate)
    # res.result is the run's results, or None when dbt failed before running anything.
    for r in res.result if isinstance(res.result, Iterable) else []:
        status = str(getattr(r, "status", "")).lower()
        if status in ("error", "fail", "runtime error"):
            result.failed += 1
            result.failures.append(f"{r.node.name}: {r.message}")
        else:
            result.passed += 1
    if not res.success:
        detail = "; ".join(result.failures) or str(res.exception)
        raise DbtBuildError(f"dbt build misslyckades / failed: {detail}")
    result.rows = mart_row_counts(candidate)
    return result


def mart_row_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for (t,) in tables}


CHECKS_FILE = "published_checks.json"
PUBLISHED_SCHEMAS = ("marts", "reference")


def published_copy(candidate: Path, dest_dir: Path | None = None) -> Path:
    """A new DuckDB file in `dest_dir` (default: beside `candidate`) holding only the published
    schemas' tables; readable by others (0644), as the published warehouse is."""
    public = (dest_dir or candidate.parent) / (candidate.stem + ".public.duckdb")
    discard(public)
    with duckdb.connect(str(public)) as con:
        con.execute("attach ? as build (read_only)", [str(candidate)])
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'build' and table_type = 'BASE TABLE' "
            f"and table_schema in ({', '.join('?' * len(PUBLISHED_SCHEMAS))}) order by 1, 2",
            list(PUBLISHED_SCHEMAS)).fetchall()
        for schema in sorted({s for s, _ in tables}):
            con.execute(f'create schema "{schema}"')
        for schema, table in tables:
            con.execute(f'create table "{schema}"."{table}" as select * from build."{schema}"."{table}"')
        con.execute("detach build")
    discard(Path(str(public) + ".wal"))
    os.chmod(public, PUBLIC_FILE)
    return public


def keep_restricted(candidate: Path, settings: Settings) -> Path:
    """Move the whole build to the restricted warehouse, owner-only (0700 folder, 0600 file)."""
    target = settings.restricted_warehouse
    private_dir(target.parent)
    os.chmod(candidate, PRIVATE_FILE)
    os.replace(candidate, target)
    discard(candidate)  # a leftover .wal
    return target


def publish(candidate: Path, settings: Settings, checks: dict | None = None) -> Path:
    """Swap the candidate's published copy in with a rename, keeping the last N published
    warehouses, and keep the whole candidate as the restricted warehouse. `checks`, the results that
    let it through, go beside it for the reports' data-quality appendix."""
    published = settings.published_warehouse
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.warehouse_dir, PUBLIC_DIR)
    # Written in warehouse/, so the swap below is a rename within one directory.
    public = published_copy(candidate, settings.warehouse_dir)
    if checks is not None:
        tmp = settings.warehouse_dir / f".{CHECKS_FILE}"
        tmp.write_text(json.dumps(checks, ensure_ascii=False, indent=2, default=str), "utf-8")
        os.chmod(tmp, PUBLIC_FILE)
        os.replace(tmp, settings.warehouse_dir / CHECKS_FILE)
    if published.exists():
        history = settings.warehouse_dir / "history"
        history.mkdir(exist_ok=True)
        os.chmod(history, PUBLIC_DIR)
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        # A hard link keeps the old version without ever leaving `published` missing.
        os.link(published, history / f"folkhalsa-{stamp}.duckdb")
        for old in sorted(history.glob("folkhalsa-*.duckdb"))[: -settings.keep_published or None]:
            old.unlink(missing_ok=True)
    # Readers holding the old file keep reading it; new readers get the new one.
    os.replace(public, published)
    # Killed here, the restricted warehouse is last night's and the candidate is removed next run.
    keep_restricted(candidate, settings)
    return published


def discard(candidate: Path) -> None:
    candidate.unlink(missing_ok=True)
    Path(str(candidate) + ".wal").unlink(missing_ok=True)


def clean_stale_candidates(settings: Settings) -> list[Path]:
    """Candidates left by a killed run are never published; remove them (also from warehouse/,
    where builds went before they moved beside the restricted warehouse)."""
    stale = [p for d in (settings.warehouse_dir, candidate_path(settings).parent) if d.exists()
             for p in d.glob(".candidate*.duckdb*")]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale

