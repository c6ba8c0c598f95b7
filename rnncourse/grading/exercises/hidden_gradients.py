"""Exercise ``hidden_gradients``: dL/dh_t at every step when the loss reads only h_T.

    g_T     = dh_T
    g_{t-1} = (g_t * (1 - h_t**2)) @ W_hh          # one step of BPTT, row form

Returns ``dh`` (N, T, H) with ``dh[:, t]`` = dL/dh_{t+1} (index t holds step t+1, like ``h``).
Lesson 6 draws ``||dL/dh_t||`` from exactly this. Reports name the first wrong time step.
"""

from __future__ import annotations

import numpy as np

from rnncourse.gradient_flow import hidden_gradients
from rnncourse.grading.exercises._common import SQUARE, group, normal, sizes_for, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, _, H), dtype, label in sizes_for(hidden):
        inputs = {
            "dh_T": normal(rng, (N, H), dtype),
            "h": states(rng, (N, T, H), dtype),
            "W_hh": normal(rng, (H, H), dtype, scale=1.5 / np.sqrt(H)),
        }
        label = group(dtype) if label == SQUARE else label  # no D here: just another case
        out.append(Case(inputs, label, {"N": N, "T": T, "H": H}, dtype))
    return out


@mistake_factory
def _chain(*, deriv="h_t", weight="W_hh", reverse_output=False, shift=False):
    """The backward recurrence with one of its parts done wrong."""

    def backward(dh_T, h, W_hh):
        N, T, H = h.shape
        g = np.empty((N, T, H))
        g[:, T - 1] = dh_T
        if shift:  # the Jacobian of step T applied to dh_T itself
            g[:, T - 1] = (dh_T * (1 - h[:, T - 1] ** 2)) @ W_hh
        W = W_hh.T if weight == "W_hh.T" else W_hh
        for t in range(T - 1, 0, -1):
            if deriv == "h_t":
                d = 1 - h[:, t] ** 2
            elif deriv == "h_prev":
                d = 1 - h[:, t - 1] ** 2
            elif deriv == "tanh twice":
                d = 1 - np.tanh(h[:, t]) ** 2
            else:
                d = 1.0
            g[:, t - 1] = (g[:, t] * d) @ W
        return g[:, ::-1] if reverse_output else g

    return backward


MISTAKES = [
    Mistake(
        "tanh' forgotten",
        _chain(deriv=None),
        "the step back skips the tanh: each step multiplies by the Jacobian "
        "diag(1 - h_t**2) W_hh, so g_prev = (g_t * (1 - h_t**2)) @ W_hh.",
        "look at one step back: the forward step applied a tanh after the product; what does "
        "the way back multiply by for it?",
    ),
    Mistake(
        "W_hh.T",
        _chain(weight="W_hh.T"),
        "the step back uses W_hh.T: the forward computes h_prev @ W_hh.T, so the gradient goes "
        "back through g_prev = (g_t * (1 - h_t**2)) @ W_hh.",
        "look at the product with W_hh in your step back: the forward multiplied by W_hh.T; "
        "what does the gradient multiply by?",
    ),
    Mistake(
        "off by one: tanh' at h_{t-1}",
        _chain(deriv="h_prev"),
        "tanh' is taken at the earlier state (off by one in time): going from step t to step t-1 "
        "you pass back through step t's tanh, so the factor is 1 - h[:, t]**2, where h[:, t] is "
        "the later of the two states.",
        "look at which state your tanh' is evaluated at, going from step t to step t-1.",
    ),
    Mistake(
        "tanh' as 1 - tanh(h)^2",
        _chain(deriv="tanh twice"),
        "tanh' is taken as 1 - np.tanh(h)**2, but h is already tanh(a): use 1 - h**2.",
        "look at your tanh' factor: is h the pre-activation or already its tanh?",
    ),
    Mistake(
        "returned in reverse order",
        _chain(reverse_output=True),
        "the steps come back in reverse order: dh[:, t] must be the gradient on h[:, t], so the "
        "last entry, dh[:, -1], is dh_T itself.",
        "look at the order you store the gradients in: which index holds dh_T?",
    ),
    Mistake(
        "off by one: dh_T already stepped back",
        _chain(shift=True),
        "the last entry must be dh_T as given (the gradient on h_T); the Jacobian is applied "
        "only when going back from one step to the one before (off by one in time).",
        "look at the last entry of your result: is it dh_T as given?",
    ),
]


def diagnose(case: Case, got: dict, expected: dict) -> str | None:
    g = np.asarray(got["dh"], dtype=np.float64)
    e = np.asarray(expected["dh"], dtype=np.float64)
    if g.shape != e.shape or g.shape[1] < 2:
        return None
    scale = np.abs(e).max(axis=(0, 2)) + 1e-12
    err = np.abs(g - e).max(axis=(0, 2)) / scale
    if err[-1] < 1e-5 and err[:-1].max() > 1e-3 and err[-2] < 1e-5:
        return (
            "the last steps are right but earlier ones are not: each step back must start from "
            "the gradient just computed for the later step (g_t), not from dh_T again."
        )
    return None


EXERCISE = Exercise(
    name="hidden_gradients",
    args=("dh_T", "h", "W_hh"),
    outputs=("dh",),
    reference=hidden_gradients,
    cases=cases,
    dims={"dh_T": "N H", "h": "N T H", "W_hh": "H H", "dh": "N T H"},
    time_axis={"dh": 1},
    mistakes=MISTAKES,
    diagnose=diagnose,
    error_hints=[
        (
            r"\bh\[\s*t\s*\]|\bg\[\s*t\s*\]|\bdh\[\s*t\s*\]",
            "time is axis 1: step t of h is h[:, t], not h[t].",
        ),
    ],
    guide=(
        "Going back one step multiplies by the transposed Jacobian of that step, (diag(1 - h_t**2) W_hh)^T; start from g[:, T-1] = dh_T.",
        "In row form: g[:, t-1] = (g[:, t] * (1 - h[:, t]**2)) @ W_hh, for t = T-1 down to 1.",
    ),
)
