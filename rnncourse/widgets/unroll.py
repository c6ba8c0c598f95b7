"""Step through time: the unrolled RNN with the active cell highlighted, and every hidden
state computed so far as a heatmap column.

    unroll_frame(h, t, tokens)   the picture at step t (a pure function: arrays in, Figure out)
    unroll_widget(h, tokens)     a slider over t that redraws ``unroll_frame``

``h`` holds the hidden states of ONE sequence, (T, H): e.g. ``rnn_forward(x, h0, ...)[0]``.
ipywidgets is imported inside ``unroll_widget`` only.

>>> import numpy as np
>>> h = np.tanh(np.random.default_rng(0).normal(size=(4, 5)))
>>> fig = unroll_frame(h, 2, ["a", "b", "c", "d"])
>>> [ax.get_title() for ax in fig.axes[:2]]
['the RNN unrolled over T = 4 steps', 'hidden states h_1, h_2 (one column per step)']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from rnncourse.diagrams.rnn import draw_unrolled, subscript
from rnncourse.plots import DIVERGING, SCREEN_DPI, WIDGET_DPI, figure_png

__all__ = ["frame_png", "unroll_frame", "unroll_widget"]


def _check(h: np.ndarray, tokens: Sequence[str]) -> tuple[int, int]:
    h = np.asarray(h)
    if h.ndim != 2:
        raise ValueError(f"h must be the states of one sequence, (T, H); got shape {h.shape}")
    T, H = h.shape
    if len(tokens) != T:
        raise ValueError(f"tokens must have length T = {T}, got {len(tokens)}")
    return T, H


def unroll_frame(h: np.ndarray, t: int, tokens: Sequence[str]) -> Figure:
    """The unrolled RNN at step t (1..T) above the hidden states h_1..h_t as a heatmap.

    Args:
        h: hidden states of one sequence, (T, H), values in [-1, 1] (tanh).
        t: the active step, 1..T.
        tokens: the T input tokens, written under x_1..x_T and along the heatmap's x axis.
    """
    T, H = _check(h, tokens)
    if not 1 <= t <= T:
        raise ValueError(f"t must be a step in 1..{T}, got {t}")
    fig = Figure(figsize=(frame_width(T), 5.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.8, 1.05])
    ax = top.subplots()
    draw_unrolled(ax, T, active=t, tokens=list(tokens), outputs=False)
    ax.set_title(f"the RNN unrolled over T = {T} steps")

    ax2 = bottom.subplots()
    shown = np.full((H, T), np.nan)
    shown[:, :t] = np.asarray(h, dtype=float)[:t].T  # (H, t): column s is h_s
    cmap = DIVERGING.with_extremes(bad="#F2F2F2")
    im = ax2.imshow(shown, cmap=cmap, vmin=-1, vmax=1, aspect="auto")
    ax2.add_patch(Rectangle((t - 1.5, -0.5), 1, H, fill=False, edgecolor="black", lw=2.5))
    ax2.set_xticks(range(T), [f"{subscript('h', s)}\n{tokens[s - 1]!r}" for s in range(1, T + 1)])
    ax2.set_yticks(range(H), [str(i) for i in range(H)])
    ax2.set_ylabel("hidden unit")
    ax2.set_xlabel("time step (the input read at that step)")
    ax2.set_title(f"{states_so_far(t)} (one column per step)")
    bottom.colorbar(im, ax=ax2, label="value of h_t (tanh: between -1 and 1)", shrink=0.9)
    return fig


def frame_width(T: int) -> float:
    """The width of ``unroll_frame``'s figure for T steps, in inches."""
    return max(7.0, 1.5 + 1.3 * T)


def states_so_far(t: int) -> str:
    """The states shown at step t, named without repeating one.

    >>> [states_so_far(t) for t in (1, 2, 5)]
    ['hidden state h_1', 'hidden states h_1, h_2', 'hidden states h_1 ... h_5']
    """
    if t == 1:
        return "hidden state h_1"
    if t == 2:
        return "hidden states h_1, h_2"
    return f"hidden states h_1 ... h_{t}"


def frame_png(h: np.ndarray, t: int, tokens: Sequence[str], dpi: int = WIDGET_DPI) -> bytes:
    """``unroll_frame`` rendered to PNG bytes (what the widget shows, drawn for a 2x screen)."""
    return figure_png(unroll_frame(h, t, tokens), dpi=dpi)


def unroll_widget(h: np.ndarray, tokens: Sequence[str], *, t: int = 1, dpi: int = WIDGET_DPI):
    """A slider over t = 1..T that shows ``unroll_frame(h, t, tokens)`` and the numbers of h_t.

    Frames are rendered once each and cached. Returns an ``ipywidgets.VBox`` whose ``.slider``
    and ``.image`` attributes are the slider and the picture (tests set the slider's value).
    """
    import ipywidgets as widgets

    T, _ = _check(h, tokens)
    cache: dict[int, bytes] = {}

    def png(step: int) -> bytes:
        if step not in cache:
            cache[step] = frame_png(h, step, tokens, dpi=dpi)
        return cache[step]

    slider = widgets.IntSlider(
        value=t,
        min=1,
        max=T,
        step=1,
        description="step t",
        continuous_update=False,
        style={"description_width": "initial"},
    )
    # shown SCREEN_DPI pixels per inch wide (as a static figure), never stretched
    width = f"{round(frame_width(T) * SCREEN_DPI)}px"
    layout = widgets.Layout(width=width, max_width="100%", height="auto")
    image = widgets.Image(value=png(t), format="png", layout=layout)
    text = widgets.HTML()

    def describe(step: int) -> str:
        values = np.array2string(np.asarray(h)[step - 1], precision=3, suppress_small=True)
        return (
            f"<code>t = {step}</code>: read <code>{tokens[step - 1]!r}</code>, "
            f"<code>h_{step} = {values}</code>"
        )

    text.value = describe(t)

    def on_change(change: dict) -> None:
        image.value = png(change["new"])
        text.value = describe(change["new"])

    slider.observe(on_change, names="value")
    box = widgets.VBox([slider, text, image])
    box.slider, box.image, box.text = slider, image, text
    return box
