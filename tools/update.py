#!/usr/bin/env python3
"""Bring the course up to date without losing anything of the learner's: ``make update``.

    make update            (python3 tools/bootstrap.py update, which runs python3 -m tools.update)
    python3 -m tools.update [--dry-run]

Standard library only (it may run before any environment exists), and ``git``. What it does,
in this order; it changes nothing until every check has passed:

1. It refuses, changing nothing, when the repository is in the middle of a merge or rebase,
   when a tracked file other than a notebook is changed, added or deleted (for example in
   ``rnncourse/``), when the branch has commits of its own that upstream does not have, or when
   an untracked file lies where the update brings a file. It lists what it found and says what
   to do.
2. ``git fetch``. Nothing new upstream: it says so and stops (nothing is restored).
3. Each changed notebook of the course (``notebooks/``, ``exercises/``, ``solutions/``) is
   compared with its committed version, cell by cell: it counts as **edited** when any cell's
   source differs (a cell added, removed, retyped or rewritten); outputs, execution counts and
   metadata do not count. JupyterLab rewrites a notebook's metadata when it opens it, and running
   a lesson changes its outputs: such a lesson is *unedited*.
4. An edited notebook is first copied, byte for byte, to the learner's folder ``work/`` (which
   git ignores): a lesson to ``work/lessons/NN_topic-YYYY-MM-DD.ipynb``, an exercise notebook
   edited in ``exercises/`` to ``work/NN_topic-YYYY-MM-DD.ipynb`` (where ``rnncourse progress``
   grades it), a solutions notebook to ``work/solutions/``. Never over an existing file (``-2``,
   ``-3``, ... are added). Each copy is read back and compared before anything else happens.
5. Every changed notebook, edited (now copied) or not, is restored to its committed version,
   and the update is applied: ``git merge --ff-only`` with the fetched upstream (what
   ``git pull --ff-only`` does). The report lists what was restored and where each copy is.

It never stashes, never deletes a file of the learner's, never touches ``work/``'s existing
files, and never rewrites history. ``--dry-run`` fetches and prints what it would do, and
changes nothing else.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("notebooks", "exercises", "solutions")
# where the learner's copy of an edited notebook goes, per folder of the course (under work/)
KEEP_IN = {"notebooks": "lessons", "exercises": "", "solutions": "solutions"}


class UpdateError(Exception):
    """Why the update did not happen; printed without a traceback."""


def say(msg: str = "") -> None:
    print(f"[rnncourse] {msg}" if msg else "", flush=True)


def git(*args: str, repo: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=None,
    )
    if check and result.returncode != 0:
        raise UpdateError(
            f"`git {' '.join(args)}` failed:\n{(result.stderr or result.stdout).strip()}"
        )
    return result


@dataclass(frozen=True)
class Change:
    """One tracked path that differs from the committed version: `status` is git's two-letter
    porcelain code (" M", "D ", "A ", ...)."""

    status: str
    path: str

    @property
    def is_notebook(self) -> bool:
        parts = Path(self.path).parts
        return (
            len(parts) == 2
            and parts[0] in NOTEBOOK_DIRS
            and self.path.endswith(".ipynb")
            and "A" not in self.status  # a notebook the learner added is theirs, not the course's
            and "R" not in self.status
            and "C" not in self.status
            and "U" not in self.status
        )


def changes(repo: Path) -> list[Change]:
    """Tracked paths that differ from HEAD (in the index or the working tree)."""
    out = git("status", "--porcelain=v1", "-z", "--untracked-files=no", repo=repo).stdout
    fields = out.split("\0")
    found: list[Change] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:  # renamed/copied: the next field is the old path
            found.append(Change(status, fields[i]))
            i += 1
        found.append(Change(status, path))
    return found


def cell_sources(text: str) -> list[tuple[str, str]] | None:
    """(cell type, source) of every cell of a notebook's JSON text; None if it is not one."""
    try:
        nb = json.loads(text)
        cells = nb["cells"]
        result = []
        for cell in cells:
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            if not isinstance(source, str):
                return None
            result.append((str(cell.get("cell_type", "")), source))
        return result
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def committed_text(repo: Path, path: str, rev: str = "HEAD") -> str | None:
    result = git("show", f"{rev}:{path}", repo=repo, check=False)
    return result.stdout if result.returncode == 0 else None


def is_edited(repo: Path, path: str) -> bool:
    """Does the notebook at `path` differ from its committed version in any cell's source (or
    in its cells)? Outputs and metadata do not count. A deleted notebook is not edited (nothing
    of the learner's is in it); one that cannot be read as a notebook counts as edited."""
    file = repo / path
    if not file.exists():
        return False
    committed = committed_text(repo, path)
    if committed is None:
        return True
    mine = cell_sources(file.read_text(encoding="utf-8", errors="replace"))
    return mine is None or mine != cell_sources(committed)


def keep_path(repo: Path, path: str, today: datetime.date) -> Path:
    """Where the learner's copy of the edited notebook `path` goes: under work/, dated, never an
    existing file."""
    folder, name = Path(path).parts
    where = repo / "work" / KEEP_IN[folder] if KEEP_IN[folder] else repo / "work"
    stem = Path(name).stem
    candidate = where / f"{stem}-{today.isoformat()}.ipynb"
    n = 2
    while candidate.exists():
        candidate = where / f"{stem}-{today.isoformat()}-{n}.ipynb"
        n += 1
    return candidate


def keep_copy(source: Path, target: Path) -> None:
    """Copy `source` to the new file `target` (exclusive create) and check it reads back equal."""
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as f:
        f.write(data)
    if target.read_bytes() != data:
        raise UpdateError(f"the copy {target} does not read back as {source}: nothing was changed")


