"""``check(fn)``: grade a learner's function in the notebook, show a short report.

>>> from rnncourse.grading import check, CheckFailed
>>> from rnncourse.rnn import rnn_step_forward
>>> check(rnn_step_forward)                       # doctest: +ELLIPSIS
✓ rnn_step_forward: passed
...
>>> def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
...     raise NotImplementedError()
>>> check(rnn_step_forward)                       # doctest: +ELLIPSIS
Traceback (most recent call last):
...
rnncourse.grading.check.CheckFailed: rnn_step_forward: not implemented yet ...
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

from rnncourse.grading import _driver
from rnncourse.grading.compare import Outcome, expected_outputs, judge
from rnncourse.grading.report import Report
from rnncourse.grading.spec import Case, exercise_names, get_exercise
from rnncourse.grading.status import STOPS, TIMEOUT

__all__ = ["CheckFailed", "check", "check_hidden", "grade_function", "graded_cases"]

DEFAULT_TIMEOUT = 5.0  # seconds per call; RNNCOURSE_CHECK_TIMEOUT overrides it


class CheckFailed(AssertionError):
    """A graded function did not pass; the message names what went wrong and the likely mistake.

    `reported`: the exercise whose report ``check`` has just displayed (None when nothing was
    shown, e.g. for a call of ``check`` on something that is not a function).
    """

    def __init__(self, message: str = "", reported: str | None = None) -> None:
        super().__init__(message)
        self.reported = reported

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback. After a report, one line: the report just
        # above says what went wrong, and repeating it made every failure appear twice.
        if self.reported:
            return [f"CheckFailed: {self.reported} does not pass yet (the report above says why)"]
        return [f"CheckFailed: {self}"]


@functools.lru_cache(maxsize=64)
def graded_cases(name: str, hidden: bool) -> tuple[tuple[Case, dict[str, Any]], ...]:
    """Exercise ``name``'s cases, each with the reference's outputs on it, made once.

    Shared by ``check`` and the batch grader; never modified (the learner's function is given
    copies of the inputs).
    """
    ex = get_exercise(name)
    return tuple((case, expected_outputs(ex, case)) for case in ex.make_cases(hidden))


def timeout_message(seconds: float) -> str:
    """What a learner reads when a call of their function ran out of time."""
    return f"your function took longer than {seconds:g} s: is there an endless loop?"


def _timeout() -> float:
    try:
        return float(os.environ.get("RNNCOURSE_CHECK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def grade_function(
    fn: Callable[..., Any],
    name: str | None = None,
    *,
    hidden: bool = False,
    timeout: float | None = None,
) -> Report:
    """Grade ``fn`` as exercise ``name`` (default ``fn.__name__``) and return the :class:`Report`.

    Nothing is displayed and nothing is raised for a wrong answer; ``check`` does both.
    """
    if not callable(fn):
        raise CheckFailed(
            f"check expects your function itself, e.g. check(rnn_step_forward); got {type(fn).__name__}"
        )
    name = name or getattr(fn, "__name__", "")
    if name not in exercise_names():
        raise CheckFailed(
            f"there is no graded exercise called {name!r}; pass name=... (one of: {', '.join(exercise_names())})"
        )
    ex = get_exercise(name)
    timeout = _timeout() if timeout is None else timeout
    outcomes: list[Outcome] = []
    cases = graded_cases(name, hidden)
    for case, expected in cases:
        args = [_driver.copy_value(case.inputs[a]) for a in ex.args]
        meta, arrays = _driver.call(fn, args, len(ex.outputs), timeout)
        after: dict = {}
        for arg, value in zip(ex.args, args, strict=True):
            _driver.flatten(value, arg, after)
        earlier = [(c, e, o.passed) for (c, e), o in zip(cases, outcomes, strict=False)]
        outcome = judge(ex, case, meta, arrays, after, expected, earlier)
        if outcome.status == TIMEOUT:
            outcome.message = timeout_message(timeout)
        outcomes.append(outcome)
        if outcome.status in STOPS:
            break
    return Report.from_outcomes(ex.name, [c for c, _ in cases], outcomes, hidden)


def _show(report: Report) -> None:
    shell = None
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except Exception:  # pragma: no cover - a broken IPython install
            shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        display({"text/plain": report.text(), "text/html": report.html()}, raw=True)
    else:
        print(report.text())


def check(fn: Callable[..., Any], name: str | None = None, *, hidden: bool = False) -> None:
    """Grade ``fn`` as the exercise ``name`` (default ``fn.__name__``) on seeded cases.

    Shows a short report (a tick per group of cases; on failure what was expected, what came
    and a hint) and raises :class:`CheckFailed` if anything is wrong. ``hidden=True`` grades
    on the hidden tests' extra cases instead (what :func:`check_hidden` does).
    """
    __tracebackhide__ = True
    report = grade_function(fn, name, hidden=hidden)
    _show(report)
    if not report.passed:
        raise CheckFailed(report.summary(), reported=report.name)


def check_hidden(fn: Callable[..., Any], name: str | None = None) -> None:
    """:func:`check` on the extra cases of the hidden tests (other seeds and edge cases)."""
    __tracebackhide__ = True
    check(fn, name, hidden=True)
