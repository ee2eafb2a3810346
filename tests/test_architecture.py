"""The house: stages import only earlier stages (or their own), and no import cycle exists
in the package. The stage order is written once, in symbiosis.stages."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from symbiosis.stages import STAGES, stage_of

PACKAGE = Path(__file__).resolve().parents[1] / "symbiosis"


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports (at any depth of its code, lazy imports too)."""
    out: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([base] if base else [])])
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                out.add(target)
    return out


def import_graph() -> nx.DiGraph:
    known = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name, path in known.items():
        graph.add_edges_from((name, target) for target in imports_of(name, path, known))
    return graph


def test_every_module_has_a_stage() -> None:
    for name in modules():
        stage_of(name)


def test_no_import_cycle() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert cycles == []


def test_no_stage_imports_a_later_one() -> None:
    names = [stage for stage, _ in STAGES]
    wrong = [
        f"{a} ({names[stage_of(a)]}) imports {b} ({names[stage_of(b)]})"
        for a, b in import_graph().edges
        if stage_of(b) > stage_of(a)
    ]
    assert wrong == []


def test_the_checks_see_a_violation() -> None:
    """The graph is read from the code: a known import is present (so an empty list of
    violations means something)."""
    graph = import_graph()
    assert graph.has_edge("symbiosis.runner", "symbiosis.solve.highs")
    assert graph.has_edge("symbiosis.cli", "symbiosis.runner")
    assert stage_of("symbiosis.solve.highs") > stage_of("symbiosis.milp.model")
