"""tools/update.py (``make update``): a real upstream change pulled into scratch clones.

Each test makes a small course repository ("upstream"), clones it (the learner's copy), does to
the clone what a learner does (opens and saves a lesson, edits one, works in work/, changes a
package file), commits a change upstream, and runs the update on the clone. JupyterLab's own
save of a lesson (through its contents API) is in tests/test_browser.py.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import update

REPO = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 12, 2)
LESSON = "notebooks/02_hidden_state.ipynb"
EXERCISE = "exercises/02_hidden_state.ipynb"
PACKAGE = "rnncourse/__init__.py"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def git_identity(monkeypatch, tmp_path):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path))  # no global git configuration of the machine's


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def notebook(cells: list[tuple[str, str]], outputs: bool = False) -> str:
    """A notebook's JSON as nbformat writes it (source as a list of lines)."""
    nb_cells = []
    for i, (kind, source) in enumerate(cells):
        cell = {
            "cell_type": kind,
            "id": f"c{i:03d}",
            "metadata": {},
            "source": source.splitlines(True),
        }
        if kind == "code":
            cell["execution_count"] = 1 if outputs else None
            cell["outputs"] = (
                [{"name": "stdout", "output_type": "stream", "text": ["2\n"]}] if outputs else []
            )
        nb_cells.append(cell)
    nb = {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "rnncourse": {"lesson_id": "hidden_state"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


LESSON_V1 = notebook(
    [("markdown", "# The hidden state\n\nVersion 1."), ("code", "print(1 + 1)")], True
)
LESSON_V2 = notebook(
    [("markdown", "# The hidden state\n\nVersion 2."), ("code", "print(1 + 1)")], True
)


def opened_and_saved(text: str) -> str:
    """What JupyterLab does to a lesson it opens, runs and saves: kernelspec and language_info
    rewritten, outputs and execution counts new; no cell's source changed."""
    nb = json.loads(text)
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    nb["metadata"]["language_info"] = {
        "name": "python",
        "version": "3.11.7",
        "mimetype": "text/x-python",
    }
    for cell in nb["cells"]:
        cell["metadata"]["trusted"] = True
        if cell["cell_type"] == "code":
            cell["execution_count"] = 7
            cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "2\n"}]
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def edited(text: str) -> str:
    nb = json.loads(text)
    nb["cells"][1]["source"] = ["print(1 + 2)  # my own experiment\n"]
    return json.dumps(nb, indent=1) + "\n"


@pytest.fixture
def course(tmp_path):
    """(upstream, clone): a small course repository and the learner's clone of it."""
    up = tmp_path / "upstream"
    files = {
        LESSON: LESSON_V1,
        "notebooks/03_outputs.ipynb": notebook([("markdown", "# Outputs")]),
        EXERCISE: notebook([("code", "def f():\n    raise NotImplementedError")]),
        PACKAGE: '"""the package"""\n',
        ".gitignore": "work/\n",
        "README.md": "the course\n",
    }
    for rel, text in files.items():
        (up / rel).parent.mkdir(parents=True, exist_ok=True)
        (up / rel).write_text(text)
    git(up, "init", "-q", "-b", "main")
    git(up, "add", "-A")
    git(up, "commit", "-q", "-m", "course v1")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(up), str(clone))
    return up, clone


def upstream_change(up: Path, files: dict[str, str], message: str = "course v2") -> str:
    for rel, text in files.items():
        (up / rel).parent.mkdir(parents=True, exist_ok=True)
        (up / rel).write_text(text)
    git(up, "add", "-A")
    git(up, "commit", "-q", "-m", message)
    return git(up, "rev-parse", "HEAD").strip()


def run_update(clone: Path, capsys, *args: str) -> tuple[int, str]:
    rc = update.main(["--repo", str(clone), *args])
    out = capsys.readouterr()
    return rc, out.out + out.err


def head(clone: Path) -> str:
    return git(clone, "rev-parse", "HEAD").strip()


