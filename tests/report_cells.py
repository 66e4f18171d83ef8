"""Run a Quarto document's Python cells in order, as `quarto render -P ...` would, without Quarto.

Quarto (through papermill) injects the -P parameters right after the cell tagged `parameters`;
here the injected values replace that cell. Cells run with plain `exec` in one namespace, with the
document's folder as working directory. What the cells display is collected: Markdown as text, and
every matplotlib figure drawn to PNG bytes, so a figure that cannot be drawn fails the test.
"""
from __future__ import annotations

import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_CELL = re.compile(r"^```\{python[^}]*\}[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass
class Cell:
    source: str
    options: dict

    @property
    def is_parameters(self) -> bool:
        return "parameters" in (self.options.get("tags") or [])


@dataclass
class Figure:
    png: bytes
    texts: list[str]        # every text in the figure: titles, tick labels, legend, notices
    ytick_labels: list[str]


@dataclass
class Outputs:
    markdown: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.markdown)


def python_cells(text: str) -> list[Cell]:
    """The ```{python} cells in document order, with their `#|` options parsed as YAML."""
    cells = []
    for match in _CELL.finditer(text):
        body = match.group(1)
        option_lines = [line[3:] for line in body.splitlines() if line.startswith("#| ")]
        cells.append(Cell(body, yaml.safe_load("\n".join(option_lines)) or {}))
    return cells


def _collector(outputs: Outputs):
    def display(*objs, **_kwargs):
        for obj in objs:
            if hasattr(obj, "savefig"):          # a matplotlib figure
                buf = io.BytesIO()
                obj.savefig(buf, format="png", dpi=60)
                texts = [t.get_text() for t in obj.findobj(lambda a: hasattr(a, "get_text"))]
                yticks = [t.get_text() for ax in obj.axes for t in ax.get_yticklabels()]
                outputs.figures.append(Figure(buf.getvalue(), [t for t in texts if t], yticks))
            elif hasattr(obj, "data"):           # IPython.display.Markdown
                outputs.markdown.append(str(obj.data))
            else:
                outputs.markdown.append(str(obj))
    return display


@contextmanager
def _cwd(path: Path):
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_document(path: Path, params: dict) -> tuple[dict, Outputs]:
    """Execute the document's cells with `params` injected; return the namespace and the outputs."""
    import IPython.display
    import matplotlib

    matplotlib.use("Agg")
    cells = python_cells(path.read_text("utf-8"))
    if not any(c.is_parameters for c in cells):
        raise AssertionError(f"{path.name}: no cell tagged `parameters`; quarto -P cannot set the parameters")
    outputs = Outputs()
    namespace: dict = {"__name__": "__main__"}
    original = IPython.display.display
    IPython.display.display = _collector(outputs)
    try:
        with _cwd(path.parent):
            for i, cell in enumerate(cells):
                source = ("\n".join(f"{k} = {v!r}" for k, v in params.items()) if cell.is_parameters
                          else cell.source)
                exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)
    finally:
        IPython.display.display = original
    return namespace, outputs
