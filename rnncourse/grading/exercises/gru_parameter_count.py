"""Numeric item ``gru_parameter_count``: the parameters of a GRU layer, D = 10, H = 32.

No lesson prints this count; the learner has to know what each of PyTorch's four GRU arrays
holds. Exact (tolerance 0); the catalogued wrong counts are the other layers' counts and the
GRU with one bias.
"""

from __future__ import annotations

from rnncourse.grading.spec import Mistake, ValueItem

D, H = 10, 32
BLOCK = H * D + H * H  # one gate's input and recurrent weights


EXERCISE = ValueItem(
    name="gru_parameter_count",
    kind="numeric",
    question=f"How many numbers does a GRU layer with D = {D}, H = {H} (PyTorch's layout) hold?",
    answer=3 * (BLOCK + 2 * H),
    tolerance=0,
    unit="parameters",
    mistakes=[
        Mistake(
            "one bias",
            lambda: 3 * (BLOCK + H),
            "PyTorch's GRU keeps both biases, b_ih and b_hh, each (3H,): the reset gate "
            "multiplies W_hn h + b_hn, so b_hn cannot be merged into b_in. 3 (H D + H H + 2 H).",
            "count the bias vectors: how many does the GRU keep, and why can the candidate's "
            "two not be merged?",
        ),
        Mistake(
            "no biases",
            lambda: 3 * BLOCK,
            "add the biases: b_ih and b_hh, each (3H,).",
            "count the arrays of the layer: W_ih, W_hh and two more.",
        ),
        Mistake(
            "LSTM's four blocks",
            lambda: 4 * (BLOCK + 2 * H),
            "a GRU stacks three blocks (r, z, n), not four as the LSTM does (i, f, g, o).",
            "count the blocks stacked in W_ih (3H, D): how many gates and candidates?",
        ),
        Mistake(
            "one block only",
            lambda: BLOCK + 2 * H,
            "W_ih is (3H, D) and W_hh (3H, H): the reset gate, the update gate and the "
            "candidate each have their own weights, so every array is three blocks.",
            "look at the shapes: W_ih is (3H, D), not (H, D).",
        ),
        Mistake(
            "W_hh as H x D",
            lambda: 3 * (2 * H * D + 2 * H),
            "W_hh maps the state to the gates: it is (3H, H), not (3H, D).",
            "look at the shape of W_hh: what does it multiply?",
        ),
    ],
)
