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

__all__ = ["CheckFailed", "check", "check_hidden", "grade_function"]

DEFAULT_TIMEOUT = 5.0  # seconds per call; RNNCOURSE_CHECK_TIMEOUT overrides it


class CheckFailed(AssertionError):
    """A graded function did not pass; the message names what went wrong and the likely mistake."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the report above has the details.
        return [f"CheckFailed: {self}"]


@functools.lru_cache(maxsize=64)
def _cases(name: str, hidden: bool) -> tuple[tuple[Case, dict[str, Any]], ...]:
    ex = get_exercise(name)
    return tuple((case, expected_outputs(ex, case)) for case in ex.make_cases(hidden))


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
    stopped = False
    for case, expected in _cases(name, hidden):
        args = [_driver.copy_value(case.inputs[a]) for a in ex.args]
        meta, arrays = _driver.call(fn, args, len(ex.outputs), timeout)
        after: dict = {}
        for arg, value in zip(ex.args, args, strict=True):
            _driver.flatten(value, arg, after)
        outcome = judge(ex, case, meta, arrays, after, expected)
        if outcome.status == "timeout":
            outcome.message = (
                f"your function took longer than {timeout:g} s: is there an endless loop?"
            )
        outcomes.append(outcome)
        if outcome.status in ("error", "timeout", "not-implemented"):
            stopped = True
            break
    return _report(ex.name, [c for c, _ in _cases(name, hidden)], outcomes, hidden, stopped)


def _report(
    name: str, cases: list[Case], outcomes: list[Outcome], hidden: bool, stopped: bool
) -> Report:
    groups: dict[str, list[str]] = {}
    for i, case in enumerate(cases):
        state = "not run" if i >= len(outcomes) else ("passed" if outcomes[i].passed else "failed")
        groups.setdefault(case.group, []).append(state)
    summary = []
    for group, states in groups.items():
        state = "failed" if "failed" in states else ("not run" if "not run" in states else "passed")
        summary.append((group, len(states), state))
    failure = next((o for o in outcomes if not o.passed), None)
    status = "passed" if failure is None else failure.status
    if failure is not None and failure.status == "not-implemented":
        summary = []
    return Report(name, status, summary, failure, hidden)


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


def check(fn: Callable[..., Any], name: str | None = None) -> None:
    """Grade ``fn`` as the exercise ``name`` (default ``fn.__name__``) on seeded cases.

    Shows a short report (a tick per group of cases; on failure what was expected, what came
    and a hint) and raises :class:`CheckFailed` if anything is wrong.
    """
    __tracebackhide__ = True
    report = grade_function(fn, name)
    _show(report)
    if not report.passed:
        raise CheckFailed(report.summary())


def check_hidden(fn: Callable[..., Any], name: str | None = None) -> None:
    """Like :func:`check`, on the extra cases of the hidden tests (other seeds and edge cases)."""
    __tracebackhide__ = True
    report = grade_function(fn, name, hidden=True)
    _show(report)
    if not report.passed:
        raise CheckFailed(report.summary())
