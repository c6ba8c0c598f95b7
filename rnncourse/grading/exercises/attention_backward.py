"""Exercise ``attention_backward`` (lesson 12): the gradients of one additive attention step.

Arguments: dcontext (N, H), the gradient on the context; dalpha (N, T) on the weights
themselves, or None; then attention_forward's inputs s, h_enc, mask, W_a, U_a, v_a. Returns
(ds, dh_enc, dW_a, dU_a, dv_a); padded steps get no gradient through the weights.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import REPEAT, has_padding, normal, padding_mask, states
from rnncourse.grading.exercises.attention_forward import INPUT_DIMS
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.seq2seq import attention_backward

# (N, T, H, A), dtype, group, whether dalpha is given
SIZES = [
    ((2, 4, 3, 5), np.float64, "float64", True),
    ((1, 3, 4, 2), np.float64, "float64", True),
    ((3, 1, 2, 4), np.float64, "float64", False),
    ((2, 4, 3, 5), np.float64, REPEAT, True),
    ((4, 5, 3, 6), np.float32, "float32", True),
]
HIDDEN_SIZES = [
    ((5, 7, 6, 4), np.float64, "float64", True),
    ((1, 1, 3, 2), np.float64, "float64", False),
    ((6, 4, 5, 3), np.float32, "float32", False),
]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, H, A), dtype, label, with_dalpha in HIDDEN_SIZES if hidden else SIZES:
        inputs = {
            "dcontext": normal(rng, (N, H), dtype),
            "dalpha": normal(rng, (N, T), dtype) if with_dalpha else None,
            "s": states(rng, (N, H), dtype),
            "h_enc": states(rng, (N, T, H), dtype),
            "mask": padding_mask(rng, N, T, dtype),
            "W_a": normal(rng, (A, H), dtype, 1.5),
            "U_a": normal(rng, (A, H), dtype, 1.5),
            "v_a": normal(rng, (A,), dtype, 1.5),
        }
        out.append(Case(inputs, label, {"N": N, "T": T, "H": H, "A": A}, dtype))
    return out


@mistake_factory
def _backward(centred=True, tanh_grad=True, direct_path=True, use_dalpha=True, swap_WU=False):
    """The backward as a learner might write it; each flag is one mistake."""

    def backward(dcontext, dalpha, s, h_enc, mask, W_a, U_a, v_a):
        k = np.tanh((s @ W_a.T)[:, None, :] + h_enc @ U_a.T)
        e = np.where(mask > 0, k @ v_a, -np.inf)
        z = np.exp(e - e.max(axis=1, keepdims=True))
        alpha = z / z.sum(axis=1, keepdims=True)
        da = np.einsum("nh,nth->nt", dcontext, h_enc)
        if dalpha is not None and use_dalpha:
            da = da + dalpha
        de = alpha * (da - (alpha * da).sum(axis=1, keepdims=True)) if centred else alpha * da
        dpre = de[..., None] * v_a * ((1.0 - k * k) if tanh_grad else 1.0)
        ds = dpre.sum(axis=1) @ W_a
        dh_enc = dpre @ U_a + (alpha[..., None] * dcontext[:, None, :] if direct_path else 0.0)
        dW_a = dpre.sum(axis=1).T @ s
        dU_a = np.einsum("nta,nth->ah", dpre, h_enc)
        dv_a = np.einsum("nt,nta->a", de, k)
        if swap_WU:
            dW_a, dU_a = dU_a, dW_a
        return ds, dh_enc, dW_a, dU_a, dv_a

    return backward


MISTAKES = [
    Mistake(
        "softmax's Jacobian not centred",
        _backward(centred=False),
        "through the softmax, de = alpha * (dalpha - sum_t alpha dalpha): subtract the "
        "alpha-weighted mean of dalpha (over the source steps) before multiplying by alpha.",
        "look at de, the gradient on the scores: does it sum to 0 over the source steps?",
    ),
    Mistake(
        "tanh's derivative missing",
        _backward(tanh_grad=False),
        "k = tanh(...): the gradient through it is multiplied by (1 - k**2).",
        "look at the gradient through the tanh inside the scores.",
    ),
    Mistake(
        "context's direct path to h_enc missing",
        _backward(direct_path=False),
        "the context is sum_t alpha_t h_t: h_enc also gets alpha[..., None] * dcontext[:, None] "
        "directly, besides the path through the scores.",
        "h_enc is used twice in the forward: in the scores and in the weighted sum. Both paths?",
    ),
    Mistake(
        "dalpha ignored",
        _backward(use_dalpha=False),
        "when dalpha is given, add it to the gradient on alpha that comes from the context, "
        "da = dcontext . h_enc + dalpha.",
        "look at the cases where dalpha is given (not None).",
    ),
    Mistake(
        "dW_a and dU_a swapped",
        _backward(swap_WU=True),
        "dW_a pairs the scores' gradient with s (sum over steps, then .T @ s); dU_a with h_enc.",
        "W_a and U_a have the same shape: which state multiplies which?",
    ),
]

EXERCISE = Exercise(
    name="attention_backward",
    args=("dcontext", "dalpha", "s", "h_enc", "mask", "W_a", "U_a", "v_a"),
    outputs=("ds", "dh_enc", "dW_a", "dU_a", "dv_a"),
    reference=attention_backward,
    cases=cases,
    dims={
        "dcontext": "N H",
        "dalpha": "N T",
        **INPUT_DIMS,
        "ds": "N H",
        "dh_enc": "N T H",
        "dW_a": "A H",
        "dU_a": "A H",
        "dv_a": "A",
    },
    time_axis={"dh_enc": 1},
    mistakes=MISTAKES,
    rtol64=1e-8,
    branches={
        "dalpha given": lambda case: case.inputs["dalpha"] is not None,
        "dalpha None": lambda case: case.inputs["dalpha"] is None,
        "a padded source": has_padding,
    },
    output_hints={
        "dh_enc": "only dh_enc is wrong: it gets alpha * dcontext (the weighted sum) plus the "
        "path through the scores, dpre @ U_a.",
        "dv_a": "only dv_a is wrong: dv_a = sum over n, t of de[n, t] * k[n, t].",
    },
)
