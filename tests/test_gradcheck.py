"""Gradient checking is a tool the course trusts: it must agree, disagree and never mutate."""

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradients, numerical_gradient, rel_error


def test_rel_error_is_normwise():
    a = np.array([1.0, 1e-12])
    b = np.array([1.0, 2e-12])
    assert rel_error(a, b) < 1e-12  # an element-wise ratio would say 0.5
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == 1.0
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_with_upstream_and_tuple_output():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    x_before = x.copy()

    def f(v):
        return v**2, np.sin(v)

    dout = (np.ones_like(x), 2 * np.ones_like(x))
    g = numerical_gradient(f, x, dout)
    np.testing.assert_allclose(g, 2 * x + 2 * np.cos(x), rtol=1e-8)
    np.testing.assert_array_equal(x, x_before)


def test_check_gradients_reports_worst_entry_and_does_not_mutate():
    rng = np.random.default_rng(0)
    inputs = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    before = {k: v.copy() for k, v in inputs.items()}

    def forward(a, b):
        return np.tanh(a * b)

    def backward_wrong(dout, out):
        da = dout * (1 - out**2) * inputs["b"]
        da[1, 2] += 0.5  # one corrupted entry
        db = (dout * (1 - out**2) * inputs["a"]).sum(0)
        return {"a": da, "b": db}

    report = check_gradients(forward, backward_wrong, inputs, rng=rng)
    assert report["b"].rel_error < 1e-8
    assert report["a"].rel_error > 1e-3
    assert report.worst.name == "a" and report.worst.worst_index == (1, 2)
    assert not report.ok()
    assert "worst entry (1, 2)" in str(report)
    for k in inputs:
        np.testing.assert_array_equal(inputs[k], before[k])


def test_check_gradients_explains_missing_and_misshapen():
    rng = np.random.default_rng(0)
    inputs = {"a": np.ones(3)}
    with pytest.raises(KeyError, match="no gradient for 'a'"):
        check_gradients(lambda a: a * 2, lambda d, o: {}, inputs, rng=rng, wrt=["a"])
    with pytest.raises(ValueError, match="has shape"):
        check_gradients(lambda a: a * 2, lambda d, o: {"a": np.ones(4)}, inputs, rng=rng)
