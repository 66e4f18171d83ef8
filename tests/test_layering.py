"""Dependencies point one way: cli -> flows/reports -> application modules -> sources -> landing -> io/base.

Walks every import (module level and inside functions) of every package (folkhalsa, flows, reports)
with ast and fails on an upward one and on a cycle of any length. The layers are drawn in
docs/architecture.md; `python -m tests.test_layering` prints the real import graph's floors.
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
         "folkhalsa.smtp_secret", "folkhalsa.disclosure", "folkhalsa.stages", "folkhalsa.mailer",
         "folkhalsa.runrecord")),
    (3, ("folkhalsa.alerts", "folkhalsa.sample", "folkhalsa.pipeline", "folkhalsa.dbt_docs", "folkhalsa.feedback",
         "folkhalsa.rules_doc", "folkhalsa.deadman", "folkhalsa.night")),
    (4, ("flows", "reports")),
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
    out = [(f"reports.{m}" if m.split(".")[0] in REPORT_MODULES else m, line) for m, line in out]
    return [(m, line) for m, line in out if _ours(m)]


PACKAGES = ("folkhalsa", "flows", "reports")
# reports/ is not a Python package: Quarto runs arsrapport.qmd there and its cells `import report_data`.
REPORT_MODULES = {p.stem for p in (ROOT / "reports").glob("*.py")}


def _ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _exists(module: str) -> bool:
    p = ROOT.joinpath(*module.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def project_modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "_output" not in p.parts and ".quarto" not in p.parts)


def graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (at module level or inside a function)."""
    g: dict[str, set[str]] = {}
    for p in project_modules():
        me = module_name(p)
        g.setdefault(me, set()).update(t for t, _ in imports(p) if t != me)
    return g


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, of any length: the strongly connected components (Tarjan) with more than
    one module, each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return sorted(found)


def floors(g: dict[str, set[str]]) -> dict[str, int]:
    """The real graph's floors: 0 for a module importing none of ours, else 1 + its highest import."""
    memo: dict[str, int] = {}

    def floor(v: str) -> int:
        if v not in memo:
            memo[v] = 0
            memo[v] = 1 + max((floor(w) for w in g.get(v, ()) if w in g), default=-1)
        return memo[v]

    return {v: floor(v) for v in sorted(g)}


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


def test_no_import_cycle_of_any_length():
    assert cycles(graph()) == []


def test_every_package_is_covered():
    mods = set(graph())
    assert {"reports.report_data", "flows.nightly", "folkhalsa.cli"} <= mods
    for m in mods:
        layer(m)   # fails naming a module without a layer


def test_the_cycle_finder_finds_a_three_module_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(g) == [["a", "b", "c"]]
    g["c"] = set()
    assert cycles(g) == []
    assert cycles({"x": {"y"}, "y": {"z"}, "z": {"w"}, "w": {"x"}}) == [["w", "x", "y", "z"]]


def test_a_planted_three_module_cycle_in_the_real_graph_is_caught(monkeypatch):
    """Three real modules made to import round in a circle (same layer, so no upward import): caught."""
    a, b, c = (ROOT / "folkhalsa" / f for f in ("settings.py", "issues.py", "reference.py"))
    planted = {a: "from folkhalsa import issues\n", b: "from folkhalsa.reference import counties\n",
               c: "import folkhalsa.settings\n"}
    monkeypatch.setattr(Path, "read_text",
                        lambda self, *x, **k: _read(self, *x, **k) + planted.get(self, ""))
    assert ["folkhalsa.issues", "folkhalsa.reference", "folkhalsa.settings"] in cycles(graph())
    assert upward_imports() == []   # the layer check alone would not have seen it


def test_the_check_can_fail(tmp_path, monkeypatch):
    """An upward import (the library importing flows) is reported."""
    fake = ROOT / "folkhalsa" / "_layering_probe.py"
    monkeypatch.setattr(__import__(__name__), "project_modules", lambda: [fake])
    fake_text = "from flows.nightly import run_or_skip\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: fake_text if self == fake else _read(self))
    assert any("imports flows.nightly" in b for b in upward_imports())


_read = Path.read_text


if __name__ == "__main__":
    g = graph()
    by_floor: dict[int, list[str]] = {}
    for m, f in floors(g).items():
        by_floor.setdefault(f, []).append(m)
    for f in sorted(by_floor, reverse=True):
        print(f"floor {f}: " + ", ".join(by_floor[f]))
    print("cycles:", cycles(g) or "none")
