"""Exercise ``bag_of_words`` (lesson 1): how often each word of the vocabulary occurs in each
sentence, whatever its position."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.tasks.sentences import bag_of_words

# (N, T, V): sizes all different; sentences long enough for words to repeat (counts of 2 and 3,
# where "seen or not" differs from "how often"); the highest ids absent from some cases (a
# count that stops at the largest id seen has the wrong width); the first shapes again.
SIZES = [
    ((3, 8, 5), "word ids"),
    ((1, 6, 4), "word ids"),
    ((4, 1, 6), "word ids"),
    ((3, 8, 5), "same shapes, new values"),
    ((2, 5, 9), "highest ids unused"),
    ((5, 12, 3), "many repeats"),
]
HIDDEN = [((6, 10, 7), "word ids"), ((2, 3, 15), "highest ids unused")]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, V), label in HIDDEN if hidden else SIZES:
        top = V - 2 if label == "highest ids unused" else V
        tokens = rng.integers(0, top, size=(N, T))
        out.append(Case({"tokens": tokens, "V": V}, label, {"N": N, "T": T, "V": V}))
    return out


@mistake_factory
def _bag(*, presence=False, pooled=False, normalised=False, width="V"):
    """Word counts with the mistakes named by the flags."""

    def bag(tokens, V):
        N = tokens.shape[0]
        cols = V if width == "V" else int(tokens.max()) + 1
        counts = np.zeros((N, cols))
        if presence:
            counts[np.arange(N)[:, None], tokens] += 1.0  # repeated indices count once
        else:
            np.add.at(counts, (np.arange(N)[:, None], tokens), 1.0)
        if pooled:
            counts = np.repeat(counts.sum(axis=0, keepdims=True), N, axis=0)
        if normalised:
            counts = counts / tokens.shape[1]
        return counts

    return bag


MISTAKES = [
    Mistake(
        "presence, not counts",
        _bag(presence=True),
        "a word that occurs twice counts once: `counts[rows, tokens] += 1` adds 1 once per "
        "distinct index, even when an index repeats. Count every occurrence (a loop, "
        "np.add.at, or np.bincount per sentence).",
    ),
    Mistake(
        "one bag for the whole batch",
        _bag(pooled=True),
        "every row holds the counts of the whole batch: each sentence (row of tokens) gets its "
        "own bag.",
    ),
    Mistake(
        "frequencies instead of counts",
        _bag(normalised=True),
        "the counts are divided by the sentence length: return the counts themselves.",
    ),
    Mistake(
        "width from the largest id seen",
        _bag(width="max"),
        "the bag has one column per word of the vocabulary, V of them, also for words that do "
        "not occur: np.bincount(..., minlength=V), or np.zeros((N, V)).",
    ),
]

EXERCISE = Exercise(
    name="bag_of_words",
    args=("tokens", "V"),
    outputs=("counts",),
    reference=bag_of_words,
    cases=cases,
    dims={"tokens": "N T", "counts": "N V"},
    mistakes=MISTAKES,
    error_hints=[
        (
            r"IndexError",
            "a word id is outside the bag: the bag has V columns, ids 0..V-1, whatever ids "
            "occur in the batch.",
        ),
    ],
)
