"""Diagrams of the gated cells: the LSTM (plain, or with its hidden projection) and the GRU.

    lstm_cell_diagram()                 the standard LSTM cell, h_t = o_t ⊙ tanh(c_t)
    lstm_cell_diagram(projection=True)  the same cell with the hidden projection W_hr (P, H)
                                        of Sak et al. (2014), h_t = W_hr (o_t ⊙ tanh(c_t))
    gru_cell_diagram()                  the GRU cell, PyTorch's variant, with Cho's noted

Both return a ``matplotlib.figure.Figure`` built without pyplot. Every labelled element (an
arrow's symbol, a gate, an operation node) carries a ``gid`` such as ``"gate:f"``,
``"op:cell_update"`` or ``"label:c_t"``, so tests (and curious learners) can find it:
``diagram_gids(fig)`` lists them.

The LSTM, in the course's row form (PyTorch's gate order i, f, g, o; ⊙ is the element-wise
product):

    i_t = σ(x_t W_ii^T + h_{t-1} W_hi^T + b_i)     input gate        (N, H)
    f_t = σ(x_t W_if^T + h_{t-1} W_hf^T + b_f)     forget gate       (N, H)
    g_t = tanh(x_t W_ig^T + h_{t-1} W_hg^T + b_g)  candidate         (N, H)
    o_t = σ(x_t W_io^T + h_{t-1} W_ho^T + b_o)     output gate       (N, H)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                cell state        (N, H)
    h_t = o_t ⊙ tanh(c_t)                          hidden state      (N, H)

and with the projection W_hr (P, H), the hidden state shrinks to P numbers:

    h_t = (o_t ⊙ tanh(c_t)) W_hr^T                 hidden state      (N, P)
"""

from __future__ import annotations

from itertools import pairwise

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from rnncourse.plots import PALETTE, new_figure

__all__ = ["diagram_gids", "gru_cell_diagram", "lstm_cell_diagram"]

SIGMA, TIMES, MINUS = "\u03c3", "\u00d7", "\u2212"  # σ, ×, − as drawn
_SIGMOID = PALETTE["orange"]
_TANH = PALETTE["sky"]
_LINEAR = PALETTE["purple"]
_STATE = PALETTE["blue"]
_INPUT = PALETTE["grey"]


def _canvas(title: str, width: float = 10.0, height: float = 6.2) -> tuple[Figure, Axes]:
    fig, ax = new_figure(width=width, height=height)
    ax.set_xlim(0, 13.6)
    ax.set_ylim(-0.9, 7.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=12, fontweight="bold")
    return fig, ax


def _line(
    ax: Axes,
    pts: list[tuple[float, float]],
    *,
    color: str = "black",
    lw: float = 1.6,
    arrow: bool = True,
    gid: str | None = None,
) -> None:
    """A polyline through ``pts``; the last segment ends in an arrow head."""
    for (x0, y0), (x1, y1) in pairwise(pts[:-1]):
        ax.plot([x0, x1], [y0, y1], color=color, lw=lw, solid_capstyle="round", zorder=1)
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    patch = FancyArrowPatch(
        (x0, y0),
        (x1, y1),
        arrowstyle="-|>" if arrow else "-",
        mutation_scale=12,
        color=color,
        lw=lw,
        zorder=1,
        shrinkA=0,
        shrinkB=0,
    )
    if gid:
        patch.set_gid(gid)
    ax.add_patch(patch)


def _box(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    *,
    gid: str,
    color: str,
    w: float = 1.0,
    h: float = 0.6,
    fontsize: float = 11,
) -> None:
    """A rounded box centred at (x, y)."""
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2),
        w,
        h,
        boxstyle="round,pad=0.05,rounding_size=0.12",
        facecolor=color,
        edgecolor="black",
        lw=1.0,
        zorder=3,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4, gid=gid + ":text")


