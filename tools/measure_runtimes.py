"""Measure how long every course notebook takes to run, and write the instructors' timetable.

    .venv/bin/python -m tools.measure_runtimes                  # every lesson and solutions notebook
    .venv/bin/python -m tools.measure_runtimes --timetable-only # re-write the timetable from the JSON

Each notebook runs top to bottom with nbclient in a fresh kernel, started in the notebook's own
folder, by ``tools.execute_notebooks.run_notebook`` (the same kernel environment as the committed
outputs: one BLAS thread, fixed hash seed) and timed by the one notebook timer
(``tools.notebook_timer``). The notebook is executed in memory: no file in the repo is written
except the two below. The time shown is what a learner waits for after "Restart Kernel and Run
All": kernel start plus every cell (wall time); the kernel's CPU time is stored beside it.

Writes ``results/runtimes.json`` (seconds per notebook, with the machine described by
``tools.machine``, and the 1-minute load average when each notebook started, since a busy machine
runs slower) and ``results/timetable.md`` (a one-day and a three-day workshop, each lesson with its
measured run time beside a suggested teaching time), which the instructors' guide links.

The teaching times (`LESSONS`, `ONE_DAY`, `THREE_DAY`) are the course authors' judgement, not
measurements; the timetable says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools import execute_notebooks, machine
from tools.notebook_timer import NotebookTime

REPO = Path(__file__).resolve().parents[1]
RUNTIMES = REPO / "results" / "runtimes.json"
TIMETABLE = REPO / "results" / "timetable.md"
FOLDERS = ("notebooks", "solutions")


@dataclass(frozen=True)
class Lesson:
    """Suggested minutes for one lesson: teaching it, and the learners' exercise time."""

    teach: int
    exercise: int
    note: str = ""


# Suggested teaching times (judgement): a lesson is read, run and discussed with the room; the
# exercise minutes are for learners working on their own copy in work/, with the checks.
LESSONS = {
    "00": Lesson(
        15, 0, "everyone opens the start page; the environment check shows who needs help"
    ),
    "01": Lesson(30, 15, "motivation; the bag-of-words experiment is a good live demo"),
    "02": Lesson(45, 30, "work the hand-sized example on the board; the stepping widget"),
    "03": Lesson(40, 20, "per-step vs final-step outputs; softmax and cross-entropy"),
    "04": Lesson(30, 15, "parameter sharing; the 'not' experiment"),
    "05": Lesson(60, 40, "the hardest lesson: draw the unrolled graph backwards"),
    "06": Lesson(45, 20, "gradient norms through time; clipping"),
    "07": Lesson(60, 30, "the gates one at a time; the gate inspector widget"),
    "08": Lesson(40, 20, "compare with the LSTM; Cho vs PyTorch variants"),
    "09": Lesson(60, 20, "pick one application to run live; the rest as reading"),
    "10": Lesson(
        60,
        40,
        "derive Adam's bias correction on the board; read the live samples together; own texts",
    ),
    "11": Lesson(
        60,
        30,
        "draw the stack and the two directions; derive the 3/4 bound; listen, then the spectrogram",
    ),
    "12": Lesson(
        60,
        30,
        "derive the masked loss and the attention step on the board; read the heat map together",
    ),
}

# Workshop plans: (lesson or "break"/"lunch"/"wrap-up", fraction of the suggested time kept, label).
# A lesson's exercise follows it when the lesson has an exercise notebook. The one-day plan
# shortens lessons (fraction < 1) and leaves 04 and 09 as reading.
ONE_DAY = [
    ("00", 1.0),
    ("01", 0.4),
    ("02", 0.8),
    ("break", 15),
    ("03", 0.7),
    ("05", 0.8),
    ("lunch", 60),
    ("06", 0.7),
    ("07", 0.8),
    ("break", 15),
    ("08", 0.6),
    ("wrap-up", 15),
]
THREE_DAY = [
    ("day", 1),
    ("00", 1.0),
    ("01", 1.0),
    ("break", 15),
    ("02", 1.0),
    ("03", 1.0),
    ("lunch", 60),
    ("04", 1.0),
    ("break", 15),
    ("05", 1.0),
    ("wrap-up", 15),
    ("day", 2),
    ("06", 1.0),
    ("break", 15),
    ("07", 1.0),
    ("lunch", 60),
    ("08", 1.0),
    ("break", 15),
    ("09", 1.0),
    ("practice", 45),
    ("wrap-up", 15),
    ("day", 3),
    ("10", 1.0),
    ("break", 15),
    ("11", 1.0),
    ("lunch", 60),
    ("12", 1.0),
    ("break", 15),
    ("practice-own-text", 45),
    ("wrap-up", 15),
]
PAUSES = {
    "break": "break",
    "lunch": "lunch",
    "wrap-up": "questions, wrap-up",
    "practice": "practice: a model from lesson 9 on the learners' own sequences, or unfinished exercises",
    "practice-own-text": "practice: lesson 10's model on the learners' own texts (work/my_text.txt), or unfinished exercises",
}
DAY_START = 9 * 60  # 09:00, in minutes


