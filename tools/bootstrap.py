#!/usr/bin/env python3
"""Set up the course and run it: the engine behind ``make lab`` and ``make test``.

    python3 tools/bootstrap.py lab          set up .venv, copy new exercises into work/, start JupyterLab
    python3 tools/bootstrap.py test         set up .venv with the test tools and torch, run every test
                                            and notebook, then the unit tests against the oldest numpy
    python3 tools/bootstrap.py setup [--test]   only set up (.venv; with --test also .venv-oldest)
    python3 tools/bootstrap.py bench        set up .venv with the test tools and torch, run the benchmark
    python3 tools/bootstrap.py update       bring the course up to date (git pull), keeping your edits
                                            (tools/update.py: what counts as an edit, what it refuses)

Standard library only, so it runs with any Python 3.10+ before anything is installed.

Set-up is idempotent: an environment is (re)installed only when its stamp changes, the stamp
being a hash of pyproject.toml, the Python version and what is asked for (extras, pins). A
second run with nothing changed costs well under a second.

Installing: pip installs uv (a fast installer, from PyPI) into the new environment, and uv
installs the course, except that the files of torch are the ones pip chooses (see PIP_EXTRAS). If
any of that fails, pip installs everything, as it always could. ``make test`` sets up .venv and
.venv-oldest at the same time.

Environment variables:
    JUPYTER_PORT            port for JupyterLab (default 8888)
    JUPYTER_TOKEN           token to use (default: a fresh random one; it is never turned off)
    RNNCOURSE_NO_BROWSER=1  do not open a web browser (also the default without a display)
    RNNCOURSE_SKIP_OLDEST=1 skip the oldest-numpy run of ``test`` (quicker, for local iteration)
    RNNCOURSE_INSTALLER=pip install with pip alone (slower; the default is uv, then pip)
    RNNCOURSE_TORCH_INDEX   where pip looks for torch (``make test``): ``cpu`` for PyTorch's CPU-only
                            index (https://download.pytorch.org/whl/cpu), or any index URL. Unset,
                            pip's own configuration decides: from PyPI on Linux that is the CUDA
                            build, which pulls in several GB of nvidia-* wheels. (The CPU index
                            cannot be reached from the machines the course is tested on: untested.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
VENV_OLDEST = REPO / ".venv-oldest"
STAMP_NAME = ".rnncourse-stamp.json"
INSTALL_LOGS = REPO / "test-artifacts" / "install"  # when environments are set up in parallel
BOOTSTRAP_VERSION = "2"  # bump to force every environment to reinstall
MIN_PYTHON = (3, 10)

# torch is a test-only dependency, pinned exactly in pyproject's `torch` extra: a range would let
# pip pick a multi-GB CUDA build where a CPU build is wanted.
TEST_EXTRAS = ("test", "torch")
# Extras whose files pip chooses (pip install --dry-run) before uv installs them: uv does not read
# pip's configuration (pip.conf, PIP_* variables such as the GitHub workflow's PIP_EXTRA_INDEX_URL),
# which is where a machine says where torch's CPU build lies; uv alone would take PyPI's CUDA build
# of several GB.
PIP_EXTRAS = ("torch",)
UV_REQUIREMENT = "uv>=0.5"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# The oldest numpy release line with wheels for each Python, at its last patch (pyproject declares
# numpy>=1.26; 1.26 has no wheels for 3.13, 2.1 is the first; 2.3 the first for 3.14). The unit tests
# run against it in .venv-oldest, so the declared lower bound is known to work.
OLDEST_NUMPY = {
    (3, 10): "1.26.4",
    (3, 11): "1.26.4",
    (3, 12): "1.26.4",
    (3, 13): "2.1.3",
    (3, 14): "2.3.5",
}

THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
NOTEBOOK_DIRS = ("notebooks", "solutions", "exercises")
START_PAGE = "notebooks/00_start_here.ipynb"
# JupyterLab's settings defaults for the course (no news prompt, no update check): read, never
# written, by JupyterLab (its "app settings" folder); a learner's own settings still win
LAB_SETTINGS = REPO / "tools" / "jupyterlab-settings"
# the file browser hides these (JupyterLab's defaults, and the editable install's metadata)
HIDDEN_FILES = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info")
# JupyterLab's notebook signatures for the course (see trust_notebooks), kept in the environment
# rather than in the learner's home folder
TRUST_DIR = VENV / "share" / "rnncourse-trust"


def say(msg: str) -> None:
    print(f"[rnncourse] {msg}", flush=True)


class SetupError(Exception):
    """A problem the user can fix; printed without a traceback."""


# --------------------------------------------------------------------------------------------
# environments
# --------------------------------------------------------------------------------------------
def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def python_version(python: Path) -> str | None:
    """'3.11.7' for a working interpreter, None if it does not run (e.g. a broken venv)."""
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def torch_index(environ: dict[str, str] | None = None) -> str | None:
    """The index pip is told to take torch from (RNNCOURSE_TORCH_INDEX: ``cpu`` or a URL), or
    None: pip's own configuration decides.

    >>> torch_index({"RNNCOURSE_TORCH_INDEX": "cpu"})
    'https://download.pytorch.org/whl/cpu'
    >>> torch_index({}) is None
    True
    """
    value = (environ if environ is not None else os.environ).get("RNNCOURSE_TORCH_INDEX", "")
    value = value.strip()
    if not value:
        return None
    if value == "cpu":
        return TORCH_CPU_INDEX
    if not re.match(r"^(https?|file)://", value):
        raise SetupError(
            f"RNNCOURSE_TORCH_INDEX must be 'cpu' or an index URL (https://...), not {value!r}"
        )
    return value


def stamp_key(python_ver: str, extras: tuple[str, ...], pins: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    h.update((REPO / "pyproject.toml").read_bytes())
    h.update(
        f"|{python_ver}|{','.join(sorted(extras))}|{','.join(pins)}|{BOOTSTRAP_VERSION}".encode()
    )
    index = torch_index() if "torch" in extras else None
    if index:  # another torch index: another torch build
        h.update(f"|torch-index={index}".encode())
    return h.hexdigest()


def read_stamp(venv: Path) -> dict:
    try:
        return json.loads((venv / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}


def create_venv(venv: Path) -> None:
    say(f"creating the virtual environment {venv.name}/ with Python {sys.version.split()[0]}")
    if venv.exists():
        shutil.rmtree(venv)
    result = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
    )
    if result.returncode != 0:
        if "ensurepip" in result.stderr + result.stdout:
            raise SetupError(
                "Python's venv module cannot create environments here (ensurepip is missing).\n"
                "On Debian/Ubuntu: sudo apt-get install python3-venv   then run the command again."
            )
        raise SetupError(f"python -m venv failed:\n{result.stderr or result.stdout}")


def editable_spec(extras: tuple[str, ...] | list[str]) -> str:
    """pip's and uv's name for the course with `extras`: '.' or '.[test,torch]'."""
    return "." + (f"[{','.join(extras)}]" if extras else "")


def extra_requirements(extra: str, pyproject: str | None = None) -> list[str]:
    """The requirements of one of pyproject's optional-dependencies (tomllib is 3.11+ only).

    >>> extra_requirements("torch", 'torch = ["torch==2.13.0"]')
    ['torch==2.13.0']
    """
    text = pyproject if pyproject is not None else (REPO / "pyproject.toml").read_text()
    match = re.search(rf"^{re.escape(extra)}\s*=\s*\[(.*?)\]", text, flags=re.M | re.S)
    if match is None:
        raise SetupError(f"pyproject.toml has no optional dependency {extra!r}")
    body = re.sub(r"#[^\n]*", "", match.group(1))
    return re.findall(r'"([^"]+)"', body)


def pip_command(python: Path, progress: bool = False) -> list[str]:
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    return cmd if progress else [*cmd, "--progress-bar", "off"]


def install_with_pip(
    python: Path, extras: tuple[str, ...], pins: tuple[str, ...], log, progress: bool = False
) -> bool:
    """pip installs the course with `extras` and `pins`, as ``make`` always could."""
    index = torch_index() if "torch" in extras else None
    extra = ["--extra-index-url", index] if index else []
    return (
        run_logged(
            [*pip_command(python, progress), *extra, "-e", editable_spec(extras), *pins], log
        )
        == 0
    )


def pip_choice(python: Path, requirements: list[str], log) -> list[str] | None:
    """The file pip would install for each requirement (its own configuration applied, the
    requirement's dependencies left out), as ``name @ url``; None if pip cannot say."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [*pip_command(python), "--quiet", "--dry-run", "--no-deps", "--report", str(report)]
        index = torch_index()
        if index:  # RNNCOURSE_TORCH_INDEX: the files come from that index alone
            cmd += ["--index-url", index]
        if run_logged([*cmd, *requirements], log) != 0:
            return None
        try:
            chosen = json.loads(report.read_text())["install"]
            return [f"{i['metadata']['name']} @ {i['download_info']['url']}" for i in chosen]
        except (OSError, ValueError, KeyError, TypeError):
            return None


def install_with_uv(
    python: Path, extras: tuple[str, ...], pins: tuple[str, ...], log, progress: bool = False
) -> bool:
    """pip installs uv; pip chooses the files of PIP_EXTRAS' requirements; uv installs the course
    with the other extras, `pins` and exactly those files, resolving everything else itself."""
    if run_logged([*pip_command(python, progress), "--quiet", UV_REQUIREMENT], log) != 0:
        return False
    by_pip = [e for e in extras if e in PIP_EXTRAS]
    chosen: list[str] = []
    if by_pip:
        choice = pip_choice(python, [r for e in by_pip for r in extra_requirements(e)], log)
        if choice is None:
            return False
        chosen = choice
    by_uv = tuple(e for e in extras if e not in PIP_EXTRAS)
    uv = [str(python), "-m", "uv", "pip", "install", "--python", str(python), "--compile-bytecode"]
    # byte-compiled (as pip does by default): with PYTHONDONTWRITEBYTECODE set (as on some
    # machines) nothing would ever be cached, and every kernel start would compile IPython and
    # numpy from source
    return run_logged([*uv, "-e", editable_spec(by_uv), *pins, *chosen], log) == 0


def chosen_installer(environ: dict[str, str] | None = None) -> str:
    """'uv' (the default) or 'pip' (RNNCOURSE_INSTALLER=pip)."""
    name = (environ if environ is not None else os.environ).get("RNNCOURSE_INSTALLER", "uv")
    if name not in ("uv", "pip"):
        raise SetupError(f"RNNCOURSE_INSTALLER must be 'uv' or 'pip', not {name!r}")
    return name


def run_logged(cmd: list[str], log) -> int:
    """Run `cmd` in the repo, its output to the terminal (log None) or to the open file `log`."""
    if log is None:
        return subprocess.run(cmd, cwd=REPO).returncode
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    start = time.monotonic()
    rc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT).returncode
    log.write(f"(exit code {rc}, {time.monotonic() - start:.0f} s)\n")
    log.flush()
    return rc


