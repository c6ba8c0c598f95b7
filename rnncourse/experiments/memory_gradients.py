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

from rnncourse.cells import get_cell

__all__ = ["gradient_norms", "plot_gradient_norms"]


def gradient_norms(
    cell: str, params: Mapping[str, np.ndarray], x: np.ndarray
) -> dict[str, np.ndarray]:
    """Norms of dL/dh_t (and dL/dc_t for an LSTM) relative to ||dL/dh_T||, t = 1..T.

    Args:
        cell: "rnn", "lstm", "gru" or "gru-cho"; params: a model from ``init_model``.
        x: a batch of inputs, (N, T, D).

    Returns:
        {"h": (T,) array} (plus "c": (T,) for an LSTM): one entry per state component of the
        cell (``rnncourse.cells``); entry t - 1 belongs to step t.

    >>> from rnncourse.models import init_model
    >>> rng = np.random.default_rng(0)
    >>> p = init_model("lstm", D=2, H=4, K=1, rng=rng)
    >>> g = gradient_norms("lstm", p, rng.normal(size=(3, 6, 2)))
    >>> g["h"].shape, float(g["h"][-1]), bool(g["c"][-1] > 0)
    ((6,), 1.0, True)
    """
    c = get_cell(cell)
    N, T, _ = x.shape
    state0 = c.zero_state(params, N, x.dtype)
    h, cache = c.forward(params, x, state0)
    traj = c.states(h, cache)  # every state component at every step, (N, T, ...)
    # dL/dh_T with dL/dy = 1 for every sequence, (N, H); no gradient on the other components
    dstate = (np.broadcast_to(params["W_hy"][0], state0[0].shape).copy(), *state0[1:])
    norms = {name: np.empty(T) for name in c.state_names}
    for t in range(T - 1, -1, -1):
        state_prev = tuple(s[:, t - 1] for s in traj) if t > 0 else state0
        state_t = tuple(s[:, t] for s in traj)
        # the whole gradient on each component of the state at step t (for the LSTM's c_t:
        # from c_{t+1}, and through h_t = o_t * tanh(c_t))
        whole = c.grads_of_state(params, x[:, t], state_prev, state_t, dstate)
        for name, g in zip(c.state_names, whole, strict=True):
            norms[name][t] = np.linalg.norm(g)
        _, dstate, _ = c.step_backward(params, x[:, t], state_prev, state_t, dstate)
    return {name: v / norms["h"][-1] for name, v in norms.items()}


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
