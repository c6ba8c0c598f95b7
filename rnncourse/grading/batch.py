"""Batch grading for instructors: ``rnncourse grade SUBMISSION.ipynb... [--json F] [--csv F]``.

    rnncourse grade submissions/                       # every .ipynb in the folder
    rnncourse grade --source solutions/ a.ipynb b.ipynb --json grades.json --csv grades.csv

How a submission is graded (nothing in it is trusted, nothing in it is modified):

1. The canonical notebook is found in ``--source`` (by the submission's ``rnncourse.source``
   metadata, else its file name, else the answer cells' ``grade_id``s). Its test cells, hidden
   tests included, say which functions are graded as which exercise and for how many points.
2. A fresh kernel starts in an empty temporary folder, limited in memory (``RLIMIT_AS``, where
   the OS has it) and time (per cell and in total). The submission's code cells run in it, in
   order, except its test cells (by ``grade_id``): edited or deleted test cells change nothing.
   A cell that raises is noted and the next one runs; one that prints more than the output
   limit is interrupted; one that hangs is interrupted at its time limit; a kernel that dies
   (``os._exit``, a crash, out of memory) ends the run and the remaining exercises score 0.
3. For each test cell, the grader writes the exercise's seeded inputs to ``.npz`` (with a
   JSON request) and asks the kernel to call the learner's functions on them
   (``_driver.run_request``, each call time-limited); the kernel writes back ``.npz`` + JSON,
   never pickle. The learner's kernel never sees expected outputs.
4. The grading process compares the outputs with the reference (``compare.judge``, the same
   judge as ``check``), so redefining ``check`` or monkeypatching numpy in the notebook gains
   nothing. A test cell earns its points when every check in it passes.

Results: a JSON gradebook ``{"submissions": [{"file", "student", "total", "max", "exercises":
{grade_id: {"points", "max", "status", "message"}}}]}`` (status: one of
``rnncourse.grading.status.VERDICTS``: passed, failed, error, timeout, not-implemented), a CSV
with one row per student, and a feedback file per student.
Submissions are graded in parallel (``--workers``, default 2).

For other tools (``rnncourse progress``): :func:`grade_notebook` grades one notebook and
returns its gradebook entry (the dict above), e.g.
``grade_notebook("work/02_hidden_state.ipynb", source="exercises")["exercises"]`` — ``source``
may be ``exercises/`` too: test cells without hidden regions are graded the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from rnncourse.grading import _driver
from rnncourse.grading.check import graded_cases, timeout_message
from rnncourse.grading.compare import Outcome, judge
from rnncourse.grading.gradebook import feedback_text, write_outputs
from rnncourse.grading.kernel import Kernel, driver_code, in_own_thread, setup_code
from rnncourse.grading.notebooks import GradedCell, graded_cells, is_solution, is_test
from rnncourse.grading.report import Report
from rnncourse.grading.spec import Case, get_exercise
from rnncourse.grading.status import ERROR, PASSED, STOPS, TIMEOUT

__all__ = ["Limits", "feedback_text", "grade_many", "grade_notebook", "main", "write_outputs"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission (seconds, megabytes)."""

    cell_timeout: float = 30.0
    total_timeout: float = 300.0
    call_timeout: float = 10.0
    memory_mb: int = 2048
    max_output_bytes: int = 1_000_000
    startup_timeout: float = 60.0


@dataclass
class _Run:
    """What happened while a submission's cells ran."""

    notes: list[str] = field(default_factory=list)
    dead: str = ""  # why the kernel is gone, if it is
    dead_status: str = ERROR
    out_of_time: bool = False


def _find_source(nb: nbformat.NotebookNode, path: Path, source: Path) -> Path | None:
    candidates = sorted(Path(source).glob("*.ipynb"))
    named = str(nb.metadata.get("rnncourse", {}).get("source", ""))
    for c in candidates:
        if named and Path(named).name == c.name:
            return c
    for c in candidates:
        if c.stem in path.name:
            return c
    ids = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
    best, overlap = None, 0
    for c in candidates:
        theirs = {
            cell.metadata.get("nbgrader", {}).get("grade_id")
            for cell in nbformat.read(c, as_version=4).cells
        }
        n = len((ids & theirs) - {None})
        if n > overlap:
            best, overlap = c, n
    if best is None and len(candidates) == 1:
        return candidates[0]
    return best


