"""The ReLU RNN: the vanilla RNN with ``max(0, .)`` in place of tanh, and its initialisations.

    a_t = x_t @ W_xh.T + h_{t-1} @ W_hh.T + b_h        # (N, H)
    h_t = relu(a_t) = max(0, a_t)

This is ``torch.nn.RNN(nonlinearity="relu")``. Its derivative is 1 where a unit is active and 0
elsewhere, so BPTT multiplies by ``W_hh`` restricted to the active units, with no tanh' < 1 to
shrink it: with ``W_hh = I`` and ``b_h = 0`` (the **identity initialisation** of Le, Jaitly and
Hinton, 2015, the "IRNN"), an active unit copies its value and its gradient unchanged from step
to step. ``init_recurrent`` draws ``W_hh`` as PyTorch does, as the identity (times a scale), or
as a random orthogonal matrix (all singular values 1), for this cell and for the tanh RNN.

Shapes: N batch, T steps, D inputs, H hidden units.
"""

from __future__ import annotations

import numpy as np

__all__ = ["init_recurrent", "rnn_relu_backward", "rnn_relu_forward"]


def rnn_relu_forward(
    x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray
) -> np.ndarray:
    """All hidden states h (N, T, H) of a ReLU RNN from h0 (N, H); x is (N, T, D).

    >>> x = np.ones((1, 3, 1)); h0 = np.zeros((1, 1))
    >>> rnn_relu_forward(x, h0, np.ones((1, 1)), np.eye(1), np.zeros(1))[0, :, 0]  # a counter
    array([1., 2., 3.])
    """
    N, T, _ = x.shape
    xw = x @ W_xh.T + b_h  # (N, T, H): the input terms of every step at once
    h = np.empty(xw.shape, dtype=np.result_type(xw, h0, W_hh))
    h_prev = h0
    for t in range(T):
        h_prev = np.maximum(xw[:, t] + h_prev @ W_hh.T, 0.0)
        h[:, t] = h_prev
    return h


def rnn_relu_backward(
    dh: np.ndarray, x: np.ndarray, h0: np.ndarray, h: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT of ``rnn_relu_forward``: ``(dx, dh0, dW_xh, dW_hh, db_h)``.

    ``dh[:, t]`` is the gradient on h_t from the outputs only; walking back from t = T:

        da_t     = (dh[:, t] + dh_next) * (h_t > 0)      # relu'(a_t): 1 where active
        dh_next  = da_t @ W_hh                           # to h_{t-1}
        dW_xh   += da_t.T @ x_t;  dW_hh += da_t.T @ h_{t-1};  db_h += sum_n da_t

    The weight gradients are summed after the loop, as single matrix products.
    """
    N, T, H = h.shape
    da = np.empty_like(h, dtype=np.result_type(dh, h))
    dh_next = np.zeros((N, H), dtype=da.dtype)
    for t in range(T - 1, -1, -1):
        da[:, t] = (dh[:, t] + dh_next) * (h[:, t] > 0)
        dh_next = da[:, t] @ W_hh
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H)
    flat = da.reshape(N * T, H)
    dx = da @ W_xh
    dW_xh = flat.T @ x.reshape(N * T, -1)
    dW_hh = flat.T @ h_prev.reshape(N * T, H)
    db_h = flat.sum(axis=0)
    return dx, dh_next, dW_xh, dW_hh, db_h


def init_recurrent(
    W_hh: np.ndarray, how: str | None, rng: np.random.Generator, scale: float = 1.0
) -> np.ndarray:
    """``W_hh`` (H, H) re-initialised: ``None`` keeps it (PyTorch's uniform draw),
    ``"identity"`` gives ``scale * I``, ``"orthogonal"`` ``scale * Q`` with Q a random
    orthogonal matrix (the Q of a QR decomposition of a Gaussian matrix, signs fixed so that
    it is uniformly distributed).

    >>> Q = init_recurrent(np.zeros((4, 4)), "orthogonal", np.random.default_rng(0))
    >>> np.allclose(Q @ Q.T, np.eye(4)), np.linalg.svd(Q, compute_uv=False).round(6).tolist()
    (True, [1.0, 1.0, 1.0, 1.0])
    """
    H = W_hh.shape[0]
    if how is None:
        return W_hh
    if how == "identity":
        return (scale * np.eye(H)).astype(W_hh.dtype)
    if how == "orthogonal":
        q, r = np.linalg.qr(rng.normal(size=(H, H)))
        q = q * np.sign(np.diag(r))  # columns' signs from R's diagonal: Haar-distributed
        return (scale * q).astype(W_hh.dtype)
    raise ValueError(f"W_hh initialisation must be None, 'identity' or 'orthogonal'; got {how!r}")
