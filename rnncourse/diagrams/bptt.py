"""The unrolled RNN as a computation graph, with the gradient paths of BPTT drawn on it.

Each step t has an input x_t, a hidden state h_t and a loss term L_t (read from the output
y_t = W_hy h_t + b_y). Forward edges (solid, blue): x_t -> h_t, h_{t-1} -> h_t (through the
shared W_hh), h_t -> L_t. Backward edges (dashed, vermillion) carry gradients the other way;
exactly two arrive at every hidden state but the last:

    dL/dh_t = dL_t/dh_t                                   # from its own output
            + (dh_{t+1}/dh_t)^T dL/dh_{t+1}               # from the next step

Nodes are patches with ``gid`` ``"node:<name>"`` and edges arrows with ``gid``
``"forward:..."`` / ``"backward:..."``, so tests (and curious learners) can count them.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from rnncourse.plots import PALETTE, new_figure

__all__ = ["bptt_graph"]

FORWARD = PALETTE["blue"]
BACKWARD = PALETTE["vermillion"]
_R = 0.27  # node radius


def _node(ax, x: float, y: float, label: str, name: str, kind: str) -> None:
    fill = {"x": "#FFFFFF", "h": "#E8F1F8", "L": "#FDF0E6"}[kind]
    if kind == "L":
        patch = FancyBboxPatch(
            (x - _R, y - _R * 0.8),
            2 * _R,
            1.6 * _R,
            boxstyle="round,pad=0.02",
            facecolor=fill,
            edgecolor=PALETTE["black"],
            linewidth=1.2,
            zorder=3,
        )
    else:
        patch = Circle(
            (x, y), _R, facecolor=fill, edgecolor=PALETTE["black"], linewidth=1.2, zorder=3
        )
    patch.set_gid(f"node:{name}")
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=4)


def _edge(ax, a: tuple, b: tuple, gid: str, backward: bool, rad: float = 0.0) -> None:
    arrow = FancyArrowPatch(
        a,
        b,
        arrowstyle="-|>",
        mutation_scale=13,
        color=BACKWARD if backward else FORWARD,
        linestyle=(0, (4, 2.5)) if backward else "-",
        linewidth=1.6,
        shrinkA=17,
        shrinkB=17,
        connectionstyle=f"arc3,rad={rad}",
        zorder=2,
    )
    arrow.set_gid(gid)
    ax.add_patch(arrow)


def bptt_graph(T: int = 4, *, highlight: int | None = None, width: float = 8.0) -> Figure:
    """Draw the unrolled graph for T steps with forward and backward (gradient) edges.

    Args:
        T: number of time steps drawn (1 to 8).
        highlight: the step t (1-based) whose two incoming gradient paths are labelled;
            default T - 1 (or 1 when T = 1).
        width: figure width in inches.

    Returns:
        A matplotlib Figure (not registered with pyplot): 3 T + 1 nodes (h_0, and x_t, h_t,
        L_t for each step), 4 T - 1 forward edges and 2 T - 1 backward edges.

    >>> fig = bptt_graph(3)
    >>> sum(1 for p in fig.axes[0].patches if (p.get_gid() or "").startswith("node:"))
    10
    """
    if not 1 <= T <= 8:
        raise ValueError(f"draw between 1 and 8 steps, got T={T}")
    if highlight is None:
        highlight = max(1, T - 1)
    if not 1 <= highlight <= T:
        raise ValueError(f"highlight must be a step in 1..{T}, got {highlight}")
    fig, ax = new_figure(width=width, height=3.9)
    ax.set_title("Backpropagation through time: forward edges and gradient paths")
    ys = {"x": 0.0, "h": 1.5, "L": 3.0}

    def sub(t: int) -> str:
        return str(t) if t <= 9 else "{" + str(t) + "}"

    _node(ax, 0.0, ys["h"], r"$h_0$", "h_0", "h")
    for t in range(1, T + 1):
        X = 1.6 * t
        _node(ax, X, ys["x"], rf"$x_{sub(t)}$", f"x_{t}", "x")
        _node(ax, X, ys["h"], rf"$h_{sub(t)}$", f"h_{t}", "h")
        _node(ax, X, ys["L"], rf"$L_{sub(t)}$", f"L_{t}", "L")
        Xp = 1.6 * (t - 1)
        # forward: input, recurrence, output
        _edge(ax, (X, ys["x"]), (X, ys["h"]), f"forward:x_{t}->h_{t}", False)
        _edge(ax, (Xp, ys["h"]), (X, ys["h"]), f"forward:h_{t - 1}->h_{t}", False)
        _edge(ax, (X - 0.07, ys["h"]), (X - 0.07, ys["L"]), f"forward:h_{t}->L_{t}", False)
        # backward: from the output, and (except at t = T) from the next step
        _edge(ax, (X + 0.07, ys["L"]), (X + 0.07, ys["h"]), f"backward:L_{t}->h_{t}", True)
        if t < T:
            _edge(
                ax, (X + 1.6, ys["h"]), (X, ys["h"]), f"backward:h_{t + 1}->h_{t}", True, rad=0.45
            )
        ax.text(
            X - 0.8,
            ys["h"] + 0.12,
            r"$W_{hh}$",
            ha="center",
            va="bottom",
            fontsize=8,
            color=FORWARD,
        )

    t = highlight
    X = 1.6 * t
    ax.annotate(
        rf"$\partial L_{sub(t)}/\partial h_{sub(t)}$",
        (X - 0.1, 2.3),
        xytext=(X - 0.2, 2.3),
        fontsize=9,
        color=BACKWARD,
        ha="right",
        va="center",
    )
    if t < T:
        ax.text(
            X + 0.8,
            2.1,
            rf"$(\partial h_{sub(t + 1)}/\partial h_{sub(t)})^\top"
            rf"\,\partial L/\partial h_{sub(t + 1)}$",
            fontsize=9,
            color=BACKWARD,
            ha="center",
            va="center",
        )
    ax.plot([], [], color=FORWARD, linewidth=1.6, label="forward: computes values")
    ax.plot(
        [],
        [],
        color=BACKWARD,
        linewidth=1.6,
        linestyle=(0, (4, 2.5)),
        label="backward: carries gradients",
    )
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    ax.set_xlim(-0.5, 1.6 * T + 0.9)
    ax.set_ylim(-0.5, 3.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
