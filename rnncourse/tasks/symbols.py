"""Tasks over discrete symbols, one-hot encoded; every one drawn from an explicit ``rng``.

    one_hot(indices, K)                 integer ids (...) -> one-hot vectors (..., K)
    copy_task(N, n_symbols, ...)        recall a few symbols after a delay
    echo_task(N, T, K, rng)             sequence labelling: the output at t is the input at t-1
    majority_task(N, T, rng)            sequence classification: more ones than zeros?
    recall_batch(N, T, K, rng)          the answer is the first symbol; the rest distracts

Shapes: N sequences, T steps, K symbols; inputs x (N, T, K) one-hot.
"""

from __future__ import annotations

import numpy as np

__all__ = ["copy_task", "echo_task", "majority_task", "one_hot", "recall_batch"]


def one_hot(indices: np.ndarray, K: int, dtype: type = np.float64) -> np.ndarray:
    """One-hot vectors: ``(...)`` integer indices in [0, K) -> ``(..., K)``.

    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    indices = np.asarray(indices)
    if indices.size and (indices.min() < 0 or indices.max() >= K):
        raise ValueError(f"indices must lie in [0, {K}), got [{indices.min()}, {indices.max()}]")
    return np.eye(K, dtype=dtype)[indices]


def copy_task(
    N: int,
    n_symbols: int,
    n_recall: int,
    delay: int,
    rng: np.random.Generator,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copy/recall: see ``n_recall`` symbols, wait ``delay`` blank steps, then reproduce them.

    Alphabet: symbols 0..n_symbols-1, then ``blank = n_symbols`` and ``go = n_symbols + 1``.
    The input is the symbols, ``delay`` blanks, a go marker, then ``n_recall - 1`` blanks;
    the target is blank everywhere except the last ``n_recall`` steps, which hold the symbols.
    A model with no memory can do no better than always answering blank, then guessing.

    Returns:
        x (N, T, n_symbols + 2) one-hot inputs, y (N, T) integer targets,
        mask (N, T) bool, True on the recall steps; T = 2 * n_recall + delay.

    >>> x, y, mask = copy_task(2, n_symbols=3, n_recall=2, delay=1, rng=np.random.default_rng(0))
    >>> x.shape, y.shape, mask[0].tolist()
    ((2, 5, 5), (2, 5), [False, False, False, True, True])
    """
    blank, go = n_symbols, n_symbols + 1
    T = 2 * n_recall + delay
    symbols = rng.integers(0, n_symbols, size=(N, n_recall))
    inp = np.full((N, T), blank)
    inp[:, :n_recall] = symbols
    inp[:, n_recall + delay] = go
    y = np.full((N, T), blank)
    y[:, -n_recall:] = symbols
    mask = np.zeros((N, T), dtype=bool)
    mask[:, -n_recall:] = True
    return one_hot(inp, n_symbols + 2, dtype=dtype), y, mask


def echo_task(
    N: int, T: int, K: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random symbols in, the previous symbol out.

    Returns:
        x (N, T, K) one-hot symbols, y (N, T) targets with y[:, t] = symbol at t-1,
        mask (N, T) bool, False at step 1 (nothing to echo yet).

    >>> x, y, mask = echo_task(1, 5, 3, np.random.default_rng(0))
    >>> x[0].argmax(axis=1).tolist(), y[0, 1:].tolist(), mask[0].tolist()
    ([2, 1, 1, 0, 0], [2, 1, 1, 0], [False, True, True, True, True])
    """
    symbols = rng.integers(0, K, size=(N, T))
    y = np.zeros((N, T), dtype=int)
    y[:, 1:] = symbols[:, :-1]
    mask = np.ones((N, T), dtype=bool)
    mask[:, 0] = False
    return one_hot(symbols, K), y, mask


def majority_task(N: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random bits in, one label out: 1 if the sequence holds more ones than zeros.

    Returns:
        x (N, T, 2) one-hot bits, y (N,) labels.

    >>> x, y = majority_task(2, 5, np.random.default_rng(0))
    >>> x.argmax(axis=2).tolist(), y.tolist()
    ([[1, 1, 1, 0, 0], [0, 0, 0, 0, 1]], [1, 0])
    """
    if T % 2 == 0:
        raise ValueError(f"T must be odd so that there is always a majority, got {T}")
    bits = rng.integers(0, 2, size=(N, T))
    return one_hot(bits, 2), (2 * bits.sum(axis=1) > T).astype(int)


def recall_batch(N: int, T: int, K: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """N sequences of T random symbols, one-hot; the target is the first symbol.

    Returns:
        x (N, T, K), y (N,) integers in [0, K)

    >>> x, y = recall_batch(3, 5, 4, np.random.default_rng(0))
    >>> x.shape, bool((x[:, 0].argmax(-1) == y).all())
    ((3, 5, 4), True)
    """
    s = rng.integers(0, K, size=(N, T))
    return one_hot(s, K), s[:, 0]


def window_bits(T: int, *, N: int | None = None, rng: np.random.Generator | None = None):
    """Bit strings for the window tasks of lesson 11: T + 2 bits b_{-1}, b_0, ..., b_{T-1}, b_T.

    The model sees the T inner bits; the two outer ones are drawn but never shown, so every
    position, the first and the last included, has a left and a right neighbour it may not see.
    With ``rng`` and ``N``: N strings drawn uniformly; without: all 2^(T+2) strings, once each
    (a test set on which every prefix is followed by every continuation equally often).

    Returns bits (N, T + 2) int, with bits[:, 1:-1] the inputs.
    """
    if rng is None:
        codes = np.arange(2 ** (T + 2))
        return (codes[:, None] >> np.arange(T + 2)[::-1]) & 1
    return rng.integers(0, 2, size=(N, T + 2))


def window_majority(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label y_t = 1 when at least two of b_{t-1}, b_t, b_{t+1} are 1 (a smoothing filter): the
    label at step t depends on the next input. x (N, T, 1) float (the inner bits), y (N, T) int.

    >>> x, y = window_majority(np.array([[0, 1, 1, 0, 0, 1]]))
    >>> x[0, :, 0].tolist(), y[0].tolist()
    ([1.0, 1.0, 0.0, 0.0], [1, 1, 0, 0])
    """
    bits = np.asarray(bits)
    y = (bits[:, :-2] + bits[:, 1:-1] + bits[:, 2:] >= 2).astype(np.int64)
    return bits[:, 1:-1, None].astype(np.float64), y


def window_parity(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label y_t = b_{t-1} xor b_t xor b_{t+1}, the parity of the same window. x, y as in
    ``window_majority``."""
    bits = np.asarray(bits)
    y = (bits[:, :-2] ^ bits[:, 1:-1] ^ bits[:, 2:]).astype(np.int64)
    return bits[:, 1:-1, None].astype(np.float64), y
