"""The layout of docs/architecture.md, checked: imports go down, modules stay readable.

Every ``import qualkit...`` in the package is read with ast, including imports inside
functions and under ``TYPE_CHECKING`` (a cycle there still means two modules must be read
together), so a new module that reaches upward fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "qualkit"

SHARED = {"model", "decisions", "errors", "project", "nlp", "fileio", "workers", "xlsx",
          "normalise"}
LIBRARY = {"ingest", "gate", "privacy", "codebook", "suggest", "coding", "agreement", "report",
           "refi"}
TOP = {"pipeline", "status"}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The qualkit modules a file imports (``from qualkit.x import y`` counts as
    ``qualkit.x.y`` when that is a module, else ``qualkit.x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("qualkit"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("qualkit"):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


FILES = sorted(ROOT.rglob("*.py"))
MODULES = {_module_name(p) for p in FILES}
GRAPH = {_module_name(p): _imports(p) - {_module_name(p)} for p in FILES}


def _unit(module: str) -> str:
    """The package (or root module) a module belongs to: qualkit.report.html -> report."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "qualkit"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other() -> None:
    graph = {m: {i for i in deps if i in GRAPH} for m, deps in GRAPH.items()}
    # A package's __init__ that re-exports its modules is not a cycle with them.
    for module, deps in graph.items():
        if module.count(".") == 1 and (ROOT / module.split(".")[1] / "__init__.py").exists():
            continue
        graph[module] = {d for d in deps
                         if not (d.count(".") == 1 and module.startswith(d + "."))}
    assert _cycles(graph) == []


def test_packages_import_each_other_without_cycles() -> None:
    units: dict[str, set[str]] = {}
    for module, deps in GRAPH.items():
        units.setdefault(_unit(module), set()).update(
            _unit(d) for d in deps if _unit(d) != _unit(module))
    assert _cycles(units) == []


@pytest.mark.parametrize("layer, allowed", [
    ("store", SHARED | {"store"}),
    *[(name, SHARED | {"store", name}) for name in sorted(SHARED)],
    *[(name, SHARED | LIBRARY | {"store"}) for name in sorted(LIBRARY)],
    *[(name, SHARED | LIBRARY | TOP | {"store"}) for name in sorted(TOP)],
])
def test_imports_only_go_down(layer: str, allowed: set[str]) -> None:
    upward = sorted(f"{module} imports {dep}"
                    for module, deps in GRAPH.items() if _unit(module) == layer
                    for dep in deps if _unit(dep) not in allowed | {"qualkit"})
    assert upward == []


def test_every_package_says_what_it_holds() -> None:
    for init in ROOT.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.parent.name}/__init__.py has no docstring"


def test_no_module_is_too_long_to_read_in_one_go() -> None:
    long = {str(p.relative_to(ROOT)): n for p in FILES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
