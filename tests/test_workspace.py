"""rnncourse.workspace: exercises are copied into work/, and a learner's file is never touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnncourse import workspace
from rnncourse.workspace import CHANGED, COPY, MAYBE_CHANGED, UP_TO_DATE, apply_plan, plan_sync


def make_course(tmp_path: Path, names=("02_hidden_state.ipynb", "03_outputs.ipynb")) -> Path:
    source = tmp_path / "exercises"
    source.mkdir()
    for name in names:
        (source / name).write_text(f'{{"exercise": "{name}", "version": 1}}')
    return source


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and modification time (ns) of every file, to show nothing changed."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_first_sync_copies_every_exercise(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    actions = workspace.sync(source, work)
    assert [a.kind for a in actions] == [COPY, COPY]
    for a in actions:
        assert a.target.read_bytes() == a.source.read_bytes()
    assert workspace.read_record(work) == {a.source.name: a.digest for a in actions}


def test_second_sync_changes_nothing(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    workspace.sync(source, work)
    before = snapshot(work)
    actions = workspace.sync(source, work)
    assert [a.kind for a in actions] == [UP_TO_DATE, UP_TO_DATE]
    assert snapshot(work) == before  # not even the record is rewritten


def test_learner_edits_are_kept_and_not_reported(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    workspace.sync(source, work)
    mine = work / "02_hidden_state.ipynb"
    mine.write_text('{"my": "answer"}')
    before = snapshot(work)
    actions = workspace.sync(source, work)
    assert {a.target.name: a.kind for a in actions}["02_hidden_state.ipynb"] == UP_TO_DATE
    assert snapshot(work) == before


def test_changed_upstream_is_reported_not_copied(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    workspace.sync(source, work)
    (work / "02_hidden_state.ipynb").write_text('{"my": "answer"}')
    (source / "02_hidden_state.ipynb").write_text('{"exercise": "new version"}')
    before = snapshot(work)
    actions = workspace.sync(source, work)
    kinds = {a.target.name: a.kind for a in actions}
    assert kinds == {"02_hidden_state.ipynb": CHANGED, "03_outputs.ipynb": UP_TO_DATE}
    assert snapshot(work) == before
    text = workspace.report(actions, work)
    assert "02_hidden_state.ipynb has changed since your copy was made" in text
    assert "NOT touched" in text and "02_hidden_state-mine.ipynb" in text


def test_renaming_your_copy_gets_the_new_version(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    workspace.sync(source, work)
    (source / "02_hidden_state.ipynb").write_text('{"exercise": "new version"}')
    (work / "02_hidden_state.ipynb").rename(work / "02_hidden_state-mine.ipynb")
    actions = workspace.sync(source, work)
    assert {a.target.name: a.kind for a in actions}["02_hidden_state.ipynb"] == COPY
    assert (work / "02_hidden_state.ipynb").read_text() == '{"exercise": "new version"}'
    assert (work / "02_hidden_state-mine.ipynb").read_text().startswith('{"exercise"')


def test_copy_without_record_uses_modification_times(tmp_path):
    source = make_course(tmp_path, names=("02_hidden_state.ipynb",))
    work = tmp_path / "work"
    work.mkdir()
    mine = work / "02_hidden_state.ipynb"
    mine.write_text("made by hand")
    os.utime(mine, (1_000_000, 1_000_000))  # older than the exercise
    assert [a.kind for a in plan_sync(source, work)] == [MAYBE_CHANGED]
    os.utime(mine, None)
    os.utime(source / "02_hidden_state.ipynb", (1_000_000, 1_000_000))  # now the copy is newer
    assert [a.kind for a in plan_sync(source, work)] == [UP_TO_DATE]
    workspace.sync(source, work)
    assert mine.read_text() == "made by hand"


def test_apply_never_overwrites_a_file_that_appeared_after_planning(tmp_path):
    source = make_course(tmp_path, names=("02_hidden_state.ipynb",))
    work = tmp_path / "work"
    plan = plan_sync(source, work)
    assert [a.kind for a in plan] == [COPY]
    work.mkdir()
    (work / "02_hidden_state.ipynb").write_text("written meanwhile")
    done = apply_plan(plan, work)
    assert [a.kind for a in done] == [UP_TO_DATE]
    assert (work / "02_hidden_state.ipynb").read_text() == "written meanwhile"


def test_nothing_is_deleted_and_other_files_are_ignored(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "my_notes.ipynb").write_text("notes")
    (work / "scratch.py").write_text("x = 1")
    workspace.sync(source, work)
    assert (work / "my_notes.ipynb").read_text() == "notes"
    assert (work / "scratch.py").read_text() == "x = 1"
    assert sorted(p.name for p in work.iterdir()) == [
        ".rnncourse-sync.json",
        "02_hidden_state.ipynb",
        "03_outputs.ipynb",
        "my_notes.ipynb",
        "scratch.py",
    ]


def test_corrupt_record_is_treated_as_missing(tmp_path):
    source = make_course(tmp_path, names=("02_hidden_state.ipynb",))
    work = tmp_path / "work"
    work.mkdir()
    (work / workspace.RECORD_NAME).write_text("{not json")
    assert workspace.read_record(work) == {}
    assert [a.kind for a in workspace.sync(source, work)] == [COPY]


def test_main_reports_and_never_crashes(tmp_path, capsys):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    assert workspace.main(["--source", str(source), "--work", str(work)]) == 0
    out = capsys.readouterr().out
    assert "2 exercise notebook(s) copied, 0 already there" in out
    assert workspace.main(["--source", str(tmp_path / "missing"), "--work", str(work)]) == 1
    assert "no exercise folder" in capsys.readouterr().err
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert workspace.main(["--source", str(source), "--work", str(not_a_folder)]) == 1
    assert "not a folder" in capsys.readouterr().err


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_work_folder_is_an_error_message_not_a_crash(tmp_path, capsys):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o500)
    try:
        assert workspace.main(["--source", str(source), "--work", str(work)]) == 1
        assert "Permission denied" in capsys.readouterr().err
    finally:
        work.chmod(0o700)


def test_cli_entry_point(tmp_path):
    source = make_course(tmp_path, names=("02_hidden_state.ipynb",))
    work = tmp_path / "work"
    cmd = [
        sys.executable,
        "-m",
        "rnncourse",
        "sync-work",
        "--source",
        str(source),
        "--work",
        str(work),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (work / "02_hidden_state.ipynb").exists()
    assert "1 exercise notebook(s) copied" in out.stdout


def lesson_notebook(lesson_id: str, version: int) -> str:
    return f'{{"metadata": {{"rnncourse": {{"lesson_id": "{lesson_id}"}}}}, "version": {version}}}'


def test_an_exercise_renamed_upstream_is_matched_by_its_lesson_id(tmp_path):
    source = tmp_path / "exercises"
    source.mkdir()
    (source / "07_lstm.ipynb").write_text(lesson_notebook("lstm", 1))
    work = tmp_path / "work"
    workspace.sync(source, work)
    assert workspace.read_lessons(work) == {"lstm": "07_lstm.ipynb"}
    (work / "07_lstm.ipynb").write_text('{"my": "answer"}')
    # the course renames the file; the lesson id stays
    (source / "07_lstm.ipynb").rename(source / "07_lstm_gates.ipynb")
    before = snapshot(work)
    actions = workspace.sync(source, work)
    assert [(a.kind, a.target.name) for a in actions] == [(workspace.RENAMED, "07_lstm.ipynb")]
    assert snapshot(work) == before  # no second copy, nothing rewritten
    text = workspace.report(actions, work)
    assert "07_lstm_gates.ipynb is the new name" in text and "NOT touched" in text
    # the learner renames their copy to get the new version, as the report says
    (work / "07_lstm.ipynb").rename(work / "07_lstm-mine.ipynb")
    actions = workspace.sync(source, work)
    assert [a.kind for a in actions] == [COPY]
    assert (work / "07_lstm_gates.ipynb").read_text() == lesson_notebook("lstm", 1)
    assert workspace.read_lessons(work) == {"lstm": "07_lstm_gates.ipynb"}
    assert (work / "07_lstm-mine.ipynb").read_text() == '{"my": "answer"}'


def test_old_records_without_lessons_still_work(tmp_path):
    source = make_course(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    record = {name.name: workspace.sha256(name) for name in source.glob("*.ipynb")}
    (work / workspace.RECORD_NAME).write_text(json.dumps({"copied": record}))
    for name in source.glob("*.ipynb"):
        (work / name.name).write_bytes(name.read_bytes())
    actions = workspace.sync(source, work)
    assert [a.kind for a in actions] == [UP_TO_DATE, UP_TO_DATE]
    assert workspace.read_lessons(work) == {}
