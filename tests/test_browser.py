"""The course in a real JupyterLab, driven by Chromium through Playwright.

nbval proves that notebooks compute what they say; it cannot see a widget that never renders,
a slider that moves nothing, or a kernel that does not start. These tests start the course's
JupyterLab the way ``make lab`` does (``tools/bootstrap.py``'s own command line, on a free
localhost port, with a token, in a throwaway root holding copies of the notebooks so that
JupyterLab's autosave can never touch the repo), and for the start page and every lesson that
has a widget they:

0. run the start page and the quick lessons (RUN_ALL) in full; for the heavier ones, serve a
   copy holding only the cells their interactive widgets need (`widget_slice`: each widget cell
   and, transitively, the earlier cells that bind a name it uses; progress bars are not
   interactive widgets), since nbval already proves that every lesson runs from top to bottom;
1. pre-create the notebook's kernel session through the REST API (a slow first kernel start then
   happens before the page asks for it), open the notebook, accept a "Select Kernel" dialog if one
   appears;
2. Run All, wait until every code cell has an execution number and the kernel is idle;
3. check that no cell shows an error or an unexpected stderr output, that every widget the
   committed notebook displays has rendered (and none shows "Error displaying widget"), and that
   moving the first slider of each widget cell (ArrowRight, or ArrowLeft at the maximum) changes
   what that cell shows, without an error;
4. save screenshots to ``test-artifacts/browser/``.

Each checked notebook must also show no widget label cut short, no widget picture with fewer
than 2 pixels per CSS pixel (blurry on a 2x screen), and no progress bar ended red.

``TestFirstSteps`` does what a learner does first (the README's address, the start page, the
link to their copy in work/, a wrong answer, its message, the fix, a save, then ``make update``
over what JupyterLab saved); ``TestTerminal`` types ``rnncourse`` into JupyterLab's own
terminal through its REST API and websocket. The root they serve is a git clone of the course's
folders, set up with ``make lab``'s environment, settings and notebook signatures.

``test_broken_widgets_are_caught`` is the negative control: a notebook whose widget callback
raises, whose callback silently does nothing, and whose widget never renders must each be
reported by the same checks, while a working widget beside them is not. It goes through the
slicing too: a cell that no widget needs (it raises if run) must be left out, and the cell that
the working widget needs must be kept.

Chromium is Debian's (``apt-get install chromium``); Playwright never downloads a browser here.
Without Playwright or Chromium the tests skip, except under ``RNNCOURSE_REQUIRE_ALL=1``
(``tests/conftest.py``).
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import importlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "browser"
START_PAGE = "notebooks/00_start_here.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STDERR_MIME = "application/vnd.jupyter.stderr"
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 180.0  # s; nbgrader's server extension alone imports in ~6 s under load
RUN_TIMEOUT = 300.0  # s for one notebook's Run All (lesson 09's budget is 90 s)
PIXEL_RATIO = 2  # widget pictures must be sharp on a screen of this many device pixels per CSS px
# Accepting the "Select Kernel" dialog replaces the kernel; JupyterLab then rejects the old
# kernel's pending requests, which surfaces as an uncaught promise rejection, not a course problem.
CANCELLED_BY_KERNEL_CHANGE = re.compile(r"Canceled future for \w+ message before replies were done")
WIDGET_CODE = re.compile(r"rnncourse\.widgets|ipywidgets|\binteract(ive)?\b")


# --------------------------------------------------------------------------------------------
# which notebooks
# --------------------------------------------------------------------------------------------
def has_widgets(nb: nbformat.NotebookNode) -> bool:
    """Does the notebook's code use widgets (or display one in its stored outputs)?"""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if WIDGET_CODE.search(cell.source):
            return True
        if any(WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])):
            return True
    return False


# Lessons run in full (Run All) in the browser, by lesson id (metadata rnncourse.lesson_id): the start
# page and the quick lessons, about 3 s of kernel time or less each (lesson 08's only widget is a
# progress bar: a real lesson's progress bar is checked there). Every other lesson with a widget
# runs only its `widget_slice`.
RUN_ALL = {"start", "hidden_state", "gru"}
PROGRESS_BAR = re.compile(r"\d+%\|")  # tqdm's text form of a progress bar: "desc:  40%|####  |"


def lesson_id(nb: nbformat.NotebookNode) -> str:
    return nb.metadata.get("rnncourse", {}).get("lesson_id", "")


def is_interactive(output: dict) -> bool:
    """Is this stored output a widget a learner moves (not a progress bar)?"""
    data = output.get("data", {})
    return WIDGET_MIME in data and not PROGRESS_BAR.search(str(data.get("text/plain", "")))


@dataclass
class CellNames:
    """The names a code cell binds at top level (a subscript or attribute assignment counts as
    binding its root name) and every name it reads (inside functions too: they read globals when
    called). `opaque`: a cell whose names cannot be known (cell magic, star import, no parse)."""

    binds: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    opaque: bool = False
    magic: bool = False


class _NameVisitor(ast.NodeVisitor):
    def __init__(self, names: CellNames):
        self.names = names

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.names.uses.add(node.id)
        else:
            self.names.binds.add(node.id)

    def _scope(self, node, bound: str | None):
        if bound:
            self.names.binds.add(bound)
        inner = CellNames()
        visitor = _NameVisitor(inner)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.arguments):
                params = [*child.posonlyargs, *child.args, *child.kwonlyargs]
                params += [a for a in (child.vararg, child.kwarg) if a is not None]
                inner.binds |= {a.arg for a in params}
                for default in [*child.defaults, *child.kw_defaults]:
                    if default is not None:
                        self.visit(default)  # evaluated where the function is defined
            else:
                visitor.visit(child)
        # its parameters and locals are not bound at top level; what it reads otherwise is global
        self.names.uses |= inner.uses - inner.binds
        self.names.opaque |= inner.opaque

    def visit(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._scope(node, node.name)
        elif isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp)):
            self._scope(node, None)
        elif isinstance(node, ast.GeneratorExp):
            self._scope(node, None)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            self._mutated(node.target)
            self.generic_visit(node)
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.names.uses.add(node.target.id)  # x += 1 reads x too
        else:
            super().visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self.names.binds.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name == "*":
                self.names.opaque = True
            self.names.binds.add(alias.asname or alias.name)

    def _mutated(self, target):
        while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
            target = target.value
        if isinstance(target, ast.Name):
            self.names.binds.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._mutated(element)

    def visit_Assign(self, node):
        for target in node.targets:
            self._mutated(target)
        self.generic_visit(node)


