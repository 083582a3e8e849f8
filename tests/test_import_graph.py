"""No import cycles among the modules of ``bizpilot/``.

A cycle means a module can only be imported once its partner has got far enough, so the order of imports starts
to matter (the CLI once registered commands that way). The graph is read from the source (AST), counting every
import statement anywhere in a module, including the ones inside functions: a lazy import hides a cycle from
Python until the function runs, not from the design. ``from pkg import name`` is an edge to ``pkg.name`` when that
is a module, else to ``pkg``; relative imports are resolved. Cycles are the strongly connected components (Tarjan)
with more than one module; the failure lists each with one concrete loop and the lines that close it.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bizpilot"

Graph = dict[str, dict[str, int]]  # module -> {imported module: first line}


def module_names(package: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under ``package`` (a package is its ``__init__.py``)."""
    names: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` or its nearest enclosing module that exists (``pkg.mod.attr`` -> ``pkg.mod``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(package: Path) -> Graph:
    """Edges from each module to the modules of ``package`` it imports (self-imports left out)."""
    modules = module_names(package)
    graph: Graph = {m: {} for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        anchor = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(tree):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_known(alias.name, modules) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join([*parent, base] if base else parent)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else _known(base, modules))
            for target in targets:
                if target and target != module:
                    graph[module].setdefault(target, node.lineno)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one member (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return sorted(found)


def one_loop(graph: Graph, component: list[str]) -> list[str]:
    """A shortest import loop through the component's first module (breadth-first inside the component)."""
    start, members = component[0], set(component)
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child in members and child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"no loop through {start} in {component}")  # a component always has one


def describe(graph: Graph, package: Path, component: list[str]) -> str:
    loop = one_loop(graph, component)
    modules = module_names(package)
    steps = [f"    {a} -> {b}  ({modules[a].relative_to(package.parent)}:{graph[a][b]})"
             for a, b in zip(loop, loop[1:], strict=False)]
    return f"  {len(component)} modules: {', '.join(component)}\n" + "\n".join(steps)


def test_bizpilot_has_no_import_cycles() -> None:
    graph = import_graph(PACKAGE)
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles:\n" + "\n".join(describe(graph, PACKAGE, c) for c in cycles)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_checker_sees_lazy_relative_and_submodule_imports(tmp_path: Path) -> None:
    """The rules above on a small package: each cycle kind is found, and what is not a cycle is not."""
    package = _write(tmp_path, {
        "pkg/__init__.py": "",
        # a cycle closed by an import inside a function, written relatively
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def f():\n    from . import a\n",
        # `from pkg.sub import mod` is an edge to the submodule, not to the package
        "pkg/sub/__init__.py": "from pkg.sub.mod import VALUE\n",
        "pkg/sub/mod.py": "VALUE = 1\n",
        "pkg/sub/other.py": "from pkg.sub import mod\nfrom pkg.sub import VALUE\n",
        # three modules in a ring, one of them through `import x.y`
        "pkg/r1.py": "import pkg.r2\n",
        "pkg/r2.py": "from .r3 import thing\n",
        "pkg/r3.py": "from pkg.r1 import *\nthing = 1\n",
        # two levels up from a submodule; no cycle
        "pkg/sub/rel.py": "from .. import a\n",
    })
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b": 1} and graph["pkg.b"] == {"pkg.a": 2}
    assert graph["pkg.sub.other"] == {"pkg.sub.mod": 1, "pkg.sub": 2}
    assert graph["pkg.sub"] == {"pkg.sub.mod": 1} and graph["pkg.sub.rel"] == {"pkg.a": 1}
    assert strongly_connected(graph) == [["pkg.a", "pkg.b"], ["pkg.r1", "pkg.r2", "pkg.r3"]]
    assert one_loop(graph, ["pkg.r1", "pkg.r2", "pkg.r3"]) == ["pkg.r1", "pkg.r2", "pkg.r3", "pkg.r1"]
    assert "pkg/b.py:2" in describe(graph, package, ["pkg.a", "pkg.b"])