def _node(ax: Axes, x: float, y: float, symbol: str, *, gid: str, r: float = 0.24) -> None:
    """A pointwise operation (×, +, tanh) as a circle centred at (x, y)."""
    patch = Circle((x, y), r, facecolor="white", edgecolor="black", lw=1.2, zorder=3)
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(
        x,
        y,
        symbol,
        ha="center",
        va="center",
        fontsize=12 if len(symbol) == 1 else 8,
        zorder=4,
        gid=gid + ":text",
    )


def _label(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    *,
    gid: str,
    ha: str = "left",
    va: str = "center",
    color: str = "black",
    fontsize: float = 10,
) -> None:
    ax.text(x, y, text, ha=ha, va=va, fontsize=fontsize, color=color, gid=gid, zorder=5)


def _cell_frame(ax: Axes, x0: float, x1: float, y0: float, y1: float, gid: str) -> None:
    frame = FancyBboxPatch(
        (x0, y0),
        x1 - x0,
        y1 - y0,
        boxstyle="round,pad=0.1,rounding_size=0.4",
        facecolor="#F4F4F4",
        edgecolor=PALETTE["grey"],
        lw=1.2,
        zorder=0,
    )
    frame.set_gid(gid)
    ax.add_patch(frame)


def _gate(ax: Axes, x: float, y: float, fn: str, name: str, *, bus_y: float) -> None:
    """A gate: its nonlinearity in a box, fed from the input bus below, its symbol beside it."""
    color = _SIGMOID if fn == SIGMA else _TANH
    _line(ax, [(x, bus_y), (x, y - 0.3)], arrow=False)
    _box(ax, x, y, fn, gid=f"gate:{name}", color=color, w=0.8)


