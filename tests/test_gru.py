"""The GRU, both variants: step and sequence forms agree, backward matches numerical gradients,
PyTorch's variant matches torch.nn.GRU."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncourse.gradcheck import check_gradients, rel_error
from rnncourse.gru import (
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru,
)

# (N, T, D, H): N=1, T=1, and shapes with every letter different
SHAPES = [(1, 1, 1, 1), (1, 4, 3, 5), (3, 1, 4, 2), (2, 5, 3, 4), (4, 3, 6, 5), (5, 2, 2, 3)]
BIG = [(6, 4, 3, 50), (3, 5, 7, 90)]  # N*H > 256: the exp-based tanh in the sequence form
NAMES = ["x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"]
VARIANTS = [True, False]


def make(N, T, D, H, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    d = dict(zip(["W_ih", "W_hh", "b_ih", "b_hh"], init_gru(D, H, rng), strict=True))
    d["x"] = rng.normal(size=(N, T, D))
    d["h0"] = 0.5 * rng.normal(size=(N, H))
    return rng, {k: v.astype(dtype) for k, v in d.items()}


def params(d):
    return d["W_ih"], d["W_hh"], d["b_ih"], d["b_hh"]


# ----------------------------------------------------------------------------- step = sequence
@pytest.mark.parametrize("reset_after", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES + BIG)
def test_sequence_forward_equals_loop_of_steps(shape, reset_after):
    _, d = make(*shape)
    h = gru_forward(d["x"], d["h0"], *params(d), reset_after=reset_after)
    h_prev = d["h0"]
    for t in range(d["x"].shape[1]):
        h_prev = gru_step_forward(d["x"][:, t], h_prev, *params(d), reset_after=reset_after)
        np.testing.assert_allclose(h[:, t], h_prev, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reset_after", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES + BIG)
def test_sequence_backward_equals_loop_of_step_backwards(shape, reset_after):
    rng, d = make(*shape)
    x, h0 = d["x"], d["h0"]
    h = gru_forward(x, h0, *params(d), reset_after=reset_after)
    dh = rng.normal(size=h.shape)
    seq = gru_backward(dh, x, h0, h, *params(d), reset_after=reset_after)

    dx = np.zeros_like(x)
    sums = None
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t else h0
        out = gru_step_backward(
            dh[:, t] + dh_next, x[:, t], h_prev, *params(d), reset_after=reset_after
        )
        dx[:, t], dh_next = out[:2]
        sums = (
            list(out[2:]) if sums is None else [s + g for s, g in zip(sums, out[2:], strict=True)]
        )
    loop = [dx, dh_next, *sums]
    for name, a, e in zip(NAMES, seq, loop, strict=True):
        assert a.shape == e.shape, name
        assert rel_error(a, e) < 1e-12, name


def test_step_forward_by_hand():
    # zero weights: r = z = sigmoid(b), n = tanh(b_in + r * b_hn)
    H = 1
    b_ih = np.array([0.0, np.log(3.0), 0.2])  # z = 0.75
    b_hh = np.array([0.0, 0.0, 0.6])  # r = 0.5
    x_t, h_prev = np.ones((1, 2)), np.full((1, H), 2.0)
    W_ih, W_hh = np.zeros((3, 2)), np.zeros((3, H))
    n_pt = np.tanh(0.2 + 0.5 * 0.6)
    h_t = gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    np.testing.assert_allclose(h_t, [[0.25 * n_pt + 0.75 * 2.0]], rtol=1e-14)
    n_cho = np.tanh(0.2 + 0.6)  # W_hn (r * h) = 0: the reset gate does not touch b_hn
    h_t = gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=False)
    np.testing.assert_allclose(h_t, [[0.25 * n_cho + 0.75 * 2.0]], rtol=1e-14)


def test_the_two_variants_differ():
    _, d = make(2, 5, 3, 4, seed=7)
    h1 = gru_forward(d["x"], d["h0"], *params(d), reset_after=True)
    h2 = gru_forward(d["x"], d["h0"], *params(d), reset_after=False)
    assert rel_error(h1, h2) > 1e-3


def test_saturated_gates_stay_finite_without_warnings():
    for reset_after in VARIANTS:
        _, d = make(3, 4, 2, 100, seed=1)
        d["x"] = d["x"] * 1e4
        h = gru_forward(d["x"], d["h0"], *params(d), reset_after=reset_after)
        assert np.isfinite(h).all()
        grads = gru_backward(
            np.ones_like(h), d["x"], d["h0"], h, *params(d), reset_after=reset_after
        )
        assert all(np.isfinite(g).all() for g in grads)


# ----------------------------------------------------------------------------- numerical gradients
@pytest.mark.parametrize("reset_after", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_matches_numerical_gradients(shape, reset_after):
    N, T, D, H = shape
    rng, d = make(*shape, seed=N + 10 * T)
    inputs = {"x_t": d["x"][:, 0], "h_prev": d["h0"], **{k: d[k] for k in NAMES[2:]}}

    def forward(**kw):
        return gru_step_forward(**kw, reset_after=reset_after)

    def backward(dh_t, h_t):
        g = gru_step_backward(dh_t, *inputs.values(), reset_after=reset_after)
        return dict(zip(inputs, g, strict=True))

    report = check_gradients(forward, backward, inputs, rng=rng)
    assert report.ok(1e-7), str(report)
    assert len(report.entries) == 6


@pytest.mark.parametrize("reset_after", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_backward_matches_numerical_gradients(shape, reset_after):
    N, T, D, H = shape
    rng, d = make(*shape, seed=N + 10 * T + 100 * H)

    def forward(**kw):
        return gru_forward(**kw, reset_after=reset_after)

    def backward(dh, h):
        g = gru_backward(dh, d["x"], d["h0"], h, *params(d), reset_after=reset_after)
        return dict(zip(NAMES, g, strict=True))

    report = check_gradients(forward, backward, d, rng=rng)
    assert report.ok(1e-7), str(report)
    assert len(report.entries) == 6


# ----------------------------------------------------------------------------- dtypes, purity
@settings(derandomize=True, deadline=None, max_examples=25)
@given(
    N=st.integers(1, 4),
    T=st.integers(1, 5),
    D=st.integers(1, 5),
    H=st.integers(1, 6),
    reset_after=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_dtype_preserved_and_inputs_untouched(N, T, D, H, reset_after, dtype):
    rng, d = make(N, T, D, H, dtype=dtype)
    before = {k: v.copy() for k, v in d.items()}
    h = gru_forward(d["x"], d["h0"], *params(d), reset_after=reset_after)
    assert h.dtype == dtype and h.shape == (N, T, H)
    dh = rng.normal(size=h.shape).astype(dtype)
    grads = gru_backward(dh, d["x"], d["h0"], h, *params(d), reset_after=reset_after)
    for name, g in zip(NAMES, grads, strict=True):
        assert g.dtype == dtype, name
        assert g.shape == d[name].shape, name
    h_t = gru_step_forward(d["x"][:, 0], d["h0"], *params(d), reset_after=reset_after)
    assert h_t.dtype == dtype
    for k, v in before.items():
        np.testing.assert_array_equal(d[k], v, err_msg=f"{k} was modified")
    if dtype == np.float32:
        d64 = {k: v.astype(np.float64) for k, v in d.items()}
        h64 = gru_forward(d64["x"], d64["h0"], *params(d64), reset_after=reset_after)
        np.testing.assert_allclose(h, h64, rtol=1e-4, atol=1e-5)


def test_init_gru():
    W_ih, W_hh, b_ih, b_hh = init_gru(3, 100, np.random.default_rng(0), dtype=np.float32)
    assert W_ih.shape == (300, 3) and W_hh.shape == (300, 100)
    assert b_ih.shape == b_hh.shape == (300,)
    assert all(a.dtype == np.float32 and np.abs(a).max() <= 0.1 for a in (W_ih, W_hh, b_ih, b_hh))


# ----------------------------------------------------------------------------- PyTorch
@pytest.mark.torch
@pytest.mark.parametrize(
    "N,T,D,H",
    [(1, 1, 1, 1), (1, 25, 6, 10), (3, 7, 4, 5), (8, 12, 3, 16), (2, 6, 5, 40), (20, 30, 3, 24)],
)
def test_matches_torch_gru(torch, N, T, D, H):
    torch.manual_seed(N * 100 + T + H)
    gru = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    sd = {k: v.detach().numpy() for k, v in gru.state_dict().items()}
    p = sd["weight_ih_l0"], sd["weight_hh_l0"], sd["bias_ih_l0"], sd["bias_hh_l0"]

    rng = np.random.default_rng(T)
    x = rng.normal(size=(N, T, D))
    h0 = 0.5 * rng.normal(size=(N, H))
    g_out = rng.normal(size=(N, T, H))
    g_hn = rng.normal(size=(N, H))

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, h_n = gru(xt, h0t)
    ((out * torch.tensor(g_out)).sum() + (h_n[0] * torch.tensor(g_hn)).sum()).backward()

    h = gru_forward(x, h0, *p)
    assert rel_error(h, out.detach().numpy()) < 1e-10
    assert rel_error(h[:, -1], h_n.detach().numpy()[0]) < 1e-10

    dh = g_out.copy()
    dh[:, -1] += g_hn  # h_n is h_T
    grads = gru_backward(dh, x, h0, h, *p)
    expected = [
        xt.grad,
        h0t.grad[0],
        gru.weight_ih_l0.grad,
        gru.weight_hh_l0.grad,
        gru.bias_ih_l0.grad,
        gru.bias_hh_l0.grad,
    ]
    for name, g, e in zip(NAMES, grads, expected, strict=True):
        assert rel_error(g, e.numpy()) < 1e-10, name


def test_wrong_shapes_are_named():
    _, d = make(2, 3, 4, 5)
    x, h0 = d["x"], d["h0"]
    W_ih, W_hh, b_ih, b_hh = params(d)
    with pytest.raises(ValueError, match=r"b_hh should be \(15,\), got \(5,\)"):
        gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh[:5])
    with pytest.raises(ValueError, match=r"W_ih should be \(15, 4\), got \(4, 15\)"):
        gru_forward(x, h0, W_ih.T, W_hh, b_ih, b_hh)
    h = gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"dh should be \(2, 3, 5\), got \(2, 5\)"):
        gru_backward(h[:, 0], x, h0, h, W_ih, W_hh, b_ih, b_hh)
