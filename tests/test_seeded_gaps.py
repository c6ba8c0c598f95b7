"""Tests written because a seeded bug (tools/seeded_bugs.json) got through the suite.

- ``rnn-init-bound``: init_rnn drawing from +-1/sqrt(D) instead of +-1/sqrt(H) passed every test:
  nothing checked the range of the initial weights.
- ``masked-loss-mask-ignored``: model_loss scoring padded steps too passed every test: the
  gradient check of the masked loss is just as happy with a loss that ignores the mask.
- ``grading-check-hidden-visible``: ``check_hidden`` grading the visible cases passed every test:
  nothing checked that the hidden tests see cases the learner has not seen. (Drawing the hidden
  cases with the visible cases' seed also passed, but is harmless: the hidden cases differ
  anyway, which ``test_hidden_cases_are_not_the_visible_ones`` now checks.)
- ``grading-report-group-ticks``: a report ticking a group of cases that failed passed every
  test: the tests looked at the verdict and the message, not at the ticks per group.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.grading import CheckFailed, check_hidden, grade_function
from rnncourse.grading.spec import exercise_names, get_exercise
from rnncourse.gru import init_gru
from rnncourse.layers import init_output
from rnncourse.lstm import init_lstm
from rnncourse.models import init_model, model_forward, model_loss
from rnncourse.rnn import init_rnn

D, H = 3, 64  # D != H, so a bound taken from the wrong size shows


def _assert_uniform_within(a: np.ndarray, k: float, name: str) -> None:
    """Entries in [-k, k] and (for these sizes, with near certainty) filling that range."""
    assert np.abs(a).max() <= k, f"{name}: entries beyond the bound {k:.4g}"
    assert np.abs(a).max() > 0.9 * k, f"{name}: entries stay well inside the bound {k:.4g}"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_initial_weights_are_uniform_in_one_over_sqrt_hidden_size(cell):
    """PyTorch's default: every weight uniform in [-1/sqrt(H), 1/sqrt(H)], whatever D is.

    A single bias that stands for PyTorch's two (RNN b_h, LSTM b) is the sum of two such draws,
    so it may reach 2/sqrt(H); the GRU's two biases are each one draw.
    """
    rng = np.random.default_rng(0)
    k = 1.0 / np.sqrt(H)
    if cell == "rnn":
        W_xh, W_hh, b_h = init_rnn(D, H, rng)
        weights, biases = {"W_xh": W_xh, "W_hh": W_hh}, {"b_h": b_h}
    elif cell == "lstm":
        W_ih, W_hh, b = init_lstm(D, H, rng)
        weights, biases = {"W_ih": W_ih, "W_hh": W_hh}, {"b": b}
    else:
        W_ih, W_hh, b_ih, b_hh = init_gru(D, H, rng)
        weights = {"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh}
        biases = {}
    for name, W in weights.items():
        _assert_uniform_within(W, k, f"{cell} {name}")
    for name, b in biases.items():
        assert np.abs(b).max() <= 2 * k, f"{cell} {name}: beyond 2/sqrt(H)"
        assert np.abs(b).max() > 0.5 * k, f"{cell} {name}: far inside the bound"


def test_output_layer_init_is_uniform_in_one_over_sqrt_fan_in():
    W_hy, b_y = init_output(H, 50, np.random.default_rng(0))
    k = 1.0 / np.sqrt(H)
    _assert_uniform_within(W_hy, k, "W_hy")
    _assert_uniform_within(b_y, k, "b_y")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_masked_loss_counts_only_the_real_steps(cell, loss):
    """With a mask, the loss is the plain loss over the True steps; what the targets say at the
    False steps changes neither the loss nor any gradient."""
    rng = np.random.default_rng(1)
    N, T, K = 4, 6, 3
    p = init_model(cell, D=2, H=5, K=K, rng=rng)
    x = rng.normal(size=(N, T, 2))
    mask = rng.random((N, T)) > 0.4
    mask[:, 0] = True  # every sequence has a real step
    mask[0, -1] = False  # and some padding at the end
    if loss == "cross_entropy":
        t = rng.integers(0, K, size=(N, T))
        other = np.where(mask, t, (t + 1) % K)
    else:
        t = rng.normal(size=(N, T, K))
        other = np.where(mask[..., None], t, t + 10.0)
    value, grads = model_loss(p, x, t, cell=cell, task="many-to-many", loss=loss, mask=mask)
    value2, grads2 = model_loss(p, x, other, cell=cell, task="many-to-many", loss=loss, mask=mask)
    assert value == pytest.approx(value2, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads2[name], rtol=1e-10, atol=1e-14)

    y, _ = model_forward(p, x, cell=cell, task="many-to-many")
    y_real, t_real = y[mask], t[mask]
    if loss == "cross_entropy":
        shifted = y_real - y_real.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        expected = -logp[np.arange(len(t_real)), t_real].mean()
    else:
        expected = np.mean((y_real - t_real) ** 2)
    assert value == pytest.approx(expected, rel=1e-12)


def _same(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same(a[k], b[k]) for k in a)
        )
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("name", exercise_names())
def test_hidden_cases_are_not_the_visible_ones(name):
    ex = get_exercise(name)
    visible, hidden = ex.make_cases(hidden=False), ex.make_cases(hidden=True)
    assert hidden, f"{name}: no hidden cases"
    for h in hidden:
        for v in visible:
            assert not all(_same(h.inputs[a], v.inputs[a]) for a in ex.args), (
                f"{name}: hidden case {h.group!r} ({h.label}) repeats a visible case"
            )


def test_check_hidden_catches_a_function_that_memorised_the_visible_cases(capsys):
    """The point of the hidden tests: answers learnt by heart for the visible cases fail them."""
    ex = get_exercise("rnn_step_forward")

    def key(args) -> tuple:
        return tuple((np.asarray(a).shape, np.asarray(a).tobytes()) for a in args)

    memo = {}
    for case in ex.make_cases(hidden=False):
        args = [case.inputs[a] for a in ex.args]
        memo[key(args)] = ex.reference(*args)

    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        return memo.get(key([x_t, h_prev, W_xh, W_hh, b_h]), np.zeros_like(h_prev))

    assert grade_function(rnn_step_forward).passed  # it passes the visible cases
    with pytest.raises(CheckFailed):
        check_hidden(rnn_step_forward)
    capsys.readouterr()


def test_report_ticks_only_the_groups_that_passed():
    """A function right in float64 and wrong in float32: the float32 group alone is marked."""
    from rnncourse.rnn import rnn_step_forward as reference

    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
        h_t = reference(x_t, h_prev, W_xh, W_hh, b_h)
        return h_t if x_t.dtype == np.float64 else np.zeros_like(h_t)

    report = grade_function(rnn_step_forward)
    assert not report.passed
    states = {group: state for group, _, state in report.groups}
    assert states.pop("float32") == "failed", report.groups
    assert states and set(states.values()) == {"passed"}, report.groups  # float64 groups
