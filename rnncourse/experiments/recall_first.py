"""Recall the first symbol: a task whose answer depends only on the first input.

Each sequence is T symbols drawn uniformly from an alphabet of K; the target, read at the
last step, is the *first* symbol. Everything after step 1 is a distractor. A vanilla RNN must
carry the first symbol through T - 1 updates of its hidden state, and the gradient that
would teach it to do so must travel back the same T - 1 steps. Guessing gives 1/K.

    x (N, T, K) one-hot symbols      y (N,) the first symbol, x[:, 0].argmax(-1)

Run the full experiment (a few minutes on one core) and write ``results/recall_first.json``:

    python -m rnncourse.experiments.recall_first

The lesson loads that file; ``tests/test_recall_first.py`` re-runs one short setting and
checks the committed numbers.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rnncourse.models import init_model, model_forward, model_loss, train
from rnncourse.optim import Adam
from rnncourse.rnn import rnn_backward
from rnncourse.tasks import recall_batch  # the generator lives with the tasks

__all__ = ["RecallConfig", "input_sensitivity", "recall_batch", "run_grid", "run_one"]

RESULTS = Path(__file__).resolve().parents[2] / "results" / "recall_first.json"


@dataclass(frozen=True)
class RecallConfig:
    """Settings of one run (defaults: what the lesson reports)."""

    K: int = 4  # alphabet size; chance accuracy is 1/K
    H: int = 32  # hidden units
    N: int = 64  # sequences per batch (fresh batches every step)
    steps: int = 1500  # Adam updates
    lr: float = 3e-3  # Adam learning rate
    clip: float = 1.0  # global-norm clipping
    n_test: int = 1000  # held-out sequences for the accuracy
    Ts: tuple[int, ...] = field(default=(5, 10, 15, 20, 30, 40, 60))
    seeds: tuple[int, ...] = field(default=(0, 1, 2))


def input_sensitivity(params: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """How much the correct class's score depends on each input position.

    For the score ``s = y_T[target] = W_hy[target] . h_T + b_y[target]``, BPTT gives
    ``ds/dx_t`` for every t; the sensitivity of position t is ``||ds/dx_t||`` averaged over
    the batch.

    Args:
        params: a vanilla RNN model (``init_model("rnn", ...)``).
        x: inputs, (N, T, D); y: targets, (N,).

    Returns:
        (T,) the mean norm of ds/dx_t for t = 1..T.
    """
    N, T, _ = x.shape
    _, h = model_forward(params, x)  # h (N, T, H)
    dh = np.zeros_like(h)
    dh[:, -1] = params["W_hy"][y]  # ds/dh_T, from the output only
    h0 = np.zeros((N, h.shape[2]), dtype=h.dtype)
    dx, *_ = rnn_backward(dh, x, h0, h, params["W_xh"], params["W_hh"])
    return np.linalg.norm(dx, axis=2).mean(axis=0)


def run_one(T: int, seed: int, cfg: RecallConfig = RecallConfig()) -> dict:
    """Train one vanilla RNN at length T from ``seed``; return its test accuracy and more."""
    rng = np.random.default_rng(seed)
    params = init_model("rnn", D=cfg.K, H=cfg.H, K=cfg.K, rng=rng)

    def step(p: dict, i: int) -> tuple:
        x, y = recall_batch(cfg.N, T, cfg.K, rng)
        return model_loss(p, x, y)

    hist = train(params, step, Adam(lr=cfg.lr), cfg.steps, clip_norm=cfg.clip)
    test_rng = np.random.default_rng(10_000 + seed)
    x, y = recall_batch(cfg.n_test, T, cfg.K, test_rng)
    logits, _ = model_forward(params, x)
    pred = logits.argmax(-1)
    return {
        "T": T,
        "seed": seed,
        "accuracy": float((pred == y).mean()),
        # how often the model answers with the LAST symbol instead: the recency bias
        "answers_last_symbol": float((pred == x[:, -1].argmax(-1)).mean()),
        "final_loss": float(np.mean(hist["loss"][-100:])),
        "sensitivity": [float(v) for v in input_sensitivity(params, x, y)],
    }


def run_grid(cfg: RecallConfig = RecallConfig(), progress: bool = True) -> dict:
    """Every (T, seed) of ``cfg``; the dict written to ``results/recall_first.json``."""
    runs = []
    for T in cfg.Ts:
        for seed in cfg.seeds:
            r = run_one(T, seed, cfg)
            runs.append(r)
            if progress:
                print(f"T={T:3d} seed={seed}: accuracy {r['accuracy']:.3f}", flush=True)
    return {"config": asdict(cfg), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recall-the-first-symbol grid for lesson 6.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run_grid()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
