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

from rnncourse.losses import softmax_cross_entropy
from rnncourse.models import count_params, init_model, model_forward, model_loss
from rnncourse.optim import Adam, clip_grad_norm
from rnncourse.tasks import one_hot
from rnncourse.tasks.sentences import (  # the language's generators live with the tasks
    FILLERS,
    NEGATIVE,
    NEGATIVE_TAG,
    NONE,
    NOT,
    POSITIVE,
    POSITIVE_TAG,
    TAGS,
    VOCAB,
    bag_of_words,
    decode,
    encode,
    make_sentences,
    negated_at,
    tag_sentences,
    tags_for,
)

__all__ = [
    "bag_of_words",
    "FILLERS",
    "NEGATIVE",
    "POSITIVE",
    "VOCAB",
    "Config",
    "decode",
    "encode",
    "make_sentences",
    # also the language's other names, re-exported from rnncourse.tasks.sentences
    "NEGATIVE_TAG",
    "NONE",
    "NOT",
    "POSITIVE_TAG",
    "TAGS",
    "negated_at",
    "tag_sentences",
    "tags_for",
    "mlp_forward",
    "mlp_init",
    "mlp_loss",
    "run_experiment",
]


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
    clip: float = 5.0  # both models' gradients clipped to this global norm
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
        opt_rnn.step(rnn, clip_grad_norm(grads, cfg.clip)[0])
        losses["rnn"].append(loss)
        loss, grads = mlp_loss(mlp, tokens, tags)
        opt_mlp.step(mlp, clip_grad_norm(grads, cfg.clip)[0])
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
