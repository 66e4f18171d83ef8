"""Render the annual-report sections with Quarto (an external tool: FOLKHALSA_QUARTO, else PATH).

One `quarto render --to <format>` per format: Quarto refuses a comma-separated format list inside a
project ("ERROR: Unknown format html,docx,typst", quarto-dev/quarto-cli#5947). Each year renders in
a private copy of the Quarto project, so two renders never share Quarto's intermediate files and the
source folder stays clean; the year's reports are swapped in only when every format succeeded. The
years render side by side.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPORT = "arsrapport.qmd"
FORMATS = ("html", "docx", "typst")
SUFFIX = {"html": ".html", "docx": ".docx", "typst": ".pdf"}
INSTALL_HINT = (
    "Quarto saknas på PATH / Quarto is not on PATH. Installera från https://quarto.org/docs/get-started/ "
    "eller `pip install quarto-cli` på en dator med internet, och kör sedan `folkhalsa render`."
)
# A Typst import of a package ("@preview/…") is downloaded at compile time: the PDF would need the internet.
TYPST_PACKAGE_IMPORT = re.compile(r'^\s*#import\s+"@[^"]+"', re.MULTILINE)
# What the render copies of the Quarto project (not earlier output or Quarto's caches).
_NOT_COPIED = shutil.ignore_patterns(".venv", "_output", ".quarto", "_freeze", "*_files", "*.html", "*.pdf", "*.typ",
                                     "*.ipynb", "*.quarto_ipynb", "__pycache__", ".gitignore")


class QuartoMissing(RuntimeError):
    pass


class RenderError(RuntimeError):
    pass


@dataclass
class RenderResult:
    rendered: bool
    message: str = ""
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)   # "2023 html" -> wall time of that Quarto call


def quarto_path(configured: str | os.PathLike | None = None) -> str | None:
    """The Quarto executable: `configured` (Settings.quarto, FOLKHALSA_QUARTO) when given, else
    `quarto` on PATH. A configured path that is not an executable file counts as missing: it never
    falls back to PATH, so a wrong setting is seen, not hidden."""
    if configured:
        p = Path(configured).expanduser()
        return str(p) if p.is_file() and os.access(p, os.X_OK) else None
    return shutil.which("quarto")


def missing_message(configured: str | os.PathLike | None = None) -> str:
    if configured:
        return (f"Quarto saknas / Quarto not found: FOLKHALSA_QUARTO={configured} är ingen körbar fil / "
                "is not an executable file. Installera från https://quarto.org/docs/get-started/.")
    return INSTALL_HINT


def parse_formats(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """'html,docx,typst' (or a list) -> ['html', 'docx', 'typst']; 'pdf' is Typst's PDF."""
    items = text.split(",") if isinstance(text, str) else list(text)
    formats = ["typst" if f.strip() == "pdf" else f.strip() for f in items if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"Okänt format / unknown format: {', '.join(unknown) or text!r} "
                         f"(välj bland / choose from {', '.join(FORMATS)})")
    return list(dict.fromkeys(formats))


