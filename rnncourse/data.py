"""Synthetic sequence tasks, every one drawn from an explicit ``rng``.

Shapes follow the course: x (N, T, D) inputs; targets as each task says.

- ``adding_problem``: two marked values to add after T steps (Hochreiter & Schmidhuber 1997,
  in the form of Le et al. 2015).
- ``copy_task``: recall a few symbols after a delay.
- ``noisy_sine``: next-value prediction on noisy sine waves.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adding_problem", "copy_task", "noisy_sine", "one_hot"]


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


def adding_problem(
    N: int, T: int, rng: np.random.Generator, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: sum the two marked values of a length-T sequence.

    Channel 0 holds values uniform in [0, 1]; channel 1 is a marker, 1 at exactly one position
    in each half of the sequence and 0 elsewhere. The target is the sum of the two marked
    values. Always predicting the mean (1.0) gives MSE = 2 * Var(U[0, 1]) = 1/6 ~ 0.167.

    Returns:
        x (N, T, 2), y (N,)

    >>> x, y = adding_problem(4, 10, np.random.default_rng(0))
    >>> x.shape, y.shape, x[..., 1].sum(axis=1).tolist()
    ((4, 10, 2), (4,), [2.0, 2.0, 2.0, 2.0])
    """
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2, got {T}")
    x = np.zeros((N, T, 2), dtype=dtype)
    x[..., 0] = rng.uniform(0.0, 1.0, size=(N, T))
    half = T // 2
    first = rng.integers(0, half, size=N)
    second = rng.integers(half, T, size=N)
    rows = np.arange(N)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = x[rows, first, 0] + x[rows, second, 0]
    return x, y


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


def noisy_sine(
    N: int,
    T: int,
    rng: np.random.Generator,
    noise: float = 0.1,
    period_range: tuple[float, float] = (10.0, 40.0),
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy sine waves of random period, amplitude and phase; predict the next clean value.

        s_t = A sin(2 pi t / period + phase),  x_t = s_t + noise * e_t,  y_t = s_{t+1}

    Returns:
        x (N, T, 1) noisy observations, y (N, T, 1) the next clean value.

    >>> x, y = noisy_sine(3, 20, np.random.default_rng(0))
    >>> x.shape, y.shape
    ((3, 20, 1), (3, 20, 1))
    """
    period = rng.uniform(*period_range, size=(N, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(N, 1))
    amp = rng.uniform(0.5, 1.5, size=(N, 1))
    t = np.arange(T + 1)[None, :]
    s = amp * np.sin(2 * np.pi * t / period + phase)  # (N, T + 1)
    x = s[:, :-1] + noise * rng.standard_normal((N, T))
    y = s[:, 1:]
    return x[..., None].astype(dtype), y[..., None].astype(dtype)
