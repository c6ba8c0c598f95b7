"""The committed multi-seed forecast (results/forecast_seeds.json) and what lesson 9 says of it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import nbformat
import numpy as np

from rnncourse.experiments import forecast
from rnncourse.experiments.forecast_seeds import main, run_seeds

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "results" / "forecast_seeds.json"
LESSON = REPO / "notebooks" / "09_applications.ipynb"


def _lesson_texts() -> tuple[str, str]:
    """(stored text outputs, markdown) of lesson 9."""
    nb = nbformat.read(LESSON, as_version=4)
    out, md = [], []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            md.append(cell.source)
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out), "\n".join(md)


def test_committed_forecast_seeds_are_the_lessons_settings():
    meta = json.loads(RESULT.read_text())
    assert meta["config"] == asdict(forecast.ForecastConfig())
    assert [r["seed"] for r in meta["runs"]] == list(range(10))
    assert meta["command"].startswith("python -m rnncourse.experiments.forecast_seeds")
    # the AR model has no seed: recomputed here it gives the file's errors
    from rnncourse.datasets import load_co2

    _, y = load_co2()
    train, tail = forecast.split(y, meta["horizon"])
    ar = forecast.errors(forecast.ar_forecast(train, meta["horizon"], p=24), tail)
    assert {k: round(v, 6) for k, v in ar.items()} == meta["ar24"]


def test_lesson_9_quotes_the_multi_seed_forecast():
    meta = json.loads(RESULT.read_text())
    out, md = _lesson_texts()
    rmses = np.array([r["rmse"] for r in meta["runs"]])
    ar = meta["ar24"]["rmse"]
    below = int(np.sum(rmses < ar))
    assert "GRU RMSE by seed (ppm): " + ", ".join(f"{v:.2f}" for v in rmses) in out
    assert f"below AR(24)'s {ar:.2f} in {below} of {len(rmses)} seeds" in out
    assert f"median {np.median(rmses):.2f}, best {rmses.min():.2f}, worst {rmses.max():.2f}" in out
    # the live run of the lesson is seed 0 of the file
    assert f"seed 0 in the file: RMSE {rmses[0]:.2f} ppm (the run above: {rmses[0]:.2f})" in out
    # the prose: how many seeds win and lose, the median and the worst
    words = {7: "Seven", 3: "three"}
    assert f"{words[below]} seeds of ten beat the linear model and {words[10 - below]} lose" in md
    assert f"wins on {below} of 10 seeds and loses on {10 - below}" in md
    assert f"{np.median(rmses):.2f} against {ar:.2f} ppm" in md
    assert f"({rmses.min():.2f} to {rmses.max():.2f})" in md


def test_command_writes_the_result(tmp_path, monkeypatch):
    small = forecast.ForecastConfig(steps=2)
    result = run_seeds([0, 1], small)
    assert [r["seed"] for r in result["runs"]] == [0, 1]
    assert result["config"]["steps"] == 2
    monkeypatch.setattr(
        "rnncourse.experiments.forecast_seeds.run_seeds", lambda seeds: run_seeds(seeds, small)
    )
    out = tmp_path / "fs.json"
    assert main(["--seeds", "3", "--out", str(out)]) == 0
    meta = json.loads(out.read_text())
    assert [r["seed"] for r in meta["runs"]] == [3] and "--seeds 3" in meta["command"]