def lstm_cell_diagram(projection: bool = False) -> Figure:
    """The LSTM cell: memory cell line and four gates; with ``projection=True``, also the hidden
    projection W_hr (P, H) that maps o_t ⊙ tanh(c_t) to the hidden state.

    Shapes on the labels use the course's letters: N batch, D inputs, H cell size, P projection
    size (P = H without a projection). Returns a Figure; nothing is left open in pyplot.

    >>> fig = lstm_cell_diagram()
    >>> {"gate:i", "gate:f", "gate:g", "gate:o"} <= set(diagram_gids(fig)), "proj:W_hr" in diagram_gids(fig)
    (True, False)
    >>> "proj:W_hr" in diagram_gids(lstm_cell_diagram(projection=True))
    True
    """
    P = "P" if projection else "H"
    title = (
        "LSTM with a hidden projection: H memory cells, a hidden state of P < H"
        if projection
        else "LSTM cell: the memory line and four gates"
    )
    fig, ax = _canvas(title)
    top, bus, gates_y = 5.8, 1.2, 2.4
    _cell_frame(ax, 1.4, 11.4, 0.55, 6.45, "frame:cell")

    # The memory cell: c_{t-1} -> × f_t -> + i_t*g_t -> c_t, an (almost) straight line.
    xf, xplus, xtanh = 3.0, 5.4, 9.3
    _line(ax, [(0.15, top), (xf - 0.24, top)], color=_STATE, lw=2.6, gid="path:c_prev")
    _line(ax, [(xf + 0.24, top), (xplus - 0.24, top)], color=_STATE, lw=2.6)
    _line(ax, [(xplus + 0.24, top), (13.3, top)], color=_STATE, lw=2.6, gid="path:c_t")
    _label(ax, 0.15, top + 0.4, "$c_{t-1}$  (N, H)", gid="label:c_prev", color=_STATE)
    _label(ax, 13.3, top + 0.4, "$c_t$  (N, H)", gid="label:c_t", ha="right", color=_STATE)
    _node(ax, xf, top, TIMES, gid="op:forget")
    _node(ax, xplus, top, "+", gid="op:cell_update")
    _label(
        ax,
        6.3,
        top + 0.4,
        "$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$",
        gid="eq:c_t",
        color=_STATE,
        fontsize=10,
    )

    # Inputs: h_{t-1} from the left and x_t from below meet on the bus that feeds all gates.
    _line(ax, [(0.15, bus), (8.1, bus)], arrow=False, color=_INPUT, gid="path:h_prev")
    _label(ax, 0.15, bus - 0.35, f"$h_{{t-1}}$  (N, {P})", gid="label:h_prev")
    _line(ax, [(2.0, -0.6), (2.0, bus)], color=_INPUT, gid="path:x_t")
    _label(ax, 2.15, -0.45, "$x_t$  (N, D)", gid="label:x_t")
    _label(
        ax,
        2.6,
        0.78,
        f"$W_{{ih}}$ (4H, D), $W_{{hh}}$ (4H, {P}), $b$ (4H,)",
        gid="label:weights",
        fontsize=9,
    )

    # The four gates, in PyTorch's order i, f, g, o (drawn f, i, g, o so that lines don't cross).
    xi, xg, xo = 4.6, 6.2, 7.8
    for x, fn, name in ((xf, SIGMA, "f"), (xi, SIGMA, "i"), (xg, "tanh", "g"), (xo, SIGMA, "o")):
        _gate(ax, x, gates_y, fn, name, bus_y=bus)
    # f_t straight up to the forget ×.
    _line(ax, [(xf, gates_y + 0.3), (xf, top - 0.24)], gid="path:f_t")
    _label(ax, xf + 0.1, 3.5, "$f_t$ (N, H)", gid="label:f_t")
    # i_t and g_t meet at a ×, whose product goes up to the +.
    y_ig = 4.4
    _line(ax, [(xi, gates_y + 0.3), (xi, y_ig), (xplus - 0.24, y_ig)], gid="path:i_t")
    _line(ax, [(xg, gates_y + 0.3), (xg, y_ig), (xplus + 0.24, y_ig)], gid="path:g_t")
    _node(ax, xplus, y_ig, TIMES, gid="op:input_times_candidate")
    _line(ax, [(xplus, y_ig + 0.24), (xplus, top - 0.24)], gid="path:i_times_g")
    _label(ax, xi + 0.1, 3.3, "$i_t$", gid="label:i_t")
    _label(ax, xg + 0.1, 3.3, "$g_t$", gid="label:g_t")
    _label(
        ax, xplus - 0.15, 5.05, "$i_t \\odot g_t$", gid="label:i_times_g", ha="right", fontsize=9
    )

    # Output: o_t ⊙ tanh(c_t), the hidden state (or, with a projection, what W_hr maps).
    y_o = 3.4
    _line(ax, [(xtanh, top), (xtanh, 4.75)], gid="path:c_to_tanh")
    _node(ax, xtanh, 4.5, "tanh", gid="op:tanh_c", r=0.3)
    _line(ax, [(xtanh, 4.2), (xtanh, y_o + 0.24)])
    _line(ax, [(xo, gates_y + 0.3), (xo, y_o), (xtanh - 0.24, y_o)], gid="path:o_t")
    _label(ax, xo + 0.1, 3.0, "$o_t$", gid="label:o_t")
    _node(ax, xtanh, y_o, TIMES, gid="op:output")
    _label(ax, xtanh + 0.38, 4.5, "$\\tanh(c_t)$", gid="label:tanh_c", fontsize=9)

    # The hidden projection (or none): h_t leaves to the right (next step) and up (outputs).
    x_out = 12.2
    if projection:
        xp = 10.55
        _line(ax, [(xtanh + 0.24, y_o), (xp - 0.5, y_o)], gid="path:o_tanh_c")
        _label(ax, xtanh - 0.3, y_o - 0.5, "(N, H)", gid="label:o_tanh_c", fontsize=9)
        _box(
            ax,
            xp,
            y_o,
            "$W_{hr}$\n(P, H)",
            gid="proj:W_hr",
            color=_LINEAR,
            w=1.0,
            h=0.8,
            fontsize=9,
        )
        start = (xp + 0.5, y_o)
    else:
        start = (xtanh + 0.24, y_o)
    _line(ax, [start, (x_out, y_o), (x_out, bus), (13.3, bus)], color=_STATE, gid="path:h_t")
    _line(ax, [(x_out, y_o), (13.3, y_o)], color=_STATE, gid="path:h_t_out")
    _label(ax, 13.3, bus - 0.35, f"$h_t$  (N, {P})", gid="label:h_t", ha="right", color=_STATE)
    _label(ax, 13.3, bus + 0.3, "to step t+1", gid="label:to_next", ha="right", fontsize=8)
    _label(ax, 13.3, y_o + 0.3, "to the output", gid="label:to_output", ha="right", fontsize=8)
    if projection:
        _label(
            ax,
            8.6,
            6.95,
            "$h_t = W_{hr}\\,(o_t \\odot \\tanh(c_t))$",
            gid="eq:h_t",
            ha="right",
            fontsize=10,
        )
    else:
        _label(
            ax, 8.6, 6.95, "$h_t = o_t \\odot \\tanh(c_t)$", gid="eq:h_t", ha="right", fontsize=10
        )

    # A legend of the colours.
    for k, (color, text) in enumerate(
        ((_SIGMOID, SIGMA + " gate (0..1)"), (_TANH, "tanh (-1..1)"), (_LINEAR, "linear map"))
    ):
        _box(ax, 8.85 + 1.55 * k, -0.5, "", gid=f"legend:{k}", color=color, w=0.2, h=0.2)
        _label(ax, 9.2 + 1.55 * k, -0.5, text, gid=f"legend:{k}:label", fontsize=8)
    return fig