def ensure_env(
    venv: Path,
    extras: tuple[str, ...] = (),
    pins: tuple[str, ...] = (),
    label: str = "",
    log=None,
) -> Path:
    """Create `venv` if needed and install the course (with `extras`, `pins`) if its stamp changed.

    The installers' output goes to the terminal, or to the open file `log` (see ensure_envs).
    """
    python = venv_python(venv)
    ver = python_version(python) if python.exists() else None
    if ver is None:
        if venv.exists():
            say(f"{venv.name}/ exists but its Python does not run: recreating it")
        create_venv(venv)
        ver = python_version(python)
        if ver is None:
            raise SetupError(f"the new environment's Python ({python}) does not run")
    stamp = read_stamp(venv)
    have = tuple(stamp.get("extras", ()))
    # an environment installed with more extras than asked for also satisfies the request
    if stamp.get("key") == stamp_key(ver, have, pins) and set(extras) <= set(have):
        say(f"{venv.name}/ is up to date{label} (Python {ver})")
        return python
    extras = tuple(sorted(set(extras) | set(have)))  # never drop extras installed earlier
    installer = chosen_installer()
    say(
        f"installing into {venv.name}/{label}: {editable_spec(extras)} {' '.join(pins)}".rstrip()
        + f" (with {installer})"
    )
    say("(the first time this downloads packages and takes a minute or more)")
    start = time.monotonic()
    progress = log is None and sys.stdout.isatty()
    install = install_with_uv if installer == "uv" else install_with_pip
    ok = install(python, extras, pins, log, progress)
    if not ok and installer == "uv":
        say(f"installing into {venv.name}/ with uv failed: installing with pip alone instead")
        ok = install_with_pip(python, extras, pins, log, progress)
    if not ok:
        where = "above" if log is None else f"in {log.name}"
        raise SetupError(
            f"installing into {venv.name}/ failed (see the installer's messages {where})"
        )
    (venv / STAMP_NAME).write_text(
        json.dumps(
            {"key": stamp_key(ver, extras, pins), "extras": list(extras), "pins": list(pins)}
        )
    )
    say(f"{venv.name}/ ready in {time.monotonic() - start:.0f} s")
    return python


