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
{grade_id: {"points", "max", "status", "message"}}}]}`` (status: passed, failed, error,
timeout, not-implemented), a CSV with one row per student, and a feedback file per student.
Submissions are graded in parallel (``--workers``, default 2).

For other tools (``rnncourse progress``): :func:`grade_notebook` grades one notebook and
returns its gradebook entry (the dict above), e.g.
``grade_notebook("work/02_hidden_state.ipynb", source="exercises")["exercises"]`` — ``source``
may be ``exercises/`` too: test cells without hidden regions are graded the same way.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from rnncourse.grading import _driver
from rnncourse.grading.check import _cases, _report
from rnncourse.grading.compare import Outcome, judge
from rnncourse.grading.notebooks import TestCell, is_solution, is_test, test_cells
from rnncourse.grading.spec import get_exercise

__all__ = ["Limits", "grade_notebook", "grade_many", "main"]

DRIVER_SOURCE = Path(_driver.__file__).read_text(encoding="utf-8")


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
    dead_status: str = "error"
    out_of_time: bool = False


class _Kernel:
    """A learner's kernel, driven message by message so nothing can block the grader."""

    def __init__(self, workdir: Path, limits: Limits) -> None:
        from jupyter_client.manager import KernelManager

        self.limits = limits
        env = dict(os.environ)
        env.update(
            {
                "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
                "PYTHONHASHSEED": "0",
            }
        )
        env["MPLBACKEND"] = "Agg"
        self.km = KernelManager(kernel_name="python3")
        # the kernel's own stdout/stderr (os.write(1, ...), C-level prints) go nowhere
        self.km.start_kernel(
            cwd=str(workdir), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=limits.startup_timeout)

    def alive(self) -> bool:
        return self.km.is_alive()

    def run(self, code: str, timeout: float) -> dict:
        """Execute ``code``; returns {"status": ok|error|timeout|dead|flood, "ename", "evalue"}."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + max(timeout, 0.1)
        result = {"status": "ok", "ename": "", "evalue": ""}
        printed, interrupted_at = 0, None
        while True:
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                result["status"] = "timeout"
                self.km.interrupt_kernel()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + 3.0:
                self.kill()  # ignored the interrupt (stuck in C code, or catching KeyboardInterrupt)
                result["status"] = result["status"] if result["status"] != "ok" else "timeout"
                return result
            try:
                msg = self.kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                if not self.alive():
                    result["status"] = "dead"
                    return result
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                printed += len(content.get("text", ""))
            elif kind in ("display_data", "execute_result", "update_display_data"):
                printed += sum(len(str(v)) for v in content.get("data", {}).values())
            elif kind == "error" and result["status"] == "ok":
                result.update(
                    status="error",
                    ename=content.get("ename", ""),
                    evalue=content.get("evalue", "")[:300],
                )
            elif kind == "status" and content.get("execution_state") == "idle":
                return result
            if printed > self.limits.max_output_bytes and interrupted_at is None:
                result["status"] = "flood"
                self.km.interrupt_kernel()
                interrupted_at = time.monotonic()

    def kill(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)


def _setup_code(limits: Limits) -> str:
    return (
        "def _rnncourse_limits(limit):\n"
        "    try:\n"
        "        import resource\n"
        "        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "    except Exception:\n"
        "        pass\n"
        f"_rnncourse_limits({int(limits.memory_mb) * 2**20})\n"
        "del _rnncourse_limits\n"
    )


def _driver_code(request: Path, inputs: Path, result: Path, arrays: Path) -> str:
    paths = ", ".join(repr(str(p)) for p in (request, inputs, result, arrays))
    return (
        f"(lambda _ns: (exec(compile({DRIVER_SOURCE!r}, '<rnncourse-grading-driver>', 'exec'), _ns), "
        f"_ns['run_request'](globals(), {paths})))({{'__name__': 'rnncourse_grading_driver'}})"
    )


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


def _entry(tc: TestCell, status: str, message: str) -> dict:
    return {
        "points": tc.points if status == "passed" else 0.0,
        "max": tc.points,
        "status": status,
        "message": message,
    }


def _grade_cell(
    kernel: _Kernel, tc: TestCell, workdir: Path, limits: Limits, deadline: float
) -> dict:
    request, inputs, calls, plan = {"calls": [], "timeout": limits.call_timeout}, {}, [], []
    for k, chk in enumerate(tc.checks):
        ex = get_exercise(chk.exercise)
        for i, (case, expected) in enumerate(_cases(chk.exercise, chk.hidden)):
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
        _driver_code(
            *(workdir / n for n in ("request.json", "inputs.npz", "result.json", "arrays.npz"))
        ),
        budget,
    )
    if ran["status"] == "flood":
        return _entry(
            tc,
            "error",
            f"your functions printed more than {limits.max_output_bytes} characters while being graded",
        )
    if ran["status"] in ("timeout", "dead") or not kernel.alive():
        why = "timed out" if ran["status"] == "timeout" else "the kernel died"
        return _entry(
            tc,
            "timeout" if ran["status"] == "timeout" else "error",
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
        return _entry(tc, "error", message)
    outcomes: dict[int, list[Outcome]] = {k: [] for k in range(len(tc.checks))}
    for j, (k, case, expected) in enumerate(calls):
        ex = plan[k]
        try:
            meta = results[j]
            if any(o.status in ("error", "timeout", "not-implemented") for o in outcomes[k]):
                continue
            if meta.get("status") == "skipped":
                outcomes[k].append(Outcome("timeout", "", "", case))
                continue
            prefix = f"{j}|in|"
            after = {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}
            outcome = judge(ex, case, meta, arrays, after, expected)
        except Exception as exc:  # a forged or truncated result file
            outcome = Outcome("error", f"unreadable result ({type(exc).__name__})", "", case)
        if outcome.status == "timeout":
            outcome.message = f"your function took longer than {limits.call_timeout:g} s: is there an endless loop?"
        outcomes[k].append(outcome)
    for k, chk in enumerate(tc.checks):
        cases = [c for c, _ in _cases(chk.exercise, chk.hidden)]
        report = _report(chk.exercise, cases, outcomes[k], chk.hidden, False)
        if not report.passed:
            return _entry(tc, report.status, report.summary())
    return _entry(tc, "passed", "")


def _in_own_thread(fn, *args, **kwargs):
    """Run ``fn`` in a fresh thread and close the event loop jupyter_client makes there."""
    box: dict = {}

    def target() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        finally:
            try:
                from jupyter_core.utils import _loop

                loop = _loop.get()
                if loop is not None and not loop.is_closed():
                    loop.close()
            except Exception:
                pass

    thread = threading.Thread(target=target, name="rnncourse-grade")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


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
    return _in_own_thread(_grade_notebook, Path(path), Path(source), limits, student)


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
    tests = test_cells(nbformat.read(canonical, as_version=4))
    entry["source"] = str(canonical)
    entry["max"] = sum(tc.points for tc in tests)
    if unreadable:
        entry["exercises"] = {tc.grade_id: _entry(tc, "error", unreadable) for tc in tests}
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
            kernel = _Kernel(workdir, limits)
            kernel.run(_setup_code(limits), limits.cell_timeout)
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
                        run.dead_status = "timeout"
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
                    entry["exercises"][tc.grade_id] = _entry(tc, "timeout", message)
                else:
                    entry["exercises"][tc.grade_id] = _grade_cell(
                        kernel, tc, workdir, limits, deadline
                    )
        except Exception as exc:  # the kernel would not start, or the grader itself failed
            run.notes.append(f"grading stopped: {type(exc).__name__}: {str(exc)[:200]}")
            for tc in tests:
                entry["exercises"].setdefault(
                    tc.grade_id, _entry(tc, "error", f"not graded: {type(exc).__name__}")
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


def feedback_text(entry: dict) -> str:
    """A student's readable feedback: score, each exercise's verdict, what happened on the way."""
    lines = [
        f"Feedback for {entry['student']} ({Path(entry['file']).name})",
        f"Score: {entry['total']:g} / {entry['max']:g}",
        "",
    ]
    for gid, e in entry["exercises"].items():
        mark = "✓" if e["status"] == "passed" else "✗"
        lines.append(f"{mark} {gid}: {e['status']} ({e['points']:g}/{e['max']:g})")
        lines += ["    " + line for line in e["message"].splitlines() if e["status"] != "passed"]
    if entry.get("notes"):
        lines += ["", "While your notebook ran:"] + [f"  - {n}" for n in entry["notes"]]
    return "\n".join(lines) + "\n"


def _public(entry: dict) -> dict:
    return {k: entry[k] for k in ("file", "student", "total", "max", "exercises")}


def write_outputs(
    entries: list[dict], json_path: Path | None, csv_path: Path | None, feedback_dir: Path | None
) -> None:
    if json_path:
        Path(json_path).write_text(
            json.dumps({"submissions": [_public(e) for e in entries]}, indent=1) + "\n"
        )
    if csv_path:
        ids = list(dict.fromkeys(gid for e in entries for gid in e["exercises"]))
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["student", "file", *ids, *(f"{g}_status" for g in ids), "total", "max"])
            for e in entries:
                ex = e["exercises"]
                w.writerow(
                    [
                        e["student"],
                        e["file"],
                        *(f"{ex[g]['points']:g}" if g in ex else "" for g in ids),
                        *(ex[g]["status"] if g in ex else "" for g in ids),
                        f"{e['total']:g}",
                        f"{e['max']:g}",
                    ]
                )
    if feedback_dir:
        Path(feedback_dir).mkdir(parents=True, exist_ok=True)
        for e in entries:
            (Path(feedback_dir) / f"{e['student']}.txt").write_text(
                feedback_text(e), encoding="utf-8"
            )


def _submissions(items: list[str]) -> list[Path]:
    paths = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            paths += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            paths.append(p)
    return paths


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
        default=Path("feedback"),
        help="folder for one feedback file per student",
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
    write_outputs(entries, args.json, args.csv, args.feedback)
    width = max(len(e["student"]) for e in entries)
    for e in entries:
        print(f"{e['student']:<{width}}  {e['total']:g} / {e['max']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
