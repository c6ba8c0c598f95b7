"""A learner's kernel for batch grading: started fresh, sandboxed, limited, driven message by message.

``Kernel.run(code, timeout)`` executes code and returns how it went (ok, error, timeout, dead,
flood) without ever blocking the grader: a cell past its time limit is interrupted (an
``interrupt_request`` message: the kernelspec's ``interrupt_mode`` is ``"message"``, so that
an interrupt reaches the kernel inside the sandbox instead of killing the sandbox), and one
that ignores the interrupt gets its kernel stopped; output beyond the limit interrupts too.
The kernel's own stdout/stderr go nowhere.

The kernel starts through ``sandbox.launcher_argv`` (limits on CPU time, address space, file
size and processes, a minimal environment), inside ``sandbox.Sandbox.command`` (bubblewrap)
unless the grader was told ``--no-sandbox``. Its channels are Unix sockets in its scratch
folder (jupyter_client's ``ipc`` transport: the sandbox has no network). :meth:`Kernel.kill`
returns only once every process the kernel started is gone. ``driver_code`` runs
``_driver.run_request`` (with ``_guard.reference_guard``) inside it.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rnncourse.grading import _driver
from rnncourse.grading.noref import GUARD_SOURCE
from rnncourse.grading.sandbox import kernel_env, launcher_argv

__all__ = ["Kernel", "driver_code", "in_own_thread"]

DRIVER_SOURCE = Path(_driver.__file__).read_text(encoding="utf-8")
START_ATTEMPTS = 3  # kernel starts tried (a kernel that dies at start, on a busy machine)


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process under it (Linux /proc)."""
    total, todo, seen = 0.0, [pid], set()
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    while todo:
        p = todo.pop()
        if p in seen or p <= 0:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            continue
        todo += _children(p)
    return total


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


class Kernel:
    """A learner's kernel, driven message by message so nothing can block the grader.

    ``workdir``: the kernel's scratch folder (its cwd and HOME, read-write, and its sockets);
    ``iodir``: where the grader puts the connection file and its requests (read-only inside
    the sandbox). ``limits`` is a ``batch.Limits``; ``sandbox`` a ``sandbox.Sandbox`` or None
    (``--no-sandbox``: the limits still apply).
    """

    def __init__(self, workdir: Path, limits, sandbox=None, iodir: Path | None = None) -> None:
        from jupyter_client.kernelspec import KernelSpec
        from jupyter_client.manager import KernelManager

        self.limits = limits
        self.sandbox = sandbox
        self.workdir = Path(workdir)
        self.iodir = Path(iodir) if iodir is not None else self.workdir
        self.proc = sandbox.prepare([self.workdir, self.iodir]) if sandbox is not None else None
        self.exit_code: int | None = None
        self._inner: list[int] = []
        kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        if sandbox is not None:
            argv = sandbox.command(
                kernel_argv,
                scratch=self.workdir,
                readonly=[self.iodir] if self.iodir != self.workdir else [],
                proc=self.proc,
                limits=limits,
            )
        else:
            argv = launcher_argv(
                kernel_argv,
                cpu_seconds=limits.cpu_seconds,
                memory_mb=limits.memory_mb,
                file_mb=limits.file_mb,
                procs=limits.procs,
                uid=None,
                cwd=self.workdir,
                env={**kernel_env(self.workdir, None), **_passthrough()},
            )
        spec = KernelSpec(
            argv=argv, display_name="rnncourse grading", language="python",
            interrupt_mode="message", env={},
        )  # fmt: skip
        try:
            for attempt in range(1, START_ATTEMPTS + 1):
                self.km = KernelManager(
                    transport="ipc",
                    ip=str(self.workdir / f"kernel-{attempt}"),
                    connection_file=str(self.iodir / f"kernel-{attempt}.json"),
                )
                self.km._kernel_spec = spec
                self.kc = None
                try:
                    self.km.write_connection_file()
                    os.chmod(self.km.connection_file, 0o644)  # the kernel's uid reads it
                    if self.proc is not None and self.proc.uid is not None:
                        os.chown(self.km.connection_file, self.proc.uid, self.proc.uid)
                    # the kernel's own stdout/stderr (os.write(1, ...), C-level prints) go nowhere
                    self.km.start_kernel(
                        cwd=str(self.workdir),
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    self.kc = self.km.client()
                    self.kc.start_channels()
                    self.kc.wait_for_ready(timeout=limits.startup_timeout)
                    self._inner = _children(self._pid()) if sandbox is not None else []
                    return
                except RuntimeError:  # "Kernel died before replying" / "didn't respond in N s"
                    self._discard()
                    if attempt == START_ATTEMPTS:
                        raise
        except BaseException:
            self._release()
            raise

    def _pid(self) -> int:
        return int(getattr(self.km.provisioner, "pid", 0) or 0)

    def _discard(self) -> None:
        """Stop a kernel that failed to start, quietly."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        except Exception:
            pass

    def _release(self) -> bool:
        if self.proc is not None:
            return self.proc.wait_gone()
        return True

    def exit_reason(self) -> str:
        """Why a dead kernel died, when its exit code says (a limit), else ""."""
        code = self.exit_code
        if code is None:
            process = getattr(self.km.provisioner, "process", None) if self.km else None
            code = process.poll() if process is not None else None
            self.exit_code = code
        if code is None:
            return ""
        sig = -code if code < 0 else code - 128 if code > 128 else 0
        if sig == getattr(signal, "SIGXCPU", -1):
            return f"it used up its CPU time limit of {self.limits.cpu_seconds:g} s (--cpu-seconds)"
        if sig == getattr(signal, "SIGXFSZ", -1):
            return f"it wrote a file larger than {self.limits.file_mb:g} MB (--file-mb)"
        return ""

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

    cpu_total = 0.0  # CPU seconds of every kernel stopped so far (for tools.bench_sandbox)
    _cpu_lock = threading.Lock()

    def kill(self) -> None:
        """Stop the kernel and everything it started; returns once they are all gone."""
        used = _tree_cpu(self._pid()) if self.km.has_kernel else 0.0
        with Kernel._cpu_lock:
            Kernel.cpu_total += used
        for pid in self._inner:  # the sandbox's init: its death takes the PID namespace along
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.kc.stop_channels()
        finally:
            try:
                if self.km.has_kernel:
                    self.exit_reason()
                    self.km.shutdown_kernel(now=True)
            finally:
                deadline = time.monotonic() + 10.0
                while not all(_gone(p) for p in self._inner) and time.monotonic() < deadline:
                    time.sleep(0.01)
                if not self._release():
                    raise RuntimeError("a process of the learner's kernel could not be stopped")


def _passthrough() -> dict[str, str]:
    """What an unsandboxed kernel keeps of the grader's environment: where to find Python."""
    return {k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}


def driver_code(request: Path, inputs: Path, result: Path, arrays: Path) -> str:
    """One statement that runs the driver (and the no-credit guard) in a private namespace."""
    paths = ", ".join(repr(str(p)) for p in (request, inputs, result, arrays))
    return (
        f"(lambda _ns: (exec(compile({DRIVER_SOURCE!r}, '<rnncourse-grading-driver>', 'exec'), _ns), "
        f"exec(compile({GUARD_SOURCE!r}, '<rnncourse-grading-guard>', 'exec'), _ns), "
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
