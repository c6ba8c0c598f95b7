"""Judge one call: the encoded result of a learner's function against the reference.

Everything here runs in the grading process on plain data (see ``_driver``): the learner's
arrays are copied into base ``ndarray``s before anything looks at them, so an object that
claims to equal everything, a NaN or an infinity earns nothing. The verdict is an
:class:`Outcome` with a status (passed, failed, error, timeout, not-implemented), a message
saying what was expected and what came, and a hint naming the likely mistake.

Closeness, for each output: ``|got - expected| / (|expected| + s) <= rtol`` entry by entry,
with ``s`` the mean magnitude of the expected array, so that entries near zero are judged on
the array's scale rather than their own. Numbers in messages carry as many digits as it takes
for expected and got to print differently, with the relative error beside them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.grading import _driver
from rnncourse.grading.errors import explain_error, letters_of, shape_text
from rnncourse.grading.spec import Case, Exercise, Mistake
from rnncourse.grading.status import ERROR, FAILED, PASSED

__all__ = [
    "Outcome",
    "compared",
    "decode_item",
    "expected_outputs",
    "format_number",
    "flat_outputs",
    "judge",
    "outputs_by_name",
    "relative_errors",
]


@dataclass
class Outcome:
    """The verdict on one case. ``hint`` is the full hint (what level 3 shows); when it comes
    from a catalogued mistake, ``mistake`` names it and ``ladder`` holds its hints after the
    symptom (where to look, then the fix: see ``rnncourse.grading.hints``)."""

    status: str  # one of status.VERDICTS
    message: str = ""
    hint: str = ""
    case: Case | None = None
    mistake: str = ""
    ladder: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class _Bad:
    """An output that is not a value we can compare (a list, an object, a bad dtype...)."""

    item: dict


def _upcast(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.astype(np.float64) if value.dtype.kind == "f" else value.copy()
    if isinstance(value, dict):
        return {k: _upcast(v) for k, v in value.items()}
    return value


def outputs_by_name(ex: Exercise, raw: Any) -> dict[str, Any]:
    """What a function returned, as {output name: value} (one output: returned alone)."""
    values = (raw,) if len(ex.outputs) == 1 else tuple(raw)
    return dict(zip(ex.outputs, values, strict=True))


def expected_outputs(ex: Exercise, case: Case) -> dict[str, Any]:
    """The reference's outputs, computed in float64 on (copies of) the case's inputs."""
    args = [_upcast(case.inputs[a]) for a in ex.args]
    return outputs_by_name(ex, ex.reference(*args))


def _decode(item: dict, arrays: dict[str, np.ndarray]) -> Any:
    kind = item["kind"]
    if kind == "array":
        return np.array(arrays[item["key"]], copy=True)
    if kind == "scalar":
        return float(arrays[item["key"]])
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in item["items"].items()}
    if kind == "string":
        return str(item["value"])
    return _Bad(item)


def decode_item(item: dict, arrays: dict[str, np.ndarray]) -> Any:
    """One encoded output (``_driver`` ITEM) as a value: arrays copied, dicts rebuilt,
    strings as they are; anything else is a placeholder no comparison accepts."""
    return _decode(item, arrays)


def format_number(x: float, other: float | None = None) -> str:
    """``x`` with 6 significant digits, or as many more as it takes to differ from ``other``."""
    return _fmt(x, other)


def relative_errors(got: np.ndarray, exp: np.ndarray) -> np.ndarray:
    """Entry-wise ``|got - exp| / (|exp| + s)``, s = mean |exp| (at least 1e-12)."""
    exp = np.asarray(exp, dtype=np.float64)
    diff = np.abs(np.asarray(got, dtype=np.float64) - exp)
    scale = max(float(np.mean(np.abs(exp))) if exp.size else 0.0, 1e-12)
    err = diff / (np.abs(exp) + scale)
    return np.where(np.isfinite(got), err, np.inf)


def _fmt(x: float, other: float | None = None) -> str:
    """``x`` with 6 significant digits, or as many more as it takes to differ from ``other``."""
    for digits in range(6, 18):
        text = f"{x:.{digits}g}"
        if other is None or text != f"{other:.{digits}g}":
            return text
    return repr(x)


def compared(expected: float, got: float) -> str:
    """``expected 0.52441406, got 0.52441412 (relative error 1.1e-07)``: never alike.

    >>> compared(0.5244140625, 0.52441412)
    'expected 0.52441406, got 0.52441412 (relative error 1.1e-07)'
    >>> compared(2.0, float("nan"))
    'expected 2, got nan'
    """
    text = f"expected {_fmt(expected, got)}, got {_fmt(got, expected)}"
    if math.isfinite(got) and math.isfinite(expected) and expected != 0 and got != expected:
        text += f" (relative error {abs(got - expected) / abs(expected):.2g})"
    return text


PRECISION = (
    "your result agrees with the reference to about {digits} significant digits only, which is "
    "what float32 arithmetic gives: for float64 inputs keep every intermediate array and "
    "accumulator in float64 (np.zeros_like(x), or dtype=x.dtype; not np.float32)."
)
STALE = (
    "this case has the same shapes as an earlier one (case {k}: {label}) that your function "
    "passed, with new values, and {what}. Does it keep state between calls (a global, a cache "
    "keyed by shape, a default argument it modifies)? A graded function computes its result "
    "from its arguments alone."
)


def _structure(
    name: str, got: Any, exp: Any, case: Case, scalar: bool, dims: dict | None = None
) -> str | None:
    """What is wrong with the type, shape or dtype of one output, or None.

    ``dims``: output name -> its letters ("N T H"), to name the axes of shapes.
    """
    dims = dims or {}
    dtype_rule = (
        "float64 (your inputs are float64)"
        if case.dtype == np.float64
        else "float32 or float64 (your inputs are float32)"
    )
    if scalar:
        if isinstance(got, float):
            return None
        if isinstance(got, np.ndarray):
            if got.shape == ():
                return None
            return f"{name} must be a single number (a float); got an array of shape {got.shape}"
        return f"{name} must be a single number (a float); got {_describe(got)}"
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return f"{name} must be a dict of arrays with keys {sorted(exp)}; got {_describe(got)}"
        if set(got) != set(exp):
            return f"{name} must have the keys {sorted(exp)}; got {sorted(got)}"
        for k in exp:
            problem = _structure(f"{name}[{k!r}]", got[k], exp[k], case, False, dims)
            if problem:
                return problem
        return None
    if isinstance(got, _Bad) and got.item["kind"] == "list":
        return (
            f"return a numpy array for {name}, not a {got.item['type']} (use np.array or np.stack)"
        )
    if not isinstance(got, np.ndarray):
        return f"return a numpy array for {name}; got {_describe(got)}"
    if got.shape != exp.shape:
        letters = letters_of(exp.shape, case.sizes, dims.get(name.split("[")[0], ""))
        said = (
            f"{name} should have shape {shape_text(exp.shape, case.sizes, letters)}, "
            f"got {shape_text(got.shape, case.sizes, letters)}"
        )
        if sorted(got.shape) == sorted(exp.shape):
            said += (
                ": the right sizes in the wrong order (a transpose, or stacked on the wrong axis?)"
            )
        return said
    if exp.dtype.kind in "iu":  # integer ids (a decoder's tokens): any integer dtype
        if got.dtype.kind not in "iu":
            return f"{name} has dtype {got.dtype}; expected integer ids (e.g. int64)"
        return None
    if got.dtype.kind != "f" or (case.dtype == np.float64 and got.dtype != np.float64):
        return f"{name} has dtype {got.dtype}; expected {dtype_rule}"
    if got.dtype.itemsize < 4:
        return f"{name} has dtype {got.dtype}; expected {dtype_rule}"
    return None


def _describe(got: Any) -> str:
    if isinstance(got, _Bad):
        item = got.item
        if item["kind"] == "bad-dtype":
            return f"an array of dtype {item['dtype']}"
        if item["kind"] == "list":
            return f"a {item['type']} of length {item['len']}"
        if item.get("type") == "NoneType":
            return "None: did you forget the `return` line?"
        return f"an object of type {item.get('type', '?')}"
    if isinstance(got, np.ndarray):
        return f"an array of shape {got.shape}"
    if isinstance(got, dict):
        return "a dict"
    return f"a {type(got).__name__}"


def flat_outputs(values: dict[str, Any]) -> dict[str, Any]:
    """Outputs with each dict output spread out: {"clipped['W_xh']": array, ...}."""
    out: dict[str, Any] = {}
    for name, v in values.items():
        if isinstance(v, dict):
            out.update(flat_outputs({f"{name}[{k!r}]": w for k, w in v.items()}))
        else:
            out[name] = v
    return out


def _matches(got: dict[str, Any], other: dict[str, Any], rtol: float) -> bool:
    """Does ``got`` equal ``other`` everywhere (NaN/inf where ``other`` has them)?"""
    g, o = flat_outputs(got), flat_outputs(other)
    if set(g) != set(o):
        return False
    for k in o:
        a, b = g[k], o[k]
        if isinstance(a, _Bad):
            return False
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return False
        fin = np.isfinite(b)
        if not np.array_equal(np.isfinite(a), fin):
            return False
        if not np.array_equal(a[~fin], b[~fin], equal_nan=True):
            return False
        if fin.any() and relative_errors(a[fin], b[fin]).max() > rtol:
            return False
    return True


def _mistake_hint(
    ex: Exercise, case: Case, got: dict[str, Any], rtol: float, expected: dict[str, Any]
) -> Mistake | None:
    """The first catalogued mistake whose result on ``case`` is ``got``; a mistake that gives
    the right answer on this case (e.g. clipping that does not clip) explains nothing."""
    args = [_upcast(case.inputs[a]) for a in ex.args]
    for mistake in [*ex.mistakes, *ex.mistake_pairs]:
        try:
            with np.errstate(all="ignore"):
                wrong = outputs_by_name(ex, mistake.fn(*[_driver.copy_value(a) for a in args]))
        except Exception:
            continue
        if _matches(got, wrong, rtol) and not _matches(expected, wrong, rtol):
            return mistake
    return None


def _failed(message: str, case: Case, mistake: Mistake | None, other: str | None = None) -> Outcome:
    """A failed outcome whose hint is the mistake's (laddered) or a diagnostic ``other``."""
    if mistake is not None:
        return Outcome(FAILED, message, mistake.hint, case, mistake.name, mistake.ladder)
    return Outcome(FAILED, message, other or "", case)


