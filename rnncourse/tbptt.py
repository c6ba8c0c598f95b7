"""Truncated backpropagation through time (TBPTT), with its cost counted.

A long sequence of T steps is cut into chunks of k steps. The forward pass carries the
hidden state from one chunk into the next (the model still *sees* the whole past); the
backward pass stops at the chunk's first step: the state handed over from the previous chunk
is treated as a constant ("detached"), so no gradient crosses a chunk boundary.

    h_start = h0
    for each chunk c = x[:, s:s+k]:
        h_c          = rnn_forward(c, h_start)          # (N, k, H)
        loss_c, dW_c = BPTT inside the chunk only        # dL/dh_start is thrown away
        h_start      = h_c[:, -1]                        # carried, not differentiated

The model here is the vanilla RNN with an output at every step and a squared-error loss,
``y_t = W_hy h_t + b_y``, ``L = mean over N, T, K of (y_t - target_t)**2``: the loss of a chunk is
weighted by k / T so that the chunk losses add up to L, and with k = T the result is exactly
BPTT. With k < T the summed gradient is *biased*: it misses every path from a loss at step t
to a weight used before the start of t's chunk.

Cost of one update on a chunk of k steps (N batch, D inputs, H hidden, K outputs):

    multiply-adds  forward   N k (H D + H H + K H)       # x_t W_xh^T, h_{t-1} W_hh^T, h_t W_hy^T
                   backward  N k (H D + 2 H H + 2 K H)     # dW_xh; dW_hh and dh_prev;
                                                           # dh_t from y_t, and dW_hy
                   total     N k (2 H D + 3 H H + 3 K H)
                   (the input gradient dx is not needed, so it is not computed)
    stored floats  N k (D + H) + N H                      # x_t and h_t of the chunk, h_start

so the work per update and the memory both grow with k, not with T. ``truncated_bptt``
counts the multiply-adds of every matrix product it actually performs and the floats it
actually keeps for its backward pass; the tests check both against ``bptt_cost``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BPTTCost", "bptt_cost", "chunk_backward", "chunk_forward", "truncated_bptt"]

Params = dict[str, np.ndarray]


@dataclass
class BPTTCost:
    """Work and memory: multiply-adds performed, floats held for the backward pass."""

    macs: int = 0
    stored_floats: int = 0


def bptt_cost(N: int, k: int, D: int, H: int, K: int) -> BPTTCost:
    """The analytic cost of one update on a chunk of k steps (see the module docstring).

    >>> bptt_cost(N=1, k=10, D=1, H=4, K=1)
    BPTTCost(macs=680, stored_floats=54)
    """
    per_step = 2 * H * D + 3 * H * H + 3 * K * H
    return BPTTCost(macs=N * k * per_step, stored_floats=N * k * (D + H) + N * H)


def _mm(a: np.ndarray, b: np.ndarray, cost: BPTTCost | None) -> np.ndarray:
    """``a @ b`` for 2-D arrays, adding its multiply-adds (rows * inner * cols) to ``cost``."""
    if cost is not None:
        cost.macs += a.shape[0] * a.shape[1] * b.shape[1]
    return a @ b


def chunk_forward(
    p: Params, x: np.ndarray, h_start: np.ndarray, cost: BPTTCost | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Forward over one chunk: hidden states and outputs.

        h_t = tanh(x_t @ W_xh.T + h_{t-1} @ W_hh.T + b_h)
        y_t = h_t @ W_hy.T + b_y

    Args:
        p: parameters W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (K, H), b_y (K,).
        x: the chunk's inputs, (N, k, D); h_start: the state before it, (N, H).

    Returns:
        h (N, k, H), y (N, k, K).
    """
    N, k, _ = x.shape
    H, K = p["W_hh"].shape[0], p["W_hy"].shape[0]
    h = np.empty((N, k, H), dtype=np.result_type(x, h_start, p["W_hh"]))
    y = np.empty((N, k, K), dtype=h.dtype)
    h_prev = h_start
    for t in range(k):
        a_t = _mm(x[:, t], p["W_xh"].T, cost) + _mm(h_prev, p["W_hh"].T, cost) + p["b_h"]
        h[:, t] = np.tanh(a_t)
        y[:, t] = _mm(h[:, t], p["W_hy"].T, cost) + p["b_y"]
        h_prev = h[:, t]
    return h, y


