"""The house's bounds (docs/architecture.md), kept by a test as the import contract is kept by
lint-imports: no module in src over 500 lines, no class over 400, no function over 80, and
no import cycle among lstmcast's modules. No torch, no training: the source is read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lstmcast"
MODULE, CLASS, FUNCTION = 500, 400, 80


def sizes() -> tuple[list, list, list]:
    modules, classes, functions = [], [], []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        name = str(path.relative_to(SRC))
        modules.append((len(text.splitlines()), name))
        for node in ast.walk(ast.parse(text)):
            length = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, ast.ClassDef):
                classes.append((length, f"{name}:{node.name}"))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((length, f"{name}:{node.name}"))
    return modules, classes, functions


def test_no_module_class_or_function_is_over_its_bound():
    modules, classes, functions = sizes()
    assert len(modules) > 50 and classes and functions  # the walk found the package
    assert [m for m in modules if m[0] > MODULE] == []
    assert [c for c in classes if c[0] > CLASS] == []
    assert [f for f in functions if f[0] > FUNCTION] == []


def test_no_import_cycle_among_the_modules():
    grimp = pytest.importorskip("grimp")  # import-linter's graph
    graph = grimp.build_graph("lstmcast", exclude_type_checking_imports=True)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and module.startswith("lstmcast"):
                assert not graph.chain_exists(imported=module, importer=imported), (
                    f"{module} imports {imported}, which imports it back")
