"""The notebooks' time budgets, in one place (the rule is stated in docs/CONVENTIONS.md).

A budget is the most a notebook may take from kernel start to its last cell on the course's
reference machine (one BLAS thread). It is keyed on the notebook's stable lesson id and kind,
``metadata.rnncourse.lesson_id`` and ``metadata.rnncourse.kind`` (lesson, solutions, exercises),
so that renaming or renumbering a file does not change its budget:

- a lesson: 20 s for lessons 00-04, 30 s for 05-06, 60 s for 07-08, 90 s for 09, and 30 s for
  every lesson after 09 (any lesson id not in ``LESSON_BUDGETS``);
- a solutions notebook: 10 s; an exercises notebook: 5 s;
- the whole course, every notebook one after another: 300 s (the goal is 180 s);
- ``import rnncourse`` in a fresh process: 0.3 s.

Standard library only. Used by the test command's budget table (tests/conftest.py), the
benchmark (``python -m tools.bench_notebooks``) and its report.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

IMPORT_BUDGET = 0.3  # seconds, CPU time of a fresh `python -c "import rnncourse"`
TOTAL_BUDGET = 300.0  # seconds, every notebook of the course one after another
TOTAL_GOAL = 180.0  # seconds, the stretch goal for the same

LESSON_BUDGETS = {  # seconds, lesson id -> budget of the lesson notebook
    "start": 20.0,  # 00
    "why_sequences": 20.0,  # 01
    "hidden_state": 20.0,  # 02
    "outputs": 20.0,  # 03
    "parameter_sharing": 20.0,  # 04
    "bptt": 30.0,  # 05
    "vanishing_exploding": 30.0,  # 06
    "lstm": 60.0,  # 07
    "gru": 60.0,  # 08
    "applications": 90.0,  # 09
    "deeper_both_ways": 30.0,  # 11
    "seq2seq_attention": 30.0,  # 12
}
LATER_LESSON_BUDGET = 30.0  # seconds, each lesson after 09
KIND_BUDGETS = {"solutions": 10.0, "exercises": 5.0}
KINDS = ("lesson", "solutions", "exercises")


def budget(lesson_id: str, kind: str) -> float:
    """The budget (seconds) of the notebook with this lesson id and kind.

    >>> budget("outputs", "lesson"), budget("applications", "lesson"), budget("lstm", "lesson")
    (20.0, 90.0, 60.0)
    >>> budget("a_lesson_after_09", "lesson")
    30.0
    >>> budget("lstm", "solutions"), budget("lstm", "exercises")
    (10.0, 5.0)
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notebook kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "lesson":
        return LESSON_BUDGETS.get(lesson_id, LATER_LESSON_BUDGET)
    return KIND_BUDGETS[kind]


def notebook_key(path: str | Path) -> tuple[str, str] | None:
    """(lesson id, kind) from a notebook's metadata, or None for a file that is not a course
    notebook (missing, not a notebook, or without ``metadata.rnncourse.lesson_id`` and ``kind``).
    A relative path is taken from the repository's root."""
    path = Path(path)
    if not path.is_absolute():
        path = REPO / path
    if path.suffix != ".ipynb" or not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("rnncourse")
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or "lesson_id" not in meta or meta.get("kind") not in KINDS:
        return None
    return meta["lesson_id"], meta["kind"]


def budget_for(path: str | Path) -> float | None:
    """The budget (seconds) of the notebook at ``path``, from its lesson id and kind; None for a
    file that is not a course notebook.

    >>> budget_for("notebooks/03_outputs.ipynb"), budget_for("notebooks/09_applications.ipynb")
    (20.0, 90.0)
    >>> budget_for("solutions/07_lstm.ipynb"), budget_for("exercises/07_lstm.ipynb")
    (10.0, 5.0)
    >>> budget_for("tests/no_such_notebook.ipynb") is None
    True
    """
    key = notebook_key(path)
    return None if key is None else budget(*key)
