"""Choice item ``bptt_three_step_sum``: dL/dW_hh of a three-step RNN as an explicit sum.

The loss reads only h_3; W_hh is used at steps 1, 2 and 3, so its gradient has one term per
step, each the step's delta_t = dL/da_t times the state that step read, h_{t-1}. The wrong
options are the usual ways of writing that sum wrong. Every wrong option has its own
explanation.
"""

from __future__ import annotations

from rnncourse.grading.spec import ValueItem

EXERCISE = ValueItem(
    name="bptt_three_step_sum",
    kind="choice",
    question="T = 3, the loss reads h_3 only: which explicit sum is dL/dW_hh?",
    answer="b",
    options={
        "a": "delta_3 h_2^T",
        "b": "delta_3 h_2^T + delta_2 h_1^T + delta_1 h_0^T",
        "c": "delta_3 h_3^T + delta_2 h_2^T + delta_1 h_1^T",
        "d": "3 delta_3 h_2^T",
    },
    explanations={
        "a": "that is only the last step's use of W_hh; steps 1 and 2 use the same W_hh, and "
        "h_3 depends on them through h_2 and h_1, so each adds its own term.",
        "c": "step t computes a_t = W_hh h_{t-1} + ..., so its term multiplies delta_t by the "
        "state it reads, h_{t-1}, not by the state h_t it produces.",
        "d": "the three uses share W_hh but not their terms: each step has its own delta_t "
        "(smaller going back, through W_hh^T and tanh') and reads its own h_{t-1}.",
    },
)
