"""One source, two notebooks: exercises/ is exactly what the generator makes of solutions/."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rnncourse.grading import exercise_names, item_names
from rnncourse.grading.generate import generate, main, make_exercise
from rnncourse.grading.notebooks import graded_cells, is_solution, is_test, parse_checks

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))


def test_there_are_solution_notebooks():
    names = {p.name for p in SOLUTIONS}
    assert {"02_hidden_state.ipynb", "03_outputs.ipynb"} <= names


def test_regenerated_exercises_equal_committed(tmp_path):
    assert generate(REPO / "solutions", tmp_path) != []  # wrote every notebook
    for path in SOLUTIONS:
        fresh = (tmp_path / path.name).read_text(encoding="utf-8")
        committed = REPO / "exercises" / path.name
        assert committed.exists(), f"{committed} missing: run python -m rnncourse.grading.generate"
        assert committed.read_text(encoding="utf-8") == fresh, (
            f"{committed.name} is out of date: run python -m rnncourse.grading.generate"
        )
    assert (
        main(["--source", str(REPO / "solutions"), "--dest", str(REPO / "exercises"), "--check"])
        == 0
    )


def test_generation_is_deterministic_and_leaves_the_source_alone(tmp_path):
    nb = nbformat.read(SOLUTIONS[0], as_version=4)
    before = nbformat.writes(nb)
    a, b = nbformat.writes(make_exercise(nb)), nbformat.writes(make_exercise(nb))
    assert a == b
    assert nbformat.writes(nb) == before


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_notebook_follows_the_contract(path):
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata["rnncourse"]
    assert meta["kind"] == "solutions" and re.fullmatch(r"\d\d", meta["lesson"]) and meta["title"]
    ids = []
    for cell in nb.cells:
        grader = cell.metadata.get("nbgrader")
        if grader is None:
            assert "BEGIN SOLUTION" not in cell.source and "BEGIN HIDDEN" not in cell.source
            continue
        assert grader["schema_version"] == 3 and grader["task"] is False
        assert re.fullmatch(r"[a-zA-Z0-9_-]+", grader["grade_id"])
        ids.append(grader["grade_id"])
        if is_solution(cell):
            assert grader == {
                "grade": False,
                "solution": True,
                "locked": False,
                "task": False,
                "grade_id": grader["grade_id"],
                "schema_version": 3,
            }
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        else:
            assert is_test(cell)
            assert grader["locked"] is True and grader["points"] > 0
            assert cell.outputs, "solutions are committed executed"
            checks = parse_checks(
                cell.source.replace("### BEGIN HIDDEN TESTS", "").replace(
                    "### END HIDDEN TESTS", ""
                )
            )
            assert all(c.exercise in item_names() for c in checks)
            if all(c.exercise in exercise_names() for c in checks):  # graded functions
                assert "### BEGIN HIDDEN TESTS" in cell.source
                assert {c.hidden for c in checks} == {False, True}
            else:  # a value item: one check of the learner's value, no hidden variant
                assert [c.hidden for c in checks] == [False]
    assert len(ids) == len(set(ids)), "grade_id must be unique per notebook"
    assert graded_cells(nb), "every solutions notebook has graded test cells"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_notebook_has_no_solutions_or_outputs(path):
    ex = nbformat.read(REPO / "exercises" / path.name, as_version=4)
    assert ex.metadata["rnncourse"]["kind"] == "exercises"
    text = nbformat.writes(ex)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "check_hidden"):
        assert marker not in text
    for cell in ex.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if is_solution(cell):
            assert (
                "# YOUR CODE HERE\n" in cell.source and "raise NotImplementedError()" in cell.source
            )
        if is_test(cell):
            assert "raises-exception" in cell.metadata["tags"]
            assert cell.metadata["editable"] is False


def test_generator_rejects_broken_markers():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2\n")]
    )
    with pytest.raises(ValueError, match=r"not marked as an answer cell|no ### END SOLUTION"):
        make_exercise(nb)
    cell = nbformat.v4.new_code_cell("### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    nb = nbformat.v4.new_notebook(cells=[cell])
    with pytest.raises(ValueError, match="not marked as an answer cell"):
        make_exercise(nb)


def test_test_cells_accept_only_checks():
    assert parse_checks(
        "from rnncourse.grading import check\ncheck(f)\ncheck(g, name='rnn_forward')"
    ) == (
        parse_checks("check(f)")[0],
        parse_checks("check(g, 'rnn_forward')")[0],
    )
    with pytest.raises(ValueError, match="may only import and call"):
        parse_checks("check(f)\nassert f(1) == 2")


def test_test_cells_read_hidden_and_reject_other_arguments():
    (plain, flagged, hidden) = parse_checks(
        "check(f)\ncheck(f, hidden=True)\ncheck_hidden(f, name='rnn_forward')"
    )
    assert not plain.hidden and flagged.hidden and hidden.hidden
    assert hidden.exercise == "rnn_forward"
    with pytest.raises(ValueError, match="name= and hidden="):
        parse_checks("check(f, timeout=99)")
    with pytest.raises(ValueError, match="True or False"):
        parse_checks("check(f, hidden=answer)")
