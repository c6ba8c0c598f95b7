"""Exercise ``lstm_forward`` (lesson 7): the LSTM over a whole sequence, with an optional
projection of the hidden state (PyTorch's ``proj_size``).

Without ``W_hr`` (None): h_t = o_t * tanh(c_t), (N, H). With ``W_hr`` (P, H), P < H:
h_t = (o_t * tanh(c_t)) @ W_hr.T, (N, P); then ``h0`` is (N, P) and ``W_hh`` is (4H, P),
because the recurrence reads the projected state. Gates stacked i, f, g, o.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import LARGE_X, normal, overflow_hint
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.lstm import lstm_forward, sigmoid

# (N, T, D, H, P), P = None without a projection; every size different (4H too), except the
# square layer (D = H); the first shapes come back with new values; one case overflows.
SIZES = [
    ((2, 3, 4, 5, None), np.float64, "float64"),
    ((3, 4, 5, 6, 2), np.float64, "float64, projection"),
    ((1, 2, 3, 5, 4), np.float64, "float64, projection"),
    ((3, 1, 2, 4, None), np.float64, "float64"),
    ((2, 3, 4, 5, None), np.float64, "same shapes, new values"),
    ((3, 4, 5, 6, 2), np.float64, "same shapes, new values"),
    ((2, 3, 4, 4, 1), np.float64, "square layer (D = H)"),
    ((4, 5, 3, 6, None), np.float32, "float32"),
    ((2, 3, 5, 6, 4), np.float32, "float32, projection"),
    ((2, 3, 6, 5, 4), np.float64, "large pre-activations"),
]
HIDDEN_SIZES = [
    ((5, 7, 6, 8, None), np.float64, "float64"),
    ((4, 6, 5, 9, 3), np.float64, "float64, projection"),
    ((3, 4, 7, 6, 2), np.float32, "float32, projection"),
]


def pre_activation(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    """The gate pre-activations of the first step, (N, 4H) (a large x overflows every step)."""
    return x[:, 0] @ W_ih.T + h0 @ W_hh.T + b


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H, P), dtype, label in HIDDEN_SIZES if hidden else SIZES:
        scale = LARGE_X if label == "large pre-activations" else 1.0
        R = H if P is None else P  # the size of the recurrent state
        inputs = {
            "x": normal(rng, (N, T, D), dtype, scale),
            "h0": normal(rng, (N, R), dtype, 0.5),
            "c0": normal(rng, (N, H), dtype),
            "W_ih": normal(rng, (4 * H, D), dtype, 1.0 / np.sqrt(D)),
            "W_hh": normal(rng, (4 * H, R), dtype, 1.0 / np.sqrt(R)),
            "b": normal(rng, (4 * H,), dtype, 0.5),
            "W_hr": None if P is None else normal(rng, (P, H), dtype, 1.0 / np.sqrt(H)),
        }
        sizes = {"N": N, "T": T, "D": D, "H": H, "4H": 4 * H}
        if P is not None:
            sizes["P"] = P
        hint = overflow_hint(pre_activation(**inputs)) if scale > 1 else ""
        out.append(Case(inputs, label, sizes, dtype, nonfinite_hint=hint))
    return out


@mistake_factory
def _lstm(
    *,
    carry_h=True,
    carry_c=True,
    tanh_c=True,
    order="ifgo",
    proj_tanh=False,
    store_prev=False,
    c_out="c",
):
    """The LSTM over a sequence with the mistakes named by the flags."""

    def forward(x, h0, c0, W_ih, W_hh, b, W_hr=None):
        N, T, _ = x.shape
        hs, cs, h_prev, c_prev = [], [], h0, c0
        for t in range(T):
            a = x[:, t] @ W_ih.T + (h_prev if carry_h else h0) @ W_hh.T + b
            gates = dict(zip(order, np.split(a, 4, axis=-1), strict=True))
            i, f, o = sigmoid(gates["i"]), sigmoid(gates["f"]), sigmoid(gates["o"])
            g = np.tanh(gates["g"])
            c_t = f * (c_prev if carry_c else c0) + i * g
            m = o * (np.tanh(c_t) if tanh_c else c_t)
            h_t = m if W_hr is None else m @ W_hr.T
            if proj_tanh and W_hr is not None:
                h_t = np.tanh(h_t)
            hs.append(h_prev if store_prev else h_t)
            cs.append(np.tanh(c_t) if c_out == "tanh" else c_t)
            h_prev, c_prev = h_t, c_t
        return np.stack(hs, axis=1), np.stack(cs, axis=1)

    return forward


MISTAKES = [
    Mistake(
        "hidden state not carried",
        _lstm(carry_h=False),
        "every step starts from h0: the recurrence reads the previous step's hidden state, "
        "h_prev = h_t after each step.",
    ),
    Mistake(
        "cell state not carried",
        _lstm(carry_c=False),
        "every step starts from c0: the cell state is carried too, c_prev = c_t after each step.",
    ),
    Mistake(
        "tanh of the cell missing",
        _lstm(tanh_c=False),
        "h_t = o_t * tanh(c_t): the cell state goes through tanh before the output gate.",
    ),
    Mistake(
        "gates split i, f, o, g",
        _lstm(order="ifog"),
        "split the 4H pre-activations in PyTorch's order i, f, g, o (input, forget, candidate, "
        "output).",
    ),
    Mistake(
        "tanh after the projection",
        _lstm(proj_tanh=True),
        "the projection is linear: h_t = (o_t * tanh(c_t)) @ W_hr.T, no nonlinearity after it.",
    ),
    Mistake(
        "off by one: stores the previous state",
        _lstm(store_prev=True),
        "off by one in time: h[:, t] must be the state after reading x[:, t], h_1..h_T "
        "(not h_0..h_{T-1}).",
    ),
    Mistake(
        "returns tanh(c)",
        _lstm(c_out="tanh"),
        "c holds the cell states c_t themselves, not tanh(c_t).",
    ),
]

EXERCISE = Exercise(
    name="lstm_forward",
    args=("x", "h0", "c0", "W_ih", "W_hh", "b", "W_hr"),
    outputs=("h", "c"),
    reference=lstm_forward,
    cases=cases,
    dims={
        "x": "N T D",
        "c0": "N H",
        "c": "N T H",
        "W_ih": "4H D",
        "b": "4H",
        "W_hr": "P H",
    },
    time_axis={"h": 1, "c": 1},
    mistakes=MISTAKES,
    pre_activation=pre_activation,
    rtol64=1e-8,
    branches={
        "no projection, W_hr is None": lambda case: case.inputs["W_hr"] is None,
        "a projection W_hr (P, H)": lambda case: case.inputs["W_hr"] is not None,
    },
    output_hints={
        "c": "only c is wrong: c_t = f_t * c_{t-1} + i_t * g_t, with c_0 = c0.",
    },
    error_hints=[
        (
            r"matmul[\s\S]*W_hh",
            "with a projection the recurrent state h_t is (N, P) and W_hh is (4H, P): feed the "
            "projected h_t back, not o_t * tanh(c_t).",
        ),
        (
            r"matmul[\s\S]*W_hr",
            "W_hr is (P, H): project with `(o_t * np.tanh(c_t)) @ W_hr.T`.",
        ),
    ],
)
