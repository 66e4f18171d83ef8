"""Who may read what on disk: private by default, public only where the code says so.

Everything a night writes under the output folder is owner-only (files 0600, folders 0700):
landed data (respondent-level survey answers, county contacts), the archive of originals, the
quarantine, the feedback workbooks (county contact details), the candidate build and the restricted
warehouse, run state, logs, Data Docs, dbt's target folder. Three things are for readers and
only they are made readable by others (files 0644, folders 0755): the published warehouse folder,
the reports and the status page. The output folder itself is 0711: others may pass through it to
those three, but not list it.

Owner-only is set two ways, because a library (polars, DuckDB, dbt, openpyxl, Quarto) creates its
files with the process umask and no mode of ours:

- `private_umask()` sets the umask to 077 around the night, so every file and folder is born
  owner-only, also when the process is killed half-way (nothing is left readable to fix later);
- `secure_output()` walks the output folder at the start and at the end of a night and sets every
  mode explicitly: it tightens trees written before this rule (or by hand with another umask) and
  opens the three public ones.
"""
from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
PUBLIC_FILE, PUBLIC_DIR = 0o644, 0o755
# The output root: others may traverse it to reach the public folders, but not list it.
ROOT_DIR = 0o711


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created inside are owner-only, whoever creates them (the umask is per process)."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def public_paths(settings) -> list[Path]:
    """The only parts of the output folder that others may read."""
    return [settings.warehouse_dir, settings.report_output_dir, settings.status_dir]


# Builds went to warehouse/ before they moved beside the restricted warehouse: a candidate left
# there by a killed run holds respondent-level data, so it stays private until the run removes it.
LEGACY_CANDIDATES = (".candidate.duckdb", ".candidate.duckdb.wal")


def allowed_public(path: Path, settings) -> bool:
    """May others read `path`? Only inside the public folders (and never a leftover candidate)."""
    path = Path(path).resolve()
    if path.name in LEGACY_CANDIDATES:
        return False
    return any(path == p or p in path.parents for p in (q.resolve() for q in public_paths(settings)))


def _chmod(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:  # removed while we walked (a rename of a temporary file)
        pass
    except PermissionError as e:  # not ours: say so, never stop the night for it
        log.warning("Kunde inte sätta rättigheter / could not set mode %o on %s: %s", mode, path, e)


def set_tree(root: Path, file_mode: int, dir_mode: int) -> None:
    """Set `root` and everything under it (symbolic links are left alone, never followed)."""
    if root.is_symlink() or not root.exists():
        return
    if root.is_file():
        _chmod(root, file_mode)
        return
    _chmod(root, dir_mode)
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for d in dirnames:
            if not (base / d).is_symlink():
                _chmod(base / d, dir_mode)
        for f in filenames:
            if not (base / f).is_symlink():
                _chmod(base / f, file_mode)


def make_private(path: Path) -> None:
    set_tree(Path(path), PRIVATE_FILE, PRIVATE_DIR)


def make_public(path: Path) -> None:
    set_tree(Path(path), PUBLIC_FILE, PUBLIC_DIR)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) owner-only, whatever the umask; returns it."""
    path = Path(path)
    with private_umask():
        path.mkdir(parents=True, exist_ok=True)
    _chmod(path, PRIVATE_DIR)
    return path


def secure_output(settings) -> None:
    """Every mode under the output folder as the rule says: the public folders readable, the rest
    owner-only, the root traversable."""
    root = Path(settings.output_dir)
    root.mkdir(parents=True, exist_ok=True)
    _chmod(root, ROOT_DIR)
    public = {p.resolve() for p in public_paths(settings)}
    for child in root.iterdir():
        if child.is_symlink():
            continue
        if child.resolve() in public:
            make_public(child)
            for legacy in LEGACY_CANDIDATES:
                make_private(child / legacy)
        else:
            make_private(child)


def readable_by_others(root: Path) -> list[Path]:
    """Files and folders under `root` that a user other than the owner (and not in its group) can read."""
    root = Path(root)
    out = []
    for p in [root, *root.rglob("*")]:
        if p.is_symlink():
            continue
        if p.lstat().st_mode & stat.S_IROTH:
            out.append(p)
    return out
