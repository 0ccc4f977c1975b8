"""No import cycle among the modules of ``workbench/``: layers depend one way.

The graph has an edge A -> B for every ``import B`` / ``from B import x`` in A, wherever it stands (a
function-level import is a dependency too, only a deferred one), and for ``from P import m`` when ``P.m``
is a module. Importing ``P.m`` also runs ``P/__init__.py``; that implicit step is not an edge, as in
import-linter and pydeps, so a package may re-export its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "workbench"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _absolute(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The workbench modules that ``name`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, name, path.name == "__init__.py")
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` names a module; walk up to the nearest one that exists in the tree.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_walker_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_walker_reads_real_imports() -> None:
    graph = import_graph()
    assert "workbench.chatglm.modeling" in graph["workbench.chatglm.generation"]
    assert "workbench.chatglm.compat" in graph["workbench.chatglm"]
    # a function-level import counts
    assert "workbench.chatglm.remote_code" in graph["workbench.chatglm.compat"]


def test_no_import_cycle_in_workbench() -> None:
    cycles = find_cycles(import_graph())
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_chatglm_is_a_one_way_chain() -> None:
    graph = import_graph()
    chatglm = {m for m in graph if m.startswith("workbench.chatglm.")}
    for module in chatglm:
        assert "workbench.chatglm.compat" not in graph[module] or module == "workbench.chatglm", module
        # the package depends on no other part of the workbench but its low-level helpers (plural: a message's counts;
        # model_files: the cache directory's one definition, numpy and the standard library only)
        outside = {t for t in graph[module] if not t.startswith("workbench.chatglm")}
        assert outside <= {"workbench.errors", "workbench.sampling", "workbench.devices", "workbench.checkpoints",
                           "workbench.plural", "workbench.model_files"}, (
            module, outside)
    assert "workbench.chatglm.generation" not in graph["workbench.chatglm.modeling"]
    assert "workbench.chatglm.loading" not in graph["workbench.chatglm.modeling"]
