"""Numeric item ``gru_parameter_count``: the parameters of a two-layer GRU with an output layer.

Lesson 08 prints the count of one GRU layer, 3H(D + H) + 6H; this asks for a model it does not
print: two stacked GRU layers (the second reads the first's hidden states) and an output
layer, D = 10, H = 32, K = 5. The learner has to see that the second layer's input size is H,
not D. Exact (tolerance 0); the catalogued wrong counts are the ways of missing that.
"""

from __future__ import annotations

from rnncourse.grading.spec import Mistake, ValueItem

D, H, K = 10, 32, 5


def _gru(d: int, biases: int = 2) -> int:
    return 3 * H * (d + H) + biases * 3 * H


OUTPUT = K * H + K

EXERCISE = ValueItem(
    name="gru_parameter_count",
    kind="numeric",
    question=f"Parameters of 2 stacked GRU layers and an output layer, D = {D}, H = {H}, K = {K}?",
    answer=_gru(D) + _gru(H) + OUTPUT,
    tolerance=0,
    unit="parameters",
    mistakes=[
        Mistake(
            "second layer reads D inputs",
            lambda: 2 * _gru(D) + OUTPUT,
            "the second layer's inputs are the first layer's hidden states, H numbers per "
            "step: its W_ih is (3H, H), so it has 3H(H + H) + 6H parameters.",
            "look at the second layer: what are its inputs, and how many numbers is each?",
        ),
        Mistake(
            "no output layer",
            lambda: _gru(D) + _gru(H),
            "the output layer y_t = h_t @ W_hy.T + b_y adds W_hy (K, H) and b_y (K,).",
            "count the layers: the model ends in an output layer too.",
        ),
        Mistake(
            "one GRU layer",
            lambda: _gru(D) + OUTPUT,
            "there are two GRU layers: the second has 3H(H + H) + 6H parameters of its own.",
            "count the GRU layers in the question.",
        ),
        Mistake(
            "one bias per GRU layer",
            lambda: _gru(D, 1) + _gru(H, 1) + OUTPUT,
            "PyTorch's GRU keeps both biases, b_ih and b_hh (3H,) each: the reset gate "
            "multiplies W_hn h + b_hn, so b_hn cannot be merged into b_in.",
            "count the bias vectors of a GRU layer: why can the candidate's two not be merged?",
        ),
        Mistake(
            "LSTM layers",
            lambda: 4 * H * (D + H) + 4 * H + 4 * H * (2 * H) + 4 * H + OUTPUT,
            "that is the count for LSTM layers (four blocks i, f, g, o, one bias); a GRU "
            "stacks three (r, z, n) and keeps two biases.",
            "count the blocks stacked in a GRU's W_ih: how many gates and candidates?",
        ),
    ],
)
