"""Dependencies point one way: cli -> flows -> application modules -> sources -> landing -> io/base.

Walks every import (module level and inside functions) with ast and fails on an upward one.
The layers are drawn in docs/architecture.md.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lower number = lower layer. A module may import its own layer or lower ones, never a higher one.
LAYERS: list[tuple[int, tuple[str, ...]]] = [
    (0, ("folkhalsa", "folkhalsa.settings", "folkhalsa.issues", "folkhalsa.reference", "folkhalsa.io",
         "folkhalsa.isolation", "folkhalsa.filemodes")),
    (1, ("folkhalsa.schemas", "folkhalsa.landing", "folkhalsa.privacy")),
    (2, ("folkhalsa.sources", "folkhalsa.quality", "folkhalsa.warehouse", "folkhalsa.render",
         "folkhalsa.template", "folkhalsa.runstate", "folkhalsa.summary", "folkhalsa.crashes",
         "folkhalsa.smtp_secret", "folkhalsa.disclosure", "folkhalsa.runrecord")),
    (3, ("folkhalsa.alerts", "folkhalsa.sample", "folkhalsa.pipeline", "folkhalsa.dbt_docs", "folkhalsa.feedback",
         "folkhalsa.rules_doc", "folkhalsa.deadman")),
    (4, ("flows",)),
    (5, ("folkhalsa.cli", "folkhalsa.__main__")),
]


def layer(module: str) -> int:
    best = None
    for n, prefixes in LAYERS:
        for p in prefixes:
            if module == p or module.startswith(p + "."):
                if best is None or len(p) > best[1]:
                    best = (n, len(p))
    assert best is not None, f"{module} has no layer; add it to LAYERS and docs/architecture.md"
    return best[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            out.append((next((n for n in reversed(names) if _ours(n) and _exists(n)), node.module), node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
    return [(m, line) for m, line in out if _ours(m)]


def _ours(module: str) -> bool:
    return module.split(".")[0] in ("folkhalsa", "flows")


def _exists(module: str) -> bool:
    p = ROOT.joinpath(*module.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def project_modules() -> list[Path]:
    return sorted([*(ROOT / "folkhalsa").rglob("*.py"), *(ROOT / "flows").rglob("*.py")])


def upward_imports() -> list[str]:
    bad = []
    for path in project_modules():
        me = module_name(path)
        for target, line in imports(path):
            if layer(target) > layer(me):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {me} (layer {layer(me)}) imports {target} "
                           f"(layer {layer(target)})")
    return bad


def test_no_upward_import():
    assert upward_imports() == []


def test_no_two_modules_import_each_other():
    edges = {(module_name(p), t) for p in project_modules() for t, _ in imports(p)}
    assert sorted((a, b) for a, b in edges if (b, a) in edges and a < b) == []


def test_the_check_can_fail(tmp_path, monkeypatch):
    """An upward import (the library importing flows) is reported."""
    fake = ROOT / "folkhalsa" / "_layering_probe.py"
    monkeypatch.setattr(__import__(__name__), "project_modules", lambda: [fake])
    fake_text = "from flows.nightly import run_or_skip\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: fake_text if self == fake else _read(self))
    assert any("imports flows.nightly" in b for b in upward_imports())


_read = Path.read_text
