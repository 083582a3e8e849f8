"""Layering rules checked on the source: product code never depends on the demo generator.

The demo's invented catalogue must not leak into what the product does with a team's real data (it once fed the
content glossary), so only ``bizpilot/ingest/`` and the CLI's ``demo`` command may import ``bizpilot.ingest.demo*``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bizpilot"
DEMO = "bizpilot.ingest.demo"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Absolute names an import statement brings in (``from bizpilot.ingest import demo`` -> the submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[:len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _demo_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported name, enclosing function names) of every demo-generator import in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module, is_package = _module_name(path), path.name == "__init__.py"
    found: list[tuple[int, str, list[str]]] = []

    def visit(node: ast.AST, functions: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, [*functions, child.name])
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                for name in _imported(child, module, is_package):
                    if name == DEMO or name.startswith(DEMO + ".") or name.startswith(DEMO + "_"):
                        found.append((child.lineno, name, functions))
            visit(child, functions)

    visit(tree, [])
    return found


def _allowed(path: Path, functions: list[str]) -> bool:
    rel = path.relative_to(PACKAGE)
    if rel.parts[0] == "ingest":
        return True
    return rel.parts[0] == "cli" and (rel.stem == "demo" or "demo" in functions)


def test_only_ingest_and_the_demo_command_import_the_demo_generator() -> None:
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for line, name, functions in _demo_imports(path) if not _allowed(path, functions)]
    assert offenders == []


def test_the_rule_sees_every_import_form() -> None:
    """The checker itself: absolute, from-package and relative imports are all recognised."""
    fake = PACKAGE / "services" / "content" / "glossary.py"
    source = ("import bizpilot.ingest.demo\nfrom bizpilot.ingest import demo_content\n"
              "from ...ingest.demo_kb import knowledge_frame\nfrom bizpilot.ingest import pipeline\n"
              "def demo():\n    from bizpilot.ingest.demo import build_demo\n")
    module = _module_name(fake)
    names = [n for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import | ast.ImportFrom)
             for n in _imported(node, module, False)]
    demo_names = sorted({n for n in names if n.startswith(DEMO)})
    assert demo_names == ["bizpilot.ingest.demo", "bizpilot.ingest.demo.build_demo", "bizpilot.ingest.demo_content",
                          "bizpilot.ingest.demo_kb", "bizpilot.ingest.demo_kb.knowledge_frame"]
    assert not _allowed(fake, []) and _allowed(PACKAGE / "cli" / "main.py", ["demo"])
    assert not _allowed(PACKAGE / "cli" / "main.py", ["serve"])
