"""Choice item ``lstm_gate_diagnosis``: which gates explain a cell state that holds still?

The observation: a trained LSTM's cell state c_t stays almost the same for 200 steps while the
inputs change. From c_t = f_t * c_{t-1} + i_t * g_t the learner has to see that it needs f
near 1 (keep) and i near 0 (write nothing). Every wrong option has its own explanation.
"""

from __future__ import annotations

from rnncourse.grading.spec import ValueItem

EXERCISE = ValueItem(
    name="lstm_gate_diagnosis",
    kind="choice",
    question="c_t stays almost constant over 200 steps while the inputs change: which gates?",
    answer="b",
    options={
        "a": "the output gate o_t is near 0",
        "b": "the forget gate f_t is near 1 and the input gate i_t near 0",
        "c": "the forget gate f_t is near 0",
        "d": "the forget gate f_t and the input gate i_t are both near 1",
    },
    explanations={
        "a": "o_t only scales what leaves the cell, h_t = o_t * tanh(c_t); it does not enter "
        "the update of c_t, so it cannot hold c_t still.",
        "c": "f_t near 0 erases the old cell at every step: c_t would be i_t * g_t, following "
        "the changing inputs.",
        "d": "with i_t near 1 every step adds i_t * g_t to the kept cell, so c_t would drift "
        "with the inputs instead of holding still.",
    },
)
