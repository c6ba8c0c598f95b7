"""Lesson 10's regularisation and batching results: committed, consistent, quoted by the lesson."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np

from rnncourse.experiments import batching, regularise_charlm
from rnncourse.masking import batches_by_length, padded_work

REPO = Path(__file__).resolve().parents[1]
LESSON = REPO / "notebooks" / "10_train_it_yourself.ipynb"


def _load(name: str) -> dict:
    return json.loads((REPO / "results" / name).read_text(encoding="utf-8"))


def _lesson() -> tuple[str, str]:
    """(printed output, markdown) of lesson 10."""
    nb = nbformat.read(LESSON, as_version=4)
    out = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return out, md


def test_regularise_results_are_complete_and_match_their_config():
    reg = _load("regularise_charlm.json")
    assert reg["command"] == "python -m rnncourse.experiments.regularise_charlm"
    assert reg["config"] == regularise_charlm.CONFIG
    assert (reg["train_chars"], reg["val_chars"], reg["patience"]) == (
        regularise_charlm.TRAIN_CHARS,
        regularise_charlm.VAL_CHARS,
        regularise_charlm.PATIENCE,
    )
    assert [r["name"] for r in reg["rows"]] == [r["name"] for r in regularise_charlm.RUNS]
    steps = list(range(50, 1001, 50))
    for r in reg["rows"]:
        assert r["val_step"] == steps and len(r["val_bits"]) == len(steps)
        stop = regularise_charlm.early_stop(r["val_step"], r["val_bits"], reg["patience"])
        assert (r["best_bits"], r["best_step"], r["early_stop_at"]) == (
            stop["best_bits"],
            stop["best_step"],
            stop["stopped_at"],
        )
        assert r["best_bits"] == min(r["val_bits"]) and r["final_bits"] == r["val_bits"][-1]
    rows = {r["name"]: r for r in reg["rows"]}
    # the effects the lesson describes: the unregularised run overfits most at the end
    assert rows["none"]["final_bits"] - rows["none"]["best_bits"] > 1.0
    assert all(r["final_bits"] < rows["none"]["final_bits"] for r in reg["rows"][1:])


def test_early_stopping_in_the_trainer_agrees_with_the_curve_reading():
    """train_charmodel(patience=k) stops where early_stop reads it off the same curve."""
    from rnncourse.training import init_char_rnn, train_charmodel

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, size=3000)
    params = init_char_rnn(5, 16, np.random.default_rng(1))
    kw = dict(steps=120, N=4, T=8, eval_every=10, lr=0.05)
    _, full = train_charmodel(params, ids[:400], ids[2000:], **kw)
    _, stopped = train_charmodel(params, ids[:400], ids[2000:], patience=2, **kw)
    stop = regularise_charlm.early_stop(full["val_step"], full["val_bits"], 2)
    assert stopped["stopped_at"] == stop["stopped_at"]
    assert stopped["best_step"] == stop["best_step"]


def test_lesson_quotes_the_regularisation_results():
    out, md = _lesson()
    reg = _load("regularise_charlm.json")
    for r in reg["rows"]:
        line = (
            f"{r['name']:18s}   {r['train_bits_last50']:8.4f}   {r['best_bits']:8.4f} "
            f"({r['best_step']:4d})          {r['final_bits']:8.4f}          {r['early_stop_at']:5d}"
        )
        assert line in out, line
    rows = {r["name"]: r for r in reg["rows"]}
    for name, key in [("none", "best_bits"), ("none", "final_bits"), ("dropout 0.5", "final_bits"),
                      ("dropout 0.5", "best_bits"), ("weight decay 1e-3", "final_bits")]:  # fmt: skip
        assert f"{rows[name][key]:.4f}" in md, (name, key)


def test_batching_results_are_complete_and_padding_is_recomputed():
    bat = _load("batching.json")
    assert bat["command"] == "python -m rnncourse.experiments.batching"
    assert [r["how"] for r in bat["rows"]] == list(batching.WAYS)
    seqs, _ = batching.lines()
    lengths = np.array([len(s) for s in seqs])
    assert bat["sequences"] == len(seqs) and bat["max_length"] == int(lengths.max())
    for r in bat["rows"]:  # the first shuffle's padding is within the recorded range
        b = batches_by_length(lengths, bat["N"], r["how"], np.random.default_rng(0), 50)
        assert r["padded_work_min"] <= round(padded_work(lengths, b), 6) <= r["padded_work_max"]
    work = [r["padded_work"] for r in bat["rows"]]
    assert work[0] > work[1] > work[2]


def test_lesson_quotes_the_batching_results():
    out, md = _lesson()
    bat = _load("batching.json")
    base = bat["rows"][0]["epoch_seconds"]
    for r in bat["rows"]:
        line = (
            f"{r['how']:9s}  {r['padded_work']:11.3f}   {r['sequential_steps']:20,.0f}"
            f"   {r['batch_mean_length_std']:21.2f}   {r['epoch_seconds'] / base:14.2f}"
        )
        assert line in out, line
        assert f"{r['padded_work']:.3f}" in md


def test_an_early_stopped_run_closes_its_progress_bar_full(monkeypatch):
    """Early stopping is a success: the bar's total shrinks to what ran (not a red, short bar)."""
    import tqdm.auto

    from rnncourse.training import init_char_rnn, train_charmodel

    closed = []

    class Bar(tqdm.auto.tqdm):
        def close(self):
            closed.append((self.n, self.total))
            super().close()

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    ids = np.random.default_rng(0).integers(0, 5, size=3000)
    params = init_char_rnn(5, 16, np.random.default_rng(1))
    _, h = train_charmodel(params, ids[:400], ids[2000:], steps=400, N=4, T=8, eval_every=5,
                           lr=0.05, patience=1, progress=True)  # fmt: skip
    assert h["stopped_at"] < 400, "the run should have stopped early"
    assert closed and set(closed) == {(h["stopped_at"], h["stopped_at"])}  # tqdm may close twice