def cell_names(source: str) -> CellNames:
    names = CellNames()
    lines = []
    for line in source.splitlines():
        if line.lstrip().startswith("%%"):
            names.opaque = True
        elif line.lstrip().startswith(("%", "!")):
            names.magic = True
            line = ""
        lines.append(line)
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        names.opaque = True
        return names
    _NameVisitor(names).visit(tree)
    return names


def widget_slice(nb: nbformat.NotebookNode) -> list[int]:
    """The indices of the code cells that the notebook's interactive widgets need, in order: each
    cell that displays one, every cell with a magic or whose names cannot be known, and,
    transitively, every earlier cell that binds a name one of those reads. All code cells if
    the notebook has no interactive widget."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    names = {i: cell_names(nb.cells[i].source) for i in code}
    targets = {i for i in code if any(is_interactive(o) for o in nb.cells[i].get("outputs", []))}
    if not targets:
        return code
    needed = targets | {i for i in code if names[i].opaque or names[i].magic}
    work = sorted(needed)
    while work:
        i = work.pop()
        for j in code:
            if j < i and j not in needed and names[j].binds & names[i].uses:
                needed.add(j)
                work.append(j)
    return sorted(needed)


def browser_notebooks() -> list[str]:
    """The start page and every lesson notebook that has a widget (paths relative to the repo)."""
    found = []
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        rel = path.relative_to(REPO).as_posix()
        if rel == START_PAGE or has_widgets(nbformat.read(path, as_version=4)):
            found.append(rel)
    return found


# --------------------------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bootstrap():
    return importlib.import_module("tools.bootstrap")


def lab_argv(port: int, root: Path, trust_dir: Path, env: dict[str, str]) -> list[str]:
    """``make lab``'s JupyterLab command (tools/bootstrap.py), served from `root` instead."""
    argv = bootstrap().jupyter_lab_argv(
        Path(sys.executable), port, open_browser=False, trust_dir=trust_dir, environ=env
    )
    assert "--KernelManager.transport=ipc" in argv, "the runtime folder's path is too long"
    argv = [a for a in argv if not a.startswith("--ServerApp.root_dir=")]
    argv.insert(3, f"--ServerApp.root_dir={root}")
    assert "--no-browser" in argv and "--ServerApp.ip=127.0.0.1" in argv, argv
    return argv


def lab_settings(settings: Path) -> None:
    """User settings for the throwaway JupyterLab: every cell attached (so off-screen outputs
    render). Nothing else: no news prompt and no update check is ``make lab``'s own doing
    (tools/jupyterlab-settings), which the first-steps test checks."""
    files = {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }
    for name, value in files.items():
        path = settings / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


@dataclass
class LabServer:
    """A JupyterLab started by `start_lab`: REST helpers and where it serves from."""

    base: str
    token: str
    root: Path
    proc: subprocess.Popen
    log: Path
    port: int = 0
    upstream: Path | None = None  # the repository `root` was cloned from (None: not a clone)

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def url(self, relpath: str) -> str:
        return f"{self.base}/lab/tree/{relpath}?reset&token={self.token}"

    def start_session(self, relpath: str) -> str:
        """Start the notebook's kernel before the page opens it; return the kernel id."""
        session = self.api(
            "POST",
            "/api/sessions",
            {
                "path": relpath,
                "name": Path(relpath).name,
                "type": "notebook",
                "kernel": {"name": "python3"},
            },
            timeout=120.0,
        )
        return session["kernel"]["id"]

    def stop_sessions(self) -> None:
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (JupyterLab then shuts its kernels down), SIGKILL
    after 20 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


