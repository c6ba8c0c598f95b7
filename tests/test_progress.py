"""`rnncourse progress`: a learner's work/ graded for real, and never modified.

The work folder mixes what learners leave there: an exercise solved, one still a stub, one
answered wrongly beside a cell that raises, an untouched copy, a missing copy.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest

from rnncourse import progress as progress_module
from rnncourse.progress import NO_COPY, NOT_STARTED, Progress, main, progress

pytestmark = pytest.mark.notebooks

REPO = Path(__file__).resolve().parents[1]
HIDDEN, OUTPUTS = "02_hidden_state.ipynb", "03_outputs.ipynb"

RIGHT_STEP = '''def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    """One RNN step, written by a learner."""
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
'''
WRONG_LOSS = '''def softmax_cross_entropy(logits, targets):
    """A learner's wrong answer: no loss, no gradient."""
    return 0.0, np.zeros_like(logits)
'''


def snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` (new or removed files show up too)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def answered(exercise: Path, answers: dict[str, str], extra_cell: str | None = None) -> str:
    """The exercise notebook with some answer cells (by grade_id) replaced, as JSON text."""
    nb = nbformat.read(exercise, as_version=4)
    seen = set()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
            seen.add(gid)
    assert seen == set(answers), f"no answer cells {set(answers) - seen} in {exercise}"
    if extra_cell is not None:
        nb.cells.append(nbformat.v4.new_code_cell(extra_cell))
    return nbformat.writes(nb)


@pytest.fixture
def source(tmp_path) -> Path:
    """The course's exercises 02 and 03 (rnn_step_forward, rnn_forward; softmax_cross_entropy,
    output_forward, output_backward): the expectations below list exactly these."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    for name in (HIDDEN, OUTPUTS):
        shutil.copy2(REPO / "exercises" / name, folder / name)
    return folder


def by_exercise(table: Progress) -> dict[str, tuple[str, float, float, str]]:
    return {r.name: (r.status, r.points, r.max, r.message) for r in table.rows}


def test_mixed_work_is_graded_and_left_byte_identical(source, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / HIDDEN).write_text(answered(source / HIDDEN, {"rnn_step_forward": RIGHT_STEP}))
    (work / OUTPUTS).write_text(
        answered(source / OUTPUTS, {"softmax_cross_entropy": WRONG_LOSS}, extra_cell="1 / 0")
    )
    (work / "my_scratch.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    before = snapshot(work)

    table = progress(work, source)

    assert snapshot(work) == before, "progress modified the learner's work/"
    got = by_exercise(table)
    assert list(got) == [
        "rnn_step_forward",
        "rnn_forward",
        "softmax_cross_entropy",
        "output_forward",
        "output_backward",
    ]
    assert got["rnn_step_forward"][:3] == ("passed", 2.0, 2.0)
    assert got["rnn_step_forward"][3] == ""
    assert got["rnn_forward"][:3] == ("not started", 0.0, 3.0)
    assert "not implemented yet" in got["rnn_forward"][3]
    status, points, max_points, message = got["softmax_cross_entropy"]
    assert (status, points, max_points) == ("failed", 0.0, 3.0)
    assert message  # the checker's explanation, passed on
    assert any("ZeroDivisionError" in n for n in table.notes[OUTPUTS]), table.notes
    assert got["output_forward"][:3] == ("not started", 0.0, 2.0)
    assert got["output_backward"][:3] == ("not started", 0.0, 3.0)
    assert table.summary == "1 of 5 exercises pass; 1 failed; 3 not started."
    text = table.text(details=True)
    assert "✓ rnn_step_forward" in text and "✗ softmax_cross_entropy" in text
    assert "ZeroDivisionError" in text and "my_scratch" not in text


def test_untouched_copies_need_no_kernel_and_agree_with_grading(source, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(source / HIDDEN, work / HIDDEN)  # untouched; no copy of 03 at all
    before = snapshot(work)

    import rnncourse.grading.batch as batch

    real_grade_many = batch.grade_many

    def no_kernel(*args, **kwargs):
        raise AssertionError("an untouched copy was graded in a kernel")

    monkeypatch.setattr(batch, "grade_many", no_kernel)
    quick = progress(work, source)
    monkeypatch.setattr(batch, "grade_many", real_grade_many)
    graded = progress(work, source, regrade_all=True)

    assert snapshot(work) == before
    assert [(r.name, r.status) for r in quick.rows] == [
        ("rnn_step_forward", NOT_STARTED),
        ("rnn_forward", NOT_STARTED),
        ("softmax_cross_entropy", NO_COPY),
        ("output_forward", NO_COPY),
        ("output_backward", NO_COPY),
    ]
    assert [(r.name, r.status, r.message) for r in quick.rows] == [
        (r.name, r.status, r.message) for r in graded.rows
    ], "the shortcut for untouched copies must say what grading says"


def test_command_prints_the_table(source, tmp_path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(source / OUTPUTS, work / OUTPUTS)
    assert main(["--work", str(work), "--source", str(source)]) == 0
    out = capsys.readouterr().out
    assert "02_hidden_state.ipynb" in out and "- rnn_forward" in out and "no copy" in out
    assert "· softmax_cross_entropy" in out
    assert "· output_forward" in out and "· output_backward" in out
    assert out.rstrip().endswith("0 of 5 exercises pass; 3 not started; 2 no copy.")


def test_missing_work_folder_is_explained(source, tmp_path, capsys):
    table = progress(tmp_path / "nowhere", source)
    assert table.rows == [] and "make lab" in table.problem
    assert "make lab" in table._repr_html_()
    assert main(["--work", str(tmp_path / "nowhere"), "--source", str(source)]) == 1
    assert "rnncourse sync-work" in capsys.readouterr().out
    assert main(["--source", str(tmp_path / "no-such-source")]) == 2


def test_html_table_has_every_exercise(source, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(source / HIDDEN, work / HIDDEN)
    page = progress(work, source)._repr_html_()
    assert page.count("<tr>") == 1 + 5  # header + one row per exercise
    names = ("rnn_step_forward", "rnn_forward", "softmax_cross_entropy", "output_forward")
    for name in (*names, "output_backward"):
        assert f"<code>{name}</code>" in page


def test_default_folders_are_the_course_root(monkeypatch, tmp_path):
    monkeypatch.setattr(progress_module, "_course_root", lambda: tmp_path)
    table = progress()
    assert table.work == tmp_path / "work" and table.source == tmp_path / "exercises"
    assert "No exercise notebooks" in table.problem


def test_a_renamed_copy_is_matched_by_its_lesson_id(source, tmp_path):
    """A learner who renamed a copy (as the README suggests before fetching a new version) still
    sees it graded: copies are matched to exercises by ``metadata.rnncourse.lesson_id``."""
    work = tmp_path / "work"
    work.mkdir()
    renamed = work / HIDDEN.replace(".ipynb", "-mine.ipynb")
    renamed.write_text(answered(source / HIDDEN, {"rnn_step_forward": RIGHT_STEP}))
    shutil.copy2(source / HIDDEN, work / HIDDEN)  # the fresh copy, untouched
    unrelated = nbformat.v4.new_notebook()
    unrelated.metadata["rnncourse"] = {"lesson_id": "no_such_lesson"}
    (work / "notes.ipynb").write_text(nbformat.writes(unrelated))
    before = snapshot(work)

    table = progress(work, source)

    assert snapshot(work) == before
    seen = [(r.notebook, r.name, r.status) for r in table.rows if r.notebook.startswith("02")]
    assert (HIDDEN, "rnn_step_forward", "not started") in seen
    assert (renamed.name, "rnn_step_forward", "passed") in seen
    assert [r.notebook for r in table.rows].index(HIDDEN) < [r.notebook for r in table.rows].index(
        renamed.name
    )
    assert all(r.notebook != "notes.ipynb" for r in table.rows)
    assert any(r.notebook == OUTPUTS and r.status == "no copy" for r in table.rows)


def test_every_exercise_notebook_of_the_course_is_listed(tmp_path):
    """The course's own exercises/: every notebook (lessons 01 and 09 included) and every graded
    cell in it has a row, before the learner has made any copy."""
    (tmp_path / "work").mkdir()
    table = progress(tmp_path / "work", REPO / "exercises")
    notebooks = {r.notebook for r in table.rows}
    assert {p.name for p in (REPO / "exercises").glob("[0-9][0-9]_*.ipynb")} == notebooks
    assert {"01_why_sequences.ipynb", "09_applications.ipynb"} <= notebooks
    names = {r.name for r in table.rows}
    assert {"bag_of_words", "sliding_windows", "parameter_counts", "unigram_bits"} <= names
    assert {"bits_per_char", "output_backward", "truncated_bptt", "lstm_forward"} <= names
    assert "gru_step_backward" in names
    assert all(r.status == NO_COPY for r in table.rows)
