"""rnncourse.experiments.seq2seq and its committed results: the run is deterministic, and the
committed file is what the committed command writes (its configs are the defaults) and shows
what lesson 12 will quote: attention learns the task at every source length, the plain model
does not at this budget."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rnncourse.experiments.seq2seq import (
    RESULTS_FILE,
    Seq2SeqConfig,
    evaluate_by_length,
    train_translator,
)

REPO = Path(__file__).resolve().parents[1]


def test_training_is_deterministic_and_learns_something():
    cfg = Seq2SeqConfig(H=8, attention=4, iters=6, batch=4, test_per_bucket=3)
    p1, l1 = train_translator(cfg, log_every=3)
    p2, l2 = train_translator(cfg, log_every=3)
    assert l1 == l2 and all(np.array_equal(p1[k], p2[k]) for k in p1)
    assert l1[1] < l1[0]
    rows = evaluate_by_length(p1, cfg)
    assert [(r["min_len"], r["max_len"]) for r in rows] == [tuple(b) for b in cfg.buckets]
    assert all(0.0 <= r["sequence_accuracy"] <= r["char_accuracy"] <= 1.0 for r in rows)


def test_committed_results_are_the_commands_and_show_the_effect():
    data = json.loads(RESULTS_FILE.read_text(encoding="utf-8"))
    models = data["models"]
    assert set(models) == {"plain", "attention"}
    defaults = asdict(Seq2SeqConfig())
    defaults["buckets"] = [list(b) for b in defaults["buckets"]]
    assert models["plain"]["config"] == defaults
    assert models["attention"]["config"] == {**defaults, "attention": defaults["H"]}
    att = [r["sequence_accuracy"] for r in models["attention"]["by_length"]]
    plain = [r["sequence_accuracy"] for r in models["plain"]["by_length"]]
    assert len(att) == len(plain) == len(Seq2SeqConfig().buckets)
    assert min(att) > 0.9 and max(plain) < 0.05
    assert models["attention"]["losses"][-1] < 0.1 < models["plain"]["losses"][-1]
