"""Seeded bugs: deliberate one-line mistakes that the test suite must catch, applied one at a time.

A test suite is only as good as the mistakes it notices. ``tools/seeded_bugs.json`` lists about
two dozen realistic one-line bugs in the package's maths and grading (a sign in a backward, a
swapped gate, a bias in the wrong place, a clip that scales up, a mask ignored, ...). For each
bug this command

1. checks that its ``find`` text occurs exactly once in its ``file`` (else the bug no longer
   applies: the code moved, and the list must be updated -- a failure of the command);
2. writes the bug into a COPY of the repository (the files ``git ls-files`` lists, tracked and
   untracked-but-not-ignored, as they are in the working tree) -- the working tree itself is
   never modified, so an interrupted run cannot leave a bug behind;
3. runs the bug's tests there (``python -m pytest -x -q -p no:cacheprovider TESTS``, with
   ``PYTHONPATH`` set to the copy so that the copy's package is the one imported);
4. records ``caught`` (the tests failed), ``MISSED`` (they passed: a gap in the suite) or
   ``error`` (pytest could not run them: a collection error, a timeout).

Before the bugs, the union of all their tests is run once on the unmodified copy: if that
fails, every bug would look caught, so the command stops. It prints a table and exits 1 if
any bug is missed, stale or in error (2 for a failed baseline or bad arguments).

    python -m tools.seeded_bugs                   # every bug, against this repository
    python -m tools.seeded_bugs --list            # the list, without running anything
    python -m tools.seeded_bugs --only clip-scales-up --only softmax-ce-sign
    python -m tools.seeded_bugs --repo ../old-checkout --jobs 2
    python -m tools.seeded_bugs --repo ../old-checkout --overlay tests/test_seeded_gaps.py

An entry of the list (all fields required)::

    {"id": "clip-scales-up",                      # short, unique, [a-z0-9_-]
     "what": "clip_grad_norm forgets min(1, ...) and so scales small gradients up.",
     "file": "rnncourse/optim.py",                # relative to the repository root
     "find": "scale = min(1.0, max_norm / (total_norm + eps))",   # occurs exactly once
     "replace": "scale = max_norm / (total_norm + eps)",
     "tests": ["tests/test_optim.py", "tests/test_grading.py"]}   # pytest arguments

``find`` may span lines to make it unique, but the bug must change exactly one line and leave
the file valid Python (``tests/test_seeded_bugs.py`` checks both, and that every ``find``
occurs exactly once and every test path exists, without running the loop). ``tests`` are
pytest arguments from the repository root: test files, module files for their doctests, and
``-k``/``-m`` options if needed; prefer whole files, which survive renamed tests.

When code moves (a module renamed, a kernel split), ``tests/test_seeded_bugs.py`` fails and the
list is re-targeted: update ``file``/``find``/``tests`` so that the bug is the same mistake in
its new place. To run against an older tree whose paths differ, take the list as committed at
that time: ``git show REV:tools/seeded_bugs.json > /tmp/old.json`` and
``python -m tools.seeded_bugs --repo OLD_TREE --bugs /tmp/old.json``; ``--overlay FILE`` copies a
file of this repository into the copies of the old tree (a test written after it, which some
bugs' ``tests`` name).

Standard library only; tests are run with the interpreter running this command.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BUGS_FILE",
    "Bug",
    "Result",
    "apply_bug",
    "copy_tree",
    "load_bugs",
    "main",
    "selected_paths",
]

REPO = Path(__file__).resolve().parents[1]
BUGS_FILE = Path(__file__).with_name("seeded_bugs.json")
FIELDS = ("id", "what", "file", "find", "replace", "tests")
PYTEST = ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]

CAUGHT, MISSED, STALE, ERROR = "caught", "MISSED", "STALE", "error"


@dataclass(frozen=True)
class Bug:
    """One deliberate bug: in ``file``, the text ``find`` becomes ``replace``."""

    id: str
    what: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]


@dataclass
class Result:
    bug: Bug
    status: str  # caught | MISSED | STALE | error
    seconds: float = 0.0
    detail: str = ""  # the first failing test, or why it is stale or in error


def load_bugs(path: Path = BUGS_FILE) -> list[Bug]:
    """The bugs of a list file; raises ValueError naming the first malformed entry."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of bugs")
    bugs, seen = [], set()
    for n, e in enumerate(entries):
        where = f"{path}: entry {n} ({e.get('id', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict) or set(e) != set(FIELDS):
            raise ValueError(f"{where}: needs exactly the fields {', '.join(FIELDS)}")
        if not all(isinstance(e[k], str) and e[k] for k in FIELDS[:5]):
            raise ValueError(f"{where}: id, what, file, find and replace are non-empty strings")
        tests = e["tests"]
        if not (isinstance(tests, list) and tests and all(isinstance(t, str) for t in tests)):
            raise ValueError(f"{where}: tests must be a non-empty list of pytest arguments")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", e["id"]) or e["id"] in seen:
            raise ValueError(f"{where}: ids are unique, lower case, [a-z0-9_-]")
        if e["find"] == e["replace"]:
            raise ValueError(f"{where}: find and replace are the same")
        seen.add(e["id"])
        bugs.append(Bug(**{**e, "tests": tuple(tests)}))
    return bugs


