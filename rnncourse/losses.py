"""Softmax, cross-entropy and squared error, each returning the loss and its gradient.

Shapes: K classes; ``...`` any leading shape, e.g. (N,) for one label per sequence or
(N, T) for one label per step.

    logits (..., K)   targets (...) integer class indices in [0, K)

The loss is the mean over all positions, so ``dlogits = (softmax(logits) - onehot) / M``
with M the number of positions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bits_per_char", "log_softmax", "mse_loss", "softmax", "softmax_cross_entropy"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax`` along the last axis, stable for any finite logits.

    Subtracting the row maximum first changes nothing mathematically (softmax is invariant to
    a shift) but keeps ``exp`` from overflowing: the largest exponent is exp(0) = 1.

    >>> import numpy as np
    >>> log_softmax(np.array([1e4, 0.0, -1e4])).round(3)
    array([     0., -10000., -20000.])
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """``softmax`` along the last axis, computed stably (see ``log_softmax``).

    >>> import numpy as np
    >>> softmax(np.array([0.0, np.log(3.0)])).round(3)
    array([0.25, 0.75])
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer targets, and dL/dlogits.

        p       = softmax(logits)                       # (..., K)
        loss    = mean over positions of -log p[target]
        dlogits = (p - onehot(targets)) / M             # M = number of positions

    Args:
        logits: unnormalised scores, (..., K).
        targets: integer class indices, shape ``logits.shape[:-1]``.

    Returns:
        (loss, dlogits): a Python float and an array shaped like ``logits``.

    >>> import numpy as np
    >>> loss, dlogits = softmax_cross_entropy(np.array([[2.0, 0.0], [0.0, 0.0]]), np.array([0, 1]))
    >>> round(loss, 4)
    0.41
    >>> dlogits.round(4)
    array([[-0.0596,  0.0596],
           [ 0.25  , -0.25  ]])
    """
    targets = np.asarray(targets)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets has shape {targets.shape} but logits {logits.shape}: "
            f"targets must have shape logits.shape[:-1] = {logits.shape[:-1]}"
        )
    K = logits.shape[-1]
    M = targets.size
    logp = log_softmax(logits).reshape(M, K)
    t = targets.reshape(M)
    loss = -logp[np.arange(M), t].mean()
    dlogits = np.exp(logp)
    dlogits[np.arange(M), t] -= 1.0
    dlogits /= M
    return float(loss), dlogits.reshape(logits.shape)


def bits_per_char(logits: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """How well scores predict the next character (lesson 9): bits per character and perplexity.

        bits       = mean over positions of -log2 softmax(logits)[target]
                   = (mean cross-entropy in nats) / ln 2
        perplexity = 2 ** bits = exp(mean cross-entropy in nats)

    Args:
        logits: scores, (..., V); targets: character ids, ``logits.shape[:-1]``.

    Returns:
        (bits, perplexity), floats; stable for logits of any size (``log_softmax``).

    >>> bits, ppl = bits_per_char(np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=int))
    >>> f"{bits:.4f} {ppl:.4f}"     # a uniform guess among 4: two bits, perplexity 4
    '2.0000 4.0000'
    """
    targets = np.asarray(targets)
    logp = np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)
    nats = -float(np.mean(logp))
    return nats / float(np.log(2.0)), float(np.exp(nats))


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all entries, and dL/dpred.

        loss  = mean((pred - target)**2)
        dpred = 2 (pred - target) / M                  # M = pred.size

    >>> import numpy as np
    >>> loss, dpred = mse_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    >>> loss, dpred.tolist()
    (2.5, [1.0, 2.0])
    """
    diff = pred - target
    return float(np.mean(diff * diff)), 2.0 * diff / diff.size
