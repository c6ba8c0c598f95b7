"""Shared test helpers for rnncourse.  READ THIS before writing a test that needs torch or a browser.

Optional heavy dependencies (torch, Chromium + Playwright)
----------------------------------------------------------
Such tests SKIP with a clear reason where the dependency is missing, and FAIL instead of skipping
when ``RNNCOURSE_REQUIRE_ALL=1`` (set by ``.ci/run``), so CI can never pass by skipping them.
Never ``import torch`` at the top of a test module (collection would crash without it) and never
use a bare ``pytest.importorskip`` (it would skip in CI too). Use one of:

    def test_rnn_matches_torch(torch):          # fixture: the torch module, 1 thread, float64 ready
        rnn = torch.nn.RNN(4, 5, batch_first=True, dtype=torch.float64)

    def test_something(require):                # fixture: any optional module by name
        scipy = require("scipy")

    pytestmark = pytest.mark.torch              # marker: the whole module needs torch
    pytestmark = pytest.mark.browser            # marker: needs Playwright and Chromium

    def test_page(chromium):                    # fixture: path of a Chromium executable
        ...                                     # (implies the browser requirements)

Mark torch tests ``@pytest.mark.torch`` and browser tests ``@pytest.mark.browser`` even when they
use the fixtures: the test command deselects ``browser`` tests in the oldest-numpy environment and
the markers say at a glance what a test needs. Tests that execute notebooks (nbclient) are marked
``@pytest.mark.notebooks``; they too run only in the main environment.

Notebook time budgets
---------------------
When notebooks are collected by nbval (``--nbval`` / ``--nbval-lax``, as the test command does),
the time of every notebook (kernel start + every cell) is measured by the one notebook timer
(``tools.notebook_timer``, the benchmark's and the timetable's too) and a table of all notebooks'
times against the course's budgets (``tools.budgets``, keyed on each notebook's lesson id; the
rule is in docs/CONVENTIONS.md) is printed at the end of the run, with the whole course's total.
Times are the CPU time of the notebook's kernel process: on an idle machine that is its wall
time, and unlike wall time it does not grow when other work shares the two cores (the table shows
wall time beside it). ``RNNCOURSE_BUDGET_CLOCK=wall`` reports wall time instead.

By default the budgets are reported, not enforced: they are performance targets, and a test that
fails when a neighbour on a shared machine is busy is not a test of the course (the benchmark,
``make bench``, measures them on a quiet machine). ``RNNCOURSE_BUDGET_FACTOR=F`` (F > 0) enforces
every budget times F: each notebook over it, and the course's total, is reported as a failure.
Endless loops are caught by nbval's per-cell timeout, which the test command sets.
Files in ``exercises/`` are compared lax (``--nbval-lax`` semantics) even in a ``--nbval`` run.
Notebooks under ``tests/`` or ``rnncourse/`` are test data and never collected by nbval.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

from tools.budgets import TOTAL_BUDGET, budget_for
from tools.notebook_timer import NotebookTime, NotebookTimer

REPO = Path(__file__).resolve().parents[1]
REQUIRE_ALL = os.environ.get("RNNCOURSE_REQUIRE_ALL", "") == "1"

INSTALL_HINTS = {
    "torch": "install it with `pip install torch==2.13.0` (make test does)",
    "playwright": "install it with `pip install playwright` (the test extras do)",
}


# --------------------------------------------------------------------------------------------
# optional dependencies
# --------------------------------------------------------------------------------------------
def missing(reason: str) -> None:
    """Skip the current test because `reason`; fail instead under RNNCOURSE_REQUIRE_ALL=1."""
    if REQUIRE_ALL:
        pytest.fail(
            f"{reason} -- RNNCOURSE_REQUIRE_ALL=1, so this may not be skipped", pytrace=False
        )
    pytest.skip(reason)


def require_module(name: str):
    """Import and return module `name`, or skip/fail (see `missing`) with an install hint."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        hint = INSTALL_HINTS.get(name.split(".")[0], f"install {name}")
        missing(f"needs {name}, which is not importable ({exc}); {hint}")


def find_chromium() -> str | None:
    """Path of a Chromium executable: $RNNCOURSE_CHROMIUM, then chromium on PATH, then Debian's."""
    candidates = [os.environ.get("RNNCOURSE_CHROMIUM", "")]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser")]
    candidates += ["/usr/bin/chromium"]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def require_browser() -> str:
    """Check Playwright and Chromium are there (skip/fail otherwise); return Chromium's path."""
    require_module("playwright")
    path = find_chromium()
    if path is None:
        missing("needs Chromium (Debian: `apt-get install chromium`; or set RNNCOURSE_CHROMIUM)")
    return path


