"""Exploding gradients and clipping: a run that diverges without clipping and trains with it.

A vanilla RNN (H = 32) predicts the next value of noisy sine waves (T = 40, batches of 16)
with plain gradient descent, learning rate 0.2, from a Gaussian ``W_hh`` rescaled to spectral
radius 1.5. With seed 1 one early gradient is large; without clipping the update throws the
weights where gradients are larger still and the loss runs away; with the global norm
clipped at 1 the same run trains. (Not every seed explodes: with PyTorch's initialisation of
the other weights, 7 of the seeds 0-11 do within 60 steps, seed 0 does not.)

    clipping at the global norm   g <- g * min(1, max_norm / (||g|| + eps))   keeps the direction
    clipping each element         g_i <- min(max(g_i, -c), c)                 changes it

numpy only; the lesson (``notebooks/06_vanishing_exploding.ipynb``) draws the curves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnncourse.gradient_flow import random_recurrent_weights
from rnncourse.models import init_model, model_loss, train
from rnncourse.optim import SGD
from rnncourse.tasks import noisy_sine

__all__ = ["clip_per_element", "cosine", "exploding_run", "flatten"]


def flatten(grads: Mapping[str, np.ndarray]) -> np.ndarray:
    """All arrays of a dict as one vector, in sorted key order.

    >>> flatten({"b": np.array([3.0]), "a": np.array([[1.0, 2.0]])}).tolist()
    [1.0, 2.0, 3.0]
    """
    return np.concatenate([np.ravel(grads[k]) for k in sorted(grads)])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine of the angle between two vectors, ``a . b / (||a|| ||b||)``.

    >>> cosine(np.array([1.0, 0.0]), np.array([2.0, 0.0])), cosine(np.eye(2)[0], np.eye(2)[1])
    (1.0, 0.0)
    """
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def clip_per_element(grads: Mapping[str, np.ndarray], c: float) -> dict[str, np.ndarray]:
    """Clip every entry to [-c, c] separately (new arrays; the inputs are not modified).

    >>> clip_per_element({"W": np.array([3.0, -0.5])}, 1.0)["W"].tolist()
    [1.0, -0.5]
    """
    return {k: np.clip(g, -c, c) for k, g in grads.items()}


def exploding_run(
    clip: float | None,
    *,
    steps: int = 100,
    seed: int = 1,
    rho: float = 1.5,
    lr: float = 0.2,
    record: list | None = None,
) -> dict[str, list[float]]:
    """Train the RNN described above; ``clip`` is the global-norm limit (None: no clipping).

    Args:
        clip: ``max_norm`` for ``clip_grad_norm``, or None.
        steps: gradient-descent updates.
        seed: initial weights come from ``default_rng(seed)``, batches from
            ``default_rng(100 + seed)``, so runs with and without clipping see the same data.
        rho: spectral radius of the initial ``W_hh``.
        lr: learning rate.
        record: if a list is given, each step's (unclipped) gradient dict is appended to it.

    Returns:
        The history from ``train``: ``{"loss": [...], "grad_norm": [...]}`` (norm before
        clipping). Overflow warnings of the diverging run are silenced: they are the point.
    """
    rng = np.random.default_rng(seed)
    params = init_model("rnn", D=1, H=32, K=1, rng=rng)
    params["W_hh"] = random_recurrent_weights(32, rho, rng)
    data = np.random.default_rng(100 + seed)

    def step(p: dict, i: int) -> tuple:
        x, y = noisy_sine(16, 40, data)
        loss, grads = model_loss(p, x, y, task="many-to-many", loss="mse")
        if record is not None:
            record.append(grads)
        return loss, grads

    with np.errstate(all="ignore"):
        return train(params, step, SGD(lr=lr), steps, clip_norm=clip)
