"""Seeded inputs shared by the RNN-family exercises.

Sizes are chosen so that N, T, D and H differ in most cases (a transposed array then has the
wrong shape instead of silently broadcasting, and shapes can be named by their letters), with
N=1 and T=1 among them, in float64 and float32. Two cases close the blind spots the case audit
(``rnncourse.grading.audit``) looks for: a square layer (D = H), where code that guesses the
weight layout from the shapes goes wrong, and the shapes of the first case again with new
values, where code that caches by shape or keeps state between calls goes wrong. Weights are
large enough that tanh is far from linear, so a missing nonlinearity cannot hide in rounding;
``LARGE`` is the case whose pre-activations overflow a tanh written with np.exp.
"""

from __future__ import annotations

import numpy as np

SQUARE = "square layer (D = H)"
REPEAT = "same shapes, new values"

# (N, T, D, H), dtype, group: visible cases, then the hidden tests' extra ones
SIZES = [
    ((2, 3, 4, 5), np.float64, "float64"),
    ((1, 4, 3, 2), np.float64, "float64"),
    ((3, 1, 2, 4), np.float64, "float64"),
    ((2, 3, 4, 5), np.float64, REPEAT),
    ((3, 2, 4, 4), np.float64, SQUARE),
    ((4, 5, 3, 6), np.float32, "float32"),
    ((1, 2, 5, 3), np.float32, "float32"),
]
HIDDEN_SIZES = [
    ((5, 7, 6, 8), np.float64, "float64"),
    ((1, 1, 2, 3), np.float64, "float64"),
    ((6, 4, 9, 7), np.float32, "float32"),
]
# the overflow case: x scaled so that |pre-activation| is far above 710, where np.exp overflows
LARGE = ((2, 3, 5, 4), np.float64, "large pre-activations")
LARGE_X = 1000.0
OVERFLOW_HINT = (
    "NaN or inf on the case whose pre-activations reach about ±{top:.0f}: np.exp overflows "
    "above 709, so a tanh written with np.exp gives inf / inf = NaN there. Use np.tanh."
)


def group(dtype: type) -> str:
    return np.dtype(dtype).name


def sizes_for(hidden: bool) -> list[tuple[tuple[int, int, int, int], type, str]]:
    """(N, T, D, H), dtype and group label of each case."""
    return HIDDEN_SIZES if hidden else SIZES


def overflow_hint(pre_activation: np.ndarray) -> str:
    return OVERFLOW_HINT.format(top=float(np.max(np.abs(pre_activation))))


def rnn_pre_activations(x, h0, h, W_xh, W_hh, b_h) -> np.ndarray:
    """a (N, T, H) of a run of the RNN cell whose states are h (N, T, H), from h0 (N, H)."""
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    return x @ W_xh.T + h_prev @ W_hh.T + b_h


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


def has_padding(case) -> bool:
    """True when the case's ``mask`` input marks a padded step (a branch every masked item
    must cover)."""
    return bool((case.inputs["mask"] == 0).any())


def padding_mask(rng: np.random.Generator, N: int, T: int, dtype: type) -> np.ndarray:
    """A (N, T) mask of 1.0 for real steps and 0.0 for padding at the end, in ``dtype``: random
    lengths, with a padded first row and a full last one (a single row is padded by one step)."""
    lengths = rng.integers(1, T + 1, size=N)
    if N > 1:
        lengths[0] = max(1, T - 2)  # a padded row
        lengths[-1] = T  # and a full one
    elif T > 1:
        lengths[0] = T - 1  # a single row, padded by one step
    return (np.arange(T)[None, :] < lengths[:, None]).astype(dtype)
