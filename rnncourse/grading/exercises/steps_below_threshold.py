"""Numeric item ``steps_below_threshold``: how far back a vanishing gradient reaches.

Lesson 06 shows ||dL/dh_t|| shrinking by a roughly constant factor per step going back. Given
a factor of 0.8 per step, how many steps back from the last does the norm first fall below 1%
of ||dL/dh_T||? 0.8**k < 0.01 first holds at k = 21 (0.8**20 is about 0.0115). Exact.
"""

from __future__ import annotations

import math

from rnncourse.grading.spec import Mistake, ValueItem

FACTOR, FRACTION, T = 0.8, 0.01, 50


def _first_below(fraction: float) -> int:
    return math.floor(math.log(fraction) / math.log(FACTOR)) + 1


EXERCISE = ValueItem(
    name="steps_below_threshold",
    kind="numeric",
    question=f"Norm shrinks by {FACTOR} per step back: after how many steps is it first below "
    f"{FRACTION:.0%} of ||dL/dh_T||?",
    answer=_first_below(FRACTION),
    tolerance=0,
    unit="steps",
    mistakes=[
        Mistake(
            "rounded down",
            lambda: _first_below(FRACTION) - 1,
            "after that many steps the norm is still just above 1%: 0.8**k falls below 0.01 "
            "one step later.",
            "compute 0.8**k for your k and the next one: which is the first below 0.01?",
        ),
        Mistake(
            "the step index",
            lambda: T - _first_below(FRACTION),
            "that is the index t of the step, T - k; the question asks how many steps back "
            "from the last, k.",
            "the question counts steps back from t = T, not the index t.",
        ),
        Mistake(
            "the time constant",
            lambda: round(1 / (1 - FACTOR)),
            "1/(1 - 0.8) = 5 is a rough time constant (about a factor e); after 5 steps the "
            "norm is still 0.8**5, about a third of its start.",
            "write the condition as 0.8**k < 0.01 and solve it for k with logarithms.",
        ),
        Mistake(
            "below 10%",
            lambda: _first_below(0.1),
            "that is where the norm falls below 10%; the threshold is 1%.",
            "check which fraction of ||dL/dh_T|| the question asks for.",
        ),
    ],
)
