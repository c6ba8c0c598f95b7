"""Optimisers and clipping: behaviour that does not need PyTorch to check."""

import numpy as np
import pytest

from rnncourse.optim import SGD, Adam, Momentum, clip_grad_norm, global_norm


def grads_of(rng):
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4) * 10}


def test_clip_keeps_direction_and_reaches_max_norm():
    rng = np.random.default_rng(0)
    g = grads_of(rng)
    clipped, total = clip_grad_norm(g, 1.0)
    assert total == pytest.approx(global_norm(g))
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-5)
    for k in g:  # same direction: a positive multiple
        ratio = clipped[k] / g[k]
        np.testing.assert_allclose(ratio, ratio.flat[0])
        assert ratio.flat[0] > 0


def test_clip_never_scales_up_and_never_mutates():
    rng = np.random.default_rng(1)
    g = grads_of(rng)
    before = {k: v.copy() for k, v in g.items()}
    clipped, total = clip_grad_norm(g, max_norm=1e6)
    for k in g:
        np.testing.assert_array_equal(g[k], before[k])  # inputs untouched
        np.testing.assert_array_equal(clipped[k], before[k])  # no scaling up
        assert clipped[k] is not g[k]
    clip_grad_norm(g, 1e-3)
    for k in g:
        np.testing.assert_array_equal(g[k], before[k])


def test_clip_keeps_dtype_and_handles_zero():
    g = {"a": np.ones(3, dtype=np.float32)}
    clipped, _ = clip_grad_norm(g, 0.5)
    assert clipped["a"].dtype == np.float32
    zero, total = clip_grad_norm({"a": np.zeros(3)}, 1.0)
    assert total == 0.0 and np.all(zero["a"] == 0)


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.05), lambda: Adam(0.1)])
def test_optimisers_minimise_a_quadratic(make):
    target = np.array([1.0, -2.0, 3.0])
    params = {"w": np.zeros(3)}
    view = params["w"]
    opt = make()
    for _ in range(300):
        opt.step(params, {"w": 2 * (params["w"] - target)})
    np.testing.assert_allclose(params["w"], target, atol=1e-2)
    assert params["w"] is view  # updated in place
