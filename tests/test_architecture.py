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


# Modules whose tests sit in a file named for the feature they serve together: the commands
# are run as a user runs them (test_cli), the service over HTTP (test_serve), the search
# end to end (test_tune). Every other module has tests/test_<its name>.py.
TESTED_IN = {
    "tables/periods.py": "test_timeline.py",
    "cli/backtest.py": "test_cli.py", "cli/common.py": "test_cli.py",
    "cli/evaluate.py": "test_cli.py", "cli/export.py": "test_cli.py",
    "cli/import_keras.py": "test_keras_import.py", "cli/inspect.py": "test_cli.py",
    "cli/main.py": "test_cli.py", "cli/predict.py": "test_cli.py", "cli/train.py": "test_cli.py",
    "forecast/fitted.py": "test_forecaster.py", "forecast/onnx_export.py": "test_onnx.py",
    "forecast/onnx_graph.py": "test_combination.py",
    "forecast/tune/objective.py": "test_tune.py", "forecast/tune/search.py": "test_tune.py",
    "forecast/tune/study.py": "test_tune.py", "forecast/tune/clock.py": "test_tune_clock.py",
    "forecast/tune/folds.py": "test_tune_folds.py", "forecast/tune/space.py": "test_tune_space.py",
    "forecast/tune/interrupt.py": "test_tune_interrupt.py",
    "forecast/window_predict.py": "test_predict_speed_path.py",
    "tables/fast_path.py": "test_predict_speed_path.py",
    "layers/core.py": "test_models.py", "models/sequential.py": "test_models.py",
    "serve/app.py": "test_serve.py", "serve/batching.py": "test_serve.py",
    "serve/command.py": "test_serve.py", "serve/service.py": "test_serve.py",
    "serve/stores.py": "test_postgres_state.py", "engine/launcher.py": "test_distributed.py",
}


def test_every_module_has_a_test_file():
    tests = Path(__file__).resolve().parent
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        name = str(path.relative_to(SRC))
        if path.name in ("__init__.py", "__main__.py"):
            continue
        own = tests / f"test_{path.stem}.py"
        if not own.exists() and not (tests / TESTED_IN.get(name, "-")).exists():
            missing.append(name)
    assert missing == []
    assert all((tests / f).exists() for f in TESTED_IN.values())
