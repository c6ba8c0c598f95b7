"""The sequence model: gradients through cell, output layer and loss; training learns."""

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradients
from rnncourse.models import count_params, init_model, model_forward, model_loss, train
from rnncourse.optim import Adam

CASES = [
    ("many-to-one", "cross_entropy"),
    ("many-to-many", "cross_entropy"),
    ("many-to-one", "mse"),
    ("many-to-many", "mse"),
]


def targets_for(rng, task, loss, N, T, K):
    if loss == "cross_entropy":
        return rng.integers(0, K, size=(N,) if task == "many-to-one" else (N, T))
    return rng.normal(size=(N, K) if task == "many-to-one" else (N, T, K))


@pytest.mark.parametrize(
    "task,loss,masked",
    [(*c, False) for c in CASES] + [(*c, True) for c in CASES if c[0] == "many-to-many"],
)
def test_model_gradients_numerical(task, loss, masked):
    rng = np.random.default_rng(0)
    N, T, D, H, K = 3, 5, 2, 4, 3
    params = init_model("rnn", D, H, K, rng)
    x = rng.normal(size=(N, T, D))
    t = targets_for(rng, task, loss, N, T, K)
    mask = rng.random((N, T)) > 0.4 if masked else None
    names = list(params)

    def forward(**p):
        return np.array(model_loss(p, x, t, task=task, loss=loss, mask=mask)[0])

    def backward(dout, out):
        _, g = model_loss(params, x, t, task=task, loss=loss, mask=mask)
        return {k: float(dout) * g[k] for k in names}

    report = check_gradients(forward, backward, params, rng=rng)
    assert report.max_rel_error < 1e-6, str(report)  # a scalar loss: 1e-6 suffices


def test_forward_shapes_and_param_count():
    rng = np.random.default_rng(1)
    p = init_model("rnn", D=3, H=7, K=2, rng=rng)
    assert count_params(p) == 7 * 3 + 7 * 7 + 7 + 2 * 7 + 2
    for T in (1, 5, 40):  # the same parameters for any length
        y, h = model_forward(p, rng.normal(size=(4, T, 3)), task="many-to-many")
        assert y.shape == (4, T, 2) and h.shape == (4, T, 7)


def test_unknown_cell_and_task_are_explained():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown cell 'lstmm'"):
        init_model("lstmm", 1, 2, 3, rng)
    p = init_model("rnn", 1, 2, 3, rng)
    with pytest.raises(ValueError, match="task must be"):
        model_loss(p, np.zeros((1, 2, 1)), np.zeros(1, dtype=int), task="seq2seq")


def test_training_learns_a_memory_task():
    """Classify a sequence by its first symbol after 5 steps: chance is 1/3."""
    rng = np.random.default_rng(0)
    p = init_model("rnn", D=3, H=16, K=3, rng=rng)

    def batch(n):
        first = rng.integers(0, 3, size=n)
        x = np.zeros((n, 6, 3))
        x[np.arange(n), 0, first] = 1.0
        x[:, 1:] = rng.normal(scale=0.1, size=(n, 5, 3))
        return x, first

    def step(params, i):
        x, t = batch(32)
        return model_loss(params, x, t)

    hist = train(p, step, Adam(lr=0.01), steps=300, clip_norm=1.0)
    assert hist["loss"][-1] < 0.1 < np.log(3) - 0.5 < hist["loss"][0] + 0.5
    x, t = batch(500)
    y, _ = model_forward(p, x)
    assert np.mean(y.argmax(-1) == t) > 0.95
