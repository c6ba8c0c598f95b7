"""Chirp classification: the bag-of-features baseline cannot see order; the RNN can."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.experiments.classify import (
    ClassifyConfig,
    accuracy,
    bag_features,
    classify_loss,
    confusion,
    predict,
    train_bag_baseline,
    train_classifier,
)
from rnncourse.gradcheck import check_gradients
from rnncourse.models import init_model
from rnncourse.tasks import chirp_signals

CELLS = ["rnn", "lstm", "gru"]


@pytest.mark.parametrize("cell", CELLS)
def test_classify_loss_gradients(cell):
    rng = np.random.default_rng(0)
    params = init_model(cell, 2, 4, 3, rng)
    x = rng.standard_normal((5, 6, 2))
    labels = rng.integers(0, 3, size=5)

    def forward(**p):
        return np.array(classify_loss(p, x, labels)[0])

    def backward(dout, out):
        return {k: g * dout for k, g in classify_loss(params, x, labels)[1].items()}

    report = check_gradients(forward, backward, params, rng=rng)
    assert report.ok(1e-7), str(report)


def test_bag_features_ignore_order():
    x, _ = chirp_signals(20, 32, np.random.default_rng(1))
    np.testing.assert_allclose(bag_features(x), bag_features(x[:, ::-1]), atol=1e-12)
    assert not np.allclose(x, x[:, ::-1])


def test_bag_baseline_separates_steady_tones_but_not_the_direction():
    rng = np.random.default_rng(2)
    x, labels = chirp_signals(1500, 40, rng)
    xt, lt = chirp_signals(600, 40, rng)
    W, b, mean, std = train_bag_baseline(bag_features(x), labels)
    pred = (((bag_features(xt) - mean) / std) @ W.T + b).argmax(axis=1)
    c = confusion(pred, lt)
    assert c[2, 2] / c[2].sum() > 0.9  # steady tones: recognised
    chirps = lt < 2
    assert abs(accuracy(pred[chirps], lt[chirps]) - 0.5) < 0.1  # rising vs falling: a coin toss


def test_a_short_lstm_run_beats_the_bag():
    config = ClassifyConfig(cell="lstm", H=16, T=30, N=32, steps=120, lr=1e-2)
    params, history = train_classifier(config, np.random.default_rng(3))
    x, labels = chirp_signals(400, 30, np.random.default_rng(4))
    assert np.mean(history["loss"][-10:]) < 0.5 * history["loss"][0]
    assert accuracy(predict(params, x), labels) > 0.8


def test_accuracy_and_confusion():
    pred, labels = np.array([0, 2, 1, 1]), np.array([0, 1, 1, 1])
    assert accuracy(pred, labels) == 0.75
    assert confusion(pred, labels).tolist() == [[1, 0, 0], [0, 2, 1], [0, 0, 0]]
