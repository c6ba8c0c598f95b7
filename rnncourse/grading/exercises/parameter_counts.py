"""Exercise ``parameter_counts`` (lesson 1): how many parameters a window MLP and an RNN need
for the same job, as a function of the sizes (``rnncourse.models.parameter_counts``)."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.models import parameter_counts

# (w, D, H, K): sizes all different except the square layers (D = H: W_hh counted as H x D
# goes unseen; K = H: an output layer counted as H x H goes unseen); w = 1 (the window MLP is
# then a one-step MLP); new sizes of the same kinds in every case.
SIZES = [
    (10, 15, 8, 2),
    (3, 4, 7, 5),
    (1, 6, 3, 2),
    (4, 5, 5, 3),
    (6, 2, 4, 4),
    (16, 15, 32, 3),
]
HIDDEN = [(24, 7, 20, 5), (2, 9, 9, 4)]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for w, D, H, K in HIDDEN if hidden else SIZES:
        label = (
            "square layer (D = H)"
            if D == H
            else "square output layer (K = H)"
            if K == H
            else "sizes"
        )
        out.append(Case({"w": w, "D": D, "H": H, "K": K}, label, {"w": w, "D": D, "H": H, "K": K}))
    return out


@mistake_factory
def _counts(*, biases=True, recurrent="H H", per_step=False, window=True):
    """The two counts with the mistakes named by the flags."""

    def counts(w, D, H, K):
        b = 1 if biases else 0
        n_mlp = H * (w if window else 1) * D + b * H + K * H + b * K
        W_hh = {"H H": H * H, "none": 0, "H D": H * D}[recurrent]
        n_rnn = H * D + W_hh + b * H + K * H + b * K
        return n_mlp, (w * n_rnn if per_step else n_rnn)

    return counts


MISTAKES = [
    Mistake(
        "biases left out",
        _counts(biases=False),
        "the biases are parameters too: b1 (H,) and b2 (K,) in the MLP, b_h (H,) and b_y (K,) in "
        "the RNN.",
    ),
    Mistake(
        "W_hh left out",
        _counts(recurrent="none"),
        "the RNN's count misses W_hh (H, H), the weights that carry the state from step to step.",
    ),
    Mistake(
        "W_hh counted as H x D",
        _counts(recurrent="H D"),
        "W_hh maps the previous state (H) to the new one (H): it is (H, H), not (H, D).",
    ),
    Mistake(
        "RNN weights counted once per step",
        _counts(per_step=True),
        "the RNN uses the SAME weights at every step: its count does not grow with w (that is "
        "the point of parameter sharing).",
    ),
    Mistake(
        "MLP input without the window",
        _counts(window=False),
        "the window MLP reads w steps side by side, w * D inputs: its first layer W1 is "
        "(H, w * D).",
    ),
]

EXERCISE = Exercise(
    name="parameter_counts",
    args=("w", "D", "H", "K"),
    outputs=("n_mlp", "n_rnn"),
    reference=parameter_counts,
    cases=cases,
    scalars=frozenset({"n_mlp", "n_rnn"}),
    mistakes=MISTAKES,
    output_hints={
        "n_mlp": "only n_mlp is wrong: W1 (H, w·D), b1 (H,), W2 (K, H), b2 (K,).",
        "n_rnn": "only n_rnn is wrong: W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (K, H), b_y (K,).",
    },
)