GIT_ENV = {
    "GIT_AUTHOR_NAME": "course",
    "GIT_AUTHOR_EMAIL": "course@example.org",
    "GIT_COMMITTER_NAME": "course",
    "GIT_COMMITTER_EMAIL": "course@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


def course_clone(tmp: Path, folders: tuple[str, ...]) -> tuple[Path, Path | None]:
    """(root, upstream): `folders` of the repo committed to a throwaway "upstream" repository
    and `root` a git clone of it, as a learner's course folder is (None without git: a copy);
    exercises copied into root/work/ as ``make lab`` does; an editable install's metadata
    folder beside them (``make lab`` hides it)."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    upstream = tmp / "upstream"
    upstream.mkdir()
    for name in folders:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, upstream / name, ignore=ignore)
    (upstream / ".gitignore").write_text("work/\n*.egg-info/\n.ipynb_checkpoints/\n")
    root = tmp / "root"
    if shutil.which("git"):
        git(upstream, "init", "-q", "-b", "main")
        git(upstream, "add", "-A")
        git(upstream, "commit", "-q", "-m", "the course")
        git(tmp, "clone", "-q", str(upstream), str(root))
    else:
        shutil.copytree(upstream, root)
        upstream = None
    from rnncourse.workspace import sync

    sync(root / "exercises", root / "work")
    (root / "rnncourse.egg-info").mkdir()
    (root / "rnncourse.egg-info" / "PKG-INFO").write_text("Name: rnncourse\n")
    return root, upstream


@contextlib.contextmanager
def start_lab(tmp: Path, folders: tuple[str, ...] = ("notebooks", "exercises", "results")):
    """Serve a clone of `folders` of the repo (`course_clone`) with ``make lab``'s command,
    environment, settings and notebook signatures (tools/bootstrap.py)."""
    root, upstream = course_clone(tmp, folders)
    settings = tmp / "lab-settings"
    lab_settings(settings)
    trust_dir = tmp / "trust"
    python = Path(sys.executable)
    bootstrap().trust_notebooks(python, root, trust_dir)
    port, token = free_port(), secrets.token_hex(16)
    # kernels' sockets live in the runtime folder: a short path, as a learner's is (pytest's
    # temporary folders are too long for a Unix socket's path)
    runtime = Path(tempfile.mkdtemp(prefix="rnncourse-rt-"))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONHASHSEED="0",
    )
    env = bootstrap().lab_env(env, token, python.parent)
    log = tmp / "jupyterlab.log"
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            lab_argv(port, root, trust_dir, env),
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole below
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, root, proc, log, port, upstream)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "/api/status", timeout=2)
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_TIMEOUT:.0f} s")
                time.sleep(0.3)
        yield server
    finally:
        server.stop_sessions()
        stop_process_group(proc)
        shutil.rmtree(runtime, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# driving one notebook
# --------------------------------------------------------------------------------------------
@dataclass
class NotebookReport:
    """What the browser saw. `problems` empty means the notebook works in JupyterLab."""

    notebook: str
    problems: list[str] = field(default_factory=list)
    widgets_rendered: int = 0
    sliders_moved: int = 0
    screenshots: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what happened on the way (dialogs accepted)
    cells_run: list[int] | None = None  # the lesson's cells that ran (None: all, Run All in full)


# The state of every cell of the open notebook, in order (windowingMode "none": all attached).
CELLS_JS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  return {
    kernel: status ? (status.getAttribute('data-status') || '') : '',
    cells: cells.map((c) => {
      const outs = [...c.querySelectorAll('.jp-Cell-outputArea > .jp-OutputArea-child')];
      // a widget output is an output whose child is a widget view, or, when the view failed,
      // an output that is itself marked jupyter-widgets and says why
      const widgetOuts = outs.map((o) => o.querySelector(':scope > .jp-OutputArea-output'))
        .filter((o) => o && (o.classList.contains('jupyter-widgets') ||
                             o.querySelector(':scope > .jupyter-widgets')));
      const failed = (w) => /Error displaying widget|Loading widget/.test(w.innerText);
      return {
        code: c.classList.contains('jp-CodeCell'),
        prompt: (c.querySelector('.jp-InputArea-prompt') || {innerText: ''}).innerText.trim(),
        stderr: [...c.querySelectorAll(
          '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
          .map((e) => e.innerText.slice(-1500)),
        widgetsRendered: widgetOuts.filter((w) => !failed(w) &&
          w.querySelector(':scope > .jupyter-widgets')).length,
        widgetErrors: widgetOuts.filter(failed).map((w) => w.innerText.trim().slice(0, 200)),
        // a widget the kernel closed (e.g. a finished tqdm bar) leaves an empty, hidden output
        widgetsClosed: outs.map((o) => o.querySelector(':scope > .jp-OutputArea-output'))
          .filter((o) => o && o.classList.contains('lm-mod-hidden') && !o.childElementCount)
          .length,
        sliders: c.querySelectorAll('.widget-slider').length,
        outputs: outs.length,
        // a widget's label cut short ("temperat...")
        truncated: [...c.querySelectorAll('.jp-Cell-outputArea .widget-label')]
          .filter((e) => e.offsetParent && e.scrollWidth > e.clientWidth)
          .map((e) => e.innerText),
        // each widget picture: its pixels, and the CSS pixels it is shown in
        images: [...c.querySelectorAll('.jp-Cell-outputArea img.widget-image')]
          .filter((e) => e.complete && e.clientWidth > 0)
          .map((e) => [e.naturalWidth, e.clientWidth]),
        redBars: c.querySelectorAll('.jp-Cell-outputArea .progress-bar-danger').length,
      };
    }),
  };
}
"""

# What a cell shows, minus its sliders (their own readout moves with them): changes when the
# widget's output does (a new image, new text, a new figure).
SIGNATURE_JS = """
(index) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const cell = panel.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const area = cell.querySelector('.jp-Cell-outputArea');
  if (!area) return '';
  const clone = area.cloneNode(true);
  clone.querySelectorAll('.widget-slider').forEach((e) => e.remove());
  clone.querySelectorAll('img').forEach((img) => img.replaceWith(
    document.createTextNode('[img ' + img.getAttribute('src').slice(-200) + ']')));
  return clone.innerHTML;
}
"""


def stored_expectations(nb: nbformat.NotebookNode) -> tuple[list[int], list[bool]]:
    """Per cell: how many widgets the committed outputs display, and whether stderr or an error
    is stored (a cell that raises on purpose, tagged ``raises-exception``, shows it in the browser
    too)."""
    widgets, stderr = [], []
    for cell in nb.cells:
        outs = cell.get("outputs", []) if cell.cell_type == "code" else []
        widgets.append(sum(WIDGET_MIME in o.get("data", {}) for o in outs))
        stderr.append(
            any(o.get("name") == "stderr" or o.get("output_type") == "error" for o in outs)
        )
    return widgets, stderr


def _state(page) -> dict:
    state = page.evaluate(CELLS_JS)
    return state or {"kernel": "", "cells": []}


def _accept_kernel_dialog(page, report: NotebookReport) -> None:
    """A slow first kernel start can make JupyterLab ask which kernel to use. Choose the kernel
    already running for this notebook (the session created beforehand) when the dialog offers
    it, else JupyterLab's own choice; accept."""
    dialog = page.locator(".jp-Dialog")
    if not (dialog.count() and dialog.first.is_visible()):
        return
    name = Path(report.notebook).name
    chosen = page.evaluate(
        """(name) => {
          const select = document.querySelector('.jp-Dialog select');
          if (!select) return '';
          const mine = [...select.options].find((o) => o.text.startsWith(name + ' ('));
          if (!mine) return '';
          select.value = mine.value;
          select.dispatchEvent(new Event('change', {bubbles: true}));
          return mine.text;
        }""",
        name,
    )
    report.notes.append(
        f"accepted dialog {dialog.first.inner_text()[:120]!r} with {chosen or 'its default'!r}"
    )
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").first.click()


def _wait(page, predicate, timeout: float, what: str, report: NotebookReport) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _accept_kernel_dialog(page, report)
        if predicate(_state(page)):
            return True
        page.wait_for_timeout(250)
    report.problems.append(f"timed out after {timeout:.0f} s waiting for {what}")
    return False


def _wait_idle(page, report: NotebookReport, timeout: float, steady: float = 1.5) -> bool:
    """Wait until the kernel has been idle, with no dialog open, for `steady` seconds."""
    since = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _accept_kernel_dialog(page, report)
        dialog = page.locator(".jp-Dialog")
        if _state(page)["kernel"] == "idle" and not (dialog.count() and dialog.first.is_visible()):
            since = since or time.monotonic()
            if time.monotonic() - since >= steady:
                return True
        else:
            since = None
        page.wait_for_timeout(250)
    report.problems.append(f"timed out after {timeout:.0f} s waiting for the kernel to start")
    return False


def _finished(state: dict) -> bool:
    cells = [c for c in state["cells"] if c["code"]]
    return bool(cells) and state["kernel"] == "idle" and not any("*" in c["prompt"] for c in cells)


def _run_menu(page, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).first.click()


def _move_slider(page, cell, index: int, report: NotebookReport, stem: str, wait: float) -> None:
    """Move the cell's first slider one step; the cell's output must change, without errors."""
    slider = cell.locator(".widget-slider").first
    readout = slider.locator(".widget-readout")
    handle = slider.locator(".noUi-handle")
    before = page.evaluate(SIGNATURE_JS, index)
    value = readout.inner_text() if readout.count() else ""
    slider.scroll_into_view_if_needed()
    moved = False
    for key in ("ArrowRight", "ArrowLeft"):
        handle.first.focus()
        page.keyboard.press(key)
        page.wait_for_timeout(100)
        if not readout.count() or readout.inner_text() != value:
            moved = True
            break
    if not moved:
        report.problems.append(f"cell {index}: its slider did not move (readout stayed {value!r})")
        return
    deadline = time.monotonic() + wait
    after = before
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        state = _state(page)
        after = page.evaluate(SIGNATURE_JS, index)
        if after != before and state["kernel"] == "idle":
            break
    if after == before:
        report.problems.append(
            f"cell {index}: moving its slider ({value!r} -> {readout.inner_text()!r}) did not"
            " change what the cell shows"
        )
    else:
        report.sliders_moved += 1
    shot = ARTIFACTS / f"{stem}-cell{index:02d}.png"
    cell.screenshot(path=str(shot))
    report.screenshots.append(shot)


def check_notebook(
    page, server: LabServer, relpath: str, change_wait: float = 30.0
) -> NotebookReport:
    """Open `relpath` in JupyterLab, Run All, and report every problem a learner would see;
    a moved slider's cell must change what it shows within `change_wait` seconds.

    If JupyterLab asked which kernel to use and the run then had problems, the notebook is
    opened and run once more in a fresh page (the first attempt's problems become notes): a
    kernel changed in the middle of Run All loses the queued cells, which says nothing about
    the notebook."""
    report = _check_once(page, server, relpath, change_wait)
    if report.problems and any(n.startswith("accepted dialog") for n in report.notes):
        server.stop_sessions()
        fresh = page.context.new_page()
        retry = _check_once(fresh, server, relpath, change_wait)
        retry.notes = [f"first attempt: {p}" for p in report.problems] + report.notes + retry.notes
        return retry
    return report


def check_widgets(
    page, server: LabServer, relpath: str, change_wait: float = 30.0
) -> NotebookReport:
    """`check_notebook` on `relpath` in full if it is in RUN_ALL, else on a copy beside it that
    holds only its `widget_slice` (stored outputs kept, so the same expectations apply); the
    problems then name the lesson's own cell numbers."""
    nb = nbformat.read(server.root / relpath, as_version=4)
    if lesson_id(nb) in RUN_ALL:
        return check_notebook(page, server, relpath, change_wait)
    keep = widget_slice(nb)
    slim = nbformat.from_dict(nb)
    slim.cells = [nb.cells[i] for i in keep]
    served = Path(relpath).with_name(f"{Path(relpath).stem}-widgets.ipynb").as_posix()
    nbformat.write(slim, server.root / served)
    report = check_notebook(page, server, served, change_wait)

    def lesson_cell(match: re.Match) -> str:
        return f"cell {keep[int(match.group(1))]}"

    report.problems = [re.sub(r"\bcell (\d+)", lesson_cell, p) for p in report.problems]
    report.notes.insert(
        0,
        f"ran {served}: cells {keep} of {relpath}'s {len(nb.cells)}, what its widgets need",
    )
    report.notebook, report.cells_run = relpath, keep
    return report


def _check_once(page, server: LabServer, relpath: str, change_wait: float) -> NotebookReport:
    report = NotebookReport(relpath)
    start = time.monotonic()
    stem = Path(relpath).stem
    nb = nbformat.read(server.root / relpath, as_version=4)
    want_widgets, stored_stderr = stored_expectations(nb)
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)[:500]))

    server.start_session(relpath)
    page.goto(server.url(relpath), wait_until="domcontentloaded", timeout=120_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    with contextlib.suppress(Exception):  # hide the file browser: more room for the notebook
        page.keyboard.press("Control+b")
    if not _wait_idle(page, report, 120):
        return report
    _run_menu(page, "Run All Cells")
    # every code cell queued ([*]) and then numbered, the kernel idle again
    if not _wait(page, _finished, RUN_TIMEOUT, "Run All to finish", report):
        page.screenshot(path=str(ARTIFACTS / f"{stem}-timeout.png"))
        return report
    # widget views render asynchronously after the kernel is idle
    _wait(
        page,
        lambda s: not any("Loading widget" in e for c in s["cells"] for e in c["widgetErrors"]),
        30,
        "widgets to load",
        report,
    )
    state = _state(page)
    if len(state["cells"]) != len(nb.cells):
        report.problems.append(
            f"{len(state['cells'])} cells shown, the notebook has {len(nb.cells)}"
        )
        return report

    for i, (cell, want, had_stderr) in enumerate(
        zip(state["cells"], want_widgets, stored_stderr, strict=True)
    ):
        if not cell["code"]:
            continue
        if not re.fullmatch(r"\[\d+\]:", cell["prompt"]) and nb.cells[i].source.strip():
            report.problems.append(f"cell {i} did not run (prompt {cell['prompt']!r})")
        if cell["stderr"] and not had_stderr:
            report.problems.append(f"cell {i} shows an error or stderr: {cell['stderr'][0][-600:]}")
        report.widgets_rendered += cell["widgetsRendered"]
        if cell["widgetErrors"]:
            report.problems.append(f"cell {i}: {cell['widgetErrors'][0]}")
        elif cell["widgetsRendered"] + cell["widgetsClosed"] < want:
            report.problems.append(
                f"cell {i}: {cell['widgetsRendered']} of its {want} widgets rendered"
            )

    for i, cell in enumerate(state["cells"]):
        for label in cell["truncated"]:
            report.problems.append(f"cell {i}: the widget label {label!r} is cut short")
        for natural, shown in cell["images"]:
            # drawn for a 2x screen: at least two of its pixels per CSS pixel it is shown in
            if natural < PIXEL_RATIO * shown - 2:
                report.problems.append(
                    f"cell {i}: a widget image of {natural} px is shown {shown} px wide (blurry:"
                    f" it needs {PIXEL_RATIO * shown} px for a {PIXEL_RATIO}x screen)"
                )
        if cell["redBars"]:
            report.problems.append(f"cell {i}: a progress bar ended red (tqdm's sign of an error)")

    overview = ARTIFACTS / f"{stem}.png"
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    for i, cell in enumerate(state["cells"]):
        if cell["sliders"] and want_widgets[i]:
            _move_slider(page, cells.nth(i), i, report, stem, change_wait)
    # errors a callback raised while the sliders moved
    for i, (cell, had_stderr) in enumerate(zip(_state(page)["cells"], stored_stderr, strict=True)):
        if cell["stderr"] and not had_stderr:
            problem = f"cell {i} shows an error or stderr: {cell['stderr'][0][-600:]}"
            if problem not in report.problems:
                report.problems.append(problem)
    if any(want_widgets) and report.widgets_rendered == 0:
        report.problems.append("the notebook displays widgets but none rendered")
    first_widget = next((i for i, n in enumerate(want_widgets) if n), None)
    if first_widget is not None:
        cells.nth(first_widget).scroll_into_view_if_needed()
    page.screenshot(path=str(overview))
    report.screenshots.insert(0, overview)
    for error in js_errors:
        if report.notes and CANCELLED_BY_KERNEL_CHANGE.search(error):
            report.notes.append(f"after the kernel change: {error}")  # JupyterLab's own noise
        else:
            report.problems.append(f"JavaScript error: {error}")
    report.seconds = time.monotonic() - start
    return report


# --------------------------------------------------------------------------------------------
# fixtures and tests
# --------------------------------------------------------------------------------------------
def chromium_path() -> str:
    """The Chromium tests/conftest.py found (its hook skips or fails the test without one)."""
    for candidate in (
        os.environ.get("RNNCOURSE_CHROMIUM", ""),
        shutil.which("chromium") or "",
        shutil.which("chromium-browser") or "",
        "/usr/bin/chromium",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("no Chromium executable, yet tests/conftest.py did not skip")


# Session-scoped: one JupyterLab and one Chromium per pytest process. Each notebook's test is a
# class of its own, so that pytest-xdist (--dist loadscope) can spread the notebooks over its
# workers instead of running the whole module on one.
@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=HEADLESS_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1500})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def _explain(report: NotebookReport, server: LabServer) -> str:
    lines = [f"{report.notebook} in JupyterLab:"] + [f"  - {p}" for p in report.problems]
    lines += [f"  (note) {n}" for n in report.notes]
    lines.append(f"screenshots: {', '.join(str(s) for s in report.screenshots) or 'none'}")
    lines.append("JupyterLab log (last lines):\n" + server.log_tail(15))
    return "\n".join(lines)


