"""The RNN diagrams: they return figures, draw T cells, highlight the active one, leak nothing."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from rnncourse.diagrams.rnn import (
    CELL_GIDS,
    draw_unrolled,
    rnn_cell,
    row_column_convention,
    unrolled_rnn,
    unrolled_title,
)


def cells(fig: Figure) -> list:
    return [p for ax in fig.axes for p in ax.patches if p.get_gid() in CELL_GIDS]


@pytest.mark.parametrize("T", [1, 2, 5, 9])
def test_unrolled_draws_one_cell_per_step(T):
    fig = unrolled_rnn(T)
    assert isinstance(fig, Figure)
    assert len(cells(fig)) == T
    assert fig._suptitle.get_text() == unrolled_title(T)
    assert f"T = {T} step" in unrolled_title(T)
    texts = [t.get_text() for t in fig.axes[0].texts]
    # the same three weight labels on every cell: the weights are shared
    assert texts.count("$W_{xh}$") == T
    assert texts.count("$W_{hh}$") == T
    assert texts.count("$W_{hy}$") == T
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    for name in ("h0", f"x{T}", f"y{T}", f"h{T}"):
        assert name[0] + name[1:].translate(sub) in texts


@pytest.mark.parametrize("active", [1, 3, 4])
def test_active_cell_is_highlighted(active):
    fig = unrolled_rnn(4, active=active)
    cs = cells(fig)
    assert [p.get_gid() for p in cs].count("rnn-cell-active") == 1
    assert cs[active - 1].get_gid() == "rnn-cell-active"
    others = {tuple(p.get_facecolor()) for i, p in enumerate(cs) if i != active - 1}
    assert tuple(cs[active - 1].get_facecolor()) not in others


def test_no_active_cell_by_default():
    assert all(p.get_gid() == "rnn-cell" for p in cells(unrolled_rnn(3)))


def test_outputs_last_draws_only_y_T():
    texts = [t.get_text() for t in unrolled_rnn(3, outputs="last").axes[0].texts]
    assert "y₃" in texts and "y₁" not in texts and "y₂" not in texts
    assert texts.count("$W_{hy}$") == 1
    texts = [t.get_text() for t in unrolled_rnn(3, outputs=False).axes[0].texts]
    assert not any(t.startswith("y") for t in texts)


def test_tokens_are_written_under_inputs():
    fig = unrolled_rnn(3, tokens=["not", "bad", "!"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"'not'", "'bad'", "'!'"} <= set(texts)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"T": 0},
        {"T": 3, "active": 4},
        {"T": 3, "active": 0},
        {"T": 2, "tokens": ["a"]},
        {"T": 2, "outputs": "first"},
    ],
)
def test_bad_arguments_raise(kwargs):
    fig, ax = plt.subplots()
    plt.close(fig)
    with pytest.raises(ValueError):
        draw_unrolled(ax, **kwargs)


def test_cell_figure_annotates_shapes():
    fig = rnn_cell(D=3, H=5)
    assert fig._suptitle.get_text() == "Inside the RNN cell — vector computation"
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for piece in ["(H, D) = (5, 3)", "(H, H) = (5, 5)", "tanh", "b_h", "h_{t-1}", "x_t"]:
        assert piece in texts
    # W_hh is H*H squares, W_xh H*D, vectors: h_{t-1}, W_hh h, x_t, W_xh x, b_h, a_t, h_t
    n_squares = sum(type(p).__name__ == "Rectangle" for p in fig.axes[0].patches)
    assert n_squares == 5 * 5 + 5 * 3 + 5 + 5 + 3 + 5 + 5 + 5 + 5


def test_row_column_figure_shapes():
    fig = row_column_convention(D=3, H=4, N=2)
    assert len(fig.axes) == 2
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "(H, D) = (4, 3)" in texts and "(D, H) = (3, 4)" in texts and "(N, H) = (2, 4)" in texts
    with pytest.raises(ValueError):
        row_column_convention(N=2, row=2)


def test_no_pyplot_figures_leak():
    before = plt.get_fignums()
    for fig in (unrolled_rnn(6, active=2), rnn_cell(), row_column_convention()):
        fig.savefig(io.BytesIO(), format="png")
    assert plt.get_fignums() == before


def test_each_kind_of_unrolled_diagram_has_its_own_title():
    """The lessons draw the unrolled RNN five times, in three variants (T = 4 with an output at
    every step, T = 4 with one output at the end, T = 5): one title each, saying what it shows,
    instead of one generic title for all."""
    import json
    import re
    from pathlib import Path

    calls = set()
    for path in sorted(Path(__file__).resolve().parents[1].glob("notebooks/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            calls |= set(re.findall(r"unrolled_rnn\(([^)]*)\)", "".join(cell["source"])))
    assert len(calls) >= 3, calls
    titles = {eval(f"_title({args})", {"_title": unrolled_title}) for args in calls}
    assert len(titles) == len(calls), titles
    assert unrolled_title(4, outputs="last") != unrolled_title(4)
    assert "y_4 at the end" in unrolled_title(4, outputs="last")


def test_no_empty_band_above_an_unrolled_rnn_without_outputs():
    full, bare = unrolled_rnn(3), unrolled_rnn(3, outputs=False)
    assert bare.axes[0].get_ylim()[1] < full.axes[0].get_ylim()[1] - 1.0
