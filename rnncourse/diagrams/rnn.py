"""Diagrams of the vanilla RNN, drawn by code: the unrolled chain, the inside of a cell, and
the column-vector (lessons) versus row-batch (code) picture of one matrix product.

    unrolled_rnn(T)          "Unrolled RNN architecture — hidden state propagation"
    rnn_cell(D, H)           "Inside the RNN cell — vector computation"
    row_column_convention()  W_xh x_t (lessons) is row n of x_t @ W_xh.T (code)

Every function returns a ``matplotlib.figure.Figure`` that pyplot does not track (see
``rnncourse.plots``). ``draw_unrolled`` draws the chain into an existing Axes, so other
figures (the lesson-2 widget) can put it beside data. Each cell of the chain is a patch with
gid ``"rnn-cell"`` (``"rnn-cell-active"`` for the highlighted one), which is how the tests
count them.

>>> fig = unrolled_rnn(4, active=2)
>>> sum(p.get_gid() in CELL_GIDS for p in fig.axes[0].patches)
4
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from rnncourse.plots import DIVERGING, PALETTE, new_figure, style_axes

__all__ = [
    "CELL_GIDS",
    "draw_unrolled",
    "rnn_cell",
    "row_column_convention",
    "sequence_tasks",
    "subscript",
    "unrolled_rnn",
    "unrolled_title",
]

CELL_GIDS = ("rnn-cell", "rnn-cell-active")

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(name: str, t: int) -> str:
    """``name`` with the step number as a Unicode subscript: subscript("h", 12) == "h₁₂".

    Plain text, not mathtext: a diagram with many distinct labels renders much faster."""
    return name + str(t).translate(_SUB)


_CELL = "#DCEBF7"  # a light tint of the palette's blue
_ACTIVE = PALETTE["orange"]
_FUTURE = "#F2F2F2"
_INPUT = "#D5EFE6"  # light green tint
_OUTPUT = "#F9E0CF"  # light vermillion tint


def _arrow(ax: Axes, start, end, color=PALETTE["black"], lw=1.4, style="-|>", rad=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=11,
            color=color,
            lw=lw,
            shrinkA=0,
            shrinkB=0,
            connectionstyle=f"arc3,rad={rad}",
        )
    )


def _box(ax: Axes, x, y, w, h, face, *, edge=PALETTE["black"], lw=1.2, gid=None, round_=0.08):
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2),
        w,
        h,
        boxstyle=f"round,pad=0,rounding_size={round_}",
        facecolor=face,
        edgecolor=edge,
        lw=lw,
    )
    if gid:
        patch.set_gid(gid)
    ax.add_patch(patch)
    return patch


def draw_unrolled(
    ax: Axes,
    T: int,
    *,
    active: int | None = None,
    tokens: Sequence[str] | None = None,
    outputs: bool | str = True,
    weight_labels: bool = True,
) -> None:
    """Draw the RNN unrolled over T steps into ``ax``.

    Cells are numbered t = 1..T; ``active`` (1..T) highlights one cell, dims the later ones
    and draws only the outputs computed so far. ``tokens`` (length T) are written under x_t.
    ``outputs``: True for an output y_t at every step, "last" for y_T only (sequence
    classification), False for none.
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    if active is not None and not 1 <= active <= T:
        raise ValueError(f"active must be a step in 1..{T}, got {active}")
    if outputs not in (True, False, "last"):
        raise ValueError(f"outputs must be True, False or 'last', got {outputs!r}")
    if tokens is not None and len(tokens) != T:
        raise ValueError(f"tokens must have length T = {T}, got {len(tokens)}")
    gap, w, h = 2.0, 1.1, 0.9
    y_in, y_out = -1.55, 1.55
    ax.set_xlim(-1.9, gap * (T - 1) + 1.3)
    top = y_out + 0.55 if outputs else h / 2 + 0.45  # no empty band where no output is drawn
    ax.set_ylim(y_in - (0.95 if tokens is not None else 0.55), top)
    ax.set_aspect("equal")
    ax.axis("off")

    # h_0 enters from the left
    ax.text(-1.45, 0, subscript("h", 0), ha="center", va="center", fontsize=12)
    for t in range(1, T + 1):
        cx = gap * (t - 1)
        done = active is None or t <= active
        if t == active:
            face, gid = _ACTIVE, "rnn-cell-active"
        else:
            face, gid = (_CELL if done else _FUTURE), "rnn-cell"
        ink = PALETTE["black"] if done else PALETTE["grey"]
        _box(ax, cx, 0, w, h, face, gid=gid, edge=ink, lw=2.2 if t == active else 1.2)
        ax.text(cx, 0.1, "tanh", ha="center", va="center", fontsize=10, color=ink)
        ax.text(cx, -0.22, f"t = {t}", ha="center", va="center", fontsize=8, color=ink)
        # the recurrent arrow into this cell: from h_0's label or from the previous cell
        x_from = -1.2 if t == 1 else cx - gap + w / 2
        _arrow(ax, (x_from, 0), (cx - w / 2, 0), color=ink)
        label = subscript("h", t - 1)
        if t > 1:
            ax.text(
                (x_from + cx - w / 2) / 2,
                0.12,
                label,
                ha="center",
                va="bottom",
                fontsize=10,
                color=ink,
            )
        if weight_labels:
            ax.text(
                (x_from + cx - w / 2) / 2,
                -0.12,
                "$W_{hh}$",
                ha="center",
                va="top",
                fontsize=8,
                color=PALETTE["blue"] if done else ink,
            )
        # input below
        _box(ax, cx, y_in, 0.8, 0.5, _INPUT if done else _FUTURE, edge=ink, lw=1.0)
        ax.text(cx, y_in, subscript("x", t), ha="center", va="center", fontsize=11, color=ink)
        _arrow(ax, (cx, y_in + 0.25), (cx, -h / 2), color=ink)
        if weight_labels:
            ax.text(
                cx + 0.08,
                (y_in + 0.25 - h / 2) / 2,
                "$W_{xh}$",
                ha="left",
                va="center",
                fontsize=8,
                color=PALETTE["green"] if done else ink,
            )
        if tokens is not None:
            ax.text(
                cx,
                y_in - 0.48,
                repr(tokens[t - 1]),
                ha="center",
                va="center",
                fontsize=10,
                color=ink,
                family="monospace",
            )
        # output above
        if outputs is True or (outputs == "last" and t == T):
            _box(ax, cx, y_out, 0.8, 0.5, _OUTPUT if done else _FUTURE, edge=ink, lw=1.0)
            ax.text(cx, y_out, subscript("y", t), ha="center", va="center", fontsize=11, color=ink)
            _arrow(ax, (cx, h / 2), (cx, y_out - 0.25), color=ink)
            if weight_labels:
                ax.text(
                    cx + 0.08,
                    (y_out - 0.25 + h / 2) / 2,
                    "$W_{hy}$",
                    ha="left",
                    va="center",
                    fontsize=8,
                    color=PALETTE["vermillion"] if done else ink,
                )
    # h_T leaves on the right
    last = gap * (T - 1) + w / 2
    ink = PALETTE["black"] if active is None or active == T else PALETTE["grey"]
    _arrow(ax, (last, 0), (last + 0.7, 0), color=ink)
    ax.text(last + 0.35, 0.12, subscript("h", T), ha="center", va="bottom", fontsize=10, color=ink)


