"""Sequence classification: is a noisy tone rising, falling or steady in pitch?

A many-to-one task: the RNN reads the whole signal x (N, T, 1) and its last hidden state
h_T goes through the output layer to K = 3 class scores,

    h = cell(x)                          # (N, T, H)
    y = h[:, -1] @ W_hy.T + b_y          # (N, K)
    loss = mean -log softmax(y)[label]

The baseline is a bag of features: a histogram of the signal's values and the magnitudes of
its Fourier spectrum, fed to a softmax (multinomial logistic) regression. Those features
ignore *when* things happen. A falling chirp is a rising one played backwards, with the same
values and the same spectrum magnitudes, so the bag cannot tell them apart; it can only
separate the steady tones from the two chirps. (``rnncourse.datasets.chirp_signals`` makes
the data.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncourse.cells import cell_of, get_cell
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import softmax_cross_entropy
from rnncourse.models import init_model

__all__ = [
    "CLASS_NAMES",
    "ClassifyConfig",
    "accuracy",
    "bag_features",
    "classify_loss",
    "confusion",
    "predict",
    "train_bag_baseline",
    "train_classifier",
]

Params = dict[str, np.ndarray]
CLASS_NAMES = ("rising", "falling", "steady")


@dataclass(frozen=True)
class ClassifyConfig:
    cell: str = "gru"  # "rnn", "lstm" or "gru"
    H: int = 32  # hidden units
    T: int = 40  # signal length
    N: int = 32  # signals per batch (fresh ones every step)
    steps: int = 200  # Adam updates
    lr: float = 1e-2
    clip: float = 1.0
    seed: int = 0


def classify_loss(
    params: Params, x: np.ndarray, labels: np.ndarray, *, cell: str | None = None
) -> tuple[float, Params]:
    """Cross-entropy of the class scores read from h_T, and the gradients.

    Args:
        x: signals, (N, T, D); labels: (N,) int in [0, K).
        cell: the cell's name in ``rnncourse.cells.CELLS`` (default: told by the parameters).
    """
    c = get_cell(cell) if cell is not None else cell_of(params)
    state = c.zero_state(params, x.shape[0])
    h, cache = c.forward(params, x, state)  # (N, T, H)
    y = output_forward(h[:, -1], params["W_hy"], params["b_y"])  # (N, K)
    loss, dy = softmax_cross_entropy(y, labels)
    dh_T, dW_hy, db_y = output_backward(dy, h[:, -1], params["W_hy"])
    dh = np.zeros_like(h)
    dh[:, -1] = dh_T  # only the last step has an output
    _, _, grads = c.backward(params, x, state, h, cache, dh)
    grads["W_hy"], grads["b_y"] = dW_hy, db_y
    return loss, grads


def predict(params: Params, x: np.ndarray, *, cell: str | None = None) -> np.ndarray:
    """Predicted classes (N,) for signals x (N, T, D)."""
    c = get_cell(cell) if cell is not None else cell_of(params)
    h, _ = c.forward(params, x, c.zero_state(params, x.shape[0]))
    return output_forward(h[:, -1], params["W_hy"], params["b_y"]).argmax(axis=-1)


def accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of correct predictions.

    >>> accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
    0.75
    """
    return float(np.mean(np.asarray(pred) == np.asarray(labels)))


def confusion(pred: np.ndarray, labels: np.ndarray, K: int = 3) -> np.ndarray:
    """Counts (K, K): row = true class, column = predicted class.

    >>> confusion(np.array([0, 1, 1]), np.array([0, 0, 1]), K=2)
    array([[1, 1],
           [0, 1]])
    """
    out = np.zeros((K, K), dtype=np.int64)
    np.add.at(out, (np.asarray(labels), np.asarray(pred)), 1)
    return out


def train_classifier(
    config: ClassifyConfig, data_rng: np.random.Generator, *, progress: bool = False
) -> tuple[Params, dict[str, list[float]]]:
    """Train on fresh chirps every step (drawn from ``data_rng``)."""
    from rnncourse.models import train
    from rnncourse.optim import Adam
    from rnncourse.tasks import chirp_signals

    params = init_model(config.cell, 1, config.H, 3, np.random.default_rng(config.seed))

    def step_fn(p: Params, i: int) -> tuple[float, Params]:
        x, labels = chirp_signals(config.N, config.T, data_rng)
        return classify_loss(p, x, labels, cell=config.cell)

    history = train(
        params, step_fn, Adam(lr=config.lr), config.steps,
        clip_norm=config.clip, progress=progress, desc=f"classifier ({config.cell})",
    )  # fmt: skip
    return params, history


def bag_features(x: np.ndarray, bins: int = 12) -> np.ndarray:
    """Order-free features of signals x (N, T, 1): a value histogram and |FFT|, (N, F).

    Both are unchanged if the signal is played backwards.

    >>> x = np.random.default_rng(0).normal(size=(2, 16, 1))
    >>> bool(np.allclose(bag_features(x), bag_features(x[:, ::-1])))
    True
    """
    s = x[..., 0]  # (N, T)
    edges = np.linspace(-2.5, 2.5, bins + 1)
    hist = np.stack([np.histogram(row, bins=edges)[0] for row in s]) / s.shape[1]  # (N, bins)
    spec = np.abs(np.fft.rfft(s, axis=1)) / np.sqrt(s.shape[1])  # (N, T // 2 + 1)
    return np.concatenate([hist, spec], axis=1)


def train_bag_baseline(
    features: np.ndarray, labels: np.ndarray, *, K: int = 3, steps: int = 500, lr: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Softmax regression on standardised features, full-batch Adam.

    Returns (W (K, F), b (K,), mean (F,), std (F,)); scores are
    ``((features - mean) / std) @ W.T + b``.
    """
    from rnncourse.optim import Adam

    mean, std = features.mean(axis=0), features.std(axis=0) + 1e-8
    f = (features - mean) / std
    p = {"W": np.zeros((K, f.shape[1])), "b": np.zeros(K)}
    opt = Adam(lr=lr)
    for _ in range(steps):
        _, dy = softmax_cross_entropy(f @ p["W"].T + p["b"], labels)
        opt.step(p, {"W": dy.T @ f, "b": dy.sum(axis=0)})
    return p["W"], p["b"], mean, std
