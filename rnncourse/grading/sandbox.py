"""The sandbox every learner kernel of ``rnncourse grade`` runs in (Linux, bubblewrap).

A learner's kernel is started as

    bwrap [the allowlist below] -- python -I -S -c LAUNCHER PARAMS -- python -m ipykernel_launcher -f CONN

What the sandbox gives the kernel (:meth:`Sandbox.command` builds it):

- **File system, an allowlist.** Read-only: the system directories (``/usr`` and the ``/bin``,
  ``/lib*`` links, the dynamic linker's few files of ``/etc``), the Python prefixes
  (``sys.prefix``, ``sys.base_prefix``) and the site-packages folders on the grader's
  ``sys.path``, and the *kernel view* of the package (below). Read-write: the kernel's own
  scratch folder (its working directory and ``HOME``, holding the learner's copy of the
  submission). Nothing else: not the course repository (``solutions/``, ``tests/``, ``.git``),
  not ``--source``, the other submissions, the gradebooks or the home folder; ``/tmp`` is empty
  and private; ``/proc`` shows the kernel's own processes only. The grader's requests are in a
  folder the kernel can read and not write.
- **The kernel view of the package** replaces the installed ``rnncourse`` inside the sandbox
  (bound over its folder, and first on ``PYTHONPATH``): the package's modules with every
  graded function's reference (and every function that computes the same answer) replaced by a
  stand-in that raises saying why, so the rest of each module (``sigmoid``, the tasks, the data
  loaders, plotting) stays usable and a helper that calls a reference fails when called;
  stand-ins that raise ``ImportError`` for the grading modules and what imports them; and a
  ``rnncourse.grading`` whose ``check`` and ``check_hidden`` do nothing (the grader runs the
  checks, outside). :func:`kernel_view` writes it.
- **No network** (a network namespace of its own with only loopback); the kernel's channels
  are Unix sockets in its scratch folder (jupyter_client's ``ipc`` transport).
- **Its own PID namespace**, ``--die-with-parent`` and a session of its own: when the grader
  stops the kernel (it kills the namespace's init), every process the learner started goes
  with it, double-forked or ``setsid`` ones included; :meth:`SandboxedProcess.wait_gone`
  waits until they are.
- **An unprivileged uid** when the grader runs as root (one per concurrent kernel, from
  :class:`UidPool`, because ``RLIMIT_NPROC`` counts processes per uid and does not bind root);
  all capabilities dropped with it.
- **A minimal environment**: ``PATH``, ``HOME``, ``LANG``, one BLAS thread, ``PYTHONHASHSEED=0``,
  ``MPLBACKEND=Agg``, ``PYTHONPATH`` (the view); nothing of the instructor's.
- **Limits** (``resource.setrlimit`` in the launcher, before the kernel starts; the kernel
  cannot raise them): CPU seconds (``RLIMIT_CPU``), address space (``RLIMIT_AS``), the size of
  any file it writes (``RLIMIT_FSIZE``), processes and threads (``RLIMIT_NPROC``; for a grader
  that is not root, the user's current count plus the limit, since the count is per user).

:func:`probe` tells whether this machine can sandbox (``rnncourse grade --check-sandbox``).
Without the sandbox (``--no-sandbox``) the same launcher still applies the limits, but the
kernel sees what the instructor sees.
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rnncourse._environ import ONE_BLAS_THREAD
from rnncourse.grading.noref import UNAVAILABLE, catalogued_references

__all__ = [
    "LAUNCHER",
    "Sandbox",
    "SandboxedProcess",
    "UidPool",
    "find_bwrap",
    "kernel_env",
    "kernel_view",
    "launcher_argv",
    "probe",
    "processes_of",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the installed rnncourse/
UID_BASE = 61000  # kernels of a root grader run as uid UID_BASE + k (no such users need exist)
UID_COUNT = 64

# Runs inside the sandbox (as root when the grader is root), with -I -S: applies the limits,
# drops to the kernel's uid, then becomes the kernel. argv: PARAMS (JSON) -- COMMAND...
LAUNCHER = r"""
import json, os, resource, sys
p = json.loads(sys.argv[1])
cmd = sys.argv[3:]
def setlim(name, soft, hard=None):
    if soft and hasattr(resource, name):
        hard = soft if hard is None else hard
        resource.setrlimit(getattr(resource, name), (int(soft), int(hard)))