def unrolled_title(
    T: int,
    *,
    active: int | None = None,
    tokens: Sequence[str] | None = None,
    outputs: bool | str = True,
) -> str:
    """What `unrolled_rnn` with these arguments shows, as its title: each variant its own.

    >>> unrolled_title(4)
    'One RNN cell unrolled over T = 4 steps, an output y_t at every step'
    >>> unrolled_title(4, outputs="last")
    'One RNN cell unrolled over T = 4 steps, one output y_4 at the end'
    >>> unrolled_title(3, outputs=False, tokens=["not", "bad", "!"], active=2)
    "One RNN cell unrolled over T = 3 steps, reading 'not bad !', at step t = 2"
    """
    title = f"One RNN cell unrolled over T = {T} step{'' if T == 1 else 's'}"
    if outputs is True:
        title += ", an output y_t at every step"
    elif outputs == "last":
        title += f", one output y_{T} at the end"
    if tokens is not None:
        title += f", reading {' '.join(map(str, tokens))!r}"
    if active is not None:
        title += f", at step t = {active}"
    return title


def unrolled_rnn(
    T: int = 4,
    *,
    active: int | None = None,
    tokens: Sequence[str] | None = None,
    outputs: bool | str = True,
    width: float | None = None,
    title: str | None = None,
) -> Figure:
    """T identical cells in a chain, titled by what it shows (`unrolled_title`, or `title`).

    Inputs x_t below, outputs y_t above, h_t flowing right from h_0; every cell carries the
    same weight labels W_xh, W_hh, W_hy because it is the same cell. ``active`` (1..T)
    highlights one step.

    >>> fig = unrolled_rnn(3)
    >>> fig._suptitle.get_text()
    'One RNN cell unrolled over T = 3 steps, an output y_t at every step'
    """
    width = width if width is not None else min(11.0, 2.2 + 1.45 * T)
    if title is None:
        title = unrolled_title(T, active=active, tokens=tokens, outputs=outputs)
    fig, ax = new_figure(width=width, height=3.3, title=title)
    draw_unrolled(ax, T, active=active, tokens=tokens, outputs=outputs)
    return fig


