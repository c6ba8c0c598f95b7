"""Exercise ``output_backward`` (lesson 3): the backward of the output layer
y = h @ W_hy.T + b_y, for every step (h of shape (N, T, H)) or for one step (h of shape (N, H)).

``dy`` is dL/dy; the weight gradients are summed over every position (batch and time), the
gradient on h keeps h's shape.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import group, normal, states
from rnncourse.grading.exercises.output_forward import HIDDEN_SIZES, SIZES
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.layers import output_backward

# output_forward's shapes, (N, T, H, K) with T = None for a single step: all sizes different,
# except the square layer (K = H), where `dy @ W_hy.T` runs and is wrong; the first shapes come
# back with new values.


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, H, K), dtype in HIDDEN_SIZES if hidden else SIZES:
        lead = (N,) if T is None else (N, T)
        inputs = {
            "dy": normal(rng, (*lead, K), dtype),
            "h": states(rng, (*lead, H), dtype),
            "W_hy": normal(rng, (K, H), dtype, scale=1.0 / np.sqrt(H)),
        }
        sizes = {"N": N, "H": H, "K": K} if T is None else {"N": N, "T": T, "H": H, "K": K}
        label = group(dtype) + (", one step" if T is None else "")
        label = "square layer (K = H)" if K == H else label
        out.append(Case(inputs, label, sizes, dtype))
    return out


@mistake_factory
def _back(*, dW_transposed=False, last_only=False, db_axis0=False, mean=False):
    """The output layer's backward with the mistakes named by the flags."""

    def backward(dy, h, W_hy):
        K, H = W_hy.shape
        dh = dy @ W_hy
        if last_only and h.ndim == 3:
            dy2, h2 = dy[:, -1], h[:, -1]
        else:
            dy2, h2 = dy.reshape(-1, K), h.reshape(-1, H)
        dW = h2.T @ dy2 if dW_transposed else dy2.T @ h2
        db = dy.sum(axis=0) if db_axis0 else dy2.sum(axis=0)
        if mean:
            M = dy.size // K
            dW, db = dW / M, db / M
        return dh, dW, db

    return backward


def _dh_with_transpose(dy, h, W_hy):
    """Runs on the square layer (K = H) only; elsewhere the shapes do not fit."""
    dh, dW, db = _back()(dy, h, W_hy)
    return dy @ W_hy.T, dW, db


MISTAKES = [
    Mistake(
        "dW_hy transposed",
        _back(dW_transposed=True),
        "dW_hy must have W_hy's shape (K, H): it is the sum over positions of the outer product "
        "dy h^T, dy (M, K) against h (M, H), not h^T dy.",
    ),
    Mistake(
        "last step only",
        _back(last_only=True),
        "the weight gradients use the last step only: W_hy and b_y are used at every step, so "
        "their gradients add up the contributions of every step of every sequence.",
    ),
    Mistake(
        "db_y summed over the batch only",
        _back(db_axis0=True),
        "db_y must have b_y's shape (K,): with h of shape (N, T, H) sum dy over the batch AND "
        "time, every axis but the last.",
    ),
    Mistake(
        "averaged instead of summed",
        _back(mean=True),
        "the weight gradients are divided by the number of positions: dy already is the "
        "gradient of the loss (any 1/M of a mean is inside it), so sum over positions, do not "
        "average.",
    ),
    Mistake(
        "dh with W_hy.T",
        _dh_with_transpose,
        "dh uses W_hy.T: the forward multiplied h by W_hy.T, so the gradient goes back through "
        "W_hy itself, dh = dy @ W_hy, (..., K) @ (K, H) -> (..., H). On this square layer "
        "(K = H) `dy @ W_hy.T` runs and gives the wrong values.",
    ),
]

EXERCISE = Exercise(
    name="output_backward",
    args=("dy", "h", "W_hy"),
    outputs=("dh", "dW_hy", "db_y"),
    reference=output_backward,
    cases=cases,
    dims={"W_hy": "K H", "dW_hy": "K H", "db_y": "K"},
    mistakes=MISTAKES,
    branches={
        "one step, h (N, H)": lambda case: case.inputs["h"].ndim == 2,
        "a sequence, h (N, T, H)": lambda case: case.inputs["h"].ndim == 3,
    },
    output_hints={
        "dh": "only dh is wrong: dh = dy @ W_hy, the same leading shape as h.",
        "db_y": "only db_y is wrong: db_y is dy summed over every position, shape (K,).",
    },
    error_hints=[
        (
            r"matmul[\s\S]*W_hy\s*\.T",
            "dh = dy @ W_hy (no transpose): dy is (..., K) and W_hy is (K, H).",
        ),
    ],
)
