"""Stacked and bidirectional layers (rnncourse.deep): equal to torch.nn.RNN/LSTM/GRU with
num_layers 1-3 and bidirectional=True, forward and backward (float64, relative error < 1e-10),
and to numerical gradients (norm-wise < 1e-7); from_torch -> to_torch round-trips them."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.cells import CELLS
from rnncourse.deep import (
    bidirectional_rnn_forward,
    deep_backward,
    deep_forward,
    deep_layout,
    init_deep,
    layer_params,
    param_name,
    stacked_rnn_forward,
)
from rnncourse.gradcheck import check_gradients, rel_error
from rnncourse.rnn import rnn_forward
from rnncourse.torch_interop import from_torch, to_state_dict, to_torch

# (cell, N, T, D, H, layers, bidirectional, proj): N = 1, T = 1, odd sizes, 1-3 layers, both
TORCH_CASES = [
    ("rnn", 3, 5, 4, 7, 1, True, None),
    ("rnn", 1, 4, 3, 5, 3, False, None),
    ("rnn", 2, 1, 5, 3, 2, True, None),
    ("rnn", 3, 6, 5, 5, 3, True, None),
    ("lstm", 3, 5, 4, 7, 2, True, None),
    ("lstm", 1, 3, 5, 3, 3, True, None),
    ("lstm", 2, 1, 3, 5, 1, True, None),
    ("lstm", 2, 4, 3, 5, 3, False, None),
    ("lstm", 3, 4, 5, 7, 2, True, 3),
    ("gru", 3, 5, 4, 7, 2, True, None),
    ("gru", 1, 4, 3, 5, 3, True, None),
    ("gru", 2, 1, 5, 3, 3, False, None),
    ("gru", 4, 3, 2, 5, 1, True, None),
]


def _case_id(c):
    cell, N, T, D, H, L, bi, P = c
    return f"{cell}-N{N}T{T}D{D}H{H}-L{L}-{'bi' if bi else 'uni'}" + (f"-P{P}" if P else "")


def make_module(torch, cell, D, H, L, bi, P, seed=0):
    torch.manual_seed(seed)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    kw = {"proj_size": P} if P else {}
    return cls(D, H, num_layers=L, bidirectional=bi, batch_first=True, dtype=torch.float64, **kw)


def torch_run(torch, module, cell, x, state0, dout, dstate):
    """torch's outputs and the gradients of sum(out * dout) + sum(state_n * dstate)."""
    xt = torch.tensor(x, requires_grad=True)
    s0 = [torch.tensor(s, requires_grad=True) for s in state0]
    out, s_n = module(xt, s0[0] if cell != "lstm" else tuple(s0))
    s_n = (s_n,) if cell != "lstm" else s_n
    loss = (out * torch.tensor(dout)).sum() + sum(
        (a * torch.tensor(d)).sum() for a, d in zip(s_n, dstate, strict=True)
    )
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in module.named_parameters()}
    return (
        out.detach().numpy(),
        tuple(a.detach().numpy() for a in s_n),
        xt.grad.numpy(),
        tuple(s.grad.numpy() for s in s0),
        grads,
    )


def _inputs(cell, N, T, D, H, L, bi, P, seed=1):
    rng = np.random.default_rng(seed)
    dirs = 2 if bi else 1
    S = P or H
    x = rng.normal(size=(N, T, D))
    state0 = [0.5 * rng.normal(size=(L * dirs, N, S))]
    if cell == "lstm":
        state0.append(0.5 * rng.normal(size=(L * dirs, N, H)))
    dout = rng.normal(size=(N, T, dirs * S))
    dstate = [rng.normal(size=s.shape) for s in state0]
    return x, state0, dout, dstate


