"""check() and grade_function(): reports, messages, time limits, what earns no credit.

The catalogue of learner-style mistakes and correct alternatives is tested in
``test_grading_mutants.py``; the cases themselves in ``test_grading_cases.py``.
"""

from __future__ import annotations

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
from rnncourse.grading.check import graded_cases


@pytest.mark.parametrize("name", exercise_names())
def test_reference_passes_visible_and_hidden(name):
    ex = get_exercise(name)
    assert grade_function(ex.reference, name).passed
    assert grade_function(ex.reference, name, hidden=True).passed


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts as a fresh kernel does: every hint at level 1."""
    from rnncourse.grading import hints

    hints.forget()
    yield
    hints.forget()


def test_check_raises_checkfailed_with_hint(capsys):
    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)

    with pytest.raises(CheckFailed, match="h_t: 10 of 10 entries differ") as info:
        check(rnn_step_forward)  # level 1: the symptom
    assert "b_h is missing" not in str(info.value)
    with pytest.raises(CheckFailed):
        check(rnn_step_forward)  # level 2: where to look
    with pytest.raises(CheckFailed, match="b_h is missing") as info:
        check(rnn_step_forward)  # level 3: the fix
    assert isinstance(info.value, AssertionError)
    out = capsys.readouterr().out
    assert "✗ rnn_step_forward: failed" in out
    assert "expected" in out and "got" in out
    # the error box under the report is one line that does not repeat it (it did: twice)
    (line,) = info.value._render_traceback_()
    assert line == "CheckFailed: rnn_step_forward does not pass yet (the report above says why)"
    assert "b_h is missing" in str(info.value)  # the message itself keeps the details
    with pytest.raises(CheckFailed) as unshown:  # nothing shown: the message is the error
        check(42)
    assert unshown.value._render_traceback_() == [f"CheckFailed: {unshown.value}"]


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

    def clip_grad_norm(grads, max_norm):  # clips in place
        total = np.sqrt(sum((g**2).sum() for g in grads.values()))
        for g in grads.values():
            g *= min(1.0, max_norm / (total + 1e-6))
        return grads, float(total)

    assert "modified its input `grads[" in grade_function(clip_grad_norm).summary()
    for (case, _), new in zip(graded_cases("clip_grad_norm", False), fresh, strict=True):
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
    report = grade_function(rnn_step_forward, timeout=0.2)
    assert report.status == "timeout"
    assert "✗ rnn_step_forward: timed out" in report.text()
    assert "is there an endless loop?" in report.summary()
    assert "is there an endless loop?" in report.text()


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


# results that are whole numbers (word counts, parameter counts): exact, nothing to round
INTEGER_VALUED = {"bag_of_words", "parameter_counts"}


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

    if name not in INTEGER_VALUED:  # whole numbers: rounding to 2 decimals changes nothing
        assert not grade_function(rounded, name).passed
    report = grade_function(with_nan, name)
    assert not report.passed
    assert report.failure.status == "failed"


def test_masked_cases_have_padding_and_full_sequences():
    cases = get_exercise("rnn_forward_masked").make_cases()
    masks = [c.inputs["mask"] for c in cases]
    assert any((m == 0).any() for m in masks)  # some padding
    assert any((m == 1).all(axis=1).any() for m in masks)  # some full-length sequences
    for m in masks:  # padding only at the end, every sequence at least one real step
        assert (np.diff(m, axis=1) <= 0).all() and (m[:, 0] == 1).all()


def test_first_wrong_time_step_is_named_for_hidden_gradients():
    def hidden_gradients(dh_T, h, W_hh):  # no tanh'
        g, out = dh_T, [dh_T]
        for _ in range(h.shape[1] - 1):
            g = g @ W_hh
            out.append(g)
        return np.stack(out[::-1], axis=1)

    report = grade_function(hidden_gradients)
    assert "step" in report.text()


def test_check_raises_with_the_hint_and_passes_the_reference():
    def hidden_gradients(dh_T, h, W_hh):  # W_hh.T where W_hh belongs
        g, out = dh_T, [dh_T]
        for t in range(h.shape[1] - 1, 0, -1):
            g = (g * (1 - h[:, t] ** 2)) @ W_hh.T
            out.append(g)
        return np.stack(out[::-1], axis=1)

    with pytest.raises(CheckFailed, match="step"):
        check(hidden_gradients)  # the symptom first
    with pytest.raises(CheckFailed, match=r"W_hh\.T"):
        check(hidden_gradients)  # the same mistake again: the fix
    assert check(get_exercise("hidden_gradients").reference, name="hidden_gradients") is None


def test_stubs_say_not_implemented():
    def output_forward(h, W_hy, b_y):
        raise NotImplementedError()

    def hidden_gradients(dh_T, h, W_hh):
        raise NotImplementedError()

    for stub in (output_forward, hidden_gradients):
        with pytest.raises(CheckFailed, match="not implemented yet"):
            check(stub)


def test_check_hidden_is_check_on_the_hidden_cases(capsys):
    from rnncourse.rnn import rnn_forward

    check(rnn_forward, hidden=True)
    with_flag = capsys.readouterr().out
    check_hidden(rnn_forward)
    assert capsys.readouterr().out == with_flag
    assert "(hidden tests)" in with_flag


def test_expected_and_got_never_print_alike():
    """A difference of a few 1e-9 is printed with the digits that show it, and its size."""
    import re

    from rnncourse.rnn import rnn_step_forward as reference

    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        return reference(x_t, h_prev, W_xh, W_hh, b_h) * (1 + 5e-9)

    message = grade_function(rnn_step_forward).failure.message
    expected, got = re.search(r"expected (\S+), got (\S+)", message).groups()
    assert expected != got.rstrip(","), message
    assert "relative error 5e-09" in message


def test_an_axis_is_named_by_a_letter_of_the_expected_shape_only():
    """h0 included: h is (N, T+1, H) = (2, 4, 5) where T + 1 = 4 = D; not "(N, D, H)"."""
    from rnncourse.rnn import rnn_forward as reference

    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        return np.concatenate([h0[:, None], reference(x, h0, W_xh, W_hh, b_h)], axis=1)

    message = grade_function(rnn_forward).failure.message
    assert "h should have shape (N, T, H) = (2, 3, 5), got (N, 4, H) = (2, 4, 5)" in message
    assert "(N, D, H)" not in message


def test_a_square_layer_names_its_shapes_by_the_expected_letters():
    from rnncourse.grading.errors import letters_of, shape_text

    sizes = {"N": 3, "D": 4, "H": 4}
    letters = letters_of((3, 4), sizes, "N H")
    assert shape_text((3, 4), sizes, letters) == "(N, H) = (3, 4)"
    assert shape_text((4, 3), sizes, letters) == "(H, N) = (4, 3)"
    assert shape_text((3, 4), sizes) == "(N, 4) = (3, 4)"  # D or H: the number only


def test_a_mistake_that_is_right_on_the_case_is_not_blamed():
    """Per-element clipping does nothing when no entry exceeds max_norm: it explains nothing
    there, so a nearly right answer on that case is not called per-element clipping."""

    def clip_grad_norm(grads, max_norm):
        total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        scale = min(1.0, max_norm / (total + 1e-6))
        return {k: g * scale for k, g in grads.items()}, total * (1 + 1e-8)

    report = grade_function(clip_grad_norm)
    assert not report.passed
    assert "clipped separately" not in report.summary()
    assert "float32 arithmetic" in report.summary()