def ensure_envs(requests: list[dict]) -> list[Path]:
    """`ensure_env` for each request (its keyword arguments) at the same time, one thread each.

    Each installation's output is written to INSTALL_LOGS and printed whole when it ends, so
    that the outputs never interleave. Returns the Pythons in order; the first error is raised
    once all have ended."""
    if len(requests) == 1:
        return [ensure_env(**requests[0])]
    results: list[Path | None] = [None] * len(requests)
    errors: list[BaseException | None] = [None] * len(requests)
    lock = threading.Lock()

    def work(i: int, request: dict) -> None:
        venv = request["venv"]
        log_path = INSTALL_LOGS / f"{venv.name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(log_path, "w") as log:
                results[i] = ensure_env(**request, log=log)
        except BaseException as exc:  # reported in the main thread
            errors[i] = exc
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        with lock:
            if text.strip():
                print(f"---- output of the installation into {venv.name}/ ----", flush=True)
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
                print(f"---- end of the installation into {venv.name}/ ----", flush=True)

    threads = [
        threading.Thread(target=work, args=(i, r), daemon=True) for i, r in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return [p for p in results if p is not None]


def oldest_numpy(version_info: tuple[int, int] | None = None) -> str | None:
    """The oldest numpy with wheels for this Python, or None if unknown (a newer Python)."""
    return OLDEST_NUMPY.get(version_info or sys.version_info[:2])


# --------------------------------------------------------------------------------------------
# lab
# --------------------------------------------------------------------------------------------
def can_open_browser() -> bool:
    if os.environ.get("RNNCOURSE_NO_BROWSER", "") not in ("", "0"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def terminal_shell(environ: dict[str, str] | None = None) -> str:
    """The shell of JupyterLab's terminals: the learner's $SHELL (else sh), not as a login shell.

    JupyterLab runs a *login* shell when its own output is not a terminal, and a login shell
    reads /etc/profile, which on Debian sets PATH afresh: the course's environment (and
    `rnncourse`) would drop out of it. A plain interactive shell inherits the server's PATH.
    """
    environ = os.environ if environ is None else environ
    return environ.get("SHELL") or shutil.which("sh") or "/bin/sh"


# Unix socket paths are limited to 104 bytes (macOS) or 108 (Linux)
IPC_PATH_LIMIT = 100
IPC_LONGEST_NAME = "kernel-00000000-0000-0000-0000-000000000000-ipc-65535"


def runtime_dir(environ: dict[str, str] | None = None) -> Path:
    """Where Jupyter puts its connection files (jupyter_core's rule), hence the kernels' sockets
    with the ``ipc`` transport."""
    environ = os.environ if environ is None else environ
    if environ.get("JUPYTER_RUNTIME_DIR"):
        return Path(environ["JUPYTER_RUNTIME_DIR"])
    if environ.get("JUPYTER_DATA_DIR"):
        return Path(environ["JUPYTER_DATA_DIR"]) / "runtime"
    home = Path(environ.get("HOME") or Path.home())
    if sys.platform == "darwin" and environ.get("JUPYTER_PLATFORM_DIRS", "") in ("", "0"):
        return home / "Library" / "Jupyter" / "runtime"
    data = environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(data) / "jupyter" / "runtime"


def kernel_transport(environ: dict[str, str] | None = None) -> str:
    """``ipc`` (Unix sockets, private to the machine's user: no "running over TCP without
    encryption" warning) where a kernel's socket path fits the system's limit, else ``tcp``.

    >>> kernel_transport({"JUPYTER_RUNTIME_DIR": "/tmp/rt"}) == ("tcp" if os.name == "nt" else "ipc")
    True
    >>> kernel_transport({"JUPYTER_RUNTIME_DIR": "/tmp/" + "x" * 60})
    'tcp'
    """
    longest = runtime_dir(environ) / IPC_LONGEST_NAME
    fits = len(str(longest).encode()) <= IPC_PATH_LIMIT
    return "ipc" if os.name != "nt" and fits else "tcp"


def jupyter_lab_argv(
    python: Path,
    port: int,
    *,
    open_browser: bool,
    trust_dir: Path | None = None,
    environ: dict[str, str] | None = None,
) -> list[str]:
    """The JupyterLab command of ``make lab`` (the token comes from $JUPYTER_TOKEN).

    Besides where it listens: kernels talk to the server over Unix sockets (``ipc``, see
    `kernel_transport`; over TCP every kernel start warns that anyone on the machine could
    listen in), terminals are the
    learner's shell with the course on PATH (`terminal_shell`), the course's JupyterLab settings
    (`LAB_SETTINGS`: no news prompt, no update check), notebook signatures in `trust_dir`
    (`trust_notebooks`), and `HIDDEN_FILES` left out of the file browser.
    """
    trust_dir = TRUST_DIR if trust_dir is None else trust_dir
    argv = [
        str(python),
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={REPO}",
        f"--ServerApp.terminado_settings=shell_command={shlex.quote(terminal_shell())}",
        f"--LabApp.app_settings_dir={LAB_SETTINGS}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--NotebookNotary.data_dir={trust_dir}",
        *[f"--ContentsManager.hide_globs={g}" for g in HIDDEN_FILES],
    ]
    argv.append(f"--KernelManager.transport={kernel_transport(environ)}")
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    argv.append(START_PAGE)
    return argv


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def lab_env(environ: dict[str, str], token: str, bin_dir: Path | None = None) -> dict[str, str]:
    """The environment of the JupyterLab server, inherited by every kernel and terminal it
    starts: one BLAS thread and a fixed hash seed, as the committed outputs were made
    (tools/execute_notebooks.py), so a learner's run prints the numbers the lessons quote, at a
    steady speed (a learner's own setting of these variables wins); and the environment's
    `bin_dir` first on PATH, so that `rnncourse` (and `!rnncourse` in a cell) is found."""
    env = {**THREAD_ENV, "PYTHONHASHSEED": "0", **environ, "JUPYTER_TOKEN": token}
    if bin_dir is not None:
        rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != str(bin_dir)]
        env["PATH"] = os.pathsep.join([str(bin_dir), *rest])
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
    return env


# signs (trusts) each notebook given on its command line that is not yet signed; run with the
# environment's Python, which has nbformat
TRUST_CODE = """
import json
import sys
import nbformat
from nbformat.sign import NotebookNotary
notary = NotebookNotary(data_dir=sys.argv[1])
for path in sys.argv[2:]:
    try:  # (not nbformat.read: its validation doubles the time, and the signature needs none)
        with open(path, encoding="utf-8") as f:
            nb = nbformat.from_dict(json.load(f))
    except Exception as exc:
        print(f"[rnncourse] not trusted (unreadable): {path}: {exc}")
        continue
    if not notary.check_signature(nb):
        notary.sign(nb)
"""


def course_notebooks(root: Path) -> list[Path]:
    """The notebooks JupyterLab is to trust: the course's, and the learner's own in work/."""
    found = [p for d in NOTEBOOK_DIRS for p in sorted((root / d).glob("*.ipynb"))]
    return found + sorted((root / "work").rglob("*.ipynb"))


def trust_notebooks(
    python: Path, root: Path, trust_dir: Path, *, wait: bool = True
) -> subprocess.Popen | None:
    """Sign the course's notebooks (and the learner's in work/) in `trust_dir`, JupyterLab's
    signature store for ``make lab``: they are the course's own, and unsigned ones make
    JupyterLab log "Notebook ... is not trusted" for each one opened. What a learner runs and
    saves, JupyterLab signs itself. With `wait` False, returns the signing process (it takes
    a second or two; ``make lab`` runs it while JupyterLab starts)."""
    notebooks = [str(p) for p in course_notebooks(root) if ".ipynb_checkpoints" not in p.parts]
    if not notebooks:
        return None
    trust_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([str(python), "-c", TRUST_CODE, str(trust_dir), *notebooks], cwd=root)
    if wait:
        proc.wait()
        return None
    return proc


def lab_url(port: int, token: str) -> str:
    """The address ``make lab`` prints (the README shows it): the start page, with the token.

    >>> lab_url(8888, "abc")
    'http://127.0.0.1:8888/lab/tree/notebooks/00_start_here.ipynb?token=abc'
    """
    return f"http://127.0.0.1:{port}/lab/tree/{START_PAGE}?token={token}"


def lab(args: argparse.Namespace) -> int:
    python = ensure_env(VENV)
    if not args.no_sync:
        subprocess.run([str(python), "-m", "rnncourse", "sync-work"], cwd=REPO, check=False)
    port_text = os.environ.get("JUPYTER_PORT", "8888")
    try:
        port = int(port_text)
    except ValueError:
        raise SetupError(f"JUPYTER_PORT must be a port number, not {port_text!r}") from None
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    env = lab_env(os.environ, token, python.parent)
    open_browser = can_open_browser() and not args.no_browser
    # the signing runs while JupyterLab starts, unless JupyterLab itself opens the start page
    signing = trust_notebooks(python, REPO, TRUST_DIR, wait=open_browser)
    argv = jupyter_lab_argv(python, port, open_browser=open_browser, environ=env)
    say(f"starting JupyterLab on 127.0.0.1:{port} (stop it with Ctrl+C, twice)")
    proc = subprocess.Popen(argv, cwd=REPO, env=env)

    def forward(signum, _frame):
        proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, forward)
    try:
        up = wait_until_up(f"http://127.0.0.1:{port}/api/status?token={token}", proc)
        if signing is not None:
            signing.wait()  # before anyone opens a notebook
        if up:
            url = lab_url(port, token)
            line = "=" * 78
            print(
                f"\n{line}\n  The course is running. Open this address in your browser:\n\n"
                f"    {url}\n\n  Your exercises are in the folder work/. "
                f"Stop the server with Ctrl+C (twice).\n{line}\n",
                flush=True,
            )
        elif proc.poll() is not None:
            say(
                f"JupyterLab stopped (exit code {proc.returncode}). If port {port} is taken, "
                "choose another: JUPYTER_PORT=8890 make lab"
            )
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # JupyterLab handles Ctrl+C itself; wait for it to finish
                continue
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