def test_browser_notebooks_are_found():
    found = browser_notebooks()
    assert found and found[0] == START_PAGE, found
    ids = {lesson_id(nbformat.read(REPO / rel, as_version=4)) for rel in found}
    assert RUN_ALL <= ids, RUN_ALL - ids  # no stale lesson id in RUN_ALL


def test_cell_names():
    names = cell_names(
        "%matplotlib inline\n"
        "import numpy as np\n"
        "from a.b import c as d\n"
        "runs[cell] = train(x, rate=lr)\n"
        "def f(u, *args, k=K0):\n"
        "    local = u + g\n"
        "    return local\n"
        "total += sum(v for v in values)\n"
    )
    assert names.magic and not names.opaque
    assert names.binds == {"np", "d", "runs", "f", "total"}
    assert names.uses == {"runs", "cell", "train", "x", "lr", "K0", "g", "sum", "values", "total"}
    assert cell_names("from x import *").opaque and cell_names("%%time\nx = 1").opaque
    assert cell_names("def broken(:").opaque


def test_widget_slices_keep_every_interactive_widget_and_what_it_reads():
    sliced = 0
    for rel in browser_notebooks():
        nb = nbformat.read(REPO / rel, as_version=4)
        if lesson_id(nb) in RUN_ALL:
            continue
        sliced += 1
        keep = widget_slice(nb)
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        interactive = [i for i in code if any(map(is_interactive, nb.cells[i].outputs))]
        assert interactive and set(interactive) <= set(keep), (rel, keep)
        assert len(keep) < len(code), f"{rel}: its slice is the whole notebook: add it to RUN_ALL"
        names = {i: cell_names(nb.cells[i].source) for i in code}
        for i in keep:  # closed: a name read in the slice and bound earlier is bound in it
            for name in names[i].uses:
                binders = [j for j in code if j < i and name in names[j].binds]
                assert not binders or any(j in keep for j in binders), (rel, i, name)
    assert sliced >= 1


