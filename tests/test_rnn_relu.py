"""The ReLU RNN ("rnn-relu"): numerical gradients, torch.nn.RNN(nonlinearity="relu") forward and
backward, the registry and torch_interop, and the identity / orthogonal initialisations."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.cells import CELLS
from rnncourse.gradcheck import check_gradients, rel_error
from rnncourse.rnn_relu import init_recurrent, rnn_relu_backward, rnn_relu_forward
from rnncourse.torch_interop import from_torch, to_state_dict, to_torch

N, T, D, H = 3, 6, 4, 5


def problem(seed=0):
    rng = np.random.default_rng(seed)
    p = CELLS["rnn-relu"].init(D, H, rng)
    x = rng.normal(size=(N, T, D))
    h0 = np.abs(rng.normal(size=(N, H)))
    return p, x, h0, rng


def test_backward_matches_numerical_gradients():
    p, x, h0, rng = problem()
    h = rnn_relu_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
    assert 0.2 < float((h > 0).mean()) < 0.9  # both sides of the kink are exercised
    inputs = {"x": x, "h0": h0, **p}

    def backward(dh, h):
        g = rnn_relu_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
        return dict(zip(["x", "h0", "W_xh", "W_hh", "b_h"], g, strict=True))

    report = check_gradients(rnn_relu_forward, backward, inputs, rng=rng)
    assert report.ok(1e-7), report.worst


@pytest.mark.torch
def test_forward_and_backward_match_torch(torch):
    p, x, h0, rng = problem(1)
    module = to_torch(p, "rnn-relu", batch_first=True)
    assert module.nonlinearity == "relu"
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, h_n = module(xt, h0t)
    h = rnn_relu_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
    assert rel_error(h, out.detach().numpy()) < 1e-13
    assert rel_error(h[:, -1], h_n[0].detach().numpy()) < 1e-13
    dh = rng.normal(size=h.shape)
    out.backward(torch.tensor(dh))
    dx, dh0, dW_xh, dW_hh, db_h = rnn_relu_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
    assert rel_error(dx, xt.grad.numpy()) < 1e-12
    assert rel_error(dh0, h0t.grad[0].numpy()) < 1e-12
    assert rel_error(dW_xh, module.weight_ih_l0.grad.numpy()) < 1e-12
    assert rel_error(dW_hh, module.weight_hh_l0.grad.numpy()) < 1e-12
    assert rel_error(db_h, module.bias_ih_l0.grad.numpy()) < 1e-12  # b_h = bias_ih + bias_hh


@pytest.mark.torch
def test_torch_interop_tells_relu_from_tanh(torch):
    torch.manual_seed(0)
    relu = torch.nn.RNN(D, H, nonlinearity="relu", batch_first=True, dtype=torch.float64)
    tanh = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    p = from_torch(relu)  # the module's options choose the cell
    assert from_torch(relu, "rnn-relu").keys() == p.keys()
    with pytest.raises(ValueError, match=r"cell='rnn', but the module"):
        from_torch(relu, "rnn")
    with pytest.raises(ValueError, match=r"cell='rnn-relu', but the module"):
        from_torch(tanh, "rnn-relu")
    _, x, h0, _ = problem(2)
    with torch.no_grad():
        out, _ = relu(torch.tensor(x), torch.tensor(h0[None]))
    h, _ = CELLS["rnn-relu"].forward(p, x, h0)
    assert rel_error(h, out.numpy()) < 1e-13
    sd = to_state_dict(p, "rnn-relu")
    assert np.array_equal(from_torch(sd, "rnn-relu")["b_h"], p["b_h"])


def test_step_backward_is_one_step_of_the_sequence_backward():
    p, x, h0, rng = problem(3)
    cell = CELLS["rnn-relu"]
    h, cache = cell.forward(p, x[:, :1], h0)
    dh = rng.normal(size=h.shape)
    dx, (dh0,), g = cell.backward(p, x[:, :1], h0, h, cache, dh)
    sx, (sh0,), sg = cell.step_backward(p, x[:, 0], (h0,), (h[:, 0],), (dh[:, 0],))
    np.testing.assert_allclose(sx, dx[:, 0])
    np.testing.assert_allclose(sh0, dh0)
    for k in g:
        np.testing.assert_allclose(sg[k], g[k])


def test_identity_and_orthogonal_initialisations():
    rng = np.random.default_rng(0)
    irnn = CELLS["rnn-relu"].init(D, H, rng, recurrent="identity")
    assert np.array_equal(irnn["W_hh"], np.eye(H)) and not irnn["b_h"].any()
    orth = CELLS["rnn"].init(D, H, rng, recurrent="orthogonal", recurrent_scale=0.9)
    assert np.allclose(np.linalg.svd(orth["W_hh"], compute_uv=False), 0.9)
    # the default draw is unchanged (PyTorch's), with and without the option spelled out
    a = CELLS["rnn"].init(D, H, np.random.default_rng(5))
    b = CELLS["rnn"].init(D, H, np.random.default_rng(5), recurrent=None)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="identity' or 'orthogonal"):
        init_recurrent(np.eye(2), "eye", rng)
    # an IRNN with zero input copies its state: the identity preserves h and its gradient
    h0 = np.abs(rng.normal(size=(2, H)))
    h = rnn_relu_forward(np.zeros((2, 50, D)), h0, irnn["W_xh"], irnn["W_hh"], irnn["b_h"])
    np.testing.assert_array_equal(h[:, -1], h0)