# --------------------------------------------------------------------------------------------
# test
# --------------------------------------------------------------------------------------------
SUMMARY_RE = re.compile(r"^=+ (.*\d+ \w+.*) in [\d.]+s.*=+$")
COUNT_RE = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def parse_counts(line: str) -> dict[str, int]:
    """Counts from pytest's closing line.

    >>> parse_counts("==== 3 failed, 120 passed, 2 skipped, 1 error in 12.30s ====")
    {'failed': 3, 'passed': 120, 'skipped': 2, 'error': 1}
    """
    counts: dict[str, int] = {}
    for n, word in COUNT_RE.findall(line):
        word = "error" if word.startswith("error") else word
        counts[word] = counts.get(word, 0) + int(n)
    return counts


def run_pytest(
    python: Path, args: list[str], env: dict[str, str]
) -> tuple[int, dict[str, int], float]:
    """Run pytest, echoing its output; return (exit code, counts of its closing line, seconds)."""
    cmd = [str(python), "-m", "pytest", *args]
    if sys.stdout.isatty():
        cmd.append("--color=yes")
    say("running: " + " ".join(["pytest", *args]))
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    counts: dict[str, int] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        match = SUMMARY_RE.match(ANSI_RE.sub("", line).strip())
        if match:
            counts = parse_counts(match.group(1))
    return proc.wait(), counts, time.monotonic() - start


