"""Every grade cell of every exercise notebook fails with "not implemented yet" on the stubs.

Lax nbval alone cannot show this (a cell tagged raises-exception passes whether or not it
raises), so each notebook is run with nbclient and every test cell's error is inspected.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from rnncourse.grading.notebooks import is_solution, is_test

REPO = Path(__file__).resolve().parents[1]
EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_every_grade_cell_says_not_implemented(path, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    graded = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if is_test(cell):
            graded += 1
            assert len(errors) == 1, cell.source
            assert errors[0].ename == "CheckFailed"
            assert "not implemented yet" in errors[0].evalue
            # no traceback wall: one short line rendered by CheckFailed._render_traceback_
            assert len(errors[0].traceback) == 1
        elif is_solution(cell) and errors:
            # a value item's answer cell: its stub raises at the top level until answered
            assert [e.ename for e in errors] == ["NotImplementedError"], cell.source
            assert "raises-exception" in cell.metadata.get("tags", [])
        elif "raises-exception" in cell.metadata.get("tags", []):
            # a cell that runs the learner's functions (lesson 10's trainer): it stops with one
            # line naming the first stub, and Run All goes on (the tag)
            assert len(errors) == 1, cell.source
            assert errors[0].ename == "NotReady" and "not implemented yet" in errors[0].evalue
            assert len(errors[0].traceback) == 1
        else:
            assert errors == [], f"{cell.source[:80]!r} raised {errors[0].ename}" if errors else ""
    assert graded >= 1
