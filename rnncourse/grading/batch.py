"""Batch grading for instructors: ``rnncourse grade SUBMISSION.ipynb... [--json F] [--csv F]``.

    rnncourse grade submissions/                       # every .ipynb in the folder
    rnncourse grade --source solutions/ a.ipynb b.ipynb --json grades.json --csv grades.csv
    rnncourse grade --check-sandbox                    # can this machine sandbox learner code?

How a submission is graded (nothing in it is trusted, nothing in it is modified):

1. The canonical notebooks of ``--source`` are read once, before any kernel starts. A
   submission's canonical notebook is chosen by its **file name** (the canonical notebook whose
   stem is in it, the longest such), then by ``--lesson NN``, and when ``--source`` holds a
   single notebook, that one; its own metadata never chooses (metadata that disagrees adds the
   flag ``lesson-mismatch``). Its test cells, hidden tests included, say which functions are
   graded as which exercise and for how many points.
2. A fresh kernel starts for it **in the sandbox** (``rnncourse.grading.sandbox``: bubblewrap;
   a file-system allowlist, no network, its own PID namespace, an unprivileged uid when the
   grader is root, a minimal environment, limits on CPU time, memory, file size and processes),
   in a private scratch folder holding its copy of the submission. Without a sandbox on this
   machine the command refuses, unless given ``--no-sandbox`` (every row flagged
   ``unsandboxed``; the limits still apply). The submission's code cells run in it, in order,
   except its test cells (by ``grade_id``): edited or deleted test cells change nothing. A cell
   that raises is noted and the next one runs; one that prints more than the output limit is
   interrupted; one that hangs is interrupted at its time limit (an interrupt *message*); a
   kernel that dies (``os._exit``, a crash, out of memory, out of CPU time) ends the run and
   the remaining exercises score 0.
3. For each test cell, the grader writes the exercise's seeded inputs to ``.npz`` (with a JSON
   request) in a folder the kernel can only read, and asks the kernel to call the learner's
   functions on them (``_driver.run_request``, each call time-limited, under the no-credit
   guard ``_guard.reference_guard``); the kernel writes back ``.npz`` + JSON, never pickle.
   The learner's kernel never sees expected outputs, nor the package's reference code. A value
   item's check (``check(value, name)``) asks for the notebook variable instead; an item graded
   on a distribution asks for repeated calls sharing one ``rng`` built from a seed in the
   request.
4. The grading process reads the results **bounded** (``rnncourse.grading.bounded``: regular
   files under a size cap, only the keys it asked for, every array header checked against the
   expected shape and dtype before its data is read) and compares them with the reference
   (``compare.judge``, the same judge as ``check``; ``values.judge_value`` for values), so
   redefining ``check`` or monkeypatching numpy in the notebook gains nothing. A test cell earns
   its points when every check in it passes; a call that is, or calls, a catalogued reference
   earns nothing (``noref``). Messages carry hints up to ``--hints N`` (default 1: the
   symptom).
5. After every kernel is gone, the class's answers are compared (``similarity``) and the
   gradebooks are written.

Results: a JSON gradebook ``{"submissions": [{"file", "student", "source", "total", "max",
"flags", "exercises": {grade_id: {"points", "max", "status", "message"}}}]}``, a CSV with one
row per student, and a feedback file per student. ``status`` is one of
``rnncourse.grading.status.VERDICTS`` (passed, failed, error, timeout, not-implemented);
the limits produce:

============================  =======================  ====================================
limit (flag, default)         what the learner's code  status
============================  =======================  ====================================
``--cell-timeout`` 30 s       a cell runs too long     interrupted, noted; a kernel that
                                                       ignores the interrupt: ``timeout``
``--call-timeout`` 10 s       a graded call hangs      ``timeout`` for that test cell
``--total-timeout`` 300 s     the notebook's wall time ``timeout`` for what is left
``--cpu-seconds`` 300         the kernel's CPU time    kernel stopped: ``timeout`` for
                                                       what is left
``--memory-mb`` 2048          address space            ``MemoryError`` in the cell (noted)
                                                       or, in a graded call, ``error``
``--file-mb`` 64              any one file written     the write fails (``OSError: File too
                                                       large``), noted / ``error``
``--procs`` 64                processes + threads of   ``fork``/thread start fails, noted /
                              the kernel's uid         ``error``
============================  =======================  ====================================

``flags`` (a list of strings): ``unsandboxed`` (graded with ``--no-sandbox``),
``reference-used`` (a graded function is, or calls, one of the package's references, or a cell
tried to import one in the sandbox), ``lesson-mismatch`` (the notebook's metadata names
another lesson than the canonical notebook chosen), ``similar-to:<student>`` and
``similar-to:reference`` (the similarity report; information, never a penalty),
``unreadable`` (not a notebook: every exercise ``error``, the canonical maximum kept),
``unattributed`` (no canonical notebook matches: name the file after one or pass
``--lesson``; ``max`` is 0 and ``exercises`` empty).
Submissions are graded in parallel (``--workers``, default 2).

For other tools (``rnncourse progress``): :func:`grade_notebook` grades one notebook and
returns its gradebook entry (the dict above), e.g.
``grade_notebook("work/02_hidden_state.ipynb", source="exercises")["exercises"]`` — ``source``
may be ``exercises/`` too: test cells without hidden regions are graded the same way. It
sandboxes where the machine can (``sandbox=None``); ``sandbox=True`` requires it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from rnncourse.grading import _driver, noref
from rnncourse.grading.bounded import BadResult, Expect, read_arrays, read_capped, read_json
from rnncourse.grading.check import graded_cases, judge_call, timeout_message
from rnncourse.grading.compare import Outcome
from rnncourse.grading.gradebook import feedback_text, write_outputs
from rnncourse.grading.kernel import Kernel, driver_code, in_own_thread
from rnncourse.grading.notebooks import GradedCell, graded_cells, is_solution, is_test
from rnncourse.grading.report import Report
from rnncourse.grading.spec import Case, ValueItem, get_exercise
from rnncourse.grading.status import ERROR, FAILED, PASSED, STOPS, TIMEOUT
from rnncourse.grading.values import judge_value

__all__ = [
    "Canonical",
    "Limits",
    "SandboxUnavailable",
    "attribute",
    "feedback_text",
    "grade_many",
    "grade_notebook",
    "load_source",
    "main",
    "write_outputs",
]

MAX_NOTEBOOK_BYTES = 64 * 2**20  # a submission larger than this is not read


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission (seconds, megabytes, processes)."""

    cell_timeout: float = 30.0
    total_timeout: float = 300.0
    call_timeout: float = 10.0
    memory_mb: int = 2048
    max_output_bytes: int = 1_000_000
    startup_timeout: float = 60.0
    cpu_seconds: int = 300
    file_mb: int = 64
    procs: int = 64


