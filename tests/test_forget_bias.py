"""The forget-gate-bias ablation (results/forget_bias.*) and what lesson 7 says of it; the
marker-blind bound of the adding problem."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import nbformat
import numpy as np
import pytest

from rnncourse.experiments.adding import (
    BASELINE_MSE,
    AddingConfig,
    held_out_batch,
    initial_params,
    load_grid,
    marker_blind_mse,
    marker_blind_prediction,
)
from rnncourse.experiments.forget_bias import arm_config, load_ablation, main, run_one, summary
from rnncourse.tasks import adding_problem

REPO = Path(__file__).resolve().parents[1]
ABLATION = REPO / "results" / "forget_bias.csv"
GRID = REPO / "results" / "adding_grid.csv"
LESSON = REPO / "notebooks" / "07_lstm.ipynb"


def _lesson_texts() -> tuple[str, str]:
    """(stored stream outputs, markdown) of lesson 7."""
    nb = nbformat.read(LESSON, as_version=4)
    out = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    return "\n".join(out), "\n".join(md)


def test_committed_ablation_is_complete_and_at_the_grids_settings():
    meta = json.loads(ABLATION.with_suffix(".json").read_text())
    assert meta["complete"] is True
    assert meta["config"] == asdict(AddingConfig())  # the committed grid's settings
    assert meta["arms"] == {"default": {"forget_bias": None}, "bias 1": {"forget_bias": 1.0}}
    rows = load_ablation(ABLATION)
    keys = {(r["arm"], r["T"], r["seed"]) for r in rows}
    assert keys == {
        (a, T, s) for a in ("default", "bias 1") for T in (50, 100, 200) for s in range(5)
    }
    assert len(rows) == 30 and len(meta["runs"]) == 30
    # the bias-1 arm is the adding grid's LSTM: seeds 0-2 give exactly its rows
    grid = {(r["T"], r["seed"]): r for r in load_grid(GRID) if r["cell"] == "lstm"}
    for r in rows:
        if r["arm"] == "bias 1" and (r["T"], r["seed"]) in grid:
            g = grid[r["T"], r["seed"]]
            assert (r["solved_at"], r["final_mse"]) == (g["solved_at"], g["final_mse"])


def test_the_two_arms_differ_only_in_the_forget_bias():
    a = initial_params("lstm", 3, arm_config("default"))
    b = initial_params("lstm", 3, arm_config("bias 1"))
    H = AddingConfig().H
    for k in a:
        if k != "b":
            assert np.array_equal(a[k], b[k]), k
    assert np.array_equal(np.delete(a["b"], np.s_[H : 2 * H]), np.delete(b["b"], np.s_[H : 2 * H]))
    assert np.all(b["b"][H : 2 * H] == 1.0) and np.all(np.abs(a["b"][H : 2 * H]) < 2 / np.sqrt(H))


def _paired(rows):
    """Per T: (seeds sooner with bias 1, seeds later, median default, median bias 1)."""
    arm = {(r["arm"], r["T"], r["seed"]): r["solved_at"] for r in rows}
    out = {}
    for T in (50, 100, 200):
        pairs = [(arm["default", T, s], arm["bias 1", T, s]) for s in range(5)]
        inf = float("inf")
        sooner = sum((b or inf) < (d or inf) for d, b in pairs)
        later = sum((b or inf) > (d or inf) for d, b in pairs)
        med = [
            float(np.median([v for v in col if v is not None])) for col in zip(*pairs, strict=True)
        ]
        out[T] = (sooner, later, *med)
    return out


def test_lesson_7_quotes_the_ablation():
    rows = load_ablation(ABLATION)
    out, md = _lesson_texts()
    assert summary(rows) in out
    paired = _paired(rows)
    for T, (sooner, later, med_d, med_b) in paired.items():
        assert (
            f"T = {T:3d}: bias 1 solved sooner on {sooner} of 5 seeds, later on {later}; "
            f"median iterations of the solved runs: default {med_d:.0f}, bias 1 {med_b:.0f}"
        ) in out
    solved = {
        (a, T): sum(r["solved"] for r in rows if r["arm"] == a and r["T"] == T)
        for a in ("default", "bias 1")
        for T in (50, 100, 200)
    }
    # what the prose says
    assert all(solved[a, T] == 5 for a in ("default", "bias 1") for T in (50, 100))
    assert solved["default", 200] == solved["bias 1", 200] == 4
    assert "four of five at $T = 200$, failing on different seeds" in md
    failed = {
        a: [r["seed"] for r in rows if r["arm"] == a and r["T"] == 200 and not r["solved"]]
        for a in ("default", "bias 1")
    }
    assert failed["default"] != failed["bias 1"]
    assert paired[50][:2] == paired[100][:2] == (3, 2) and paired[200][:2] == (2, 3)
    assert (
        "sooner on three seeds of five at $T = 50$ and $T = 100$ and later on the other two" in md
    )
    assert "at $T = 200$ it was sooner on two and later on three" in md
    p50, p100, p200 = paired[50], paired[100], paired[200]
    assert (
        f"({p50[3]:.0f} against {p50[2]:.0f}, {p100[3]:.0f} against {p100[2]:.0f}) and higher at "
        f"$T = 200$ ({p200[3]:.0f} against {p200[2]:.0f})"
    ) in md
    assert "no consistent head start" in md
    assert (
        "Gers, Schmidhuber & Cummins (2000)" in md
        and "Jozefowicz, Zaremba & Sutskever (2015)" in md
    )


def test_run_one_and_the_command(tmp_path):
    small = AddingConfig(H=3, iters=4, eval_every=2, n_test=8)
    row, curve = run_one("default", 5, 0, small)
    assert row["arm"] == "default" and curve["iters"] == [0, 2, 4]
    out = tmp_path / "fb.csv"
    args = ["--T", "4", "--seeds", "0", "--iters", "2", "--jobs", "1", "--out", str(out)]
    assert main(args) == 0
    assert {r["arm"] for r in load_ablation(out)} == {"default", "bias 1"}
    assert main([*args, "--resume"]) == 0  # nothing left to run
    with pytest.raises(ValueError, match="arm must be one of"):
        arm_config("bias 2")


@pytest.mark.parametrize("T", [2, 7, 50, 200])
def test_marker_blind_mse_is_the_halves_means_error(T):
    x, y = adding_problem(20_000, T, np.random.default_rng(T))
    err = (y - marker_blind_prediction(x)) ** 2
    standard_error = err.std() / np.sqrt(err.size)
    assert abs(err.mean() - marker_blind_mse(T)) < 4 * standard_error + 1e-12
    assert marker_blind_mse(T) <= BASELINE_MSE
    if T % 2 == 0:
        assert marker_blind_mse(T) == pytest.approx(BASELINE_MSE * (1 - 2 / T))


def test_lesson_7_compares_the_rnn_with_the_marker_blind_best():
    """Two RNN runs of the grid end clearly (> 0.01) below the marker-blind best on their own
    test set, both at T = 50; the rest end within 0.0074 of it, as lesson 7 says."""
    diffs = {}
    for r in load_grid(GRID):
        if r["cell"] == "rnn":
            x, y = held_out_batch(r["T"], r["seed"])
            diffs[r["T"], r["seed"]] = r["final_mse"] - np.mean(
                (y - marker_blind_prediction(x)) ** 2
            )
    clearly = sorted(k for k, d in diffs.items() if d < -0.01)
    assert clearly == [(50, 0), (50, 2)]
    rest = [d for k, d in diffs.items() if k[0] > 50]
    assert f"{min(rest):+.4f}" == "-0.0007" and f"{max(rest):+.4f}" == "+0.0074"
    _, md = _lesson_texts()
    assert "two runs end clearly\nbelow the marker-blind best, both at $T = 50$" in md
    assert "between 0.0007 below and 0.0074 above it" in md