@dataclass
class Plan:
    """What `plan` found: notebooks to restore (the edited ones copied first), what refuses."""

    edited: list[str]
    unedited: list[str]
    refuse: list[Change]


def plan(repo: Path) -> Plan:
    found = changes(repo)
    notebooks = [c for c in found if c.is_notebook]
    refuse = [c for c in found if not c.is_notebook]
    edited = sorted({c.path for c in notebooks if is_edited(repo, c.path)})
    unedited = sorted({c.path for c in notebooks} - set(edited))
    return Plan(edited, unedited, refuse)


def in_progress(repo: Path) -> str | None:
    git_dir = Path(git("rev-parse", "--git-dir", repo=repo).stdout.strip())
    git_dir = git_dir if git_dir.is_absolute() else repo / git_dir
    for name, what in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ):
        if (git_dir / name).exists():
            return what
    return None


def describe(change: Change) -> str:
    words = {"M": "changed", "D": "deleted", "A": "added", "R": "renamed", "T": "type changed"}
    word = next((w for k, w in words.items() if k in change.status), "changed")
    return f"{change.path} ({word})"


def run(repo: Path, dry_run: bool = False, today: datetime.date | None = None) -> int:
    today = today or datetime.date.today()
    if git("rev-parse", "--is-inside-work-tree", repo=repo, check=False).returncode != 0:
        raise UpdateError(
            f"{repo} is not a git clone: `make update` updates a course cloned with git "
            "(download a fresh copy otherwise, and move your work/ folder into it)"
        )
    what = in_progress(repo)
    if what:
        raise UpdateError(f"git is in the middle of {what} here: finish or abort it first")
    found = plan(repo)
    if found.refuse:
        lines = [f"    {describe(c)}" for c in found.refuse]
        raise UpdateError(
            "nothing was updated: these files of the course are changed, and only notebooks are "
            "kept for you automatically:\n"
            + "\n".join(lines)
            + "\n  Keep what you need elsewhere, then undo the change "
            "(`git checkout -- PATH` for a changed file), and run `make update` again."
        )
    upstream = git(
        "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}", repo=repo, check=False
    )
    if upstream.returncode != 0:
        raise UpdateError(
            "this branch follows no upstream branch, so there is nothing to update from "
            "(`git branch --set-upstream-to=origin/main` sets one)"
        )
    say(f"fetching the course's updates ({upstream.stdout.strip()})")
    git("fetch", "--quiet", repo=repo)  # changes only git's record of upstream, even in a dry run
    head = git("rev-parse", "HEAD", repo=repo).stdout.strip()
    target = git("rev-parse", "@{u}", repo=repo).stdout.strip()
    if (
        head == target
        or git("merge-base", "--is-ancestor", "@{u}", "HEAD", repo=repo, check=False).returncode
        == 0
    ):
        say("the course is already up to date: nothing changed")
        return 0
    if git("merge-base", "--is-ancestor", "HEAD", "@{u}", repo=repo, check=False).returncode != 0:
        raise UpdateError(
            "nothing was updated: this branch has commits of its own that upstream does not have "
            f"({git('log', '--oneline', '@{u}..HEAD', repo=repo).stdout.strip()}).\n"
            "  Merge the update yourself (`git pull`), or keep your commits on a branch of their own."
        )
    incoming = set(
        git("diff", "--name-only", "-z", "HEAD", "@{u}", repo=repo).stdout.split("\0")
    ) - {""}
    untracked = set(
        git("ls-files", "--others", "-z", "--", *sorted(incoming), repo=repo).stdout.split("\0")
    ) - {""}
    if untracked:
        raise UpdateError(
            "nothing was updated: the update brings files where you have files of your own:\n"
            + "\n".join(f"    {p}" for p in sorted(untracked))
            + "\n  Move them elsewhere (into work/, for example) and run `make update` again."
        )

    kept: list[tuple[str, Path]] = []
    for path in found.edited:
        target_path = keep_path(repo, path, today)
        if not dry_run:
            keep_copy(repo / path, target_path)
        kept.append((path, target_path))
    restore = found.edited + found.unedited
    if restore and not dry_run:
        git("checkout", "HEAD", "--", *restore, repo=repo)
    if not dry_run:
        merged = git("merge", "--ff-only", "--quiet", "@{u}", repo=repo, check=False)
        if merged.returncode != 0:
            raise UpdateError(
                "git could not apply the update:\n"
                + (merged.stderr or merged.stdout).strip()
                + ("\n  Your edited notebooks are safe in work/ (listed above)." if kept else "")
            )
    new = git("rev-parse", "--short", "@{u}" if dry_run else "HEAD", repo=repo).stdout.strip()
    verb = "would be" if dry_run else "was"
    for path, copy in kept:
        say(f"you had edited {path}: it {verb} kept as {copy.relative_to(repo)}")
    for path in found.unedited:
        say(f"{path} {verb} restored (only its outputs or metadata had changed: no edits of yours)")
    n = git("rev-list", "--count", f"{head}..{target}", repo=repo).stdout.strip()
    say(
        f"the course {'would be' if dry_run else 'is'} up to date: {n} new commit(s), now at {new}"
        " (see CHANGELOG.md). `make lab` opens it (and installs what changed)."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make update",
        description="Bring the course up to date with git, keeping every notebook you edited.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would happen, change nothing"
    )
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        return run(args.repo, dry_run=args.dry_run)
    except UpdateError as exc:
        print(f"[rnncourse] {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        if exc.filename == "git":
            print("[rnncourse] `make update` needs git, and git was not found", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
