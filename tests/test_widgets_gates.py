"""The gate inspector: pure gate traces agree with the package's LSTM; the widget responds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnncourse.lstm import init_lstm, lstm_forward, lstm_step_forward
from rnncourse.tasks import adding_problem
from rnncourse.widgets.gates import gate_inspector, lstm_gate_traces, plot_gate_traces, rank_units


@pytest.fixture
def lstm():
    rng = np.random.default_rng(3)
    return init_lstm(2, 5, rng, forget_bias=1.0), adding_problem(1, 12, rng)[0][0]


def test_traces_match_the_package_lstm(lstm):
    (W_ih, W_hh, b), x = lstm
    tr = lstm_gate_traces(x, W_ih, W_hh, b)
    h, c = lstm_forward(x[None], np.zeros((1, 5)), np.zeros((1, 5)), W_ih, W_hh, b)
    np.testing.assert_allclose(tr["h"], h[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr["c"], c[0], rtol=1e-12, atol=1e-14)
    # The recorded gates really are the ones the cell used: c_t = f c_{t-1} + i g, h = o tanh(c).
    c_prev = np.vstack([np.zeros(5), tr["c"][:-1]])
    np.testing.assert_allclose(tr["c"], tr["f"] * c_prev + tr["i"] * tr["g"], rtol=1e-12)
    np.testing.assert_allclose(tr["h"], tr["o"] * np.tanh(tr["c"]), rtol=1e-12)
    for k in "ifo":
        assert np.all((tr[k] > 0) & (tr[k] < 1))
    assert np.all(np.abs(tr["g"]) < 1)


def test_traces_with_projection_and_initial_state():
    rng = np.random.default_rng(0)
    W_ih, W_hh, b, W_hr = init_lstm(3, 6, rng, P=2)
    x = rng.normal(size=(4, 3))
    h0, c0 = rng.normal(size=2), rng.normal(size=6)
    tr = lstm_gate_traces(x, W_ih, W_hh, b, W_hr=W_hr, h0=h0, c0=c0)
    h_t, c_t = lstm_step_forward(x[:1], h0[None], c0[None], W_ih, W_hh, b, W_hr)
    np.testing.assert_allclose(tr["h"][0], h_t[0], rtol=1e-12)
    np.testing.assert_allclose(tr["c"][0], c_t[0], rtol=1e-12)
    assert tr["h"].shape == (4, 2) and tr["i"].shape == (4, 6)


def test_traces_reject_a_batch(lstm):
    (W_ih, W_hh, b), x = lstm
    with pytest.raises(ValueError, match=r"\(T, D\)"):
        lstm_gate_traces(x[None], W_ih, W_hh, b)


def test_plot_returns_a_figure_and_leaks_none(lstm):
    (W_ih, W_hh, b), x = lstm
    tr = lstm_gate_traces(x, W_ih, W_hh, b)
    before = plt.get_fignums()
    fig = plot_gate_traces(tr, unit=2, t=5)
    assert plt.get_fignums() == before
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("forget gate f = ") for lab in labels)
    assert f"{tr['f'][4, 2]:+.2f}" in " ".join(labels)
    with pytest.raises(ValueError, match="unit"):
        plot_gate_traces(tr, unit=5)


def test_rank_units_puts_the_most_selective_writer_first(lstm):
    (W_ih, W_hh, b), x = lstm
    tr = lstm_gate_traces(x, W_ih, W_hh, b)
    order = rank_units(tr)
    assert sorted(order.tolist()) == list(range(5))
    sel = tr["i"].max(axis=0) - np.median(tr["i"], axis=0)
    assert sel[order[0]] == sel.max() and sel[order[-1]] == sel.min()
    # a unit that opens its input gate at one step only beats one that is always half open
    i = np.full((10, 2), 0.5)
    i[:, 1] = 0.02
    i[4, 1] = 0.9
    assert rank_units({"i": i}).tolist() == [1, 0]


def test_widget_moves_with_slider_and_dropdown(lstm):
    pytest.importorskip("ipywidgets")
    (W_ih, W_hh, b), x = lstm
    tr = lstm_gate_traces(x, W_ih, W_hh, b)
    before = plt.get_fignums()
    box = gate_inspector(tr)
    assert box.step.max == 12 and len(box.unit.options) == 5
    png0, text0 = bytes(box.image.value), box.summary.value
    assert png0.startswith(b"\x89PNG") and "step t = 1" in text0
    box.step.value = 7
    assert bytes(box.image.value) != png0
    assert "step t = 7" in box.summary.value
    u = box.unit.options[1][1]
    assert f"f<sub>t</sub> = {tr['f'][6, u]:+.3f}" not in box.summary.value or u == box.unit.value
    box.unit.value = u
    assert f"unit {u}, step t = 7" in box.summary.value
    assert f"f<sub>t</sub> = {tr['f'][6, u]:+.3f}" in box.summary.value
    assert plt.get_fignums() == before