@pytest.mark.torch
@pytest.mark.parametrize("case", TORCH_CASES, ids=_case_id)
def test_forward_and_backward_equal_torch(torch, case):
    cell, N, T, D, H, L, bi, P = case
    module = make_module(torch, cell, D, H, L, bi, P)
    x, state0, dout, dstate = _inputs(*case)
    out_t, sn_t, dx_t, ds0_t, g_t = torch_run(torch, module, cell, x, state0, dout, dstate)

    p = from_torch(module)
    assert deep_layout(p) == (L, bi) or (L == 1 and not bi)
    out, state_n, cache = deep_forward(cell, p, x, tuple(state0))
    assert out.shape == (N, T, (2 if bi else 1) * (P or H))
    assert rel_error(out, out_t) < 1e-10
    for a, b in zip(state_n, sn_t, strict=True):
        assert a.shape == b.shape
        assert rel_error(a, b) < 1e-10
    dx, dstate0, grads = deep_backward(cell, p, cache, dout, tuple(dstate))
    assert rel_error(dx, dx_t) < 1e-10
    for a, b in zip(dstate0, ds0_t, strict=True):
        assert rel_error(a, b) < 1e-10
    # torch's gradients under the package's names (one bias = bias_ih + bias_hh: same gradient)
    expected = from_torch(g_t, cell)
    if cell != "gru":
        for key in expected:
            if key.startswith("b"):
                layer = key[len(key.split("_l")[0]) :]
                expected[key] = g_t[f"bias_ih{layer}"]
    assert sorted(grads) == sorted(expected)
    for key in expected:
        assert rel_error(grads[key], expected[key]) < 1e-10, key


@pytest.mark.torch
@pytest.mark.parametrize("case", TORCH_CASES, ids=_case_id)
def test_from_torch_to_torch_round_trip(torch, case):
    cell, N, T, D, H, L, bi, P = case
    module = make_module(torch, cell, D, H, L, bi, P, seed=3)
    x, state0, _, _ = _inputs(*case, seed=4)
    for source, kind in [(module, None), (module.state_dict(), cell)]:
        p = from_torch(source, kind)
        back = to_torch(p, cell, batch_first=True)
        assert type(back) is type(module)
        assert (back.num_layers, back.bidirectional) == (L, bi)
        assert back.proj_size == (P or 0) if cell == "lstm" else True
        with torch.no_grad():
            s0 = [torch.tensor(s) for s in state0]
            arg = s0[0] if cell != "lstm" else tuple(s0)
            out_a, sn_a = module(torch.tensor(x), arg)
            out_b, sn_b = back(torch.tensor(x), arg)
        assert rel_error(out_b.numpy(), out_a.numpy()) < 1e-12
        sn_a = sn_a if cell == "lstm" else (sn_a,)
        sn_b = sn_b if cell == "lstm" else (sn_b,)
        for a, b in zip(sn_a, sn_b, strict=True):
            assert rel_error(b.numpy(), a.numpy()) < 1e-12
        # and the package's parameters come back unchanged
        again = from_torch(back)
        assert sorted(again) == sorted(p)
        for k in p:
            np.testing.assert_array_equal(again[k], p[k], err_msg=k)


@pytest.mark.torch
def test_state_dict_names_keep_torchs_suffixes(torch):
    module = make_module(torch, "gru", 3, 4, 2, True, None)
    p = from_torch(module)
    assert sorted(p) == sorted(
        f"{n}_l{layer}{r}"
        for n in ("W_ih", "W_hh", "b_ih", "b_hh")
        for layer in (0, 1)
        for r in ("", "_reverse")
    )
    sd = to_state_dict(p)
    assert sorted(sd) == sorted(module.state_dict())
    np.testing.assert_array_equal(sd["weight_hh_l1_reverse"], p["W_hh_l1_reverse"])
    lstm = make_module(torch, "lstm", 3, 4, 2, False, None)
    p = from_torch(lstm.state_dict(), "lstm")
    sd = lstm.state_dict()
    np.testing.assert_array_equal(p["b_l1"], (sd["bias_ih_l1"] + sd["bias_hh_l1"]).numpy())


# --- numerical gradients (no torch needed) ---------------------------------------------------

GRAD_CASES = [
    ("rnn", 2, 3, 3, 4, 2, True),
    ("rnn", 1, 1, 2, 3, 3, True),
    ("lstm", 2, 3, 3, 2, 2, True),
    ("lstm", 1, 2, 2, 3, 3, False),
    ("gru", 2, 3, 3, 2, 2, True),
    ("gru", 1, 1, 3, 2, 3, True),
    ("gru-cho", 2, 2, 3, 2, 2, True),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: f"{c[0]}-N{c[1]}T{c[2]}L{c[5]}{c[6]}")