setlim("RLIMIT_CPU", p["cpu"], p["cpu"] + 2 if p["cpu"] else None)
setlim("RLIMIT_AS", p["as"])
setlim("RLIMIT_FSIZE", p["fsize"])
setlim("RLIMIT_NPROC", p["nproc"])
try:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
except Exception:
    pass
if p["uid"] is not None:
    os.setgroups([])
    os.setresgid(p["uid"], p["uid"], p["uid"])
    os.setresuid(p["uid"], p["uid"], p["uid"])
os.umask(0o077)
if p["cwd"]:
    os.chdir(p["cwd"])
os.execve(cmd[0], cmd, dict(p["env"]))
"""


def find_bwrap() -> str | None:
    """Path of bubblewrap: ``$RNNCOURSE_BWRAP``, then ``bwrap`` on PATH, then Debian's."""
    for c in (os.environ.get("RNNCOURSE_BWRAP", ""), shutil.which("bwrap") or "", "/usr/bin/bwrap"):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def processes_of(uid: int) -> list[int]:
    """Pids of the live (not zombie) processes whose real uid is ``uid`` (Linux /proc)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith(("Z", "X")):
            continue
        uids = fields.get("Uid", "").split()
        if uids and uids[0] == str(uid):
            pids.append(int(entry.name))
    return pids


class UidPool:
    """Unprivileged uids for the kernels of a root grader: one per concurrent kernel.

    A uid is taken with an exclusive ``flock`` on a file in the temporary folder (so two
    grading runs on one machine never share one) and only when no process runs under it.
    """

    def __init__(self, base: int = UID_BASE, count: int = UID_COUNT) -> None:
        self.base, self.count = base, count
        self._lock = threading.Lock()

    def acquire(self) -> tuple[int, int]:
        """(uid, lock fd); raises RuntimeError when every uid is busy."""
        with self._lock:
            for uid in range(self.base, self.base + self.count):
                path = Path(tempfile.gettempdir()) / f"rnncourse-sandbox-uid-{uid}.lock"
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                if processes_of(uid):
                    os.close(fd)
                    continue
                return uid, fd
        raise RuntimeError(f"all {self.count} sandbox uids from {self.base} are in use")

    @staticmethod
    def release(fd: int) -> None:
        os.close(fd)


# ----------------------------------------------------------------------------------------------
# the kernel's view of the package
# ----------------------------------------------------------------------------------------------
GRADING_STUB = (
    '''"""rnncourse.grading inside a notebook being graded by ``rnncourse grade``.

The grader runs the checks itself, outside this kernel: here ``check`` and ``check_hidden``
do nothing, and nothing else of the grading package exists.
"""


class CheckFailed(AssertionError):
    """Raised by check in the notebook; never raised while a notebook is graded."""


def check(fn=None, name=None, *args, **kwargs):
    """Does nothing here: the grader checks your function outside this kernel."""
    return None


def check_hidden(fn=None, name=None, *args, **kwargs):
    """Does nothing here: the grader checks your function outside this kernel."""
    return None


def grade_function(*args, **kwargs):
    raise ImportError("rnncourse.grading.grade_function '''
    + UNAVAILABLE
    + """")


