"""Seeded inputs shared by the LSTM and GRU exercises (gated cells, PyTorch's gate order).

The exercises' mistakes use the package's ``sigmoid`` (``rnncourse.lstm``) and split the
stacked gates with ``np.split(a, n_gates, axis=-1)``.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import (
    LARGE,
    LARGE_X,
    normal,
    overflow_hint,
    sizes_for,
    states,
)
from rnncourse.grading.spec import Case


def gated_cases(
    rng: np.random.Generator, hidden: bool, n_gates: int, *, cell: bool, backward: bool
) -> list[Case]:
    """x_t, h_prev (and c_prev), W_ih (G·H, D), W_hh (G·H, H), biases; G = n_gates.

    The sizes include "4H" (LSTM) or "3H" (GRU), kept distinct from N, D and H, so shapes of
    stacked weights are written with their letters too.
    """
    out = []
    for (N, _, D, H), dtype, label in sizes_for(hidden) + ([] if hidden else [LARGE]):
        scale = LARGE_X if label == LARGE[2] else 1.0
        G = n_gates * H
        inputs = {}
        if backward:
            inputs["dh_t"] = normal(rng, (N, H), dtype)
            if cell:
                inputs["dc_t"] = normal(rng, (N, H), dtype)
        inputs["x_t"] = normal(rng, (N, D), dtype, scale)
        inputs["h_prev"] = states(rng, (N, H), dtype)
        if cell:
            inputs["c_prev"] = normal(rng, (N, H), dtype)
        inputs["W_ih"] = normal(rng, (G, D), dtype, 1.0 / np.sqrt(D))
        inputs["W_hh"] = normal(rng, (G, H), dtype, 1.0 / np.sqrt(H))
        if cell:
            inputs["b"] = normal(rng, (G,), dtype, 0.5)
        else:
            inputs["b_ih"] = normal(rng, (G,), dtype, 0.5)
            inputs["b_hh"] = normal(rng, (G,), dtype, 0.5)
        sizes = {"N": N, "D": D, "H": H, f"{n_gates}H": G}
        hint = overflow_hint(gate_pre_activation(**inputs)) if scale > 1 else ""
        out.append(Case(inputs, label, sizes, dtype, nonfinite_hint=hint))
    return out


def gate_pre_activation(x_t, h_prev, W_ih, W_hh, b=None, b_ih=None, b_hh=None, **_):
    """The stacked pre-activations the gates' sigmoid and tanh are applied to (N, G·H)."""
    bias = b if b is not None else b_ih + b_hh
    return x_t @ W_ih.T + h_prev @ W_hh.T + bias
