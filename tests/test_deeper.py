"""Lesson 11's experiments (rnncourse.experiments.deeper): the bound no left-to-right model can
beat, the two taggers measured against it, the committed depth results, and the lesson quoting
all of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from rnncourse.experiments.deeper import (
    DEPTH_FILE,
    TaggerConfig,
    accuracy_by_position,
    best_accuracy,
    load_depth,
    train_tagger,
)
from rnncourse.tasks import window_bits, window_majority, window_parity

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "11_deeper_both_ways.ipynb"


def lesson_text() -> str:
    nb = json.loads(LESSON.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            out.append("".join(o.get("text", "")))
    return "\n".join(out)


def test_the_bound_is_three_quarters_at_every_step():
    bits = window_bits(6)
    assert bits.shape == (2**8, 8)
    _, y = window_majority(bits)
    np.testing.assert_array_equal(best_accuracy(bits, y, "past"), 0.75)
    np.testing.assert_array_equal(best_accuracy(bits, y, "all"), [0.75, 1, 1, 1, 1, 0.75])
    _, y = window_parity(bits)
    np.testing.assert_array_equal(best_accuracy(bits, y, "past"), 0.5)


def test_no_causal_predictor_beats_the_bound_on_the_exhaustive_set():
    """Any function of the prefix: a random table from prefixes to labels, and the majority rule."""
    T = 6
    bits = window_bits(T)
    _, y = window_majority(bits)
    bound = best_accuracy(bits, y, "past")
    rng = np.random.default_rng(0)
    inner = bits[:, 1:-1]
    for _ in range(20):
        for t in range(T):
            keys = inner[:, : t + 1] @ (1 << np.arange(t + 1))
            table = rng.integers(0, 2, size=2 ** (t + 1))
            assert (table[keys] == y[:, t]).mean() <= bound[t] + 1e-12


def test_the_lesson_taggers_reach_the_bounds_and_the_lesson_prints_them():
    test_bits = window_bits(10)
    _, y = window_majority(test_bits)
    bound = best_accuracy(test_bits, y, "past").mean()
    accs = {}
    for bidirectional in (False, True):
        cfg = TaggerConfig(cell="gru", task="majority", H=8, bidirectional=bidirectional, iters=300)
        tagger, _ = train_tagger(cfg)
        accs[bidirectional] = accuracy_by_position(tagger, cfg, test_bits).mean()
    assert bound == 0.75
    assert accs[False] <= bound  # exact: the test set holds every string once
    assert accs[True] >= bound + 0.15  # well above: 0.95 is the bidirectional bound
    text = lesson_text()
    assert f"bound for any unidirectional model: {bound:.4f}" in text
    for bidirectional, name in ((False, "unidirectional"), (True, "bidirectional ")):
        acc = f"{accs[bidirectional]:.4f}"
        line = rf"{name}:\s+\d+ parameters, final loss [\d.]+, test accuracy {acc}"
        assert re.search(line, text), name
    assert f"unidirectional {accs[False]:.4f} <= bound {bound:.4f}: True" in text
    assert f"bidirectional {accs[True]:.4f}," in text


def test_committed_depth_results_load_and_the_lesson_quotes_them():
    depth = load_depth(DEPTH_FILE)
    runs = depth["runs"]
    assert sorted({(r["layers"], r["H"]) for r in runs}) == [(1, 4), (1, 8), (2, 4), (3, 4)]
    assert all(len([r for r in runs if (r["layers"], r["H"]) == k]) == 3 for k in [(1, 4), (2, 4)])
    by = {
        k: [r["accuracy"] for r in runs if (r["layers"], r["H"]) == k]
        for k in [(1, 4), (2, 4), (3, 4), (1, 8)]
    }
    assert max(by[(1, 4)]) < 0.6 and max(by[(1, 8)]) < 0.6  # one layer: chance, wide or not
    assert min(by[(2, 4)]) == pytest.approx(0.9) and min(by[(3, 4)]) == pytest.approx(0.9)
    text = lesson_text()
    for (layers, width), accs in by.items():
        params = next(r["params"] for r in runs if (r["layers"], r["H"]) == (layers, width))
        row = re.compile(
            rf"^\s+{layers}\s+{width}\s+{params}\s+{min(accs):.4f} to {max(accs):.4f}\s+[\d.]+ x$",
            re.M,
        )
        assert row.search(text), (layers, width)