def _vector_or_matrix(
    ax: Axes,
    x: float,
    y: float,
    rows: int,
    cols: int,
    *,
    size: float = 0.26,
    values: np.ndarray | None = None,
    face: str = _CELL,
    highlight_row: int | None = None,
    highlight_col: int | None = None,
) -> tuple[float, float, float, float]:
    """A rows x cols grid of squares, centred at (x, y); coloured by ``values`` in [-1, 1] if
    given. Returns its bounding box (left, right, bottom, top)."""
    left, top = x - cols * size / 2, y + rows * size / 2
    for i in range(rows):
        for j in range(cols):
            colour = face
            if values is not None:
                colour = DIVERGING(0.5 + 0.5 * float(np.clip(values[i, j], -1, 1)))
            hl = i == highlight_row or j == highlight_col
            ax.add_patch(
                Rectangle(
                    (left + j * size, top - (i + 1) * size),
                    size,
                    size,
                    facecolor=_ACTIVE if hl and values is None else colour,
                    edgecolor=PALETTE["black"],
                    lw=1.6 if hl else 0.6,
                )
            )
    return left, left + cols * size, top - rows * size, top


def rnn_cell(D: int = 3, H: int = 4, *, size: float = 0.26) -> Figure:
    """ "Inside the RNN cell — vector computation", with the shapes written beside each array.

        a_t = W_xh x_t + W_hh h_{t-1} + b_h      (H,)
        h_t = tanh(a_t)                           (H,)

    Column vectors, as the lessons write them: x_t (D,), h_{t-1} (H,), W_xh (H, D), W_hh (H, H).

    >>> fig = rnn_cell(3, 4)
    >>> fig._suptitle.get_text()
    'Inside the RNN cell — vector computation'
    """
    if D < 1 or H < 1:
        raise ValueError(f"D and H must be positive, got D={D}, H={H}")
    s = size
    fig, ax = new_figure(width=10.0, height=4.6, title="Inside the RNN cell — vector computation")
    ax.set_aspect("equal")
    ax.axis("off")
    fs = 10
    y_top, y_bot = 1.55, -1.55  # rows: the recurrent path above, the input path below

    def label(x, y, text, shape="", **kw):
        kw.setdefault("fontsize", fs)
        ax.text(x, y, text, ha="center", va="top", **kw)
        if shape:
            ax.text(x, y - 0.3, shape, ha="center", va="top", **kw)

    # the recurrent path: W_hh (H, H) times h_{t-1} (H,)
    l, r, b, _ = _vector_or_matrix(ax, 0.0, y_top, H, H, size=s, face="#DCEBF7")
    label((l + r) / 2, b - 0.08, "$W_{hh}$", f"(H, H) = ({H}, {H})")
    l2, r2, b2, _ = _vector_or_matrix(ax, r + 0.6, y_top, H, 1, size=s, face=_CELL)
    label((l2 + r2) / 2, b2 - 0.08, "$h_{t-1}$", f"({H},)")
    ax.text(r2 + 0.1, y_top, "=", fontsize=14, va="center")
    l3, r3, b3, _ = _vector_or_matrix(ax, r2 + 0.7, y_top, H, 1, size=s, face="#BBD7EE")
    label((l3 + r3) / 2, b3 - 0.08, "$W_{hh}\\,h_{t-1}$", f"({H},)")

    # the input path: W_xh (H, D) times x_t (D,)
    l4, r4, b4, _ = _vector_or_matrix(ax, 0.0, y_bot, H, D, size=s, face=_INPUT)
    label((l4 + r4) / 2, b4 - 0.08, "$W_{xh}$", f"(H, D) = ({H}, {D})")
    l5, r5, b5, _ = _vector_or_matrix(ax, r4 + 0.6, y_bot, D, 1, size=s, face=_INPUT)
    label((l5 + r5) / 2, b5 - 0.08, "$x_t$", f"({D},)")
    ax.text(r5 + 0.1, y_bot, "=", fontsize=14, va="center")
    x_prod = max(r5 + 0.7, r2 + 0.7)
    l6, r6, b6, _ = _vector_or_matrix(ax, x_prod, y_bot, H, 1, size=s, face="#A7DCC9")
    label((l6 + r6) / 2, b6 - 0.08, "$W_{xh}\\,x_t$", f"({H},)")

    # the sum with the bias
    cx_sum = max(r3, r6) + 1.1
    ax.add_patch(Circle((cx_sum, 0), 0.28, facecolor="white", edgecolor=PALETTE["black"], lw=1.4))
    ax.text(cx_sum, 0, "+", ha="center", va="center", fontsize=16)
    _arrow(ax, (r3 + 0.05, y_top), (cx_sum - 0.12, 0.26), rad=-0.2)
    _arrow(ax, (r6 + 0.05, y_bot), (cx_sum - 0.12, -0.26), rad=0.2)
    l7, r7, b7, _ = _vector_or_matrix(ax, cx_sum, y_top + 0.2, H, 1, size=s, face="#E8E8E8")
    label(r7 + 0.35, y_top + 0.2 + 0.1, "$b_h$", f"({H},)")
    _arrow(ax, (cx_sum, b7 - 0.02), (cx_sum, 0.29))

    # pre-activation a_t, then tanh, then h_t
    l8, r8, b8, _ = _vector_or_matrix(ax, cx_sum + 1.0, 0, H, 1, size=s, face="#E8E8E8")
    label((l8 + r8) / 2, b8 - 0.08, "$a_t$", f"({H},)")
    _arrow(ax, (cx_sum + 0.29, 0), (l8 - 0.04, 0))
    bx = r8 + 1.0
    _box(ax, bx, 0, 0.95, 0.6, _ACTIVE)
    ax.text(bx, 0, "tanh", ha="center", va="center", fontsize=12)
    label(bx, -0.38, "element-wise", fontsize=8)
    _arrow(ax, (r8 + 0.04, 0), (bx - 0.48, 0))
    l9, r9, b9, _ = _vector_or_matrix(ax, bx + 1.1, 0, H, 1, size=s, face=_CELL)
    label((l9 + r9) / 2, b9 - 0.08, "$h_t$", f"({H},)")
    _arrow(ax, (bx + 0.48, 0), (l9 - 0.04, 0))
    _arrow(ax, (r9 + 0.04, 0), (r9 + 0.7, 0), color=PALETTE["blue"])
    ax.text(r9 + 0.75, 0, "to step t+1\nand to the output", ha="left", va="center", fontsize=9)

    ax.text(
        (l4 + r9) / 2,
        y_top + H * s / 2 + 0.45,
        r"$h_t = \tanh(W_{hh}\,h_{t-1} + W_{xh}\,x_t + b_h)$",
        ha="center",
        va="bottom",
        fontsize=13,
    )
    ax.set_xlim(l - 0.3, r9 + 2.1)
    ax.set_ylim(y_bot - max(H, D) * s / 2 - 0.75, y_top + H * s / 2 + 0.95)
    return fig


