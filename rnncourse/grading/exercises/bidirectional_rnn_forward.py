"""Exercise ``bidirectional_rnn_forward``: one tanh RNN layer run both ways, joined as PyTorch.

Arguments: x (N, T, D), h0 (2, N, H) (h0[0] starts the forward direction, h0[1] the backward
one) and a dict ``W_xh_l0, W_hh_l0, b_h_l0`` plus the same with ``_reverse``. Returns out
(N, T, 2H), ``out[:, t] = [forward h_t, backward h_t]``, and h_n (2, N, H): the forward
direction's state after step T-1, the backward direction's after step 0 (PyTorch's h_n).
"""

from __future__ import annotations

import numpy as np

from rnncourse.deep import bidirectional_rnn_forward, deep_forward
from rnncourse.grading.exercises._common import normal, sizes_for, states
from rnncourse.grading.exercises.stacked_rnn_forward import stack_params, tanh_layer
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H), dtype, label in sizes_for(hidden):
        inputs = {
            "x": normal(rng, (N, T, D), dtype),
            "h0": states(rng, (2, N, H), dtype),
            "params": stack_params(rng, D, H, 1, dtype, reverse=True),
        }
        out.append(Case(inputs, label, {"N": N, "T": T, "D": D, "H": H}, dtype))
    return out


@mistake_factory
def _bi(
    flip_back=True, reverse_input=True, backward_first=False, hn_rev_last=False, same_weights=False
):
    """The layer as a learner might write it; each flag is one mistake, no flags the reference."""

    def forward(x, h0, params):
        names = ("W_xh", "W_hh", "b_h")
        pf = [params[f"{n}_l0"] for n in names]
        pb = pf if same_weights else [params[f"{n}_l0_reverse"] for n in names]
        hf = tanh_layer(x, h0[0], *pf)
        hb = tanh_layer(x[:, ::-1] if reverse_input else x, h0[1], *pb)
        if reverse_input and flip_back:
            hb = hb[:, ::-1]
        out = np.concatenate([hb, hf] if backward_first else [hf, hb], axis=2)
        if hn_rev_last:
            last_b = hb[:, -1]
        else:
            last_b = hb[:, 0] if (reverse_input and flip_back) else hb[:, -1]
        return out, np.stack([hf[:, -1], last_b])

    return forward


MISTAKES = [
    Mistake(
        "backward states not flipped back",
        _bi(flip_back=False),
        "the backward direction's states are in the order it computed them (out[:, 0, H:] is "
        "its state after reading x_{T-1}): flip them back in time, hb[:, ::-1], so that "
        "out[:, t] joins both directions' states at the same step t.",
    ),
    Mistake(
        "backward direction not reversed",
        _bi(reverse_input=False),
        "the backward direction reads x from t = 0 up, like the forward one: it must read "
        "x[:, ::-1] (from t = T-1 down to 0), then flip its states back.",
    ),
    Mistake(
        "backward direction first",
        _bi(backward_first=True),
        "the two halves are swapped: PyTorch puts the forward direction first, "
        "out[:, t] = [forward h_t, backward h_t] (np.concatenate([hf, hb], axis=2)).",
    ),
    Mistake(
        "backward h_n taken at t = T-1",
        _bi(hn_rev_last=True),
        "h_n[1] is the backward state at step T-1, the first one it computed: the backward "
        "direction ends at step 0, so h_n[1] = out[:, 0, H:].",
    ),
    Mistake(
        "forward weights for both directions",
        _bi(same_weights=True),
        "the backward direction uses the forward weights: it has its own, W_xh_l0_reverse, "
        "W_hh_l0_reverse and b_h_l0_reverse.",
    ),
]


def _summed(x, h0, params):
    out, h_n = bidirectional_rnn_forward(x, h0, params)
    H = h_n.shape[2]
    return out[..., :H] + out[..., H:], h_n


EXERCISE = Exercise(
    name="bidirectional_rnn_forward",
    args=("x", "h0", "params"),
    outputs=("out", "h_n"),
    reference=bidirectional_rnn_forward,
    equivalents=(deep_forward,),
    cases=cases,
    dims={"x": "N T D", "h0": "2 N H", "out": "N T 2H", "h_n": "2 N H"},
    time_axis={"out": 1},
    mistakes=[
        *MISTAKES,
        Mistake(
            "directions summed",
            _summed,
            "out adds the two directions' states (N, T, H): join them side by side, "
            "np.concatenate([hf, hb], axis=2), (N, T, 2H).",
        ),
    ],
    output_hints={
        "h_n": "only h_n is wrong: h_n[0] is the forward state after step T-1, h_n[1] the "
        "backward state after step 0.",
    },
    error_hints=[
        (
            r"KeyError: '(W_xh|W_hh|b_h)",
            "params holds both directions' weights under PyTorch's names: params['W_xh_l0'] "
            "and params['W_xh_l0_reverse'].",
        ),
    ],
)
