"""Lesson 1's experiment: a bag of words cannot read "not".

A bag of words keeps how often each word occurs and forgets the order. In the "not"
language of ``not_sentiment`` the order decides the label ("not good" is negative, "not the
... good" is positive), so sentences with the same bag can carry opposite labels and NO
function of the bag, however clever, can get them all right. ``best_possible_accuracy``
computes that ceiling exactly; ``run_experiment`` trains a logistic regression on the bag and,
for comparison, on word pairs (bigrams), which keep a little order.

Shapes: N sentences, T words, V vocabulary size, F features.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from rnncourse.losses import softmax_cross_entropy
from rnncourse.tasks.sentences import VOCAB, bag_of_words, make_sentences

__all__ = [
    "bag_of_words",
    "best_possible_accuracy",
    "bigram_counts",
    "fit_logistic",
    "predict",
    "run_experiment",
]


def bigram_counts(tokens: np.ndarray, V: int = len(VOCAB)) -> np.ndarray:
    """Counts of adjacent word pairs, (N, T) ids -> (N, V * V): pair (a, b) is column a*V + b."""
    tokens = np.atleast_2d(tokens)
    pairs = tokens[:, :-1] * V + tokens[:, 1:]
    return bag_of_words(pairs, V * V)


def best_possible_accuracy(features: np.ndarray, labels: np.ndarray) -> float:
    """The best accuracy ANY classifier that sees only ``features`` can reach on this data.

    Sentences with identical features must get the same prediction, so within each group the
    best is to predict the group's most common label.

    >>> f = np.array([[1, 0], [1, 0], [0, 1]]); y = np.array([0, 1, 1])
    >>> best_possible_accuracy(f, y)     # rows 0 and 1 look the same but disagree
    0.6666666666666666
    """
    groups: dict[bytes, Counter] = defaultdict(Counter)
    for row, label in zip(features, labels, strict=True):
        groups[np.asarray(row).tobytes()][int(label)] += 1
    return sum(c.most_common(1)[0][1] for c in groups.values()) / len(labels)


def fit_logistic(
    features: np.ndarray, labels: np.ndarray, *, K: int = 2, steps: int = 300, lr: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent (deterministic).

        logits = features @ W.T + b        W (K, F), b (K,)

    Returns:
        (W, b)
    """
    N, F = features.shape
    W, b = np.zeros((K, F)), np.zeros(K)
    for _ in range(steps):
        _, dlogits = softmax_cross_entropy(features @ W.T + b, labels)  # (N, K), already / N
        W -= lr * (dlogits.T @ features)
        b -= lr * dlogits.sum(axis=0)
    return W, b


def predict(features: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Predicted class of every row."""
    return (features @ W.T + b).argmax(axis=1)


def run_experiment(seed: int = 0, N: int = 2000, T: int = 4) -> dict[str, float]:
    """Bag of words vs word pairs on the "not" language; accuracies on held-out sentences.

    Returns ceilings (``best_possible_accuracy`` on the test set for each representation) and
    the test accuracy of a logistic regression trained on each.
    """
    rng = np.random.default_rng(seed)
    positions = range(T - 1)
    train_tok, train_y, _ = make_sentences(N, T, rng, not_positions=positions)
    test_tok, test_y, _ = make_sentences(N, T, rng, not_positions=positions)
    out: dict[str, float] = {}
    for name, featurise in (("bag of words", bag_of_words), ("word pairs", bigram_counts)):
        W, b = fit_logistic(featurise(train_tok), train_y)
        out[f"{name}: best possible"] = best_possible_accuracy(featurise(test_tok), test_y)
        out[f"{name}: logistic regression"] = float(
            np.mean(predict(featurise(test_tok), W, b) == test_y)
        )
    return out