# the Limits a command-line flag sets: (field, type, what it limits); the flag is --field-name
_LIMIT_FLAGS = (
    ("cell_timeout", float, "seconds per cell"),
    ("total_timeout", float, "seconds per notebook"),
    ("call_timeout", float, "seconds per graded call"),
    ("memory_mb", int, "address space of a kernel"),
    ("cpu_seconds", int, "CPU time of a kernel"),
    ("file_mb", int, "largest file a kernel may write"),
    ("procs", int, "processes and threads of a kernel"),
)


class SandboxUnavailable(RuntimeError):
    """Grading was asked to sandbox and this machine cannot (the message says why)."""


@dataclass
class _Run:
    """What happened while a submission's cells ran."""

    notes: list[str] = field(default_factory=list)
    dead: str = ""  # why the kernel is gone, if it is
    dead_status: str = ERROR
    out_of_time: bool = False


# ----------------------------------------------------------------------------------------------
# the canonical notebooks, read once; which one a submission is
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Canonical:
    """A notebook of ``--source``: its test cells, lesson, and answer cells (for similarity)."""

    path: Path
    tests: tuple[GradedCell, ...]
    lesson: str
    lesson_id: str
    answers: dict  # answer cell grade_id -> the canonical's source of it
    stubs: dict  # answer cell grade_id -> the stub the learner was given

    @property
    def max(self) -> float:
        return sum(tc.points for tc in self.tests)


