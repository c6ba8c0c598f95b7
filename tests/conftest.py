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
each notebook gets one extra item, ``<notebook>::time-budget``, that runs after its last cell and
fails if the notebook (kernel start + every cell) took longer than the contract's budget. A table of
all notebooks' times is printed at the end of the run, and the whole course's total is checked too.
Budgets are judged on the CPU time of the notebook's kernel process: on an idle machine that is
its wall time, and unlike wall time it does not grow when other work shares the two cores (the
table shows wall time beside it). ``RNNCOURSE_BUDGET_CLOCK=wall`` judges on wall time instead;
``RNNCOURSE_BUDGET_FACTOR`` scales every budget (e.g. 2 on a slow laptop; 0 = report only).
Files in ``exercises/`` are compared lax (``--nbval-lax`` semantics) even in a ``--nbval`` run.
Notebooks under ``tests/`` or ``rnncourse/`` are test data and never collected by nbval.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest

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


# --------------------------------------------------------------------------------------------
# notebooks: lax comparison for exercises/, time budgets for every notebook
# --------------------------------------------------------------------------------------------
TOTAL_BUDGET = 300.0  # seconds, the whole course (contract)


def budget_for(relpath: str) -> float | None:
    """The contract's time budget (seconds) for a notebook, from its path relative to the repo.

    >>> budget_for("notebooks/03_outputs.ipynb"), budget_for("notebooks/09_applications.ipynb")
    (20.0, 90.0)
    >>> budget_for("solutions/07_lstm.ipynb"), budget_for("exercises/07_lstm.ipynb")
    (10.0, 5.0)
    """
    parts = Path(relpath).parts
    if len(parts) != 2:
        return None
    folder, name = parts
    if folder == "solutions":
        return 10.0
    if folder == "exercises":
        return 5.0
    if folder == "notebooks":
        m = re.match(r"(\d\d)_", name)
        lesson = int(m.group(1)) if m else 0
        if lesson <= 4:
            return 20.0
        if lesson <= 6:
            return 30.0
        if lesson <= 8:
            return 60.0
        return 90.0
    return None


def budget_factor() -> float:
    try:
        return float(os.environ.get("RNNCOURSE_BUDGET_FACTOR", "1"))
    except ValueError:
        return 1.0


def budget_clock() -> str:
    """Which time budgets judge: "cpu" (default) or "wall" (RNNCOURSE_BUDGET_CLOCK)."""
    return "wall" if os.environ.get("RNNCOURSE_BUDGET_CLOCK", "cpu").lower() == "wall" else "cpu"


def kernel_cpu_seconds(nbfile) -> float | None:
    """CPU seconds (user + system, its waited-for children included) used so far by the kernel
    process of an nbval notebook, from its start; None where that cannot be read.

    This is what a notebook costs, whatever runs beside it: on an idle machine it is the
    notebook's wall time (one BLAS thread), on a busy one wall time grows and this does not.
    """
    try:
        import psutil

        provisioner = nbfile.kernel.km.provisioner
        pid = getattr(provisioner, "pid", None) or provisioner.process.pid
        t = psutil.Process(pid).cpu_times()
    except Exception:  # no psutil, kernel gone, another provisioner: fall back to wall time
        return None
    return t.user + t.system + t.children_user + t.children_system


def _nbval_file_class():
    try:
        from nbval.plugin import IPyNbFile
    except ImportError:  # nbval not installed: no notebook items can exist
        return None
    return IPyNbFile


