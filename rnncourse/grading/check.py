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

from rnncourse.grading import _driver, hints
from rnncourse.grading.compare import Outcome, decode_item, expected_outputs, judge
from rnncourse.grading.distribution import judge_draws
from rnncourse.grading.report import Report
from rnncourse.grading.spec import (
    Case,
    Exercise,
    ValueItem,
    exercise_names,
    get_exercise,
    item_names,
)
from rnncourse.grading.status import STOPS, TIMEOUT
from rnncourse.grading.values import judge_value

__all__ = [
    "CheckFailed",
    "check",
    "check_hidden",
    "grade_function",
    "grade_value",
    "graded_cases",
    "judge_call",
]

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
    return _cases_for(get_exercise(name), hidden)


def judge_call(
    ex: Exercise,
    case: Case,
    meta: dict,
    arrays: dict,
    after: dict | None,
    expected: dict,
    earlier: list,
) -> Outcome:
    """:func:`compare.judge`, or for an item graded on a distribution, the chi-square test
    on the stacked draws (errors, stubs and missing functions are judged alike)."""
    if ex.distribution is None or meta.get("status") != "returned" or "top" in meta:
        return judge(ex, case, meta, arrays, after, expected, earlier)
    item = meta["outputs"][0]
    if item["kind"] != "array":
        return judge(ex, case, meta, arrays, after, {ex.outputs[0]: 0.0}, earlier)
    return judge_draws(ex, case, decode_item(item, arrays))


def _call(fn: Callable[..., Any], ex: Exercise, args: list, timeout: float) -> tuple[dict, dict]:
    if ex.distribution is not None:
        return _driver.call_repeated(fn, args, len(ex.outputs), timeout, ex.distribution.draws)
    return _driver.call(fn, args, len(ex.outputs), timeout)


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
    name: str | Exercise | None = None,
    *,
    hidden: bool = False,
    timeout: float | None = None,
) -> Report:
    """Grade ``fn`` as exercise ``name`` (default ``fn.__name__``) and return the :class:`Report`.

    ``name`` may also be a value item's name (``fn`` is then the value) or an
    :class:`Exercise` object outside the catalogue (for tests and tools). Nothing is
    displayed and nothing is raised for a wrong answer; ``check`` does both.
    """
    if isinstance(name, Exercise):  # an item outside the catalogue (tests, tools)
        return _grade(fn, name, _cases_for(name, hidden), hidden, timeout)
    if name in item_names() and isinstance(get_exercise(name), ValueItem):
        return grade_value(fn, name)
    if not callable(fn):
        raise CheckFailed(
            f"check expects your function itself, e.g. check(rnn_step_forward), or a value "
            f"and the item's name, check(value, name); got {type(fn).__name__}"
        )
    name = name or getattr(fn, "__name__", "")
    if name not in exercise_names():
        raise CheckFailed(
            f"there is no graded exercise called {name!r}; pass name=... (one of: {', '.join(exercise_names())})"
        )
    return _grade(fn, get_exercise(name), graded_cases(name, hidden), hidden, timeout)


def _cases_for(ex: Exercise, hidden: bool) -> tuple[tuple[Case, dict[str, Any]], ...]:
    """:func:`graded_cases` of an exercise given as an object (not cached)."""
    if ex.distribution is not None:
        return tuple((case, {}) for case in ex.make_cases(hidden))
    return tuple((case, expected_outputs(ex, case)) for case in ex.make_cases(hidden))


def _grade(
    fn: Callable[..., Any],
    ex: Exercise,
    cases: tuple[tuple[Case, dict[str, Any]], ...],
    hidden: bool,
    timeout: float | None,
) -> Report:
    timeout = _timeout() if timeout is None else timeout
    outcomes: list[Outcome] = []
    for case, expected in cases:
        args = [_driver.copy_value(case.inputs[a]) for a in ex.args]
        meta, arrays = _call(fn, ex, args, timeout)
        after: dict = {}
        for arg, value in zip(ex.args, args, strict=True):
            _driver.flatten(value, arg, after)
        earlier = [(c, e, o.passed) for (c, e), o in zip(cases, outcomes, strict=False)]
        outcome = judge_call(ex, case, meta, arrays, after, expected, earlier)
        if outcome.status == TIMEOUT:
            outcome.message = timeout_message(timeout)
        outcomes.append(outcome)
        if outcome.status in STOPS:
            break
    return Report.from_outcomes(ex.name, [c for c, _ in cases], outcomes, hidden)


def grade_value(value: Any, name: str) -> Report:
    """Grade ``value`` as the value item ``name`` (numeric, choice, experiment); the value is
    encoded as plain data first, exactly as the batch grader reads it from a kernel."""
    item = get_exercise(name)
    if not isinstance(item, ValueItem):
        raise CheckFailed(f"{name} is a graded function: check({name}) takes the function")
    meta, arrays = _driver.read_value({"answer": value}, "answer")
    outcome = judge_value(item, meta, arrays)
    return Report.from_outcomes(item.name, [], [outcome])


def _show(report: Report, level: int | None = None, offer: bool = False) -> None:
    shell = None
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except Exception:  # pragma: no cover - a broken IPython install
            shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        display(
            {"text/plain": report.text(level, offer), "text/html": report.html(level, offer)},
            raw=True,
        )
    else:
        print(report.text(level, offer))


def check(fn: Callable[..., Any], name: str | None = None, *, hidden: bool = False) -> None:
    """Grade ``fn`` as the exercise ``name`` (default ``fn.__name__``) on seeded cases, or a
    value as the value item ``name`` (``check(value, "gru_parameter_count")``).

    Shows a short report (a tick per group of cases; on failure what was expected and what
    came) and raises :class:`CheckFailed` if anything is wrong. Hints are progressive
    (``rnncourse.grading.hints``): the first failure shows the symptom, the same catalogued
    mistake again shows where to look, then the fix; ``hint(name)`` asks for the next level.
    ``hidden=True`` grades on the hidden tests' extra cases (what :func:`check_hidden` does).
    """
    __tracebackhide__ = True
    report = grade_function(fn, name, hidden=hidden)
    if report.passed:
        _show(report)
        return
    level = hints.record_failure(report)
    offer = report.more_hints(level) and level < hints.cap()
    _show(report, level, offer)
    raise CheckFailed(report.summary(level, offer), reported=report.name)


def check_hidden(fn: Callable[..., Any], name: str | None = None) -> None:
    """:func:`check` on the extra cases of the hidden tests (other seeds and edge cases)."""
    __tracebackhide__ = True
    check(fn, name, hidden=True)
