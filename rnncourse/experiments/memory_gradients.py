"""How far back does the gradient reach? ``||dL/dh_t||`` through time for RNN, LSTM and GRU.

For a many-to-one model whose loss reads only the last prediction ``y = h_T @ W_hy.T + b_y``,
start from ``dL/dy = 1`` for every sequence, so ``dL/dh_T = W_hy`` (one row per sequence), and
walk back one step at a time with the cells' own step backward functions:

    vanilla RNN   dh_prev            = rnn_step_backward(dh_t, ...)[1]
    LSTM          dh_prev, dc_prev   = lstm_step_backward(dh_t, dc_t, ...)[1:3]
                  (inside: dc_prev = dc_t * f_t, the additive path of the memory cell)
    GRU           dh_prev            = gru_step_backward(dh_t, ...)[1]
                  (inside: dh_prev contains dh_t * z_t, the same kind of path)

``gradient_norms`` returns ``||dL/dh_t|| / ||dL/dh_T||`` for t = 1..T (norms over the whole
batch): 1 at t = T, and the fraction of the signal that survives k = T - t steps back.
An LSTM also reports ``||dL/dc_t|| / ||dL/dh_T||``, the whole gradient reaching the cell state
c_t: from c_{t+1} (through ``f_{t+1}``) and through ``h_t = o_t * tanh(c_t)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnncourse.gru import gru_step_backward
from rnncourse.lstm import lstm_step_backward, sigmoid
from rnncourse.models import CELLS
from rnncourse.rnn import rnn_step_backward

__all__ = ["gradient_norms", "plot_gradient_norms"]


def gradient_norms(
    cell: str, params: Mapping[str, np.ndarray], x: np.ndarray
) -> dict[str, np.ndarray]:
    """Norms of dL/dh_t (and dL/dc_t for an LSTM) relative to ||dL/dh_T||, t = 1..T.

    Args:
        cell: "rnn", "lstm", "gru" or "gru-cho"; params: a model from ``init_model``.
        x: a batch of inputs, (N, T, D).

    Returns:
        {"h": (T,) array} (plus "c": (T,) for an LSTM); entry t - 1 belongs to step t.

    >>> from rnncourse.models import init_model
    >>> rng = np.random.default_rng(0)
    >>> p = init_model("lstm", D=2, H=4, K=1, rng=rng)
    >>> g = gradient_norms("lstm", p, rng.normal(size=(3, 6, 2)))
    >>> g["h"].shape, float(g["h"][-1]), bool(g["c"][-1] > 0)
    ((6,), 1.0, True)
    """
    if cell not in ("rnn", "lstm", "gru", "gru-cho"):
        raise ValueError(f"cell must be 'rnn', 'lstm', 'gru' or 'gru-cho', got {cell!r}")
    if cell == "lstm" and "W_hr" in params:
        raise ValueError("gradient_norms does not handle an LSTM with a projection")
    N, T, _ = x.shape
    c = CELLS[cell]
    h0 = np.zeros((N, c.state_size(params)), dtype=x.dtype)
    h, aux = c.forward(params, x, h0)
    dh = np.broadcast_to(params["W_hy"][0], h0.shape).copy()  # dL/dh_T with dL/dy = 1, (N, H)
    norms_h = np.empty(T)
    norms_c = np.empty(T) if cell == "lstm" else None
    if cell == "lstm":
        cs = aux  # (N, T, H) cell states
        dc = np.zeros_like(h0)  # dL/dc_t from the steps after t (none after T)
        H = cs.shape[2]
        h_prevs = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H)
        a_o = x @ params["W_ih"][3 * H :].T + h_prevs @ params["W_hh"][3 * H :].T
        o = sigmoid(a_o + params["b"][3 * H :])  # (N, T, H) output gates
    for t in range(T - 1, -1, -1):
        norms_h[t] = np.linalg.norm(dh)
        h_prev = h[:, t - 1] if t > 0 else h0
        if cell == "rnn":
            dh = rnn_step_backward(dh, x[:, t], h_prev, h[:, t], params["W_xh"], params["W_hh"])[1]
        elif cell == "lstm":
            # the whole gradient reaching c_t: from c_{t+1}, and through h_t = o_t * tanh(c_t)
            norms_c[t] = np.linalg.norm(dc + dh * o[:, t] * (1.0 - np.tanh(cs[:, t]) ** 2))
            c_prev = cs[:, t - 1] if t > 0 else np.zeros_like(h0)
            _, dh, dc, *_ = lstm_step_backward(
                dh, dc, x[:, t], h_prev, c_prev, params["W_ih"], params["W_hh"], params["b"]
            )
        else:
            dh = gru_step_backward(
                dh,
                x[:, t],
                h_prev,
                params["W_ih"],
                params["W_hh"],
                params["b_ih"],
                params["b_hh"],
                reset_after=(cell == "gru"),
            )[1]
    out = {"h": norms_h / norms_h[-1]}
    if norms_c is not None:
        out["c"] = norms_c / norms_h[-1]
    return out


def plot_gradient_norms(
    curves: Mapping[str, np.ndarray], *, title: str | None = None, styles: Mapping | None = None
) -> object:
    """``||dL/dh_{T-k}|| / ||dL/dh_T||`` against k, log scale, one line per entry of ``curves``
    (label -> (T,) array as from ``gradient_norms``). ``styles``: label -> dict of plot kwargs.
    Returns a Figure."""
    from rnncourse.plots import COLORS, new_figure, style_axes

    fig, ax = new_figure()
    styles = styles or {}
    for j, (label, r) in enumerate(curves.items()):
        k = np.arange(len(r))[::-1]  # entry t - 1 is k = T - t steps back
        kw = {"color": COLORS[j % len(COLORS)], "lw": 1.8} | dict(styles.get(label, {}))
        ax.plot(k, np.maximum(r, 1e-300), label=label, **kw)
    ax.set_yscale("log")
    style_axes(
        ax,
        title=title or "How much gradient reaches k steps back",
        xlabel="steps back k = T - t",
        ylabel="$\\|dL/dh_{T-k}\\| \\,/\\, \\|dL/dh_T\\|$",
        legend=True,
    )
    return fig
