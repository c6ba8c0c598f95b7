"""The learner's workspace: copy exercise notebooks into ``work/``, never overwriting a file there.

    rnncourse sync-work [--source exercises/] [--work work/]

``make lab`` runs this before it opens JupyterLab. For each exercise notebook:

- no copy in ``work/`` yet: it is copied there (the learner's own copy from then on);
- a copy exists: it is left exactly as it is, always. If the exercise changed since the copy was
  made, that is reported, with how to get the new version; nothing is copied over it.

Whether the exercise changed is known from a small record, ``work/.rnncourse-sync.json``, of the
SHA-256 of each exercise as it was copied, and of the file name each lesson (its stable
``metadata.rnncourse.lesson_id``) was copied as: if the course renames an exercise file, the
copy made under the old name is still recognised as that lesson's, and no second copy appears. For a copy with no record (made by hand, or by an old
version of the course) the modification times decide, and the report says "may have changed".

The planning is a pure function of what is on disk (`plan_sync`); `apply_plan` only ever creates
files that do not exist (exclusive create), so a learner's file cannot be overwritten even by a
race with another process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

RECORD_NAME = ".rnncourse-sync.json"

# what happens to one exercise notebook
COPY = "copy"  # no copy in work/: copy it
UP_TO_DATE = "up-to-date"  # the learner's copy exists; the exercise did not change since
CHANGED = "changed"  # the exercise changed since the learner's copy was made: report only
MAYBE_CHANGED = "maybe-changed"  # no record, the exercise file is newer than the copy: report
RENAMED = "renamed"  # the exercise's file was renamed; the learner's copy has the old name: report


@dataclass(frozen=True)
class Action:
    """What `sync` does for one exercise notebook: `kind` is COPY, UP_TO_DATE, CHANGED,
    MAYBE_CHANGED or RENAMED (then `target` is the learner's copy under its old name);
    `digest` is the SHA-256 of the exercise (source) file; `lesson` its lesson id, if any."""

    kind: str
    source: Path
    target: Path
    digest: str
    lesson: str | None = None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_root() -> Path:
    """The course folder: the one holding ``exercises/`` beside this package, else the cwd."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "exercises").is_dir() else Path.cwd()


def _read(work: Path, key: str) -> dict[str, str]:
    try:
        data = json.loads((work / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    part = data.get(key, {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in part.items()} if isinstance(part, dict) else {}


def read_record(work: Path) -> dict[str, str]:
    """{notebook name: SHA-256 of the exercise when it was copied}; {} if missing or unreadable."""
    return _read(work, "copied")


def read_lessons(work: Path) -> dict[str, str]:
    """{lesson id: the file name its exercise was copied as}; {} if missing or unreadable."""
    return _read(work, "lessons")


def lesson_id(path: Path) -> str | None:
    """A notebook's stable lesson id (``metadata.rnncourse.lesson_id``), None if it has none."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta = nb.get("metadata", {}).get("rnncourse", {}) if isinstance(nb, dict) else {}
    value = meta.get("lesson_id") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and value else None


def plan_sync(source: Path, work: Path, record: dict[str, str] | None = None) -> list[Action]:
    """Decide, without changing anything, what to do for each ``source/*.ipynb``."""
    record = read_record(work) if record is None else record
    lessons = read_lessons(work)
    actions = []
    for src in sorted(source.glob("*.ipynb")):
        target = work / src.name
        digest = sha256(src)
        lesson = lesson_id(src)
        old = lessons.get(lesson) if lesson is not None else None
        if not target.exists() and old and old != src.name and (work / old).exists():
            actions.append(Action(RENAMED, src, work / old, digest, lesson))
            continue
        if not target.exists():
            kind = COPY
        elif src.name in record:
            kind = UP_TO_DATE if record[src.name] == digest else CHANGED
        elif src.stat().st_mtime > target.stat().st_mtime:
            kind = MAYBE_CHANGED
        else:
            kind = UP_TO_DATE
        actions.append(Action(kind, src, target, digest, lesson))
    return actions


def apply_plan(actions: list[Action], work: Path) -> list[Action]:
    """Copy the COPY actions' files (never over an existing file); update the record.

    Returns the actions as carried out: a COPY whose target appeared meanwhile becomes UP_TO_DATE
    (the file there is left alone).
    """
    work.mkdir(parents=True, exist_ok=True)
    record = read_record(work)
    lessons = read_lessons(work)
    done = []
    for action in actions:
        if action.kind != COPY:
            done.append(action)
            continue
        data = action.source.read_bytes()
        try:
            with open(action.target, "xb") as f:  # exclusive: fails if the file exists
                f.write(data)
        except FileExistsError:
            done.append(
                Action(UP_TO_DATE, action.source, action.target, action.digest, action.lesson)
            )
            continue
        record[action.source.name] = hashlib.sha256(data).hexdigest()
        if action.lesson is not None:
            lessons[action.lesson] = action.target.name
        done.append(action)
    if any(a.kind == COPY for a in done):
        write_record(work, record, lessons)
    return done


def write_record(work: Path, record: dict[str, str], lessons: dict[str, str] | None = None) -> None:
    path = work / RECORD_NAME
    tmp = path.with_suffix(".tmp")
    data = {"about": "written by rnncourse sync-work", "copied": record}
    data["lessons"] = read_lessons(work) if lessons is None else lessons
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def report(actions: list[Action], work: Path) -> str:
    """The text `sync-work` prints (plain, one line per notebook that needs attention)."""
    copied = [a for a in actions if a.kind == COPY]
    changed = [a for a in actions if a.kind in (CHANGED, MAYBE_CHANGED)]
    renamed = [a for a in actions if a.kind == RENAMED]
    lines = []
    for a in copied:
        lines.append(
            f"  copied   {a.source.parent.name}/{a.source.name} -> {work.name}/{a.target.name}"
        )
    for a in changed:
        verb = "has changed" if a.kind == CHANGED else "may have changed"
        stem = a.target.stem
        lines.append(
            f"  newer    {a.source.parent.name}/{a.source.name} {verb} since your copy was made;"
            f" your {work.name}/{a.target.name} was NOT touched.\n"
            f"           To start from the new version, rename yours (e.g. to {stem}-mine.ipynb)"
            " and run `make lab` (or `rnncourse sync-work`) again."
        )
    for a in renamed:
        lines.append(
            f"  renamed  {a.source.parent.name}/{a.source.name} is the new name of the exercise"
            f" your {work.name}/{a.target.name} was copied from (lesson {a.lesson!r});"
            " your copy was NOT touched.\n"
            f"           To start from the new version, rename yours (e.g. to"
            f" {a.target.stem}-mine.ipynb) and run `make lab` (or `rnncourse sync-work`) again."
        )
    kept = len(actions) - len(copied)
    head = (
        f"work/: {len(copied)} exercise notebook(s) copied, {kept} already there (yours, untouched)"
    )
    if not actions:
        head = "work/: no exercise notebooks to copy yet"
    return "\n".join([head, *lines])


def sync(source: Path, work: Path) -> list[Action]:
    """Plan and apply; returns the actions carried out."""
    return apply_plan(plan_sync(source, work), work)


def main(argv: list[str] | None = None) -> int:
    root = default_root()
    parser = argparse.ArgumentParser(
        prog="rnncourse sync-work",
        description="Copy exercise notebooks into work/; never overwrites or deletes a file there.",
    )
    parser.add_argument("--source", type=Path, default=root / "exercises", help="exercise folder")
    parser.add_argument("--work", type=Path, default=root / "work", help="your work folder")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"rnncourse sync-work: no exercise folder at {args.source}", file=sys.stderr)
        return 1
    if args.work.exists() and not args.work.is_dir():
        print(f"rnncourse sync-work: {args.work} exists and is not a folder", file=sys.stderr)
        return 1
    try:
        actions = sync(args.source, args.work)
    except OSError as exc:
        print(f"rnncourse sync-work: {exc}", file=sys.stderr)
        return 1
    print(report(actions, args.work))
    return 0
