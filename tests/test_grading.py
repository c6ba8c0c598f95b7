"""check(): every catalogued mistake is rejected with its specific hint, correct variants pass."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rnncourse.grading import (
    CheckFailed,
    check,
    check_hidden,
    exercise_names,
    get_exercise,
    grade_function,
)
from rnncourse.grading.check import _cases

_spec = importlib.util.spec_from_file_location(
    "grading_mutants", Path(__file__).with_name("grading_mutants.py")
)
mutants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutants)

GRADED_NOW = {
    "rnn_step_forward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_backward",
    "softmax_cross_entropy",
    "clip_grad_norm",
}


def test_registry_has_the_graded_functions():
    assert GRADED_NOW <= set(exercise_names())


@pytest.mark.parametrize("name", exercise_names())
def test_reference_passes_visible_and_hidden(name):
    ex = get_exercise(name)
    assert grade_function(ex.reference, name).passed
    assert grade_function(ex.reference, name, hidden=True).passed


@pytest.mark.parametrize("name", exercise_names())
def test_cases_cover_shapes_and_dtypes(name):
    cases = get_exercise(name).make_cases()
    dtypes = {np.dtype(c.dtype).name for c in cases}
    assert {"float64", "float32"} <= dtypes
    for c in cases:
        assert len(set(c.sizes.values())) == len(c.sizes), f"sizes must all differ: {c.sizes}"
    if any("N" in c.sizes for c in cases):
        assert any(c.sizes.get("N") == 1 for c in cases)
    if any("T" in c.sizes for c in cases):
        assert any(c.sizes.get("T") == 1 for c in cases)


@pytest.mark.parametrize("name", exercise_names())
def test_every_spec_mistake_is_rejected_with_its_own_hint(name):
    ex = get_exercise(name)
    for mistake in ex.mistakes:
        report = grade_function(mistake.fn, name)
        assert not report.passed, mistake.name
        assert report.failure.hint == mistake.hint, (mistake.name, report.failure.hint)


@pytest.mark.parametrize(
    ("exercise", "fn", "expected"),
    [pytest.param(e, f, h, id=f"{e}: {n}") for e, n, f, h in mutants.MUTANTS],
)
def test_mutant_rejected_with_specific_hint(exercise, fn, expected):
    report = grade_function(fn, exercise, timeout=10.0)
    assert not report.passed
    assert expected in report.summary(), report.summary()
    assert expected in report.text()


@pytest.mark.parametrize(
    ("exercise", "fn"),
    [pytest.param(e, f, id=f"{e}: {n}") for e, n, f in mutants.CORRECT],
)
def test_correct_alternative_passes(exercise, fn):
    report = grade_function(fn, exercise)
    assert report.passed, report.text()
    assert grade_function(fn, exercise, hidden=True).passed


def test_catalogue_covers_every_graded_function():
    covered = {e for e, *_ in mutants.MUTANTS}
    assert covered >= GRADED_NOW
    assert {e for e, *_ in mutants.CORRECT} >= GRADED_NOW


def test_check_raises_checkfailed_with_hint(capsys):
    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)

    with pytest.raises(CheckFailed, match="b_h is missing") as info:
        check(rnn_step_forward)
    assert isinstance(info.value, AssertionError)
    out = capsys.readouterr().out
    assert "✗ rnn_step_forward: failed" in out
    assert "expected" in out and "got" in out
    assert info.value._render_traceback_() == [f"CheckFailed: {info.value}"]


def test_check_passes_quietly_and_returns_none(capsys):
    from rnncourse.rnn import rnn_forward

    assert check(rnn_forward) is None
    out = capsys.readouterr().out
    assert out.startswith("✓ rnn_forward: passed")
    assert "✓ float32: 2 cases" in out
    assert check_hidden(rnn_forward) is None


def test_not_implemented_is_short():
    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        raise NotImplementedError()

    report = grade_function(rnn_forward)
    assert report.status == "not-implemented"
    assert "not implemented yet" in report.summary()
    assert "Traceback" not in report.text()
    assert report.text().count("\n") <= 1


def test_shape_error_is_explained_with_letters():
    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)

    report = grade_function(rnn_step_forward)
    assert report.status == "error"
    assert "W_xh is (H, D) = (5, 4)" in report.failure.hint
    assert "Did you mean `x_t @ W_xh.T`?" in report.failure.hint


def test_first_wrong_time_step_and_gradient_are_named():
    from rnncourse.rnn import rnn_backward, rnn_forward

    def wrong_backward(dh, x, h0, h, W_xh, W_hh):
        dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, W_xh, W_hh)
        dx = dx.copy()
        dx[:, :-1] *= 1.5  # right at the last step only
        return dx, dh0, dW_xh, dW_hh, db_h

    msg = grade_function(wrong_backward, "rnn_backward").failure.message
    assert "wrong: dx; right: dh0, dW_xh, dW_hh, db_h" in msg
    assert "walking back from t = 2, the first wrong time step is t = 1" in msg

    def wrong_forward(x, h0, W_xh, W_hh, b_h):
        h = rnn_forward(x, h0, W_xh, W_hh, b_h)
        h[:, 2:] += 0.1
        return h

    msg = grade_function(wrong_forward, "rnn_forward").failure.message
    assert "first wrong time step t = 2" in msg


def test_check_never_modifies_its_cases():
    ex = get_exercise("clip_grad_norm")
    fresh = ex.make_cases()
    mutate = next(f for e, n, f, _ in mutants.MUTANTS if n == "clipping that mutates its input")
    assert not grade_function(mutate, "clip_grad_norm").passed
    for (case, _), new in zip(_cases("clip_grad_norm", False), fresh, strict=True):
        for k, g in case.inputs["grads"].items():
            np.testing.assert_array_equal(g, new.inputs["grads"][k])


def test_unknown_exercise_and_non_callable():
    with pytest.raises(CheckFailed, match="no graded exercise called 'my_function'"):
        check(lambda: None, name="my_function")
    with pytest.raises(CheckFailed, match="expects your function"):
        check(np.zeros(3))


def test_timeout_message(monkeypatch):
    monkeypatch.setenv("RNNCOURSE_CHECK_TIMEOUT", "0.2")

    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        while True:
            try:
                pass
            except Exception:
                pass

    with pytest.raises(CheckFailed, match=r"took longer than 0.2 s: is there an endless loop\?"):
        check(rnn_step_forward)


def test_html_report_is_escaped():
    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        raise ValueError("<script>")

    report = grade_function(rnn_step_forward)
    assert "<script>" not in report.html()
    assert "&lt;script&gt;" in report.html()


def test_check_outside_the_main_thread_runs_without_a_time_limit():
    import threading

    from rnncourse.rnn import rnn_step_forward

    box = {}
    thread = threading.Thread(target=lambda: box.update(report=grade_function(rnn_step_forward)))
    thread.start()
    thread.join()
    assert box["report"].passed


def _map_outputs(ex, raw, fn):
    values = (raw,) if len(ex.outputs) == 1 else tuple(raw)
    out = []
    for v in values:
        if isinstance(v, dict):
            out.append({k: fn(np.asarray(a)) for k, a in v.items()})
        elif np.ndim(v) == 0:
            out.append(float(fn(np.asarray(v, dtype=np.float64))))
        else:
            out.append(fn(np.asarray(v)))
    return out[0] if len(ex.outputs) == 1 else tuple(out)


@pytest.mark.parametrize("name", exercise_names())
def test_rounded_or_nan_answers_get_no_credit(name):
    ex = get_exercise(name)

    def rounded(*args):
        return _map_outputs(ex, ex.reference(*args), lambda a: np.round(a, 2))

    def with_nan(*args):
        def poison(a):
            a = np.array(a, dtype=a.dtype if a.dtype.kind == "f" else np.float64)
            a.reshape(-1)[:1] = np.nan
            return a

        return _map_outputs(ex, ex.reference(*args), poison)

    assert not grade_function(rounded, name).passed
    report = grade_function(with_nan, name)
    assert not report.passed
    assert report.failure.status == "failed"
