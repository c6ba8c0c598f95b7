"""The GRU, both variants: worked examples, the step backward's numerical gradients, PyTorch's
variant against torch.nn.GRU, and the shape checks' messages.

What every cell's sequence functions promise (step form = sequence form, numerical gradients,
dtypes, purity, saturation, shape checks) is tested for all cells at once in tests/test_cells.py.
"""

import numpy as np
import pytest

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


# ----------------------------------------------------------------------------- dtypes, purity
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