def test_an_opened_and_saved_lesson_is_restored_and_updated(course, capsys, monkeypatch):
    up, clone = course
    monkeypatch.setattr(update.datetime, "date", FixedDate)
    (clone / LESSON).write_text(opened_and_saved(LESSON_V1))
    assert git(clone, "status", "--porcelain").strip()  # what made `git pull` abort
    new = upstream_change(up, {LESSON: LESSON_V2})

    rc, out = run_update(clone, capsys)

    assert rc == 0, out
    assert head(clone) == new and (clone / LESSON).read_text() == LESSON_V2
    assert not (clone / "work").exists(), "an unedited lesson must not be kept as a copy"
    assert f"{LESSON} was restored" in out
    assert not git(clone, "status", "--porcelain").strip()


class FixedDate(datetime.date):
    @classmethod
    def today(cls):
        return TODAY


def test_an_edited_lesson_is_kept_in_work_and_then_updated(course, capsys, monkeypatch):
    up, clone = course
    monkeypatch.setattr(update.datetime, "date", FixedDate)
    mine = edited(opened_and_saved(LESSON_V1))
    (clone / LESSON).write_text(mine)
    (clone / "work" / "lessons").mkdir(parents=True)
    taken = clone / "work" / "lessons" / "02_hidden_state-2026-12-02.ipynb"
    taken.write_text("an earlier copy")  # never overwritten: the next name is used
    new = upstream_change(up, {LESSON: LESSON_V2})

    rc, out = run_update(clone, capsys)

    assert rc == 0, out
    kept = clone / "work" / "lessons" / "02_hidden_state-2026-12-02-2.ipynb"
    assert kept.read_text() == mine and taken.read_text() == "an earlier copy"
    assert head(clone) == new and (clone / LESSON).read_text() == LESSON_V2
    assert f"you had edited {LESSON}: it was kept as work/lessons/{kept.name}" in out


def test_work_is_never_touched(course, capsys):
    up, clone = course
    (clone / "work").mkdir()
    mine = clone / "work" / "02_hidden_state.ipynb"
    mine.write_text("my answers")
    record = clone / "work" / ".rnncourse-sync.json"
    record.write_text("{}")
    before = {p: p.read_bytes() for p in (clone / "work").rglob("*") if p.is_file()}
    new = upstream_change(up, {EXERCISE: notebook([("code", "def f():\n    return 2")])})

    rc, out = run_update(clone, capsys)

    assert rc == 0, out
    assert head(clone) == new
    assert {p: p.read_bytes() for p in (clone / "work").rglob("*") if p.is_file()} == before


def test_a_changed_package_file_refuses_and_changes_nothing(course, capsys, monkeypatch):
    up, clone = course
    monkeypatch.setattr(update.datetime, "date", FixedDate)
    (clone / PACKAGE).write_text('"""the package, changed by the learner"""\n')
    mine = edited(LESSON_V1)
    (clone / LESSON).write_text(mine)
    (clone / "README.md").unlink()
    old = head(clone)
    upstream_change(up, {LESSON: LESSON_V2, PACKAGE: '"""the package v2"""\n'})

    rc, out = run_update(clone, capsys)

    assert rc == 1
    assert f"{PACKAGE} (changed)" in out and "README.md (deleted)" in out
    assert LESSON not in out.split("only notebooks")[1]  # a notebook is not among the refusals
    assert head(clone) == old
    assert (clone / PACKAGE).read_text() == '"""the package, changed by the learner"""\n'
    assert (clone / LESSON).read_text() == mine and not (clone / "work").exists()
    assert "stash" not in git(clone, "stash", "list") + out.lower()


def test_commits_of_the_learners_own_refuse(course, capsys):
    up, clone = course
    (clone / "notes.txt").write_text("mine")
    git(clone, "add", "notes.txt")
    git(clone, "commit", "-q", "-m", "my notes")
    old = head(clone)
    upstream_change(up, {LESSON: LESSON_V2})
    rc, out = run_update(clone, capsys)
    assert rc == 1 and "commits of its own" in out and "my notes" in out
    assert head(clone) == old