def apply_bug(bug: Bug, text: str) -> str:
    """``text`` with the bug written in; ValueError if ``find`` does not occur exactly once."""
    count = text.count(bug.find)
    if count != 1:
        raise ValueError(
            f"bug no longer applies: update the list ({bug.find!r} occurs {count} times "
            f"in {bug.file}, expected once)"
        )
    return text.replace(bug.find, bug.replace)


def selected_paths(tests: tuple[str, ...] | list[str]) -> list[str]:
    """The file paths among pytest arguments (options and the values of -k/-m left out).

    >>> selected_paths(["tests/test_a.py::test_x", "-k", "not slow", "-q", "rnncourse/b.py"])
    ['tests/test_a.py', 'rnncourse/b.py']
    """
    paths, skip = [], False
    for arg in tests:
        if skip:
            skip = False
        elif arg in ("-k", "-m"):
            skip = True
        elif not arg.startswith("-"):
            paths.append(arg.split("::")[0])
    return paths


def _plain(tests: tuple[str, ...]) -> bool:
    """True when the selection is file paths only (so it can be merged with others)."""
    return not any(t.startswith("-") for t in tests)


def listed_files(repo: Path) -> list[str]:
    """The files of ``repo`` that git knows or would add (tracked + untracked, not ignored)."""
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    return sorted({p for p in out.decode().split("\0") if p})


def copy_tree(repo: Path, dest: Path) -> None:
    """Copy the files ``listed_files(repo)`` names (as they are on disk) into ``dest``."""
    for rel in listed_files(repo):
        src = repo / rel
        if not src.is_file():  # deleted in the working tree, or a submodule
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def bug_env(copy: Path) -> dict[str, str]:
    """The environment for the tests: the copy first on the path, no bytecode written (an
    unchanged-size edit within the same second could otherwise reuse a stale .pyc)."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(copy),
        PYTHONDONTWRITEBYTECODE="1",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONHASHSEED="0",
    )
    return env


def run_pytest(copy: Path, tests: tuple[str, ...], timeout: float) -> tuple[int | None, str]:
    """Run the tests in ``copy``; (pytest's exit code, or None on timeout; its output)."""
    cmd = [sys.executable, *PYTEST, *tests]
    try:
        proc = subprocess.run(
            cmd,
            cwd=copy,
            env=bug_env(copy),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        return None, out if isinstance(out, str) else out.decode(errors="replace")
    return proc.returncode, proc.stdout + proc.stderr


def first_failure(output: str) -> str:
    """The first ``FAILED``/``ERROR`` line of pytest's short summary, shortened."""
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0]
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def check_import(copy: Path) -> None:
    """Make sure the copy's package, not an installed one, is what the tests will import."""
    code = "import rnncourse, sys; sys.stdout.write(rnncourse.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=copy,
        env=bug_env(copy),
        capture_output=True,
        text=True,
    )
    where = Path(out.stdout.strip() or "?").resolve()
    if out.returncode != 0 or copy.resolve() not in where.parents:
        raise SystemExit(
            f"seeded_bugs: the tests would import rnncourse from {where}, not from the copy "
            f"{copy}: {out.stderr.strip()}"
        )


def run_bug(bug: Bug, repo: Path, copy: Path, timeout: float) -> Result:
    """Apply ``bug`` to the copy, run its tests, put the file back."""
    start = time.perf_counter()
    source = repo / bug.file
    if not source.is_file():
        return Result(bug, STALE, 0.0, f"bug no longer applies: update the list (no {bug.file})")
    original = source.read_text(encoding="utf-8")
    try:
        bugged = apply_bug(bug, original)
    except ValueError as exc:
        return Result(bug, STALE, 0.0, str(exc))
    target = copy / bug.file
    try:
        target.write_text(bugged, encoding="utf-8")
        rc, output = run_pytest(copy, bug.tests, timeout)
    finally:
        target.write_text(original, encoding="utf-8")
    seconds = time.perf_counter() - start
    if rc is None:
        return Result(bug, ERROR, seconds, f"timeout after {timeout:g} s")
    if rc == 1:
        return Result(bug, CAUGHT, seconds, first_failure(output))
    if rc == 0:
        return Result(bug, MISSED, seconds, "the tests passed with the bug in")
    return Result(bug, ERROR, seconds, f"pytest exit code {rc}: {first_failure(output)}")