def row_column_convention(D: int = 3, H: int = 4, N: int = 2, *, row: int = 1) -> Figure:
    """The same product written two ways: the lessons' ``W_xh x_t`` (a column) and the code's
    ``x_t @ W_xh.T`` (a batch of rows). Row ``row`` of the code's result is the lessons'
    column for that example, lying down.

    >>> fig = row_column_convention()
    >>> [a.get_title() for a in fig.axes]
    ['lessons: one example, column vectors', 'code: a batch of N rows, x_t @ W_xh.T']
    """
    if not 0 <= row < N:
        raise ValueError(f"row must be in 0..{N - 1}, got {row}")
    s = 0.3
    fig, (ax1, ax2) = new_figure(
        2, width=10.0, height=3.9, title="One matrix product, two ways of writing it"
    )
    for ax in (ax1, ax2):
        ax.set_aspect("equal")
        ax.axis("off")

    # lessons: W_xh (H, D) x_t (D,) = (H,)
    l, r, b, _ = _vector_or_matrix(ax1, 0, 0, H, D, size=s, face=_INPUT)
    ax1.text((l + r) / 2, b - 0.1, f"W_xh\n(H, D) = ({H}, {D})", ha="center", va="top")
    l2, r2, b2, _ = _vector_or_matrix(ax1, r + 0.45, 0, D, 1, size=s, highlight_col=0)
    ax1.text((l2 + r2) / 2, b - 0.1, f"x_t\n({D},)", ha="center", va="top")
    ax1.text(r2 + 0.15, 0, "=", fontsize=15, va="center")
    l3, r3, b3, _ = _vector_or_matrix(ax1, r2 + 0.85, 0, H, 1, size=s, highlight_col=0)
    ax1.text((l3 + r3) / 2, b - 0.1, f"W_xh x_t\n({H},)", ha="center", va="top")
    ax1.set_xlim(l - 0.3, r3 + 0.4)
    ax1.set_ylim(b - 1.0, H * s / 2 + 0.6)
    ax1.set_title("lessons: one example, column vectors")

    # code: x_t (N, D) @ W_xh.T (D, H) = (N, H)
    l, r, b, _ = _vector_or_matrix(ax2, 0, 0, N, D, size=s, highlight_row=row)
    ax2.text(
        (l + r) / 2,
        -H * s / 2 - 0.1,
        f"x_t\n(N, D) = ({N}, {D})",
        ha="center",
        va="top",
        family="monospace",
    )
    ax2.text(r + 0.12, 0, "@", fontsize=14, va="center")
    l2, r2, b2, _ = _vector_or_matrix(ax2, r + 0.45 + H * s / 2, 0, D, H, size=s, face=_INPUT)
    ax2.text(
        (l2 + r2) / 2,
        -H * s / 2 - 0.1,
        f"W_xh.T\n(D, H) = ({D}, {H})",
        ha="center",
        va="top",
        family="monospace",
    )
    ax2.text(r2 + 0.12, 0, "=", fontsize=15, va="center")
    l3, r3, b3, _ = _vector_or_matrix(
        ax2, r2 + 0.45 + H * s / 2, 0, N, H, size=s, highlight_row=row
    )
    ax2.text(
        (l3 + r3) / 2,
        -H * s / 2 - 0.1,
        f"(N, H) = ({N}, {H})\nrow {row} = W_xh x_t\nof example {row}, as a row",
        ha="center",
        va="top",
    )
    ax2.set_xlim(l - 0.3, r3 + 0.3)
    ax2.set_ylim(-H * s / 2 - 1.0, H * s / 2 + 0.6)
    ax2.set_title("code: a batch of N rows, x_t @ W_xh.T")
    return fig


