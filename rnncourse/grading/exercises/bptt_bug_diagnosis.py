"""Choice item ``bptt_bug_diagnosis``: which bug explains a gradient check's pattern?

The learner reads an observation (right at T = 1; at T = 3 only the last step's dx right) and
has to trace which quantity each candidate bug touches. Every wrong option has its own
explanation of what that bug would have shown instead.
"""

from __future__ import annotations

from rnncourse.grading.spec import ValueItem

EXERCISE = ValueItem(
    name="bptt_bug_diagnosis",
    kind="choice",
    question="A buggy rnn_backward: right at T = 1; at T = 3 only dx[:, T-1] right. Which bug?",
    answer="c",
    options={
        "a": "the tanh derivative is taken at the previous state, (1 - h_prev**2), h0 at t = 0",
        "b": "dW_xh keeps only the last step's term instead of summing over t",
        "c": "the gradient arriving from step t+1 is not added to dh[:, t]",
        "d": "dh_prev is computed as da @ W_hh.T instead of da @ W_hh",
    },
    explanations={
        "a": "at T = 1 that bug already reads h0 instead of h[:, 0], so T = 1 would be wrong "
        "too, and dx[:, T-1] with it.",
        "b": "a missing sum over time leaves dx right at every step (dx_t reads only da_t); "
        "here dx is wrong before T-1, so the error travels back through time.",
        "d": "dh0 is da_0 @ W_hh, so at T = 1 dh0 would already be wrong (W_hh is not symmetric).",
    },
)