__all__ = ["CheckFailed", "check", "check_hidden"]
"""
)

PACKAGE_STUB = '''"""rnncourse inside a notebook being graded: the helpers only (see rnncourse.grading.sandbox)."""

__version__ = {version!r}


def __getattr__(name):
    import importlib

    if name == "sigmoid":
        from rnncourse._cells import sigmoid

        return sigmoid
    if not name.startswith("_"):
        try:
            return importlib.import_module("rnncourse." + name)
        except ModuleNotFoundError:
            pass
    raise AttributeError(
        f"rnncourse.{{name}} {unavailable}: the graded functions must be your own code"
    )
'''

STANDIN = """raise ImportError(
    "{module} {unavailable}: it holds the package's answers to graded exercises, "
    "and a graded function must be your own code"
)
"""


def _imports_of(path: Path, module: str) -> set[str]:
    """The ``rnncourse`` modules a module's source imports anywhere (lazy imports included)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {"rnncourse.grading"}  # unreadable: treat as importing everything
    package = module.rsplit(".", 1)[0] if not path.name == "__init__.py" else module
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "rnncourse"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.split(".")[0] == "rnncourse":
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            found.add("rnncourse.*")  # a dynamic import: could be anything
    return found


def reference_modules() -> set[str]:
    """Modules that define a catalogued reference (the graded functions' answers)."""
    return {module for module, _, _ in catalogued_references()}


def _package_modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


ANSWER_STANDIN = (
    "{label} {unavailable}: it is the package's answer to a graded exercise, and a graded "
    "function must be your own code"
)


def strip_answers(source: str, module: str, names: set[str]) -> str:
    """``source`` with the bodies of its top-level functions ``names`` replaced by a stand-in
    that raises (their docstrings, decorators and default values dropped too), so that the
    module's other functions, its data and its constants stay usable."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            label = f"{module}.{node.name}"
            message = ANSWER_STANDIN.format(label=label, unavailable=UNAVAILABLE)
            node.body = ast.parse(f"raise RuntimeError({message!r})").body
            node.decorator_list = []
            node.returns = None
            for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                a.annotation = None
            node.args.defaults = [ast.Constant(None) for _ in node.args.defaults]
            node.args.kw_defaults = [
                None if d is None else ast.Constant(None) for d in node.args.kw_defaults
            ]
    return ast.unparse(tree) + "\n"


def kernel_view(dest: Path) -> Path:
    """Write the kernel view of the package into ``dest/rnncourse``; returns that folder.

    Every catalogued reference (and every function that computes the same answer,
    ``Exercise.equivalents``) is replaced by a stand-in that raises, saying why; the rest of
    its module stays usable (the tasks, the data loaders, ``sigmoid``, plotting). A module of
    ``rnncourse.grading``, or one that imports it (transitively, lazy imports included), is a
    stand-in that raises ImportError. Data files are copied as they are.
    """
    modules = _package_modules()
    answers: dict[str, set[str]] = {}
    whole: set[str] = set()
    for module, qualname, _ in catalogued_references():
        if "." in qualname or "<" in qualname:
            whole.add(module)  # a method or a nested function: the whole module goes
        else:
            answers.setdefault(module, set()).add(qualname)
    banned = whole | {"rnncourse.grading"}
    graph = {m: _imports_of(p, m) for m, p in modules.items()}

    def bad(name: str, seen: set[str]) -> bool:
        if name == "rnncourse.*" or any(name == b or name.startswith(b + ".") for b in banned):
            return True
        if name in seen or name not in graph:
            return False  # a name imported from a module (rnncourse.plots.PALETTE), or a cycle
        seen.add(name)
        return any(bad(d, seen) for d in graph[name] if d != name)

    root = Path(dest) / "rnncourse"
    for module, path in modules.items():
        target = root / path.relative_to(PACKAGE_DIR)
        if module in ("rnncourse", "rnncourse.grading"):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if module.startswith("rnncourse.grading.") or bad(module, set()):
            target.write_text(STANDIN.format(module=module, unavailable=UNAVAILABLE))
        elif module in answers:
            source = path.read_text(encoding="utf-8")
            target.write_text(strip_answers(source, module, answers[module]), encoding="utf-8")
        else:
            shutil.copyfile(path, target)
    from rnncourse import __version__

    (root / "__init__.py").write_text(
        PACKAGE_STUB.format(version=__version__, unavailable=UNAVAILABLE)
    )
    (root / "grading").mkdir(parents=True, exist_ok=True)
    (root / "grading" / "__init__.py").write_text(GRADING_STUB)
    for path in PACKAGE_DIR.rglob("*"):
        if (
            path.is_file()
            and path.suffix not in (".py", ".pyc")
            and "__pycache__" not in path.parts
        ):
            target = root / path.relative_to(PACKAGE_DIR)
            if not path.relative_to(PACKAGE_DIR).parts[0] == "grading":
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        d.chmod(0o755)
    for f in (p for p in root.rglob("*") if p.is_file()):
        f.chmod(0o644)
    return root


# ----------------------------------------------------------------------------------------------
# the command line
# ----------------------------------------------------------------------------------------------
def kernel_env(home: Path, view: Path | None) -> dict[str, str]:
    """The kernel's whole environment."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        **ONE_BLAS_THREAD,
    }
    if view is not None:
        env["PYTHONPATH"] = str(view)
    return env