def _entry(tc: GradedCell, status: str, message: str) -> dict:
    return {
        "points": tc.points if status == PASSED else 0.0,
        "max": tc.points,
        "status": status,
        "message": message,
    }


def _grade_cell(
    kernel: Kernel, tc: GradedCell, workdir: Path, limits: Limits, deadline: float
) -> dict:
    request, inputs, calls, plan = {"calls": [], "timeout": limits.call_timeout}, {}, [], []
    for k, chk in enumerate(tc.checks):
        ex = get_exercise(chk.exercise)
        for i, (case, expected) in enumerate(graded_cases(chk.exercise, chk.hidden)):
            key = f"{k}.{i}"
            args = []
            for a in ex.args:
                value = case.inputs[a]
                if isinstance(value, dict):
                    args.append({"name": a, "kind": "dict", "keys": list(value)})
                else:
                    args.append(
                        {"name": a, "kind": "array" if isinstance(value, np.ndarray) else "scalar"}
                    )
                _driver.flatten(value, f"{key}|{a}", inputs)
            request["calls"].append(
                {"function": chk.function, "case": key, "args": args, "n_outputs": len(ex.outputs)}
            )
            calls.append((k, case, expected))
        plan.append(ex)
    for name in ("request.json", "inputs.npz", "result.json", "arrays.npz"):
        (workdir / name).unlink(missing_ok=True)
    (workdir / "request.json").write_text(json.dumps(request))
    np.savez(workdir / "inputs.npz", **inputs)
    budget = min(limits.call_timeout * len(calls) + 10.0, deadline - time.monotonic())
    ran = kernel.run(
        driver_code(
            *(workdir / n for n in ("request.json", "inputs.npz", "result.json", "arrays.npz"))
        ),
        budget,
    )
    if ran["status"] == "flood":
        return _entry(
            tc,
            ERROR,
            f"your functions printed more than {limits.max_output_bytes} characters while being graded",
        )
    if ran["status"] in ("timeout", "dead") or not kernel.alive():
        why = "timed out" if ran["status"] == "timeout" else "the kernel died"
        return _entry(
            tc,
            TIMEOUT if ran["status"] == "timeout" else ERROR,
            f"grading {why} while calling your functions",
        )
    try:
        results = json.loads((workdir / "result.json").read_text())["results"]
        with np.load(workdir / "arrays.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception:
        message = "your notebook's functions could not be called or their results could not be read"
        if ran["status"] == "error":
            message += (
                f" ({ran['ename']}: {ran['evalue']}; did the notebook redefine a builtin or numpy?)"
            )
        return _entry(tc, ERROR, message)
    outcomes: dict[int, list[Outcome]] = {k: [] for k in range(len(tc.checks))}
    judged: dict[int, list[tuple[Case, dict]]] = {k: [] for k in range(len(tc.checks))}
    for j, (k, case, expected) in enumerate(calls):
        ex = plan[k]
        judged[k].append((case, expected))
        try:
            meta = results[j]
            if any(o.status in STOPS for o in outcomes[k]):
                continue
            if meta.get("status") == "skipped":
                outcomes[k].append(Outcome(TIMEOUT, "", "", case))
                continue
            prefix = f"{j}|in|"
            after = {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}
            earlier = [(c, e, o.passed) for (c, e), o in zip(judged[k], outcomes[k], strict=False)]
            outcome = judge(ex, case, meta, arrays, after, expected, earlier)
        except Exception as exc:  # a forged or truncated result file
            outcome = Outcome(ERROR, f"unreadable result ({type(exc).__name__})", "", case)
        if outcome.status == TIMEOUT:
            outcome.message = timeout_message(limits.call_timeout)
        outcomes[k].append(outcome)
    for k, chk in enumerate(tc.checks):
        cases = [c for c, _ in graded_cases(chk.exercise, chk.hidden)]
        report = Report.from_outcomes(chk.exercise, cases, outcomes[k], chk.hidden)
        if not report.passed:
            return _entry(tc, report.status, report.summary())
    return _entry(tc, PASSED, "")


def grade_notebook(
    path: str | Path,
    source: str | Path = "solutions",
    *,
    limits: Limits = Limits(),
    student: str | None = None,
) -> dict:
    """Grade one notebook in a fresh kernel; return its gradebook entry (see the module doc).

    The notebook file is only read. ``entry["exercises"][grade_id]["status"]`` is one of
    passed, failed, error, timeout, not-implemented; ``entry["notes"]`` lists what happened
    while its cells ran (errors, timeouts, output floods), for feedback.
    """
    return in_own_thread(_grade_notebook, Path(path), Path(source), limits, student)


def _grade_notebook(path: Path, source: Path, limits: Limits, student: str | None) -> dict:
    entry = {
        "file": str(path),
        "student": student or path.stem,
        "total": 0.0,
        "max": 0.0,
        "exercises": {},
    }
    run = _Run()
    unreadable = ""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        nb = nbformat.v4.new_notebook()
        unreadable = f"could not read the notebook: {type(exc).__name__}: {str(exc)[:200]}"
    canonical = _find_source(nb, path, Path(source))
    if canonical is None:
        entry["notes"] = [unreadable or f"no notebook in {source} matches this submission"]
        return entry
    tests = graded_cells(nbformat.read(canonical, as_version=4))
    entry["source"] = str(canonical)
    entry["max"] = sum(tc.points for tc in tests)
    if unreadable:
        entry["exercises"] = {tc.grade_id: _entry(tc, ERROR, unreadable) for tc in tests}
        entry["notes"] = [unreadable]
        return entry
    test_ids = {tc.grade_id for tc in tests}
    cells = [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and not is_test(c)
        and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in test_ids
    ]
    start = time.monotonic()
    deadline = start + limits.total_timeout
    with tempfile.TemporaryDirectory(prefix="rnncourse-grade-") as tmp:
        workdir = Path(tmp)
        kernel = None
        try:
            kernel = Kernel(workdir, limits)
            kernel.run(setup_code(limits.memory_mb), limits.cell_timeout)
            for i, cell in cells:
                left = deadline - time.monotonic()
                if left <= 0:
                    run.out_of_time = True
                    break
                ran = kernel.run(cell.source, min(limits.cell_timeout, left))
                label = f"cell {i + 1}" + (" (an answer cell)" if is_solution(cell) else "")
                if ran["status"] == "error":
                    run.notes.append(f"{label} raised {ran['ename']}: {ran['evalue']}")
                elif ran["status"] == "timeout":
                    run.notes.append(
                        f"{label} ran longer than {min(limits.cell_timeout, left):g} s and was stopped"
                    )
                elif ran["status"] == "flood":
                    run.notes.append(
                        f"{label} printed more than {limits.max_output_bytes} characters and was stopped"
                    )
                if not kernel.alive():
                    if ran["status"] == "timeout":
                        run.dead = f"{label} ignored the interrupt at its time limit, so its kernel was stopped"
                        run.dead_status = TIMEOUT
                    else:
                        run.dead = f"the kernel died while running {label} (sys.exit/os._exit, a crash, or out of memory)"
                    break
            for tc in tests:
                if run.dead or not kernel.alive():
                    run.dead = run.dead or "the kernel died"
                    entry["exercises"][tc.grade_id] = _entry(tc, run.dead_status, run.dead)
                elif run.out_of_time or time.monotonic() >= deadline:
                    message = (
                        f"the notebook ran past its total time limit of {limits.total_timeout:g} s"
                    )
                    entry["exercises"][tc.grade_id] = _entry(tc, TIMEOUT, message)
                else:
                    entry["exercises"][tc.grade_id] = _grade_cell(
                        kernel, tc, workdir, limits, deadline
                    )
        except Exception as exc:  # the kernel would not start, or the grader itself failed
            run.notes.append(f"grading stopped: {type(exc).__name__}: {str(exc)[:200]}")
            for tc in tests:
                entry["exercises"].setdefault(
                    tc.grade_id,
                    _entry(tc, ERROR, f"not graded: {type(exc).__name__}: {str(exc)[:200]}"),
                )
        finally:
            if kernel is not None:
                try:
                    kernel.kill()
                except Exception:
                    run.notes.append("the kernel could not be shut down cleanly")
    if run.dead:
        run.notes.append(run.dead)
    entry["total"] = sum(e["points"] for e in entry["exercises"].values())
    entry["notes"] = run.notes
    return entry


def grade_many(
    paths: list[Path],
    source: Path,
    *,
    limits: Limits = Limits(),
    workers: int = 2,
    student_from: str = "stem",
) -> list[dict]:
    """Grade several submissions in parallel (one kernel each); entries in input order."""
    students = [p.parent.name if student_from == "parent" else p.stem for p in paths]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(grade_notebook, p, source, limits=limits, student=s)
            for p, s in zip(paths, students, strict=True)
        ]
        return [f.result() for f in futures]