def render_reports(reports_dir: Path, out_dir: Path, warehouse: Path, years: list[int],
                   formats: list[str] | tuple[str, ...] = FORMATS, mode: str = "auto",
                   sample: bool = False, quarto: str | os.PathLike | None = None) -> RenderResult:
    """`quarto render` the report for each year and format into out_dir/<year>/.

    mode: auto (skip with a clear message when Quarto is missing), always (missing Quarto is an
    error) or never. `quarto`: the configured executable (Settings.quarto), else PATH. A failing
    format raises RenderError with Quarto's own message (every failed year's, once all years are
    done); a failed year's last good reports stay in place, the other years' new ones are swapped in.
    """
    if mode == "never":
        return RenderResult(False, "Rendering avstängd (--render never) / rendering disabled.")
    configured, quarto = quarto, quarto_path(quarto)
    if quarto is None:
        if mode == "always":
            raise QuartoMissing(missing_message(configured))
        return RenderResult(False, missing_message(configured))
    formats = parse_formats(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The years render side by side, each in its own project copy: a Quarto call (its Python kernel,
    # pandoc, Typst) keeps about one core busy, so on two cores two years take little more than one.
    workers = max(1, min(len(years), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render") as pool:
        running = {year: pool.submit(_render_year, quarto, reports_dir, out_dir, warehouse, year, formats, sample)
                   for year in years}
    result, failed = RenderResult(True), []
    for year, future in running.items():
        try:
            result.seconds.update(future.result())
        except RenderError as e:   # that year's last good reports stay; the other years are swapped in
            failed.append(str(e))
            continue
        result.files += [out_dir / str(year) / f"{Path(REPORT).stem}{SUFFIX[f]}" for f in formats]
    if failed:
        raise RenderError("\n\n".join(failed))
    times = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(result.seconds.items()))
    result.message = f"{len(result.files)} filer renderade / files rendered ({times})"
    return result


def _render_year(quarto: str, reports_dir: Path, out_dir: Path, warehouse: Path, year: int,
                 formats: list[str], sample: bool) -> dict[str, float]:
    """Every format of one year, swapped in together; the wall time of each Quarto call."""
    seconds = {}
    # The project copy in the system's temp folder (Quarto treats a project under a hidden folder
    # differently); the finished files are staged beside the published ones, then swapped in.
    with tempfile.TemporaryDirectory(prefix=f"folkhalsa-render-{year}-") as tmp, \
            tempfile.TemporaryDirectory(prefix=f".rendering-{year}-", dir=out_dir) as staging:
        project = Path(tmp) / "reports"
        shutil.copytree(reports_dir, project, ignore=_NOT_COPIED)
        staged = Path(staging) / "out"
        staged.mkdir()
        # Word and PDF before HTML: the HTML links only to the formats that exist beside it.
        for fmt in sorted(formats, key=lambda f: f == "html"):
            started = time.perf_counter()
            _render_one(quarto, project, fmt, year, warehouse, sample, staged)
            seconds[f"{year} {fmt}"] = time.perf_counter() - started
        _swap_in(staged, out_dir / str(year))
    return seconds


def _render_one(quarto: str, project: Path, fmt: str, year: int, warehouse: Path, sample: bool,
                staged: Path) -> None:
    cmd = [quarto, "render", REPORT, "--to", fmt,
           "-P", f"year:{year}", "-P", f"warehouse:{Path(warehouse).resolve()}",
           "-P", f"sample:{str(sample).lower()}"]
    if fmt == "typst":
        cmd += ["-M", "keep-typ:true"]   # kept in the private copy, to check it imports no package
    # Quarto must run the document with this environment's Python, not whatever python3 is on PATH.
    env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON") or sys.executable}
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, env=env)
    name = f"{Path(REPORT).stem}{SUFFIX[fmt]}"
    output = project / "_output"   # the project's output-dir (_quarto.yml), else beside the document
    made = next((d / name for d in (output, project) if (d / name).exists()), output / name)
    if proc.returncode != 0 or not made.exists():
        raise RenderError(f"quarto render --to {fmt} misslyckades för {year} / failed for {year} "
                          f"(senaste godkända rapporter behålls / last good reports kept):\n{_tail(proc)}")
    if fmt == "typst":
        typ = next(iter([*output.glob("*.typ"), *project.glob("*.typ")]), None)
        imports = TYPST_PACKAGE_IMPORT.findall(typ.read_text("utf-8")) if typ else []
        if imports:
            raise RenderError(f"PDF för {year}: Typst-källan importerar paket som hämtas från internet / "
                              f"the Typst source imports packages fetched from the internet: "
                              f"{'; '.join(i.strip() for i in imports)}. Använd inte callouts i rapporten.")
    if fmt == "docx":
        fit_docx_tables(made)
    shutil.copy2(made, staged / made.name)   # a copy stays in _output for the HTML's links


_SECTION = re.compile(r"<w:sectPr\b.*?</w:sectPr>", re.S)
_GRID = re.compile(r"<w:tblGrid>(.*?)</w:tblGrid>", re.S)
_GRID_COL = re.compile(r'<w:gridCol w:w="(\d+)"\s*/>')


def _twips(xml: str, element: str, attr: str) -> int:
    m = re.search(rf"<w:{element}\b[^>]*\bw:{attr}=\"(\d+)\"", xml)
    return int(m.group(1)) if m else 0


def fit_docx_tables(docx: Path) -> int:
    """Make every table's columns add up to the page's text width (in twips).

    Pandoc writes the relative column widths as a grid for a 5,5-inch text width, whatever the
    reference document's page; Word and LibreOffice then draw the table narrower than the text.
    Returns the text width used."""
    with zipfile.ZipFile(docx) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml = parts["word/document.xml"].decode("utf-8")
    section = _SECTION.findall(xml)[-1]
    width = _twips(section, "pgSz", "w") - _twips(section, "pgMar", "left") - _twips(section, "pgMar", "right")

    def scale(m: re.Match) -> str:
        cols = [int(w) for w in _GRID_COL.findall(m.group(1))]
        if not cols or not sum(cols):
            return m.group(0)
        new = [w * width // sum(cols) for w in cols]
        new[-1] += width - sum(new)   # exact sum
        return "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in new) + "</w:tblGrid>"

    parts["word/document.xml"] = _GRID.sub(scale, xml).encode("utf-8")
    tmp = docx.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    os.replace(tmp, docx)
    return width


def _tail(proc: subprocess.CompletedProcess, lines: int = 25) -> str:
    text = "\n".join(t for t in (proc.stderr.strip(), proc.stdout.strip()) if t)
    return "\n".join(text.splitlines()[-lines:]) or f"exit code {proc.returncode}"


def _swap_in(new: Path, dest: Path) -> None:
    """Replace dest by new in two renames; reports of formats not rendered this time are kept."""
    for kept in (dest.iterdir() if dest.is_dir() else []):
        if kept.is_file() and not (new / kept.name).exists():
            shutil.copy2(kept, new / kept.name)
    old = dest.with_name(f".old-{dest.name}")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        os.replace(dest, old)
    os.replace(new, dest)
    shutil.rmtree(old, ignore_errors=True)