def launcher_argv(
    command: list[str],
    *,
    cpu_seconds: int,
    memory_mb: int,
    file_mb: int,
    procs: int,
    uid: int | None,
    cwd: Path | None,
    env: dict[str, str],
) -> list[str]:
    """``python -I -S -c LAUNCHER PARAMS -- command``: limits, uid, environment, then exec."""
    params = {
        "cpu": int(cpu_seconds),
        "as": int(memory_mb) * 2**20,
        "fsize": int(file_mb) * 2**20,
        "nproc": int(procs),
        "uid": uid,
        "cwd": str(cwd) if cwd else "",
        "env": env,
    }
    return [sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(params), "--", *command]


def _readonly_paths() -> list[Path]:
    """The Python prefixes and site-packages folders the kernel needs, read-only."""
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)]
    paths.append(Path(os.path.realpath(sys.executable)).parent.parent)
    for p in [*sys.path, *site.getsitepackages(), sysconfig.get_paths()["stdlib"]]:
        if (p and Path(p).name in ("site-packages", "dist-packages")) or p.endswith(".zip"):
            paths.append(Path(p))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths.append(stdlib)
    out: list[Path] = []
    for p in paths:
        p = Path(os.path.realpath(p))
        if not p.exists() or p == Path("/") or _is_within_repo(p):
            continue
        if any(p == q or q in p.parents for q in out):
            continue
        out = [q for q in out if p not in q.parents]
        out.append(p)
    return out


def _is_within_repo(path: Path) -> bool:
    """A folder of the course's checkout itself (not a virtual environment inside it)."""
    root = PACKAGE_DIR.parent
    if not (root / "solutions").is_dir() and not (root / ".git").exists():
        return False  # an installed package: its parent is site-packages
    if path == root or path in root.parents:
        return True
    if root in path.parents:
        # .venv/ inside the checkout is a prefix; anything else in it is the course
        rel = path.relative_to(root).parts
        return not (rel and (root / rel[0] / "pyvenv.cfg").exists())
    return False


@dataclass
class SandboxedProcess:
    """What is needed to make sure a kernel and all it started are gone."""

    uid: int | None
    lock_fd: int | None
    pool: UidPool | None

    def wait_gone(self, timeout: float = 10.0) -> bool:
        """Kill and wait until no process of the kernel's uid is left (root grader); True if
        none is. Releases the uid."""
        ok = True
        if self.uid is not None:
            deadline = time.monotonic() + timeout
            while True:
                left = processes_of(self.uid)
                if not left:
                    break
                for pid in left:
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                if time.monotonic() > deadline:
                    ok = False
                    break
                time.sleep(0.02)
        if self.lock_fd is not None and ok:
            UidPool.release(self.lock_fd)
            self.lock_fd = None
        return ok