def require_sandbox() -> None:
    """Skip (fail under RNNCOURSE_REQUIRE_ALL=1) where learner kernels cannot be sandboxed."""
    from rnncourse.grading.sandbox import probe

    ok, why = probe()
    if not ok:
        missing(f"needs the grading sandbox (bubblewrap): {why}")


@pytest.fixture
def sandbox() -> None:
    """The grading sandbox works here (``rnncourse grade --check-sandbox``), or skip/fail."""
    require_sandbox()


@pytest.fixture
def require():
    """``require("name")`` imports an optional module or skips (fails under REQUIRE_ALL)."""
    return require_module


@pytest.fixture
def torch():
    """The torch module, single-threaded (stable timings on a shared 2-core machine)."""
    torch = require_module("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


@pytest.fixture
def chromium() -> str:
    """Path of the Chromium executable for Playwright (``executable_path=chromium``)."""
    return require_browser()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    # a test that uses the `torch` / `chromium` fixture needs what the marker says: mark it, so
    # `-m "not torch"` (the oldest-numpy run) deselects it even when its author forgot the marker
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "torch" in names and item.get_closest_marker("torch") is None:
            item.add_marker(pytest.mark.torch)
        if "chromium" in names and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("torch") is not None:
        require_module("torch")
    if item.get_closest_marker("browser") is not None:
        require_browser()
    if item.get_closest_marker("sandbox") is not None:
        require_sandbox()


# --------------------------------------------------------------------------------------------
# notebooks: lax comparison for exercises/, time budgets for every notebook
# --------------------------------------------------------------------------------------------
def budget_factor() -> float:
    """0 (the default): budgets are reported only; F > 0: enforced, each scaled by F."""
    try:
        return max(0.0, float(os.environ.get("RNNCOURSE_BUDGET_FACTOR", "0")))
    except ValueError:
        return 0.0


def budget_clock() -> str:
    """Which clock the budgets table reports: "cpu" (default) or "wall" (RNNCOURSE_BUDGET_CLOCK)."""
    return "wall" if os.environ.get("RNNCOURSE_BUDGET_CLOCK", "cpu").lower() == "wall" else "cpu"


def _nbval_file_class():
    try:
        from nbval.plugin import IPyNbFile
    except ImportError:  # nbval not installed: no notebook items can exist
        return None
    return IPyNbFile


def over_budget(times: dict[str, tuple[float, float, float | None]], factor: float) -> list[str]:
    """What breaks the enforced budgets (none when ``factor`` is 0): one message per notebook over
    its budget x factor, and one for the whole course over its budget x factor.

    >>> over_budget({"notebooks/01_x.ipynb": (25.0, 30.0, 20.0)}, 0.0)
    []
    >>> over_budget({"notebooks/01_x.ipynb": (25.0, 30.0, 20.0)}, 2.0)
    []
    >>> over_budget({"notebooks/01_x.ipynb": (25.0, 30.0, 20.0)}, 1.0)[0].split(";")[0]
    'notebooks/01_x.ipynb took 25.0 s of kernel time (30.0 s wall)'
    """
    if factor <= 0:
        return []
    problems = [
        f"{nb} took {judged:.1f} s of kernel time ({wall:.1f} s wall); its budget is"
        f" {budget * factor:.0f} s (time budgets: docs/CONVENTIONS.md). Move long work to a command with"
        " committed results, or make it faster."
        for nb, (judged, wall, budget) in sorted(times.items())
        if budget is not None and judged > budget * factor
    ]
    total = sum(t for t, _, _ in times.values())
    if total > TOTAL_BUDGET * factor:
        problems.append(
            f"all {len(times)} notebooks together took {total:.0f} s; the course's budget"
            f" is {TOTAL_BUDGET * factor:.0f} s (time budgets: docs/CONVENTIONS.md)"
        )
    return problems


_TIMERS: dict[str, NotebookTimer] = {}  # notebook relpath -> its timer, where its cells run


class BudgetPlugin:
    """Registered as a plugin (not a conftest hook) so it sees notebook items outside tests/."""

    def __init__(self) -> None:
        self.times: dict[str, tuple[float, float, float | None]] = {}  # judged, wall, budget

    def pytest_ignore_collect(self, collection_path, config):
        # notebooks inside tests/ or the package are test data (e.g. broken submissions for the
        # grader), not course notebooks: nbval must not run them
        if collection_path.suffix == ".ipynb":
            if _relpath(collection_path).split("/", 1)[0] in ("tests", "rnncourse"):
                return True
        return None

    def pytest_collection_modifyitems(self, session, config, items) -> None:
        file_cls = _nbval_file_class()
        if file_cls is None:
            return
        from nbval.plugin import find_comment_markers, find_metadata_tags

        for item in items:
            parent = item.parent
            if isinstance(parent, file_cls) and hasattr(item, "options"):
                if _relpath(parent.path).startswith("exercises/"):
                    # exercises are committed without outputs: compare only where a cell asks
                    explicit = dict(find_metadata_tags(item.cell.metadata))
                    explicit.update(dict(find_comment_markers(item.cell.source)))
                    if "check" not in explicit:
                        item.options["check"] = False

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        # before a notebook's first cell, whose setup starts nbval's kernel: start its timer
        file_cls = _nbval_file_class()
        if file_cls is not None and isinstance(item.parent, file_cls):
            _TIMERS.setdefault(_relpath(item.parent.path), NotebookTimer())
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        # after a notebook's last cell, before nbval shuts its kernel down: read its timer
        file_cls = _nbval_file_class()
        parent = item.parent
        if file_cls is not None and isinstance(parent, file_cls):
            if nextitem is None or nextitem.parent is not parent:
                nb = _relpath(parent.path)
                timer = _TIMERS.pop(nb, None)
                kernel = getattr(getattr(parent, "kernel", None), "km", None)
                took = timer.mark(kernel) if timer is not None else NotebookTime(0.0, None)
                item.user_properties.append(
                    ("notebook_seconds", round(took.judged(budget_clock()), 3))
                )
                item.user_properties.append(("notebook_wall", round(took.wall, 3)))
                item.user_properties.append(("notebook_budget", budget_for(nb)))
        yield

    def pytest_runtest_logreport(self, report) -> None:
        path, _, rest = report.nodeid.partition("::")
        if not path.endswith(".ipynb") or not rest:
            return
        nb = _relpath(path)
        props = dict(report.user_properties)
        if report.when == "teardown" and "notebook_seconds" in props:
            self.times[nb] = (
                props["notebook_seconds"],
                props.get("notebook_wall", props["notebook_seconds"]),
                props["notebook_budget"],
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        # xdist workers send their reports to the controller, which judges the budgets
        if not self.times or hasattr(session.config, "workerinput"):
            return
        from _pytest.reports import TestReport

        for problem in over_budget(self.times, budget_factor()):
            report = TestReport(
                nodeid="notebooks::time-budget",
                location=("notebooks", None, "time-budget"),
                keywords={},
                outcome="failed",
                longrepr=problem,
                when="call",
            )
            session.config.hook.pytest_runtest_logreport(report=report)
            session.testsfailed += 1
            if session.exitstatus == 0:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        if not self.times or hasattr(config, "workerinput"):
            return
        tr = terminalreporter
        factor = budget_factor()

        def row(name: str, seconds: float, wall: float, budget: float | None) -> None:
            if budget is None:
                status, budget_txt = "no budget", "-"
            else:
                limit = budget * (factor or 1.0)
                status = "OVER" if seconds > limit else "within"
                if factor <= 0:
                    status += " (reported)"
                budget_txt = f"{limit:.0f}"
            tr.write_line(f"{name:<46} {seconds:8.1f} {wall:8.1f} {budget_txt:>7}  {status}")

        clock = "wall" if budget_clock() == "wall" else "kernel CPU"
        how = f"enforced x{factor:g}" if factor > 0 else "reported, not enforced"
        tr.write_sep("=", f"notebook times in seconds ({clock} time) vs budgets, {how}")
        tr.write_line(f"{'notebook':<46} {'judged':>8} {'wall':>8} {'budget':>7}  status")
        for nb in sorted(self.times):
            row(nb, *self.times[nb])
        total = sum(t for t, _, _ in self.times.values())
        total_wall = sum(w for _, w, _ in self.times.values())
        row(f"total ({len(self.times)} notebooks)", total, total_wall, TOTAL_BUDGET)


def _relpath(path) -> str:
    p = Path(str(path))
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return p.as_posix()


def pytest_configure(config) -> None:
    if not config.pluginmanager.has_plugin("rnncourse-budgets"):
        config.pluginmanager.register(BudgetPlugin(), "rnncourse-budgets")
