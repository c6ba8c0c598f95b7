"""Judge a value item's answer: a number, a choice or an experiment's finding.

The answer reaches this module as plain data (``_driver.encode`` of the notebook variable, in
the notebook or read from the learner's kernel by ``rnncourse grade``), so both grade the same.

- ``numeric``: accepted if ``|value - answer| <= tolerance``; the message states the tolerance
  and whether the value is too large or too small, never the answer. A value within the
  tolerance of a catalogued wrong value (``ValueItem.mistakes``) gets that mistake's hints.
- ``choice``: one of the option keys (``"b"``; case and surrounding spaces and brackets are
  ignored); each wrong option is answered with its own explanation.
- ``experiment``: a finding, accepted within the stated tolerance; the message says what the
  reference experiment found (``finding``), on the setup the notebook gives.
"""

from __future__ import annotations

import math
from typing import Any

from rnncourse.grading.compare import Outcome
from rnncourse.grading.compare import decode_item as _decode
from rnncourse.grading.compare import format_number as _fmt
from rnncourse.grading.spec import ValueItem
from rnncourse.grading.status import ERROR, FAILED, NOT_IMPLEMENTED, PASSED

__all__ = ["judge_value", "not_answered"]

_UNANSWERED = {"NotImplementedType", "ellipsis"}


def not_answered(item: ValueItem) -> str:
    return f"{item.name}: not implemented yet (assign your answer, then run the check again)"


def _number(item: ValueItem, got: Any) -> tuple[float | None, str]:
    if isinstance(got, float):
        return got, ""
    if hasattr(got, "shape") and getattr(got, "shape", None) == ():
        return float(got), ""
    what = (
        f"an array of shape {got.shape}"
        if hasattr(got, "shape")
        else (f"the string {got!r}" if isinstance(got, str) else "something else")
    )
    return None, f"{item.name} is a single number; got {what}"


def _tolerance_text(item: ValueItem) -> str:
    if item.tolerance == 0:
        return "the answer is exact: tolerance 0"
    return f"accepted within ±{_fmt(item.tolerance)}"


def judge_value(item: ValueItem, meta: dict, arrays: dict) -> Outcome:
    """The verdict on the encoded answer ``meta``/``arrays`` (see ``_driver.read_value``)."""
    if meta.get("status") == "missing":
        return Outcome(ERROR, f"no variable with your answer for {item.name} is defined")
    if "top" in meta or meta.get("status") != "returned":
        return Outcome(ERROR, f"the answer to {item.name} could not be read")
    entry = meta["outputs"][0]
    if entry["kind"] == "other" and entry.get("type") in _UNANSWERED:
        return Outcome(NOT_IMPLEMENTED, not_answered(item))
    if entry["kind"] == "other" and entry.get("type") == "NoneType":
        return Outcome(FAILED, f"the answer to {item.name} is None: assign your answer")
    got = _decode(entry, arrays)
    if item.kind == "choice":
        return _judge_choice(item, got)
    return _judge_number(item, got)


def _judge_choice(item: ValueItem, got: Any) -> Outcome:
    keys = ", ".join(repr(k) for k in item.options)
    if not isinstance(got, str):
        return Outcome(FAILED, f"answer with one option's key as a string, one of {keys}")
    key = got.strip().strip("()[].").strip().lower()
    if key not in item.options:
        return Outcome(FAILED, f"{got!r} is not an option: answer with one of {keys}")
    if key == item.answer:
        return Outcome(PASSED)
    return Outcome(
        FAILED, f"option {key!r} ({item.options[key]}) is not it: {item.explanations[key]}"
    )


def _judge_number(item: ValueItem, got: Any) -> Outcome:
    value, problem = _number(item, got)
    if problem:
        return Outcome(FAILED, problem)
    expected = float(item.expected)
    unit = f" {item.unit}" if item.unit else ""
    if not math.isfinite(value):
        return Outcome(FAILED, f"{item.name} is {value}: a finite number is expected")
    if abs(value - expected) <= item.tolerance:
        return Outcome(PASSED)
    side = "too large" if value > expected else "too small"
    if item.kind == "experiment":
        message = (
            f"your finding, {_fmt(value, expected)}{unit}, is outside the tolerance of the "
            f"finding: the reference experiment ({item.finding}) found "
            f"{_fmt(expected, value)}{unit}, {_tolerance_text(item)}; yours is {side}"
        )
    else:
        message = f"{_fmt(value)}{unit} is not right: {side} ({_tolerance_text(item)})"
    for mistake in item.mistakes:
        if abs(value - float(mistake.fn())) <= max(item.tolerance, 1e-9 * abs(value)):
            return Outcome(FAILED, message, mistake.hint, None, mistake.name, mistake.ladder)
    return Outcome(FAILED, message)
