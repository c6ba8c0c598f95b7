"""Exercise ``rnn_forward_masked`` (lesson 4): the shared RNN cell over a padded batch.

    h_t = m_t * tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h) + (1 - m_t) * h_prev

``mask`` is (N, T) of 1.0 on real steps and 0.0 on padding (in the dtype of x); padding is at
the end of each sequence, so h[:, -1] is every sequence's state after its last real step.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import (
    LARGE,
    LARGE_X,
    has_padding,
    normal,
    overflow_hint,
    rnn_params,
    rnn_pre_activations,
    sizes_for,
    states,
)
from rnncourse.grading.spec import Case, Exercise, Mistake
from rnncourse.masking import rnn_forward_masked
from rnncourse.rnn import rnn_forward


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H), dtype, label in sizes_for(hidden) + ([] if hidden else [LARGE]):
        scale = LARGE_X if label == LARGE[2] else 1.0
        lengths = rng.integers(1, T + 1, size=N)
        lengths[0] = max(1, T - 2) if N > 1 else lengths[0]  # some padding in most cases
        if N > 1:
            lengths[-1] = T  # and one full-length sequence
        elif T > 1:
            lengths[0] = T - 1  # a single sequence, padded by one step
        mask = (np.arange(T)[None, :] < lengths[:, None]).astype(dtype)
        x = normal(rng, (N, T, D), dtype, scale) * mask[..., None]  # padded inputs are zeros
        inputs = {"x": x, "mask": mask, "h0": states(rng, (N, H), dtype)}
        inputs.update(rnn_params(rng, D, H, dtype))
        hint = overflow_hint(pre_activation(**inputs)) if scale > 1 else ""
        sizes = {"N": N, "T": T, "D": D, "H": H}
        out.append(Case(inputs, label, sizes, dtype, nonfinite_hint=hint))
    return out


def pre_activation(x, mask, h0, W_xh, W_hh, b_h):
    """a (N, T, H) at every step (padded steps too: the tanh is computed there as well)."""
    h = rnn_forward_masked(x, mask, h0, W_xh, W_hh, b_h)
    return rnn_pre_activations(x, h0, h, W_xh, W_hh, b_h)


def _loop(kind, wrap=False):
    """The masked loop with one known mistake."""

    def forward(x, mask, h0, W_xh, W_hh, b_h):
        N, T, _ = x.shape
        hs, h_prev = [], h0
        for t in range(T):
            if kind == "shifted":  # mask[:, t - 1]; at t = 0 either wrapped or clamped
                m = mask[:, t - 1 if t > 0 or wrap else 0][:, None]
            else:
                m = mask[:, t][:, None]  # (N, 1)
            h_new = np.tanh(x[:, t] @ W_xh.T + h_prev @ W_hh.T + b_h)
            if kind == "zeros":
                h_t = m * h_new
            elif kind == "h0":
                h_t = m * h_new + (1 - m) * h0
            else:
                h_t = m * h_new + (1 - m) * h_prev
            hs.append(h_t)
            h_prev = h_new if kind == "recurrence unmasked" else h_t
        return np.stack(hs, axis=1)

    return forward


SHIFTED = "the mask is read one step off: at step t use mask[:, t] (the same step as x[:, t])."

MISTAKES = [
    Mistake(
        "mask ignored",
        lambda x, mask, h0, W_xh, W_hh, b_h: rnn_forward(x, h0, W_xh, W_hh, b_h),
        "the mask is ignored: padded steps still update the state. Where mask[:, t] is 0 keep "
        "the previous state: h_t = m_t * h_new + (1 - m_t) * h_prev.",
    ),
    Mistake(
        "padded steps set to zero",
        _loop("zeros"),
        "padded steps are 0: carry the previous state through the padding, "
        "h_t = m_t * h_new + (1 - m_t) * h_prev, so that h[:, -1] is the last real state.",
    ),
    Mistake(
        "padding falls back to h0",
        _loop("h0"),
        "at padded steps you keep h0: keep the previous state h_prev (the last real step's), "
        "not the initial one.",
    ),
    Mistake(
        "recurrence continues through padding",
        _loop("recurrence unmasked"),
        "h is right at the first padded step but not after: the next step must start from the "
        "carried state, h_prev = h_t, not from the unmasked tanh(...).",
    ),
    Mistake("mask off by one step", _loop("shifted"), SHIFTED),
    Mistake("mask off by one step, wrapping at t = 0", _loop("shifted", wrap=True), SHIFTED),
]


EXERCISE = Exercise(
    name="rnn_forward_masked",
    args=("x", "mask", "h0", "W_xh", "W_hh", "b_h"),
    outputs=("h",),
    reference=rnn_forward_masked,
    cases=cases,
    dims={
        "x": "N T D",
        "mask": "N T",
        "h0": "N H",
        "W_xh": "H D",
        "W_hh": "H H",
        "b_h": "H",
        "h": "N T H",
    },
    time_axis={"h": 1},
    mistakes=MISTAKES,
    pre_activation=pre_activation,
    branches={
        "padded steps": has_padding,
        "a full-length sequence": lambda case: bool((case.inputs["mask"] == 1).all(axis=1).any()),
    },
    error_hints=[
        (
            r"broadcast[\s\S]*mask",
            "mask[:, t] is (N,) and the states are (N, H): give the mask an axis to broadcast, "
            "m = mask[:, t, None] (shape (N, 1)).",
        ),
        (
            r"\bx\[\s*t\s*\]",
            "x is (N, T, D): the input at step t is x[:, t]; x[t] is sequence t of the batch.",
        ),
    ],
)
