"""The sequence model with gated cells: gradients through cell, output layer and loss; training."""

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradients
from rnncourse.models import count_params, init_model, model_forward, model_loss, train
from rnncourse.optim import Adam
from rnncourse.tasks import adding_problem

GATED = [
    ("lstm", {}),
    ("lstm", {"P": 2}),
    ("lstm", {"forget_bias": 1.0}),
    ("gru", {}),
    ("gru-cho", {}),
]
TASKS = [
    ("many-to-one", "cross_entropy"),
    ("many-to-many", "mse"),
    ("many-to-many", "cross_entropy"),
]


def targets_for(rng, task, loss, N, T, K):
    if loss == "cross_entropy":
        return rng.integers(0, K, size=(N,) if task == "many-to-one" else (N, T))
    return rng.normal(size=(N, K) if task == "many-to-one" else (N, T, K))


# every task for the two main cells; one task (per-step outputs) for the other options
CASES = [(c, kw, *t) for c, kw in GATED[:1] + GATED[3:4] for t in TASKS] + [
    (c, kw, *TASKS[2]) for c, kw in GATED[1:3] + GATED[4:]
]


@pytest.mark.parametrize("cell,kw,task,loss", CASES)
def test_model_gradients_numerical(cell, kw, task, loss):
    rng = np.random.default_rng(0)
    N, T, D, H, K = 3, 4, 2, 5, 3
    params = init_model(cell, D, H, K, rng, **kw)
    x = rng.normal(size=(N, T, D))
    t = targets_for(rng, task, loss, N, T, K)
    h0 = 0.5 * rng.normal(size=(N, kw.get("P", H)))  # a non-zero start state is checked too

    def forward(**p):
        return np.array(model_loss(p, x, t, cell=cell, task=task, loss=loss, h0=h0)[0])

    def backward(dout, out):
        _, g = model_loss(params, x, t, cell=cell, task=task, loss=loss, h0=h0)
        assert sorted(g) == sorted(params)
        return {k: float(dout) * g[k] for k in params}

    report = check_gradients(forward, backward, params, rng=rng)
    assert report.max_rel_error < 1e-6, str(report)  # a scalar loss: 1e-6 suffices


def test_parameter_names_and_counts():
    rng = np.random.default_rng(1)
    D, H, K = 3, 7, 2
    lstm = init_model("lstm", D, H, K, rng)
    assert sorted(lstm) == ["W_hh", "W_hy", "W_ih", "b", "b_y"]
    assert count_params(lstm) == 4 * H * (D + H + 1) + K * (H + 1)
    proj = init_model("lstm", D, H, K, rng, P=4)
    assert proj["W_hr"].shape == (4, H) and proj["W_hy"].shape == (K, 4)
    gru = init_model("gru", D, H, K, rng, dtype=np.float32)
    assert count_params(gru) == 3 * H * (D + H + 2) + K * (H + 1)
    assert all(v.dtype == np.float32 for v in gru.values())
    for cell, p in [("lstm", lstm), ("lstm", proj), ("gru", gru)]:
        x = rng.normal(size=(4, 6, D)).astype(next(iter(p.values())).dtype)
        y, h = model_forward(p, x, cell=cell, task="many-to-many")
        assert y.shape == (4, 6, K) and h.shape[:2] == (4, 6)
        assert y.dtype == x.dtype


def test_variants_of_the_gru_differ_in_the_model():
    rng = np.random.default_rng(2)
    p = init_model("gru", 2, 4, 1, rng)
    x = rng.normal(size=(3, 5, 2))
    y1, _ = model_forward(p, x, cell="gru")
    y2, _ = model_forward(p, x, cell="gru-cho")
    assert np.abs(y1 - y2).max() > 1e-4


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_learn_the_adding_problem_at_short_length(cell):
    """T = 10 adding problem: beat the predict-the-mean baseline (MSE 1/6) by a wide margin."""
    rng = np.random.default_rng(0)
    p = init_model(cell, D=2, H=16, K=1, rng=rng)

    def step(params, i):
        x, y = adding_problem(32, 10, rng)
        return model_loss(params, x, y, cell=cell, loss="mse")

    train(p, step, Adam(lr=0.01), steps=300, clip_norm=1.0)
    x, y = adding_problem(500, 10, np.random.default_rng(99))
    pred, _ = model_forward(p, x, cell=cell)
    mse = float(np.mean((pred[:, 0] - y) ** 2))
    assert mse < 0.02, mse
