"""Seeded inputs shared by the optimiser-step exercises (``sgd_step``, ``momentum_step``,
``adam_step``).

The parameters are an RNN's, ``W_xh (H, D), W_hh (H, H), b_h (H,)``, so every dict has three
arrays of three different shapes; gradients differ in scale from array to array (Adam's
per-entry scaling then shows). Cases: several (D, H), a square layer (D = H) and the first
shapes again with new values; float64 and float32. The optimiser's state (velocity, moments)
is either zero (a first step) or what earlier steps would have left (a later step), so
forgetting to use it, or to update it, shows.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.spec import Case

# (D, H), dtype, group
SIZES = [
    ((3, 4), np.float64, "float64"),
    ((5, 2), np.float64, "float64"),
    ((3, 4), np.float64, "same shapes, new values"),
    ((4, 4), np.float64, "square layer (D = H)"),
    ((2, 3), np.float32, "float32"),
]
HIDDEN_SIZES = [((6, 5), np.float64, "float64"), ((1, 7), np.float32, "float32")]


def arrays(rng: np.random.Generator, D: int, H: int, dtype, scale: float = 1.0) -> dict:
    """A dict of arrays keyed like an RNN's parameters, each with its own scale."""
    return {
        "W_xh": (scale * rng.normal(size=(H, D))).astype(dtype),
        "W_hh": (3.0 * scale * rng.normal(size=(H, H))).astype(dtype),
        "b_h": (0.2 * scale * rng.normal(size=H)).astype(dtype),
    }


def positive(rng: np.random.Generator, D: int, H: int, dtype, scale: float = 1.0) -> dict:
    """Like ``arrays`` but positive (a second moment, a running mean of g**2)."""
    return {k: np.abs(v) for k, v in arrays(rng, D, H, dtype, scale).items()}


def zeros(D: int, H: int, dtype) -> dict:
    return {
        "W_xh": np.zeros((H, D), dtype),
        "W_hh": np.zeros((H, H), dtype),
        "b_h": np.zeros(H, dtype),
    }


def sizes(hidden: bool):
    return HIDDEN_SIZES if hidden else SIZES


def case(inputs: dict, group: str, D: int, H: int, dtype) -> Case:
    return Case(inputs, group, {"D": D, "H": H}, dtype)


def is_zero(state: dict) -> bool:
    return all(not np.any(a) for a in state.values())


def only_output_wrong(hints: dict[str, str]):
    """A ``diagnose`` for dict outputs: when exactly one named output (a dict of arrays) has
    wrong entries and the others are right, that output's hint."""

    def diagnose(case: Case, got: dict, expected: dict) -> str | None:
        wrong = []
        for name, want in expected.items():
            have = got.get(name)
            if not isinstance(have, dict) or set(have) != set(want):
                return None
            for k, w in want.items():
                a = np.asarray(have[k], dtype=np.float64)
                b = np.asarray(w, dtype=np.float64)
                if a.shape != b.shape:
                    return None
                if not np.allclose(
                    a, b, rtol=1e-6, atol=1e-12 * max(1.0, float(np.abs(b).max(initial=0)))
                ):
                    wrong.append(name)
                    break
        if len(wrong) == 1 and wrong[0] in hints:
            return hints[wrong[0]]
        return None

    return diagnose
