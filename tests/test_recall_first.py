"""The recall-the-first-symbol experiment of lesson 6 (rnncourse.experiments.recall_first):
the input sensitivity, the committed results and the numbers the lesson quotes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnncourse.experiments import recall_first as rf
from rnncourse.models import init_model


def test_input_sensitivity_matches_finite_differences():
    rng = np.random.default_rng(0)
    p = init_model("rnn", D=3, H=5, K=3, rng=rng)
    x, y = rf.recall_batch(2, 4, 3, rng)
    sens = rf.input_sensitivity(p, x, y)
    from rnncourse.gradcheck import numerical_gradient
    from rnncourse.models import model_forward

    def score(v):
        logits, _ = model_forward(p, v)
        return logits[np.arange(2), y]

    dx = numerical_gradient(score, x, np.ones(2))
    np.testing.assert_allclose(sens, np.linalg.norm(dx, axis=2).mean(0), rtol=1e-6)


def _committed():
    assert rf.RESULTS.exists(), "run `python -m rnncourse.experiments.recall_first`"
    return json.loads(rf.RESULTS.read_text())


def test_committed_recall_results_load_and_show_the_effect():
    res = _committed()
    cfg = rf.RecallConfig()
    assert res["config"]["Ts"] == list(cfg.Ts) and res["config"]["steps"] == cfg.steps
    acc = {}
    for r in res["runs"]:
        acc.setdefault(r["T"], []).append(r["accuracy"])
        assert len(r["sensitivity"]) == r["T"]
    Ts = sorted(acc)
    assert np.mean(acc[Ts[0]]) > 0.95  # short sequences: learned
    assert np.mean(acc[Ts[-1]]) < 0.4  # long sequences: near chance (0.25)


@pytest.mark.slow
def test_committed_recall_results_reproduce():
    """Re-run the cheapest committed setting; the numbers must match exactly."""
    res = _committed()
    first = next(r for r in res["runs"] if r["T"] == 5 and r["seed"] == 0)
    again = rf.run_one(5, 0)
    assert again["accuracy"] == first["accuracy"]
    # the loss after 1,500 updates may move with BLAS rounding; within 5 % it is the same run
    assert again["final_loss"] == pytest.approx(first["final_loss"], rel=0.05)


def test_lesson6_quotes_the_committed_recall_numbers():
    """The lesson's stored table and its prose agree with results/recall_first.json."""
    import re

    import nbformat

    nb = nbformat.read(rf.RESULTS.parents[1] / "notebooks" / "06_vanishing_exploding.ipynb", 4)
    res = _committed()
    acc = {}
    for r in res["runs"]:
        acc.setdefault(r["T"], []).append(r["accuracy"])
    table = next(
        "".join(o.get("text", "") for o in c.outputs)
        for c in nb.cells
        if c.cell_type == "code"
        and "accuracy per seed" in "".join(o.get("text", "") for o in c.get("outputs", []))
    )
    for T, values in acc.items():
        row = f"{T:>3}  " + "  ".join(f"{a:.3f}" for a in values) + f"    {np.mean(values):.3f}"
        assert row in table
    best_long = max(a for T, v in acc.items() if T >= 30 for a in v)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(rf"T \\ge 30\$ reaches {best_long:.3f}", prose)
