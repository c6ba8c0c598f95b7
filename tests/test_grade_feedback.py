"""`rnncourse grade`'s feedback folder: beside the gradebook unless told (it was the current
folder, wherever --json pointed)."""

from __future__ import annotations

from pathlib import Path

from rnncourse.grading import batch


def run_main(monkeypatch, tmp_path, *args: str) -> Path:
    (tmp_path / "solutions").mkdir()
    submission = tmp_path / "alice.ipynb"
    submission.write_text("{}")
    written = {}
    entry = {
        "student": "alice", "file": str(submission), "source": "", "total": 0.0, "max": 1.0,
        "flags": [], "exercises": {},
    }  # fmt: skip
    monkeypatch.setattr(batch, "grade_many", lambda paths, source, **kw: [entry])
    monkeypatch.setattr(
        batch, "write_outputs", lambda entries, j, c, feedback: written.update(feedback=feedback)
    )
    monkeypatch.chdir(tmp_path)
    assert batch.main([str(submission), "--source", str(tmp_path / "solutions"), *args]) == 0
    return written["feedback"]


def test_feedback_goes_beside_the_json_gradebook(monkeypatch, tmp_path):
    out = tmp_path / "results" / "week1"
    out.mkdir(parents=True)
    assert run_main(monkeypatch, tmp_path, "--json", str(out / "grades.json")) == out / "feedback"


def test_feedback_beside_the_csv_without_json(monkeypatch, tmp_path):
    out = tmp_path / "csvs"
    out.mkdir()
    assert run_main(monkeypatch, tmp_path, "--csv", str(out / "g.csv")) == out / "feedback"


def test_feedback_where_told_or_in_the_current_folder(monkeypatch, tmp_path):
    told = tmp_path / "mine"
    assert run_main(monkeypatch, tmp_path, "--json", "g.json", "--feedback", str(told)) == told
    assert run_main_again(monkeypatch, tmp_path) == Path("feedback")


def run_main_again(monkeypatch, tmp_path) -> Path:
    second = tmp_path / "second"
    second.mkdir()
    return run_main(monkeypatch, second)
