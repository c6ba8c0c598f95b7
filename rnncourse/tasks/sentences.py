"""A tiny sentiment language in which "not" flips the word after it (lessons 1 and 4).

Each sentence holds one sentiment word (positive or negative) among filler words, and may hold
one "not". A "not" directly before the sentiment word flips its meaning; a "not" anywhere else
changes nothing.

    the movie was not good    -> negative      ("not" flips "good")
    not the plot was good     -> positive      ("not" is not before "good")

So the label depends on *order*: the same bag of words can be positive or negative (lesson 1),
and the rule is the same at every position (lesson 4).

    make_sentences(N, T, rng, ...)   sentences and one label each (1 = positive, 0 = negative)
    tag_sentences(N, T, rng, ...)    sentences and a tag for every word (none/positive/negative)
    negated_at(N, T, position, rng)  sentences with "not" at ``position`` before a sentiment word

Shapes: N sentences, T positions, V = len(VOCAB) words; ``tokens`` are (N, T) integer ids.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "FILLERS",
    "NEGATIVE",
    "NEGATIVE_TAG",
    "NONE",
    "NOT",
    "POSITIVE",
    "POSITIVE_TAG",
    "TAGS",
    "VOCAB",
    "bag_of_words",
    "decode",
    "encode",
    "make_sentences",
    "negated_at",
    "tag_sentences",
    "tags_for",
]

POSITIVE = ("good", "great", "fun")
NEGATIVE = ("bad", "dull", "awful")
FILLERS = ("the", "movie", "plot", "was", "and", "really", "acting", "so")
VOCAB: tuple[str, ...] = ("not", *POSITIVE, *NEGATIVE, *FILLERS)
NOT = 0
_POS = np.arange(1, 1 + len(POSITIVE))
_NEG = np.arange(1 + len(POSITIVE), 1 + len(POSITIVE) + len(NEGATIVE))
_FILL = np.arange(1 + len(POSITIVE) + len(NEGATIVE), len(VOCAB))


def encode(sentence: str) -> np.ndarray:
    """Word ids of a sentence.

    >>> encode("not good").tolist()
    [0, 1]
    """
    return np.array([VOCAB.index(w) for w in sentence.split()])


def decode(ids: np.ndarray) -> str:
    """The sentence for a row of word ids.

    >>> decode(encode("the movie was not good"))
    'the movie was not good'
    """
    return " ".join(VOCAB[int(i)] for i in ids)


def make_sentences(
    N: int,
    T: int,
    rng: np.random.Generator,
    *,
    not_positions: tuple[int, ...] | range = (),
    p_not: float = 0.5,
    p_flip: float = 0.6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N sentences of T words with labels (1 = positive, 0 = negative).

    Each sentence has one sentiment word, uniform over both polarities. With probability
    ``p_not`` it also has a "not", placed at a position drawn from ``not_positions``; with
    probability ``p_flip`` that "not" sits directly before the sentiment word (and flips it),
    otherwise before a filler (and changes nothing). Every other word is a filler.

    Returns:
        tokens (N, T) int, labels (N,) int, flipped (N,) bool: True where a "not" flips.

    >>> tokens, labels, flipped = make_sentences(3, 5, np.random.default_rng(0),
    ...                                          not_positions=range(3), p_not=1.0, p_flip=1.0)
    >>> [decode(t) for t in tokens], labels.tolist()
    (['not dull and plot plot', 'the not awful movie acting', 'not dull and and so'], [1, 1, 1])
    """
    positions = np.asarray(list(not_positions), dtype=int)
    if positions.size and (positions.min() < 0 or positions.max() > T - 2):
        raise ValueError(f"'not' positions must lie in 0..T-2 = 0..{T - 2}, got {positions}")
    if p_not > 0 and positions.size == 0:
        raise ValueError("p_not > 0 needs at least one position for 'not'")
    tokens = _FILL[rng.integers(0, len(_FILL), size=(N, T))]
    positive = rng.random(N) < 0.5
    word = np.where(
        positive,
        _POS[rng.integers(0, len(_POS), size=N)],
        _NEG[rng.integers(0, len(_NEG), size=N)],
    )
    has_not = rng.random(N) < p_not
    flips = has_not & (rng.random(N) < p_flip)
    where_not = positions[rng.integers(0, max(positions.size, 1), size=N)] if positions.size else 0
    # the sentiment word: right after "not" when it flips; otherwise anywhere but the "not"
    word_pos = rng.integers(0, T, size=N)
    for n in range(N):
        if flips[n]:
            word_pos[n] = where_not[n] + 1
        elif has_not[n]:
            # any position except the "not" itself and the one right after it
            choices = [p for p in range(T) if p not in (where_not[n], where_not[n] + 1)]
            word_pos[n] = choices[rng.integers(0, len(choices))]
    rows = np.arange(N)
    tokens[rows, word_pos] = word
    tokens[rows[has_not], where_not[has_not]] = NOT
    labels = (positive ^ flips).astype(int)
    return tokens, labels, flips


