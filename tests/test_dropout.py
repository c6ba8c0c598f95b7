"""rnncourse.dropout (inverted dropout, variational masks) and the trainer's regularisation."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.dropout import dropout_backward, dropout_forward, dropout_mask, variational_mask
from rnncourse.gradcheck import numerical_gradient, rel_error
from rnncourse.rnn import rnn_backward, rnn_forward
from rnncourse.training import _loss_and_grads, init_char_rnn, train_charmodel


def test_mask_keeps_expectation_and_drops_a_fraction_p():
    m = dropout_mask((200, 500), 0.3, np.random.default_rng(0))
    assert set(np.unique(m)) == {0.0, 1.0 / 0.7}
    assert abs((m == 0).mean() - 0.3) < 0.01
    assert abs(m.mean() - 1.0) < 0.01


def test_mask_is_made_from_the_rng_only():
    a = dropout_mask((3, 4), 0.5, np.random.default_rng(7))
    b = dropout_mask((3, 4), 0.5, np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert dropout_mask((2, 2), 0.5, np.random.default_rng(0), np.float32).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.0])
def test_mask_refuses_a_probability_outside_0_1(p):
    with pytest.raises(ValueError, match="dropout probability"):
        dropout_mask((2,), p, np.random.default_rng(0))


def test_eval_mode_is_the_identity_and_train_mode_needs_an_rng():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    y, mask = dropout_forward(x, 0.5, train=False)
    assert mask is None and np.array_equal(y, x) and y is not x
    assert np.array_equal(dropout_backward(x, None), x)
    with pytest.raises(ValueError, match="rng"):
        dropout_forward(x, 0.5)


def test_backward_matches_numerical_gradient_with_the_same_mask():
    rng = np.random.default_rng(1)
    x, dy = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    _, mask = dropout_forward(x, 0.4, np.random.default_rng(2))
    num = numerical_gradient(lambda v: dropout_forward(v, 0.4, mask=mask)[0], x, dy)
    assert rel_error(dropout_backward(dy, mask), num) < 1e-8


def test_variational_mask_is_the_same_at_every_step():
    m = variational_mask(3, 5, 0.5, np.random.default_rng(0))
    assert m.shape == (3, 1, 5)
    y, _ = dropout_forward(np.ones((3, 7, 5)), 0.5, mask=m)
    assert all(np.array_equal(y[:, t], y[:, 0]) for t in range(7))
    assert not np.array_equal(y[0], y[1]) or not np.array_equal(y[1], y[2])  # per sequence


def _ce(logits, targets):
    from rnncourse.losses import softmax_cross_entropy

    return softmax_cross_entropy(logits, targets)


def test_trainer_gradients_with_output_dropout_match_numerical_ones():
    """The mask goes through backward: the trainer's gradient of the dropped-out model."""
    rng = np.random.default_rng(3)
    V, H, N, T = 5, 4, 2, 3
    params = init_char_rnn(V, H, rng)
    ids = rng.integers(0, V, size=(N, T + 1))
    x, targets = np.eye(V)[ids[:, :-1]], ids[:, 1:]
    h0 = rng.normal(size=(N, H))

    def loss_of(p):
        drop = (0.5, np.random.default_rng(9))  # the same mask on every call
        return _loss_and_grads(p, x, targets, h0, rnn_forward, rnn_backward, _ce, drop)

    _, grads, _ = loss_of(params)
    for k in params:

        def f(w, k=k):
            return np.array(loss_of({**params, k: w})[0])

        num = numerical_gradient(f, params[k], np.array(1.0))
        assert rel_error(grads[k], num) < 1e-6, k


def _tiny(**kw):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, size=2000)
    params = init_char_rnn(6, 8, np.random.default_rng(1))
    return train_charmodel(params, ids[:1500], ids[1500:], steps=20, N=4, T=8,
                           eval_every=10, **kw)  # fmt: skip


def test_regularisation_is_off_by_default_to_the_bit():
    p0, h0 = _tiny()
    p1, h1 = _tiny(dropout=0.0, weight_decay=0.0, seed=5)
    assert h0["loss"] == h1["loss"] and all(np.array_equal(p0[k], p1[k]) for k in p0)


def test_dropout_and_weight_decay_change_training_and_are_seeded():
    _, base = _tiny()
    _, d1 = _tiny(dropout=0.3, seed=1)
    _, d2 = _tiny(dropout=0.3, seed=1)
    _, d3 = _tiny(dropout=0.3, seed=2)
    _, wd = _tiny(weight_decay=0.1)
    assert d1["loss"] == d2["loss"] != d3["loss"]
    assert d1["loss"] != base["loss"] and wd["loss"] != base["loss"]
    assert wd["loss"][0] == base["loss"][0]  # weight decay acts on the update, not the loss


def test_weight_decay_spares_the_biases():
    """With lr and decay only (zero data gradient impossible here), compare one SGD step."""
    from rnncourse.optim import sgd_step

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, size=400)
    params = init_char_rnn(6, 8, np.random.default_rng(1))
    kw = dict(steps=1, N=2, T=8, eval_every=10, step=sgd_step, lr=0.1, max_norm=1e9)
    a, _ = train_charmodel(params, ids[:300], ids[300:], **kw)
    b, _ = train_charmodel(params, ids[:300], ids[300:], weight_decay=0.5, **kw)
    for k in params:
        if k.startswith("W_"):
            assert np.allclose(b[k], a[k] - 0.1 * 0.5 * params[k]), k
        else:
            assert np.array_equal(a[k], b[k]), k
