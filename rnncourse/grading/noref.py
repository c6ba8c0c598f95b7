"""No credit for the package's own answers (the grader's side of ``_guard``).

The course contract's rule, scoped to the item being graded: during its grading call, a graded
function may not be, or call, a catalogued reference (the ``reference`` of any exercise in
the catalogue), nor any code of ``rnncourse.grading`` (the judge, the catalogue of mistakes:
``factory()`` of a mistake factory is the right answer). Helpers that are not graded
(``sigmoid``, the tasks, data, plotting) stay usable.

How it is enforced in batch grading:

1. In the sandbox the kernel does not have the references at all (``sandbox.kernel_view``):
   importing ``rnncourse.rnn`` raises an ImportError saying why.
2. Every graded call runs under ``_guard.reference_guard`` (also without the sandbox and in
   ``rnncourse progress``), which marks a call that entered a reference.
3. The grader (:func:`verdict`) turns a marked call into ``failed`` for that test cell, with
   a message naming the reference, and the submission gets the flag ``reference-used``
   (also when a cell's ``import rnncourse.rnn`` was refused inside the sandbox: see
   :func:`refused_import`).

Copying a reference's *source* into the notebook is not caught here; the similarity report
(``rnncourse.grading.similarity``) flags it (``similar-to:reference``) for the instructor.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

from rnncourse.grading import _guard

__all__ = [
    "FLAG",
    "GUARD_SOURCE",
    "UNAVAILABLE",
    "catalogued_references",
    "refused_import",
    "request_entry",
    "verdict",
]

FLAG = "reference-used"
UNAVAILABLE = "is not available while a notebook is graded"  # words of the sandbox's stand-ins
GUARD_SOURCE = Path(_guard.__file__).read_text(encoding="utf-8")
GRADING_DIR = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def catalogued_references() -> tuple[tuple[str, str, tuple[str, int, str]], ...]:
    """(module, name, (file, first line, code name)) of every exercise's reference function."""
    from rnncourse.grading.spec import exercise_names, get_exercise

    out = []
    for name in exercise_names():
        ex = get_exercise(name)
        ref = getattr(ex, "reference", None)
        if not callable(ref):
            continue  # a value item's answer is not code
        # the reference and the package functions that compute the same answer (Exercise.equivalents)
        for f in (ref, *getattr(ex, "equivalents", ())):
            fn = inspect.unwrap(f)
            code = getattr(fn, "__code__", None)
            if code is None:
                continue
            out.append(
                (
                    getattr(fn, "__module__", "?"),
                    getattr(fn, "__qualname__", code.co_name),
                    (code.co_filename, code.co_firstlineno, code.co_name),
                )
            )
    return tuple(out)


def request_entry() -> dict:
    """The ``references`` field of a grading request (what ``_guard`` watches for)."""
    return {
        "codes": [[f, line, co, f"{m}.{q}"] for m, q, (f, line, co) in catalogued_references()],
        "roots": [str(GRADING_DIR)],
    }


def verdict(meta: dict, function: str) -> str | None:
    """The message of a call that used the package's answer, or None."""
    ref = meta.get("reference") if isinstance(meta, dict) else None
    if not isinstance(ref, dict):
        return None
    if ref.get("used"):
        return (
            f"{function} uses the package's own answer ({str(ref['used'])[:120]}): a graded "
            "function must be your own code, so it earns no credit"
        )
    if ref.get("tampered"):
        return (
            f"{function} switched off the grader's check for the package's answers "
            "(sys.setprofile): it earns no credit"
        )
    return None


def refused_import(evalue: str) -> bool:
    """Did a cell's error come from importing a reference module inside the sandbox?"""
    return UNAVAILABLE in (evalue or "") and "graded" in (evalue or "")