def chunk_backward(
    p: Params,
    dy: np.ndarray,
    x: np.ndarray,
    h_start: np.ndarray,
    h: np.ndarray,
    cost: BPTTCost | None = None,
) -> tuple[Params, np.ndarray]:
    """BPTT inside one chunk, from the output gradients ``dy`` (N, k, K).

        dh_next = 0
        for t = k..1:
            dh_t     = dy_t @ W_hy + dh_next          # from the output, and from step t+1
            da_t     = dh_t * (1 - h_t**2)
            dW_hy   += dy_t.T @ h_t;  db_y += sum dy_t
            dW_xh   += da_t.T @ x_t;  dW_hh += da_t.T @ h_{t-1};  db_h += sum da_t
            dh_next  = da_t @ W_hh

    Returns:
        (grads, dh_start): gradients keyed like ``p``, and dL/dh_start, which truncated BPTT
        discards (it is what would have flowed into the previous chunk).
    """
    N, k, _ = x.shape
    g = {name: np.zeros_like(v, dtype=h.dtype) for name, v in p.items()}
    dh_next = np.zeros_like(h_start, dtype=h.dtype)
    for t in range(k - 1, -1, -1):
        h_t = h[:, t]
        h_prev = h[:, t - 1] if t > 0 else h_start
        dh_t = _mm(dy[:, t], p["W_hy"], cost) + dh_next  # two paths into h_t
        da_t = dh_t * (1.0 - h_t * h_t)
        g["W_hy"] += _mm(dy[:, t].T, h_t, cost)
        g["b_y"] += dy[:, t].sum(axis=0)
        g["W_xh"] += _mm(da_t.T, x[:, t], cost)
        g["W_hh"] += _mm(da_t.T, h_prev, cost)
        g["b_h"] += da_t.sum(axis=0)
        dh_next = _mm(da_t, p["W_hh"], cost)
    return g, dh_next


def truncated_bptt(
    p: Params,
    x: np.ndarray,
    target: np.ndarray,
    k: int,
    h0: np.ndarray | None = None,
) -> tuple[float, Params, BPTTCost]:
    """Loss and truncated-BPTT gradient of the whole sequence, summed over chunks of k steps.

    Args:
        p: parameters (see ``chunk_forward``).
        x: inputs, (N, T, D); target: (N, T, K) real targets.
        k: truncation length, 1 <= k; k >= T is exact BPTT.
        h0: initial state (N, H), zeros by default.

    Returns:
        (loss, grads, cost): cost.macs counts every product performed over the whole
        sequence; cost.stored_floats is the most held at once (one chunk's worth).

    >>> from rnncourse.models import init_model
    >>> rng = np.random.default_rng(0)
    >>> p = init_model("rnn", D=1, H=4, K=1, rng=rng)
    >>> x = rng.normal(size=(2, 6, 1)); y = rng.normal(size=(2, 6, 1))
    >>> loss, g, cost = truncated_bptt(p, x, y, k=3)
    >>> cost == BPTTCost(macs=2 * bptt_cost(2, 3, 1, 4, 1).macs, stored_floats=38)
    True
    """
    if k < 1:
        raise ValueError(f"the truncation length k must be at least 1, got {k}")
    N, T, _ = x.shape
    H = p["W_hh"].shape[0]
    h_start = np.zeros((N, H), dtype=x.dtype) if h0 is None else h0
    grads = {name: np.zeros_like(v) for name, v in p.items()}
    cost = BPTTCost()
    loss = 0.0
    M = target.size  # the loss is a mean over every entry of the whole sequence
    for s in range(0, T, k):
        xc, tc = x[:, s : s + k], target[:, s : s + k]
        h, y = chunk_forward(p, xc, h_start, cost)
        kept = xc.size + h.size + h_start.size  # what the backward pass needs
        cost.stored_floats = max(cost.stored_floats, kept)
        diff = y - tc
        loss += float(np.sum(diff * diff)) / M
        dy = 2.0 * diff / M
        g, _ = chunk_backward(p, dy, xc, h_start, h, cost)  # dL/dh_start dropped: detached
        for name in grads:
            grads[name] += g[name]
        h_start = h[:, -1]  # carried into the next chunk as a constant
    return loss, grads, cost