def sequence_tasks(rng: np.random.Generator) -> Figure:
    """Three kinds of sequence, one panel each: text (predict the next character), a time
    series (forecast the next values) and a sound wave cut into frames (speech recognition
    reads one frame per step). The signals are synthetic, drawn from ``rng``.

    >>> [a.get_title() for a in sequence_tasks(np.random.default_rng(0)).axes]
    ['language modelling', 'time-series forecasting', 'speech, frame by frame']
    """
    fig, (ax1, ax2, ax3) = new_figure(
        3, width=11.0, height=3.0, title="Sequences everywhere: the input is read step by step"
    )
    # text: every character is a step; the target is the next one
    text = "to be, or not"
    ax1.set_xlim(-0.5, 2 * len(text))
    ax1.set_ylim(-1.2, 1.2)
    ax1.axis("off")
    shown = text.replace(" ", "␣")
    # one monospaced string per row, so the columns line up: target t = input t+1
    ax1.text(
        0,
        0.45,
        " ".join(shown),
        ha="left",
        va="center",
        family="monospace",
        fontsize=11,
        bbox={"facecolor": _INPUT, "edgecolor": "none", "pad": 3},
    )
    ax1.text(
        0,
        -0.45,
        " ".join(shown[1:]),
        ha="left",
        va="center",
        family="monospace",
        fontsize=11,
        color=PALETTE["vermillion"],
    )
    ax1.text(-0.5, 0.95, "input $x_t$", fontsize=9, color=PALETTE["green"])
    ax1.text(-0.5, -1.05, "target: the next character", fontsize=9, color=PALETTE["vermillion"])
    ax1.set_title("language modelling")

    # a time series: observed past, forecast future
    t = np.arange(60)
    series = np.sin(2 * np.pi * t / 20) + 0.15 * rng.standard_normal(60)
    ax2.plot(t[:45], series[:45], color=PALETTE["blue"], lw=1.5, label="observed")
    ax2.plot(t[44:], series[44:], color=PALETTE["orange"], lw=1.5, ls="--", label="to forecast")
    style_axes(ax2, title="time-series forecasting", xlabel="time step t", ylabel="value")
    # the legend in a band of its own above the curves, never over them
    ax2.set_ylim(-1.7, 2.5)
    ax2.legend(frameon=False, ncols=2, loc="upper center", fontsize=9)

    # speech: a wave whose pitch and loudness change, cut into frames
    s = np.linspace(0, 1, 1500)
    wave = np.sin(2 * np.pi * (40 + 60 * s) * s) * np.exp(-((s - 0.5) ** 2) / 0.05)
    wave += 0.05 * rng.standard_normal(s.size)
    ax3.plot(s, wave, color=PALETTE["grey"], lw=0.5)
    for k, edge in enumerate(np.linspace(0, 1, 11)[:-1]):
        ax3.axvspan(edge, edge + 0.1, color=PALETTE["sky"] if k % 2 else _INPUT, alpha=0.5, lw=0)
    style_axes(
        ax3,
        title="speech, frame by frame",
        xlabel="time (s), 10 frames",
        ylabel="pressure",
    )
    return fig
