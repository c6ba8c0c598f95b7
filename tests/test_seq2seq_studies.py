"""rnncourse.experiments.seq2seq_studies and its committed results: the decoding study
(greedy against beam search) and the exposure-bias study, structure and a cheap recomputation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rnncourse.experiments.seq2seq import MODELS, Seq2SeqConfig, load_params
from rnncourse.experiments.seq2seq_studies import BEAMS, decode_bucket, decoding_study

RESULTS = Path(__file__).resolve().parents[1] / "results"


def test_committed_decoding_study_has_every_bucket_and_decoder():
    data = json.loads((RESULTS / "seq2seq_decoding.json").read_text(encoding="utf-8"))
    assert data["beams"] == list(BEAMS) and data["length_alpha"] == 1.0
    assert set(data["models"]) == set(MODELS)
    buckets = [list(b) for b in Seq2SeqConfig().buckets]
    for m in data["models"].values():
        assert [[r["min_len"], r["max_len"]] for r in m["by_length"]] == buckets
        for r in m["by_length"]:
            assert r["greedy"] == r["beam1"], "beam size 1 is greedy decoding"
            assert all(0.0 <= r[f"beam{k}"] <= 1.0 for k in BEAMS)
        for ex in m["greedy_fails_beam_right"]:
            assert ex["greedy"] != ex["target"] == ex[f"beam{BEAMS[-1]}"]
    att = data["models"]["attention"]["by_length"]
    assert min(r["greedy"] for r in att) > 0.9


def test_committed_greedy_column_is_the_committed_experiment_and_beam_recomputes():
    data = json.loads((RESULTS / "seq2seq_decoding.json").read_text(encoding="utf-8"))
    exp = json.loads((RESULTS / "seq2seq_attention.json").read_text(encoding="utf-8"))
    assert data["per_bucket"] == Seq2SeqConfig().test_per_bucket and data["seed"] == 12345
    for name in MODELS:
        greedy = [r["greedy"] for r in data["models"][name]["by_length"]]
        same = [r["sequence_accuracy"] for r in exp["models"][name]["by_length"]]
        assert greedy == same, name
    small = decoding_study(3, seed=data["seed"], models=("attention",))
    assert [r["min_len"] for r in small["models"]["attention"]["by_length"]] == [40, 55, 70, 85]
    for ex in data["models"]["attention"]["greedy_fails_beam_right"][:1]:
        out = decode_bucket(load_params("attention"), [ex["source"]], [ex["target"]], beams=(5,))
        assert out["greedy"] == [ex["greedy"]] and out["beam5"] == [ex["target"]]


def test_committed_exposure_study_shows_the_gap_for_the_plain_model():
    data = json.loads((RESULTS / "seq2seq_exposure.json").read_text(encoding="utf-8"))
    for name in MODELS:
        m = data["models"][name]
        forced, free = np.array(m["teacher_forced"]), np.array(m["free_running"])
        assert forced.shape == free.shape == (11,)
        assert np.all(free <= forced + 1e-12), "free running never beats the true prefix here"
    plain = data["models"]["plain"]
    gap = np.array(plain["teacher_forced"]) - np.array(plain["free_running"])
    assert gap.max() > 0.05
    assert data["sampling"] == 0.25
    ss = data["models"]["plain_sampling0.25"]
    ss_gap = np.array(ss["teacher_forced"]) - np.array(ss["free_running"])
    assert ss_gap.max() < gap.max(), "scheduled sampling narrows the largest gap"
