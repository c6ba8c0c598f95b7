"""tools.budgets: the course's time budgets, keyed on each notebook's stable lesson id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import budgets

REPO = Path(__file__).resolve().parents[1]
COURSE = sorted(
    p for d in ("notebooks", "solutions", "exercises") for p in (REPO / d).glob("*.ipynb")
)

# the budgets as the course states them (docs/CONVENTIONS.md), by lesson number
BY_NUMBER = {0: 20, 1: 20, 2: 20, 3: 20, 4: 20, 5: 30, 6: 30, 7: 60, 8: 60, 9: 90}


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_course_notebook_has_its_budget(path):
    meta = json.loads(path.read_text())["metadata"]["rnncourse"]
    assert meta["kind"] == {"notebooks": "lesson"}.get(path.parent.name, path.parent.name)
    expected = {"solutions": 10.0, "exercises": 5.0}.get(
        meta["kind"], float(BY_NUMBER.get(int(meta["lesson"]), 30))
    )
    assert budgets.budget_for(path) == expected
    assert budgets.budget_for(path.relative_to(REPO).as_posix()) == expected


def test_every_known_lesson_id_is_a_lesson_of_the_course():
    ids = {
        json.loads(p.read_text())["metadata"]["rnncourse"]["lesson_id"]
        for p in (REPO / "notebooks").glob("*.ipynb")
    }
    assert set(budgets.LESSON_BUDGETS) <= ids


def test_lessons_after_09_get_30_seconds_and_the_course_300():
    assert budgets.budget("train_it_yourself", "lesson") == 30.0
    assert budgets.budget("seq2seq_attention", "exercises") == 5.0
    assert (budgets.TOTAL_BUDGET, budgets.TOTAL_GOAL, budgets.IMPORT_BUDGET) == (300.0, 180.0, 0.3)


def test_the_budget_follows_the_lesson_id_not_the_file_name(tmp_path):
    nb = {"cells": [], "metadata": {"rnncourse": {"lesson_id": "lstm", "kind": "lesson"}}}
    renamed = tmp_path / "99_renamed.ipynb"
    renamed.write_text(json.dumps(nb))
    assert budgets.budget_for(renamed) == 60.0
    nb["metadata"] = {}
    renamed.write_text(json.dumps(nb))
    assert budgets.budget_for(renamed) is None  # not a course notebook
    with pytest.raises(ValueError, match="unknown notebook kind"):
        budgets.budget("lstm", "lessons")
