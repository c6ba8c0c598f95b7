"""The LSTM: a worked example, the step backward's numerical gradients, the forget-gate bias,
initialisation, PyTorch, and the shape checks' messages.

What every cell's sequence functions promise (step form = sequence form, numerical gradients,
dtypes, purity, saturation, shape checks) is tested for all cells at once in tests/test_cells.py.
"""

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradients, rel_error
from rnncourse.lstm import (
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

# (N, T, D, H, P): N=1, T=1, every letter different, with and without a projection
SHAPES = [
    (1, 1, 1, 1, None),
    (1, 4, 3, 5, None),
    (3, 1, 4, 2, None),
    (2, 5, 3, 4, None),
    (4, 3, 6, 5, 2),
    (1, 3, 2, 4, 1),
    (3, 1, 2, 5, 3),
]
NAMES = ["x", "h0", "c0", "W_ih", "W_hh", "b", "W_hr"]


def make(N, T, D, H, P=None, seed=0, dtype=np.float64, forget_bias=None):
    """Parameters and inputs for one case, as a dict named like lstm_forward's arguments."""
    rng = np.random.default_rng(seed)
    params = init_lstm(D, H, rng, P=P, forget_bias=forget_bias)
    d = dict(zip(["W_ih", "W_hh", "b", "W_hr"], params, strict=False))
    d["x"] = rng.normal(size=(N, T, D))
    d["h0"] = 0.5 * rng.normal(size=(N, H if P is None else P))
    d["c0"] = rng.normal(size=(N, H))
    return rng, {k: v.astype(dtype) for k, v in d.items()}


def args(d, *names):
    return [d.get(n) for n in names]


# ----------------------------------------------------------------------------- step = sequence
# the last two: the backward works in chunks of 2**17 // (N * 4H) = 16 steps, so T = 40 spans
# three chunks (16, 16, 8)
def test_step_forward_by_hand():
    # zero weights: every gate is sigmoid(b), the candidate tanh(b_g)
    H = 1
    b = np.array([0.0, np.log(3.0), 0.5, 0.0])  # f = sigmoid(log 3) = 0.75
    h_t, c_t = lstm_step_forward(
        np.ones((1, 2)),
        np.zeros((1, H)),
        np.full((1, H), 2.0),
        np.zeros((4, 2)),
        np.zeros((4, H)),
        b,
    )
    c_expected = 0.75 * 2.0 + 0.5 * np.tanh(0.5)
    np.testing.assert_allclose(c_t, [[c_expected]], rtol=1e-14)
    np.testing.assert_allclose(h_t, [[0.5 * np.tanh(c_expected)]], rtol=1e-14)


# ----------------------------------------------------------------------------- numerical gradients
@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_matches_numerical_gradients(shape):
    N, T, D, H, P = shape
    rng, d = make(*shape, seed=N + 10 * T)
    inputs = {
        "x_t": d["x"][:, 0],
        "h_prev": d["h0"],
        "c_prev": d["c0"],
        **{k: d[k] for k in ("W_ih", "W_hh", "b", "W_hr") if d.get(k) is not None},
    }

    def backward(dout, out):
        dh_t, dc_t = dout
        g = lstm_step_backward(dh_t, dc_t, *inputs.values())
        return dict(zip(["x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b", "W_hr"], g, strict=False))

    report = check_gradients(lstm_step_forward, backward, inputs, rng=rng)
    assert report.ok(1e-7), str(report)
    assert len(report.entries) == len(inputs)


def test_forget_bias_one_lets_the_gradient_reach_further_back():
    # the effect the lessons quote: with f_t near 1 the path c_{t-1} <- c_t shrinks slowly
    ratios = []
    for fb in (None, 1.0):
        _, d = make(4, 40, 3, 16, forget_bias=fb, seed=3)
        d["h0"][:] = 0
        d["c0"][:] = 0
        h, c = lstm_forward(*args(d, "x", "h0", "c0", "W_ih", "W_hh", "b"))
        dh = np.zeros_like(h)
        dh[:, -1] = 1.0
        dx = lstm_backward(dh, *args(d, "x", "h0", "c0"), h, c, *args(d, "W_ih", "W_hh", "b"))[0]
        ratios.append(np.linalg.norm(dx[:, 0]) / np.linalg.norm(dx[:, -1]))
    assert ratios[1] > 10 * ratios[0]


# ----------------------------------------------------------------------------- dtypes, purity
def test_init_lstm():
    rng = np.random.default_rng(0)
    W_ih, W_hh, b = init_lstm(3, 100, rng)
    assert W_ih.shape == (400, 3) and W_hh.shape == (400, 100) and b.shape == (400,)
    assert np.abs(W_hh).max() <= 0.1 and np.abs(b).max() <= 0.2  # b = b_ih + b_hh
    assert np.abs(b).max() > 0.1  # really a sum of two
    _, _, b1 = init_lstm(3, 100, rng, forget_bias=1.0)
    np.testing.assert_array_equal(b1[100:200], 1.0)
    assert np.abs(b1[:100]).max() <= 0.2
    params = init_lstm(3, 5, rng, P=2, dtype=np.float32)
    assert [p.shape for p in params] == [(20, 3), (20, 2), (20,), (2, 5)]
    assert all(p.dtype == np.float32 for p in params)
    with pytest.raises(ValueError, match="P must satisfy"):
        init_lstm(3, 5, rng, P=5)


# ----------------------------------------------------------------------------- PyTorch
@pytest.mark.torch
@pytest.mark.parametrize(
    "N,T,D,H,P",
    [
        (1, 1, 1, 1, None),
        (1, 25, 6, 10, None),
        (3, 7, 4, 5, None),
        (8, 12, 3, 16, None),
        (3, 7, 4, 5, 2),
        (2, 9, 3, 16, 7),
        (1, 1, 2, 3, 1),
        (20, 30, 3, 24, None),  # N*H > 256: the exp-based tanh path
        (20, 30, 3, 24, 8),
    ],
)
def test_matches_torch_lstm(torch, N, T, D, H, P):
    torch.manual_seed(N * 100 + T + H)
    lstm = torch.nn.LSTM(D, H, batch_first=True, proj_size=P or 0, dtype=torch.float64)
    sd = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    W_ih, W_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
    b = sd["bias_ih_l0"] + sd["bias_hh_l0"]
    W_hr = sd.get("weight_hr_l0")
    Hout = P or H

    rng = np.random.default_rng(T)
    x = rng.normal(size=(N, T, D))
    h0 = 0.5 * rng.normal(size=(N, Hout))
    c0 = rng.normal(size=(N, H))
    g_out = rng.normal(size=(N, T, Hout))
    g_hn = rng.normal(size=(N, Hout))
    g_cn = rng.normal(size=(N, H))

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    c0t = torch.tensor(c0[None], requires_grad=True)
    out, (h_n, c_n) = lstm(xt, (h0t, c0t))
    loss = (out * torch.tensor(g_out)).sum() + (h_n[0] * torch.tensor(g_hn)).sum()
    loss = loss + (c_n[0] * torch.tensor(g_cn)).sum()
    loss.backward()

    h, c = lstm_forward(x, h0, c0, W_ih, W_hh, b, W_hr)
    assert rel_error(h, out.detach().numpy()) < 1e-10
    assert rel_error(h[:, -1], h_n.detach().numpy()[0]) < 1e-10
    assert rel_error(c[:, -1], c_n.detach().numpy()[0]) < 1e-10

    dh = g_out.copy()
    dh[:, -1] += g_hn  # h_n is h_T: its gradient joins the output's
    grads = lstm_backward(dh, x, h0, c0, h, c, W_ih, W_hh, b, W_hr, dc_last=g_cn)
    expected = [
        xt.grad,
        h0t.grad[0],
        c0t.grad[0],
        lstm.weight_ih_l0.grad,
        lstm.weight_hh_l0.grad,
        lstm.bias_ih_l0.grad,
    ]
    if P:
        expected.append(lstm.weight_hr_l0.grad)
    assert len(grads) == len(expected)
    for name, g, e in zip(NAMES, grads, expected, strict=False):
        assert rel_error(g, e.numpy()) < 1e-10, name
    assert rel_error(grads[5], lstm.bias_hh_l0.grad.numpy()) < 1e-10  # the same for both biases


def test_wrong_shapes_are_named():
    _, d = make(2, 3, 4, 5, 2)
    x, h0, c0, W_ih, W_hh, b, W_hr = args(d, *NAMES)
    with pytest.raises(ValueError, match=r"h0 should be \(2, 2\), got \(2, 5\)"):
        lstm_forward(x, np.zeros((2, 5)), c0, W_ih, W_hh, b, W_hr)
    with pytest.raises(ValueError, match=r"W_ih should be \(20, 4\), got \(4, 20\)"):
        lstm_forward(x, h0, c0, W_ih.T, W_hh, b, W_hr)
    with pytest.raises(ValueError, match=r"x should be \(N, T, D\)"):
        lstm_forward(x[:, 0], h0, c0, W_ih, W_hh, b, W_hr)
    h, c = lstm_forward(x, h0, c0, W_ih, W_hh, b, W_hr)
    with pytest.raises(ValueError, match=r"dc_last should be \(2, 5\)"):
        lstm_backward(np.ones_like(h), x, h0, c0, h, c, W_ih, W_hh, b, W_hr, dc_last=np.ones(5))
    with pytest.raises(ValueError, match=r"dh should be \(2, 3, 2\)"):
        lstm_backward(np.ones_like(c), x, h0, c0, h, c, W_ih, W_hh, b, W_hr)