def print_table(results: list[Result], out=None) -> None:
    out = out or sys.stdout
    width = max((len(r.bug.id) for r in results), default=2)
    print(f"{'bug':<{width}}  {'result':<7}  {'time':>6}  detail", file=out)
    for r in results:
        detail = r.detail if len(r.detail) <= 110 else r.detail[:107] + "..."
        print(f"{r.bug.id:<{width}}  {r.status:<7}  {r.seconds:5.1f}s  {detail}", file=out)
    counts = {s: sum(r.status == s for r in results) for s in (CAUGHT, MISSED, STALE, ERROR)}
    print(", ".join(f"{n} {s}" for s, n in counts.items()), file=out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tools.seeded_bugs",
        description="Apply each seeded bug to a copy of the repository and check that its "
        "tests fail.",
    )
    p.add_argument("--list", action="store_true", help="print the bugs and exit")
    p.add_argument("--only", action="append", metavar="ID", help="run only this bug (repeatable)")
    p.add_argument("--jobs", type=int, default=1, help="bugs run at the same time (default 1)")
    p.add_argument("--repo", type=Path, default=REPO, help="the tree to test (default: this one)")
    p.add_argument("--bugs", type=Path, default=BUGS_FILE, help="the list (JSON)")
    p.add_argument(
        "--overlay",
        action="append",
        default=[],
        metavar="FILE",
        help="also copy FILE (a path relative to this repository) into the copies, e.g. a test "
        "written after the tree under --repo (repeatable)",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per pytest run")
    p.add_argument("--no-baseline", action="store_true", help="skip the run without any bug first")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bugs = load_bugs(args.bugs)
    except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        print(f"seeded_bugs: {exc}", file=sys.stderr)
        return 2
    if args.only:
        unknown = sorted(set(args.only) - {b.id for b in bugs})
        if unknown:
            print(f"seeded_bugs: no bug called {', '.join(unknown)}", file=sys.stderr)
            return 2
        bugs = [b for b in bugs if b.id in args.only]
    if args.list:
        for b in bugs:
            print(f"{b.id}\n    {b.what}\n    {b.file}: {b.find!r} -> {b.replace!r}")
            print(f"    tests: {' '.join(b.tests)}")
        print(f"{len(bugs)} bugs")
        return 0
    repo = args.repo.resolve()
    jobs = max(1, min(args.jobs, len(bugs)))
    print(f"seeded bugs: {len(bugs)} from {args.bugs}, against {repo}, {jobs} at a time")
    with tempfile.TemporaryDirectory(prefix="seeded-bugs-") as tmp:
        paths = [Path(tmp) / f"copy{j}" for j in range(jobs)]
        copies: queue.Queue[Path] = queue.Queue()
        for copy in paths:
            copy_tree(repo, copy)
            for rel in args.overlay:
                (copy / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / rel, copy / rel)
            copies.put(copy)
        first = paths[0]
        check_import(first)
        wanted = {t for b in bugs for t in selected_paths(b.tests)}
        absent = sorted(t for t in wanted if not (first / t).exists())
        if absent:
            print(
                f"seeded_bugs: the bugs' tests name {', '.join(absent)}, not in {repo}: update "
                "the list, or copy them in with --overlay",
                file=sys.stderr,
            )
            return 2
        if not args.no_baseline:
            # one run for all the plain file selections, one per selection with options (-k ...)
            plain = tuple(dict.fromkeys(t for b in bugs if _plain(b.tests) for t in b.tests))
            runs = ([plain] if plain else []) + list(
                dict.fromkeys(b.tests for b in bugs if not _plain(b.tests))
            )
            start = time.perf_counter()
            for tests in runs:
                rc, output = run_pytest(first, tests, args.timeout)
                if rc != 0:
                    print(output[-3000:])
                    print(
                        f"seeded_bugs: the tests fail WITHOUT any bug (exit {rc}); fix that first"
                    )
                    return 2
            took = time.perf_counter() - start
            print(f"baseline: the bugs' tests pass without any bug ({took:.1f} s)")

        def work(bug: Bug) -> Result:
            copy = copies.get()
            try:
                result = run_bug(bug, repo, copy, args.timeout)
            finally:
                copies.put(copy)
            print(f"  {bug.id}: {result.status} ({result.seconds:.1f} s)", flush=True)
            return result

        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(work, bugs))
        took = time.perf_counter() - start
    print()
    print_table(results)
    print(f"total {took:.0f} s")
    bad = [r for r in results if r.status != CAUGHT]
    for r in bad:
        print(f"{r.status}: {r.bug.id}: {r.bug.what} {r.detail}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