def load_source(source: str | Path) -> list[Canonical]:
    """Every canonical notebook of ``source`` (a folder), read now and never again."""
    from rnncourse.grading.generate import make_exercise

    out = []
    for path in sorted(Path(source).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("rnncourse", {}) or {}
        answers = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in nb.cells
            if c.cell_type == "code"
            and is_solution(c)
            and "grade_id" in c.metadata.get("nbgrader", {})
        }
        stub_nb = make_exercise(nb)
        stubs = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in stub_nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") in answers
        }
        out.append(
            Canonical(
                path,
                tuple(graded_cells(nb)),
                str(meta.get("lesson", "")),
                str(meta.get("lesson_id", "")),
                answers,
                stubs,
            )
        )
    return out


def attribute(
    path: Path, canonicals: list[Canonical], lesson: str | None = None
) -> Canonical | None:
    """The canonical notebook of a submission: by file name, then ``lesson``, then the only one."""
    named = [c for c in canonicals if c.path.stem in Path(path).name]
    if named:
        return max(named, key=lambda c: len(c.path.stem))
    if lesson:
        lesson = str(lesson).zfill(2)
        for c in canonicals:
            if c.lesson == lesson or c.path.name.startswith(f"{lesson}_"):
                return c
        return None
    return canonicals[0] if len(canonicals) == 1 else None


def _mismatch(nb: nbformat.NotebookNode, canonical: Canonical) -> bool:
    meta = nb.metadata.get("rnncourse", {})
    if not isinstance(meta, dict):
        return False
    lesson, lesson_id = meta.get("lesson"), meta.get("lesson_id")
    return bool(
        (lesson and canonical.lesson and str(lesson) != canonical.lesson)
        or (lesson_id and canonical.lesson_id and str(lesson_id) != canonical.lesson_id)
    )


def _entry(tc: GradedCell, status: str, message: str) -> dict:
    return {
        "points": tc.points if status == PASSED else 0.0,
        "max": tc.points,
        "status": status,
        "message": message,
    }


# ----------------------------------------------------------------------------------------------
# one test cell: request, results read bounded, judged here
# ----------------------------------------------------------------------------------------------
def _request_call(chk, case_key: str, case: Case | None, inputs: dict) -> dict:
    """One call of a request (see ``_driver``): a function on a case's inputs (written into
    ``inputs``), repeated for an item graded on a distribution; or a value item's variable."""
    ex = get_exercise(chk.exercise)
    if isinstance(ex, ValueItem):
        return {"value": chk.function, "case": case_key}
    args = []
    for a in ex.args:
        spec = _driver.input_spec(case.inputs[a], f"{case_key}|{a}", inputs)
        args.append({"name": a, **spec})
    call = {"function": chk.function, "case": case_key, "args": args, "n_outputs": len(ex.outputs)}
    if ex.distribution is not None:
        call["repeat"] = ex.distribution.draws
    return call


def _cases_of(chk) -> tuple:
    """(case, expected) pairs a check runs; a value item has one, without a case."""
    if isinstance(get_exercise(chk.exercise), ValueItem):
        return ((None, {}),)
    return graded_cases(chk.exercise, chk.hidden)


