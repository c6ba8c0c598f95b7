"""Exercise ``attention_forward`` (lesson 12): one step of additive attention.

    e_t     = v_a . tanh(W_a s + U_a h_t)          scores (N, T)
    alpha   = softmax of e over the real source steps (mask 1), 0 on padding
    context = sum_t alpha_t h_t                     (N, H)

``mask`` is (N, T) of 1.0 on real source steps and 0.0 on padding (in the inputs' dtype),
padding at the end of each row, at least one real step per row.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import REPEAT, has_padding, normal, padding_mask, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.seq2seq import attention_forward

# (N, T, H, A), dtype, group; letters all different, N=1 and T=1 among them
SIZES = [
    ((2, 4, 3, 5), np.float64, "float64"),
    ((1, 3, 4, 2), np.float64, "float64"),
    ((3, 1, 2, 4), np.float64, "float64"),
    ((2, 4, 3, 5), np.float64, REPEAT),
    ((4, 5, 3, 6), np.float32, "float32"),
    ((3, 6, 2, 5), np.float64, "large scores"),
]
HIDDEN_SIZES = [
    ((5, 7, 6, 4), np.float64, "float64"),
    ((1, 1, 3, 2), np.float64, "float64"),
    ((6, 4, 5, 3), np.float32, "float32"),
]
V_SCALE_LARGE = 2000.0  # v_a scaled so that the scores reach about ±1e3: np.exp overflows


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, H, A), dtype, label in HIDDEN_SIZES if hidden else SIZES:
        v_scale = V_SCALE_LARGE if label == "large scores" else 1.5
        inputs = {
            "s": states(rng, (N, H), dtype),
            "h_enc": states(rng, (N, T, H), dtype),
            "mask": padding_mask(rng, N, T, dtype),
            "W_a": normal(rng, (A, H), dtype, 1.5),
            "U_a": normal(rng, (A, H), dtype, 1.5),
            "v_a": normal(rng, (A,), dtype, v_scale),
        }
        hint = (
            "NaN or inf on the case whose scores reach about ±1e3: np.exp overflows above 709. "
            "Subtract each row's largest real score before np.exp (softmax does not change)."
            if label == "large scores"
            else ""
        )
        out.append(
            Case(inputs, label, {"N": N, "T": T, "H": H, "A": A}, dtype, nonfinite_hint=hint)
        )
    return out


def scores(s, h_enc, mask, W_a, U_a, v_a):
    """e (N, T): the values the softmax is applied to."""
    return np.tanh((s @ W_a.T)[:, None, :] + h_enc @ U_a.T) @ v_a


@mistake_factory
def _attend(pad_in_softmax=False, swapped=False, no_tanh=False, not_renormalised=False):
    """Additive attention as a learner might write it; each flag is one mistake."""

    def forward(s, h_enc, mask, W_a, U_a, v_a):
        if swapped:
            pre = (s @ U_a.T)[:, None, :] + h_enc @ W_a.T
        else:
            pre = (s @ W_a.T)[:, None, :] + h_enc @ U_a.T
        e = (pre if no_tanh else np.tanh(pre)) @ v_a
        real = np.asarray(mask) > 0
        if not pad_in_softmax and not not_renormalised:
            e = np.where(real, e, -np.inf)
        z = np.exp(e - e.max(axis=1, keepdims=True))
        alpha = z / z.sum(axis=1, keepdims=True)
        if not_renormalised:
            alpha = alpha * real
        context = np.einsum("nt,nth->nh", alpha, h_enc)
        return context, alpha

    return forward


MISTAKES = [
    Mistake(
        "softmax over the padding too",
        _attend(pad_in_softmax=True),
        "set the scores of the padded steps to -inf (np.where(mask > 0, e, -np.inf)) before "
        "the softmax: then alpha is 0 there and the real steps' weights sum to 1.",
        "the padded source steps get some of the weight: which steps does the softmax run over?",
    ),
    Mistake(
        "padding zeroed after the softmax",
        _attend(not_renormalised=True),
        "multiplying alpha by the mask after the softmax leaves weights that no longer sum "
        "to 1: mask the scores before the softmax (e = -inf on padding) instead.",
        "look at the sum of alpha over the source steps: is it 1 for every row?",
    ),
    Mistake(
        "W_a and U_a swapped",
        _attend(swapped=True),
        "W_a multiplies the decoder state s and U_a the encoder states h_enc: "
        "tanh(s @ W_a.T [:, None, :] + h_enc @ U_a.T).",
        "look at which weight multiplies which state inside the tanh.",
    ),
    Mistake(
        "no tanh",
        _attend(no_tanh=True),
        "the scores are v_a . tanh(W_a s + U_a h_t): apply np.tanh before the product with v_a.",
        "look at the scores e: is the nonlinearity there?",
    ),
]

OVERFLOW = (
    "NaN or inf where the scores are large: np.exp overflows above 709. Subtract each row's "
    "largest real score before np.exp (softmax does not change)."
)


def diagnose(case: Case, got: dict, expected: dict) -> str | None:
    alpha = got.get("alpha")
    if not isinstance(alpha, np.ndarray) or alpha.shape != expected["alpha"].shape:
        return None
    if not np.all(np.isfinite(alpha)):
        return OVERFLOW
    pad = case.inputs["mask"] == 0
    if pad.any() and np.abs(alpha[pad]).max() > 1e-6:
        return (
            "alpha is not 0 on the padded source steps (mask 0): the softmax must run over the "
            "real steps only (scores -inf on padding)."
        )
    return None


# the attention step's inputs, shared with attention_backward
INPUT_DIMS = {"s": "N H", "h_enc": "N T H", "mask": "N T", "W_a": "A H", "U_a": "A H", "v_a": "A"}

EXERCISE = Exercise(
    name="attention_forward",
    args=("s", "h_enc", "mask", "W_a", "U_a", "v_a"),
    outputs=("context", "alpha"),
    reference=attention_forward,
    cases=cases,
    dims={**INPUT_DIMS, "context": "N H", "alpha": "N T"},
    mistakes=MISTAKES,
    rtol64=1e-9,
    pre_activation=scores,
    branches={
        "a padded source": has_padding,
        "a source without padding": lambda case: bool((case.inputs["mask"] > 0).all(axis=1).any()),
    },
    diagnose=diagnose,
    output_hints={
        "context": "only the context is wrong: context = sum over t of alpha[:, t, None] * "
        "h_enc[:, t] (N, H).",
        "alpha": "only alpha is wrong: the softmax of the scores over the real source steps.",
    },
)