def _submissions(items: list[str]) -> list[Path]:
    paths = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            paths += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            paths.append(p)
    return paths


def feedback_folder(given: Path | None, json_path: Path | None, csv_path: Path | None) -> Path:
    """Where the feedback files go: `given`, else ``feedback/`` beside the gradebook (the
    folder of the JSON, else of the CSV), else ``feedback/`` in the current folder.

    >>> feedback_folder(None, Path("out/grades.json"), None).as_posix()
    'out/feedback'
    """
    if given is not None:
        return given
    book = json_path or csv_path
    return (book.parent if book is not None else Path()) / "feedback"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rnncourse grade", description="Grade submitted exercise notebooks."
    )
    parser.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    parser.add_argument(
        "--source", default="solutions", type=Path, help="canonical notebooks (default: solutions/)"
    )
    parser.add_argument("--json", type=Path, help="write the JSON gradebook here")
    parser.add_argument("--csv", type=Path, help="write the CSV gradebook here")
    parser.add_argument(
        "--feedback",
        type=Path,
        default=None,
        help="folder for one feedback file per student (default: feedback/ in the folder of"
        " --json, else of --csv, else in the current folder)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="submissions graded at once (default 2)"
    )
    parser.add_argument(
        "--student-from",
        choices=["stem", "parent"],
        default="stem",
        help="student id: file name stem, or parent folder",
    )
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout)
    parser.add_argument("--total-timeout", type=float, default=Limits.total_timeout)
    parser.add_argument("--call-timeout", type=float, default=Limits.call_timeout)
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    args = parser.parse_args(argv)
    paths = _submissions(args.submissions)
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        print(
            f"rnncourse grade: no such notebook: {', '.join(map(str, missing)) or 'none given'}",
            file=sys.stderr,
        )
        return 2
    if not args.source.is_dir():
        print(f"rnncourse grade: no such folder: {args.source}", file=sys.stderr)
        return 2
    ids = [p.parent.name if args.student_from == "parent" else p.stem for p in paths]
    if len(set(ids)) != len(ids):
        print(
            "rnncourse grade: two submissions have the same student id; try --student-from parent",
            file=sys.stderr,
        )
        return 2
    limits = Limits(args.cell_timeout, args.total_timeout, args.call_timeout, args.memory_mb)
    entries = grade_many(
        paths, args.source, limits=limits, workers=args.workers, student_from=args.student_from
    )
    write_outputs(entries, args.json, args.csv, feedback_folder(args.feedback, args.json, args.csv))
    width = max(len(e["student"]) for e in entries)
    for e in entries:
        print(f"{e['student']:<{width}}  {e['total']:g} / {e['max']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
