"""rnncourse.tbptt (lesson 5): truncated backpropagation through time and its cost."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradients
from rnncourse.gradient_flow import random_recurrent_weights
from rnncourse.models import init_model, model_loss
from rnncourse.tasks import noisy_sine
from rnncourse.tbptt import BPTTCost, bptt_cost, chunk_backward, chunk_forward, truncated_bptt


def _sine_model(rho=None, seed=0, N=4, T=30, H=6):
    rng = np.random.default_rng(seed)
    p = init_model("rnn", D=1, H=H, K=1, rng=rng)
    if rho is not None:
        p["W_hh"][:] = random_recurrent_weights(H, rho, rng, kind="orthogonal")
    x, y = noisy_sine(N, T, rng)
    return p, x, y


def test_chunk_backward_gradcheck():
    p, x, y = _sine_model(T=5)
    h_start = np.random.default_rng(1).normal(size=(4, 6))
    names = list(p)

    def forward(x, h_start, **params):
        return chunk_forward(params, x, h_start)[1]

    def backward(dy, y_out):
        h, _ = chunk_forward(p, x, h_start)
        g, dh_start = chunk_backward(p, dy, x, h_start, h)
        return {**g, "h_start": dh_start}

    report = check_gradients(
        forward,
        backward,
        {"x": x, "h_start": h_start, **p},
        rng=np.random.default_rng(2),
        wrt=[*names, "h_start"],
    )
    assert report.ok(1e-7), str(report)


def test_truncated_with_k_equal_T_is_exact_bptt():
    p, x, y = _sine_model()
    loss, g = model_loss(p, x, y, task="many-to-many", loss="mse")
    for k in (30, 100):
        lt, gt, _ = truncated_bptt(p, x, y, k)
        assert lt == pytest.approx(loss, rel=1e-12)
        for name in g:
            np.testing.assert_allclose(gt[name], g[name], rtol=1e-10, atol=1e-14)


def test_truncation_loses_gradient_but_not_loss():
    p, x, y = _sine_model(rho=0.95)
    loss, g = model_loss(p, x, y, task="many-to-many", loss="mse")
    flat = np.concatenate([g[n].ravel() for n in sorted(g)])
    cos = []
    for k in (1, 3, 10):
        lt, gt, _ = truncated_bptt(p, x, y, k)
        assert lt == pytest.approx(loss, rel=1e-12)  # the forward pass is unchanged
        ft = np.concatenate([gt[n].ravel() for n in sorted(gt)])
        cos.append(ft @ flat / np.linalg.norm(ft) / np.linalg.norm(flat))
        assert not np.allclose(gt["W_hh"], g["W_hh"])  # biased
    assert cos[0] < cos[1] < cos[2] < 1.0


@pytest.mark.parametrize("k", [1, 4, 7, 30])
def test_counted_cost_matches_the_formula(k):
    N, T, H = 4, 30, 6
    p, x, y = _sine_model(N=N, T=T, H=H)
    _, _, cost = truncated_bptt(p, x, y, k)
    n_full, rest = divmod(T, k)
    expect = n_full * bptt_cost(N, k, 1, H, 1).macs + bptt_cost(N, rest, 1, H, 1).macs
    assert cost.macs == expect
    assert cost.stored_floats == bptt_cost(N, min(k, T), 1, H, 1).stored_floats


def test_truncation_length_must_be_positive():
    p, x, y = _sine_model()
    with pytest.raises(ValueError, match="at least 1"):
        truncated_bptt(p, x, y, 0)


@pytest.mark.torch
def test_truncated_bptt_matches_torch_detach(torch):
    """The same truncation in PyTorch: carry h, call .detach() at each chunk boundary."""
    p, x, y = _sine_model(rho=0.9, T=12)
    k = 5
    _, g, _ = truncated_bptt(p, x, y, k)
    P = {n: torch.tensor(v, requires_grad=True) for n, v in p.items()}
    X, Y = torch.tensor(x), torch.tensor(y)
    h = torch.zeros(x.shape[0], p["W_hh"].shape[0], dtype=torch.float64)
    total = 0.0
    for s in range(0, x.shape[1], k):
        h = h.detach()
        loss = 0.0
        for t in range(s, min(s + k, x.shape[1])):
            h = torch.tanh(X[:, t] @ P["W_xh"].T + h @ P["W_hh"].T + P["b_h"])
            out = h @ P["W_hy"].T + P["b_y"]
            loss = loss + ((out - Y[:, t]) ** 2).sum()
        total = total + loss
    (total / y.size).backward()
    for n in p:
        np.testing.assert_allclose(g[n], P[n].grad.numpy(), rtol=1e-10, atol=1e-14)


def test_bptt_cost_is_linear_in_k():
    a, b = bptt_cost(8, 10, 3, 16, 2), bptt_cost(8, 20, 3, 16, 2)
    assert b.macs == 2 * a.macs
    assert b.stored_floats - 8 * 16 == 2 * (a.stored_floats - 8 * 16)
    assert isinstance(a, BPTTCost)
