"""The course's synthetic sequence tasks, in one place; every one is drawn from an explicit
``rng: np.random.Generator`` (no global random state).

    symbols     one_hot, copy_task, echo_task, majority_task, recall_batch, window_bits,
                window_majority, window_parity (lesson 11)
    signals     adding_problem, noisy_sine, chirp_signals
    sentences   the "not" language of lessons 1 and 4: VOCAB, make_sentences, tag_sentences,
                negated_at, ... (import them from ``rnncourse.tasks.sentences``)
    dates       human-written dates inside filler text -> ISO dates (lesson 12): date_examples,
                encode_batch, SOURCE_VOCAB, TARGET_VOCAB (import them from
                ``rnncourse.tasks.dates``)

Each generator returns arrays laid out as the course's models read them: inputs x (N, T, D),
targets as each task says. Lesson experiments (training code) live in ``rnncourse.experiments``
and import their data from here.

>>> import numpy as np
>>> x, y = adding_problem(2, 6, np.random.default_rng(0))
>>> x.shape, y.shape
((2, 6, 2), (2,))
"""

from __future__ import annotations

from rnncourse.tasks.signals import adding_problem, chirp_signals, noisy_sine
from rnncourse.tasks.symbols import (
    copy_task,
    echo_task,
    majority_task,
    one_hot,
    recall_batch,
    window_bits,
    window_majority,
    window_parity,
)

__all__ = [
    "adding_problem",
    "chirp_signals",
    "copy_task",
    "echo_task",
    "majority_task",
    "noisy_sine",
    "one_hot",
    "recall_batch",
    "window_bits",
    "window_majority",
    "window_parity",
]
