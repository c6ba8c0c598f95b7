"""rnncourse.gradient_flow (lessons 5-6): how the gradient travels back through time, the
spectral radius and the largest singular value, the Jacobian products."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse import gradient_flow as gf
from rnncourse.gradcheck import check_gradients
from rnncourse.rnn import rnn_backward, rnn_forward


@pytest.mark.parametrize("kind", ["gaussian", "orthogonal"])
@pytest.mark.parametrize("rho", [0.5, 0.9, 1.3])
def test_random_recurrent_weights_have_the_requested_radius(kind, rho):
    W = gf.random_recurrent_weights(40, rho, np.random.default_rng(1), kind=kind)
    assert gf.spectral_radius(W) == pytest.approx(rho, rel=1e-10)
    assert gf.largest_singular_value(W) >= gf.spectral_radius(W) - 1e-12
    if kind == "orthogonal":
        s = np.linalg.svd(W, compute_uv=False)
        np.testing.assert_allclose(s, rho, rtol=1e-10)


def test_random_recurrent_weights_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        gf.random_recurrent_weights(4, 1.0, np.random.default_rng(0), kind="sparse")


def test_hidden_gradients_match_rnn_backward():
    """Feeding dh only at the last step, rnn_backward's dh0 is one more step of the same chain."""
    rng = np.random.default_rng(3)
    N, T, D, H = 3, 7, 2, 5
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H))
    W_xh, W_hh, b_h = rng.normal(size=(H, D)), rng.normal(size=(H, H)) * 0.5, rng.normal(size=H)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dh_T = rng.normal(size=(N, H))
    g = gf.hidden_gradients(dh_T, h, W_hh)
    for t in range(1, T + 1):  # dL/dh_t via rnn_backward on the sequence h_t..h_T
        dh = np.zeros((N, T - t, H))
        if T - t > 0:
            dh[:, -1] = dh_T
            _, dh_start, *_ = rnn_backward(dh, x[:, t:], h[:, t - 1], h[:, t:], W_xh, W_hh)
        else:
            dh_start = dh_T
        np.testing.assert_allclose(g[:, t - 1], dh_start, rtol=1e-12, atol=1e-14)


def test_hidden_gradients_against_finite_differences():
    """dL/dh_1 from the chain equals the numerical derivative of L = sum(h_T * dh_T) in h_1."""
    rng = np.random.default_rng(4)
    N, T, H = 2, 5, 4
    W_hh = rng.normal(size=(H, H))
    x_proj = rng.normal(size=(N, T, H))  # inputs already projected (W_xh = I)
    h1 = np.tanh(rng.normal(size=(N, H)))

    def run(h1):
        h = [h1]
        for t in range(1, T):
            h.append(np.tanh(x_proj[:, t] + h[-1] @ W_hh.T))
        return np.stack(h, axis=1)

    dh_T = rng.normal(size=(N, H))
    g = gf.hidden_gradients(dh_T, run(h1), W_hh)
    report = check_gradients(
        lambda h1: run(h1)[:, -1],
        lambda d, out: {"h1": g[:, 0]},
        {"h1": h1},
        rng=np.random.default_rng(0),
    )
    # check_gradients draws its own dout; redo with ours:
    from rnncourse.gradcheck import numerical_gradient

    num = numerical_gradient(lambda v: run(v)[:, -1], h1, dh_T)
    np.testing.assert_allclose(g[:, 0], num, rtol=1e-6, atol=1e-9)
    assert report.entries  # the helper ran


def test_gradient_norm_curve_vanishes_and_explodes():
    small = gf.gradient_norm_curve(0.5, 60, H=32)
    large = gf.gradient_norm_curve(1.5, 60, H=32)
    assert small[-1] == 1.0 and large[-1] == 1.0
    assert small[0] < 1e-8  # vanishes
    assert large[0] > 1.0  # grows
    assert np.all(np.diff(np.log(small)) > 0)  # monotone for a contracting W_hh


def test_pascanu_sufficient_condition_bounds_the_product():
    """sigma_max < 1 -> every product norm <= sigma_max**k (tanh' <= 1)."""
    rng = np.random.default_rng(5)
    H, T = 32, 40
    W = gf.random_recurrent_weights(H, 0.8, rng, kind="orthogonal")
    h = rnn_forward(rng.normal(size=(1, T, H)), np.zeros((1, H)), np.eye(H), W, np.zeros(H))[0]
    norms = gf.jacobian_product_norms(h, W)
    k = np.arange(1, T)
    assert np.all(norms <= 0.8**k + 1e-12)


def test_vanishes_although_largest_singular_value_above_one():
    """The case the lesson shows: Gaussian W_hh, rho = 0.9, sigma_max ~ 1.6."""
    rng = np.random.default_rng(0)
    W = gf.random_recurrent_weights(128, 0.9, rng)
    assert gf.largest_singular_value(W) > 1.5
    r = gf.gradient_norm_curve(0.9, 100, H=128, seed=0)
    assert r[0] < 1e-4


def test_jacobian_product_norms_match_explicit_products():
    rng = np.random.default_rng(6)
    T, H = 6, 3
    h = np.tanh(rng.normal(size=(T, H)))
    W = rng.normal(size=(H, H))
    P = np.eye(H)
    for k in range(1, T):
        P = P @ (np.diag(1 - h[T - k] ** 2) @ W)
        assert gf.jacobian_product_norms(h, W)[k - 1] == pytest.approx(np.linalg.norm(P, 2))


def test_old_path_reexports_the_same_functions():
    """``rnncourse.experiments.gradient_flow`` keeps working for one release (lessons use it)."""
    from rnncourse.experiments import gradient_flow as old

    assert old.__all__ == gf.__all__
    for name in gf.__all__:
        assert getattr(old, name) is getattr(gf, name), name