def test_backward_matches_numerical_gradients(case):
    cell, N, T, D, H, L, bi = case
    rng = np.random.default_rng(5)
    c = CELLS[cell]
    p = init_deep(cell, D, H, rng, num_layers=L, bidirectional=bi)
    p = {k: 2.0 * v for k, v in p.items()}  # larger weights: far from linear
    dirs = 2 if bi else 1
    x = rng.normal(size=(N, T, D))
    s0 = {f"s{j}": 0.5 * rng.normal(size=(L * dirs, N, H)) for j in range(len(c.state_names))}
    names = list(p)

    def forward(x, **kw):
        params = {k: kw[k] for k in names}
        state = tuple(kw[f"s{j}"] for j in range(len(s0)))
        out, state_n, _ = deep_forward(cell, params, x, state)
        return (out, *state_n)

    def backward(douts, outs):
        params = dict(p)
        out, state_n, cache = deep_forward(cell, params, x, tuple(s0.values()))
        dx, dstate0, grads = deep_backward(cell, params, cache, douts[0], tuple(douts[1:]))
        return {"x": dx, **{f"s{j}": d for j, d in enumerate(dstate0)}, **grads}

    report = check_gradients(forward, backward, {"x": x, **s0, **p}, rng=rng)
    assert report.ok(1e-7), report


def test_directions_and_layers_compose_single_layers():
    """By hand: the reversed direction is the cell on x[:, ::-1], flipped back; layer 1 reads
    the concatenation [forward, backward]; h_n is PyTorch's (layer, direction) order."""
    rng = np.random.default_rng(7)
    N, T, D, H = 2, 5, 3, 4
    p = init_deep("rnn", D, H, rng, num_layers=2, bidirectional=True)
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(4, N, H))
    lp = [[layer_params(p, layer, r) for r in (False, True)] for layer in (0, 1)]
    inp, last = x, []
    for layer in (0, 1):
        f = rnn_forward(inp, h0[2 * layer], *lp[layer][0].values())
        b = rnn_forward(inp[:, ::-1], h0[2 * layer + 1], *lp[layer][1].values())[:, ::-1]
        last += [f[:, -1], b[:, 0]]
        inp = np.concatenate([f, b], axis=2)
    out, (h_n,), _ = deep_forward("rnn", p, x, h0)
    np.testing.assert_allclose(out, inp, rtol=1e-13)
    np.testing.assert_allclose(h_n, np.stack(last), rtol=1e-13)
    out2, h_n2 = bidirectional_rnn_forward(x, h0[:2], {k: v for k, v in p.items() if "_l0" in k})
    assert out2.shape == (N, T, 2 * H) and h_n2.shape == (2, N, H)
    uni = {k: v for k, v in init_deep("rnn", D, H, rng, num_layers=3).items()}
    out3, h_n3 = stacked_rnn_forward(x, h0[:3], uni)
    assert out3.shape == (N, T, H) and h_n3.shape == (3, N, H)


def test_float32_in_float32_out_and_zero_state_default():
    rng = np.random.default_rng(8)
    p = init_deep("lstm", 3, 4, rng, num_layers=2, bidirectional=True, dtype=np.float32)
    x = rng.normal(size=(2, 3, 3)).astype(np.float32)
    out, (h_n, c_n), cache = deep_forward("lstm", p, x)
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32
    dx, ds0, g = deep_backward("lstm", p, cache, np.ones_like(out))
    assert dx.dtype == np.float32 and all(v.dtype == np.float32 for v in g.values())
    zeros = (np.zeros((4, 2, 4), np.float32),) * 2
    np.testing.assert_array_equal(deep_forward("lstm", p, x, zeros)[0], out)


def test_clear_errors():
    rng = np.random.default_rng(9)
    p = init_deep("gru", 3, 4, rng, num_layers=2)
    x = rng.normal(size=(2, 3, 3))
    with pytest.raises(ValueError, match=r"\(L\*dirs, N, size\) = \(2, 2, size\)"):
        deep_forward("gru", p, x, np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match=r"numbered 0\.\.L-1"):
        deep_layout({param_name("W_ih", 1): 0})
    with pytest.raises(ValueError, match="mixed parameter names"):
        deep_layout({"W_ih": 0, "W_ih_l0": 0})
    with pytest.raises(ValueError, match="no '_reverse' keys"):
        stacked_rnn_forward(x, np.zeros((2, 2, 4)), init_deep("rnn", 3, 4, rng, bidirectional=True))
    with pytest.raises(ValueError, match="weight_ih_l1 reads 4 features, but layer 0 gives 8"):
        sd = to_state_dict(init_deep("rnn", 3, 4, rng, num_layers=2, bidirectional=True))
        sd = {k: v for k, v in sd.items()}
        sd["weight_ih_l1"] = sd["weight_ih_l1"][:, :4]
        from_torch(sd, "rnn")