def numpy_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import numpy; print(numpy.__version__)"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


NBVAL_CELL_TIMEOUT = 300  # seconds


def environments_for_test() -> list[dict]:
    """What ``make test`` (and ``setup --test``) sets up: .venv with the test tools and torch, and
    .venv-oldest with the oldest supported numpy, unless skipped or unknown (then it says why)."""
    requests = [dict(venv=VENV, extras=TEST_EXTRAS, label=" (with test tools and torch)")]
    pin = oldest_numpy()
    if os.environ.get("RNNCOURSE_SKIP_OLDEST", "") not in ("", "0"):
        say("RNNCOURSE_SKIP_OLDEST is set: skipping the unit tests against the oldest numpy")
    elif pin is None:
        say(
            f"no oldest numpy is known for Python {sys.version_info[0]}.{sys.version_info[1]}: "
            "add it to OLDEST_NUMPY in tools/bootstrap.py; skipping that run"
        )
    else:
        requests.append(
            dict(
                venv=VENV_OLDEST, extras=("test",), pins=(f"numpy=={pin}",), label=f" (numpy {pin})"
            )
        )
    return requests


def run_tests(args: argparse.Namespace) -> int:
    env = dict(os.environ, **THREAD_ENV, PYTHONHASHSEED="0")
    steps: list[tuple[str, int, dict[str, int], float]] = []

    python, *oldest = ensure_envs(environments_for_test())
    suite = [
        "-n",
        "2",
        "--dist",
        "loadscope",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        # a hang guard, not a budget: the slowest cell takes ~20 s; budgets are reported below
        "--nbval-cell-timeout",
        str(NBVAL_CELL_TIMEOUT),
        "tests",
        "rnncourse",
        *[d for d in NOTEBOOK_DIRS if (REPO / d).is_dir()],
    ]
    rc, counts, secs = run_pytest(python, suite + list(args.pytest_args), env)
    steps.append((f"tests and notebooks, numpy {numpy_version(python)} (.venv)", rc, counts, secs))

    for old in oldest:
        # the unit tests only: notebooks, browser and torch comparisons ran above
        old_env = dict(env, RNNCOURSE_REQUIRE_ALL="0")
        unit = [
            "-n",
            "2",
            "--dist",
            "loadscope",
            "-m",
            "not notebooks and not browser and not torch",
            "tests",
            "rnncourse",
        ]
        rc, counts, secs = run_pytest(old, unit + list(args.pytest_args), old_env)
        steps.append(
            (f"unit tests, oldest numpy {numpy_version(old)} (.venv-oldest)", rc, counts, secs)
        )

    print()
    say("summary of make test")
    total: dict[str, int] = {}
    for name, rc, counts, secs in steps:
        text = ", ".join(f"{n} {w}" for w, n in counts.items()) or "no pytest summary"
        status = "ok" if rc == 0 else f"FAILED (exit code {rc})"
        print(f"  {name:<56} {text}  [{secs:.0f} s]  {status}")
        for w, n in counts.items():
            total[w] = total.get(w, 0) + n
    failed = total.get("failed", 0) + total.get("error", 0)
    if failed == 0 and any(rc != 0 for _, rc, _, _ in steps):
        failed = 1  # a run that failed without a count (crash, no tests collected)
    line = f"total: {total.get('passed', 0)} passed, {failed} failed"
    if total.get("skipped"):
        line += f", {total['skipped']} skipped"
    print(line, flush=True)
    return 0 if all(rc == 0 for _, rc, _, _ in steps) else 1


