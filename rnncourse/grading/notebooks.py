"""Reading exercise notebooks: answer cells, test cells and the checks a test cell runs.

Markers and metadata follow nbgrader (schema 3), as the course contract fixes them:

    answer cell  metadata.nbgrader = {"solution": true, "grade": false, "locked": false, ...}
                 solution region between "### BEGIN SOLUTION" / "### END SOLUTION"
    test cell    metadata.nbgrader = {"grade": true, "solution": false, "locked": true,
                 "points": N, "grade_id": ...}; hidden region between
                 "### BEGIN HIDDEN TESTS" / "### END HIDDEN TESTS"

A test cell contains only imports and calls ``check(fn)`` / ``check_hidden(fn)`` (optionally
``name=...``; ``check(fn, hidden=True)`` is ``check_hidden(fn)``): that is what lets the batch
grader run the same tests outside the learner's kernel. :func:`graded_cells` enforces it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import nbformat

__all__ = ["CheckCall", "GradedCell", "graded_cells", "is_solution", "is_test", "parse_checks"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass(frozen=True)
class CheckCall:
    function: str  # the name of the learner's function in the notebook
    exercise: str  # the exercise it is graded as
    hidden: bool  # check_hidden (True) or check (False)


@dataclass(frozen=True)
class GradedCell:
    """A test cell of a canonical notebook: its id, points, checks and position."""

    grade_id: str
    points: float
    checks: tuple[CheckCall, ...]
    index: int


def _meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(_meta(cell).get("solution", False))


def is_test(cell: nbformat.NotebookNode) -> bool:
    m = _meta(cell)
    return bool(m.get("grade", False)) and not m.get("solution", False)


def parse_checks(source: str) -> tuple[CheckCall, ...]:
    """The check calls of a test cell; raises ValueError on any other statement."""
    tree = ast.parse(source)
    calls = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        func = getattr(call, "func", None)
        fname = getattr(func, "id", getattr(func, "attr", None))
        if not isinstance(call, ast.Call) or fname not in ("check", "check_hidden"):
            raise ValueError(
                f"a test cell may only import and call check()/check_hidden(): {ast.unparse(stmt)!r}"
            )
        if not call.args or not isinstance(call.args[0], ast.Name):
            raise ValueError(f"check() needs the function by name: {ast.unparse(stmt)!r}")
        exercise, hidden = call.args[0].id, fname == "check_hidden"
        keywords = {k.arg: k.value for k in call.keywords}
        allowed = {"name", "hidden"} if fname == "check" else {"name"}
        if set(keywords) - allowed or len(call.args) > 2:
            raise ValueError(
                f"check() takes the function, name= and hidden=: {ast.unparse(stmt)!r}"
            )
        named = call.args[1] if len(call.args) > 1 else keywords.get("name")
        if named is not None:
            if not isinstance(named, ast.Constant) or not isinstance(named.value, str):
                raise ValueError(f"name= must be a string literal: {ast.unparse(stmt)!r}")
            exercise = named.value
        if "hidden" in keywords:
            flag = keywords["hidden"]
            if not isinstance(flag, ast.Constant) or not isinstance(flag.value, bool):
                raise ValueError(f"hidden= must be True or False: {ast.unparse(stmt)!r}")
            hidden = flag.value
        calls.append(CheckCall(call.args[0].id, exercise, hidden))
    return tuple(calls)


def graded_cells(nb: nbformat.NotebookNode) -> list[GradedCell]:
    """The graded test cells of a (canonical) notebook, in order."""
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and is_test(cell):
            m = _meta(cell)
            source = cell.source.replace(BEGIN_HIDDEN, "").replace(END_HIDDEN, "")
            cells.append(
                GradedCell(m["grade_id"], float(m.get("points", 0)), parse_checks(source), i)
            )
    return cells
