"""Regularising lesson 10's character RNN: none, dropout, weight decay, early stopping.

    python -m rnncourse.experiments.regularise_charlm     # about 3 minutes; writes the JSON

A model that can overfit: the character RNN with H = 128 trained on only the first ``TRAIN_CHARS``
characters of the training text (N = 16 streams, T = 32, Adam lr 5e-3, clip 1, 1000 updates),
measured every 50 updates on the first ``VAL_CHARS`` characters of the validation text. Runs:
no regularisation; dropout p on the hidden states that feed the output layer; weight decay lam
on the weight matrices. For each, the whole validation curve is kept, its best point, and where
early stopping with patience ``PATIENCE`` (stop after that many measurements without a new best,
keep the best parameters) would have stopped: that is what ``train_charmodel(patience=...)``
returns, read off the same curve. Writes ``results/regularise_charlm.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rnncourse.charmodel import corpus
from rnncourse.training import init_char_rnn, train_charmodel

RESULTS = Path(__file__).resolve().parents[2] / "results" / "regularise_charlm.json"
TRAIN_CHARS = 16384
VAL_CHARS = 16384
PATIENCE = 3
CONFIG = {"H": 128, "N": 16, "T": 32, "steps": 1000, "lr": 5e-3, "max_norm": 1.0,
          "eval_every": 50, "seed": 0}  # fmt: skip
RUNS = [
    {"name": "none"},
    {"name": "dropout 0.3", "dropout": 0.3},
    {"name": "dropout 0.5", "dropout": 0.5},
    {"name": "weight decay 1e-4", "weight_decay": 1e-4},
    {"name": "weight decay 1e-3", "weight_decay": 1e-3},
]


def early_stop(val_step: list[int], val_bits: list[float], patience: int) -> dict:
    """Where early stopping with ``patience`` stops on a validation curve, and what it keeps.

    >>> early_stop([1, 2, 3, 4, 5, 6], [5.0, 4.0, 4.5, 4.2, 4.1, 3.0], 3)
    {'stopped_at': 5, 'best_step': 2, 'best_bits': 4.0}
    """
    best, best_i, waited = np.inf, 0, 0
    for i, b in enumerate(val_bits):
        if b < best:
            best, best_i, waited = b, i, 0
        else:
            waited += 1
            if waited >= patience:
                return {"stopped_at": val_step[i], "best_step": val_step[best_i], "best_bits": best}
    return {"stopped_at": val_step[-1], "best_step": val_step[best_i], "best_bits": best}


def run(spec: dict, config: dict = CONFIG, progress: bool = True) -> dict:
    vocab, train_ids, val_ids = corpus()
    params = init_char_rnn(len(vocab), config["H"], np.random.default_rng(config["seed"]))
    extra = {k: spec[k] for k in ("dropout", "weight_decay") if k in spec}
    _, history = train_charmodel(
        params, train_ids[:TRAIN_CHARS], val_ids, steps=config["steps"], N=config["N"],
        T=config["T"], lr=config["lr"], max_norm=config["max_norm"],
        eval_every=config["eval_every"], val_chars=VAL_CHARS, progress=progress,
        seed=config["seed"], **extra,
    )  # fmt: skip
    loss = np.asarray(history["loss"]) / np.log(2.0)  # bits per character
    val_bits = [round(float(b), 6) for b in history["val_bits"]]
    stop = early_stop(history["val_step"], val_bits, PATIENCE)
    return {
        **spec,
        "val_step": history["val_step"],
        "val_bits": val_bits,
        "train_bits_last50": round(float(loss[-50:].mean()), 6),
        "final_bits": val_bits[-1],
        "best_bits": stop["best_bits"],
        "best_step": stop["best_step"],
        "early_stop_at": stop["stopped_at"],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    args = ap.parse_args(argv)
    rows = []
    for spec in RUNS:
        rows.append(run(spec, progress=not args.no_progress))
        r = rows[-1]
        print(f"{r['name']:18s} best {r['best_bits']:.4f} bits/char at update {r['best_step']}, "
              f"last {r['final_bits']:.4f}, train {r['train_bits_last50']:.4f}; early stopping "
              f"(patience {PATIENCE}) stops at {r['early_stop_at']}", flush=True)  # fmt: skip
    out = {
        "command": "python -m rnncourse.experiments.regularise_charlm",
        "config": CONFIG,
        "train_chars": TRAIN_CHARS,
        "val_chars": VAL_CHARS,
        "patience": PATIENCE,
        "rows": rows,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
