"""Numeric item ``unshared_parameter_count``: what sharing the cell across time saves.

Lesson 04 counts the shared RNN. This asks for the model it argues against, one it does not
count: a different W_xh, W_hh and b_h at every one of T steps, one output layer reading h_T.
D = 8, H = 32, K = 4, T = 50. Exact (tolerance 0); the catalogued wrong counts are the ways of
getting the per-step copies or the output layer wrong.
"""

from __future__ import annotations

from rnncourse.grading.spec import Mistake, ValueItem

D, H, K, T = 8, 32, 4, 50

CELL = H * D + H * H + H
OUTPUT = K * H + K

EXERCISE = ValueItem(
    name="unshared_parameter_count",
    kind="numeric",
    question=f"Parameters of an RNN with its own cell at each of T = {T} steps, D = {D}, "
    f"H = {H}, K = {K}, one output layer?",
    answer=T * CELL + OUTPUT,
    tolerance=0,
    unit="parameters",
    mistakes=[
        Mistake(
            "the shared count",
            lambda: CELL + OUTPUT,
            "that is the shared RNN's count, one cell for every step; here every step has "
            "its own W_xh, W_hh and b_h.",
            "how many copies of the cell does the unshared model hold?",
        ),
        Mistake(
            "an output layer per step",
            lambda: T * (CELL + OUTPUT),
            "only the cell is copied per step: one output layer reads h_T, so W_hy (K, H) and "
            "b_y (K,) count once.",
            "count the output layers: how many states does the loss read?",
        ),
        Mistake(
            "no biases",
            lambda: T * (H * D + H * H) + K * H,
            "each step's cell has its own b_h (H,), and the output layer has b_y (K,).",
            "list every array of one step's cell, biases included.",
        ),
        Mistake(
            "no recurrent matrix",
            lambda: T * (H * D + H) + OUTPUT,
            "each step's cell also has its own W_hh (H, H), which reads h_{t-1}.",
            "list every array of one step's cell: what reads h_{t-1}?",
        ),
    ],
)
