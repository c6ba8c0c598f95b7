"""Lesson 10's "training in practice" results: committed, complete, and quoted by the lesson."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import numpy as np

from rnncourse.experiments import carry_state, init_adding
from rnncourse.experiments.train_it_yourself import CONFIG

REPO = Path(__file__).resolve().parents[1]
LESSON = REPO / "notebooks" / "10_train_it_yourself.ipynb"


def _lesson_text() -> str:
    nb = nbformat.read(LESSON, as_version=4)
    return "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )


def _csv(name: str) -> list[dict]:
    with (REPO / "results" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _init_rows():
    grid = _csv("adding_grid.csv")
    return _csv("init_adding.csv") + [dict(r, variant="tanh") for r in grid if r["cell"] == "rnn"]


def test_init_results_are_complete_and_record_their_command():
    rows = _csv("init_adding.csv")
    meta = json.loads((REPO / "results" / "init_adding.json").read_text(encoding="utf-8"))
    assert meta["command"].startswith("python -m rnncourse.experiments.init_adding")
    keys = {(r["variant"], int(r["T"]), int(r["seed"])) for r in rows}
    want = {
        (v, T, s) for v in init_adding.DEFAULT for T in init_adding.TS for s in init_adding.SEEDS
    }
    assert keys == want
    assert len(meta["curves"]) == len(rows)
    # the grid's settings, so that its tanh RNN rows are the baseline of the same experiment
    grid = json.loads((REPO / "results" / "adding_grid.json").read_text(encoding="utf-8"))
    assert meta["config"] == grid["config"]


def test_the_identity_initialisation_effect_shows():
    """The IRNN solves the adding problem at T = 50 in every seed, where the tanh RNN, with
    PyTorch's or an orthogonal W_hh, solves it in none."""
    rows = _init_rows()

    def solved(variant, T):
        return sum(
            r["solved"] == "True" for r in rows if r["variant"] == variant and r["T"] == str(T)
        )

    assert solved("relu, identity", 50) == 3
    assert solved("tanh", 50) == 0 and solved("tanh, orthogonal", 50) == 0


def test_lesson_quotes_the_init_table():
    text = _lesson_text()
    rows = _init_rows()
    for variant in ("tanh", "tanh, orthogonal", "relu, identity"):
        for T in ("50", "100", "200"):
            rs = [r for r in rows if r["variant"] == variant and r["T"] == T]
            solved = [int(r["solved_at"]) for r in rs if r["solved"] == "True"]
            its = ", ".join(map(str, solved)) if solved else "-"
            best = np.mean([float(r["best_mse"]) for r in rs])
            line = f"{variant:18s} {T:>4s}   {len(solved)} of {len(rs)}   {its:20s}  {best:.4f}"
            assert line in text, line


def test_carry_state_results_and_the_lesson_quotes_them():
    data = json.loads(carry_state.RESULTS.read_text(encoding="utf-8"))
    assert data["command"] == "python -m rnncourse.experiments.carry_state"
    rows = data["rows"]
    assert [(r["T"], r["carry"]) for r in rows] == carry_state.SETTINGS
    # the main run's model and settings, for twice its characters (the lesson says so)
    assert carry_state.CHARS == 2 * CONFIG["steps"] * CONFIG["T"] == 700 * 32
    assert [r["updates"] for r in rows] == [2800, 2800, 700, 700]
    text = _lesson_text()
    for r in rows:
        how = "carried" if r["carry"] else "reset"
        line = (
            f"{r['T']:2d}   {how:8s}   {r['updates']:7d}   {r['val_bits_carried']:17.4f}"
            f"           {r['val_bits_reset_every_T']:17.4f}"
            f" ({r['val_bits_reset_every_T'] - r['val_bits_carried']:+.4f})"
        )
        assert line in text, line
