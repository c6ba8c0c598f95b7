"""Derivation item ``lstm_dh_dc_prev``: d h_t[n, j] / d c_prev[n, j] for one LSTM step.

The learner derives the element-wise derivative of the new hidden state with respect to the
old cell state and writes it as code: ``o_t * (1 - tanh(c_t)**2) * f_t``. It is checked
against central finite differences of the package's ``lstm_step_forward`` (each h_t[n, j]
depends on c_prev[n, j] only, so one perturbation of all of c_prev gives every entry), not
against a closed form: a correct derivation written any way passes.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import LARGE
from rnncourse.grading.exercises._gates import gated_cases
from rnncourse.grading.spec import Case, Exercise, Mistake, finite_difference, mistake_factory
from rnncourse.lstm import lstm_step_forward, sigmoid

ARGS = ("x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b")


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # no overflow case: saturated gates make every derivative ~0, a check of nothing
    return [
        c for c in gated_cases(rng, hidden, 4, cell=True, backward=False) if c.group != LARGE[2]
    ]


@mistake_factory
def _derivative(use_o=True, use_tanh_prime=True, tanh_at="c_t", gate="f", sigmoid_prime=False):
    """The derivative as a learner might derive it; each flag is one mistake."""

    def derivative(x_t, h_prev, c_prev, W_ih, W_hh, b):
        a = x_t @ W_ih.T + h_prev @ W_hh.T + b
        i, f, g, o = np.split(a, 4, axis=-1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c_t = f * c_prev + i * g
        through = {"f": f, "i": i}[gate]
        if sigmoid_prime:
            through = through * (1 - through)
        d = through
        if use_tanh_prime:
            at = c_t if tanh_at == "c_t" else c_prev
            d = d * (1 - np.tanh(at) ** 2)
        if use_o:
            d = d * o
        return d

    return derivative


MISTAKES = [
    Mistake(
        "output gate forgotten",
        _derivative(use_o=False),
        "h_t = o_t * tanh(c_t): the output gate o_t multiplies the derivative too.",
        "look at h_t = o_t * tanh(c_t): which factor of it did your derivative leave out?",
    ),
    Mistake(
        "tanh' forgotten",
        _derivative(use_tanh_prime=False),
        "d tanh(c)/dc = 1 - tanh(c)**2, taken at c_t: o_t * (1 - tanh(c_t)**2) * f_t.",
        "look at the tanh in h_t = o_t * tanh(c_t): its derivative is a factor too.",
    ),
    Mistake(
        "tanh' at c_prev",
        _derivative(tanh_at="c_prev"),
        "the tanh is applied to the new cell c_t, so its derivative is 1 - tanh(c_t)**2 "
        "with c_t = f_t * c_prev + i_t * g_t.",
        "look at where your tanh' is evaluated: at the old cell or the new one?",
    ),
    Mistake(
        "input gate instead of forget gate",
        _derivative(gate="i"),
        "c_t = f_t * c_prev + i_t * g_t: c_prev is multiplied by the forget gate f_t (the "
        "second block of the gates, order i, f, g, o).",
        "look at which gate multiplies c_prev in c_t = f_t * c_prev + i_t * g_t.",
    ),
    Mistake(
        "sigmoid' of the forget gate",
        _derivative(sigmoid_prime=True),
        "the gates do not depend on c_prev, so no gate is differentiated: d c_t / d c_prev "
        "is f_t itself, not f_t * (1 - f_t).",
        "does f_t depend on c_prev? Look at what the gates are computed from.",
    ),
]

EXERCISE = Exercise(
    name="lstm_dh_dc_prev",
    kind="derivation",
    args=ARGS,
    outputs=("dh_dc_prev",),
    reference=finite_difference(lstm_step_forward, "c_prev", ARGS, select=lambda out: out[0]),
    checked_against="central finite differences of lstm_step_forward's h_t with respect to c_prev",
    cases=cases,
    dims={
        "x_t": "N D",
        "h_prev": "N H",
        "c_prev": "N H",
        "W_ih": "4H D",
        "W_hh": "4H H",
        "b": "4H",
        "dh_dc_prev": "N H",
    },
    mistakes=MISTAKES,
    rtol64=1e-8,
)
