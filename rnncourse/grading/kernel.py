"""A learner's kernel for batch grading: started fresh, limited, driven message by message.

``Kernel.run(code, timeout)`` executes code and returns how it went (ok, error, timeout, dead,
flood) without ever blocking the grader: a cell past its time limit is interrupted, and one
that ignores the interrupt gets its kernel stopped; output beyond the limit interrupts too.
The kernel's own stdout/stderr go nowhere. ``setup_code`` caps the kernel's address space
(``RLIMIT_AS``, where the OS has it); ``driver_code`` runs ``_driver.run_request`` inside it.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from pathlib import Path

from rnncourse._environ import ONE_BLAS_THREAD
from rnncourse.grading import _driver

__all__ = ["Kernel", "driver_code", "in_own_thread", "setup_code"]

DRIVER_SOURCE = Path(_driver.__file__).read_text(encoding="utf-8")
START_ATTEMPTS = 3  # kernel starts tried before a submission is reported as not graded


class Kernel:
    """A learner's kernel, driven message by message so nothing can block the grader.

    ``limits`` is a ``batch.Limits`` (``startup_timeout``, ``max_output_bytes`` are used here).
    """

    def __init__(self, workdir: Path, limits) -> None:
        from jupyter_client.manager import KernelManager

        self.limits = limits
        env = {**os.environ, **ONE_BLAS_THREAD, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
        # A kernel that dies at start is retried with new ports: jupyter_client picks free TCP
        # ports before the kernel binds them, so kernels started at the same moment (a room's
        # notebooks graded in parallel) can race for one and the loser exits at once.
        for attempt in range(1, START_ATTEMPTS + 1):
            self.km = KernelManager(kernel_name="python3")
            self.kc = None
            try:
                # the kernel's own stdout/stderr (os.write(1, ...), C-level prints) go nowhere
                self.km.start_kernel(
                    cwd=str(workdir), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                self.kc = self.km.client()
                self.kc.start_channels()
                self.kc.wait_for_ready(timeout=limits.startup_timeout)
                return
            except RuntimeError:  # "Kernel died before replying" / "didn't respond in N s"
                self._discard()
                if attempt == START_ATTEMPTS:
                    raise

    def _discard(self) -> None:
        """Stop a kernel that failed to start, quietly."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        except Exception:
            pass

    def alive(self) -> bool:
        return self.km.is_alive()

    def run(self, code: str, timeout: float) -> dict:
        """Execute ``code``; returns {"status": ok|error|timeout|dead|flood, "ename", "evalue"}."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + max(timeout, 0.1)
        result = {"status": "ok", "ename": "", "evalue": ""}
        printed, interrupted_at = 0, None
        while True:
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                result["status"] = "timeout"
                self.km.interrupt_kernel()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + 3.0:
                self.kill()  # ignored the interrupt (stuck in C code, or catching KeyboardInterrupt)
                result["status"] = result["status"] if result["status"] != "ok" else "timeout"
                return result
            try:
                msg = self.kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                if not self.alive():
                    result["status"] = "dead"
                    return result
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                printed += len(content.get("text", ""))
            elif kind in ("display_data", "execute_result", "update_display_data"):
                printed += sum(len(str(v)) for v in content.get("data", {}).values())
            elif kind == "error" and result["status"] == "ok":
                result.update(
                    status="error",
                    ename=content.get("ename", ""),
                    evalue=content.get("evalue", "")[:300],
                )
            elif kind == "status" and content.get("execution_state") == "idle":
                return result
            if printed > self.limits.max_output_bytes and interrupted_at is None:
                result["status"] = "flood"
                self.km.interrupt_kernel()
                interrupted_at = time.monotonic()

    def kill(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)


def setup_code(memory_mb: int) -> str:
    return (
        "def _rnncourse_limits(limit):\n"
        "    try:\n"
        "        import resource\n"
        "        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "    except Exception:\n"
        "        pass\n"
        f"_rnncourse_limits({int(memory_mb) * 2**20})\n"
        "del _rnncourse_limits\n"
    )


def driver_code(request: Path, inputs: Path, result: Path, arrays: Path) -> str:
    paths = ", ".join(repr(str(p)) for p in (request, inputs, result, arrays))
    return (
        f"(lambda _ns: (exec(compile({DRIVER_SOURCE!r}, '<rnncourse-grading-driver>', 'exec'), _ns), "
        f"_ns['run_request'](globals(), {paths})))({{'__name__': 'rnncourse_grading_driver'}})"
    )


def in_own_thread(fn, *args, **kwargs):
    """Run ``fn`` in a fresh thread and close the event loop jupyter_client makes there."""
    box: dict = {}

    def target() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        finally:
            try:
                from jupyter_core.utils import _loop

                loop = _loop.get()
                if loop is not None and not loop.is_closed():
                    loop.close()
            except Exception:
                pass

    thread = threading.Thread(target=target, name="rnncourse-grade")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]
