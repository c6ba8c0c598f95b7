"""tools/: the maintainers' programs are one importable package, and their doctests run here.

The test command collects ``tests`` and ``rnncourse`` (tools/bootstrap.py), not ``tools``, so the
doctests of every module in tools/ (the budgets', the timer's, the machine description's) run
from this file, in both environments.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import tools

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.iter_modules(tools.__path__))


def test_every_program_is_a_module_of_the_package():
    assert {"bootstrap", "budgets", "execute_notebooks", "notebook_timer", "machine"} <= set(
        MODULES
    )
    assert {"bench_layers", "bench_notebooks", "bench_report", "measure_runtimes"} <= set(MODULES)
    assert not list(REPO.glob("bench/*.py")), "the benchmark programs live in tools/"
    for name in MODULES:  # the package's docstring lists every program
        assert f"``{name}``" in tools.__doc__, f"tools/__init__.py does not list {name}"


@pytest.mark.parametrize("name", MODULES)
def test_module_imports_and_its_doctests_pass(name):
    module = importlib.import_module(f"tools.{name}")
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=flags)
    for test in finder.find(module, module.__name__):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest example(s) of tools.{name} failed"
    if name in ("budgets", "notebook_timer", "machine"):
        assert result.attempted > 0, f"tools.{name} lost its doctests"


LOADERS = {"spec_from_file_location", "run_path", "run_module", "SourceFileLoader"}


def _by_path_loads(path: Path) -> list[str]:
    """Calls in `path` that load a program of tools/ (or the old bench/) by its file path, and
    edits of sys.path."""
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        edits_path = (
            isinstance(func, ast.Attribute)
            and func.attr in ("insert", "append", "extend")
            and ast.unparse(func.value) == "sys.path"
        )
        if name not in LOADERS and not edits_path:
            continue
        # (the source segment only here: computing it for every call is quadratic in the file)
        text = ast.get_source_segment(source, node) or ""
        if edits_path or "tools" in text or "bench" in text:
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: {text.splitlines()[0]}")
    return found


def test_no_program_is_loaded_by_its_file_path():
    files = [*sorted((REPO / "tools").glob("*.py")), *sorted((REPO / "tests").glob("*.py"))]
    problems = [line for path in files for line in _by_path_loads(path)]
    assert not problems, "import them as `tools.NAME` instead:\n" + "\n".join(problems)
