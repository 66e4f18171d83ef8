"""Render the annual-report sections with Quarto (an external tool found on PATH)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPORT = "arsrapport.qmd"
FORMATS = ("html", "docx", "typst")
INSTALL_HINT = (
    "Quarto saknas på PATH / Quarto is not on PATH. Installera från https://quarto.org/docs/get-started/ "
    "eller `pip install quarto-cli` på en dator med internet, och kör sedan `folkhalsa render`."
)


class QuartoMissing(RuntimeError):
    pass


class RenderError(RuntimeError):
    pass


@dataclass
class RenderResult:
    rendered: bool
    message: str = ""
    files: list[Path] = field(default_factory=list)


def quarto_path() -> str | None:
    return shutil.which("quarto")


def render_reports(reports_dir: Path, out_dir: Path, warehouse: Path, years: list[int],
                   formats: list[str] | tuple[str, ...] = FORMATS, mode: str = "auto",
                   sample: bool = False) -> RenderResult:
    """`quarto render` the report for each year into out_dir/<year>/.

    mode: auto (skip with a clear message when Quarto is missing), always (missing Quarto is an
    error) or never.
    """
    if mode == "never":
        return RenderResult(False, "Rendering avstängd (--render never) / rendering disabled.")
    quarto = quarto_path()
    if quarto is None:
        if mode == "always":
            raise QuartoMissing(INSTALL_HINT)
        return RenderResult(False, INSTALL_HINT)
    files: list[Path] = []
    for year in years:
        # Render beside the published reports and swap in only a complete set.
        dest, tmp = out_dir / str(year), out_dir / f".rendering-{year}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        cmd = [quarto, "render", REPORT, "--to", ",".join(formats), "--output-dir", str(tmp.resolve()),
               "-P", f"year:{year}", "-P", f"warehouse:{warehouse.resolve()}",
               "-P", f"sample:{str(sample).lower()}"]
        # Quarto must run the document with this environment's Python, not whatever python3 is on PATH.
        env = {**os.environ, "QUARTO_PYTHON": sys.executable}
        proc = subprocess.run(cmd, cwd=reports_dir, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise RenderError(f"quarto render misslyckades för {year} / failed for {year}:\n{tail}")
        _swap_in(tmp, dest)
        files += sorted(p for p in dest.rglob("*") if p.is_file() and p.suffix in (".html", ".docx", ".pdf"))
    return RenderResult(True, f"{len(files)} filer renderade / files rendered", files)


def _swap_in(new: Path, dest: Path) -> None:
    old = dest.with_name(f".old-{dest.name}")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        os.replace(dest, old)
    os.replace(new, dest)
    shutil.rmtree(old, ignore_errors=True)
