"""Your progress: which exercises in ``work/`` pass, fail, or are not started yet.

    rnncourse progress [--work work/] [--source exercises/] [--details]

Each of your exercise notebooks in ``work/`` is graded the way an instructor's
``rnncourse grade`` grades it (``rnncourse.grading.batch.grade_notebook``): your code cells run
in a fresh kernel, a separate process (sandboxed where the machine can: Linux with bubblewrap);
the checks of the course's own test cells are run on your functions, and the comparison happens
outside your kernel. Your notebooks are only read, never
written: not even their outputs change.

A copy is matched to its exercise by the lesson id in its metadata (``rnncourse.lesson_id``), so
a copy you renamed (``07_lstm-mine.ipynb``) is graded too, listed under its own name beside the
original. Two kinds of notebook need no kernel:

- an exercise with no copy in ``work/`` yet is listed as "no copy" (``make lab``, or
  ``rnncourse sync-work``, makes one);
- a copy byte-identical to the exercise as the course ships it is "not started": every answer
  cell is still the stub that raises ``NotImplementedError`` (``tests/test_exercises_stubs.py``
  proves that of every exercise notebook). ``--regrade-all`` grades those too.

From Python (e.g. a cell of the start page), :func:`progress` returns the table:

    from rnncourse.progress import progress
    progress()          # shows as a table in a notebook; str() gives the text version
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rnncourse.grading import status as verdict
from rnncourse.grading.status import ERROR, FAILED, NO_COPY, NOT_STARTED, PASSED

__all__ = ["Progress", "Row", "progress", "main"]

# what a row's status can be (rnncourse.grading.status), and how it is shown (a symbol and a
# word: never colour alone)
SYMBOL = {PASSED: "✓", FAILED: "✗", NOT_STARTED: "·", ERROR: "!", NO_COPY: "-"}
FROM_GRADER = {  # the grader's verdict -> ours
    verdict.PASSED: PASSED,
    verdict.FAILED: FAILED,
    verdict.NOT_IMPLEMENTED: NOT_STARTED,
    verdict.ERROR: ERROR,
    verdict.TIMEOUT: ERROR,
}


@dataclass(frozen=True)
class Row:
    """One exercise (one test cell) of one notebook."""

    notebook: str  # file name, e.g. "02_hidden_state.ipynb"
    exercise: str  # the test cell's grade_id, e.g. "test_rnn_forward"
    status: str  # passed, failed, not started, error, no copy
    points: float
    max: float
    message: str = ""  # why it failed (the checker's message); empty when it passed

    @property
    def name(self) -> str:
        """The exercise as a learner knows it: the grade_id without its ``test_`` prefix."""
        return self.exercise.removeprefix("test_")


@dataclass(repr=False)
class Progress:
    """The table `progress` returns: rows in notebook order, notes per notebook."""

    work: Path
    source: Path
    rows: list[Row] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # notebook -> what happened
    problem: str = ""  # why nothing could be graded (no work/ folder, no exercises)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    @property
    def summary(self) -> str:
        if self.problem:
            return self.problem
        n = len(self.rows)
        parts = [f"{self.count(PASSED)} of {n} exercises pass"]
        for status in (FAILED, ERROR, NOT_STARTED, NO_COPY):
            if self.count(status):
                parts.append(f"{self.count(status)} {status}")
        return "; ".join(parts) + "."

    def text(self, details: bool = False) -> str:
        """The table as plain text; with `details`, every failure's full message."""
        lines = [f"Your exercises in {self.work} (graded against {self.source}):", ""]
        if self.problem:
            return "\n".join([*lines, self.problem])
        width = max((len(r.name) for r in self.rows), default=10)
        notebook = None
        for r in self.rows:
            if r.notebook != notebook:
                notebook = r.notebook
                lines.append(notebook)
            first, *rest = (r.message or "").splitlines() or [""]
            lines.append(
                f"  {SYMBOL[r.status]} {r.name:<{width}}  {r.status:<11} {r.points:g}/{r.max:g}"
                + (f"  {_short(first)}" if first else "")
            )
            if details and rest:
                lines += [f"      {line}" for line in rest]
        if details:
            for nb, notes in self.notes.items():
                if notes:
                    lines += ["", f"While {nb} ran:"] + [f"  - {n}" for n in notes]
        return "\n".join([*lines, "", self.summary])

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__  # what a notebook shows where it cannot show HTML

    def _repr_html_(self) -> str:
        head = (
            f"<p>Your exercises in <code>{html.escape(str(self.work))}</code>, graded against "
            f"<code>{html.escape(str(self.source))}</code>:</p>"
        )
        if self.problem:
            return head + f"<p>{html.escape(self.problem)}</p>"
        rows = []
        for r in self.rows:
            message = html.escape(r.message).replace("\n", "<br>")
            rows.append(
                f"<tr><td>{html.escape(r.notebook)}</td><td><code>{html.escape(r.name)}</code></td>"
                f"<td>{SYMBOL[r.status]} {r.status}</td><td>{r.points:g} / {r.max:g}</td>"
                f"<td style='text-align:left'>{message}</td></tr>"
            )
        table = (
            "<table><thead><tr><th>notebook</th><th>exercise</th><th>status</th><th>points</th>"
            "<th style='text-align:left'>what the checker said</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
        return head + table + f"<p>{html.escape(self.summary)}</p>"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stub_message(test_cell) -> str:
    """What the grader says of an untouched stub (same words as ``check``)."""
    function = test_cell.checks[0].exercise if test_cell.checks else "this exercise"
    return f"{function}: not implemented yet (replace `raise NotImplementedError()` with your code)"


def lesson_id(path: Path) -> str | None:
    """The stable lesson id in a notebook's metadata (``rnncourse.lesson_id``), or None if the
    file cannot be read or has none. Only reads the file."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta = nb.get("metadata", {}).get("rnncourse", {}) if isinstance(nb, dict) else {}
    value = meta.get("lesson_id") if isinstance(meta, dict) else None
    return str(value) if isinstance(value, str) and value else None


def copies_of(exercises: list[Path], work: Path) -> dict[str, list[Path]]:
    """{exercise file name: the learner's copies in `work`}: the copy of the same name first,
    then any other notebook in `work` with the exercise's lesson id (a renamed copy)."""
    names = {e.name for e in exercises}
    by_id: dict[str, list[Path]] = {}
    for p in sorted(work.glob("*.ipynb")):
        if p.name not in names:
            key = lesson_id(p)
            if key is not None:
                by_id.setdefault(key, []).append(p)
    found: dict[str, list[Path]] = {}
    for e in exercises:
        same = [work / e.name] if (work / e.name).is_file() else []
        key = lesson_id(e)
        found[e.name] = same + (by_id.get(key, []) if key is not None else [])
    return found


def _course_root() -> Path:
    from rnncourse.workspace import default_root

    return default_root()


def progress(
    work: str | Path | None = None,
    source: str | Path | None = None,
    *,
    regrade_all: bool = False,
    workers: int = 2,
    limits=None,
) -> Progress:
    """Grade the learner's exercise notebooks in `work` against `source`; return the table.

    Args:
        work: the learner's folder (default: ``work/`` in the course folder).
        source: the course's exercise notebooks (default: ``exercises/`` in the course folder).
            ``solutions/`` works too and adds the hidden tests.
        regrade_all: also grade copies that are byte-identical to the exercise (normally
            reported "not started" without starting a kernel).
        workers: notebooks graded at once, each in its own kernel.
        limits: ``rnncourse.grading.batch.Limits`` for each notebook (default: the grader's).

    Only reads `work`: the notebooks are never written.
    """
    root = _course_root()
    work = Path(work) if work is not None else root / "work"
    source = Path(source) if source is not None else root / "exercises"
    result = Progress(work, source)
    exercises = sorted(p for p in source.glob("[0-9][0-9]_*.ipynb"))
    if not exercises:
        result.problem = f"No exercise notebooks in {source}."
        return result
    if not work.is_dir():
        result.problem = f"No {work} folder yet: `make lab` (or `rnncourse sync-work`) copies the exercises there."
        return result

    import nbformat

    from rnncourse.grading.batch import Limits, grade_many
    from rnncourse.grading.notebooks import graded_cells

    to_grade: list[Path] = []
    rows: dict[str, list[Row]] = {}  # copy (or missing exercise) name -> its rows
    order: list[str] = []
    for exercise, mine in copies_of(exercises, work).items():
        exercise = source / exercise
        tests = graded_cells(nbformat.read(exercise, as_version=4))
        if not mine:
            order.append(exercise.name)
            rows[exercise.name] = [
                Row(exercise.name, t.grade_id, NO_COPY, 0.0, t.points) for t in tests
            ]
        for copy in mine:
            order.append(copy.name)
            if not regrade_all and copy.read_bytes() == exercise.read_bytes():
                rows[copy.name] = [
                    Row(copy.name, t.grade_id, NOT_STARTED, 0.0, t.points, _stub_message(t))
                    for t in tests
                ]
            else:
                to_grade.append(copy)
                rows[copy.name] = []
    if to_grade:
        entries = grade_many(
            to_grade, source, limits=limits or Limits(), workers=workers, similar=False
        )  # in the sandbox where this machine has one (rnncourse.grading.sandbox)
        for path, entry in zip(to_grade, entries, strict=True):
            graded = [
                Row(
                    path.name,
                    gid,
                    FROM_GRADER.get(e["status"], ERROR),
                    float(e["points"]),
                    float(e["max"]),
                    "" if e["status"] == verdict.PASSED else e["message"],
                )
                for gid, e in entry["exercises"].items()
            ]
            if not graded:  # the grader could not match or read the notebook
                why = "; ".join(entry.get("notes", [])) or "could not be graded"
                graded = [Row(path.name, "(notebook)", ERROR, 0.0, 0.0, why)]
            rows[path.name] = graded
            result.notes[path.name] = list(entry.get("notes", []))
    result.rows = [r for name in order for r in rows[name]]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rnncourse progress",
        description="Show which of your exercises in work/ pass, fail or are not started yet.",
    )
    parser.add_argument("--work", type=Path, help="your notebooks (default: work/)")
    parser.add_argument(
        "--source", type=Path, help="the course's exercise notebooks (default: exercises/)"
    )
    parser.add_argument(
        "--details", action="store_true", help="full messages, and what happened while cells ran"
    )
    parser.add_argument(
        "--regrade-all",
        action="store_true",
        help="also grade copies identical to the exercise (otherwise 'not started' directly)",
    )
    parser.add_argument("--workers", type=int, default=2, help="notebooks graded at once")
    args = parser.parse_args(argv)
    if args.source is not None and not args.source.is_dir():
        print(f"rnncourse progress: no such folder: {args.source}", file=sys.stderr)
        return 2
    table = progress(args.work, args.source, regrade_all=args.regrade_all, workers=args.workers)
    print(table.text(details=args.details))
    return 1 if table.problem else 0


if __name__ == "__main__":
    sys.exit(main())
