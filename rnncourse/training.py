"""The training loop, written out: one training step, and a trainer that takes your functions.

One step of training a recurrent network on a batch (lesson 10, "Train it yourself")::

    h      = forward(x, h0, W_xh, W_hh, b_h)          # (N, T, H)   all hidden states
    y      = h @ W_hy.T + b_y                         # (N, T, K)   scores
    loss, dy = loss_fn(y, targets)                    # mean cross-entropy and dL/dy
    dh, dW_hy, db_y = output backward                 # dL/dh_t from the outputs only
    dx, dh0, dW_xh, dW_hh, db_h = backward(dh, x, h0, h, W_xh, W_hh)    # BPTT
    grads, norm = clip(grads, max_norm)               # one global norm for all arrays
    params, m, v = step(params, grads, m, v, t, lr)   # Adam (or SGD, momentum)

The last hidden state ``h[:, -1]`` is returned so that the next batch of the same streams
starts from it (truncated BPTT: the carried state is a constant for the next backward).

``train_step`` is that step with the package's own functions (the graded reference).
``train_charmodel`` is the trainer: it runs the same step with the functions you pass in
(``forward=``, ``backward=``, ``loss=``, ``clip=``, ``step=``) on a character model over a
text, carrying the hidden state from chunk to chunk, and records the training loss, the
gradient norm and the validation bits per character. The functions are called exactly with
the course's signatures (``rnn_forward``, ``rnn_backward``, ``softmax_cross_entropy``,
``clip_grad_norm``, and ``sgd_step`` / ``momentum_step`` / ``adam_step``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rnncourse.bars import end_progress_early
from rnncourse.dropout import dropout_backward, dropout_forward
from rnncourse.losses import log_softmax, softmax_cross_entropy
from rnncourse.optim import adam_step, clip_grad_norm, zeros_like
from rnncourse.rnn import rnn_backward, rnn_forward

__all__ = [
    "NotReady",
    "bigram_bits",
    "init_char_rnn",
    "train_charmodel",
    "train_step",
    "validation_bits",
]

Params = dict[str, np.ndarray]
RNN_KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


class NotReady(Exception):
    """One of the functions given to the trainer is still a stub (raised NotImplementedError).

    In a notebook it shows as one line, not a traceback: which function, and what to do."""

    def _render_traceback_(self) -> list[str]:
        return [f"NotReady: {self}"]


def _yours(fn: Callable, role: str) -> Callable:
    """``fn``, with a NotImplementedError from it turned into a :class:`NotReady` naming it."""
    name = getattr(fn, "__name__", role)

    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except NotImplementedError:
            raise NotReady(
                f"{name} (the trainer's {role}=) is not implemented yet: answer its exercise, "
                "run that cell, then run this one again"
            ) from None

    return call


def init_char_rnn(V: int, H: int, rng: np.random.Generator, dtype: type = np.float64) -> Params:
    """A character RNN's parameters, PyTorch's initialisation: every array uniform in
    [-1/sqrt(H), 1/sqrt(H)] (the bias b_h the sum of PyTorch's two draws, ``b_ih + b_hh``).

    >>> p = init_char_rnn(V=5, H=3, rng=np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W_xh': (3, 5), 'W_hh': (3, 3), 'b_h': (3,), 'W_hy': (5, 3), 'b_y': (5,)}
    """
    s = 1.0 / np.sqrt(H)

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-s, s, size=shape).astype(dtype)

    return {
        "W_xh": u(H, V),
        "W_hh": u(H, H),
        "b_h": u(H) + u(H),
        "W_hy": u(V, H),
        "b_y": u(V),
    }


# The output layer is written out here, not called from rnncourse.layers: in a graded kernel
# the package's output_forward / output_backward (lesson 03's exercises) are withheld, and the
# trainer, which runs the learner's own functions, must still work there.
def _scores(h: np.ndarray, W_hy: np.ndarray, b_y: np.ndarray) -> np.ndarray:
    return h @ W_hy.T + b_y  # (..., K)


def _loss_and_grads(params, x, targets, h0, forward, backward, loss_fn, drop=None):
    """Loss, gradients and all hidden states; ``drop=(p, rng)`` puts dropout on the hidden
    states that feed the output layer (a fresh mask for every update, train mode)."""
    h = forward(x, h0, params["W_xh"], params["W_hh"], params["b_h"])  # (N, T, H)
    h_out, mask = (h, None) if drop is None else dropout_forward(np.asarray(h), *drop)
    y = _scores(h_out, params["W_hy"], params["b_y"])  # (N, T, K)
    loss, dy = loss_fn(y, targets)
    K, H = params["W_hy"].shape
    dh = dy @ params["W_hy"]  # (N, T, H): dL/dh_t from the outputs only
    dW_hy = dy.reshape(-1, K).T @ h_out.reshape(-1, H)
    db_y = dy.reshape(-1, K).sum(axis=0)
    if mask is not None:
        dh = dropout_backward(dh, mask)
    _, _, dW_xh, dW_hh, db_h = backward(dh, x, h0, h, params["W_xh"], params["W_hh"])
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}
    return float(loss), grads, h


def train_step(
    params: Params,
    m: Params,
    v: Params,
    t: int,
    x: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray,
    lr: float,
    max_norm: float,
) -> tuple[Params, Params, Params, float, np.ndarray]:
    """One training step of an RNN with an output layer: forward, loss, BPTT, clipping, Adam.

    Args:
        params: ``W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (K, H), b_y (K,)``.
        m, v: Adam's state, keyed like ``params`` (zeros before the first step).
        t: the number of this step, 1 for the first.
        x: inputs (N, T, D); targets: class ids (N, T) int; h0: the initial state (N, H).
        lr: Adam's learning rate; max_norm: the global-norm clip.

    Returns:
        (params, m, v, loss, h_T): the new parameters and state, the loss *before* the
        update, and the last hidden state (N, H) to start the next chunk from. New arrays;
        the inputs are not modified.
    """
    loss, grads, h = _loss_and_grads(
        params, x, targets, h0, rnn_forward, rnn_backward, softmax_cross_entropy
    )
    grads, _ = clip_grad_norm(grads, max_norm)
    new_params, new_m, new_v = adam_step(params, grads, m, v, t, lr)
    return new_params, new_m, new_v, loss, h[:, -1].copy()


def _onehot(ids: np.ndarray, V: int, dtype: Any) -> np.ndarray:
    return np.eye(V, dtype=dtype)[ids]


def validation_bits(
    params: Params,
    ids: np.ndarray,
    *,
    forward: Callable = rnn_forward,
    N: int = 8,
    T: int = 128,
) -> float:
    """Bits per character of the model on ``ids``: cut into N streams, read in chunks of T
    with the state carried; every character but the first of each stream is predicted once."""
    V = params["W_hy"].shape[0]
    L = len(ids) // N
    streams = np.asarray(ids[: N * L]).reshape(N, L)
    h0 = np.zeros((N, params["W_hh"].shape[0]), dtype=params["W_hh"].dtype)
    total, count = 0.0, 0
    for s in range(0, L - 1, T):
        tgt = streams[:, s + 1 : s + T + 1]
        inp = streams[:, s : s + tgt.shape[1]]
        h = np.asarray(
            forward(_onehot(inp, V, h0.dtype), h0, params["W_xh"], params["W_hh"], params["b_h"])
        )
        logp = log_softmax(_scores(h, params["W_hy"], params["b_y"]).astype(np.float64))
        total -= float(np.take_along_axis(logp, tgt[..., None], axis=-1).sum())
        count += tgt.size
        h0 = h[:, -1]
    return total / count / np.log(2.0)


def bigram_bits(train_ids: np.ndarray, val_ids: np.ndarray, V: int) -> float:
    """Bits per character of the bigram model: p(c_t | c_{t-1}) from counts on the training
    text, add-one smoothed; the first validation character is not predicted.

    >>> round(bigram_bits(np.array([0, 1, 0, 1, 0]), np.array([0, 1, 0]), V=2), 4)   # -log2(3/4)
    0.415
    """
    counts = np.ones((V, V))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    logp = np.log2(counts / counts.sum(axis=1, keepdims=True))
    return float(-logp[val_ids[:-1], val_ids[1:]].mean())


def _optimizer(step: Callable) -> str:
    """Which state ``step`` keeps, from its argument names."""
    try:
        names = list(inspect.signature(step).parameters)
    except (TypeError, ValueError):
        names = []
    if names[:6] == ["params", "grads", "m", "v", "t", "lr"]:
        return "adam"
    if names[:4] == ["params", "grads", "velocity", "lr"]:
        return "momentum"
    if names[:3] == ["params", "grads", "lr"]:
        return "sgd"
    raise TypeError(
        "step= must have the signature of sgd_step(params, grads, lr), "
        "momentum_step(params, grads, velocity, lr, ...) or adam_step(params, grads, m, v, t, lr, ...); "
        f"got arguments {names}"
    )


def train_charmodel(
    params: Params,
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    *,
    forward: Callable = rnn_forward,
    backward: Callable = rnn_backward,
    loss: Callable = softmax_cross_entropy,
    clip: Callable = clip_grad_norm,
    step: Callable = adam_step,
    steps: int = 300,
    N: int = 16,
    T: int = 32,
    lr: float = 3e-3,
    max_norm: float = 1.0,
    eval_every: int = 50,
    val_chars: int = 8192,
    on_eval: Callable[[int, Params, dict], None] | None = None,
    progress: bool = False,
    carry: bool = True,
    patience: int | None = None,
    dropout: float = 0.0,
    weight_decay: float = 0.0,
    seed: int = 0,
) -> tuple[Params, dict[str, list]]:
    """Train a character RNN on ``train_ids`` with the functions you pass; returns
    ``(params, history)``. ``params`` is not modified (each step returns new arrays).

    The text is cut into N streams (one per batch row); update i reads the next T characters
    of every stream, starting from the hidden state the previous update ended with (zero at
    the start and whenever the streams wrap round). Every ``eval_every`` updates, and after
    the last, the validation bits per character are measured on the first ``val_chars``
    characters of ``val_ids`` with your ``forward``, and ``on_eval(i, params, history)`` is
    called (to print samples or redraw a figure).

    ``carry=False`` starts every update from a zero state instead (the model then never sees
    context older than the chunk while training; validation still carries the state).

    **Early stopping**: with ``patience=k``, training stops once k measurements in a row have
    not improved on the best one, and the parameters of the best measurement are returned
    (``history["best_step"]``, ``history["stopped_at"]``). A progress bar stopped that way ends
    complete (green), not as an interrupted run.

    **Regularisation** (both off by default): ``dropout=p`` drops the hidden states that feed
    the output layer with probability p in training (inverted dropout, a fresh mask per update
    from ``np.random.default_rng(seed)``; validation runs in eval mode, without it);
    ``weight_decay=lam`` adds ``lam * W`` to the gradient of every weight matrix (not the
    biases) before clipping, the gradient of ``lam/2 * ||W||^2`` (coupled L2, as
    ``torch.optim.Adam(weight_decay=lam)``).

    history: ``loss`` (nats, per update), ``grad_norm`` (before clipping), ``val_step``,
    ``val_bits``, ``best_step``, ``stopped_at`` (the last update run).
    """
    kind = _optimizer(step)
    forward, backward, loss = (
        _yours(forward, "forward"),
        _yours(backward, "backward"),
        _yours(loss, "loss"),
    )
    clip, step = _yours(clip, "clip"), _yours(step, "step")
    V = params["W_hy"].shape[0]
    dtype = params["W_hh"].dtype
    L = len(train_ids) // N
    streams = np.asarray(train_ids[: N * L]).reshape(N, L)
    n_chunks = (L - 1) // T
    if n_chunks < 1:
        raise ValueError(f"the text is too short for N={N} streams of T={T} steps")
    val = np.asarray(val_ids[:val_chars])
    state = {
        k: zeros_like(params)
        for k in {"adam": ("m", "v"), "momentum": ("velocity",), "sgd": ()}[kind]
    }
    params = dict(params)
    history: dict = {"loss": [], "grad_norm": [], "val_step": [], "val_bits": []}
    h0 = np.zeros((N, params["W_hh"].shape[0]), dtype=dtype)
    drop_rng = np.random.default_rng(seed)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="training", leave=False)

    best = {"bits": np.inf, "step": 0, "params": params, "waited": 0}

    def evaluate(i: int) -> bool:
        """Measure; True when early stopping says stop."""
        bits = validation_bits(params, val, forward=forward)
        history["val_step"].append(i)
        history["val_bits"].append(bits)
        if bits < best["bits"]:
            best.update(bits=bits, step=i, params=params, waited=0)
        else:
            best["waited"] += 1
        if on_eval is not None:
            on_eval(i, params, history)
        return patience is not None and best["waited"] >= patience

    try:
        for i in range(steps):
            b = i % n_chunks
            if b == 0 or not carry:
                h0 = np.zeros_like(h0)
            s = b * T
            x = _onehot(streams[:, s : s + T], V, dtype)  # (N, T, V)
            targets = streams[:, s + 1 : s + T + 1]  # (N, T)
            drop = (dropout, drop_rng) if dropout > 0 else None
            value, grads, h = _loss_and_grads(params, x, targets, h0, forward, backward, loss, drop)
            if weight_decay:
                grads = {
                    k: g + weight_decay * params[k] if k.startswith("W_") else g
                    for k, g in grads.items()
                }
            grads, norm = clip(grads, max_norm)
            if kind == "adam":
                params, state["m"], state["v"] = step(
                    params, grads, state["m"], state["v"], i + 1, lr
                )
            elif kind == "momentum":
                params, state["velocity"] = step(params, grads, state["velocity"], lr)
            else:
                params = step(params, grads, lr)
            h0 = np.asarray(h)[:, -1].copy()
            history["loss"].append(value)
            history["grad_norm"].append(float(norm))
            if bar is not None:
                bar.update(1)
            if (i + 1) % eval_every == 0 and i + 1 < steps and evaluate(i + 1):
                break
        else:
            evaluate(steps)
        history["stopped_at"] = len(history["loss"])
        history["best_step"] = best["step"]
        if patience is not None:
            params = best["params"]
        if bar is not None:  # stopped early on purpose: a full bar, not a red one
            end_progress_early(bar.update, bar.total - bar.n)
    finally:
        if bar is not None:
            bar.close()
    return params, history
