"""Exercise ``lstm_step_backward``: the six gradients of one LSTM step.

``dh_t`` and ``dc_t`` are the total gradients on h_t and c_t; the path from h_t into c_t
is added inside.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._gates import gate_pre_activation, gated_cases
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.lstm import lstm_step_backward, sigmoid


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return gated_cases(rng, hidden, 4, cell=True, backward=True)


@mistake_factory
def _back(
    *,
    via_h=True,
    via_c=True,
    tanh_c_deriv="right",
    forget=True,
    order="ifgo",
    sig_deriv="right",
    g_deriv="right",
    db="sum",
):
    """The step backward with one mistake."""

    def backward(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b):
        a = x_t @ W_ih.T + h_prev @ W_hh.T + b
        a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
        i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        c = f * c_prev + i * g
        tc = np.tanh(c)
        deriv_c = {"right": 1 - tc**2, "c_t": 1 - c**2}[tanh_c_deriv]
        do = dh_t * tc
        dc = (dc_t if via_c else 0) + (dh_t * o * deriv_c if via_h else 0)
        di, dg, df = dc * g, dc * i, dc * c_prev
        dc_prev = dc * f if forget else dc
        sd = {"right": lambda s: s * (1 - s), "tanh'": lambda s: 1 - s**2}[sig_deriv]
        gd = {"right": 1 - g**2, "sigmoid'": g * (1 - g)}[g_deriv]
        grads = {"i": di * sd(i), "f": df * sd(f), "g": dg * gd, "o": do * sd(o)}
        da = np.concatenate([grads[k] for k in order], axis=1)
        dbias = {"sum": da.sum(axis=0), "none": da}[db]
        return da @ W_ih, da @ W_hh, dc_prev, da.T @ x_t, da.T @ h_prev, dbias

    return backward


MISTAKES = [
    Mistake(
        "path through h_t into c_t missing",
        _back(via_h=False),
        "the gradient reaching c_t through h_t = o_t * tanh(c_t) is missing: "
        "dc = dc_t + dh_t * o_t * (1 - tanh(c_t)**2).",
    ),
    Mistake(
        "dc_t ignored",
        _back(via_c=False),
        "dc_t, the gradient arriving from step t+1, is missing: dc = dc_t + dh_t * o_t * (1 - tanh(c_t)**2).",
    ),
    Mistake(
        "tanh' at c_t as 1 - c_t^2",
        _back(tanh_c_deriv="c_t"),
        "c_t is not a tanh output: the derivative of tanh(c_t) is 1 - tanh(c_t)**2, not 1 - c_t**2.",
    ),
    Mistake(
        "dc_prev without f_t",
        _back(forget=False),
        "dc_prev = dc * f_t: the old cell was multiplied by the forget gate.",
    ),
    Mistake(
        "gate gradients stacked i, f, o, g",
        _back(order="ifog"),
        "stack the gate gradients in PyTorch's order i, f, g, o, the order of the rows of W_ih.",
    ),
    Mistake(
        "sigmoid' as 1 - s^2",
        _back(sig_deriv="tanh'"),
        "the gates' derivative is sigmoid'(a) = s * (1 - s) with s = sigmoid(a); 1 - s**2 is tanh's.",
    ),
    Mistake(
        "candidate derivative as sigmoid'",
        _back(g_deriv="sigmoid'"),
        "g_t = tanh(a_g), so its derivative is 1 - g_t**2, not g_t * (1 - g_t).",
    ),
    Mistake(
        "db not summed",
        _back(db="none"),
        "db must have b's shape (4H,): sum over the batch, db = da.sum(axis=0).",
    ),
]

EXERCISE = Exercise(
    name="lstm_step_backward",
    args=("dh_t", "dc_t", "x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b"),
    outputs=("dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db"),
    reference=lstm_step_backward,
    cases=cases,
    dims={
        "dh_t": "N H",
        "dc_t": "N H",
        "x_t": "N D",
        "h_prev": "N H",
        "c_prev": "N H",
        "W_ih": "4H D",
        "W_hh": "4H H",
        "b": "4H",
    },
    mistakes=MISTAKES,
    pre_activation=gate_pre_activation,
    output_hints={
        "dc_prev": "only dc_prev is wrong: dc_prev = dc * f_t.",
        "db": "only db is wrong: db = da.sum(axis=0) with da the (N, 4H) gate gradients.",
    },
    guide=(
        "Recompute the forward (a_t, the gates i, f, g, o, c_t), then walk it in reverse. From h_t = o_t * tanh(c_t): do = dh_t * tanh(c_t), and the whole gradient on the cell is dc = dc_t + dh_t * o_t * (1 - tanh(c_t)**2).",
        "From c_t = f_t * c_prev + i_t * g_t: df = dc * c_prev, di = dc * g_t, dg = dc * i_t, dc_prev = dc * f_t.",
        "Through the nonlinearities: da_i = di * i(1 - i), da_f = df * f(1 - f), da_g = dg * (1 - g**2), da_o = do * o(1 - o); stack them as da (N, 4H) in the order i, f, g, o.",
        "From a_t = x_t @ W_ih.T + h_prev @ W_hh.T + b: dx_t = da @ W_ih, dh_prev = da @ W_hh, dW_ih = da.T @ x_t, dW_hh = da.T @ h_prev, db = da summed over the batch.",
    ),
)
