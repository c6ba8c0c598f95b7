"""Forecasting Mauna Loa CO2 ten years ahead: an RNN against naive and linear baselines.

The series y (monthly means, ppm) rises every year and swings with the seasons. Every model
here forecasts the whole held-out tail (the last ``horizon`` months) from the end of the
training part, feeding its own predictions back in where it needs earlier values:

    naive            y_hat[T + k] = y[T]                          (the last value, flat)
    seasonal naive   y_hat[T + k] = y[T + k - 12 m]               (last year again, m >= 1)
    linear AR(p)     d_t = y_t - y_{t-1};  d_hat_t = a_0 + sum_{j=1..p} a_j d_{t-j}
                     (least squares on the training part), y_hat = y[T] + cumsum(d_hat)
    RNN              the same monthly changes d_t, standardised, read one at a time by a cell;
                     trained to predict the next change; y_hat = y[T] + cumsum(d_hat)

The AR model and the RNN see the same inputs: one is linear, the other is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncourse.cells import cell_of, get_cell
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import mse_loss
from rnncourse.models import init_model

__all__ = [
    "ForecastConfig",
    "ar_fit",
    "ar_forecast",
    "errors",
    "forecast_loss",
    "naive_forecast",
    "plot_forecasts",
    "rnn_forecast",
    "seasonal_naive_forecast",
    "split",
    "train_forecaster",
]

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class ForecastConfig:
    cell: str = "gru"  # "rnn", "lstm" or "gru"
    H: int = 32  # hidden units
    T: int = 48  # window length (months) of a training sequence
    N: int = 16  # windows per batch
    steps: int = 300  # Adam updates
    lr: float = 3e-3
    clip: float = 1.0
    seed: int = 0


def split(y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The training part and the held-out tail, the last ``horizon`` values."""
    if not 0 < horizon < len(y):
        raise ValueError(f"horizon must lie in (0, {len(y)}), got {horizon}")
    return y[:-horizon], y[-horizon:]


def naive_forecast(train: np.ndarray, horizon: int) -> np.ndarray:
    """The last value, repeated.

    >>> naive_forecast(np.array([1.0, 2.0, 5.0]), 2)
    array([5., 5.])
    """
    return np.full(horizon, train[-1], dtype=np.float64)


def seasonal_naive_forecast(train: np.ndarray, horizon: int, season: int = 12) -> np.ndarray:
    """The last full season, repeated: ``y_hat[T + k] = y[T + k - season * m]``.

    >>> seasonal_naive_forecast(np.array([0.0, 1.0, 2.0, 3.0]), 3, season=2)
    array([2., 3., 2.])
    """
    last = train[-season:]
    return np.resize(last, horizon).astype(np.float64)


def ar_fit(d: np.ndarray, p: int) -> np.ndarray:
    """Least-squares AR(p) with intercept: returns ``a (p + 1,)``, d_t ~ a_0 + sum_j a_j d_{t-j}.

    >>> d = np.array([1.0, -1.0] * 20)          # alternates: d_t = -d_{t-1}
    >>> ar_fit(d, 1).round(6)
    array([ 0., -1.])
    """
    L = len(d)
    if L <= 2 * p + 1:
        raise ValueError(f"need more than {2 * p + 1} values for AR({p}), got {L}")
    lags = np.stack([d[p - j : L - j] for j in range(1, p + 1)], axis=1)  # (L - p, p)
    X = np.concatenate([np.ones((L - p, 1)), lags], axis=1)  # (L - p, p + 1)
    a, *_ = np.linalg.lstsq(X, d[p:], rcond=None)
    return a


def ar_forecast(train: np.ndarray, horizon: int, p: int = 24) -> np.ndarray:
    """AR(p) on the monthly changes, iterated ``horizon`` steps, then summed back to levels."""
    d = list(np.diff(train))
    a = ar_fit(np.asarray(d), p)
    for _ in range(horizon):
        d.append(a[0] + float(np.dot(a[1:], d[-1 : -p - 1 : -1])))
    return train[-1] + np.cumsum(d[-horizon:])