# ----------------------------------------------------------------------------------------
# Word-level tags (lesson 4): label every word, 0 = no sentiment (a filler or "not"),
# 1 = positive, 2 = negative, where a sentiment word directly after "not" is flipped.
# ----------------------------------------------------------------------------------------

NONE, POSITIVE_TAG, NEGATIVE_TAG = 0, 1, 2
TAGS = ("none", "positive", "negative")
_POLARITY = np.array(
    [POSITIVE_TAG if w in POSITIVE else NEGATIVE_TAG if w in NEGATIVE else NONE for w in VOCAB]
)


def tags_for(tokens: np.ndarray) -> np.ndarray:
    """The tag of every word, (N, T) ints: the rule, applied at every position alike.

    >>> tags_for(encode("not good and not the bad")[None]).tolist()
    [[0, 2, 0, 0, 0, 2]]
    """
    tokens = np.asarray(tokens)
    polarity = _POLARITY[tokens]  # (N, T): the tag of each word on its own
    after_not = np.zeros(tokens.shape, dtype=bool)
    after_not[:, 1:] = tokens[:, :-1] == NOT
    flip = after_not & (polarity != NONE)
    return np.where(flip, 3 - polarity, polarity)  # 1 <-> 2 where flipped


def tag_sentences(
    N: int,
    T: int,
    rng: np.random.Generator,
    *,
    not_positions: tuple[int, ...] | range = (),
    p_sentiment: float = 0.4,
    p_not: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """N random sentences of T words and their tags.

    Every word is a sentiment word with probability ``p_sentiment`` (either polarity), else a
    filler; then each position in ``not_positions`` becomes "not" with probability ``p_not``.

    Returns:
        tokens (N, T) int, tags (N, T) int.

    >>> tokens, tags = tag_sentences(2, 6, np.random.default_rng(1), not_positions=(0, 1))
    >>> [decode(t) for t in tokens], tags.tolist()
    (['was not good and good was', 'not the was good acting acting'],
     [[0, 0, 2, 0, 1, 0], [0, 0, 0, 1, 0, 0]])
    """
    is_sentiment = rng.random((N, T)) < p_sentiment
    word = np.where(
        rng.random((N, T)) < 0.5,
        _POS[rng.integers(0, len(_POS), size=(N, T))],
        _NEG[rng.integers(0, len(_NEG), size=(N, T))],
    )
    tokens = np.where(is_sentiment, word, _FILL[rng.integers(0, len(_FILL), size=(N, T))])
    allowed = np.zeros(T, dtype=bool)
    allowed[list(not_positions)] = True
    tokens[(rng.random((N, T)) < p_not) & allowed] = NOT
    return tokens, tags_for(tokens)


def negated_at(
    N: int, T: int, position: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """N sentences with "not" at ``position`` followed by a sentiment word (and no other "not").

    The interesting tag is at ``position + 1``: the flipped word.
    """
    if not 0 <= position <= T - 2:
        raise ValueError(f"position must be in 0..T-2 = 0..{T - 2}, got {position}")
    tokens, _ = tag_sentences(N, T, rng)
    tokens[:, position] = NOT
    tokens[:, position + 1] = np.where(
        rng.random(N) < 0.5,
        _POS[rng.integers(0, len(_POS), size=N)],
        _NEG[rng.integers(0, len(_NEG), size=N)],
    )
    return tokens, tags_for(tokens)


def bag_of_words(tokens: np.ndarray, V: int = len(VOCAB)) -> np.ndarray:
    """Word counts, (N, T) ids -> (N, V) float64: the order is gone (lesson 1's exercise).

    >>> a = bag_of_words(encode("good and not bad")[None])
    >>> b = bag_of_words(encode("bad and not good")[None])
    >>> bool((a == b).all())
    True
    """
    tokens = np.atleast_2d(tokens)
    counts = np.zeros((tokens.shape[0], V))
    np.add.at(counts, (np.arange(tokens.shape[0])[:, None], tokens), 1.0)
    return counts
