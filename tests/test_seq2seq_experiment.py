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


def _small_model_and_batch(attention):
    from rnncourse.seq2seq import init_seq2seq
    from rnncourse.tasks.dates import SOURCE_VOCAB, TARGET_VOCAB, date_examples, encode_batch

    rng = np.random.default_rng(0)
    p = init_seq2seq(len(SOURCE_VOCAB), len(TARGET_VOCAB), 6, rng, attention=attention)
    p = {k: 4 * v for k, v in p.items()}  # confident, varied predictions
    src, tgt = date_examples(20, rng, min_len=40, max_len=50)
    return p, encode_batch(src, tgt)


def test_scheduled_sampling_mixes_in_the_models_own_tokens():
    from rnncourse.experiments.seq2seq import mix_own_predictions
    from rnncourse.seq2seq import seq2seq_forward

    p, b = _small_model_and_batch(None)
    assert np.array_equal(mix_own_predictions(p, b, 0.0, np.random.default_rng(0)), b.y_in)
    own = seq2seq_forward(p, b.x, b.x_mask, b.y_in)[0].argmax(axis=2)
    all_own = mix_own_predictions(p, b, 1.0, np.random.default_rng(0))
    assert (all_own[:, 0] == b.y_in[:, 0]).all()  # BOS stays
    assert np.array_equal(all_own[:, 1:], own[:, :-1])
    half = mix_own_predictions(p, b, 0.5, np.random.default_rng(1))
    same = half[:, 1:] == b.y_in[:, 1:]
    assert np.all(same | (half[:, 1:] == own[:, :-1])) and 0.2 < 1 - same.mean() < 0.8


def test_accuracy_by_position_agrees_at_the_first_step():
    from rnncourse.experiments.seq2seq import accuracy_by_position

    for attention in (None, 4):
        p, b = _small_model_and_batch(attention)
        forced, free = accuracy_by_position(p, b)
        assert forced.shape == free.shape == (b.y_out.shape[1],)
        assert forced[0] == free[0]  # the same input (BOS) and the same state
        assert np.all((0 <= forced) & (forced <= 1) & (0 <= free) & (free <= 1))


def test_committed_params_reproduce_the_committed_accuracies():
    from rnncourse.experiments.seq2seq import load_params

    data = json.loads(RESULTS_FILE.read_text(encoding="utf-8"))
    for name in ("plain", "attention"):
        entry = data["models"][name]
        cfg = Seq2SeqConfig(
            **{**entry["config"], "buckets": tuple(tuple(b) for b in entry["config"]["buckets"])}
        )
        assert evaluate_by_length(load_params(name), cfg) == entry["by_length"]


def test_committed_long_plain_run_is_stuck_not_slow():
    """Four times the iterations: the plain model's loss levels off near 0.5 and it still
    translates almost no source whole, at every length."""
    path = RESULTS_FILE.with_name("seq2seq_plain_long.json")
    entry = json.loads(path.read_text(encoding="utf-8"))["models"]["plain"]
    defaults = asdict(Seq2SeqConfig())
    defaults["buckets"] = [list(b) for b in defaults["buckets"]]
    assert entry["config"] == {**defaults, "iters": 8000}
    losses = entry["losses"]
    assert len(losses) == 80 and 0.4 < losses[-1] < 0.6
    assert abs(losses[-1] - losses[39]) < 0.05  # the second half gains little
    assert max(r["sequence_accuracy"] for r in entry["by_length"]) < 0.05


def test_bare_dates_run_shows_the_plain_model_fails_at_every_length():
    """Trained and tested from the bare date (min_len 0) up: the plain model still translates
    almost no source whole, the shortest bucket included; attention most of them, at every
    length. The config is the default one but for min_len and the added first bucket."""
    path = RESULTS_FILE.with_name("seq2seq_bare_dates.json")
    models = json.loads(path.read_text(encoding="utf-8"))["models"]
    for name, attention in (("plain", None), ("attention", 32)):
        entry = models[name]
        defaults = asdict(Seq2SeqConfig(attention=attention))
        buckets = [[0, 40], *([list(b) for b in defaults["buckets"]])]
        assert entry["config"] == {**defaults, "min_len": 0, "buckets": buckets}
        assert [[r["min_len"], r["max_len"]] for r in entry["by_length"]] == buckets
    plain = [r["sequence_accuracy"] for r in models["plain"]["by_length"]]
    attention = [r["sequence_accuracy"] for r in models["attention"]["by_length"]]
    assert max(plain) < 0.05 and plain[0] < 0.05  # short sources do not rescue it
    assert min(attention) > 0.8