def setup(args: argparse.Namespace) -> int:
    if args.test:
        ensure_envs(environments_for_test())
    else:
        ensure_env(VENV)
    return 0


BENCH_PROGRAMS = ("tools.bench_layers", "tools.bench_notebooks")


def bench(args: argparse.Namespace) -> int:
    """``make bench``: .venv with what the benchmark imports (the test tools and torch), however
    it was set up before (``make lab`` installs the course alone), then the benchmark."""
    python = ensure_env(VENV, TEST_EXTRAS, label=" (with test tools and torch)")
    for program in BENCH_PROGRAMS:
        rc = subprocess.run([str(python), "-m", program], cwd=REPO).returncode
        if rc != 0:
            return rc
    return 0


def update(args: argparse.Namespace) -> int:
    """``make update``: ``python -m tools.update`` (standard library only, like this file), with
    the Python that runs this file: it needs no environment."""
    cmd = [sys.executable, "-m", "tools.update", *args.update_args]
    return subprocess.run(cmd, cwd=REPO).returncode


def main(argv: list[str] | None = None) -> int:
    if sys.version_info[:2] < MIN_PYTHON:
        print(
            f"rnncourse needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; this is "
            f"{sys.version.split()[0]} ({sys.executable}). Run with a newer one, e.g.\n"
            "    make lab PYTHON=python3.12",
            file=sys.stderr,
        )
        return 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_lab = sub.add_parser("lab", help="set up and open the course in JupyterLab")
    p_lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p_lab.add_argument("--no-sync", action="store_true", help="do not copy exercises into work/")
    p_test = sub.add_parser("test", help="set up and run every test")
    p_test.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")
    p_setup = sub.add_parser("setup", help="only set up the environment(s)")
    p_setup.add_argument("--test", action="store_true", help="also the test environments")
    sub.add_parser("bench", help="set up with the test tools and torch, run the benchmark")
    sub.add_parser("update", help="bring the course up to date, keeping your edits (--dry-run)")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "update":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.update_args = rest  # tools.update's own (--dry-run)
    commands = {"lab": lab, "test": run_tests, "setup": setup, "bench": bench, "update": update}
    try:
        return commands[args.command](args)
    except SetupError as exc:
        print(f"\n[rnncourse] ERROR: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n[rnncourse] interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
