"""Batch grading: a folder of submissions, hostile ones included, gets a correct gradebook."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from rnncourse.cli import main as cli_main
from rnncourse.grading.batch import Limits, grade_notebook

REPO = Path(__file__).resolve().parents[1]
SOLUTION = REPO / "solutions" / "02_hidden_state.ipynb"

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

CORRECT_STEP = """
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
"""
NO_TANH_STEP = """
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h
"""
SELF_CONTAINED_FORWARD = """
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    return np.stack(hs, axis=1)
"""


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _insert_after(nb, grade_id, source):
    i = nb.cells.index(_cell(nb, grade_id))
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))


def _submissions(folder: Path) -> dict[str, str]:
    """Write the class's notebooks; return the expected status of each exercise per student."""
    base = nbformat.read(SOLUTION, as_version=4)
    made = {}

    def save(name, nb):
        nbformat.write(nb, folder / f"{name}.ipynb")

    save("alice", copy.deepcopy(base))  # the solution itself: full marks
    made["alice"] = ("passed", "passed")

    stub = nbformat.read(REPO / "exercises" / "02_hidden_state.ipynb", as_version=4)
    save("bob", stub)
    made["bob"] = ("not-implemented", "not-implemented")

    hang = copy.deepcopy(base)  # a hanging cell, and a function that never returns
    _insert_after(hang, "rnn_step_forward", "while True:\n    pass")
    _cell(
        hang, "rnn_forward"
    ).source = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    while True:\n        pass"
    save("carol_hang", hang)
    made["carol_hang"] = ("passed", "timeout")

    crash = copy.deepcopy(base)  # kills its kernel
    _insert_after(crash, "rnn_step_forward", "import os\nos._exit(1)")
    save("dave_crash", crash)
    made["dave_crash"] = ("error", "error")

    exits = copy.deepcopy(base)  # sys.exit in a cell and inside a graded function
    _insert_after(exits, "rnn_step_forward", "import sys\nsys.exit(3)")
    _cell(
        exits, "rnn_forward"
    ).source = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    import sys\n    sys.exit(0)"
    save("erin_exit", exits)
    made["erin_exit"] = ("passed", "error")

    noisy = copy.deepcopy(base)  # megabytes of output, and a 3 GB allocation
    _insert_after(noisy, "rnn_step_forward", "for i in range(10**6):\n    print('x' * 100)")
    _insert_after(noisy, "rnn_step_forward", "big = np.zeros(3 * 2**30 // 8)")
    save("frank_noisy", noisy)
    made["frank_noisy"] = ("passed", "passed")

    cheat = copy.deepcopy(base)  # wrong step; tampered tests; redefined check; patched numpy
    _cell(cheat, "rnn_step_forward").source = NO_TANH_STEP
    _cell(cheat, "rnn_forward").source = SELF_CONTAINED_FORWARD
    _cell(cheat, "test_rnn_step_forward").source = "pass"
    _cell(cheat, "test_rnn_step_forward").metadata["nbgrader"]["points"] = 100
    cheat.cells.remove(_cell(cheat, "test_rnn_forward"))
    _insert_after(
        cheat,
        "rnn_step_forward",
        "import numpy\nimport rnncourse.grading\n"
        "check = lambda *a, **k: None\nrnncourse.grading.check = check\n"
        "numpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None",
    )
    save("grace_cheat", cheat)
    made["grace_cheat"] = ("failed", "passed")

    stubborn = copy.deepcopy(base)  # ignores the interrupt: its kernel must be stopped
    _insert_after(
        stubborn,
        "rnn_step_forward",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    )
    save("ivan_stubborn", stubborn)
    made["ivan_stubborn"] = ("timeout", "timeout")

    (folder / "heidi_broken.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
    made["heidi_broken"] = ("error", "error")
    return made


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_grade_a_hostile_class(tmp_path, capsys):
    folder = tmp_path / "submitted"
    folder.mkdir()
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(SOLUTION, source / SOLUTION.name)
    expected = _submissions(folder)
    before = _digest(folder)
    out = tmp_path / "out"
    argv = [
        "grade", str(folder), "--source", str(source),
        "--json", str(tmp_path / "grades.json"), "--csv", str(tmp_path / "grades.csv"),
        "--feedback", str(out), "--workers", "2",
        "--cell-timeout", "10", "--call-timeout", "5", "--total-timeout", "90", "--memory-mb", "2048",
        "--hints", "3",
    ]  # fmt: skip
    assert cli_main(argv) == 0
    assert _digest(folder) == before, "submissions must never be modified"

    book = json.loads((tmp_path / "grades.json").read_text())
    entries = {e["student"]: e for e in book["submissions"]}
    assert set(entries) == set(expected)
    points = {"test_rnn_step_forward": 2.0, "test_rnn_forward": 3.0}
    for student, statuses in expected.items():
        e = entries[student]
        assert set(e) == {"file", "student", "total", "max", "exercises"}
        assert e["max"] == 5.0, student
        got = (
            e["exercises"]["test_rnn_step_forward"]["status"],
            e["exercises"]["test_rnn_forward"]["status"],
        )
        assert got == statuses, (student, e["exercises"])
        total = sum(points[g] for g, s in zip(points, statuses, strict=True) if s == "passed")
        assert e["total"] == total, student
        for gid, x in e["exercises"].items():
            assert set(x) == {"points", "max", "status", "message"}
            assert x["max"] == points[gid]
            assert (x["status"] == "passed") == (x["message"] == "")

    ex = {s: entries[s]["exercises"] for s in entries}
    assert "endless loop" in ex["carol_hang"]["test_rnn_forward"]["message"]
    assert "kernel died" in ex["dave_crash"]["test_rnn_step_forward"]["message"]
    assert "SystemExit" in ex["erin_exit"]["test_rnn_forward"]["message"]
    assert "apply the nonlinearity" in ex["grace_cheat"]["test_rnn_step_forward"]["message"]
    assert "could not read the notebook" in ex["heidi_broken"]["test_rnn_step_forward"]["message"]
    assert "ignored the interrupt" in ex["ivan_stubborn"]["test_rnn_forward"]["message"]

    with (tmp_path / "grades.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == sorted(expected)
    row = {r["student"]: r for r in rows}
    assert row["alice"]["total"] == "5" and row["alice"]["test_rnn_forward_status"] == "passed"
    assert row["grace_cheat"]["test_rnn_step_forward"] == "0" and row["grace_cheat"]["total"] == "3"

    feedback = {p.stem: p.read_text() for p in out.glob("*.txt")}
    assert set(feedback) == set(expected)
    assert "Score: 5 / 5" in feedback["alice"]
    noisy = feedback["frank_noisy"]
    assert "printed more than" in noisy and "MemoryError" in noisy
    assert "ran longer than 10 s" in feedback["carol_hang"]
    assert re.search(r"^alice +5 / 5$", capsys.readouterr().out, re.M)


def test_grade_notebook_returns_per_exercise_status(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    _cell(
        nb, "rnn_forward"
    ).source = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    raise NotImplementedError()"
    path = tmp_path / "02_hidden_state.ipynb"
    nbformat.write(nb, path)
    entry = grade_notebook(path, REPO / "exercises", limits=Limits(cell_timeout=10, call_timeout=5))
    assert entry["source"].endswith("exercises/02_hidden_state.ipynb")
    assert {k: v["status"] for k, v in entry["exercises"].items()} == {
        "test_rnn_step_forward": "passed",
        "test_rnn_forward": "not-implemented",
    }
    assert entry["total"] == 2.0 and entry["max"] == 5.0


def test_usage_errors(tmp_path, capsys):
    assert cli_main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(SOLUTION, a / "x.ipynb")
    shutil.copy(SOLUTION, b / "x.ipynb")
    assert (
        cli_main(
            ["grade", str(a / "x.ipynb"), str(b / "x.ipynb"), "--source", str(REPO / "solutions")]
        )
        == 2
    )
    assert "--student-from parent" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["05_bptt.ipynb", "07_lstm.ipynb"])
def test_batch_grading_gives_the_solutions_full_points(name):
    """The grader's inputs cross into the learner's kernel as they are: an int stays an int
    (truncated_bptt's chunk length k: `range(0, T, k)` needs one) and an optional argument left
    out stays None (lstm_forward's W_hr), with the hidden tests too."""
    path = REPO / "solutions" / name
    entry = grade_notebook(path, REPO / "solutions", limits=Limits(cell_timeout=30, call_timeout=5))
    statuses = {k: v["status"] for k, v in entry["exercises"].items()}
    assert set(statuses.values()) == {"passed"}, entry["exercises"]
    assert entry["total"] == entry["max"] > 0
