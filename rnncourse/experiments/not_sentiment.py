"""A tiny sentiment language in which "not" flips the word after it, and the lesson-4
experiment built on it: a shared-weight RNN against a position-specific MLP.

The language: each sentence holds one sentiment word (positive or negative) among filler
words, and may hold one "not". A "not" directly before the sentiment word flips its meaning;
a "not" anywhere else changes nothing.

    the movie was not good    -> negative      ("not" flips "good")
    not the plot was good     -> positive      ("not" is not before "good")

So the label depends on *order*: the same bag of words can be positive or negative
(lesson 1), and the rule is the same at every position (lesson 4).

The experiment (``run_experiment``) trains both models on length-8 sentences in which "not"
appears only at positions 0-2, then tests them on sentences in which "not" flips the
sentiment word at every position, at length 8 and at length 16. The RNN applies the same
weights at every step, so what it learned about "not" at positions 0-2 holds everywhere; the
MLP has separate weights for every (position, word) pair, and the weights for "not" at
positions 3 and beyond were never trained.

Shapes: N sentences, T positions, V vocabulary size; ``tokens`` are (N, T) integer ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncourse.data import one_hot
from rnncourse.losses import softmax_cross_entropy
from rnncourse.models import count_params, init_model, model_forward, model_loss
from rnncourse.optim import Adam, clip_grad_norm

__all__ = [
    "FILLERS",
    "NEGATIVE",
    "POSITIVE",
    "VOCAB",
    "Config",
    "decode",
    "encode",
    "make_sentences",
    "mlp_forward",
    "mlp_init",
    "mlp_loss",
    "run_experiment",
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


# ----------------------------------------------------------------------------------------
# The position-specific model: an MLP over a fixed window of W positions, with an output
# for every position of the window.
#   x_flat (N, W*V)           the one-hot words laid side by side, zero-padded to W words
#   u = tanh(x_flat @ W1.T + b1)          (N, M) hidden units
#   y = (u @ W2.T + b2).reshape(N, W, K)  logits for every position
# Every (position, word) pair has its own column of W1 and every output position its own
# rows of W2: nothing is shared across positions.
# ----------------------------------------------------------------------------------------


def mlp_init(
    window: int, V: int, M: int, K: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """PyTorch-style uniform initialisation of the window MLP (M hidden units).

    >>> p = mlp_init(4, 15, 8, 3, np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W1': (8, 60), 'b1': (8,), 'W2': (12, 8), 'b2': (12,)}
    """
    k1, k2 = 1.0 / np.sqrt(window * V), 1.0 / np.sqrt(M)
    return {
        "W1": rng.uniform(-k1, k1, size=(M, window * V)),
        "b1": rng.uniform(-k1, k1, size=M),
        "W2": rng.uniform(-k2, k2, size=(window * K, M)),
        "b2": rng.uniform(-k2, k2, size=window * K),
    }


def window_inputs(tokens: np.ndarray, window: int, V: int = len(VOCAB)) -> np.ndarray:
    """One-hot words laid side by side, zero-padded at the end to ``window`` positions."""
    N, T = tokens.shape
    if T > window:
        raise ValueError(f"the MLP reads at most {window} words, got sentences of {T}")
    x = np.zeros((N, window, V))
    x[:, :T] = one_hot(tokens, V)
    return x.reshape(N, window * V)


def mlp_forward(params: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """Logits (N, T, K) of the window MLP for sentences of T <= W words."""
    N, T = tokens.shape
    W = params["W1"].shape[1] // len(VOCAB)
    u = np.tanh(window_inputs(tokens, W) @ params["W1"].T + params["b1"])  # (N, M)
    return (u @ params["W2"].T + params["b2"]).reshape(N, W, -1)[:, :T]


def mlp_loss(
    params: dict[str, np.ndarray], tokens: np.ndarray, tags: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean cross-entropy over the T real positions, and the gradients (forward in reverse).

    dy (padded positions get zero) -> dW2 = dy.T @ u, db2 = sum dy
    du = dy @ W2;  dz = du * (1 - u**2) -> dW1 = dz.T @ x_flat, db1 = sum dz
    """
    N, T = tokens.shape
    W = params["W1"].shape[1] // len(VOCAB)
    x_flat = window_inputs(tokens, W)
    u = np.tanh(x_flat @ params["W1"].T + params["b1"])  # (N, M)
    y = (u @ params["W2"].T + params["b2"]).reshape(N, W, -1)  # (N, W, K)
    loss, dy_real = softmax_cross_entropy(y[:, :T], tags)
    dy = np.zeros_like(y)
    dy[:, :T] = dy_real
    dy = dy.reshape(N, -1)  # (N, W*K)
    dz = (dy @ params["W2"]) * (1.0 - u * u)
    grads = {"W1": dz.T @ x_flat, "b1": dz.sum(axis=0), "W2": dy.T @ u, "b2": dy.sum(axis=0)}
    return loss, grads


@dataclass(frozen=True)
class Config:
    """The experiment's settings (defaults: what lesson 4 runs)."""

    seed: int = 0
    T_train: int = 8  # training sentences have 8 words
    train_not_positions: tuple[int, ...] = (0, 1, 2)  # "not" only here during training
    H: int = 16  # hidden size of the RNN
    window: int = 16  # the MLP reads (and tags) 16 positions, more than any training sentence
    M: int = 32  # hidden units of the MLP
    steps: int = 500
    batch: int = 64
    lr: float = 0.01  # Adam's step size for the RNN
    lr_mlp: float = 0.03  # and for the MLP, which learns its many separate weights slower
    n_test: int = 300  # sentences per test position
    T_long: int = 16  # the unseen length


def rnn_tag(params: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """The RNN's logits for every word, (N, T, K), for sentences of any length T."""
    y, _ = model_forward(params, one_hot(tokens, len(VOCAB)), task="many-to-many")
    return y


def run_experiment(cfg: Config = Config()) -> dict:
    """Train the RNN and the window MLP on the same sentences; test where "not" was never seen.

    Returns a dict with:
        "params": {"rnn": int, "mlp": int} parameter counts;
        "train_accuracy": {"rnn", "mlp"}: tags right, over all words of new sentences drawn
            like the training ones;
        "table": rows (T, "not" positions, seen?, rnn accuracy, mlp accuracy), accuracy on the
            flipped word (the word right after "not");
        "by_position": {T: (positions, rnn accuracies, mlp accuracies)}: the same, for every
            position of "not";
        "loss": {"rnn": [...], "mlp": [...]}: training losses;
        "models": {"rnn": params, "mlp": params}.
    """
    rng = np.random.default_rng(cfg.seed)
    V = len(VOCAB)
    rnn = init_model("rnn", D=V, H=cfg.H, K=len(TAGS), rng=rng)
    mlp = mlp_init(cfg.window, V, cfg.M, len(TAGS), rng)
    opt_rnn, opt_mlp = Adam(lr=cfg.lr), Adam(lr=cfg.lr_mlp)
    losses: dict[str, list[float]] = {"rnn": [], "mlp": []}
    for _ in range(cfg.steps):
        # a fresh batch of training sentences each step, the same for both models
        tokens, tags = tag_sentences(
            cfg.batch, cfg.T_train, rng, not_positions=cfg.train_not_positions
        )
        loss, grads = model_loss(rnn, one_hot(tokens, V), tags, task="many-to-many")
        opt_rnn.step(rnn, clip_grad_norm(grads, 5.0)[0])
        losses["rnn"].append(loss)
        loss, grads = mlp_loss(mlp, tokens, tags)
        opt_mlp.step(mlp, clip_grad_norm(grads, 5.0)[0])
        losses["mlp"].append(loss)

    test_rng = np.random.default_rng(cfg.seed + 1)
    tokens, tags = tag_sentences(
        cfg.n_test, cfg.T_train, test_rng, not_positions=cfg.train_not_positions
    )  # new sentences from the training distribution
    by_position = {}
    for T in (cfg.T_train, cfg.T_long):
        positions = list(range(T - 1))
        acc_rnn, acc_mlp = [], []
        for p in positions:
            tok, tag = negated_at(cfg.n_test, T, p, test_rng)
            acc_rnn.append(_accuracy(rnn_tag(rnn, tok)[:, p + 1], tag[:, p + 1]))
            acc_mlp.append(_accuracy(mlp_forward(mlp, tok)[:, p + 1], tag[:, p + 1]))
        by_position[T] = (positions, acc_rnn, acc_mlp)

    seen = set(cfg.train_not_positions)
    table = []
    for T in (cfg.T_train, cfg.T_long):
        positions, a, b = by_position[T]
        for is_seen in (True, False):
            sel = [i for i, p in enumerate(positions) if (p in seen) == is_seen]
            where = _ranges([positions[i] for i in sel])
            table.append(
                (
                    T,
                    where,
                    is_seen,
                    float(np.mean([a[i] for i in sel])),
                    float(np.mean([b[i] for i in sel])),
                )
            )
    return {
        "params": {"rnn": count_params(rnn), "mlp": count_params(mlp)},
        "train_accuracy": {
            "rnn": _accuracy(rnn_tag(rnn, tokens), tags),
            "mlp": _accuracy(mlp_forward(mlp, tokens), tags),
        },
        "table": table,
        "by_position": by_position,
        "loss": losses,
        "models": {"rnn": rnn, "mlp": mlp},
    }


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(logits.argmax(axis=-1) == labels))


def _ranges(values: list[int]) -> str:
    """[0, 1, 2, 5, 6] -> '0-2, 5-6'."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(f"{start}" if start == v else f"{start}-{v}")
            start = None
    return ", ".join(out)
