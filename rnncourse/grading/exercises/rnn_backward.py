"""Exercise ``rnn_backward``: backpropagation through time, per-gradient grading.

``dh[:, t]`` is the gradient on h_t from the outputs only; the path through time is added
inside. Reports name the wrong gradient and the first wrong time step of ``dx``.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import normal, rnn_params, sizes_for, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.rnn import rnn_backward, rnn_forward

OUTPUTS = ("dx", "dh0", "dW_xh", "dW_hh", "db_h")


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H), dtype, label in sizes_for(hidden):
        x, h0 = normal(rng, (N, T, D), dtype), states(rng, (N, H), dtype)
        p = rnn_params(rng, D, H, dtype)
        h = rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
        inputs = {"dh": normal(rng, (N, T, H), dtype), "x": x, "h0": h0, "h": h}
        inputs.update(W_xh=p["W_xh"], W_hh=p["W_hh"])
        out.append(Case(inputs, label, {"N": N, "T": T, "D": D, "H": H}, dtype))
    return out


@mistake_factory
def _bptt(
    *,
    recurrent=True,
    accumulate=True,
    tanh_twice=False,
    h_prev_off_by_one=False,
    forward_in_time=False,
    add_after_tanh=False,
    hh_T=False,
    deriv_at_prev=False,
):
    """The step-by-step BPTT loop, with one of its steps done wrong."""

    def backward(dh, x, h0, h, W_xh, W_hh):
        N, T, H = h.shape
        dx = np.zeros_like(x)
        dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H)
        dh_next = np.zeros((N, H))
        for t in range(T) if forward_in_time else reversed(range(T)):
            h_t = h[:, t]
            h_prev = h[:, t - 1] if t > 0 else h0
            at = h_prev if deriv_at_prev else h_t
            deriv = 1 - np.tanh(at) ** 2 if tanh_twice else 1 - at**2
            if add_after_tanh:
                da = dh[:, t] * deriv + dh_next
            else:
                da = (dh[:, t] + (dh_next if recurrent else 0)) * deriv
            dx[:, t] = da @ W_xh
            h_in = h_t if h_prev_off_by_one else h_prev
            terms = (da.T @ x[:, t], da.T @ h_in, da.sum(axis=0))
            if accumulate:
                dW_xh, dW_hh, db_h = dW_xh + terms[0], dW_hh + terms[1], db_h + terms[2]
            else:
                dW_xh, dW_hh, db_h = terms
            dh_next = da @ (W_hh.T if hh_T else W_hh)
        return dx, dh_next, dW_xh, dW_hh, db_h

    return backward


MISTAKES = [
    Mistake(
        "recurrent path dropped",
        _bptt(recurrent=False),
        "the gradients are right at the last step only: BPTT must add the gradient arriving from "
        "step t+1, dh_next = da_{t+1} @ W_hh, to dh[:, t] before going through the tanh.",
    ),
    Mistake(
        "overwritten, not accumulated",
        _bptt(accumulate=False),
        "dW_xh, dW_hh and db_h hold one step's contribution only: the weights are shared by every "
        "step, so accumulate their gradients over time with +=.",
    ),
    Mistake(
        "tanh' as 1 - tanh(h)^2",
        _bptt(tanh_twice=True),
        "tanh' is taken as 1 - np.tanh(h_t)**2, but h_t is already tanh(a_t): tanh is applied "
        "twice. Use 1 - h_t**2.",
    ),
    Mistake(
        "off by one: h_t used as h_prev",
        _bptt(h_prev_off_by_one=True),
        "dW_hh uses h_t where h_{t-1} belongs (off by one in time): at step t the weight multiplied "
        "h_prev = h[:, t-1] (h0 at t = 0).",
    ),
    Mistake(
        "off by one: tanh' at h_prev",
        _bptt(deriv_at_prev=True),
        "tanh' is taken at h_{t-1} (off by one in time): the derivative at step t is 1 - h[:, t]**2.",
    ),
    Mistake(
        "loop forward in time",
        _bptt(forward_in_time=True),
        "the loop runs forward in time: BPTT walks backwards, for t in reversed(range(T)), so that "
        "dh_next from step t+1 is known when step t is processed.",
    ),
    Mistake(
        "dh_next added after tanh'",
        _bptt(add_after_tanh=True),
        "dh_next is added after multiplying by tanh': add it to dh[:, t] first, "
        "da_t = (dh[:, t] + dh_next) * (1 - h_t**2).",
    ),
    Mistake(
        "dh_next with W_hh.T",
        _bptt(hh_T=True),
        "the gradient through time uses W_hh.T: the forward computes h_prev @ W_hh.T, so "
        "dh_prev = da_t @ W_hh.",
    ),
]


def diagnose(case: Case, got: dict, expected: dict) -> str | None:
    g, e = np.asarray(got["dx"], dtype=np.float64), np.asarray(expected["dx"])
    if g.shape != e.shape or g.shape[1] < 2:
        return None
    err = np.abs(g - e).max(axis=(0, 2)) / (np.abs(e).mean() + 1e-12)
    if err[-1] < 1e-6 and err[:-1].max() > 1e-6:
        return (
            "dx is right at the last step but not before: the gradient from later steps is not "
            "reaching earlier ones. Add dh_next (from step t+1) to dh[:, t] and walk t backwards."
        )
    return None


EXERCISE = Exercise(
    name="rnn_backward",
    args=("dh", "x", "h0", "h", "W_xh", "W_hh"),
    outputs=OUTPUTS,
    reference=rnn_backward,
    cases=cases,
    dims={"dh": "N T H", "x": "N T D", "h0": "N H", "h": "N T H", "W_xh": "H D", "W_hh": "H H"},
    time_axis={"dx": 1},
    mistakes=MISTAKES,
    diagnose=diagnose,
    output_hints={
        "dh0": "only dh0 is wrong: it is the gradient carried out of step 0, da_0 @ W_hh.",
        "dW_hh": "only dW_hh is wrong: dW_hh = sum over t of da_t.T @ h_{t-1}, with h_{-1} = h0.",
        "dW_xh": "only dW_xh is wrong: dW_xh = sum over t of da_t.T @ x[:, t].",
        "db_h": "only db_h is wrong: db_h = sum over t and the batch of da_t.",
        "dx": "only dx is wrong: dx[:, t] = da_t @ W_xh.",
    },
    error_hints=[
        (
            r"\bx\[\s*t\s*\]|\bh\[\s*t\s*\]|\bdh\[\s*t\s*\]",
            "time is axis 1: step t of x is x[:, t], not x[t].",
        ),
    ],
    guide=(
        "Walk backwards in time, t = T-1 down to 0, carrying dh_next (zeros before the first iteration): the gradient that comes back into h_t from step t+1.",
        "At step t the total gradient on h_t is dh[:, t] + dh_next; call your rnn_step_backward with it and with h_prev = h[:, t-1] (h0 at t = 0).",
        "Store its dx_t in dx[:, t], ADD its weight and bias gradients to running sums, set dh_next to its dh_prev; after the loop, dh0 is dh_next.",
    ),
)