def gru_cell_diagram() -> Figure:
    """The GRU cell (PyTorch's variant): reset gate r_t, update gate z_t, candidate n_t and

        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    A caption states Cho et al. (2014)'s variant, where r_t multiplies h_{t-1} before W_hn.

    >>> fig = gru_cell_diagram()
    >>> {"gate:r", "gate:z", "op:candidate", "op:interpolate"} <= set(diagram_gids(fig))
    True
    """
    fig, ax = _canvas("GRU cell — update and reset gates")
    top, bus, gates_y = 5.8, 1.2, 2.4
    _cell_frame(ax, 1.4, 9.6, 0.55, 6.45, "frame:cell")

    # The state line: h_{t-1} -> × z_t -> + (1 - z_t) * n_t -> h_t.
    xz, xr, xhn, xin = 2.8, 4.4, 6.0, 7.6
    _line(ax, [(0.15, top), (xz - 0.24, top)], color=_STATE, lw=2.6, gid="path:h_prev")
    _line(ax, [(xz + 0.24, top), (xin - 0.24, top)], color=_STATE, lw=2.6)
    _line(ax, [(xin + 0.24, top), (13.3, top)], color=_STATE, lw=2.6, gid="path:h_t")
    _label(ax, 0.15, top + 0.4, "$h_{t-1}$  (N, H)", gid="label:h_prev", color=_STATE)
    _label(ax, 13.3, top + 0.4, "$h_t$  (N, H)", gid="label:h_t", ha="right", color=_STATE)
    _node(ax, xz, top, TIMES, gid="op:keep")
    _node(ax, xin, top, "+", gid="op:interpolate")
    _label(
        ax,
        8.2,
        6.95,
        "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$",
        gid="eq:h_t",
        color=_STATE,
        ha="left",
        fontsize=10,
    )

    # h_{t-1} also goes down to the bus, where x_t joins it.
    _line(ax, [(1.0, top), (1.0, bus), (xin, bus)], arrow=False, color=_INPUT)
    _line(ax, [(2.0, -0.6), (2.0, bus)], color=_INPUT, gid="path:x_t")
    _label(ax, 2.15, -0.45, "$x_t$  (N, D)", gid="label:x_t")
    _label(
        ax,
        2.4,
        0.78,
        "$W_{ih}$ (3H, D), $W_{hh}$ (3H, H), $b_{ih}, b_{hh}$ (3H,)",
        gid="label:weights",
        fontsize=9,
    )

    _gate(ax, xz, gates_y, SIGMA, "z", bus_y=bus)
    _gate(ax, xr, gates_y, SIGMA, "r", bus_y=bus)
    _line(ax, [(xhn, bus), (xhn, gates_y - 0.3)], arrow=False)
    _box(ax, xhn, gates_y, "$W_{hn} h + b_{hn}$", gid="linear:hn", color=_LINEAR, w=1.4, fontsize=9)
    _line(ax, [(xin, bus), (xin, gates_y - 0.3)], arrow=False)
    _box(ax, xin, gates_y, "$W_{in} x + b_{in}$", gid="linear:in", color=_LINEAR, w=1.4, fontsize=9)

    # z_t: up to the × on the state line; 1 - z_t across to the candidate's ×.
    y_1mz = 5.0
    _line(ax, [(xz, gates_y + 0.3), (xz, top - 0.24)], gid="path:z_t")
    _label(ax, xz - 0.1, 3.4, "$z_t$ (N, H)", gid="label:z_t", ha="right")
    _line(ax, [(xz, y_1mz), (xin - 0.24, y_1mz)], gid="path:one_minus_z")
    _box(ax, 4.6, y_1mz, "1 " + MINUS, gid="op:one_minus", color="white", w=0.6, h=0.4, fontsize=9)
    _label(ax, 5.0, y_1mz + 0.3, "$1 - z_t$", gid="label:one_minus_z", fontsize=9)

    # r_t scales W_hn h + b_hn (PyTorch: after the matrix product), added to W_in x + b_in.
    y_r = 3.4
    _line(ax, [(xr, gates_y + 0.3), (xr, y_r), (xhn - 0.24, y_r)], gid="path:r_t")
    _label(ax, xr + 0.1, 3.0, "$r_t$", gid="label:r_t")
    _line(ax, [(xhn, gates_y + 0.3), (xhn, y_r - 0.24)])
    _node(ax, xhn, y_r, TIMES, gid="op:reset")
    _line(ax, [(xhn + 0.24, y_r), (xin - 0.24, y_r)])
    _line(ax, [(xin, gates_y + 0.3), (xin, y_r - 0.24)])
    _node(ax, xin, y_r, "+", gid="op:candidate_sum")
    _line(ax, [(xin, y_r + 0.24), (xin, 3.9)])
    _box(ax, xin, 4.2, "tanh", gid="op:candidate", color=_TANH, w=0.8)
    _line(ax, [(xin, 4.5), (xin, y_1mz - 0.24)], gid="path:n_t")
    _label(ax, xin + 0.55, 4.2, "$n_t$ (N, H)", gid="label:n_t")
    _node(ax, xin, y_1mz, TIMES, gid="op:new_part")
    _line(ax, [(xin, y_1mz + 0.24), (xin, top - 0.24)])

    ax.text(
        4.3,
        -0.25,
        "PyTorch: $n_t = \\tanh(W_{in} x_t + b_{in} + r_t \\odot (W_{hn} h_{t-1} + b_{hn}))$\n"
        "Cho et al. 2014: $n_t = \\tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \\odot h_{t-1})"
        " + b_{hn})$",
        ha="left",
        va="center",
        fontsize=8,
        gid="caption:variants",
    )
    return fig


def diagram_gids(fig: Figure) -> list[str]:
    """The ``gid`` of every labelled element in a diagram, sorted.

    >>> "label:c_t" in diagram_gids(lstm_cell_diagram(projection=False))
    True
    """
    gids = {a.get_gid() for ax in fig.axes for a in (*ax.patches, *ax.texts, *ax.lines)}
    return sorted(g for g in gids if g)
