"""The memory-gradient experiment of lessons 7-8: ||dL/dh_t|| (and ||dL/dc_t||) through time
for each cell, against numerical state gradients, and its plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnncourse.experiments.memory_gradients import gradient_norms, plot_gradient_norms
from rnncourse.gradcheck import numerical_gradient
from rnncourse.lstm import lstm_forward
from rnncourse.models import init_model, model_forward
from rnncourse.rnn import rnn_forward
from rnncourse.widgets.gates import lstm_gate_traces


def _numeric_state_grads(cell, p, x, t):
    """dL/dh_t (and dL/dc_t) numerically: rerun the cell from step t + 1 with perturbed states."""
    N = x.shape[0]

    def y_from(h_t, c_t=None):
        rest = x[:, t + 1 :]
        if rest.shape[1] == 0:
            h_T = h_t
        elif cell == "rnn":
            h_T = rnn_forward(rest, h_t, p["W_xh"], p["W_hh"], p["b_h"])[:, -1]
        else:
            h_T = lstm_forward(rest, h_t, c_t, p["W_ih"], p["W_hh"], p["b"])[0][:, -1]
        return np.array(np.sum(h_T @ p["W_hy"].T))

    _, h = model_forward(p, x, cell=cell)
    if cell == "rnn":
        return numerical_gradient(lambda v: y_from(v), h[:, t].copy(), np.array(1.0)), None
    from rnncourse.models import CELLS

    _, c = CELLS["lstm"].forward(p, x, np.zeros((N, h.shape[2])))
    h_t, c_t = h[:, t].copy(), c[:, t].copy()
    # o_t is fixed by x_t and h_{t-1}; h_t = o_t * tanh(c_t) follows a change of c_t
    o_t = np.stack([lstm_gate_traces(x[n], p["W_ih"], p["W_hh"], p["b"])["o"][t] for n in range(N)])
    one = np.array(1.0)
    return (
        numerical_gradient(lambda v: y_from(v, c_t), h_t, one),
        numerical_gradient(lambda v: y_from(o_t * np.tanh(v), v), c_t, one),
    )


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_gradient_norms_match_numerical_state_gradients(cell):
    rng = np.random.default_rng(0)
    p = init_model(cell, D=2, H=3, K=1, rng=rng)
    x = rng.normal(size=(2, 5, 2))
    g = gradient_norms(cell, p, x)
    dh_T, _ = _numeric_state_grads(cell, p, x, 4)
    for t in range(5):
        dh, dc = _numeric_state_grads(cell, p, x, t)
        assert g["h"][t] == pytest.approx(np.linalg.norm(dh) / np.linalg.norm(dh_T), rel=1e-6)
        if cell == "lstm":
            assert g["c"][t] == pytest.approx(np.linalg.norm(dc) / np.linalg.norm(dh_T), rel=1e-6)


def test_gradient_norms_gru_and_plot():
    rng = np.random.default_rng(1)
    p = init_model("gru", D=2, H=3, K=1, rng=rng)
    g = gradient_norms("gru", p, rng.normal(size=(2, 6, 2)))
    assert g["h"].shape == (6,) and g["h"][-1] == 1.0 and "c" not in g
    before = plt.get_fignums()
    fig = plot_gradient_norms({"GRU": g["h"]})
    assert fig.axes[0].get_yscale() == "log" and plt.get_fignums() == before
    with pytest.raises(ValueError, match="cell"):
        gradient_norms("transformer", p, np.zeros((1, 2, 2)))
