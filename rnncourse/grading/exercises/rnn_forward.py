"""Exercise ``rnn_forward``: every hidden state of a sequence, h (N, T, H)."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises import rnn_step_forward as step
from rnncourse.grading.exercises._common import (
    LARGE,
    LARGE_X,
    normal,
    overflow_hint,
    rnn_params,
    rnn_pre_activations,
    sizes_for,
    states,
)
from rnncourse.grading.spec import Case, Exercise, Mistake
from rnncourse.rnn import rnn_forward


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H), dtype, label in sizes_for(hidden) + ([] if hidden else [LARGE]):
        scale = LARGE_X if label == LARGE[2] else 1.0
        inputs = {"x": normal(rng, (N, T, D), dtype, scale), "h0": states(rng, (N, H), dtype)}
        inputs.update(rnn_params(rng, D, H, dtype))
        hint = overflow_hint(pre_activation(**inputs)) if scale > 1 else ""
        sizes = {"N": N, "T": T, "D": D, "H": H}
        out.append(Case(inputs, label, sizes, dtype, nonfinite_hint=hint))
    return out


def pre_activation(x, h0, W_xh, W_hh, b_h):
    """a (N, T, H) at every step, what the tanh is applied to."""
    return rnn_pre_activations(x, h0, rnn_forward(x, h0, W_xh, W_hh, b_h), W_xh, W_hh, b_h)


def _loop(step_fn, carry=True, store_prev=False, reverse=False):
    """A forward loop built from a step function, with optional mistakes."""

    def forward(x, h0, W_xh, W_hh, b_h):
        T = x.shape[1]
        hs, h_prev = [None] * T, h0
        for t in reversed(range(T)) if reverse else range(T):
            h_t = step_fn(x[:, t], h_prev if carry else h0, W_xh, W_hh, b_h)
            hs[t] = h_prev if store_prev else h_t
            h_prev = h_t
        return np.stack(hs, axis=1)

    return forward


def _with_h0(x, h0, W_xh, W_hh, b_h):
    return np.concatenate([h0[:, None], rnn_forward(x, h0, W_xh, W_hh, b_h)], axis=1)


MISTAKES = [
    Mistake(
        "hidden state not carried",
        _loop(step.rnn_step_forward, carry=False),
        "h_t matches at step 0 but not from step 1: is h_prev carried to the next step? Each "
        "step must start from the previous step's h_t (h_prev = h_t), not from h0.",
        "look at what each step of your loop starts from: which state goes into step t?",
    ),
    Mistake(
        "off by one: stores h_prev",
        _loop(step.rnn_step_forward, store_prev=True),
        "h[:, t] holds h_{t-1}: off by one in time. Store the new state h_t at position t "
        "(h[:, 0] is h_1, computed from h0).",
        "look at the line that stores into h: the state before or after the step?",
    ),
    Mistake(
        "time reversed",
        _loop(step.rnn_step_forward, reverse=True),
        "the sequence is processed backwards: the forward pass runs t = 0, 1, ..., T-1.",
        "look at the order your loop visits the time steps in.",
    ),
    Mistake(
        "h0 included",
        _with_h0,
        "h has T+1 steps: return h_1 ... h_T, without h0.",
        "count the states you return: one per input step?",
    ),
    Mistake(
        "last state only",
        lambda x, h0, W_xh, W_hh, b_h: rnn_forward(x, h0, W_xh, W_hh, b_h)[:, -1],
        "you returned only the last hidden state (N, H): return all of them, h of shape (N, T, H).",
    ),
    Mistake(
        "stacked on axis 0",
        lambda x, h0, W_xh, W_hh, b_h: rnn_forward(x, h0, W_xh, W_hh, b_h).transpose(1, 0, 2),
        "h is (T, N, H): stack the states along axis 1, np.stack(hs, axis=1), to get (N, T, H).",
    ),
] + [
    Mistake(
        f"step: {m.name}",
        _loop(m.fn),
        f"at every step, {m.hint}",
        m.where and f"in the step, {m.where}",
    )
    for m in step.MISTAKES
]


def diagnose(case: Case, got: dict, expected: dict) -> str | None:
    g, e = np.asarray(got["h"]), np.asarray(expected["h"])
    if g.shape != e.shape:
        return None
    bad = np.flatnonzero(np.abs(g - e).reshape(g.shape[0], g.shape[1], -1).max(axis=(0, 2)) > 1e-6)
    if len(bad) and bad[0] > 0:
        return (
            f"steps 0..{bad[0] - 1} are right and step {bad[0]} is not: check what is carried "
            "from one step to the next (h_prev = h_t) and where each h_t is stored."
        )
    return None


EXERCISE = Exercise(
    name="rnn_forward",
    args=("x", "h0", "W_xh", "W_hh", "b_h"),
    outputs=("h",),
    reference=rnn_forward,
    cases=cases,
    dims={"x": "N T D", "h0": "N H", "W_xh": "H D", "W_hh": "H H", "b_h": "H", "h": "N T H"},
    time_axis={"h": 1},
    mistakes=MISTAKES,
    diagnose=diagnose,
    pre_activation=pre_activation,
    error_hints=[
        (
            r"\bx\[\s*t\s*\]",
            "x is (N, T, D): the input at step t is x[:, t]; x[t] is sequence t of the batch.",
        ),
        (r"\bh\[\s*t\s*\]\s*=", "h is (N, T, H): store step t in h[:, t], not h[t]."),
    ],
)