def course_notebooks(folders: tuple[str, ...] = FOLDERS) -> list[Path]:
    return sorted(p for f in folders for p in (REPO / f).glob("[0-9][0-9]_*.ipynb"))


# appended (in memory) to each notebook: the kernel's peak resident memory, in MB
PEAK_MEMORY_CELL = """
try:
    import resource, sys
    _kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("RNNCOURSE_PEAK_MB", _kb / (1024 * 1024 if sys.platform == "darwin" else 1024))
except ImportError:
    pass
"""


def _peak_mb(nb: nbformat.NotebookNode) -> float | None:
    for out in nb.cells[-1].get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith("RNNCOURSE_PEAK_MB "):
                return round(float(line.split()[1]))
    return None


def measure(path: Path, timeout: int = 600) -> tuple[NotebookTime, float | None]:
    """The time to start a kernel and run every cell of `path` (the file is only read), and the
    kernel's peak memory in MB (None where the OS does not say)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    took = execute_notebooks.run_notebook(nb, path.parent, timeout=timeout)
    return took, _peak_mb(nb)


# --------------------------------------------------------------------------------------------
# the timetable (pure: runtimes and notebook metadata in, markdown out)
# --------------------------------------------------------------------------------------------
def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _round5(minutes: float) -> int:
    return max(5, int(5 * round(minutes / 5)))


def _seconds(runtimes: dict, relpath: str) -> str:
    entry = runtimes.get("notebooks", {}).get(relpath)
    return "not measured" if entry is None else f"{entry['seconds']:.0f} s"


def _memory(runtimes: dict, relpath: str) -> str:
    entry = runtimes.get("notebooks", {}).get(relpath) or {}
    return (
        "not measured" if entry.get("peak_memory_mb") is None else f"{entry['peak_memory_mb']} MB"
    )


def schedule(
    plan: list, found: dict[str, tuple[str, str]], exercises: set[str], runtimes: dict
) -> list[list[str]]:
    """Rows (time, what, suggested minutes, measured run time) for one workshop plan.

    Lessons not in `found` (not written yet) are left out, and a break that would then follow
    another pause is dropped."""
    rows: list[list[str]] = []
    now, last = DAY_START, "day"
    for item, amount in plan:
        if item == "day":
            if rows:
                rows.append([_clock(now), "end of the day", "", ""])
            rows.append([f"**Day {amount}**", "", "", ""])
            now, last = DAY_START, "day"
            continue
        if item in PAUSES:
            if item == "break" and last in PAUSES:
                continue
            rows.append([_clock(now), f"*{PAUSES[item]}*", f"{amount}", ""])
            now, last = now + amount, item
            continue
        if item not in found:
            continue  # a lesson not written yet
        title, name = found[item]
        lesson = LESSONS[item]
        teach = _round5(lesson.teach * amount)
        rows.append(
            [_clock(now), f"{item} {title}", f"{teach}", _seconds(runtimes, f"notebooks/{name}")]
        )
        now, last = now + teach, item
        if item in exercises and lesson.exercise:
            minutes = _round5(lesson.exercise * amount)
            sol = _seconds(runtimes, f"solutions/{name}")
            rows.append([_clock(now), f"{item} exercises (in `work/`)", f"{minutes}", sol])
            now += minutes
    rows.append([_clock(now), "end of the day" if rows[0][0].startswith("**") else "end", "", ""])
    return rows


def lessons_found() -> tuple[dict[str, tuple[str, str]], set[str]]:
    """{lesson number: (title, file name)} of the lesson notebooks in the repo, and the lessons
    that have an exercise notebook (solutions/NN_*.ipynb)."""
    found = {}
    for path in course_notebooks(("notebooks",)):
        meta = nbformat.read(path, as_version=4).metadata.get("rnncourse", {})
        found[meta.get("lesson", path.name[:2])] = (meta.get("title", path.stem), path.name)
    exercises = {p.name[:2] for p in course_notebooks(("solutions",))}
    return found, exercises


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def timetable_markdown(runtimes: dict) -> str:
    found, exercises = lessons_found()
    m = runtimes.get("machine", {})
    per_lesson = []
    for number, (title, name) in sorted(found.items()):
        lesson = LESSONS.get(number, Lesson(30, 0))
        has_ex = number in exercises
        per_lesson.append(
            [
                number,
                title,
                _seconds(runtimes, f"notebooks/{name}"),
                _seconds(runtimes, f"solutions/{name}") if has_ex else "—",
                _memory(runtimes, f"notebooks/{name}"),
                f"{lesson.teach}",
                f"{lesson.exercise}" if has_ex and lesson.exercise else "—",
                lesson.note,
            ]
        )
    total_lessons = sum(
        e["seconds"] for k, e in runtimes.get("notebooks", {}).items() if k.startswith("notebooks/")
    )
    header = ["time", "what", "suggested minutes", "measured run time"]
    loads = [e.get("load_1min") for e in runtimes.get("notebooks", {}).values()]
    loads = [x for x in loads if x is not None]
    load_text = (
        f"; the machine's 1-minute load average was {min(loads):.1f} to {max(loads):.1f} while they"
        " ran (a load above the number of cores means other work shared the CPU, so these are"
        " upper bounds)"
        if loads
        else ""
    )
    parts = [
        "# Workshop timetables",
        "",
        "Generated by `python -m tools.measure_runtimes` (do not edit by hand: edit the plans in"
        " tools/measure_runtimes.py and re-run it; `--timetable-only` re-writes this file from"
        " results/runtimes.json).",
        "",
        "**Measured** run times: each notebook run top to bottom with nbclient in a fresh kernel"
        " (kernel start + every cell), one BLAS thread, on "
        f"{machine.summary(m)}, on {runtimes.get('measured', '?')}"
        f"{load_text}. All lessons together: {total_lessons:.0f} s. To know the machines of your"
        " room, run the script there.",
        "",
        "**Suggested** teaching and exercise times are the course authors' judgement for a room of"
        " learners who know Python and numpy, not measurements. Adjust them to your room; the"
        " run times tell you how long the room waits for a Run All.",
        "",
        "## Per lesson",
        "",
        _table(
            [
                "lesson",
                "title",
                "run time (lesson)",
                "run time (solutions)",
                "peak memory (lesson)",
                "teach (min)",
                "exercises (min)",
                "notes",
            ],
            per_lesson,
        ),
        "",
        "## One-day workshop (09:00 to 17:00)",
        "",
        "Shortened lessons; 04 (parameter sharing) and 09 (applications) are left as reading, and"
        " each exercise slot is for the exercise notebook of the lesson before it.",
        "",
        _table(header, schedule(ONE_DAY, found, exercises, runtimes)),
        "",
        "## Three-day workshop",
        "",
        "Every lesson at its suggested time, every exercise in class: days 1 and 2 the foundations"
        " (00-09), day 3 training in practice, deeper and bidirectional RNNs, and attention (10-12).",
        "",
        _table(header, schedule(THREE_DAY, found, exercises, runtimes)),
        "",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="only these notebooks (default: all)")
    parser.add_argument(
        "--timetable-only", action="store_true", help="re-write the timetable from the JSON"
    )
    args = parser.parse_args(argv)
    runtimes = json.loads(RUNTIMES.read_text()) if RUNTIMES.is_file() else {"notebooks": {}}
    if not args.timetable_only:
        paths = [p.resolve() for p in args.paths] or course_notebooks()
        runtimes["machine"] = machine.describe()
        runtimes["measured"] = time.strftime("%Y-%m-%d", time.gmtime())
        status = 0
        for path in paths:
            rel = path.relative_to(REPO).as_posix()
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            try:
                took, peak_mb = measure(path)
            except Exception as exc:  # report, go on with the next notebook
                print(f"FAILED   {rel}: {type(exc).__name__}: {str(exc)[-500:]}", file=sys.stderr)
                status = 1
                continue
            seconds = took.wall
            runtimes["notebooks"][rel] = {
                "seconds": round(seconds, 1),
                "cpu_seconds": None if took.cpu is None else round(took.cpu, 1),
                "peak_memory_mb": peak_mb,
                "load_1min": None if load is None else round(load, 2),
            }
            print(f"{seconds:7.1f} s  {peak_mb} MB  {rel}  (load {load})")
        runtimes["notebooks"] = dict(sorted(runtimes["notebooks"].items()))
        RUNTIMES.parent.mkdir(parents=True, exist_ok=True)
        RUNTIMES.write_text(json.dumps(runtimes, indent=1) + "\n")
        if status:
            return status
    TIMETABLE.write_text(timetable_markdown(runtimes))
    written = [TIMETABLE] if args.timetable_only else [RUNTIMES, TIMETABLE]
    print("wrote " + " and ".join(str(p.relative_to(REPO)) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
