"""Exercise ``gru_step_forward``: one GRU step, PyTorch's variant, gates stacked r, z, n."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._gates import gate_pre_activation, gated_cases
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.gru import gru_step_forward
from rnncourse.lstm import sigmoid


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return gated_cases(rng, hidden, 3, cell=False, backward=False)


@mistake_factory
def _gru(order="rzn", swap_z=False, cho=False, n_act=np.tanh, b_hn_inside=True, use_b_hh=True):
    """The GRU step with one mistake; ``order`` is how the learner splits the 3H blocks."""

    def step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        b_hh = b_hh if use_b_hh else 0 * b_hh
        ax = dict(zip(order, np.split(x_t @ W_ih.T + b_ih, 3, axis=-1), strict=True))
        Wh = dict(zip(order, np.split(W_hh.T, 3, axis=-1), strict=True))
        bh = dict(zip(order, np.split(b_hh, 3, axis=-1), strict=True))
        r = sigmoid(ax["r"] + h_prev @ Wh["r"] + bh["r"])
        z = sigmoid(ax["z"] + h_prev @ Wh["z"] + bh["z"])
        if cho:
            n = n_act(ax["n"] + (r * h_prev) @ Wh["n"] + bh["n"])
        elif b_hn_inside:
            n = n_act(ax["n"] + r * (h_prev @ Wh["n"] + bh["n"]))
        else:
            n = n_act(ax["n"] + r * (h_prev @ Wh["n"]) + bh["n"])
        return z * n + (1 - z) * h_prev if swap_z else (1 - z) * n + z * h_prev

    return step


MISTAKES = [
    Mistake(
        "z and 1 - z swapped",
        _gru(swap_z=True),
        "z_t and 1 - z_t are swapped: in PyTorch's GRU z_t keeps the old state, "
        "h_t = (1 - z_t) * n_t + z_t * h_prev.",
    ),
    Mistake(
        "reset before the matmul (Cho et al.)",
        _gru(cho=True),
        "the reset gate is applied to h_prev before the product (Cho et al.'s variant); PyTorch's "
        "resets after it: n_t = tanh(a_x_n + r_t * (h_prev @ W_hn.T + b_hn)).",
    ),
    Mistake(
        "r and z swapped",
        _gru(order="zrn"),
        "the gates are split in the wrong order: PyTorch stacks them r, z, n (reset, update, new).",
    ),
    Mistake(
        "sigmoid on the candidate",
        _gru(n_act=sigmoid),
        "the candidate n_t uses tanh, not sigmoid: sigmoid is for the gates r and z.",
    ),
    Mistake(
        "b_hn outside the reset product",
        _gru(b_hn_inside=False),
        "b_hn belongs inside the reset product: r_t * (h_prev @ W_hn.T + b_hn). That is why the "
        "GRU keeps two biases.",
    ),
    Mistake(
        "b_hh forgotten",
        _gru(use_b_hh=False),
        "b_hh is missing: it is added to the hidden-side pre-activations (inside r_t * (...) for n).",
    ),
]

EXERCISE = Exercise(
    name="gru_step_forward",
    args=("x_t", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
    outputs=("h_t",),
    reference=gru_step_forward,
    cases=cases,
    dims={
        "x_t": "N D",
        "h_prev": "N H",
        "W_ih": "3H D",
        "W_hh": "3H H",
        "b_ih": "3H",
        "b_hh": "3H",
    },
    mistakes=MISTAKES,
    pre_activation=gate_pre_activation,
)