class TestNegativeControl:
    def test_broken_widgets_are_caught(self, lab, page):
        broken_widgets_are_caught(lab, page)


def terminal_output(server: LabServer, command: str, marker: str, timeout: float = 60.0) -> str:
    """Open a terminal through JupyterLab's REST API, type `command` into it (over its websocket,
    as the terminal page does) and return what it printed up to `marker`."""
    import asyncio

    from tornado.websocket import websocket_connect

    name = server.api("POST", "/api/terminals")["name"]
    url = f"ws://127.0.0.1:{server.port}/terminals/websocket/{name}?token={server.token}"

    async def talk() -> str:
        ws = await websocket_connect(url)
        ws.write_message(json.dumps(["stdin", command + "\r"]))
        out = ""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while marker not in out and loop.time() < deadline:
            try:
                message = await asyncio.wait_for(ws.read_message(), deadline - loop.time())
            except asyncio.TimeoutError:
                break
            if message is None:
                break
            kind, *rest = json.loads(message)
            if kind == "stdout":
                out += rest[0]
        ws.close()
        return out

    try:  # in a thread of its own: Playwright's sync API may hold this thread's event loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, talk()).result()
    finally:
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            server.api("DELETE", f"/api/terminals/{name}")


class TestTerminal:
    def test_rnncourse_is_on_path_in_jupyterlabs_terminal(self, lab):
        """The course tells learners to type `rnncourse progress` in a terminal: in JupyterLab's
        own terminal (a login shell resets PATH; make lab starts a plain one, with the course's
        environment first on PATH) it must be found. And the file browser hides the install's
        metadata folder."""
        out = terminal_output(
            lab, "command -v rnncourse; rnncourse --help | head -n 1; echo END-$((6 * 7))", "END-42"
        )
        expected = str(Path(sys.executable).parent / "rnncourse")
        assert expected in out and "usage: rnncourse COMMAND" in out, out[-2000:]
        assert "command not found" not in out, out[-2000:]
        listing = [item["name"] for item in lab.api("GET", "/api/contents/")["content"]]
        assert (lab.root / "rnncourse.egg-info").is_dir() and "rnncourse.egg-info" not in listing
        assert "notebooks" in listing and "work" in listing, listing


