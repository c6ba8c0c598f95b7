"""Exercise ``gru_step_backward`` (lesson 8): the six gradients of one GRU step, PyTorch's
variant (the reset gate multiplies ``h_prev @ W_hn.T + b_hn``), gates stacked r, z, n.

``dh_t`` is the total gradient on h_t; the step recomputes its gates from its inputs.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._gates import gate_pre_activation, gated_cases
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.gru import gru_step_backward
from rnncourse.lstm import sigmoid


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return gated_cases(rng, hidden, 3, cell=False, backward=True)


@mistake_factory
def _back(
    *,
    dz_sign=1,
    direct=True,
    dn_gate="1 - z",
    dr_bias=True,
    reset_in_dh_n=True,
    sig_deriv="right",
    n_deriv="right",
    order="rzn",
):
    """The GRU step backward with the mistakes named by the flags."""

    def backward(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        H = h_prev.shape[1]
        a_x_r, a_x_z, a_x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=-1)
        a_h = h_prev @ W_hh.T
        a_h_r, a_h_z, a_h_n = np.split(a_h + b_hh, 3, axis=-1)
        r, z = sigmoid(a_x_r + a_h_r), sigmoid(a_x_z + a_h_z)
        n = np.tanh(a_x_n + r * a_h_n)
        dn = dh_t * (1 - z if dn_gate == "1 - z" else z)
        dz = dz_sign * dh_t * (h_prev - n)
        dh_prev = dh_t * z if direct else 0 * dh_t
        da_n = dn * (1 - n**2 if n_deriv == "right" else n * (1 - n))
        dr = da_n * (a_h_n if dr_bias else a_h[:, 2 * H :])
        da_h_n = da_n * r if reset_in_dh_n else da_n
        sd = {"right": lambda s: s * (1 - s), "tanh'": lambda s: 1 - s**2}[sig_deriv]
        grads_x = {"r": dr * sd(r), "z": dz * sd(z), "n": da_n}
        grads_h = {**grads_x, "n": da_h_n}
        da_x = np.concatenate([grads_x[k] for k in order], axis=1)
        da_h = np.concatenate([grads_h[k] for k in order], axis=1)
        dh_prev = dh_prev + da_h @ W_hh
        return da_x @ W_ih, dh_prev, da_x.T @ x_t, da_h.T @ h_prev, da_x.sum(0), da_h.sum(0)

    return backward


MISTAKES = [
    Mistake(
        "dz with the wrong sign",
        _back(dz_sign=-1),
        "dz has the wrong sign: h_t = (1 - z_t) * n_t + z_t * h_prev, so dh_t/dz_t = h_prev - n_t "
        "(not n_t - h_prev).",
    ),
    Mistake(
        "direct path to h_prev missing",
        _back(direct=False),
        "the direct path from h_t to h_prev is missing: h_t contains z_t * h_prev, so dh_prev "
        "starts from dh_t * z_t before the paths through the gates are added.",
    ),
    Mistake(
        "z and 1 - z swapped in dn",
        _back(dn_gate="z"),
        "the candidate n_t is weighted by 1 - z_t in h_t, so dn = dh_t * (1 - z_t), not dh_t * z_t.",
    ),
    Mistake(
        "dr without b_hn",
        _back(dr_bias=False),
        "the reset gate multiplies h_prev @ W_hn.T + b_hn, bias included: "
        "dr = da_n * (h_prev @ W_hn.T + b_hn).",
    ),
    Mistake(
        "r missing in the hidden-side n gradient",
        _back(reset_in_dh_n=False),
        "on the hidden side the candidate's pre-activation is r_t * (h_prev @ W_hn.T + b_hn): its "
        "gradient is da_n * r_t, in dW_hh's n rows, db_hh's n block and dh_prev "
        "(the input side, dW_ih and db_ih, has no r_t).",
    ),
    Mistake(
        "sigmoid' as 1 - s^2",
        _back(sig_deriv="tanh'"),
        "the gates' derivative is sigmoid'(a) = s * (1 - s) with s = sigmoid(a); 1 - s**2 is tanh's.",
    ),
    Mistake(
        "tanh' of the candidate as n(1 - n)",
        _back(n_deriv="sigmoid'"),
        "n_t = tanh(...), so its derivative is 1 - n_t**2, not n_t * (1 - n_t).",
    ),
    Mistake(
        "gate gradients stacked z, r, n",
        _back(order="zrn"),
        "stack the gate gradients in PyTorch's order r, z, n, the order of the rows of W_ih and W_hh.",
    ),
]

EXERCISE = Exercise(
    name="gru_step_backward",
    args=("dh_t", "x_t", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
    outputs=("dx_t", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh"),
    reference=gru_step_backward,
    cases=cases,
    dims={
        "dh_t": "N H",
        "x_t": "N D",
        "h_prev": "N H",
        "W_ih": "3H D",
        "W_hh": "3H H",
        "b_ih": "3H",
        "b_hh": "3H",
        "dW_ih": "3H D",
        "dW_hh": "3H H",
        "db_ih": "3H",
        "db_hh": "3H",
    },
    mistakes=MISTAKES,
    pre_activation=gate_pre_activation,
    output_hints={
        "dh_prev": "only dh_prev is wrong: dh_prev = dh_t * z_t + da_h @ W_hh, with da_h the "
        "hidden-side gate gradients [da_r, da_z, da_n * r_t].",
        "db_hh": "only db_hh is wrong: db_hh sums the hidden-side gate gradients "
        "[da_r, da_z, da_n * r_t] over the batch.",
    },
)
