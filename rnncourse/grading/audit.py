"""The case audit: do an exercise's cases leave a blind spot where a plausible wrong answer hides?

Every graded exercise is held to these rules, on the cases ``check`` runs (``make_cases()``):

    a float64 case, a float32 case   (float32 may be returned for float32 inputs, not float64);
                                     an exercise on integers only (ids, sizes) needs no float32
                                     case and no float32-arithmetic case
    N = 1, T = 1                     where the cases have those letters
    a square layer D = H, K = H      where they have D and H (K and H): code that picks the
                                     weight layout from the shapes fails there
    the shapes of an earlier case with new values
                                     code that caches by shape or keeps state between calls
    an overflow case                 for exercises with ``pre_activation`` (tanh, softmax):
                                     |pre-activation| > 710 in float64 or > 90 in float32,
                                     where np.exp overflows and a hand-written formula fails
    every branch                     each of ``Exercise.branches`` (clipped and not, one step
                                     and a sequence, 1-3 leading axes) holds for some case
    float32 arithmetic rejected      on some float64 case, the reference computed on float32
                                     copies of the inputs and cast back fails the tolerance
                                     (an item graded on a distribution of draws is held to the
                                     repeat and branch rules only)
    letters                          in each case, sizes differ, except D = H and K = H in
                                     square-layer cases, so shapes can be named by letter

:func:`audit` lists what is missing; ``tests/test_grading_cases.py`` runs it on every exercise
and removes, rule by rule, the cases that satisfy it to see the audit fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.grading.compare import flat_outputs, outputs_by_name, relative_errors
from rnncourse.grading.spec import Case, Exercise

__all__ = ["RULES", "Rule", "audit", "rules_for"]

OVERFLOW64, OVERFLOW32 = 710.0, 90.0  # np.exp overflows above about 709.8 and 88.7


@dataclass(frozen=True)
class Rule:
    """A case rule: the cases that satisfy it (``witnesses``); the rule holds if there is one."""

    name: str
    witnesses: Callable[[Exercise, list[Case]], list[int]]


def _where(predicate: Callable[[Case], bool]) -> Callable[[Exercise, list[Case]], list[int]]:
    return lambda ex, cases: [i for i, c in enumerate(cases) if predicate(c)]


def _arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    return []


def _scalars(inputs: dict[str, Any]) -> list[Any]:
    return [v for v in inputs.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _repeats(ex: Exercise, cases: list[Case]) -> list[int]:
    """Cases with the shapes of an earlier case and other values (in an array, or a number:
    for an exercise on sizes alone, the same kinds of argument with new values)."""
    out = []
    for j, c in enumerate(cases):
        for before in cases[:j]:
            if before.shapes == c.shapes and (
                any(
                    not np.array_equal(a, b)
                    for a, b in zip(_arrays(before.inputs), _arrays(c.inputs), strict=True)
                )
                or (not _arrays(c.inputs) and _scalars(before.inputs) != _scalars(c.inputs))
            ):
                out.append(j)
                break
    return out


def _overflows(ex: Exercise, cases: list[Case]) -> list[int]:
    out = []
    for i, c in enumerate(cases):
        with np.errstate(all="ignore"):
            top = float(np.max(np.abs(ex.pre_activation(**c.inputs))))
        if top > (OVERFLOW64 if c.dtype == np.float64 else OVERFLOW32):
            out.append(i)
    return out


def _as32(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float32)
    if isinstance(value, dict):
        return {k: _as32(v) for k, v in value.items()}
    return value


def _float32_fails(ex: Exercise, cases: list[Case]) -> list[int]:
    """The float64 cases on which the reference, computed in float32 and cast back, fails."""
    out = []
    for i, c in enumerate(cases):
        if c.dtype != np.float64:
            continue
        with np.errstate(all="ignore"):
            exact = flat_outputs(outputs_by_name(ex, ex.reference(*[c.inputs[a] for a in ex.args])))
            rough = flat_outputs(
                outputs_by_name(ex, ex.reference(*[_as32(c.inputs[a]) for a in ex.args]))
            )
        for key, want in exact.items():
            got = np.asarray(rough[key], dtype=np.float64)
            if relative_errors(got, want).max() > ex.rtol(c):
                out.append(i)
                break
    return out


def _has(letter: str, value: int | None = None, other: str | None = None):
    def holds(c: Case) -> bool:
        if letter not in c.sizes or (other is not None and other not in c.sizes):
            return False
        return c.sizes[letter] == (c.sizes[other] if other is not None else value)

    return holds


RULES = {
    "a float64 case": Rule("a float64 case", _where(lambda c: c.dtype == np.float64)),
    "a float32 case": Rule("a float32 case", _where(lambda c: c.dtype == np.float32)),
    "N = 1": Rule("N = 1", _where(_has("N", 1))),
    "T = 1": Rule("T = 1", _where(_has("T", 1))),
    "a square layer D = H": Rule("a square layer D = H", _where(_has("D", other="H"))),
    "a square output layer K = H": Rule(
        "a square output layer K = H", _where(_has("K", other="H"))
    ),
    "an earlier case's shapes with new values": Rule(
        "an earlier case's shapes with new values", _repeats
    ),
    "an overflow case": Rule("an overflow case", _overflows),
    "float32 arithmetic rejected at the float64 tolerance": Rule(
        "float32 arithmetic rejected at the float64 tolerance", _float32_fails
    ),
}


def rules_for(ex: Exercise, cases: list[Case] | None = None) -> list[Rule]:
    """The rules that apply to ``ex`` (judged on ``cases``, default its visible cases)."""
    cases = ex.make_cases() if cases is None else cases
    letters = {letter for c in cases for letter in c.sizes}
    if ex.distribution is not None:
        # judged by a statistical test on draws, not at a tolerance: the dtype rules do not apply
        return [RULES["an earlier case's shapes with new values"]] + [
            Rule(f"branch: {name}", _where(p)) for name, p in ex.branches.items()
        ]
    floats = _has_float_inputs(cases)
    rules = [RULES["a float64 case"]] + ([RULES["a float32 case"]] if floats else [])
    rules += [RULES[f"{x} = 1"] for x in "NT" if x in letters]
    if {"D", "H"} <= letters:
        rules.append(RULES["a square layer D = H"])
    if {"K", "H"} <= letters:
        rules.append(RULES["a square output layer K = H"])
    rules.append(RULES["an earlier case's shapes with new values"])
    if ex.pre_activation is not None:
        rules.append(RULES["an overflow case"])
    rules += [Rule(f"branch: {name}", _where(p)) for name, p in ex.branches.items()]
    if floats:
        rules.append(RULES["float32 arithmetic rejected at the float64 tolerance"])
    return rules


def _has_float_inputs(cases: list[Case]) -> bool:
    """Do the cases give the function any real numbers? An exercise on integers only (word ids,
    sizes) has no float32 version and no float32 arithmetic to reject."""
    return any(a.dtype.kind == "f" for c in cases for a in _arrays(c.inputs)) or any(
        isinstance(v, float) for c in cases for v in c.inputs.values()
    )


def _letter_problems(cases: list[Case]) -> list[str]:
    allowed = {frozenset("DH"), frozenset("KH")}
    out = []
    for i, c in enumerate(cases):
        by_size: dict[int, set[str]] = {}
        for letter, size in c.sizes.items():
            by_size.setdefault(size, set()).add(letter)
        for letters in by_size.values():
            if len(letters) > 1 and frozenset(letters) not in allowed:
                out.append(
                    f"case {i + 1} ({c.label}): {' = '.join(sorted(letters))}; sizes must differ "
                    "(only a square layer may have D = H or K = H)"
                )
    return out


def audit(ex: Exercise, cases: list[Case] | None = None) -> list[str]:
    """What ``ex``'s cases (default: its visible cases) miss; empty when they pass the audit."""
    cases = ex.make_cases() if cases is None else cases
    problems = [
        f"{ex.name}: no case with {rule.name}"
        for rule in rules_for(ex, cases)
        if not rule.witnesses(ex, cases)
    ]
    return problems + [f"{ex.name}: {p}" for p in _letter_problems(cases)]