def forecast_loss(
    params: Params, x: np.ndarray, targets: np.ndarray, *, cell: str | None = None
) -> tuple[float, Params]:
    """Mean squared error of the per-step predictions on windows x (N, T, 1), targets (N, T, 1),
    each window read from a zero state; and the gradients. ``cell``: the cell's name in
    ``rnncourse.cells.CELLS`` (default: told by the parameters)."""
    c = get_cell(cell) if cell is not None else cell_of(params)
    state = c.zero_state(params, x.shape[0])
    h, cache = c.forward(params, x, state)  # (N, T, H)
    y = output_forward(h, params["W_hy"], params["b_y"])  # (N, T, 1)
    loss, dy = mse_loss(y, targets)
    dh, dW_hy, db_y = output_backward(dy, h, params["W_hy"])
    _, _, grads = c.backward(params, x, state, h, cache, dh)
    grads["W_hy"], grads["b_y"] = dW_hy, db_y
    return loss, grads


def _standardise(train: np.ndarray) -> tuple[np.ndarray, float, float]:
    d = np.diff(train)
    mu, sd = float(d.mean()), float(d.std())
    return (d - mu) / sd, mu, sd


def train_forecaster(
    train: np.ndarray, config: ForecastConfig, *, progress: bool = False
) -> tuple[Params, dict[str, list[float]]]:
    """Fit the RNN to predict the next standardised monthly change, on random windows.

    Each step draws N windows of T + 1 consecutive changes z from the training part: the
    first T are the inputs, the last T (shifted by one) the targets.
    """
    from rnncourse.models import train as train_loop
    from rnncourse.optim import Adam

    rng = np.random.default_rng(config.seed)
    z, _, _ = _standardise(train)
    params = init_model(config.cell, 1, config.H, 1, rng)
    starts_max = len(z) - config.T - 1
    if starts_max < 1:
        raise ValueError(f"training series too short for windows of T = {config.T}")
    idx = np.arange(config.T + 1)

    def step_fn(p: Params, i: int) -> tuple[float, Params]:
        w = z[rng.integers(0, starts_max + 1, size=config.N)[:, None] + idx]  # (N, T + 1)
        return forecast_loss(p, w[:, :-1, None], w[:, 1:, None], cell=config.cell)

    history = train_loop(
        params, step_fn, Adam(lr=config.lr), config.steps,
        clip_norm=config.clip, progress=progress, desc=f"forecaster ({config.cell})",
    )  # fmt: skip
    return params, history


def rnn_forecast(
    params: Params, train: np.ndarray, horizon: int, *, cell: str | None = None
) -> np.ndarray:
    """Read the whole training part, then predict one change at a time and feed it back."""
    c = get_cell(cell) if cell is not None else cell_of(params)
    z, mu, sd = _standardise(train)
    h, cache = c.forward(params, z[None, :, None], c.zero_state(params, 1))
    state = c.last_state(h, cache)
    out = np.empty(horizon)
    for k in range(horizon):
        z_next = output_forward(state[0], params["W_hy"], params["b_y"])  # (1, 1)
        out[k] = z_next[0, 0]
        h, cache = c.forward(params, z_next[:, :, None] if z_next.ndim == 2 else z_next, state)
        state = c.last_state(h, cache)
    return train[-1] + np.cumsum(out * sd + mu)


def errors(forecast: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """RMSE and MAE over the tail, and the absolute error at its last step.

    >>> errors(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    {'rmse': 1.4142135623730951, 'mae': 1.0, 'final': 2.0}
    """
    e = np.asarray(forecast, dtype=np.float64) - truth
    return {
        "rmse": float(np.sqrt(np.mean(e**2))),
        "mae": float(np.mean(np.abs(e))),
        "final": float(abs(e[-1])),
    }


def plot_forecasts(
    t: np.ndarray, y: np.ndarray, forecasts: dict[str, np.ndarray], *, context: int = 60
):
    """The series (last ``context`` training months and the tail) with every forecast."""
    from rnncourse.plots import COLORS, PALETTE, new_figure, style_axes

    horizon = len(next(iter(forecasts.values())))
    fig, ax = new_figure(width=8.0, height=4.0)
    start = len(y) - horizon - context
    ax.plot(t[start:], y[start:], color=PALETTE["black"], lw=1.2, label="measured")
    ax.axvline(t[-horizon], color=PALETTE["grey"], ls=":", lw=1)
    for (name, f), color in zip(forecasts.items(), COLORS[:], strict=False):
        ax.plot(t[-horizon:], f, color=color, lw=1.4, label=name)
    style_axes(
        ax, title="Mauna Loa CO2: forecasts of the held-out tail",
        xlabel="year", ylabel="CO2 (ppm)", legend=True,
    )  # fmt: skip
    return fig
