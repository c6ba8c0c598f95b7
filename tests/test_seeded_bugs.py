"""The seeded-bug list (tools/seeded_bugs.json) is well formed and still applies to this tree.

These tests do not run the slow loop (``python -m tools.seeded_bugs`` does): they check that
every bug's ``find`` text occurs exactly once in its file, that writing the bug in changes one
line and leaves valid Python, and that its tests exist. When a refactor moves code, they fail
and the list is re-targeted. The runner itself is tested on a tiny throw-away repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import seeded_bugs as sb

REPO = Path(__file__).resolve().parents[1]
BUGS = sb.load_bugs()


def test_the_list_is_about_two_dozen_bugs_with_one_sentence_each():
    assert 20 <= len(BUGS) <= 40
    for bug in BUGS:
        assert bug.what.endswith(".") and "\n" not in bug.what, bug.id
        assert not Path(bug.file).is_absolute() and ".." not in Path(bug.file).parts, bug.id


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_bug_applies_to_exactly_one_place_and_changes_one_line(bug):
    path = REPO / bug.file
    assert path.is_file(), f"{bug.id}: no {bug.file}: the bug no longer applies, update the list"
    text = path.read_text(encoding="utf-8")
    assert text.count(bug.find) == 1, (
        f"{bug.id}: {bug.find!r} occurs {text.count(bug.find)} times in {bug.file}, expected "
        "once: the bug no longer applies, update tools/seeded_bugs.json"
    )
    bugged = sb.apply_bug(bug, text)
    before, after = text.splitlines(), bugged.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
    assert len(before) == len(after) and len(changed) == 1, f"{bug.id}: not a one-line bug"
    compile(bugged, bug.file, "exec")  # a seeded bug is a wrong result, not a syntax error


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_bug_tests_exist(bug):
    paths = sb.selected_paths(bug.tests)
    assert paths, f"{bug.id}: name at least one test file"
    for p in paths:
        assert (REPO / p).is_file(), f"{bug.id}: no {p}: update the bug's tests"


def test_malformed_lists_are_rejected(tmp_path):
    good = {"id": "x", "what": "w.", "file": "f.py", "find": "a", "replace": "b", "tests": ["t"]}
    for bad in (
        [{**good, "tests": []}],
        [{**good, "replace": "a"}],
        [{k: v for k, v in good.items() if k != "what"}],
        [good, good],
        [{**good, "id": "Has Spaces"}],
    ):
        path = tmp_path / "bugs.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError):
            sb.load_bugs(path)


def test_apply_bug_refuses_a_missing_or_repeated_target():
    bug = sb.Bug("x", "w.", "f.py", "a = 1", "a = 2", ("t",))
    assert sb.apply_bug(bug, "a = 1\n") == "a = 2\n"
    for text in ("b = 1\n", "a = 1\na = 1\n"):
        with pytest.raises(ValueError, match="bug no longer applies: update the list"):
            sb.apply_bug(bug, text)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_runner_reports_caught_missed_and_stale_and_leaves_the_tree_alone(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # a bare pytest is enough here
    repo = tmp_path / "repo"
    (repo / "rnncourse").mkdir(parents=True)
    (repo / "tests").mkdir()
    code = "def double(x):\n    return 2 * x\n\n\ndef half(x):\n    return x / 2\n"
    (repo / "rnncourse" / "__init__.py").write_text(code)
    (repo / "tests" / "test_double.py").write_text(
        "from rnncourse import double\n\n\ndef test_double():\n    assert double(3) == 6\n"
    )
    (repo / "pytest.ini").write_text("[pytest]\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    bugs = [
        {"id": "caught", "find": "return 2 * x", "replace": "return 3 * x", "k": "double"},
        {"id": "missed", "find": "return x / 2", "replace": "return x / 3"},
        {"id": "stale", "find": "return 4 * x", "replace": "return 5 * x"},
    ]
    common = {"what": "w.", "file": "rnncourse/__init__.py", "tests": ["tests/test_double.py"]}
    path = tmp_path / "bugs.json"
    entries = [{**common, **b} for b in bugs]
    for e in entries:  # a selection with options: -k
        if "k" in e:
            e["tests"] = [*e["tests"], "-k", e.pop("k")]
    path.write_text(json.dumps(entries))
    bugs_ids = [[b["id"]] for b in bugs]
    rc = sb.main(["--repo", str(repo), "--bugs", str(path), "--no-baseline"])
    out = capsys.readouterr().out
    assert rc == 1
    table = dict(line.split()[:2] for line in out.splitlines() if line.split()[:1] in bugs_ids)
    assert table == {"caught": "caught", "missed": "MISSED", "stale": "STALE"}, out
    assert "1 caught, 1 MISSED, 1 STALE, 0 error" in out
    assert (repo / "rnncourse" / "__init__.py").read_text() == code  # never modified
    assert sb.main(["--repo", str(repo), "--bugs", str(path), "--only", "caught"]) == 0
    assert "baseline: the bugs' tests pass without any bug" in capsys.readouterr().out


def test_doctests_of_the_command():
    import doctest

    assert doctest.testmod(sb).failed == 0