class BudgetItem(pytest.Item):
    """Runs after a notebook's last cell; fails if the notebook took longer than its budget."""

    def __init__(self, *, notebook: str, budget: float | None, **kwargs):
        super().__init__(**kwargs)
        self.notebook = notebook
        self.budget = budget

    def runtest(self) -> None:
        wall = _ELAPSED.get(self.notebook, 0.0)
        cpu = kernel_cpu_seconds(self.parent)
        judged = wall if cpu is None or budget_clock() == "wall" else cpu
        clock = "wall" if judged is wall else "CPU"
        factor = budget_factor()
        self.user_properties.append(("notebook_seconds", round(judged, 3)))
        self.user_properties.append(("notebook_wall", round(wall, 3)))
        self.user_properties.append(("notebook_budget", self.budget))
        if self.budget is not None and factor > 0 and judged > self.budget * factor:
            raise BudgetExceeded(
                f"{self.notebook} took {judged:.1f} s of kernel {clock} time ({wall:.1f} s wall);"
                f" its budget is {self.budget * factor:.0f} s (CONTRACT.md, time budgets). Move long"
                " work to a command with committed results, or make it faster."
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BudgetExceeded):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.notebook}::time-budget"


class BudgetExceeded(Exception):
    pass


_ELAPSED: dict[str, float] = {}  # notebook relpath -> seconds, where its cells ran


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

        out = []
        last_parent = None
        for item in items:
            parent = item.parent
            if last_parent is not None and parent is not last_parent:
                out.append(_budget_item(last_parent))
                last_parent = None
            out.append(item)
            if isinstance(parent, file_cls):
                last_parent = parent
                if _relpath(parent.path).startswith("exercises/") and hasattr(item, "options"):
                    # exercises are committed without outputs: compare only where a cell asks
                    explicit = dict(find_metadata_tags(item.cell.metadata))
                    explicit.update(dict(find_comment_markers(item.cell.source)))
                    if "check" not in explicit:
                        item.options["check"] = False
        if last_parent is not None:
            out.append(_budget_item(last_parent))
        items[:] = out

    def pytest_runtest_logreport(self, report) -> None:
        path, _, rest = report.nodeid.partition("::")
        if not path.endswith(".ipynb") or not rest:
            return
        nb = _relpath(path)
        if rest == "time-budget":
            props = dict(report.user_properties)
            if report.when == "call" and "notebook_seconds" in props:
                self.times[nb] = (
                    props["notebook_seconds"],
                    props.get("notebook_wall", props["notebook_seconds"]),
                    props["notebook_budget"],
                )
        else:  # a cell of `nb`, in the process that runs it: add setup + call + teardown
            _ELAPSED[nb] = _ELAPSED.get(nb, 0.0) + report.duration

    def total_problem(self) -> str | None:
        total = sum(t for t, _, _ in self.times.values())
        factor = budget_factor()
        if factor > 0 and total > TOTAL_BUDGET * factor:
            return (
                f"all {len(self.times)} notebooks together took {total:.0f} s; the course's budget"
                f" is {TOTAL_BUDGET * factor:.0f} s (CONTRACT.md, time budgets)"
            )
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        # xdist workers send their reports to the controller, which judges the total
        if not self.times or hasattr(session.config, "workerinput"):
            return
        problem = self.total_problem()
        if problem is None:
            return
        from _pytest.reports import TestReport

        report = TestReport(
            nodeid="notebooks::total-time-budget",
            location=("notebooks", None, "total-time-budget"),
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
            elif factor <= 0:
                status, budget_txt = "report only", f"({budget:.0f})"
            else:
                status = "OVER" if seconds > budget * factor else "ok"
                budget_txt = f"{budget * factor:.0f}"
            tr.write_line(f"{name:<46} {seconds:8.1f} {wall:8.1f} {budget_txt:>7}  {status}")

        clock = "wall" if budget_clock() == "wall" else "kernel CPU"
        tr.write_sep("=", f"notebook time budgets, judged on {clock} time (seconds)")
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


def _budget_item(parent) -> BudgetItem:
    rel = _relpath(parent.path)
    return BudgetItem.from_parent(parent, name="time-budget", notebook=rel, budget=budget_for(rel))


def pytest_configure(config) -> None:
    if not config.pluginmanager.has_plugin("rnncourse-budgets"):
        config.pluginmanager.register(BudgetPlugin(), "rnncourse-budgets")
