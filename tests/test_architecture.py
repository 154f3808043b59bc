"""The package layers of docs/architecture.md, checked on the source: every import statement
(module level, function level and under TYPE_CHECKING) between skillyard's packages must point
down the layers, and no two packages may import each other, directly or round a circle."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "skillyard"

# unit = the first name under skillyard (a package or a top-level module); "" is skillyard/__init__
LAYERS: dict[str, int] = {
    # values and the store
    **dict.fromkeys(["errors", "diagnostics", "progress", "_version", "safeyaml", "frontmatter",
                     "fsmodes", "utf8", "skill", "llm", "library", "sources", "provenance"], 0),
    # capabilities: read skills from the store, write their results back
    **dict.fromkeys(["route", "audit", "install", "learn", "evaluate", "inventory"], 1),
    # the façade, the package root that re-exports it, and the Ray drivers that run the
    # façade's own operations (index, audit, learn) on a cluster
    **dict.fromkeys(["api", "", "batch"], 2),
    # shells
    **dict.fromkeys(["cli", "serve", "registry", "__main__"], 3),
}
LAYER_NAMES = {0: "store/values", 1: "capability", 2: "api", 3: "shell"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every skillyard module *path* imports, with the line, at any depth of the tree."""
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import x` imports the module skillyard.x
                sub = f"{target}.{alias.name}"
                found.append((sub if _is_module(sub) else target, node.lineno))
    return [(t, line) for t, line in found if t == "skillyard" or t.startswith("skillyard.")]


def unit_of(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_graph() -> dict[tuple[str, str], list[str]]:
    """(importer unit, imported unit) -> where, for every edge that crosses units."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PKG.rglob("*.py")):
        module = _module_name(path)
        for target, line in imports_of(path):
            a, b = unit_of(module), unit_of(target)
            if a != b:
                edges[(a, b)].append(f"{path.relative_to(SRC)}:{line} imports {target}")
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(_module_name(p)) for p in PKG.rglob("*.py")}
    assert not units - LAYERS.keys(), f"give these a layer in LAYERS: {units - LAYERS.keys()}"


def test_imports_point_down_the_layers() -> None:
    bad = [f"{LAYER_NAMES[LAYERS[a]]} {a or 'skillyard'} -> {LAYER_NAMES[LAYERS[b]]} "
           f"{b or 'skillyard'}: {where[0]}"
           for (a, b), where in package_graph().items()
           if a in LAYERS and b in LAYERS and LAYERS[b] > LAYERS[a]]
    assert not bad, "\n".join(bad)


def test_no_import_cycle_between_packages() -> None:
    edges = package_graph()
    cycle = find_cycle(set(edges))
    if cycle:
        hops = [edges[(a, b)][0] for a, b in zip(cycle, cycle[1:], strict=False)]
        pytest.fail("import cycle " + " -> ".join(u or "skillyard" for u in cycle)
                    + "\n" + "\n".join(hops))


def test_the_checker_sees_function_level_and_relative_imports() -> None:
    """The checker must not be blind: a function-level relative import is found and resolved."""
    found = imports_of(PKG / "cli" / "provenance.py")
    nested = [line for target, line in found if target == "skillyard.provenance"]
    assert nested and min(nested) > 20  # `from ..provenance import ...` inside a command
    cycle = find_cycle({("a", "b"), ("b", "c"), ("c", "a")})
    assert cycle is not None and cycle[0] == cycle[-1]
    assert find_cycle({("a", "b"), ("b", "c")}) is None
