"""The instructor kit: the timetable generator's arithmetic, and the kit's files and links."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from tools import measure_runtimes

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def measure():
    return measure_runtimes


ALL = {f"{n:02d}": (f"Lesson {n}", f"{n:02d}_topic.ipynb") for n in range(13)}
EXERCISES = {"02", "03", "04", "05", "06", "07", "08", "10", "11", "12"}


def minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def days(rows: list[list[str]]) -> list[list[list[str]]]:
    out: list[list[list[str]]] = [[]]
    for row in rows:
        if row[0].startswith("**Day") and out[-1]:
            out.append([])
        if not row[0].startswith("**"):
            out[-1].append(row)
    return out


@pytest.mark.parametrize("plan", ["ONE_DAY", "THREE_DAY"])
def test_full_course_fits_the_working_day(measure, plan):
    rows = measure.schedule(getattr(measure, plan), ALL, EXERCISES, {"notebooks": {}})
    for day in days(rows):
        assert minutes(day[0][0]) == 9 * 60
        assert minutes(day[-1][0]) <= 17 * 60, day[-1]
        for row, nxt in itertools.pairwise(day):  # each slot starts when the one before ends
            assert minutes(nxt[0]) == minutes(row[0]) + int(row[2]), (row, nxt)


def test_every_lesson_is_in_the_three_day_plan(measure):
    rows = measure.schedule(measure.THREE_DAY, ALL, EXERCISES, {"notebooks": {}})
    text = "\n".join(r[1] for r in rows)
    for number, (title, _) in ALL.items():
        assert f"{number} {title}" in text
    for number in EXERCISES:
        assert f"{number} exercises" in text


def test_missing_lessons_are_skipped_and_pauses_do_not_pile_up(measure):
    found = {k: v for k, v in ALL.items() if k in ("00", "01", "06")}
    rows = measure.schedule(measure.THREE_DAY, found, set(), {"notebooks": {}})
    labels = [r[1] for r in rows]
    assert not any(a == b == "*break*" for a, b in itertools.pairwise(labels))
    assert not any(a.startswith("*lunch") and b == "*break*" for a, b in itertools.pairwise(labels))
    assert "02 Lesson 2" not in labels


def test_measured_times_are_shown(measure):
    runtimes = {"notebooks": {"notebooks/02_topic.ipynb": {"seconds": 12.3, "peak_memory_mb": 140}}}
    rows = measure.schedule(measure.ONE_DAY, ALL, {"02"}, runtimes)
    lesson = next(r for r in rows if r[1] == "02 Lesson 2")
    exercise = next(r for r in rows if r[1].startswith("02 exercises"))
    assert lesson[3] == "12 s" and exercise[3] == "not measured"


@pytest.mark.parametrize("name", ["README.md", "jupyterhub.md"])
def test_instructor_guide_links_exist(name):
    guide = REPO / "instructors" / name
    text = guide.read_text()
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (guide.parent / target).exists(), f"instructors/{name} links to {target}"
    needed = {
        "README.md": ("### BEGIN HIDDEN TESTS", "rnncourse grade", "nbgitpuller", "timetable.md"),
        "jupyterhub.md": (
            "git-pull?repo=",
            "is **tested**",
            "**Not tested**",
            "make hub-test",
            "jupyterhub_config_local.py",
            "<!-- collect-and-grade -->",
            "config.yaml",
            "jupyterhub_config.py",
        ),
    }[name]
    for phrase in needed:
        assert phrase in text


def test_committed_timetable_is_generated_from_the_runtimes(measure):
    """results/timetable.md is what `python -m tools.measure_runtimes --timetable-only` writes
    from results/runtimes.json, and every lesson and solutions notebook was measured."""
    runtimes = json.loads(measure.RUNTIMES.read_text())
    assert measure.TIMETABLE.read_text() == measure.timetable_markdown(runtimes), (
        "results/timetable.md is stale: run `python -m tools.measure_runtimes --timetable-only`"
    )
    measured = set(runtimes["notebooks"])
    expected = {p.relative_to(REPO).as_posix() for p in measure.course_notebooks()}
    assert expected <= measured, f"not measured: {sorted(expected - measured)}"
    assert {"cpu", "python", "numpy"} <= set(runtimes["machine"])


def test_the_three_day_plan_holds_every_lesson_and_exercise_of_the_repository(measure):
    """Not the made-up lessons above: the course's own, so that a new lesson cannot be left out
    of the plan that says it holds every lesson."""
    found, exercises = measure.lessons_found()
    planned = {item for item, _ in measure.THREE_DAY if item not in measure.PAUSES}
    assert set(found) <= planned, sorted(set(found) - planned)
    rows = measure.schedule(measure.THREE_DAY, found, exercises, {"notebooks": {}})
    text = "\n".join(r[1] for r in rows)
    for number in exercises:
        if measure.LESSONS[number].exercise:
            assert f"{number} exercises" in text
