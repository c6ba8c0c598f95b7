"""Exercise ``rnn_step_backward``: the five gradients of one RNN step."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import normal, rnn_params, sizes_for, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.rnn import rnn_step_backward, rnn_step_forward

OUTPUTS = ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, _, D, H), dtype, label in sizes_for(hidden):
        x_t, h_prev = normal(rng, (N, D), dtype), states(rng, (N, H), dtype)
        p = rnn_params(rng, D, H, dtype)
        h_t = rnn_step_forward(x_t, h_prev, p["W_xh"], p["W_hh"], p["b_h"])
        inputs = {"dh_t": normal(rng, (N, H), dtype), "x_t": x_t, "h_prev": h_prev, "h_t": h_t}
        inputs.update(W_xh=p["W_xh"], W_hh=p["W_hh"])
        out.append(Case(inputs, label, {"N": N, "D": D, "H": H}, dtype))
    return out


@mistake_factory
def _backward(
    da_of=lambda dh_t, h_t, h_prev: dh_t * (1 - h_t**2),
    *,
    hh_T=False,
    dW_hh_T=False,
    dW_xh_T=False,
    db="sum",
    dW_hh_from_h_t=False,
):
    """The step backward with one of its steps done wrong."""

    def backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
        da = da_of(dh_t, h_t, h_prev)
        dx_t = da @ W_xh
        dh_prev = da @ (W_hh.T if hh_T else W_hh)
        dW_xh = x_t.T @ da if dW_xh_T else da.T @ x_t
        h_in = h_t if dW_hh_from_h_t else h_prev
        dW_hh = h_in.T @ da if dW_hh_T else da.T @ h_in
        db_h = {"sum": da.sum(axis=0), "mean": da.mean(axis=0), "none": da}[db]
        return dx_t, dh_prev, dW_xh, dW_hh, db_h

    return backward


TANH_TWICE = (
    "tanh' is taken as 1 - np.tanh(h_t)**2, but h_t is already tanh(a_t): tanh is applied "
    "twice. Use 1 - h_t**2."
)

MISTAKES = [
    Mistake(
        "tanh' as 1 - tanh(h_t)^2",
        _backward(lambda dh, h, hp: dh * (1 - np.tanh(h) ** 2)),
        TANH_TWICE,
    ),
    Mistake(
        "no tanh'",
        _backward(lambda dh, h, hp: dh),
        "the gradient skips the tanh: first da_t = dh_t * (1 - h_t**2), then the products with da_t.",
    ),
    Mistake(
        "tanh' as (1 - h_t)^2",
        _backward(lambda dh, h, hp: dh * (1 - h) ** 2),
        "tanh'(a_t) is 1 - h_t**2 (one minus the square), not (1 - h_t)**2.",
    ),
    Mistake(
        "tanh' as 1 - h_t",
        _backward(lambda dh, h, hp: dh * (1 - h)),
        "tanh'(a_t) is 1 - h_t**2: the square is missing.",
    ),
    Mistake(
        "tanh' from h_prev",
        _backward(lambda dh, h, hp: dh * (1 - hp**2)),
        "tanh' is taken at h_prev: off by one in time. The derivative of h_t = tanh(a_t) is 1 - h_t**2.",
    ),
    Mistake(
        "dh_prev with W_hh.T",
        _backward(hh_T=True),
        "dh_prev uses W_hh.T: the forward computes h_prev @ W_hh.T, so backward is da_t @ W_hh.",
    ),
    Mistake(
        "dW_hh transposed",
        _backward(dW_hh_T=True),
        "dW_hh is transposed: a gradient has its weight's layout (out, in), dW_hh = da_t.T @ h_prev.",
    ),
    Mistake(
        "dW_xh transposed",
        _backward(dW_xh_T=True),
        "dW_xh is transposed: a gradient has its weight's shape (H, D), dW_xh = da_t.T @ x_t.",
    ),
    Mistake(
        "dW_hh from h_t",
        _backward(dW_hh_from_h_t=True),
        "dW_hh uses h_t where h_prev belongs (off by one): the weight multiplied h_prev, so dW_hh = da_t.T @ h_prev.",
    ),
    Mistake(
        "db_h mean",
        _backward(db="mean"),
        "db_h is averaged over the batch: the loss already is; sum the rows, db_h = da_t.sum(axis=0).",
    ),
    Mistake(
        "db_h not summed",
        _backward(db="none"),
        "db_h must have b_h's shape (H,): sum da_t over the batch, db_h = da_t.sum(axis=0).",
    ),
]

EXERCISE = Exercise(
    name="rnn_step_backward",
    args=("dh_t", "x_t", "h_prev", "h_t", "W_xh", "W_hh"),
    outputs=OUTPUTS,
    reference=rnn_step_backward,
    cases=cases,
    dims={"dh_t": "N H", "x_t": "N D", "h_prev": "N H", "h_t": "N H", "W_xh": "H D", "W_hh": "H H"},
    mistakes=MISTAKES,
    output_hints={
        "dx_t": "only dx_t is wrong: dx_t = da_t @ W_xh, with da_t = dh_t * (1 - h_t**2).",
        "dh_prev": "only dh_prev is wrong: dh_prev = da_t @ W_hh.",
        "dW_xh": "only dW_xh is wrong: dW_xh = da_t.T @ x_t, shape (H, D).",
        "dW_hh": "only dW_hh is wrong: dW_hh = da_t.T @ h_prev, shape (H, H).",
        "db_h": "only db_h is wrong: db_h = da_t.sum(axis=0), shape (H,).",
    },
    guide=(
        "Name the pre-activation a_t = x_t @ W_xh.T + h_prev @ W_hh.T + b_h, so h_t = tanh(a_t); every gradient goes through dL/da_t, and tanh'(a_t) = 1 - h_t**2 reads the step's output.",
        "da_t = dh_t * (1 - h_t**2); then dx_t = W_xh^T da_t and dh_prev = W_hh^T da_t, in row form da_t @ W_xh and da_t @ W_hh.",
        "dW_xh = da_t x_t^T and dW_hh = da_t h_prev^T, summed over the batch: da_t.T @ x_t and da_t.T @ h_prev; db_h = da_t summed over the batch rows.",
    ),
)