def test_a_file_of_the_learners_where_the_update_brings_one_refuses(course, capsys):
    up, clone = course
    (clone / "notebooks" / "04_parameter_sharing.ipynb").write_text("my own notebook")
    upstream_change(up, {"notebooks/04_parameter_sharing.ipynb": notebook([("markdown", "# 04")])})
    old = head(clone)
    rc, out = run_update(clone, capsys)
    assert rc == 1 and "notebooks/04_parameter_sharing.ipynb" in out
    assert head(clone) == old
    assert (clone / "notebooks" / "04_parameter_sharing.ipynb").read_text() == "my own notebook"


def test_nothing_new_upstream_changes_nothing(course, capsys):
    _, clone = course
    saved = opened_and_saved(LESSON_V1)
    (clone / LESSON).write_text(saved)
    rc, out = run_update(clone, capsys)
    assert rc == 0 and "already up to date" in out
    assert (clone / LESSON).read_text() == saved


def test_a_dry_run_changes_nothing(course, capsys, monkeypatch):
    up, clone = course
    monkeypatch.setattr(update.datetime, "date", FixedDate)
    mine = edited(LESSON_V1)
    (clone / LESSON).write_text(mine)
    old = head(clone)
    upstream_change(up, {LESSON: LESSON_V2})
    rc, out = run_update(clone, capsys, "--dry-run")
    assert rc == 0, out
    assert "would be kept as work/lessons/02_hidden_state-2026-12-02.ipynb" in out
    assert head(clone) == old and (clone / LESSON).read_text() == mine
    assert not (clone / "work").exists()


@pytest.mark.parametrize(
    ("change", "is_edit"),
    [
        (lambda nb: nb["metadata"].update(kernelspec={"name": "python3"}), False),
        (lambda nb: nb["cells"][1].update(outputs=[], execution_count=None), False),
        (lambda nb: nb["cells"][1].update(source="print(1 + 1)"), False),  # a string, same text
        (lambda nb: nb["cells"][1]["metadata"].update(tags=["raises-exception"]), False),
        (lambda nb: nb["cells"][1].update(source="print(1 + 1)\n"), True),
        (lambda nb: nb["cells"].append({"cell_type": "code", "source": "", "metadata": {}}), True),
        (lambda nb: nb["cells"][0].update(cell_type="raw"), True),
        (lambda nb: nb["cells"].reverse(), True),
    ],
)
def test_what_counts_as_an_edit(course, change, is_edit):
    _, clone = course
    nb = json.loads(LESSON_V1)
    change(nb)
    (clone / LESSON).write_text(json.dumps(nb))
    assert update.is_edited(clone, LESSON) is is_edit


def test_an_unreadable_notebook_counts_as_edited(course):
    _, clone = course
    (clone / LESSON).write_text('{"cells": [')
    assert update.is_edited(clone, LESSON)
    (clone / LESSON).unlink()
    assert not update.is_edited(clone, LESSON)  # deleted: nothing of the learner's in it


def test_make_update_is_the_readmes_third_command():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    assert blocks[:3] == ["make lab\n", "make test\n", "make update\n"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^update: .*\n\t@\"\$\(PYTHON\)\" tools/bootstrap.py update$", makefile, re.M)


def test_bootstrap_runs_the_update_as_a_module(monkeypatch):
    import importlib

    bootstrap = importlib.import_module("tools.bootstrap")
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append((cmd, kwargs))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bootstrap.subprocess, "run", fake_run)
    assert bootstrap.main(["update", "--dry-run"]) == 0
    ((cmd, kwargs),) = calls
    assert cmd[1:] == ["-m", "tools.update", "--dry-run"] and kwargs["cwd"] == bootstrap.REPO
    assert os.path.samefile(cmd[0], os.sys.executable)
