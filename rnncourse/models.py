"""A sequence model: a recurrent cell, then the output layer, then a loss.

    h = cell_forward(x, h0)                 # (N, T, H) hidden states
    y = output_forward(h or h[:, -1])       # (N, T, K) per step, or (N, K) at the last step
    loss, dy = loss(y, targets)

``model_loss`` runs that forward pass and the backward pass through it and returns the loss
and a gradient for every parameter. ``train`` is a plain loop around it. Parameters live in
one dict, ``{"W_xh": ..., "W_hh": ..., "b_h": ..., "W_hy": ..., "b_y": ...}`` for the
vanilla RNN, so optimisers and ``clip_grad_norm`` work on the whole model at once.

Cells are looked up by name in ``CELLS``; each is a small adapter over the cell's own pure
forward/backward functions (``rnncourse.rnn``, ``rnncourse.lstm``, ``rnncourse.gru``): "rnn",
"lstm" (options ``P``, ``forget_bias``), "gru" (PyTorch's) and "gru-cho" (Cho et al. 2014).

Tasks:
    "many-to-one"   one target per sequence, read from the last hidden state h_T
    "many-to-many"  one target per step (optionally masked), read from every h_t
Losses: "cross_entropy" (integer class targets, K classes) or "mse" (real targets, K values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnncourse.gru import gru_backward, gru_forward, init_gru
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import mse_loss, softmax_cross_entropy
from rnncourse.lstm import init_lstm, lstm_backward, lstm_forward
from rnncourse.optim import clip_grad_norm
from rnncourse.rnn import init_rnn, rnn_backward, rnn_forward

__all__ = ["CELLS", "Cell", "count_params", "init_model", "model_forward", "model_loss", "train"]

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Cell:
    """How the model drives one kind of recurrent cell.

    init(D, H, rng, dtype, **kw) -> dict of the cell's parameters
    forward(p, x, h0) -> (h (N, T, H_out), aux): aux is whatever backward needs (e.g. c)
    backward(p, x, h0, h, aux, dh) -> (dx, {name: gradient})
    state_size(p) -> the size of h0's last axis
    """

    init: Callable[..., Params]
    forward: Callable[..., tuple[np.ndarray, object]]
    backward: Callable[..., tuple[np.ndarray, Params]]
    state_size: Callable[[Mapping[str, np.ndarray]], int]


def _rnn_init(D: int, H: int, rng: np.random.Generator, dtype: type = np.float64) -> Params:
    W_xh, W_hh, b_h = init_rnn(D, H, rng, dtype=dtype)
    return {"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}


def _rnn_forward(p: Mapping[str, np.ndarray], x: np.ndarray, h0: np.ndarray) -> tuple:
    return rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"]), None


def _rnn_backward(p, x, h0, h, aux, dh) -> tuple[np.ndarray, Params]:
    dx, _, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
    return dx, {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}


def _lstm_init(
    D: int,
    H: int,
    rng: np.random.Generator,
    dtype: type = np.float64,
    P: int | None = None,
    forget_bias: float | None = None,
) -> Params:
    params = init_lstm(D, H, rng, P=P, forget_bias=forget_bias, dtype=dtype)
    return dict(zip(["W_ih", "W_hh", "b", "W_hr"], params, strict=False))


def _lstm_forward(p: Mapping[str, np.ndarray], x: np.ndarray, h0: np.ndarray) -> tuple:
    N, H = x.shape[0], p["W_hh"].shape[0] // 4
    c0 = np.zeros((N, H), dtype=h0.dtype)  # the model starts every sequence from c_0 = 0
    h, c = lstm_forward(x, h0, c0, p["W_ih"], p["W_hh"], p["b"], p.get("W_hr"))
    return h, c


def _lstm_backward(p, x, h0, h, c, dh) -> tuple[np.ndarray, Params]:
    c0 = np.zeros((x.shape[0], c.shape[2]), dtype=h0.dtype)
    W_hr = p.get("W_hr")
    g = lstm_backward(dh, x, h0, c0, h, c, p["W_ih"], p["W_hh"], p["b"], W_hr)
    grads = {"W_ih": g[3], "W_hh": g[4], "b": g[5]}
    if W_hr is not None:
        grads["W_hr"] = g[6]
    return g[0], grads


def _gru_init(D: int, H: int, rng: np.random.Generator, dtype: type = np.float64) -> Params:
    return dict(
        zip(["W_ih", "W_hh", "b_ih", "b_hh"], init_gru(D, H, rng, dtype=dtype), strict=True)
    )


def _gru_cell(reset_after: bool) -> Cell:
    def forward(p: Mapping[str, np.ndarray], x: np.ndarray, h0: np.ndarray) -> tuple:
        h = gru_forward(x, h0, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], reset_after)
        return h, None

    def backward(p, x, h0, h, aux, dh) -> tuple[np.ndarray, Params]:
        g = gru_backward(dh, x, h0, h, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], reset_after)
        return g[0], {"W_ih": g[2], "W_hh": g[3], "b_ih": g[4], "b_hh": g[5]}

    return Cell(_gru_init, forward, backward, lambda p: p["W_hh"].shape[1])


# "lstm" takes init options P (projection size) and forget_bias; "gru" is PyTorch's variant,
# "gru-cho" the one of Cho et al. (2014) (``reset_after=False``), with the same parameters.
CELLS: dict[str, Cell] = {
    "rnn": Cell(_rnn_init, _rnn_forward, _rnn_backward, lambda p: p["W_hh"].shape[0]),
    "lstm": Cell(_lstm_init, _lstm_forward, _lstm_backward, lambda p: p["W_hh"].shape[1]),
    "gru": _gru_cell(reset_after=True),
    "gru-cho": _gru_cell(reset_after=False),
}


def _cell(name: str) -> Cell:
    try:
        return CELLS[name]
    except KeyError:
        raise ValueError(f"unknown cell {name!r}; choose one of {sorted(CELLS)}") from None


def init_model(
    cell: str,
    D: int,
    H: int,
    K: int,
    rng: np.random.Generator,
    *,
    dtype: type = np.float64,
    **cell_kw: object,
) -> Params:
    """Parameters of a cell with D inputs and H hidden units plus an output layer to K outputs.

    >>> p = init_model("rnn", D=3, H=8, K=2, rng=np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W_xh': (8, 3), 'W_hh': (8, 8), 'b_h': (8,), 'W_hy': (2, 8), 'b_y': (2,)}
    """
    params = _cell(cell).init(D, H, rng, dtype=dtype, **cell_kw)
    H_out = _cell(cell).state_size(params)
    params["W_hy"], params["b_y"] = init_output(H_out, K, rng, dtype=dtype)
    return params


def count_params(params: Mapping[str, np.ndarray]) -> int:
    """The number of scalars in all parameter arrays."""
    return int(sum(v.size for v in params.values()))


def model_forward(
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    *,
    cell: str = "rnn",
    task: str = "many-to-one",
    h0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the model: returns ``(y, h)``, outputs and all hidden states.

    y is (N, K) for "many-to-one" (from h_T) and (N, T, K) for "many-to-many".
    """
    c = _cell(cell)
    N = x.shape[0]
    if h0 is None:
        h0 = np.zeros((N, c.state_size(params)), dtype=x.dtype)
    h, _ = c.forward(params, x, h0)
    h_out = h[:, -1] if task == "many-to-one" else h
    return output_forward(h_out, params["W_hy"], params["b_y"]), h


def model_loss(
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    targets: np.ndarray,
    *,
    cell: str = "rnn",
    task: str = "many-to-one",
    loss: str = "cross_entropy",
    mask: np.ndarray | None = None,
    h0: np.ndarray | None = None,
) -> tuple[float, Params]:
    """The loss on a batch and its gradient with respect to every parameter.

    Args:
        params: the model's parameters (see ``init_model``).
        x: inputs, (N, T, D).
        targets: (N,) or (N, K) for "many-to-one"; (N, T) or (N, T, K) for "many-to-many";
            integers for "cross_entropy", reals for "mse".
        mask: optional bool (N, T) for "many-to-many": only True steps count in the loss.

    Returns:
        (loss, grads), grads keyed like ``params``.

    >>> rng = np.random.default_rng(0)
    >>> p = init_model("rnn", D=2, H=4, K=3, rng=rng)
    >>> x = rng.normal(size=(5, 6, 2)); t = rng.integers(0, 3, size=5)
    >>> loss, grads = model_loss(p, x, t)
    >>> sorted(grads) == sorted(p), round(loss, 2) > 0
    (True, True)
    """
    if task not in ("many-to-one", "many-to-many"):
        raise ValueError(f"task must be 'many-to-one' or 'many-to-many', got {task!r}")
    if loss not in ("cross_entropy", "mse"):
        raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {loss!r}")
    c = _cell(cell)
    N, T, _ = x.shape
    if h0 is None:
        h0 = np.zeros((N, c.state_size(params)), dtype=x.dtype)
    h, aux = c.forward(params, x, h0)
    h_out = h[:, -1] if task == "many-to-one" else h
    y = output_forward(h_out, params["W_hy"], params["b_y"])

    if loss == "mse" and targets.shape != y.shape:
        targets = targets.reshape(y.shape)
    if mask is not None:
        if task != "many-to-one" and mask.shape != (N, T):
            raise ValueError(f"mask must be (N, T) = {(N, T)}, got {mask.shape}")
        value, dsel = (softmax_cross_entropy if loss == "cross_entropy" else mse_loss)(
            y[mask], targets[mask]
        )
        dy = np.zeros_like(y)
        dy[mask] = dsel
    elif loss == "cross_entropy":
        value, dy = softmax_cross_entropy(y, targets)
    else:
        value, dy = mse_loss(y, targets)

    dh_out, dW_hy, db_y = output_backward(dy, h_out, params["W_hy"])
    if task == "many-to-one":
        dh = np.zeros_like(h)
        dh[:, -1] = dh_out
    else:
        dh = dh_out
    _, grads = c.backward(params, x, h0, h, aux, dh)
    grads["W_hy"], grads["b_y"] = dW_hy, db_y
    return value, grads


def train(
    params: Params,
    step_fn: Callable[[Params, int], tuple[float, Params]],
    optimizer: object,
    steps: int,
    *,
    clip_norm: float | None = None,
    progress: bool = False,
    desc: str = "training",
) -> dict[str, list[float]]:
    """Run ``steps`` updates: ``loss, grads = step_fn(params, i)``; clip; ``optimizer.step``.

    ``step_fn`` draws its own batch for step i (so data come from an explicit rng).
    Returns the history: ``{"loss": [...], "grad_norm": [...]}`` (norm before clipping).
    With ``progress=True`` a ``tqdm.auto`` bar shows the loss (a widget in a notebook).
    """
    history: dict[str, list[float]] = {"loss": [], "grad_norm": []}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=desc, leave=False)
    try:
        for i in range(steps):
            value, grads = step_fn(params, i)
            if clip_norm is not None:
                grads, norm = clip_grad_norm(grads, clip_norm)
            else:
                norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
            optimizer.step(params, grads)
            history["loss"].append(float(value))
            history["grad_norm"].append(norm)
            if bar is not None:
                bar.update(1)
                if i % 20 == 0:
                    bar.set_postfix(loss=f"{value:.4f}")
    finally:
        if bar is not None:
            bar.close()
    return history
