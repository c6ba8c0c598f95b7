"""Lesson 3's two toy tasks, one per way of reading an RNN's outputs.

- ``echo_task`` (sequence labelling, an output at every step): the target at step t is the
  symbol read at step t-1, so the network must remember exactly one step back. Step 1 has
  no target (masked out).
- ``majority_task`` (sequence classification, one output after the last step): is there more
  ones than zeros in a sequence of T bits (T odd, so no ties)? The network must count.

``train_task`` trains the course's RNN (``rnncourse.models``) on either, from a seed, with fresh
batches every step, and measures accuracy on new sequences.
"""

from __future__ import annotations

import numpy as np

from rnncourse.models import init_model, model_forward, model_loss, train
from rnncourse.optim import Adam
from rnncourse.tasks import echo_task, majority_task  # the generators live with the tasks

__all__ = ["echo_task", "majority_task", "train_task"]


def train_task(
    task: str,
    *,
    seed: int = 0,
    T: int = 9,
    K: int = 4,
    H: int = 16,
    steps: int = 300,
    batch: int = 32,
    lr: float = 0.01,
    clip_norm: float = 5.0,
    n_test: int = 1000,
) -> dict:
    """Train an RNN on ``"echo"`` (many-to-many) or ``"majority"`` (many-to-one).

    ``steps`` Adam updates with step size ``lr`` on fresh batches of ``batch`` sequences, each
    gradient clipped to norm ``clip_norm`` (lesson 3 prints these settings).

    Returns ``{"params", "loss": [...], "accuracy": float, "chance": float}``; for "echo" also
    ``"accuracy_by_step"``: accuracy at steps 2..T.
    """
    rng = np.random.default_rng(seed)
    if task == "echo":
        params = init_model("rnn", D=K, H=H, K=K, rng=rng)

        def step(p, i):
            x, y, mask = echo_task(batch, T, K, rng)
            return model_loss(p, x, y, task="many-to-many", mask=mask)
    elif task == "majority":
        params = init_model("rnn", D=2, H=H, K=2, rng=rng)

        def step(p, i):
            x, y = majority_task(batch, T, rng)
            return model_loss(p, x, y, task="many-to-one")
    else:
        raise ValueError(f"task must be 'echo' or 'majority', got {task!r}")

    history = train(params, step, Adam(lr=lr), steps, clip_norm=clip_norm)
    test_rng = np.random.default_rng(seed + 1)
    out = {"params": params, "loss": history["loss"]}
    if task == "echo":
        x, y, mask = echo_task(n_test, T, K, test_rng)
        right = model_forward(params, x, task="many-to-many")[0].argmax(axis=-1) == y
        out["accuracy"] = float(right[mask].mean())
        out["accuracy_by_step"] = right[:, 1:].mean(axis=0).tolist()
        out["chance"] = 1.0 / K
    else:
        x, y = majority_task(n_test, T, test_rng)
        out["accuracy"] = float(np.mean(model_forward(params, x)[0].argmax(axis=-1) == y))
        out["chance"] = max(float(np.mean(y)), 1.0 - float(np.mean(y)))
    return out
