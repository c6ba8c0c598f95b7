"""Exercise ``rnn_step_forward``: ``h_t = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)``.

This module is the worked example of an exercise spec: seeded cases, the reference from the
package, and the catalogue of mistakes, each with the hint its author should read.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import (
    LARGE,
    LARGE_X,
    normal,
    overflow_hint,
    rnn_params,
    sizes_for,
    states,
)
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.lstm import sigmoid
from rnncourse.rnn import rnn_step_forward


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, _, D, H), dtype, label in sizes_for(hidden):
        inputs = {"x_t": normal(rng, (N, D), dtype), "h_prev": states(rng, (N, H), dtype)}
        inputs.update(rnn_params(rng, D, H, dtype))
        out.append(Case(inputs, label, {"N": N, "D": D, "H": H}, dtype))
    sizes = [LARGE] if not hidden else []
    for (N, _, D, H), dtype, label in sizes:  # tanh must not be written with np.exp
        inputs = {"x_t": normal(rng, (N, D), dtype, LARGE_X), "h_prev": states(rng, (N, H), dtype)}
        inputs.update(rnn_params(rng, D, H, dtype))
        hint = overflow_hint(pre_activation(**inputs))
        out.append(Case(inputs, label, {"N": N, "D": D, "H": H}, dtype, nonfinite_hint=hint))
    if hidden:  # saturated units: tanh must be np.tanh, not a hand-written overflow-prone one
        N, D, H = 2, 3, 4
        inputs = {
            "x_t": normal(rng, (N, D), np.float64, 30.0),
            "h_prev": states(rng, (N, H), np.float64),
        }
        inputs.update(rnn_params(rng, D, H, np.float64, scale=3.0))
        out.append(Case(inputs, "large pre-activations", {"N": N, "D": D, "H": H}))
    return out


def pre_activation(x_t, h_prev, W_xh, W_hh, b_h):
    """a_t, what the tanh is applied to."""
    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h


def _identity(a):
    return a


def _relu(a):
    return np.maximum(0, a)


@mistake_factory
def _step(act=np.tanh, W_hh_T=True, bias=1, use_x=True, use_h=True, bias_after_act=False):
    """The step as a learner might write it; each flag is one mistake, no flags the reference.
    (Being a mistake_factory, two of these mistakes made together are recognised too.)"""

    def step(x_t, h_prev, W_xh, W_hh, b_h):
        a = (x_t @ W_xh.T if use_x else 0) + (h_prev @ (W_hh.T if W_hh_T else W_hh) if use_h else 0)
        if bias_after_act:
            return act(a) + b_h
        return act(a + bias * b_h)

    return step


SQUARE_HINT = (
    "W_xh is used untransposed: on this square layer (D = H) x_t @ W_xh has the right shape "
    "but the wrong values. Weights are stored (out_features, in_features), W_xh is (H, D), so "
    "the input term is x_t @ W_xh.T whatever the shapes (do not pick the layout from them)."
)

MISTAKES = [
    Mistake(
        "no tanh",
        _step(act=_identity),
        "your h_t is the pre-activation a_t: apply the nonlinearity, h_t = np.tanh(a_t).",
        "look at the last operation of the step: what is applied to the pre-activation a_t?",
    ),
    Mistake(
        "sigmoid instead of tanh",
        _step(act=sigmoid),
        "your h_t is sigmoid(a_t); the vanilla RNN uses tanh (values in (-1, 1)): np.tanh(a_t).",
        "look at the nonlinearity: your h_t lies in (0, 1), the RNN's in (-1, 1).",
    ),
    Mistake(
        "ReLU instead of tanh",
        _step(act=_relu),
        "your h_t is relu(a_t); this RNN uses tanh: np.tanh(a_t).",
        "look at the nonlinearity: your h_t is never negative.",
    ),
    Mistake(
        "W_hh not transposed",
        _step(W_hh_T=False),
        "W_hh is used untransposed: with rows as batch entries and weights stored "
        "(out_features, in_features), the recurrent term is h_prev @ W_hh.T.",
        "look at the recurrent term, the product of h_prev with W_hh: which index of W_hh "
        "is the output unit?",
    ),
    Mistake(
        "bias forgotten",
        _step(bias=0),
        "b_h is missing: add it to the pre-activation, a_t = x_t @ W_xh.T + h_prev @ W_hh.T + b_h.",
        "look at the pre-activation a_t: one of the step's parameters is not in it.",
    ),
    Mistake(
        "bias added twice",
        _step(bias=2),
        "b_h is added twice: there is one bias b_h (PyTorch's b_ih + b_hh), added once.",
        "look at the pre-activation a_t: count how often each parameter appears in it.",
    ),
    Mistake(
        "h_prev ignored",
        _step(use_h=False),
        "h_t does not depend on h_prev: the recurrent term h_prev @ W_hh.T is missing.",
        "look at the pre-activation a_t: does the previous state enter it?",
    ),
    Mistake(
        "x_t ignored",
        _step(use_x=False),
        "h_t does not depend on x_t: the input term x_t @ W_xh.T is missing.",
        "look at the pre-activation a_t: does the input enter it?",
    ),
    Mistake(
        "bias inside a separate tanh",
        _step(bias_after_act=True),
        "b_h is added after the tanh: it belongs inside, h_t = tanh(... + b_h).",
        "look at where b_h is added: before or after the nonlinearity?",
    ),
    # not from the factory: on a layer with D != H it raises, so it pairs with nothing
    Mistake(
        "W_xh not transposed (square layer)",
        lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h),
        SQUARE_HINT,
    ),
]

EXERCISE = Exercise(
    name="rnn_step_forward",
    args=("x_t", "h_prev", "W_xh", "W_hh", "b_h"),
    outputs=("h_t",),
    reference=rnn_step_forward,
    cases=cases,
    dims={"x_t": "N D", "h_prev": "N H", "W_xh": "H D", "W_hh": "H H", "b_h": "H", "h_t": "N H"},
    mistakes=MISTAKES,
    pre_activation=pre_activation,
    error_hints=[
        (
            r"W_xh\s*@\s*x_t|W_hh\s*@\s*h_prev",
            "the batch is in rows, so the input goes on the left: x_t @ W_xh.T",
        ),
    ],
)
