"""Seeded inputs shared by the RNN-family exercises.

Sizes are chosen so that N, T, D and H always differ (a transposed array then has the wrong
shape instead of silently broadcasting, and shapes can be named by their letters), with N=1
and T=1 among them, in float64 and float32. Weights are large enough that tanh is far from
linear, so a missing nonlinearity cannot hide in rounding.
"""

from __future__ import annotations

import numpy as np

# (N, T, D, H): visible cases, then the hidden tests' extra ones
SIZES = [
    ((2, 3, 4, 5), np.float64),
    ((1, 4, 3, 2), np.float64),
    ((3, 1, 2, 4), np.float64),
    ((4, 5, 3, 6), np.float32),
    ((1, 2, 5, 3), np.float32),
]
HIDDEN_SIZES = [
    ((5, 7, 6, 8), np.float64),
    ((1, 1, 2, 3), np.float64),
    ((6, 4, 9, 7), np.float32),
]


def group(dtype: type) -> str:
    return np.dtype(dtype).name


def sizes_for(hidden: bool) -> list[tuple[tuple[int, int, int, int], type]]:
    return HIDDEN_SIZES if hidden else SIZES


def rnn_params(
    rng: np.random.Generator, D: int, H: int, dtype: type, scale: float = 1.0
) -> dict[str, np.ndarray]:
    """W_xh (H, D), W_hh (H, H), b_h (H,), with pre-activations of order one."""
    return {
        "W_xh": (scale * rng.normal(size=(H, D)) / np.sqrt(D)).astype(dtype),
        "W_hh": (scale * rng.normal(size=(H, H)) / np.sqrt(H)).astype(dtype),
        "b_h": (0.5 * rng.normal(size=H)).astype(dtype),
    }


def normal(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: type, scale: float = 1.0
) -> np.ndarray:
    return (scale * rng.normal(size=shape)).astype(dtype)


def states(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Hidden states: values in (-0.9, 0.9), like the outputs of tanh."""
    return rng.uniform(-0.9, 0.9, size=shape).astype(dtype)