def cell_text(page, index: int) -> str:
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
    area = cell.locator(".jp-Cell-outputArea")
    return area.inner_text() if area.count() else ""


def wait_for_text(page, index: int, pattern: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = cell_text(page, index)
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(250)
    raise AssertionError(f"cell {index} never showed {pattern!r}; it shows:\n{text[-1500:]}")


def type_into_cell(page, index: int, source: str) -> None:
    """Replace a cell's code as a learner does: click into it, select all, type (inserted as
    text, so that the editor's auto-indent and bracket closing leave it as written)."""
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)


def run_cell_and_next(page, index: int) -> None:
    """Shift+Enter in the cell (it runs, the next one is selected), then Shift+Enter again."""
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(200)
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")


def save(page) -> None:
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(
        position={"x": 5, "y": 5}
    )
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


WRONG_STEP = (
    "def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):\n"
    "    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h\n"
)
RIGHT_STEP = (
    "def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):\n"
    "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)\n"
)


def first_steps(lab: LabServer, page) -> list[str]:
    """What a learner does first, in JupyterLab: open the address ``make lab`` prints (the
    README's), read the start page (a widget not yet run shows what the page says it shows),
    save it; follow the lesson map's link to their copy work/02_hidden_state.ipynb, Run All
    (it goes on past the failing checks), type a wrong answer, see the checker's message, fix
    it, see it pass, save. Then ``make update`` brings a new version of the start page the
    browser saved: it is not the learner's edit, so it is updated, and work/ keeps the answer.
    Returns notes for the report."""
    from tools import update

    notes: list[str] = []
    exercise = "work/02_hidden_state.ipynb"
    start_nb = nbformat.read(lab.root / START_PAGE, as_version=4)
    widget_cell = next(i for i, c in enumerate(start_nb.cells) if "IntSlider" in c.source)
    # the exercise's kernel starts meanwhile (a learner's would start when they open it)
    exercise_kernel = concurrent.futures.ThreadPoolExecutor(1)
    exercise_started = exercise_kernel.submit(lab.start_session, exercise)
    lab.start_session(START_PAGE)
    page.goto(bootstrap().lab_url(lab.port, lab.token), wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    report = NotebookReport(START_PAGE)
    assert _wait_idle(page, report, 120), report.problems
    assert "Start here" in cell_text(page, 0) or page.get_by_text("Start here:").count()
    # 1. a widget cell not run yet shows what the start page says it shows
    # ("Loading widget..." first, while JupyterLab looks for the widget in the kernel)
    unrun = wait_for_text(page, widget_cell, r"Error displaying widget|VBox\(children=", timeout=60)
    page_text = " ".join("\n".join(c.source for c in start_nb.cells).split())
    shown = next(
        (q for q in ("Error displaying widget: model not found", "VBox(children=") if q in unrun),
        None,
    )
    assert shown is not None, f"an unrun widget shows {unrun!r}"
    assert shown in page_text, f"the start page does not say that an unrun widget shows {shown!r}"
    notes.append(f"an unrun widget showed {unrun.strip()[:80]!r}")
    # 2. JupyterLab saves the start page (it rewrites its metadata): not an edit of the learner's
    before = (lab.root / START_PAGE).read_bytes()
    save(page)
    wait_until(lambda: (lab.root / START_PAGE).read_bytes() != before, 30, "the start page saved")
    if lab.upstream is not None:
        assert git(lab.root, "status", "--porcelain", START_PAGE).strip()  # `git pull` aborted
        assert not update.is_edited(lab.root, START_PAGE)
    # 3. the lesson map's link opens the learner's copy
    exercise_started.result(timeout=120)
    exercise_kernel.shutdown()
    link = page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownOutput a",
        has_text=re.compile(r"^work/02_hidden_state\.ipynb$"),
    ).first
    notes.append(f"followed the link {link.get_attribute('href')!r}")
    current_tabs = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    current_tab = current_tabs.first

    def opened() -> bool:
        # the exercise is the current tab of a tab bar (JupyterLab may move the address bar later)
        return any("02_hidden_state.ipynb" in t for t in current_tabs.all_inner_texts())

    # On a loaded 2-core machine (two test workers executing notebooks beside the browser) a
    # click can land before JupyterLab has attached its link handler to a re-rendered output:
    # the learner would click again, and so does the test, once, if the link is still on screen
    # (if it is not, the first click opened a tab: wait for it). A link that never opens still
    # fails, with what the browser showed.
    link.scroll_into_view_if_needed()
    link.click()
    deadline = time.monotonic() + 135
    clicked_again = False
    while not opened():
        if time.monotonic() > deadline:
            page.screenshot(path=str(ARTIFACTS / "first-steps-link.png"))
            tabs = page.locator("#jp-main-dock-panel .lm-TabBar-tab").all_inner_texts()
            raise AssertionError(
                f"the link to work/02_hidden_state.ipynb did not open it in 135 s: the page is "
                f"at {page.url!r}, tabs {tabs!r}"
            )
        if not clicked_again and time.monotonic() > deadline - 90 and link.is_visible():
            tabs = page.locator("#jp-main-dock-panel .lm-TabBar-tab").all_inner_texts()
            notes.append(f"the first click on the link opened nothing in 45 s (tabs {tabs!r})")
            link.click()
            clicked_again = True
        time.sleep(0.25)
    # the address bar follows the current tab, but late on a loaded machine (seen in CI): noted
    # below, not waited for; what a learner needs is the tab
    notes.append(f"opened {page.url.split('?')[0]}, tab {current_tab.get_attribute('title')!r}")
    report = NotebookReport(exercise)
    assert _wait_idle(page, report, 120), report.problems
    nb = nbformat.read(lab.root / exercise, as_version=4)
    answer = next(
        i
        for i, c in enumerate(nb.cells)
        if "def rnn_step_forward" in c.source and c.metadata.get("nbgrader", {}).get("solution")
    )
    check_cell = answer + 1
    assert nb.cells[check_cell].source.strip() == "check(rnn_step_forward)"
    # 4. Run All goes on past the failing checks (every code cell gets its number)
    _run_menu(page, "Run All Cells")
    assert _wait(page, _finished, RUN_TIMEOUT, "Run All to finish", report), report.problems
    state = _state(page)
    code = [c for c in state["cells"] if c["code"]]
    assert all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in code), [c["prompt"] for c in code]
    assert "not implemented yet" in cell_text(page, check_cell)
    # 5. a wrong answer: the checker says what is wrong, once, and how to fix it
    type_into_cell(page, answer, WRONG_STEP)
    run_cell_and_next(page, answer)
    failed = wait_for_text(page, check_cell, r"✗ rnn_step_forward: failed")
    # the first failure names the symptom (progressive hints: the fix comes on request)
    assert "entries differ" in failed and 'hint("rnn_step_forward")' in failed, failed
    assert failed.count("entries differ") == 1, failed  # not repeated in the error box
    assert "does not pass yet" in failed, failed
    page.screenshot(path=str(ARTIFACTS / "first-steps-wrong.png"))
    # 6. fixed: it passes
    type_into_cell(page, answer, RIGHT_STEP)
    run_cell_and_next(page, answer)
    passed = wait_for_text(page, check_cell, r"✓ rnn_step_forward: passed")
    assert "✗" not in passed and "CheckFailed" not in passed, passed
    page.screenshot(path=str(ARTIFACTS / "first-steps-passed.png"))
    save(page)
    wait_until(
        lambda: "np.tanh(x_t @ W_xh.T" in (lab.root / exercise).read_text(),
        30,
        "the learner's answer saved in work/",
    )
    # 7. no news prompt on first use, no update check
    assert page.get_by_text("official Jupyter news").count() == 0
    # 8. make update: upstream changes the start page the browser saved
    if lab.upstream is not None:
        upstream_nb = nbformat.read(lab.upstream / START_PAGE, as_version=4)
        upstream_nb.cells[-1].source += "\n\n(A new version of the course.)"
        nbformat.write(upstream_nb, lab.upstream / START_PAGE)
        git(lab.upstream, "commit", "-q", "-am", "course v2")
        mine = (lab.root / exercise).read_bytes()
        env_before = dict(os.environ)
        try:
            os.environ.update(GIT_ENV)
            rc = update.main(["--repo", str(lab.root)])
        finally:
            os.environ.clear()
            os.environ.update(env_before)
        assert rc == 0
        assert (lab.root / START_PAGE).read_bytes() == (lab.upstream / START_PAGE).read_bytes()
        assert not (lab.root / "work" / "lessons").exists()
        assert (lab.root / exercise).read_bytes() == mine
        notes.append("make update: the saved start page updated, work/ untouched")
    # 9. the server's log: kernels over ipc, notebooks trusted
    log = lab.log.read_text(errors="replace")
    assert "without encryption" not in log, lab.log_tail()
    assert not re.search(
        r"Notebook (notebooks/00_start_here|work/02_hidden_state)\.ipynb is not trusted", log
    ), lab.log_tail()
    return notes


