"""The vanilla RNN's step functions, a worked example, and a gradient check with teeth.

What every cell's sequence functions promise (step form = sequence form, numerical gradients,
dtypes, purity, shape checks) is tested for all cells at once in tests/test_cells.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncourse.gradcheck import check_gradients
from rnncourse.rnn import (
    init_rnn,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

# (N, T, D, H): N=1, T=1, and shapes with every letter different
SHAPES = [(1, 1, 1, 1), (1, 4, 3, 5), (3, 1, 4, 2), (2, 5, 3, 4), (4, 3, 6, 5), (5, 7, 2, 3)]


def make(N, T, D, H, seed=0, scale=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W_xh, W_hh, b_h = init_rnn(D, H, rng, dtype=dtype)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    h0 = (0.5 * rng.normal(size=(N, H))).astype(dtype)
    return rng, x, h0, scale * W_xh, scale * W_hh, b_h


def test_step_forward_by_hand():
    # h = tanh(W_hh h_prev + W_xh x + b), column form, one example
    x_t = np.array([[1.0, 2.0]])
    h_prev = np.array([[0.5, -1.0, 0.0]])
    W_xh = np.arange(6.0).reshape(3, 2) / 10
    W_hh = np.eye(3) * 0.5
    b_h = np.array([0.1, 0.0, -0.1])
    expected = np.tanh(W_hh @ h_prev[0] + W_xh @ x_t[0] + b_h)
    np.testing.assert_allclose(rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h)[0], expected)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_step_backward_numerical(shape, seed):
    N, _, D, H = shape
    rng, x, h0, W_xh, W_hh, b_h = make(*shape, seed=seed)
    inputs = dict(x_t=x[:, 0], h_prev=h0, W_xh=W_xh, W_hh=W_hh, b_h=b_h)

    def backward(dh_t, h_t):
        g = rnn_step_backward(dh_t, inputs["x_t"], h0, h_t, W_xh, W_hh)
        return dict(zip(["x_t", "h_prev", "W_xh", "W_hh", "b_h"], g, strict=True))

    report = check_gradients(rnn_step_forward, backward, inputs, rng=rng)
    assert report.max_rel_error < 1e-7, str(report)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    N=st.integers(1, 4),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_step_shapes_and_dtypes(N, D, H, dtype):
    # the sequence functions' shapes and dtypes: tests/test_cells.py, for every cell
    rng, x, h0, W_xh, W_hh, b_h = make(N, 1, D, H, dtype=dtype)
    h_t = rnn_step_forward(x[:, 0], h0, W_xh, W_hh, b_h)
    assert h_t.shape == (N, H) and h_t.dtype == dtype
    dh_t = rng.normal(size=h_t.shape).astype(dtype)
    step = rnn_step_backward(dh_t, x[:, 0], h0, h_t, W_xh, W_hh)
    assert [g.shape for g in step] == [(N, D), (N, H), (H, D), (H, H), (H,)]
    assert all(g.dtype == dtype for g in step)


def test_float32_close_to_float64():
    _, x, h0, W_xh, W_hh, b_h = make(3, 6, 4, 5)
    h64 = rnn_forward(x, h0, W_xh, W_hh, b_h)
    args32 = [a.astype(np.float32) for a in (x, h0, W_xh, W_hh, b_h)]
    np.testing.assert_allclose(rnn_forward(*args32), h64, rtol=1e-4, atol=1e-5)


def test_deliberate_bug_is_caught():
    """The check has teeth: a backward missing the recurrent path fails it."""
    rng, x, h0, W_xh, W_hh, b_h = make(2, 4, 3, 5, seed=11)
    inputs = dict(x=x, h0=h0, W_xh=W_xh, W_hh=W_hh, b_h=b_h)

    def buggy(dh, h):
        # dh_prev dropped: each step sees only its own output gradient
        N, T, H = h.shape
        out = dict(x=np.zeros_like(x), h0=np.zeros_like(h0), W_xh=0, W_hh=0, b_h=0)
        for t in reversed(range(T)):
            h_prev = h[:, t - 1] if t > 0 else h0
            dx_t, _, a, b, c = rnn_step_backward(dh[:, t], x[:, t], h_prev, h[:, t], W_xh, W_hh)
            out["x"][:, t] = dx_t
            out["W_xh"] += a
            out["W_hh"] += b
            out["b_h"] += c
        return out

    report = check_gradients(rnn_forward, buggy, inputs, rng=rng)
    assert report.max_rel_error > 1e-2
