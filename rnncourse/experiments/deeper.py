"""Lesson 11's experiments: per-step taggers built from stacked and bidirectional layers.

A tagger reads bits x (N, T, 1) and predicts a label at every step: ``rnncourse.deep``'s layer
(any cell, any depth, one or two directions), then a linear output layer on each step's joined
state, softmax cross-entropy, Adam. The tasks are ``rnncourse.tasks.window_majority`` (the label
at t needs the next bit) and ``window_parity`` (the same window, a harder function of it).

``best_accuracy`` is the bound no model can beat on an exhaustive test set: for each position it
groups the strings by what a model may see there and counts the majority label of each group.

The depth comparison (bidirectional GRU taggers of 1, 2 and 3 layers on the parity task, three
seeds each, trained and timed: longer than a lesson may take, and timings must not be printed
live) writes
``results/deeper_depth.json``:

    python -m rnncourse.experiments.deeper --out results/deeper_depth.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rnncourse.deep import deep_backward, deep_forward, init_deep
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import softmax_cross_entropy
from rnncourse.optim import Adam, clip_grad_norm
from rnncourse.tasks import window_bits, window_majority, window_parity

__all__ = [
    "TASKS",
    "TaggerConfig",
    "accuracy_by_position",
    "best_accuracy",
    "count_tagger_params",
    "depth_experiment",
    "predict",
    "train_tagger",
]

TASKS = {"majority": window_majority, "parity": window_parity}
DEPTH_FILE = Path(__file__).resolve().parents[2] / "results" / "deeper_depth.json"


@dataclass(frozen=True)
class TaggerConfig:
    cell: str = "gru"
    task: str = "majority"
    H: int = 8
    num_layers: int = 1
    bidirectional: bool = False
    T: int = 10
    batch: int = 32
    iters: int = 300
    lr: float = 0.02
    seed: int = 0


def init_tagger(cfg: TaggerConfig, rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    rnn = init_deep(
        cfg.cell, 1, cfg.H, rng, num_layers=cfg.num_layers, bidirectional=cfg.bidirectional
    )
    W_hy, b_y = init_output((2 if cfg.bidirectional else 1) * cfg.H, 2, rng)
    return {"rnn": rnn, "out": {"W_hy": W_hy, "b_y": b_y}}


def count_tagger_params(params: dict[str, dict[str, np.ndarray]]) -> int:
    return int(sum(v.size for part in params.values() for v in part.values()))


def predict(params, cfg: TaggerConfig, x: np.ndarray) -> np.ndarray:
    """The predicted label (N, T) at every step."""
    out, _, _ = deep_forward(cfg.cell, params["rnn"], x)
    return np.argmax(output_forward(out, **params["out"]), axis=-1)


def train_tagger(cfg: TaggerConfig):
    """Train on fresh random batches; returns (params, losses per iteration)."""
    rng = np.random.default_rng(cfg.seed)
    params = init_tagger(cfg, rng)
    opt = Adam(lr=cfg.lr)
    losses = []
    for _ in range(cfg.iters):
        x, y = TASKS[cfg.task](window_bits(cfg.T, N=cfg.batch, rng=rng))
        out, _, cache = deep_forward(cfg.cell, params["rnn"], x)
        logits = output_forward(out, **params["out"])
        loss, dlogits = softmax_cross_entropy(logits, y)
        dout, dW_hy, db_y = output_backward(dlogits, out, params["out"]["W_hy"])
        _, _, g = deep_backward(cfg.cell, params["rnn"], cache, dout)
        grads = {**{f"rnn/{k}": v for k, v in g.items()}, "out/W_hy": dW_hy, "out/b_y": db_y}
        grads, _ = clip_grad_norm(grads, 1.0)
        flat = {f"rnn/{k}": v for k, v in params["rnn"].items()}
        flat.update({f"out/{k}": v for k, v in params["out"].items()})
        opt.step(flat, grads)  # in place: the arrays of params
        losses.append(loss)
    return params, np.array(losses)


def accuracy_by_position(params, cfg: TaggerConfig, bits: np.ndarray) -> np.ndarray:
    """The fraction of strings tagged right at each position t, (T,)."""
    x, y = TASKS[cfg.task](bits)
    return (predict(params, cfg, x) == y).mean(axis=0)


def best_accuracy(bits: np.ndarray, y: np.ndarray, seen: str) -> np.ndarray:
    """The highest accuracy any model can reach at each position, (T,), on these strings.

    ``seen="past"``: at step t a model has read the inner bits up to t (a unidirectional model;
    it also knows t). ``seen="all"``: every inner bit (a bidirectional model). Strings that
    look the same to the model get the same prediction, so at best the majority label of
    each group of look-alikes: the bound is that majority's share, summed over the groups.
    """
    N, T = y.shape
    inner = bits[:, 1:-1]
    out = np.empty(T)
    for t in range(T):
        view = inner[:, : t + 1] if seen == "past" else inner
        keys = view @ (1 << np.arange(view.shape[1], dtype=np.int64))
        ones = np.bincount(keys, weights=y[:, t], minlength=2 ** view.shape[1])
        total = np.bincount(keys, minlength=2 ** view.shape[1])
        out[t] = np.maximum(ones, total - ones).sum() / N
    return out


def depth_experiment(
    layers=(1, 2, 3),
    seeds=(0, 1, 2),
    *,
    cell="gru",
    task="parity",
    H=4,
    iters=600,
    T=10,
    bidirectional=True,
) -> dict:
    """Train taggers of each depth on ``task``; parameters, exhaustive-test accuracy and CPU
    seconds per training iteration (one BLAS thread) for each (depth, seed)."""
    test = window_bits(T)
    runs = []
    # every depth at H, then one layer made wide (2 H) as a control: about as many parameters
    # as two layers, and no second layer
    for L, width in [(L, H) for L in layers] + [(1, 2 * H)]:
        for seed in seeds:
            cfg = TaggerConfig(
                cell=cell,
                task=task,
                H=width,
                num_layers=L,
                bidirectional=bidirectional,
                T=T,
                iters=iters,
                seed=seed,
            )
            start = time.process_time()
            params, losses = train_tagger(cfg)
            seconds = time.process_time() - start
            acc = accuracy_by_position(params, cfg, test)
            runs.append(
                {
                    "layers": L,
                    "H": width,
                    "seed": seed,
                    "params": count_tagger_params(params),
                    "accuracy": float(acc.mean()),
                    "final_loss": float(losses[-20:].mean()),
                    "seconds": round(seconds, 3),
                    "ms_per_iteration": round(1000 * seconds / iters, 3),
                }
            )
            print(f"L={L} seed={seed}: {runs[-1]}", flush=True)
    return {
        "command": "python -m rnncourse.experiments.deeper --out results/deeper_depth.json",
        "config": asdict(
            TaggerConfig(cell=cell, task=task, H=H, T=T, iters=iters, bidirectional=bidirectional)
        ),
        "machine": {"python": platform.python_version(), "numpy": np.__version__},
        "runs": runs,
    }


def load_depth(path: Path = DEPTH_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEPTH_FILE)
    ap.add_argument("--iters", type=int, default=600)
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        result = depth_experiment(iters=args.iters)
    else:
        with threadpool_limits(1):
            result = depth_experiment(iters=args.iters)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
