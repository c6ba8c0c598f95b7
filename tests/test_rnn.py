"""The vanilla RNN: step and sequence forms agree; every backward matches numerical gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncourse.gradcheck import check_gradients
from rnncourse.rnn import (
    init_rnn,
    rnn_backward,
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


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_equals_loop_of_steps(shape):
    _, x, h0, W_xh, W_hh, b_h = make(*shape)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    h_prev = h0
    for t in range(x.shape[1]):
        h_prev = rnn_step_forward(x[:, t], h_prev, W_xh, W_hh, b_h)
        np.testing.assert_allclose(h[:, t], h_prev, rtol=1e-13, atol=1e-15)


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


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_sequence_backward_numerical(shape, scale):
    rng, x, h0, W_xh, W_hh, b_h = make(*shape, seed=7, scale=scale)
    inputs = dict(x=x, h0=h0, W_xh=W_xh, W_hh=W_hh, b_h=b_h)

    def backward(dh, h):
        g = rnn_backward(dh, x, h0, h, W_xh, W_hh)
        return dict(zip(["x", "h0", "W_xh", "W_hh", "b_h"], g, strict=True))

    report = check_gradients(rnn_forward, backward, inputs, rng=rng)
    assert report.max_rel_error < 1e-7, str(report)


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_backward_equals_loop_of_steps(shape):
    """rnn_backward is rnn_step_backward in a loop, accumulating weight gradients over time."""
    rng, x, h0, W_xh, W_hh, b_h = make(*shape, seed=3)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dh = rng.normal(size=h.shape)
    dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    acc = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b_h)]
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        dx_t, dh_next, *gw = rnn_step_backward(
            dh[:, t] + dh_next, x[:, t], h_prev, h[:, t], W_xh, W_hh
        )
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        for a, g in zip(acc, gw, strict=True):
            a += g
    np.testing.assert_allclose(dh0, dh_next, rtol=1e-12, atol=1e-14)
    for got, want in zip((dW_xh, dW_hh, db_h), acc, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_backward_does_not_modify_inputs():
    rng, x, h0, W_xh, W_hh, b_h = make(2, 4, 3, 5)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dh = rng.normal(size=h.shape)
    before = [a.copy() for a in (dh, x, h0, h, W_xh, W_hh)]
    rnn_backward(dh, x, h0, h, W_xh, W_hh)
    for a, b in zip((dh, x, h0, h, W_xh, W_hh), before, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    N=st.integers(1, 4),
    T=st.integers(1, 6),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_shapes_and_dtypes(N, T, D, H, dtype):
    rng, x, h0, W_xh, W_hh, b_h = make(N, T, D, H, dtype=dtype)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    assert h.shape == (N, T, H) and h.dtype == dtype
    assert rnn_step_forward(x[:, 0], h0, W_xh, W_hh, b_h).dtype == dtype
    dh = rng.normal(size=h.shape).astype(dtype)
    grads = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    shapes = [(N, T, D), (N, H), (H, D), (H, H), (H,)]
    assert [g.shape for g in grads] == shapes
    assert all(g.dtype == dtype for g in grads)
    step = rnn_step_backward(dh[:, 0], x[:, 0], h0, h[:, 0], W_xh, W_hh)
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