class TestFirstSteps:
    def test_a_learners_first_steps(self, lab, page):
        first_steps(lab, page)
        lab.stop_sessions()


class _NotebookInLab:
    """The test for one notebook; a subclass per notebook sets `relpath` (see below)."""

    relpath = ""

    def test_runs_in_jupyterlab(self, lab, page):
        report = check_widgets(page, lab, self.relpath)
        lab.stop_sessions()
        assert not report.problems, _explain(report, lab)
        nb = nbformat.read(lab.root / self.relpath, as_version=4)
        if report.cells_run is not None:  # a slice: it ran every interactive widget's cell
            interactive = [
                i for i, c in enumerate(nb.cells) if any(map(is_interactive, c.get("outputs", [])))
            ]
            assert interactive and set(interactive) <= set(report.cells_run), report.cells_run
        if any(stored_expectations(nb)[0]):
            assert report.widgets_rendered > 0
            assert report.sliders_moved > 0 or not any(
                "Slider" in c.source or "interact" in c.source for c in nb.cells
            ), "the notebook has sliders but none was moved"


for _relpath in browser_notebooks():
    _name = "TestInJupyterLab_" + re.sub(r"\W", "_", Path(_relpath).stem)
    globals()[_name] = type(_name, (_NotebookInLab,), {"relpath": _relpath})