class Sandbox:
    """Builds sandboxed kernel command lines; one per grading run (it owns the kernel view)."""

    def __init__(self, bwrap: str | None = None) -> None:
        self.bwrap = bwrap or find_bwrap()
        if self.bwrap is None:
            raise RuntimeError(
                "bubblewrap (bwrap) is not installed: Debian/Ubuntu `apt-get install bubblewrap`"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="rnncourse-view-")
        Path(self._tmp.name).chmod(0o755)
        self.view_root = Path(self._tmp.name)
        kernel_view(self.view_root)
        self.as_root = os.geteuid() == 0
        self.pool = UidPool() if self.as_root else None
        self.readonly = _readonly_paths()

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def prepare(self, folders: list[Path]) -> SandboxedProcess:
        """Take a uid for one kernel (root grader) and give it ``folders``."""
        if self.pool is None:
            return SandboxedProcess(None, None, None)
        uid, fd = self.pool.acquire()
        for folder in folders:
            for p in [folder, *folder.rglob("*")]:
                os.chown(p, uid, uid, follow_symlinks=False)
        return SandboxedProcess(uid, fd, self.pool)

    def nproc(self, procs: int, uid: int | None) -> int:
        if uid is not None:
            return procs
        return len(processes_of(os.getuid())) + procs  # the count is per user

    def command(
        self,
        kernel_argv: list[str],
        *,
        scratch: Path,
        readonly: list[Path],
        proc: SandboxedProcess,
        limits,
    ) -> list[str]:
        """The whole command line of a sandboxed kernel.

        ``scratch`` is bound read-write (the kernel's cwd and HOME), ``readonly`` (the grader's
        request folder) read-only, each at its own path. ``limits`` is a ``batch.Limits``.
        """
        args = [self.bwrap]
        for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(d):
                args += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                args += ["--ro-bind", d, d]
        for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                  "/etc/alternatives"):  # fmt: skip
            args += ["--ro-bind-try", f, f]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        made: set[str] = {"/", "/usr", "/tmp", "/proc", "/dev", "/etc"}

        def parents(p: Path) -> None:
            for q in reversed(p.parents):
                if str(q) not in made and not any(
                    str(q).startswith(m.rstrip("/") + "/") for m in ("/usr", "/proc", "/dev")
                ):
                    args.extend(["--perms", "0755", "--dir", str(q)])
                    made.add(str(q))

        for p in self.readonly:
            if str(p).startswith("/usr/") or str(p) == "/usr":
                continue
            parents(p)
            args += ["--ro-bind", str(p), str(p)]
            made.add(str(p))
        view = self.view_root / "rnncourse"
        if any(r == PACKAGE_DIR or r in PACKAGE_DIR.parents for r in self.readonly):
            args += ["--ro-bind", str(view), str(PACKAGE_DIR)]  # the installed package, hidden
        parents(self.view_root)
        args += ["--ro-bind", str(self.view_root), str(self.view_root)]
        made.add(str(self.view_root))
        for p in readonly:
            parents(p)
            args += ["--ro-bind", str(p), str(p)]
            made.add(str(p))
        parents(scratch)
        args += ["--bind", str(scratch), str(scratch)]
        args += [
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "rnncourse-grading", "--chdir", str(scratch), "--clearenv",
        ]  # fmt: skip
        if not self.as_root:
            args += ["--unshare-user"]
        env = kernel_env(scratch, self.view_root)
        inner = launcher_argv(
            kernel_argv,
            cpu_seconds=limits.cpu_seconds,
            memory_mb=limits.memory_mb,
            file_mb=limits.file_mb,
            procs=self.nproc(limits.procs, proc.uid),
            uid=proc.uid,
            cwd=scratch,
            env=env,
        )
        return [*args, "--", *inner]


