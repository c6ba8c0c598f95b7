"""The counts of graded items, per lesson and per kind, and the points: held to thresholds.

Issue 17's thresholds: every lesson 01-09 has at least one item, at least 25 in all in
lessons 01-09, at least 8 of them not of the ``formula`` kind. ``python -m rnncourse.grading.catalogue --counts`` prints the same table.
"""

from __future__ import annotations

from pathlib import Path

from rnncourse.grading.catalogue import _table, counts, main
from rnncourse.grading.spec import KINDS

REPO = Path(__file__).resolve().parents[1]

# lesson -> (at least this many graded items, at least this many points)
LESSONS = {
    "01": (3, 6),
    "02": (2, 5),
    "03": (2, 5),
    "04": (1, 3),
    "05": (3, 9),
    "06": (3, 7),
    "07": (3, 11),
    "08": (2, 5),
    "09": (2, 4),
}
FIRST_NINE = [f"{n:02d}" for n in range(1, 10)]
KINDS_AT_LEAST = {"formula": 12, "numeric": 3, "choice": 4, "experiment": 1, "derivation": 1}


def test_counts_meet_the_thresholds():
    c = counts(REPO / "solutions")
    assert set(LESSONS) <= set(c["lessons"])
    for lesson, (items, points) in LESSONS.items():
        got = c["lessons"][lesson]
        assert got["items"] >= items, (lesson, got)
        assert got["points"] >= points, (lesson, got)
    for kind in KINDS:
        assert c["kinds"][kind] >= KINDS_AT_LEAST[kind], (kind, c["kinds"])
    assert c["items"] >= sum(i for i, _ in LESSONS.values())
    assert c["unused"] == [], "every catalogued item is graded by some notebook"


def test_lessons_01_to_09_meet_issue_17s_thresholds():
    """Every lesson 01-09 has an item; at least 25 in all there, at least 8 not formulas."""
    c = counts(REPO / "solutions")
    per = {n: c["lessons"].get(n, {}) for n in FIRST_NINE}
    assert all(got.get("items", 0) >= 1 for got in per.values()), per
    assert sum(got["items"] for got in per.values()) >= 25, per
    non_formula = sum(got["items"] - got["kinds"]["formula"] for got in per.values())
    assert non_formula >= 8, per


def test_points_follow_the_rule():
    """A warm-up is worth 1, any other item 2-5 (grading README, "Points")."""
    import nbformat

    from rnncourse.grading.notebooks import graded_cells

    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        for cell in graded_cells(nbformat.read(path, as_version=4)):
            assert 1 <= cell.points <= 5, (path.name, cell.grade_id, cell.points)


def test_the_command_prints_the_table(capsys):
    assert main(["--counts", "--source", str(REPO / "solutions")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["lesson", "items", *KINDS, "points"]
    assert out == _table(counts(REPO / "solutions")) + "\n"
    assert any(line.split()[0] == "total" for line in out.splitlines())
