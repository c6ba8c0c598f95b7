"""The vanilla RNN, output layer, loss, clipping and optimisers against PyTorch (float64)."""

import os

import numpy as np
import pytest

from rnncourse.gradcheck import rel_error
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import softmax_cross_entropy
from rnncourse.optim import SGD, Adam, Momentum, clip_grad_norm
from rnncourse.rnn import rnn_backward, rnn_forward

if os.environ.get("RNNCOURSE_REQUIRE_ALL") == "1":
    import torch  # must be installed: fail loudly rather than skip
else:
    torch = pytest.importorskip(
        "torch", reason="torch is a test dependency: pip install torch==2.13.0"
    )

pytestmark = pytest.mark.torch
SIZES = [(1, 1, 1, 1), (1, 25, 6, 10), (3, 7, 4, 5), (8, 12, 3, 16), (20, 30, 3, 24)]


@pytest.fixture(autouse=True)
def _float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_rnn_forward_backward_match_torch(N, T, D, H):
    torch.manual_seed(N * 100 + T)
    rnn = torch.nn.RNN(D, H, batch_first=True, nonlinearity="tanh")
    sd = {k: v.detach().numpy() for k, v in rnn.state_dict().items()}
    W_xh, W_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
    b_h = sd["bias_ih_l0"] + sd["bias_hh_l0"]  # the package keeps one bias

    rng = np.random.default_rng(T)
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H)) * 0.5
    dh = rng.normal(size=(N, T, H))

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, h_n = rnn(xt, h0t)
    (out * torch.tensor(dh)).sum().backward()

    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    assert rel_error(h, out.detach().numpy()) < 1e-10
    assert rel_error(h[:, -1], h_n.detach().numpy()[0]) < 1e-10

    dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    assert rel_error(dh0, h0t.grad.numpy()[0]) < 1e-10
    assert rel_error(dW_xh, rnn.weight_ih_l0.grad.numpy()) < 1e-10
    assert rel_error(dW_hh, rnn.weight_hh_l0.grad.numpy()) < 1e-10
    assert rel_error(db_h, rnn.bias_ih_l0.grad.numpy()) < 1e-10
    assert rel_error(db_h, rnn.bias_hh_l0.grad.numpy()) < 1e-10


def test_output_layer_and_loss_match_torch():
    rng = np.random.default_rng(0)
    N, T, H, K = 3, 5, 6, 4
    h = rng.normal(size=(N, T, H))
    W_hy, b_y = rng.normal(size=(K, H)), rng.normal(size=K)
    targets = rng.integers(0, K, size=(N, T))

    ht = torch.tensor(h, requires_grad=True)
    lin = torch.nn.Linear(H, K)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W_hy))
        lin.bias.copy_(torch.tensor(b_y))
    logits_t = lin(ht)
    loss_t = torch.nn.functional.cross_entropy(
        logits_t.reshape(-1, K), torch.tensor(targets).reshape(-1)
    )
    loss_t.backward()

    logits = output_forward(h, W_hy, b_y)
    loss, dlogits = softmax_cross_entropy(logits, targets)
    dh, dW_hy, db_y = output_backward(dlogits, h, W_hy)
    assert abs(loss - loss_t.item()) < 1e-12
    assert rel_error(dh, ht.grad.numpy()) < 1e-10
    assert rel_error(dW_hy, lin.weight.grad.numpy()) < 1e-10
    assert rel_error(db_y, lin.bias.grad.numpy()) < 1e-10


def test_extreme_logits_match_torch():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4 + 1]])
    targets = np.array([1, 2])
    lt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(lt, torch.tensor(targets))
    ref.backward()
    loss, dlogits = softmax_cross_entropy(logits, targets)
    assert abs(loss - ref.item()) / ref.item() < 1e-12
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), atol=1e-15)


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 100.0])
def test_clip_grad_norm_matches_torch(max_norm):
    rng = np.random.default_rng(1)
    grads = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    params = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
    for p, g in zip(params, grads.values(), strict=True):
        p.grad = torch.tensor(g)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    clipped, norm = clip_grad_norm(grads, max_norm)
    assert abs(norm - total.item()) < 1e-12
    for p, g in zip(params, clipped.values(), strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (lambda: SGD(lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
        (lambda: Momentum(lr=0.1, mu=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
        (lambda: Adam(lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_optimisers_match_torch(ours, theirs):
    rng = np.random.default_rng(2)
    params = {"w": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    tparams = [torch.tensor(v.copy(), requires_grad=True) for v in params.values()]
    opt, topt = ours(), theirs(tparams)
    for _ in range(5):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        for p, g in zip(tparams, grads.values(), strict=True):
            p.grad = torch.tensor(g)
        topt.step()
        opt.step(params, grads)
    for p, tp in zip(params.values(), tparams, strict=True):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)