def _write_new(path: Path, data: bytes) -> None:
    """Write a new file (never through a link the kernel may have planted), readable by it."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        os.fchmod(fd, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _size(value) -> int:
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    return (
        int(np.asarray(value).size)
        if not isinstance(value, (list, tuple))
        else sum(_size(v) for v in value)
    )


class _Allowed(dict):
    """Keys of the results the grader expects: exact ones, and output prefixes."""

    def __init__(self) -> None:
        super().__init__()
        self.prefixes: dict[str, Expect] = {}

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or self._prefix(key) is not None

    def __getitem__(self, key):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        hit = self._prefix(key)
        if hit is None:
            raise KeyError(key)
        return hit

    def __len__(self) -> int:
        return dict.__len__(self) + 256 * len(self.prefixes)

    def _prefix(self, key: str):
        head, sep, tail = key.partition("|o")
        if not sep:
            return None
        want = self.prefixes.get(head)
        parts = tail.split(".")
        if want is None or not all(p.isdigit() and len(p) < 4 for p in parts) or len(parts) > 4:
            return None
        return want


def _grade_cell(
    kernel: Kernel,
    tc: GradedCell,
    workdir: Path,
    limits: Limits,
    deadline: float,
    iodir: Path | None = None,
    flags: set | None = None,
    hint_level: int = 1,
) -> dict:
    iodir = iodir or workdir
    flags = flags if flags is not None else set()
    request = {"calls": [], "timeout": limits.call_timeout, "references": noref.request_entry()}
    inputs, calls, plan = {}, [], []
    allowed = _Allowed()
    for k, chk in enumerate(tc.checks):
        ex = get_exercise(chk.exercise)
        for i, (case, expected) in enumerate(_cases_of(chk)):
            j = len(calls)
            call = _request_call(chk, f"{k}.{i}", case, inputs)
            request["calls"].append(call)
            if case is not None:
                for a in ex.args:
                    handed = _driver.flatten(case.inputs[a], f"{j}|in|{a}", {})
                    for hk, hv in handed.items():
                        allowed[hk] = Expect(int(hv.size), tuple(hv.shape), "fiub")
            largest = max((_size(v) for v in expected.values()), default=1)
            allowed.prefixes[str(j)] = Expect((4 * largest + 64) * int(call.get("repeat", 1)))
            calls.append((k, case, expected))
        plan.append(ex)
    names = ("request.json", "inputs.npz", "result.json", "arrays.npz")
    paths = [iodir / names[0], iodir / names[1], workdir / names[2], workdir / names[3]]
    for q in paths:
        q.unlink(missing_ok=True)
    _write_new(paths[0], json.dumps(request).encode())
    buffer = io.BytesIO()
    np.savez(buffer, **inputs)
    _write_new(paths[1], buffer.getvalue())
    budget = min(limits.call_timeout * len(calls) + 10.0, deadline - time.monotonic())
    ran = kernel.run(driver_code(*paths), budget)
    if ran["status"] == "flood":
        return _entry(
            tc,
            ERROR,
            f"your functions printed more than {limits.max_output_bytes} characters while being graded",
        )
    if ran["status"] in ("timeout", "dead") or not kernel.alive():
        why = "timed out" if ran["status"] == "timeout" else "the kernel died"
        reason = kernel.exit_reason() if not kernel.alive() else ""
        return _entry(
            tc,
            TIMEOUT if ran["status"] == "timeout" or "CPU" in reason else ERROR,
            f"grading {why} while calling your functions" + (f": {reason}" if reason else ""),
        )
    array_cap = (
        2**20
        + sum(e.max_elements * 16 + 1024 for e in dict.values(allowed))
        + sum(e.max_elements * 64 + 65536 for e in allowed.prefixes.values())
    )
    try:
        doc = read_json(paths[2], 1_000_000 + 4096 * len(calls))
        if not isinstance(doc, dict) or set(doc) != {"results"}:
            raise BadResult("the result file has unexpected keys")
        results = doc["results"]
        if not isinstance(results, list) or len(results) != len(calls):
            raise BadResult("the result file does not answer every call")
        got = read_arrays(paths[3], allowed, array_cap)
        arrays, refused = got.arrays, got.refused
    except Exception as exc:
        message = "your notebook's functions could not be called or their results could not be read"
        if isinstance(exc, BadResult):
            message += f" ({exc})"
        if ran["status"] == "error":
            message += (
                f" ({ran['ename']}: {ran['evalue']}; did the notebook redefine a builtin or numpy?)"
            )
        return _entry(tc, ERROR, message)
    outcomes: dict[int, list[Outcome]] = {k: [] for k in range(len(tc.checks))}
    judged: dict[int, list[tuple[Case, dict]]] = {k: [] for k in range(len(tc.checks))}
    used_reference: dict[int, str] = {}  # check -> why it earns nothing (noref)
    for j, (k, case, expected) in enumerate(calls):
        ex = plan[k]
        judged[k].append((case, expected))
        try:
            meta = results[j]
            if any(o.status in STOPS for o in outcomes[k]):
                continue
            used = noref.verdict(meta, tc.checks[k].function)
            if used:
                flags.add(noref.FLAG)
                used_reference.setdefault(k, used)
                outcomes[k].append(Outcome(FAILED, used, "", case))
                continue
            if meta.get("status") == "skipped":
                outcomes[k].append(Outcome(TIMEOUT, "", "", case))
                continue
            too_big = [why for key, why in refused.items() if key.startswith(f"{j}|")]
            if too_big:
                outcomes[k].append(Outcome(ERROR, f"your function returned {too_big[0]}", "", case))
                continue
            if isinstance(ex, ValueItem):
                outcomes[k].append(judge_value(ex, meta, arrays))
                continue
            prefix = f"{j}|in|"
            after = {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}
            earlier = [(c, e, o.passed) for (c, e), o in zip(judged[k], outcomes[k], strict=False)]
            outcome = judge_call(ex, case, meta, arrays, after, expected, earlier)
        except Exception as exc:  # a forged or truncated result file
            outcome = Outcome(ERROR, f"unreadable result ({type(exc).__name__})", "", case)
        if outcome.status == TIMEOUT:
            outcome.message = timeout_message(limits.call_timeout)
        outcomes[k].append(outcome)
    for k, chk in enumerate(tc.checks):
        if k in used_reference:
            return _entry(tc, FAILED, used_reference[k])
        cases = [c for c, _ in _cases_of(chk) if c is not None]
        report = Report.from_outcomes(chk.exercise, cases, outcomes[k], chk.hidden)
        if not report.passed:
            return _entry(tc, report.status, report.summary(level=hint_level))
    return _entry(tc, PASSED, "")


# ----------------------------------------------------------------------------------------------
# one submission
# ----------------------------------------------------------------------------------------------
def open_sandbox(sandbox: bool | None):
    """A ``sandbox.Sandbox`` (``sandbox`` True: required, None: where available) or None."""
    if sandbox is False:
        return None
    from rnncourse.grading.sandbox import Sandbox, probe

    ok, why = probe()
    if not ok:
        if sandbox:
            raise SandboxUnavailable(why)
        return None
    return Sandbox()


def grade_notebook(
    path: str | Path,
    source: str | Path = "solutions",
    *,
    limits: Limits = Limits(),
    student: str | None = None,
    sandbox: bool | None = None,
    lesson: str | None = None,
    hint_level: int = 1,
) -> dict:
    """Grade one notebook in a fresh kernel; return its gradebook entry (see the module doc).

    The notebook file is only read. ``entry["exercises"][grade_id]["status"]`` is one of
    passed, failed, error, timeout, not-implemented; ``entry["notes"]`` lists what happened
    while its cells ran (errors, timeouts, output floods), for feedback. ``sandbox``: True
    requires the sandbox (:class:`SandboxUnavailable` otherwise), None uses it where this
    machine has one, False does without (the entry is flagged ``unsandboxed``).
    """
    return grade_many(
        [Path(path)], Path(source), limits=limits, workers=1, sandbox=sandbox, lesson=lesson,
        students=[student or Path(path).stem], similar=False, hint_level=hint_level,
    )[0]  # fmt: skip


def _read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, bytes, str]:
    try:
        data = read_capped(path, MAX_NOTEBOOK_BYTES, follow=True)  # a regular file, not a FIFO
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
        return nb, data, ""
    except Exception as exc:
        return None, b"", f"could not read the notebook: {type(exc).__name__}: {str(exc)[:200]}"


def _grade_one(
    path: Path,
    student: str,
    canonicals: list[Canonical],
    limits: Limits,
    box,
    lesson: str | None,
    hint_level: int = 1,
) -> dict:
    entry = {
        "file": str(path),
        "student": student,
        "source": "",
        "total": 0.0,
        "max": 0.0,
        "flags": [] if box is not None else ["unsandboxed"],
        "exercises": {},
    }
    flags: set[str] = set()
    run = _Run()
    nb, data, unreadable = _read_submission(path)
    canonical = attribute(path, canonicals, lesson)
    if canonical is None:
        entry["flags"].append("unattributed")
        if unreadable:
            entry["flags"].append("unreadable")
        entry["notes"] = [
            f"no canonical notebook matches {path.name}: name the file after one "
            f"({', '.join(c.path.name for c in canonicals) or 'none in --source'}) or pass --lesson NN"
        ] + ([unreadable] if unreadable else [])
        return entry
    tests = canonical.tests
    entry["source"] = str(canonical.path)
    entry["max"] = canonical.max
    if unreadable:
        entry["flags"].append("unreadable")
        entry["exercises"] = {tc.grade_id: _entry(tc, ERROR, unreadable) for tc in tests}
        entry["notes"] = [unreadable]
        return entry
    if _mismatch(nb, canonical):
        flags.add("lesson-mismatch")
    entry["answers"] = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.get("cell_type") == "code"
        and str(c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")) in canonical.answers
    }
    test_ids = {tc.grade_id for tc in tests}
    cells = [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.get("cell_type") == "code"
        and not is_test(c)
        and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in test_ids
    ]
    start = time.monotonic()
    deadline = start + limits.total_timeout
    with tempfile.TemporaryDirectory(prefix="rnncourse-grade-", ignore_cleanup_errors=True) as tmp:
        root = Path(tmp)
        root.chmod(0o711)
        workdir, iodir = root / "scratch", root / "io"
        workdir.mkdir(mode=0o700)
        iodir.mkdir(mode=0o700)
        (workdir / path.name).write_bytes(data)  # the learner's own copy of the submission
        kernel = None
        try:
            kernel = Kernel(workdir, limits, box, iodir=iodir)
            for i, cell in cells:
                left = deadline - time.monotonic()
                if left <= 0:
                    run.out_of_time = True
                    break
                ran = kernel.run(str(cell.get("source", "")), min(limits.cell_timeout, left))
                label = f"cell {i + 1}" + (" (an answer cell)" if is_solution(cell) else "")
                if ran["status"] == "error":
                    run.notes.append(f"{label} raised {ran['ename']}: {ran['evalue']}")
                    if noref.refused_import(ran["evalue"]):
                        flags.add(noref.FLAG)
                elif ran["status"] == "timeout":
                    run.notes.append(
                        f"{label} ran longer than {min(limits.cell_timeout, left):g} s and was stopped"
                    )
                elif ran["status"] == "flood":
                    run.notes.append(
                        f"{label} printed more than {limits.max_output_bytes} characters and was stopped"
                    )
                if not kernel.alive():
                    reason = kernel.exit_reason()
                    if ran["status"] == "timeout" and not reason:
                        run.dead = f"{label} ignored the interrupt at its time limit, so its kernel was stopped"
                        run.dead_status = TIMEOUT
                    elif reason:
                        run.dead = f"the kernel was stopped while running {label}: {reason}"
                        run.dead_status = TIMEOUT if "CPU" in reason else ERROR
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
                        kernel,
                        tc,
                        workdir,
                        limits,
                        deadline,
                        iodir=iodir,
                        flags=flags,
                        hint_level=hint_level,
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
    entry["flags"] += sorted(flags)
    entry["total"] = sum(e["points"] for e in entry["exercises"].values())
    entry["notes"] = run.notes
    return entry


# ----------------------------------------------------------------------------------------------
# a class
# ----------------------------------------------------------------------------------------------
def _similarity(entries: list[dict], canonicals: list[Canonical]) -> list:
    """Add the similarity flags to ``entries``; return the similar pairs."""
    from rnncourse.grading.similarity import reference_sources, report

    by_source: dict[str, list[dict]] = {}
    for e in entries:
        if e.get("answers"):
            by_source.setdefault(e["source"], []).append(e)
    pairs = []
    for src, group in by_source.items():
        canonical = next(c for c in canonicals if str(c.path) == src)
        functions = {}
        for tc in canonical.tests:
            for chk in tc.checks:
                ref = getattr(get_exercise(chk.exercise), "reference", None)
                if callable(ref):
                    functions.setdefault(chk.function, []).append(ref)
        references = {}
        for gid, answer in canonical.answers.items():
            sources = reference_sources(functions.get(gid, []))
            if "BEGIN SOLUTION" in answer:
                sources.append(
                    answer.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
                )
            references[gid] = sources
        flags, found = report(
            {e["student"]: e["answers"] for e in group}, canonical.stubs, references
        )
        for e in group:
            e["flags"] += [f for f in flags.get(e["student"], []) if f not in e["flags"]]
        pairs += found
    return pairs


def grade_many(
    paths: list[Path],
    source: Path,
    *,
    limits: Limits = Limits(),
    workers: int = 2,
    student_from: str = "stem",
    sandbox: bool | None = None,
    lesson: str | None = None,
    students: list[str] | None = None,
    similar: bool = True,
    hint_level: int = 1,
) -> list[dict]:
    """Grade several submissions in parallel (one kernel each); entries in input order.

    The canonical notebooks are read before any kernel starts; this returns only when every
    kernel and every process it started is gone. ``sandbox`` as in :func:`grade_notebook`.
    With ``similar``, the similarity flags are added (``entry["pairs"]`` of the first entry
    is not used: see :func:`similar_pairs`).
    """
    paths = [Path(p) for p in paths]
    if students is None:
        students = [p.parent.name if student_from == "parent" else p.stem for p in paths]
    canonicals = load_source(source)
    box = open_sandbox(sandbox)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [
                pool.submit(
                    in_own_thread, _grade_one, p, s, canonicals, limits, box, lesson, hint_level
                )
                for p, s in zip(paths, students, strict=True)
            ]
            entries = [f.result() for f in futures]
    finally:
        if box is not None:
            box.close()
    pairs = _similarity(entries, canonicals) if similar else []
    for e in entries:
        e.pop("answers", None)
    _LAST_PAIRS[:] = pairs
    return entries


_LAST_PAIRS: list = []  # the similar pairs of the last grade_many, for main() to print


def similar_pairs() -> list:
    """The similar answers found by the last :func:`grade_many` (``similarity.Pair``s)."""
    return list(_LAST_PAIRS)


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
        prog="rnncourse grade",
        description="Grade submitted exercise notebooks, each in a sandboxed kernel of its own.",
        epilog="Statuses, flags and what each limit does: rnncourse/grading/README.md.",
    )
    parser.add_argument("submissions", nargs="*", help="notebooks, or folders of notebooks")
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
    parser.add_argument(
        "--lesson",
        help="the lesson number (NN) of submissions whose file name names no canonical notebook",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run learner code without the sandbox (where none is available); every row is "
        "flagged 'unsandboxed'",
    )
    parser.add_argument(
        "--hints",
        type=int,
        default=1,
        choices=(1, 2, 3),
        help="hint level in messages: 1 the symptom only (default), 2 where to look, 3 the fix",
    )
    parser.add_argument(
        "--check-sandbox",
        action="store_true",
        help="say whether this machine can sandbox learner code, and exit (0: it can)",
    )
    d = Limits()
    for name, kind, what in _LIMIT_FLAGS:
        fmt = "%(default)g" if kind is float else "%(default)d"
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            default=getattr(d, name),
            help=f"{what} (default {fmt})",
        )
    args = parser.parse_args(argv)
    if args.check_sandbox:
        from rnncourse.grading.sandbox import probe

        ok, why = probe()
        print(f"rnncourse grade --check-sandbox: {why}")
        if not ok:
            print(
                "Without a sandbox, grade with --no-sandbox (every row is flagged 'unsandboxed')."
            )
        return 0 if ok else 1
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
    limits = Limits(**{name: getattr(args, name) for name, _, _ in _LIMIT_FLAGS})
    try:
        entries = grade_many(
            paths,
            args.source,
            limits=limits,
            workers=args.workers,
            student_from=args.student_from,
            sandbox=False if args.no_sandbox else True,
            lesson=args.lesson,
            hint_level=args.hints,
        )
    except SandboxUnavailable as exc:
        print(
            f"rnncourse grade: this machine cannot sandbox learner code ({exc}).\n"
            "Learner code would run with your rights and see your files. Grade anyway with "
            "--no-sandbox (every row is flagged 'unsandboxed'), or grade on a machine where "
            "`rnncourse grade --check-sandbox` succeeds.",
            file=sys.stderr,
        )
        return 2
    write_outputs(entries, args.json, args.csv, feedback_folder(args.feedback, args.json, args.csv))
    width = max(len(e["student"]) for e in entries)
    for e in entries:
        flags = f"  [{', '.join(e['flags'])}]" if e["flags"] else ""
        print(f"{e['student']:<{width}}  {e['total']:g} / {e['max']:g}{flags}")
    pairs = similar_pairs()
    if pairs:
        print("\nSimilar answers (token similarity >= 0.9; for you to look at, not a penalty):")
        for pair in pairs:
            print(f"  {pair.a} ~ {pair.b}: {pair.cell} ({pair.ratio:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
