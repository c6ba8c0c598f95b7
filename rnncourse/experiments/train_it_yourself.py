"""Lesson 10's character RNN, trained through ``rnncourse.training.train_charmodel``.

    python -m rnncourse.experiments.train_it_yourself        # a few seconds; writes the JSON

The configuration (``CONFIG``) is lesson 10's main run: a vanilla RNN (H = 64) on the shipped
Python-code corpus, N = 32 streams, T = 16 steps of truncated BPTT, 700 Adam updates (lr 5e-3,
clip 1). (Its solutions notebook runs a shorter one with the learner's functions: 400 updates at
lr 0.01.) It writes ``results/train_it_yourself.json``: the unigram
and bigram baselines, the validation curve and the final bits per character, which the lesson
prints and ``tests/test_training.py`` checks against a fresh run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rnncourse.charmodel import corpus
from rnncourse.datasets import unigram_bits
from rnncourse.training import bigram_bits, init_char_rnn, train_charmodel

RESULTS = Path(__file__).resolve().parents[2] / "results" / "train_it_yourself.json"
CONFIG = {"H": 64, "N": 32, "T": 16, "steps": 700, "lr": 5e-3, "max_norm": 1.0,
          "eval_every": 100, "seed": 0}  # fmt: skip


def run(config: dict = CONFIG, **functions) -> dict:
    """Train with ``functions`` (forward=, backward=, loss=, clip=, step=; default the
    package's) and return the figures the lesson quotes."""
    vocab, train_ids, val_ids = corpus()
    V = len(vocab)
    params = init_char_rnn(V, config["H"], np.random.default_rng(config["seed"]))
    params, history = train_charmodel(
        params, train_ids, val_ids, steps=config["steps"], N=config["N"], T=config["T"],
        lr=config["lr"], max_norm=config["max_norm"], eval_every=config["eval_every"],
        val_chars=len(val_ids), **functions,
    )  # fmt: skip
    return {
        "config": config,
        "V": V,
        "unigram_bits": unigram_bits(train_ids, val_ids, V),
        "bigram_bits": bigram_bits(train_ids, val_ids, V),
        "val_step": history["val_step"],
        "val_bits": history["val_bits"],
        "final_bits": history["val_bits"][-1],
        "params": params,
        "history": history,
    }


def figures(result: dict) -> dict:
    """What is committed: the numbers, rounded to 6 decimals (no parameters)."""
    keep = ("config", "V", "unigram_bits", "bigram_bits", "val_step", "val_bits", "final_bits")
    out = {k: result[k] for k in keep}
    for k in ("unigram_bits", "bigram_bits", "final_bits"):
        out[k] = round(float(out[k]), 6)
    out["val_bits"] = [round(float(b), 6) for b in out["val_bits"]]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    result = figures(run())
    result["command"] = "python -m rnncourse.experiments.train_it_yourself"
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(
        f"validation {result['final_bits']:.4f} bits/char; unigram {result['unigram_bits']:.4f}, "
        f"bigram {result['bigram_bits']:.4f}; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