_PROBE: dict[str, tuple[bool, str]] = {}
PROBE_CODE = (
    "import os, socket, sys\n"
    "import numpy\n"
    "problems = []\n"
    "for p in {hidden!r}:\n"
    "    if os.path.exists(p): problems.append('can see ' + p)\n"
    "try:\n"
    "    __import__('rnncourse.grading.compare')\n"
    "    problems.append('can import rnncourse.grading.compare')\n"
    "except ImportError:\n"
    "    pass\n"
    "import numpy as np\n"
    "import rnncourse.rnn\n"
    "try:\n"
    "    rnncourse.rnn.rnn_step_forward(*[np.zeros((1, 1))] * 4, np.zeros(1))\n"
    "    problems.append('can call rnncourse.rnn.rnn_step_forward')\n"
    "except RuntimeError:\n"
    "    pass\n"
    "from rnncourse.grading import check\n"
    "s = socket.socket()\n"
    "s.settimeout(1)\n"
    "try:\n"
    "    s.connect(('1.1.1.1', 53)); problems.append('can reach the network')\n"
    "except OSError:\n"
    "    pass\n"
    "if os.getpid() > 10: problems.append('no PID namespace')\n"
    "if os.geteuid() == 0 and {root!r}: problems.append('runs as root')\n"
    "print('PROBLEMS:' + '; '.join(problems))\n"
)


def probe(refresh: bool = False) -> tuple[bool, str]:
    """Can this machine sandbox a kernel? (ok, what was found). Starts one sandboxed Python
    that checks what it can see and reach; cached per process."""
    if "result" in _PROBE and not refresh:
        return _PROBE["result"]
    result = _probe()
    _PROBE["result"] = result
    return result


def _probe() -> tuple[bool, str]:
    if not sys.platform.startswith("linux"):
        return False, f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    if find_bwrap() is None:
        return (
            False,
            "bubblewrap (bwrap) is not installed: Debian/Ubuntu `apt-get install bubblewrap`",
        )
    from types import SimpleNamespace

    limits = SimpleNamespace(cpu_seconds=30, memory_mb=2048, file_mb=16, procs=64)
    hidden = []
    bound = _readonly_paths()
    try:  # the home folder's entries (except those leading to a Python prefix)
        home = Path.home()
        for p in sorted(home.iterdir())[:20]:
            if not any(p == b or p in b.parents for b in bound):
                hidden.append(str(p))
    except OSError:
        pass
    if (PACKAGE_DIR.parent / "solutions").is_dir():
        hidden.append(str(PACKAGE_DIR.parent / "solutions"))
    try:
        with Sandbox() as box, tempfile.TemporaryDirectory(prefix="rnncourse-probe-") as tmp:
            scratch = Path(tmp) / "scratch"
            scratch.mkdir()
            Path(tmp).chmod(0o755)
            proc = box.prepare([scratch])
            try:
                code = PROBE_CODE.format(hidden=hidden, root=box.as_root)
                cmd = box.command(
                    [sys.executable, "-c", code],
                    scratch=scratch,
                    readonly=[],
                    proc=proc,
                    limits=limits,
                )
                ran = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
                )
            finally:
                proc.wait_gone()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return False, f"could not start a sandbox: {type(exc).__name__}: {exc}"
    out = ran.stdout.strip().splitlines()
    if ran.returncode != 0 or not out or not out[-1].startswith("PROBLEMS:"):
        err = (ran.stderr.strip().splitlines() or ["no message"])[-1]
        return False, (
            f"bubblewrap could not start a sandboxed Python (exit code {ran.returncode}: {err}); "
            "unprivileged user namespaces may be restricted on this machine"
        )
    problems = out[-1].removeprefix("PROBLEMS:")
    if problems:
        return False, f"the sandbox leaks: {problems}"
    who = "as an unprivileged uid per kernel" if os.geteuid() == 0 else "in a user namespace"
    return True, f"sandbox available: bubblewrap {find_bwrap()}, kernels run {who}"
