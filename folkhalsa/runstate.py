"""What the last published build was made from, so a run with no new input can skip the rebuild,
and a lock so that two nightly runs never overlap."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

from folkhalsa.landing import batch_exists, batch_id_for, data_version, sha256_file
from folkhalsa.settings import Settings

# Everything that changes what dbt builds or what the checks say.
CODE_GLOBS = ("dbt/dbt_project.yml", "dbt/models/**/*", "dbt/seeds/*", "dbt/macros/*",
              "dbt/tests/**/*", "expectations/expectations/**/*.json", "folkhalsa/quality.py",
              "reports/*.qmd", "reports/*.py", "reports/_quarto.yml")


class RunLocked(RuntimeError):
    pass


def code_hash(root: Path) -> str:
    h = hashlib.sha256()
    for pattern in CODE_GLOBS:
        for p in sorted(root.glob(pattern)):
            if p.is_file():
                h.update(p.relative_to(root).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def fingerprint(settings: Settings, data_version: str, parsers: dict[str, str] | None = None) -> dict:
    """What a build depends on. `parsers`: parser version per source (landing.parser_versions), so a
    parser change (which re-lands batches under the same ids) also rebuilds."""
    return {"data_version": data_version, "code": code_hash(settings.project_root),
            "years": settings.years, "deadline": [settings.return_deadline_month, settings.return_deadline_day],
            "parsers": parsers or {}}


def _path(settings: Settings) -> Path:
    return settings.state_dir / "last_build.json"


def unchanged_since_last_build(settings: Settings, fp: dict) -> dict | None:
    """The last build's record if nothing it depends on has changed and its warehouse is still published."""
    p = _path(settings)
    if not p.exists() or not settings.published_warehouse.exists():
        return None
    last = json.loads(p.read_text("utf-8"))
    return last if last.get("fingerprint") == fp else None


def record_build(settings: Settings, fp: dict, checks: dict, findings: list[dict]) -> None:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    tmp = _path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": fp, "checks": checks, "findings": findings},
                              ensure_ascii=False, indent=2, default=str), "utf-8")
    os.replace(tmp, _path(settings))


@contextmanager
def run_lock(settings: Settings):
    """An exclusive lock on the output folder; a second run is refused while the first holds it."""
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    lock_path = settings.output_dir / ".nightly.lock"
    with lock_path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"En annan körning pågår i / another run is in progress in {settings.output_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def nothing_new(settings: Settings, inputs: list[tuple[str, Path]], parsers: dict[str, str],
                alerts_waiting: bool) -> dict | None:
    """The last build's record when a run now could change nothing: every input is already landed,
    code, parsers and settings are unchanged, and no alert waits to be sent. Otherwise None.

    The caller passes what it knows of sources and alerts (folkhalsa.pipeline.input_files,
    landing.parser_versions, AlertState.outbox), so this module depends on neither."""
    if settings.online or alerts_waiting:
        return None
    for source, path in inputs:
        if not batch_exists(settings.landing_dir, source, batch_id_for(sha256_file(path))):
            return None
    return unchanged_since_last_build(settings, fingerprint(settings, data_version(settings.landing_dir), parsers))
