"""The one notebook timer: how long one notebook run took, in wall time and in kernel CPU time.

Used by every program that times notebooks: the test command's budget table (tests/conftest.py,
with nbval's kernels), the benchmark (``python -m tools.bench_notebooks``) and the timetable
(``python -m tools.measure_runtimes``), both through ``tools.execute_notebooks.run_notebook``.

A timer starts just before the kernel starts and is read (``mark``) while the kernel is still
running, after each cell; the last reading is the run's time:

- **wall**: seconds from kernel start to the end of the last cell, what a learner waits for
  after "Restart Kernel and Run All";
- **cpu**: the CPU seconds (user + system, the children it waited for included) that the kernel
  process used since it started. On an idle machine with one BLAS thread this is about the wall
  time; unlike wall time it does not grow when other work shares the cores. None where it cannot
  be read (no psutil, or a kernel that is not a local process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class NotebookTime:
    """The time of one notebook run, in seconds."""

    wall: float
    cpu: float | None

    def judged(self, clock: str = "cpu") -> float:
        """The figure compared with the budget: the kernel's CPU time, or the wall time when
        ``clock`` is "wall" or the CPU time is unknown.

        >>> NotebookTime(12.0, 9.5).judged(), NotebookTime(12.0, 9.5).judged("wall")
        (9.5, 12.0)
        >>> NotebookTime(12.0, None).judged()
        12.0
        """
        return self.wall if self.cpu is None or clock == "wall" else self.cpu


def kernel_cpu_seconds(kernel_manager) -> float | None:
    """CPU seconds used so far by the kernel process of a jupyter_client kernel manager (user +
    system, its waited-for children included); None where that cannot be read."""
    try:
        import psutil

        provisioner = kernel_manager.provisioner
        pid = getattr(provisioner, "pid", None) or provisioner.process.pid
        t = psutil.Process(pid).cpu_times()
    except Exception:  # no psutil, kernel gone, another provisioner: unknown
        return None
    return t.user + t.system + t.children_user + t.children_system


class NotebookTimer:
    """Start it just before the kernel starts; ``mark(kernel_manager)`` after each cell, while the
    kernel runs; ``result()`` is the time at the last mark.

    >>> timer = NotebookTimer()
    >>> t = timer.mark(None)  # no kernel: the wall time only
    >>> t.cpu is None and 0 <= t.wall == timer.result().wall
    True
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.last: NotebookTime | None = None

    def mark(self, kernel_manager) -> NotebookTime:
        """Read both clocks now (the kernel must still be running for the CPU time)."""
        wall = time.perf_counter() - self.start
        cpu = None if kernel_manager is None else kernel_cpu_seconds(kernel_manager)
        if cpu is None and self.last is not None:
            cpu = self.last.cpu  # the kernel is gone: keep what was read while it ran
        self.last = NotebookTime(wall, cpu)
        return self.last

    def result(self) -> NotebookTime:
        """The time at the last mark (wall time until now, without a mark)."""
        if self.last is None:
            return NotebookTime(time.perf_counter() - self.start, None)
        return self.last
