"""Tasks over real-valued signals; every one drawn from an explicit ``rng``.

    adding_problem(N, T, rng)     sum the two marked values of a sequence (Hochreiter &
                                  Schmidhuber 1997, in the form of Le et al. 2015)
    noisy_sine(N, T, rng)         predict the next clean value of a noisy sine wave
    chirp_signals(N, T, rng)      tell rising, falling and steady tones apart

Shapes: N sequences, T steps; inputs x (N, T, D); targets as each task says.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adding_problem", "chirp_signals", "noisy_sine"]


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


def chirp_signals(
    N: int, T: int, rng: np.random.Generator, noise: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy tones of three kinds: pitch rising (class 0), falling (1), or steady (2).

    Each signal is ``A sin(phi_t) + noise``, with the frequency sweeping linearly between
    0.05 and 0.25 cycles per step (up for class 0, down for class 1) or fixed at a random value
    in that range (class 2); amplitude A in [0.5, 1.5] and phase random. A rising and a falling
    chirp are time-reversed copies of each other: they have the same values and the same
    spectrum magnitudes; only the order tells them apart.

    Returns:
        x (N, T, 1) float64 and labels (N,) int64 in {0, 1, 2}.

    >>> x, labels = chirp_signals(4, 30, np.random.default_rng(0))
    >>> x.shape, labels.dtype.name
    ((4, 30, 1), 'int64')
    """
    labels = rng.integers(0, 3, size=N)
    s = np.arange(T) / max(T - 1, 1)  # (T,) position in [0, 1]
    lo, hi = 0.05, 0.25
    f_steady = rng.uniform(lo, hi, size=N)
    freq = np.where(
        labels[:, None] == 0,
        lo + (hi - lo) * s,
        np.where(labels[:, None] == 1, hi - (hi - lo) * s, f_steady[:, None]),
    )  # (N, T) cycles per step
    phase = 2 * np.pi * np.cumsum(freq, axis=1) + rng.uniform(0, 2 * np.pi, size=(N, 1))
    amp = rng.uniform(0.5, 1.5, size=(N, 1))
    x = amp * np.sin(phase) + noise * rng.standard_normal((N, T))
    return x[:, :, None], labels.astype(np.int64)
