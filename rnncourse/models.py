"""A sequence model: a recurrent cell, then the output layer, then a loss.

    h = cell_forward(x, h0)                 # (N, T, H) hidden states
    y = output_forward(h or h[:, -1])       # (N, T, K) per step, or (N, K) at the last step
    loss, dy = loss(y, targets)

``model_loss`` runs that forward pass and the backward pass through it and returns the loss
and a gradient for every parameter. ``train`` is a plain loop around it. Parameters live in
one dict, ``{"W_xh": ..., "W_hh": ..., "b_h": ..., "W_hy": ..., "b_y": ...}`` for the
vanilla RNN, so optimisers and ``clip_grad_norm`` work on the whole model at once.

Cells are looked up by name in ``CELLS``, the registry of ``rnncourse.cells`` (re-exported
here): "rnn", "lstm" (options ``P``, ``forget_bias``), "gru" (PyTorch's) and "gru-cho" (Cho
et al. 2014). ``h0`` may be a bare initial hidden state (an LSTM then starts from c_0 = 0) or a
whole state tuple, ``(h0, c0)`` for the LSTM.

Tasks:
    "many-to-one"   one target per sequence, read from the last hidden state h_T
    "many-to-many"  one target per step (optionally masked), read from every h_t
Losses: "cross_entropy" (integer class targets, K classes) or "mse" (real targets, K values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from rnncourse.cells import CELLS, Cell, get_cell
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import mse_loss, softmax_cross_entropy
from rnncourse.optim import clip_grad_norm

__all__ = [
    "CELLS",
    "Cell",
    "count_params",
    "init_model",
    "model_forward",
    "model_loss",
    "parameter_counts",
    "train",
]

Params = dict[str, np.ndarray]


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
    c = get_cell(cell)
    params = c.init(D, H, rng, dtype=dtype, **cell_kw)
    H_out = c.state_size(params)
    params["W_hy"], params["b_y"] = init_output(H_out, K, rng, dtype=dtype)
    return params


def count_params(params: Mapping[str, np.ndarray]) -> int:
    """The number of scalars in all parameter arrays."""
    return int(sum(v.size for v in params.values()))


def parameter_counts(w: int, D: int, H: int, K: int) -> tuple[int, int]:
    """The parameters of two models that read sequences of D-dimensional steps (lesson 1):

    - a window MLP: the last w steps side by side (w * D inputs), a hidden layer of H units,
      K outputs: W1 (H, w·D), b1 (H,), W2 (K, H), b2 (K,);
    - a vanilla RNN with H hidden units and an output layer to K outputs: W_xh (H, D),
      W_hh (H, H), b_h (H,), W_hy (K, H), b_y (K,) (``init_model("rnn", D, H, K)``), shared
      by every step, so its count does not depend on w.

    Returns:
        (n_mlp, n_rnn), ints.

    >>> parameter_counts(w=10, D=15, H=8, K=2)
    (1226, 210)
    >>> count_params(init_model("rnn", D=15, H=8, K=2, rng=np.random.default_rng(0)))
    210
    """
    n_mlp = H * w * D + H + K * H + K
    n_rnn = H * D + H * H + H + K * H + K
    return int(n_mlp), int(n_rnn)


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
    c = get_cell(cell)
    state = c.zero_state(params, x.shape[0], x.dtype) if h0 is None else h0
    h, _ = c.forward(params, x, state)
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
    c = get_cell(cell)
    N, T, _ = x.shape
    state = c.zero_state(params, N, x.dtype) if h0 is None else h0
    h, cache = c.forward(params, x, state)
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
    _, _, grads = c.backward(params, x, state, h, cache, dh)
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