def _mutation(ex: Exercise, case: Case, after: dict[str, np.ndarray] | None) -> str | None:
    if after is None:
        return None
    for arg in ex.args:
        before = _driver.flatten(case.inputs[arg], arg, {})
        now = {k: v for k, v in after.items() if k == arg or k.startswith(arg + "|")}
        for key, value in before.items():
            shown = key.split("|")
            shown = shown[0] + "".join(f"[{k!r}]" for k in shown[1:])
            new = now.get(key)
            if (
                new is None
                or new.shape != value.shape
                or not np.array_equal(
                    np.asarray(new, dtype=np.float64), value.astype(np.float64), equal_nan=True
                )
            ):
                return (
                    f"your function modified its input `{shown}` in place. Graded functions "
                    "must leave their inputs untouched: build new arrays (e.g. `a = a * s` "
                    "instead of `a *= s`, or work on `a.copy()`)"
                )
        if set(now) - set(before):
            return f"your function added entries to its input `{arg}`; leave inputs untouched"
    return None


def judge(
    ex: Exercise,
    case: Case,
    meta: dict,
    arrays: dict[str, np.ndarray],
    after: dict[str, np.ndarray] | None,
    expected: dict[str, Any] | None = None,
    earlier: Sequence[tuple[Case, dict[str, Any], bool]] = (),
) -> Outcome:
    """The verdict on one call of the learner's function on ``case``.

    ``meta``/``arrays`` are the driver's encoding of what it returned, ``after`` the inputs
    it was given, flattened, as they were after the call (None: not checked). ``earlier``:
    (case, expected outputs, passed) for the cases of this exercise judged before, in order,
    so that a function keeping state between calls is told so.
    """
    if meta["status"] == "missing":
        return Outcome(ERROR, f"no function called {ex.name} is defined in the notebook", "", case)
    if meta["status"] == "raised":
        status, message, hint = explain_error(meta["error"], ex, case)
        return Outcome(status, message, hint, case)
    mutated = _mutation(ex, case, after)
    if mutated:
        return Outcome(FAILED, mutated, "", case)
    if "top" in meta:
        top = meta["top"]
        want = f"a tuple ({', '.join(ex.outputs)}) of {len(ex.outputs)} values"
        if top["kind"] == "not-a-tuple":
            got = (
                "None: did you forget the `return` line?"
                if top["type"] == "NoneType"
                else f"a {top['type']}"
            )
            return Outcome(FAILED, f"return {want}; got {got}", "", case)
        if top["kind"] == "wrong-length":
            return Outcome(FAILED, f"return {want}; got {top['len']} values", "", case)
        return Outcome(FAILED, f"the returned value could not be read: {top.get('type')}", "", case)
    expected = expected if expected is not None else expected_outputs(ex, case)
    got = {n: _decode(item, arrays) for n, item in zip(ex.outputs, meta["outputs"], strict=True)}
    rtol = ex.rtol(case)
    match_rtol = max(10 * rtol, 1e-6)

    for name in ex.outputs:
        problem = _structure(
            name, got[name], expected[name], case, name in ex.scalars, dict(ex.dims)
        )
        if problem:
            mistake = _mistake_hint(ex, case, got, match_rtol, expected)
            other = None if mistake else _diagnose(ex, case, got, expected)
            return _failed(problem, case, mistake, other)

    flat_got, flat_exp = flat_outputs(got), flat_outputs(expected)
    wrong, details = [], []
    for key, exp in flat_exp.items():
        g = np.asarray(flat_got[key], dtype=np.float64)
        err = relative_errors(g, exp)
        if err.size and err.max() > rtol:
            wrong.append(key)
            details.append(_detail(ex, key, g, np.asarray(exp), err, rtol, case))
    if not wrong:
        return Outcome(PASSED, "", "", case)
    right = [k for k in flat_exp if k not in wrong]
    message = "\n".join(details)
    if len(flat_exp) > 1:
        message = (
            f"wrong: {', '.join(wrong)}"
            + (f"; right: {', '.join(right)}" if right else "")
            + "\n"
            + message
        )
    nonfinite = any(
        not np.all(np.isfinite(np.asarray(flat_got[k], dtype=np.float64)))
        and np.all(np.isfinite(np.asarray(flat_exp[k], dtype=np.float64)))
        for k in wrong
    )
    if ex.checked_against:
        message += f"\n(the expected values are {ex.checked_against})"
    mistake = _mistake_hint(ex, case, got, match_rtol, expected)
    if mistake is not None:
        return _failed(message, case, mistake)
    hint = _diagnose(ex, case, got, expected)
    if not hint and nonfinite and case.nonfinite_hint:
        hint = case.nonfinite_hint
    if not hint and case.dtype == np.float64 and not nonfinite:
        worst = max(float(relative_errors(flat_got[k], flat_exp[k]).max()) for k in wrong)
        if worst <= 1e-4:
            hint = PRECISION.format(digits=max(1, int(-math.log10(worst))))
    if not hint:
        hint = _stale_hint(case, got, earlier, match_rtol)
    if not hint and len(wrong) == 1 and wrong[0] in ex.output_hints:
        hint = ex.output_hints[wrong[0]]
    if not hint and nonfinite:
        hint = "NaN or infinity in your result: an overflow (exp of a large number?) or a division by zero"
    return Outcome(FAILED, message, hint or "", case)


