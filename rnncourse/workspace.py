"""The learner's workspace: copy exercise notebooks into ``work/``, never overwriting a file there.

    rnncourse sync-work [--source exercises/] [--work work/]

``make lab`` runs this before it opens JupyterLab. For each exercise notebook:

- no copy in ``work/`` yet: it is copied there (the learner's own copy from then on);
- a copy exists: it is left exactly as it is, always. If the exercise changed since the copy was
  made, that is reported, with how to get the new version; nothing is copied over it.

Whether the exercise changed is known from a small record, ``work/.rnncourse-sync.json``, of the
SHA-256 of each exercise as it was copied. For a copy with no record (made by hand, or by an old
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


@dataclass(frozen=True)
class Action:
    """What `sync` does for one exercise notebook: `kind` is COPY, UP_TO_DATE, CHANGED or
    MAYBE_CHANGED; `digest` is the SHA-256 of the exercise (source) file."""

    kind: str
    source: Path
    target: Path
    digest: str


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_root() -> Path:
    """The course folder: the one holding ``exercises/`` beside this package, else the cwd."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "exercises").is_dir() else Path.cwd()


def read_record(work: Path) -> dict[str, str]:
    """{notebook name: SHA-256 of the exercise when it was copied}; {} if missing or unreadable."""
    try:
        data = json.loads((work / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    copied = data.get("copied", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in copied.items()} if isinstance(copied, dict) else {}


def plan_sync(source: Path, work: Path, record: dict[str, str] | None = None) -> list[Action]:
    """Decide, without changing anything, what to do for each ``source/*.ipynb``."""
    record = read_record(work) if record is None else record
    actions = []
    for src in sorted(source.glob("*.ipynb")):
        target = work / src.name
        digest = sha256(src)
        if not target.exists():
            kind = COPY
        elif src.name in record:
            kind = UP_TO_DATE if record[src.name] == digest else CHANGED
        elif src.stat().st_mtime > target.stat().st_mtime:
            kind = MAYBE_CHANGED
        else:
            kind = UP_TO_DATE
        actions.append(Action(kind, src, target, digest))
    return actions


def apply_plan(actions: list[Action], work: Path) -> list[Action]:
    """Copy the COPY actions' files (never over an existing file); update the record.

    Returns the actions as carried out: a COPY whose target appeared meanwhile becomes UP_TO_DATE
    (the file there is left alone).
    """
    work.mkdir(parents=True, exist_ok=True)
    record = read_record(work)
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
            done.append(Action(UP_TO_DATE, action.source, action.target, action.digest))
            continue
        record[action.source.name] = hashlib.sha256(data).hexdigest()
        done.append(action)
    if any(a.kind == COPY for a in done):
        write_record(work, record)
    return done


def write_record(work: Path, record: dict[str, str]) -> None:
    path = work / RECORD_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"about": "written by rnncourse sync-work", "copied": record}, indent=1),
        encoding="utf-8",
    )
    os.replace(tmp, path)


def report(actions: list[Action], work: Path) -> str:
    """The text `sync-work` prints (plain, one line per notebook that needs attention)."""
    copied = [a for a in actions if a.kind == COPY]
    changed = [a for a in actions if a.kind in (CHANGED, MAYBE_CHANGED)]
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
