"""Exercise ``stacked_rnn_forward``: L tanh RNN layers, layer l's states are layer l+1's inputs.

Arguments: x (N, T, D), h0 (L, N, H) (PyTorch's layout: h0[l] starts layer l) and one parameter
dict with PyTorch's layer suffixes, ``W_xh_l0`` (H, D), ``W_xh_l{l}`` (H, H) above, ``W_hh_l{l}``
(H, H), ``b_h_l{l}`` (H,). Returns out (N, T, H), the top layer's states, and h_n (L, N, H).
Cases have 1 to 3 layers; the square layer (D = H) has two, so that feeding x to every layer
(which runs there) gives wrong values instead of a shape error.
"""

from __future__ import annotations

import numpy as np

from rnncourse.deep import deep_forward, stacked_rnn_forward
from rnncourse.grading.exercises._common import REPEAT, SQUARE, normal, rnn_params, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory

# (N, T, D, H), L, dtype, group: N, T, D, H, L all different except the square layer (D = H);
# the first case has two layers, so that every mistake about layers shows at once
SIZES = [
    ((3, 4, 5, 6), 2, np.float64, "float64"),
    ((1, 4, 3, 5), 2, np.float64, "float64"),
    ((3, 1, 4, 5), 2, np.float64, "float64"),
    ((2, 3, 4, 5), 1, np.float64, "float64"),
    ((3, 4, 5, 6), 2, np.float64, REPEAT),
    ((4, 5, 3, 3), 2, np.float64, SQUARE),
    ((4, 5, 6, 7), 3, np.float32, "float32"),
    ((1, 2, 4, 5), 3, np.float32, "float32"),
]
HIDDEN_SIZES = [
    ((5, 7, 6, 8), 3, np.float64, "float64"),
    ((1, 1, 4, 3), 2, np.float64, "float64"),
    ((6, 4, 9, 7), 2, np.float32, "float32"),
]


def stack_params(rng, D, H, L, dtype, reverse=False) -> dict[str, np.ndarray]:
    """``W_xh_l{l}``, ``W_hh_l{l}``, ``b_h_l{l}`` for l < L (and ``_reverse`` ones if asked)."""
    params = {}
    for layer in range(L):
        for suffix in ("", "_reverse") if reverse else ("",):
            one = rnn_params(rng, D if layer == 0 else H, H, dtype, scale=1.5)
            params.update({f"{k}_l{layer}{suffix}": v for k, v in one.items()})
    return params


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H), L, dtype, label in HIDDEN_SIZES if hidden else SIZES:
        inputs = {
            "x": normal(rng, (N, T, D), dtype),
            "h0": states(rng, (L, N, H), dtype),
            "params": stack_params(rng, D, H, L, dtype),
        }
        out.append(Case(inputs, label, {"N": N, "T": T, "D": D, "H": H, "L": L}, dtype))
    return out


def tanh_layer(x, h0, W_xh, W_hh, b_h, act=np.tanh):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = act(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    return np.stack(hs, axis=1)


@mistake_factory
def _stack(one_h0=False, out_from=-1, last_step=-1, hn_top_only=False, hn_axis=0):
    """The stack as a learner might write it; each flag is one mistake, no flags the reference."""

    def forward(x, h0, params):
        L = h0.shape[0]
        inp, layers = x, []
        for layer in range(L):
            p = [params[f"{n}_l{layer}"] for n in ("W_xh", "W_hh", "b_h")]
            h = tanh_layer(inp, h0[0] if one_h0 else h0[layer], *p)
            layers.append(h)
            inp = h
        last = [h[:, last_step] for h in layers]
        h_n = last[-1] if hn_top_only else np.stack(last, axis=hn_axis)
        return layers[out_from], h_n

    return forward


MISTAKES = [
    Mistake(
        "every layer starts from h0[0]",
        _stack(one_h0=True),
        "every layer starts from h0[0]: h0 is (L, N, H), one initial state per layer, so layer "
        "l starts from h0[l].",
    ),
    Mistake(
        "out from the first layer",
        _stack(out_from=0),
        "out holds layer 0's states: return the top layer's, the last one computed.",
    ),
    Mistake(
        "h_n from the first step",
        _stack(last_step=0),
        "h_n holds each layer's state after step 0: h_n[l] is layer l's state after the last "
        "step, h[:, -1] of that layer.",
    ),
    Mistake(
        "h_n of the top layer only",
        _stack(hn_top_only=True),
        "h_n is only the top layer's last state (N, H): PyTorch's h_n keeps every layer's, "
        "np.stack([...], axis=0) of shape (L, N, H).",
    ),
    Mistake(
        "h_n stacked on axis 1",
        _stack(hn_axis=1),
        "h_n is (N, L, H): stack the layers' last states on axis 0, (L, N, H), as h0 is.",
    ),
]


def _every_layer_reads_x(x, h0, params):
    """Not from the factory: it raises a shape error unless D = H, so it pairs with nothing."""
    inp, last = x, []
    for layer in range(h0.shape[0]):
        p = [params[f"{n}_l{layer}"] for n in ("W_xh", "W_hh", "b_h")]
        inp = tanh_layer(x, h0[layer], *p)
        last.append(inp[:, -1])
    return inp, np.stack(last)


MISTAKES.append(
    Mistake(
        "every layer reads x",
        _every_layer_reads_x,
        "every layer reads the inputs x: only layer 0 does. Layer l+1 reads layer l's hidden "
        "states, all T of them (N, T, H): inp = h after each layer, which is also why W_xh_l1 "
        "is (H, H).",
    )
)

EXERCISE = Exercise(
    name="stacked_rnn_forward",
    args=("x", "h0", "params"),
    outputs=("out", "h_n"),
    reference=stacked_rnn_forward,
    equivalents=(deep_forward,),
    cases=cases,
    dims={"x": "N T D", "h0": "L N H", "out": "N T H", "h_n": "L N H"},
    time_axis={"out": 1},
    mistakes=MISTAKES,
    output_hints={
        "h_n": "only h_n is wrong: h_n[l] is layer l's state after the last step, h[:, -1].",
        "out": "only out is wrong: it is the top layer's hidden states at every step.",
    },
    error_hints=[
        (
            r"KeyError: '(W_xh|W_hh|b_h)'",
            "params holds every layer's weights under PyTorch's suffixes: params[f'W_xh_l{l}'].",
        ),
        (
            r"mismatch|not aligned|shapes",
            "a shape mismatch in a layer's product: layer 0 reads x (N, T, D) with W_xh_l0 (H, D); "
            "layer l > 0 reads the layer below's states (N, T, H) with W_xh_l{l} (H, H).",
        ),
    ],
)