def _stale_hint(
    case: Case,
    got: dict[str, Any],
    earlier: Sequence[tuple[Case, dict[str, Any], bool]],
    rtol: float,
) -> str | None:
    """A hint when an earlier case with the same shapes passed and this one does not."""
    for k, (before, exp_before, passed) in enumerate(earlier, start=1):
        if passed and before.shapes == case.shapes:
            what = (
                "it returned exactly the result of that earlier call"
                if _matches(got, exp_before, rtol)
                else "now its result is wrong"
            )
            return STALE.format(k=k, label=before.label, what=what)
    return None


def _diagnose(ex: Exercise, case: Case, got: dict, expected: dict) -> str | None:
    if ex.diagnose is None:
        return None
    try:
        return ex.diagnose(case, got, expected)
    except Exception:  # a probe must never turn a verdict into a crash
        return None


def _detail(
    ex: Exercise,
    key: str,
    got: np.ndarray,
    exp: np.ndarray,
    err: np.ndarray,
    rtol: float,
    case: Case,
) -> str:
    if got.shape == ():
        return f"{key}: {compared(float(exp), float(got))}"
    idx = np.unravel_index(int(np.argmax(err)), err.shape)
    where = "[" + ", ".join(map(str, idx)) + "]"
    n_bad = int(np.sum(err > rtol))
    line = (
        f"{key}: {n_bad} of {err.size} entries differ; worst at {where}: "
        f"{compared(float(exp[idx]), float(got[idx]))}"
    )
    axis = ex.time_axis.get(key)
    if axis is not None and err.ndim > axis:
        per_step = np.moveaxis(err, axis, 0).reshape(err.shape[axis], -1).max(axis=1)
        bad_steps = np.flatnonzero(per_step > rtol)
        T = err.shape[axis]
        if len(bad_steps) == T:
            line += f"; wrong at every time step t = 0..{T - 1}"
        else:
            steps = ", ".join(map(str, bad_steps[:8])) + (", ..." if len(bad_steps) > 8 else "")
            if "backward" in ex.name:  # BPTT walks from t = T-1 down to 0
                line += (
                    f"; walking back from t = {T - 1}, the first wrong time step is t = "
                    f"{bad_steps[-1]} (wrong at t = {steps} of 0..{T - 1})"
                )
            else:
                line += f"; first wrong time step t = {bad_steps[0]} (wrong at t = {steps} of 0..{T - 1})"
    return line