# Negative control: each broken cell must be reported, the working one must not.
BROKEN_CELLS = {
    "needed": "K_MAX = 10  # the working widget reads it: the slice must keep this cell",
    # executed as it is, then its source replaced by a `raise`: the slice must leave it out
    "not_needed": "unused = 1",
    "works": (
        "import ipywidgets as widgets\n"
        "@widgets.interact(k=(1, K_MAX))\n"
        "def square(k=3):\n"
        "    print(f'{k} squared is {k * k}')"
    ),
    "raises": (
        "@widgets.interact(k=(1, 10))\n"
        "def fragile(k=3):\n"
        "    if k != 3:\n"
        "        raise ValueError('the callback broke')\n"
        "    print(f'k = {k}')"
    ),
    "does_nothing": (
        "slider = widgets.IntSlider(value=3, min=1, max=10, description='k')\n"
        "label = widgets.HTML('k = 3')\n"
        "def on_change(change):\n"
        "    raise RuntimeError('observer broke')  # ends up in the kernel log, not the cell\n"
        "slider.observe(on_change, names='value')\n"
        "widgets.VBox([slider, label])"
    ),
    # executed as a widget, then its source replaced by the widget's text: what a learner sees
    # when JupyterLab's widget extension is missing
    "text_only": "widgets.IntSlider(value=3)",
    "never_renders": (
        "from IPython.display import display\n"
        "display({'application/vnd.jupyter.widget-view+json':\n"
        "         {'model_id': '0' * 32, 'version_major': 2, 'version_minor': 0},\n"
        "         'text/plain': 'a widget'}, raw=True)"
    ),
}


NOT_NEEDED_RAN = "a cell that no widget needs ran"


def broken_notebook(path: Path) -> dict[str, int]:
    """Write (and execute, as lessons are committed executed) the negative-control notebook;
    return the cell index of each case."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken widgets (negative control)")]
    index = {}
    for name, source in BROKEN_CELLS.items():
        index[name] = len(nb.cells)
        nb.cells.append(nbformat.v4.new_code_cell(source))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    nb.cells[index["text_only"]].source = (
        "from IPython.display import display\n"
        "display({'text/plain': 'IntSlider(value=3)'}, raw=True)"
    )
    nb.cells[index["not_needed"]].source = f"raise RuntimeError({NOT_NEEDED_RAN!r})"
    nbformat.write(nb, path)
    return index


def broken_widgets_are_caught(lab, page):
    (lab.root / "broken").mkdir(exist_ok=True)
    index = broken_notebook(lab.root / "broken" / "99_broken_widgets.ipynb")
    # 10 s for an output to change: the working widgets here answer in well under a second
    report = check_widgets(page, lab, "broken/99_broken_widgets.ipynb", change_wait=10.0)
    lab.stop_sessions()
    # it went through the slice: the needed cell kept, the other one left out
    assert report.cells_run is not None, _explain(report, lab)
    assert index["needed"] in report.cells_run and index["not_needed"] not in report.cells_run
    assert not any(NOT_NEEDED_RAN in p for p in report.problems), _explain(report, lab)

    def about(name: str) -> list[str]:
        return [p for p in report.problems if re.match(rf"cell {index[name]}\b", p)]

    assert not about("works"), _explain(report, lab)
    assert any("the callback broke" in p for p in about("raises")), _explain(report, lab)
    assert any("did not change" in p for p in about("does_nothing")), _explain(report, lab)
    assert any(
        "Error displaying widget" in p or "widgets rendered" in p for p in about("never_renders")
    ), _explain(report, lab)
    assert any("widgets rendered" in p for p in about("text_only")), _explain(report, lab)
    assert report.sliders_moved >= 1  # the working slider
