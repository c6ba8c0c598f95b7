"""Dropout, and where it goes in a recurrent network (lesson 10, "Training in practice").

Inverted dropout with keep probability ``q = 1 - p``: in training, every unit is kept with
probability q and the kept ones are scaled by 1/q, so that the expected value is unchanged and
evaluation uses the layer as it is::

    mask = (rng.random(shape) < q) / q        # 0 or 1/q, made once, from an explicit rng
    y    = x * mask                           # train mode
    y    = x                                  # eval mode
    dx   = dy * mask                          # backward: the same mask

Where it goes in an RNN (Zaremba et al. 2014): on the inputs ``x_t``, on the hidden states
that feed the output layer (or the next layer of a stack), never a fresh mask on the recurrent
path ``h_{t-1} -> h_t``, which would erase a little of the memory at every step. On the
recurrent path only "variational" dropout (Gal and Ghahramani 2016) works: one mask per
sequence, the same at every step, which :func:`variational_mask` makes (shape (N, 1, H),
broadcast over T).

Shapes: x (N, T, D) or any shape; a mask has the shape of what it multiplies, or broadcasts to it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dropout_backward", "dropout_forward", "dropout_mask", "variational_mask"]


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator, dtype=np.float64):
    """Inverted-dropout mask: each entry 0 with probability p, else 1/(1-p).

    >>> m = dropout_mask((2, 3), 0.5, np.random.default_rng(0))
    >>> sorted(set(m.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
    q = 1.0 - p
    return ((rng.random(shape) < q) / q).astype(dtype)


def variational_mask(N: int, H: int, p: float, rng: np.random.Generator, dtype=np.float64):
    """One mask per sequence, the same at every step: (N, 1, H), broadcast over T.

    >>> m = variational_mask(2, 4, 0.25, np.random.default_rng(0))
    >>> m.shape, bool(np.all((m * (np.ones((2, 5, 4)))) [:, 0] == m[:, 0]))
    ((2, 1, 4), True)
    """
    return dropout_mask((N, 1, H), p, rng, dtype)


def dropout_forward(
    x: np.ndarray, p: float, rng: np.random.Generator | None = None, *, train: bool = True,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """``(y, mask)``: in train mode y = x * mask (a new mask from ``rng`` unless one is given);
    in eval mode, or with p = 0, y = x and mask is None.

    >>> x = np.ones((10000,))
    >>> y, m = dropout_forward(x, 0.2, np.random.default_rng(0))
    >>> f"{y.mean():.2f}", f"{(y == 0).mean():.2f}"    # mean kept near 1, a fifth dropped
    ('1.00', '0.20')
    >>> dropout_forward(x, 0.2, train=False)[1] is None
    True
    """
    if not train or p == 0.0:
        return x.copy(), None
    if mask is None:
        if rng is None:
            raise ValueError("dropout in train mode needs rng= (or mask=)")
        mask = dropout_mask(x.shape, p, rng, x.dtype)
    return x * mask, mask


def dropout_backward(dy: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """dL/dx = dL/dy * mask (the forward's mask; None, eval mode: dy itself)."""
    if mask is None:
        return dy.copy()
    return dy * mask
