"""Exercise ``unigram_bits`` (lesson 9): the baseline a character model must beat, the bits
per character of character frequencies, add-one smoothed (``rnncourse.datasets.unigram_bits``)."""

from __future__ import annotations

import numpy as np

from rnncourse.datasets import unigram_bits
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory

# (V, training length, validation length, label): characters of the validation text unseen in
# training (unsmoothed frequencies give them probability 0, infinitely many bits); the highest
# ids unused in training (a count without minlength=V is too short); the same kinds again.
SETTINGS = [
    (5, 40, 12, "character ids"),
    (8, 30, 20, "unseen in training"),
    (6, 25, 9, "highest ids unused in training"),
    (5, 40, 12, "same shapes, new values"),
    (3, 200, 50, "character ids"),
]
HIDDEN = [(12, 80, 30, "unseen in training"), (4, 15, 15, "character ids")]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for V, n_train, n_val, label in HIDDEN if hidden else SETTINGS:
        # skewed frequencies, so that a model that ignores them (uniform) is visibly off
        p = rng.dirichlet(np.ones(V) * 0.8)
        train = rng.choice(V, size=n_train, p=p)
        val = rng.choice(V, size=n_val, p=p)
        if label == "unseen in training":
            train = train[train != val[0]]  # val[0]'s character never occurs in training
        if label == "highest ids unused in training":
            train = np.minimum(train, V - 3)
            val = val.copy()
            val[0] = V - 1
        inputs = {"train_ids": train, "val_ids": val, "V": V}
        out.append(Case(inputs, label, {"V": V}))
    return out


@mistake_factory
def _unigram(
    *, smoothing=1.0, log=np.log2, counted_on="train", denominator="counts", average="val"
):
    """The unigram baseline with the mistakes named by the flags."""

    def bits(train_ids, val_ids, V):
        ids = train_ids if counted_on == "train" else val_ids
        raw = np.bincount(ids, minlength=V).astype(np.float64)
        counts = raw + smoothing
        total = counts.sum() if denominator == "counts" else float(len(ids))
        p = counts / total
        with np.errstate(divide="ignore"):
            logp = log(p)
        if average == "vocab":  # the entropy of the training frequencies
            return float(-(p * logp).sum())
        return float(-logp[val_ids].mean())

    return bits


MISTAKES = [
    Mistake(
        "no smoothing",
        _unigram(smoothing=0.0),
        "the counts are not smoothed: add one to every character's count before dividing (a "
        "character unseen in training would otherwise get probability 0, -log2 0 = infinity).",
    ),
    Mistake(
        "natural log",
        _unigram(log=np.log),
        "that is in nats: bits use log base 2 (np.log2, or divide by ln 2).",
    ),
    Mistake(
        "frequencies counted on the validation text",
        _unigram(counted_on="val"),
        "the frequencies come from the training text only: the model may not peek at the text "
        "it is measured on.",
    ),
    Mistake(
        "smoothed counts divided by the text length",
        _unigram(denominator="length"),
        "after adding one to each of the V counts they sum to len(train_ids) + V: divide by "
        "their sum, so the probabilities add up to 1.",
    ),
    Mistake(
        "entropy of the training frequencies",
        _unigram(average="vocab"),
        "you computed the entropy of the frequencies, sum of -p log2 p over the vocabulary: the "
        "baseline is measured on the validation text, the mean of -log2 p(c) over its "
        "characters.",
    ),
]

EXERCISE = Exercise(
    name="unigram_bits",
    args=("train_ids", "val_ids", "V"),
    outputs=("bits",),
    reference=unigram_bits,
    cases=cases,
    scalars=frozenset({"bits"}),
    mistakes=MISTAKES,
    branches={
        "a validation character unseen in training": lambda c: bool(
            np.setdiff1d(c.inputs["val_ids"], c.inputs["train_ids"]).size
        ),
        "the highest id unused in training": lambda c: (
            int(c.inputs["train_ids"].max()) < c.inputs["V"] - 1
        ),
    },
    error_hints=[
        (
            r"IndexError",
            "a character id is outside your table of counts: count all V characters, "
            "np.bincount(train_ids, minlength=V).",
        ),
    ],
)
