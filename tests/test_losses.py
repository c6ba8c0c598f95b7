"""Softmax, cross-entropy and MSE: values, stability at extreme logits, gradients."""

import warnings

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradients
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import log_softmax, mse_loss, softmax, softmax_cross_entropy


def test_softmax_rows_sum_to_one_and_shift_invariant():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3, 5))
    p = softmax(z)
    np.testing.assert_allclose(p.sum(-1), 1.0)
    np.testing.assert_allclose(softmax(z + 1000.0), p)
    np.testing.assert_allclose(np.exp(log_softmax(z)), p)


@pytest.mark.parametrize("big", [1e2, 1e3, 1e4])
def test_stable_for_extreme_logits_without_warnings(big):
    logits = np.array([[big, -big, 0.0], [-big, big, big], [0.0, 0.0, 0.0]])
    targets = np.array([0, 0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no divide-by-zero, no invalid value
        with np.errstate(all="raise", under="ignore"):
            loss, dlogits = softmax_cross_entropy(logits, targets)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    # row 0: right with certainty; row 1: -log p0 = 2 big + log 2; row 2: uniform, log 3
    expected = (0.0 + (2 * big + np.log(2.0)) + np.log(3.0)) / 3
    assert loss == pytest.approx(expected, rel=1e-12)


def test_float32_stays_float32():
    logits = np.array([[1e4, 0.0], [0.0, -1e4]], dtype=np.float32)
    loss, d = softmax_cross_entropy(logits, np.array([1, 1]))
    assert d.dtype == np.float32 and np.isfinite(loss)


def test_cross_entropy_uniform_is_log_k():
    loss, _ = softmax_cross_entropy(np.zeros((6, 7, 5)), np.zeros((6, 7), dtype=int))
    assert loss == pytest.approx(np.log(5))


def test_target_shape_is_checked():
    with pytest.raises(ValueError, match=r"logits.shape\[:-1\]"):
        softmax_cross_entropy(np.zeros((3, 4)), np.zeros(4, dtype=int))


@pytest.mark.parametrize("lead", [(5,), (3, 4), (2, 3, 2)])
def test_cross_entropy_gradient_numerical(lead):
    rng = np.random.default_rng(len(lead))
    K = 4
    logits = 3 * rng.normal(size=(*lead, K))
    targets = rng.integers(0, K, size=lead)

    def forward(logits):
        return np.array(softmax_cross_entropy(logits, targets)[0])

    def backward(dout, out):
        return {"logits": float(dout) * softmax_cross_entropy(logits, targets)[1]}

    report = check_gradients(forward, backward, {"logits": logits}, rng=rng)
    assert report.max_rel_error < 1e-7, str(report)


def test_mse_gradient_numerical():
    rng = np.random.default_rng(3)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))

    def forward(pred):
        return np.array(mse_loss(pred, target)[0])

    report = check_gradients(
        forward,
        lambda d, o: {"pred": float(d) * mse_loss(pred, target)[1]},
        {"pred": pred},
        rng=rng,
    )
    assert report.max_rel_error < 1e-7


@pytest.mark.parametrize("lead", [(4,), (3, 5)])
def test_output_layer_gradients_numerical(lead):
    rng = np.random.default_rng(5)
    H, K = 6, 3
    inputs = dict(
        h=rng.normal(size=(*lead, H)), W_hy=rng.normal(size=(K, H)), b_y=rng.normal(size=K)
    )

    def backward(dy, y):
        dh, dW_hy, db_y = output_backward(dy, inputs["h"], inputs["W_hy"])
        return {"h": dh, "W_hy": dW_hy, "b_y": db_y}

    report = check_gradients(output_forward, backward, inputs, rng=rng)
    assert report.max_rel_error < 1e-7, str(report)
