"""The LSTM and GRU cell diagrams: figures returned, labelled elements present, nothing leaked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from rnncourse.diagrams.lstm import SIGMA, diagram_gids, gru_cell_diagram, lstm_cell_diagram


def _texts(fig: Figure) -> str:
    return (
        "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)
        + "\n"
        + "\n".join(ax.get_title() for ax in fig.axes)
    )


@pytest.mark.parametrize("projection", [True, False])
def test_lstm_diagram_has_every_gate_and_the_cell_line(projection):
    before = plt.get_fignums()
    fig = lstm_cell_diagram(projection=projection)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before
    gids = set(diagram_gids(fig))
    for gid in (
        "gate:i",
        "gate:f",
        "gate:g",
        "gate:o",
        "op:forget",
        "op:cell_update",
        "op:input_times_candidate",
        "op:output",
        "op:tanh_c",
        "path:c_prev",
        "path:c_t",
        "label:c_prev",
        "label:c_t",
        "label:h_prev",
        "label:h_t",
        "label:x_t",
        "label:f_t",
        "label:i_t",
        "label:g_t",
        "label:o_t",
        "eq:c_t",
        "eq:h_t",
    ):
        assert gid in gids, gid
    assert ("proj:W_hr" in gids) is projection
    text = _texts(fig)
    # The gates' nonlinearities: three sigmoids and one tanh (the candidate g_t).
    gate_fns = {
        g: next(t.get_text() for t in fig.axes[0].texts if t.get_gid() == f"gate:{g}:text")
        for g in "ifgo"
    }
    assert gate_fns == {"i": SIGMA, "f": SIGMA, "g": "tanh", "o": SIGMA}
    # Shapes: the state h is (N, P) with a projection and (N, H) without.
    hshape = "(N, P)" if projection else "(N, H)"
    assert f"$h_t$  {hshape}" in text and f"$h_{{t-1}}$  {hshape}" in text
    assert "$c_t$  (N, H)" in text and "$x_t$  (N, D)" in text
    assert "$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$" in text
    # one symbol per meaning: no undefined m_t, the element-wise product written as ⊙
    assert "m_t" not in text and "*" not in text
    if projection:
        assert "hidden projection" in text and "(P, H)" in text
        assert "$h_t = W_{hr}\\,(o_t \\odot \\tanh(c_t))$" in text
    else:
        assert "projection" not in text and "W_{hr}" not in text
        assert "$h_t = o_t \\odot \\tanh(c_t)$" in text


def test_lstm_diagram_draws_a_fresh_figure_each_call():
    a, b = lstm_cell_diagram(), lstm_cell_diagram()
    assert a is not b and diagram_gids(a) == diagram_gids(b)


def test_gru_diagram_has_gates_interpolation_and_both_variants():
    before = plt.get_fignums()
    fig = gru_cell_diagram()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before
    gids = set(diagram_gids(fig))
    for gid in (
        "gate:r",
        "gate:z",
        "op:candidate",
        "op:reset",
        "op:interpolate",
        "op:keep",
        "op:one_minus",
        "linear:hn",
        "linear:in",
        "label:h_prev",
        "label:h_t",
        "label:z_t",
        "label:r_t",
        "label:n_t",
        "eq:h_t",
        "caption:variants",
    ):
        assert gid in gids, gid
    text = _texts(fig)
    assert "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$" in text
    assert "Cho et al. 2014" in text and "PyTorch" in text
    assert "(3H, D)" in text


def test_figures_render_without_error():
    for fig in (lstm_cell_diagram(), lstm_cell_diagram(projection=True), gru_cell_diagram()):
        fig.canvas.draw()  # mathtext must parse: a bad label raises here
