"""A gate inspector: run an LSTM on one sequence and look at every gate, step by step.

    traces = lstm_gate_traces(x, W_ih, W_hh, b)      # pure numpy: the gates over time
    fig = plot_gate_traces(traces, unit=3, t=10)     # a static figure (the notebook fallback)
    gate_inspector(traces)                           # dropdown (unit) + slider (time step)

``lstm_gate_traces`` recomputes, for one sequence, what ``lstm_step_forward`` computes inside:

    a_t = x_t @ W_ih.T + h_prev @ W_hh.T + b        # (4H,), blocks in PyTorch's order i, f, g, o
    i_t, f_t, o_t = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    g_t = tanh(a_g)
    c_t = f_t * c_prev + i_t * g_t
    h_t = o_t * tanh(c_t)                            (then @ W_hr.T with a projection)

and returns each of them as a (T, H) array. The widget is a thin layer over these functions;
ipywidgets is imported only inside ``gate_inspector``.
"""

from __future__ import annotations

import numpy as np

from rnncourse.lstm import sigmoid

__all__ = ["GATES", "gate_inspector", "lstm_gate_traces", "plot_gate_traces", "rank_units"]

GATES = ("i", "f", "g", "o")
_NAMES = {
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "c": "cell state c",
}


def lstm_gate_traces(
    x: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b: np.ndarray,
    W_hr: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every gate, the cell state and the hidden state of an LSTM over one sequence.

    Args:
        x: one input sequence, (T, D).
        W_ih (4H, D), W_hh (4H, H) or (4H, P), b (4H,), W_hr (P, H) or None: the LSTM.
        h0 (H,) or (P,), c0 (H,): initial states (zeros by default).

    Returns:
        {"x": (T, D), "i", "f", "g", "o", "c": (T, H), "h": (T, H) or (T, P)}

    >>> from rnncourse.lstm import init_lstm, lstm_forward
    >>> rng = np.random.default_rng(0)
    >>> W_ih, W_hh, b = init_lstm(2, 3, rng)
    >>> x = rng.normal(size=(5, 2))
    >>> tr = lstm_gate_traces(x, W_ih, W_hh, b)
    >>> tr["f"].shape, bool(np.all((tr["f"] > 0) & (tr["f"] < 1)))
    ((5, 3), True)
    >>> h, c = lstm_forward(x[None], np.zeros((1, 3)), np.zeros((1, 3)), W_ih, W_hh, b)
    >>> bool(np.allclose(tr["c"], c[0]) and np.allclose(tr["h"], h[0]))
    True
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be one sequence, (T, D); got shape {x.shape}")
    T = x.shape[0]
    H = W_ih.shape[0] // 4
    P = W_hh.shape[1]
    h_prev = np.zeros(P) if h0 is None else np.asarray(h0, dtype=float)
    c_prev = np.zeros(H) if c0 is None else np.asarray(c0, dtype=float)
    out = {k: np.empty((T, H)) for k in (*GATES, "c")}
    out["h"] = np.empty((T, P))
    for t in range(T):
        a_t = x[t] @ W_ih.T + h_prev @ W_hh.T + b  # (4H,)
        a_i, a_f, a_g, a_o = np.split(a_t, 4)
        i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        c_t = f_t * c_prev + i_t * g_t
        h_t = o_t * np.tanh(c_t)
        if W_hr is not None:
            h_t = h_t @ W_hr.T
        for k, v in zip(
            ("i", "f", "g", "o", "c", "h"), (i_t, f_t, g_t, o_t, c_t, h_t), strict=True
        ):
            out[k][t] = v
        h_prev, c_prev = h_t, c_t
    out["x"] = x.copy()
    return out


def rank_units(traces: dict[str, np.ndarray]) -> np.ndarray:
    """Units ordered by how selectively they write to their cell, most selective first.

    Selectivity is ``max_t i_t - median_t i_t``: a unit whose input gate is shut at most steps
    and opens wide at a few writes only what it has learnt to keep (e.g. the marked values of
    the adding problem); a unit whose gate is always half open scores near 0.

    >>> rank_units({"i": np.array([[0.5, 0.0], [0.5, 0.9], [0.5, 0.0]])}).tolist()
    [1, 0]
    """
    i = traces["i"]
    selectivity = i.max(axis=0) - np.median(i, axis=0)
    return np.argsort(-selectivity, kind="stable")


def plot_gate_traces(
    traces: dict[str, np.ndarray],
    unit: int = 0,
    t: int | None = None,
    *,
    title: str | None = None,
) -> object:
    """A figure of one unit over time: the input on top, then i, f, o (0..1), g (-1..1) and
    the cell state c. A vertical line marks step ``t`` and the legend gives the values there.

    Returns a matplotlib Figure (not registered with pyplot).
    """
    from rnncourse.plots import PALETTE, new_figure, style_axes

    H = traces["c"].shape[1]
    if not 0 <= unit < H:
        raise ValueError(f"unit must be in [0, {H}), got {unit}")
    T = traces["c"].shape[0]
    steps = np.arange(1, T + 1)
    fig, axes = new_figure(
        1,
        3,
        width=9.0,
        height=6.0,
        title=title or f"LSTM unit {unit}: gates over time",
        sharex=True,
    )
    ax_x, ax_gate, ax_c = axes
    x = traces["x"]
    ax_x.plot(steps, x[:, 0], color=PALETTE["grey"], lw=1.2, label="value $x_{t,0}$")
    if x.shape[1] > 1:
        marked = np.flatnonzero(x[:, 1] > 0.5)
        ax_x.plot(
            steps[marked], x[marked, 0], "o", color=PALETTE["vermillion"], ms=7, label="marked"
        )
    style_axes(ax_x, ylabel="input")
    # every legend to the right of its panel: never over the data, never cut off
    outside = {"frameon": False, "fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}
    ax_x.legend(**outside)
    colours = {
        "i": PALETTE["blue"],
        "f": PALETTE["orange"],
        "g": PALETTE["sky"],
        "o": PALETTE["green"],
    }
    for k in GATES:
        ls = "--" if k == "g" else "-"
        label = _NAMES[k] + (f" = {traces[k][t - 1, unit]:+.2f}" if t else "")
        ax_gate.plot(steps, traces[k][:, unit], ls, color=colours[k], lw=1.6, label=label)
    ax_gate.set_ylim(-1.05, 1.05)
    style_axes(ax_gate, ylabel="gate value")
    ax_gate.legend(**outside)
    c_label = _NAMES["c"] + (f" = {traces['c'][t - 1, unit]:+.2f}" if t else "")
    ax_c.plot(steps, traces["c"][:, unit], color=PALETTE["purple"], lw=2.0, label=c_label)
    style_axes(ax_c, xlabel="time step t", ylabel="cell state")
    ax_c.legend(**outside)
    if t:
        for ax in axes:
            ax.axvline(t, color=PALETTE["black"], lw=0.8, alpha=0.6)
    return fig


def _summary(traces: dict[str, np.ndarray], unit: int, t: int) -> str:
    vals = ", ".join(f"{k}<sub>t</sub> = {traces[k][t - 1, unit]:+.3f}" for k in (*GATES, "c"))
    return f"<b>unit {unit}, step t = {t}</b>: {vals}"


def gate_inspector(traces: dict[str, np.ndarray], *, units: list[int] | None = None) -> object:
    """An ipywidgets box: a dropdown picks the unit, a slider the time step; the figure and a
    one-line summary of the gate values at that step update as they move.

    ``units``: the units offered (default: all, the most selective first, see ``rank_units``).
    """
    import ipywidgets as widgets

    from rnncourse.plots import show_figure

    T, H = traces["c"].shape
    units = list(rank_units(traces)) if units is None else list(units)
    unit_box = widgets.Dropdown(
        options=[(f"unit {u}", int(u)) for u in units],
        value=int(units[0]),
        description="unit",
        style={"description_width": "initial"},
    )
    step = widgets.IntSlider(
        value=1,
        min=1,
        max=T,
        description="step t",
        continuous_update=False,
        style={"description_width": "initial"},
    )
    image = widgets.Image(format="png")
    summary = widgets.HTML()

    def redraw(_change: object = None) -> None:
        fig = plot_gate_traces(traces, unit_box.value, step.value)
        show_figure(image, fig)
        summary.value = _summary(traces, unit_box.value, step.value)

    unit_box.observe(redraw, names="value")
    step.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([unit_box, step]), summary, image])
    box.unit, box.step, box.image, box.summary = unit_box, step, image, summary
    return box
