"""Exercise ``lstm_step_forward``: one LSTM step, gates stacked in PyTorch's order i, f, g, o."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._gates import gate_pre_activation, gated_cases
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.lstm import lstm_step_forward, sigmoid


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return gated_cases(rng, hidden, 4, cell=True, backward=False)


@mistake_factory
def _lstm(
    order="ifgo", g_act=np.tanh, cell="standard", h_tanh=True, c_tanh=False, swap_out=False, bias=1
):
    """The LSTM step with one mistake; ``order`` is how the learner splits the 4H blocks."""

    def step(x_t, h_prev, c_prev, W_ih, W_hh, b):
        a = x_t @ W_ih.T + h_prev @ W_hh.T + bias * b
        blocks = dict(zip(order, np.split(a, 4, axis=-1), strict=True))
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        g = g_act(blocks["g"])
        c = f * c_prev + i * g if cell == "standard" else f * g + i * c_prev
        if c_tanh:
            c = np.tanh(c)
        h = o * np.tanh(c) if h_tanh else o * c
        return (c, h) if swap_out else (h, c)

    return step


MISTAKES = [
    Mistake(
        "gate order i, f, o, g",
        _lstm(order="ifog"),
        "the gates are split in the wrong order: PyTorch stacks them i, f, g, o "
        "(input, forget, candidate, output) along the 4H axis.",
    ),
    Mistake(
        "gate order g, i, f, o",
        _lstm(order="gifo"),
        "the gates are split in the wrong order: PyTorch stacks them i, f, g, o.",
    ),
    Mistake(
        "sigmoid on the candidate",
        _lstm(g_act=sigmoid),
        "the candidate g_t uses tanh (values in (-1, 1)), not sigmoid: sigmoid is for the gates i, f, o.",
    ),
    Mistake(
        "forget gate applied to the input",
        _lstm(cell="swapped"),
        "the forget and input gates are mixed up: the forget gate multiplies the old cell and the "
        "input gate the candidate, c_t = f_t * c_prev + i_t * g_t, with i_t from the first H rows "
        "and f_t from the next H (order i, f, g, o). (Swapping i and f computes the same wrong thing.)",
    ),
    Mistake(
        "no tanh on the cell",
        _lstm(h_tanh=False),
        "h_t = o_t * tanh(c_t): the cell state is squashed before the output gate.",
    ),
    Mistake(
        "cell squashed",
        _lstm(c_tanh=True),
        "c_t is not squashed: c_t = f_t * c_prev + i_t * g_t; only h_t uses tanh(c_t).",
    ),
    Mistake(
        "outputs swapped",
        _lstm(swap_out=True),
        "return (h_t, c_t), in that order.",
    ),
    Mistake(
        "bias added twice",
        _lstm(bias=2),
        "b is added twice: there is one bias b (PyTorch's b_ih + b_hh), added once.",
    ),
]

EXERCISE = Exercise(
    name="lstm_step_forward",
    args=("x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b"),
    outputs=("h_t", "c_t"),
    reference=lstm_step_forward,
    cases=cases,
    dims={
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
        "c_t": "only c_t is wrong: c_t = f_t * c_prev + i_t * g_t.",
        "h_t": "only h_t is wrong: h_t = o_t * tanh(c_t).",
    },
)
