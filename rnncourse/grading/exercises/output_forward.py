"""Exercise ``output_forward`` (lesson 3): the output layer y = h @ W_hy.T + b_y, for every
step (h of shape (N, T, H)) or for one step (h of shape (N, H))."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import group, normal, states
from rnncourse.grading.spec import Case, Exercise, Mistake
from rnncourse.layers import output_forward
from rnncourse.losses import softmax

# (N, T, H, K) with T = None for a single step h (N, H); all sizes different
# (2, 3, 4, 4) is the square layer (K = H), where h @ W_hy has the right shape and the wrong
# values; the first shapes come back with new values.
SIZES = [
    ((2, 3, 4, 5), np.float64),
    ((3, None, 4, 2), np.float64),
    ((1, 4, 3, 2), np.float64),
    ((2, 1, 5, 3), np.float64),
    ((2, 3, 4, 5), np.float64),
    ((2, 3, 4, 4), np.float64),
    ((4, 5, 3, 6), np.float32),
    ((1, None, 5, 3), np.float32),
]
HIDDEN_SIZES = [((5, 7, 6, 8), np.float64), ((6, None, 4, 9), np.float32)]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, H, K), dtype in HIDDEN_SIZES if hidden else SIZES:
        h = states(rng, (N, H) if T is None else (N, T, H), dtype)
        inputs = {
            "h": h,
            "W_hy": normal(rng, (K, H), dtype, scale=1.0 / np.sqrt(H)),
            "b_y": normal(rng, (K,), dtype, scale=0.5),
        }
        sizes = {"N": N, "H": H, "K": K} if T is None else {"N": N, "T": T, "H": H, "K": K}
        label = group(dtype) + (", one step" if T is None else "")
        label = "square layer (K = H)" if K == H else label
        out.append(Case(inputs, label, sizes, dtype))
    return out


def _last_only(h, W_hy, b_y):
    h_last = h[:, -1] if h.ndim == 3 else h
    return h_last @ W_hy.T + b_y


TRANSPOSE_HINT = (
    "W_hy is stored (K, H), like PyTorch's nn.Linear weight: multiply rows of h by its "
    "transpose, `h @ W_hy.T`."
)

MISTAKES = [
    Mistake(  # only the square layer (K = H) lets it run; elsewhere the shapes do not fit
        "W_hy not transposed",
        lambda h, W_hy, b_y: h @ W_hy + b_y,
        "W_hy is used untransposed: on this square layer (K = H) `h @ W_hy` has the right "
        "shape but the wrong values. " + TRANSPOSE_HINT + " Whatever the shapes: do not pick "
        "the layout from them.",
    ),
    Mistake(
        "bias missing",
        lambda h, W_hy, b_y: h @ W_hy.T,
        "the bias is missing: y = h @ W_hy.T + b_y.",
    ),
    Mistake(
        "softmax applied",
        lambda h, W_hy, b_y: softmax(h @ W_hy.T + b_y),
        "you returned probabilities (each row sums to 1): the output layer returns the scores "
        "(logits) y = h @ W_hy.T + b_y; softmax belongs to the loss.",
    ),
    Mistake(
        "tanh applied",
        lambda h, W_hy, b_y: np.tanh(h @ W_hy.T + b_y),
        "the output layer is linear: no tanh, y = h @ W_hy.T + b_y (scores can be any real "
        "number).",
    ),
    Mistake(
        "last step only",
        _last_only,
        "you returned the output of the last step only: with h of shape (N, T, H) return every "
        "step's output, y of shape (N, T, K). `h @ W_hy.T` does all steps at once.",
    ),
]

EXERCISE = Exercise(
    name="output_forward",
    args=("h", "W_hy", "b_y"),
    outputs=("y",),
    reference=output_forward,
    cases=cases,
    dims={"W_hy": "K H", "b_y": "K"},
    mistakes=MISTAKES,
    branches={
        "one step, h (N, H)": lambda case: case.inputs["h"].ndim == 2,
        "a sequence, h (N, T, H)": lambda case: case.inputs["h"].ndim == 3,
    },
    error_hints=[
        (r"matmul[\s\S]*W_hy(?!\s*\.T)", TRANSPOSE_HINT),
        (r"(shapes|broadcast)[\s\S]*W_hy", TRANSPOSE_HINT),
        (
            r"W_hy\s*@\s*h",
            "h holds the states as rows, (..., H): write `h @ W_hy.T`, not "
            "`W_hy @ h` (that is the lessons' column form for a single vector).",
        ),
    ],
)
