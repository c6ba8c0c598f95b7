"""The output layer ``y_t = W_hy h_t + b_y``, applied at every step or at the last one.

In row form, for any leading shape (a batch (N, H), or every step (N, T, H)):

    y = h @ W_hy.T + b_y        h (..., H)   W_hy (K, H)   b_y (K,)   y (..., K)

Per-step outputs (sequence labelling) pass all hidden states ``h (N, T, H)``; final-step
outputs (sequence classification) pass ``h[:, -1] (N, H)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["init_output", "output_backward", "output_forward"]


def output_forward(h: np.ndarray, W_hy: np.ndarray, b_y: np.ndarray) -> np.ndarray:
    """``y = h @ W_hy.T + b_y``: scores (logits) for every position of ``h``.

    Args:
        h: hidden states, (..., H).
        W_hy: output weights, (K, H).
        b_y: output bias, (K,).

    Returns:
        y: (..., K).

    >>> import numpy as np
    >>> output_forward(np.ones((2, 3, 4)), np.ones((5, 4)), np.zeros(5)).shape
    (2, 3, 5)
    """
    return h @ W_hy.T + b_y


def output_backward(
    dy: np.ndarray, h: np.ndarray, W_hy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of ``output_forward``; weight gradients are summed over every position.

        dh    = dy @ W_hy                 # (..., H)
        dW_hy = sum over positions dy.T @ h
        db_y  = sum over positions dy

    Returns:
        (dh (..., H), dW_hy (K, H), db_y (K,))
    """
    K, H = W_hy.shape
    dy2 = dy.reshape(-1, K)
    dh = dy @ W_hy
    dW_hy = dy2.T @ h.reshape(-1, H)
    db_y = dy2.sum(axis=0)
    return dh, dW_hy, db_y


def init_output(
    H: int, K: int, rng: np.random.Generator, *, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's ``nn.Linear`` initialisation: uniform in [-1/sqrt(H), 1/sqrt(H)].

    Returns:
        (W_hy (K, H), b_y (K,))
    """
    k = 1.0 / np.sqrt(H)
    return (
        rng.uniform(-k, k, size=(K, H)).astype(dtype),
        rng.uniform(-k, k, size=K).astype(dtype),
    )
