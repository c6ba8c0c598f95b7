"""A room of learners on a real JupyterHub on this machine, timed: the driver behind ``make hub-test``.

    python -m tools.hub_load [--learners 8] [--repeats 10] [--json FILE] [--keep-going]

What it sets up (all of it removed again at the end, also after a failure or Ctrl+C):

- a temporary folder, readable by the learners, holding the **course remote** (a git repository
  made from this checkout's files, pulled through a ``file://`` URL), the **hub environment** (a
  virtual environment with the course installed from this checkout, JupyterHub and nbgitpuller,
  built with uv from a Python that the learners can run) and the learners' home folders;
- one **throwaway system user** per learner (``useradd``; their names start with ``rnnhub``),
  so it runs as root (``sudo make hub-test``): the hub's LocalProcessSpawner starts every
  learner's server as that learner;
- **JupyterHub** with ``instructors/hub/jupyterhub_config_local.py`` (the guide's tested
  configuration, loaded unchanged; this program overrides ports, paths and user names after it)
  and npm's ``configurable-http-proxy``, everything on 127.0.0.1.

What each learner does, all learners at once (one thread each), through the hub's REST API, the
single-user server's REST API and the kernel websocket (no browser):

1. the hub starts their server (``POST /hub/api/users/NAME/server``);
2. they log in through the hub's login form (cookies, as a browser) and open the documented
   nbgitpuller link (``/hub/user-redirect/git-pull?repo=...``), which sends them through the
   hub's OAuth to their server's pull page; the pull itself is the request that page makes
   (``git-pull/api``, an event stream, here with the learner's API token), and it clones the
   course into ``~/rnncourse``;
3. in a kernel started for the start page they run the guide's first line,
   ``!rnncourse sync-work --source ../exercises --work ../work``: their exercises land in
   ``work/``;
4. they run a lesson (every code cell of ``notebooks/02_hidden_state.ipynb``, in its kernel);
5. in the kernel of their exercise notebook ``work/02_hidden_state.ipynb`` they submit a wrong
   answer (``rnn_step_forward`` without the tanh) and then a right one to the check,
   ``--repeats`` times each: every ``check(rnn_step_forward)`` is one latency sample;
6. they save their notebook (learners 1, 3, 5, ... with the right answer, the others with the
   wrong one, so that the grades tell them apart) and run ``rnncourse progress``.

Then the instructor collects ``work/02_hidden_state.ipynb`` from every home folder and grades it,
with the commands of instructors/jupyterhub.md (read from the guide and run as written).

It prints, and writes as JSON with ``--json``: each learner's time and phases, the check
latency over all samples (median and 95th percentile), the grades, and the machine (CPU model and
flags). Every wait is bounded: ``--timeout`` for the whole room (default 600 s), and a timeout
for each request and each cell. Exit status 0 when every learner finished and every grade is the
expected one.

Needs: root, node with npm's configurable-http-proxy
(``npm install -g configurable-http-proxy``; if it is missing and npm is there, this program
installs it into ``.venv/hub-proxy/``; ``RNNCOURSE_HUB_PROXY=PATH`` names another), git, uv (``make test`` installs it into .venv), and a
Python 3.10+ that the learners may run (not one inside /root). ``RNNCOURSE_HUB_KEEP=1`` keeps
the temporary folder (the hub's log, the course remote) for a post-mortem; the users go anyway.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUB_CONFIG = REPO / "instructors" / "hub" / "jupyterhub_config_local.py"
GUIDE = REPO / "instructors" / "jupyterhub.md"
USER_PREFIX = "rnnhub"  # throwaway users' names start with it
USER_COMMENT = "rnncourse hub test"  # their GECOS field: "rnncourse hub test, pid N"
LESSON = "notebooks/02_hidden_state.ipynb"
EXERCISE = "02_hidden_state.ipynb"
CHECKED = "rnn_step_forward"  # the exercise whose check is timed
BRANCH = "main"
PROXY_REQUIREMENT = "configurable-http-proxy@5"
HUB_PACKAGES = ("jupyterhub", "nbgitpuller")  # beside the course, in the hub environment


def hub_requirements() -> list[str]:
    """The hub's packages as pyproject's test extra declares them, e.g. 'jupyterhub>=5.3'."""
    from tools.bootstrap import extra_requirements

    wanted = [
        r
        for r in extra_requirements("test")
        if re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() in HUB_PACKAGES
    ]
    if len(wanted) != len(HUB_PACKAGES):
        raise HubError(f"pyproject.toml's test extra must list {', '.join(HUB_PACKAGES)}")
    return wanted


WRONG_ANSWER = '''def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    """One RNN step, with a classic mistake: the tanh is missing."""
    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h
'''


class HubError(RuntimeError):
    """Something the room could not do; the message says what and where."""


def say(msg: str) -> None:
    print(f"[hub] {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# what this machine can do
# --------------------------------------------------------------------------------------------
def find_proxy() -> str | None:
    """npm's configurable-http-proxy: $RNNCOURSE_HUB_PROXY, on PATH, or in .venv/hub-proxy/."""
    for candidate in (
        os.environ.get("RNNCOURSE_HUB_PROXY", ""),
        shutil.which("configurable-http-proxy") or "",
        str(REPO / ".venv" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"),
    ):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_requirements() -> list[str]:
    """What this machine lacks to run the hub (empty when nothing), each with how to get it."""
    problems = []
    if os.geteuid() != 0:
        problems.append("root (it creates a system user per learner: sudo make hub-test)")
    if shutil.which("node") is None:
        problems.append("node is not installed (Debian: apt-get install nodejs npm)")
    if find_proxy() is None and shutil.which("npm") is None:
        problems.append(
            "configurable-http-proxy is not installed and npm is missing to install it "
            "(Debian: apt-get install npm; then npm install -g configurable-http-proxy)"
        )
    if shutil.which("git") is None:
        problems.append("git is not installed")
    if uv_command() is None:
        problems.append("uv is not installed (pip install uv; make test installs it in .venv)")
    return problems


def ensure_proxy(timeout: float = 300) -> str:
    """The proxy's path, installing it with npm into .venv/hub-proxy/ if it is missing."""
    found = find_proxy()
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise HubError("configurable-http-proxy is missing, and npm to install it")
    prefix = REPO / ".venv" / "hub-proxy"
    prefix.mkdir(parents=True, exist_ok=True)
    say(f"installing {PROXY_REQUIREMENT} with npm into {prefix.relative_to(REPO)}/")
    result = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", PROXY_REQUIREMENT],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    found = find_proxy()
    if result.returncode != 0 or found is None:
        raise HubError(f"npm install {PROXY_REQUIREMENT} failed:\n{result.stdout}{result.stderr}")
    return found


def uv_command() -> list[str] | None:
    """How to run uv: ``python -m uv`` in this environment, or ``uv`` on PATH."""
    try:
        import uv  # noqa: F401

        return [sys.executable, "-m", "uv"]
    except ImportError:
        exe = shutil.which("uv")
        return [exe] if exe else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_flags() -> tuple[str, str]:
    """(CPU model, its flags) of this machine, from /proc/cpuinfo."""
    from tools.machine import cpu_model_and_flags

    model, flags = cpu_model_and_flags()
    return model, " ".join(sorted(flags))


# --------------------------------------------------------------------------------------------
# the course remote and the hub environment
# --------------------------------------------------------------------------------------------
def git(*args: str, cwd: Path, timeout: float = 60) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="rnncourse",
        GIT_AUTHOR_EMAIL="rnncourse@example.org",
        GIT_COMMITTER_NAME="rnncourse",
        GIT_COMMITTER_EMAIL="rnncourse@example.org",
        LANG="C",
    )
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    if result.returncode != 0:
        raise HubError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def make_course_remote(dest: Path, source: Path = REPO) -> str:
    """The instructor's copy of the course at `dest` (this checkout's files as they are now,
    tracked files and uncommitted edits, one commit on branch main) and the repository it is
    published to, ``published/rnncourse`` beside it (bare, as on a git server); returns the
    latter's file:// URL."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        src = source / name
        if not src.is_file():  # deleted in the working tree
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / name)
    git("init", "-q", "-b", BRANCH, cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "the course, as the hub's learners pull it", cwd=dest)
    bare = published_path(dest)
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", str(dest), str(bare), cwd=dest.parent)
    git("remote", "add", "published", str(bare), cwd=dest)
    return bare.as_uri()


def published_path(course: Path) -> Path:
    """Where `make_course_remote` publishes the course at `course`: a bare repository named
    like the course (nbgitpuller clones into a folder named after the URL's last part)."""
    return course.parent / "published" / "rnncourse"


def upstream_change(remote: Path, edit, message: str) -> str:
    """Commit `edit(remote)` (a function that changes files of the remote's work tree) in the
    course remote, as an instructor publishing an update would; returns the new commit."""
    edit(remote)
    git("add", "-A", cwd=remote)
    git("commit", "-q", "-m", message, cwd=remote)
    git("push", "-q", "published", BRANCH, cwd=remote)
    return git("rev-parse", "HEAD", cwd=remote).strip()


def python_candidates() -> list[str]:
    """Interpreters that might build the hub environment, this one's version first."""
    here = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    names = [
        os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
        f"/usr/bin/{here}",
        f"/usr/local/bin/{here}",
        "/usr/bin/python3",
        "/usr/local/bin/python3",
    ]
    names += [shutil.which(n) or "" for n in (here, "python3")]
    seen, out = set(), []
    for n in names:
        if n and os.path.isfile(n) and n not in seen:
            seen.add(n)
            out.append(n)
    return out


def runs_as(user: str | None, python: str) -> bool:
    """Whether `user` (None: the caller) can run `python`, and it is 3.10 or newer."""
    cmd = [python, "-c", "import sys; sys.exit(sys.version_info < (3, 10))"]
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def build_hub_env(dest: Path, user: str | None, log) -> Path:
    """A virtual environment at `dest` with the course (installed, not editable, from this
    checkout), JupyterHub and nbgitpuller, from a Python that `user` can run; its versions pinned
    to this environment's where it has the same packages (fast, from uv's cache)."""
    uv = uv_command()
    if uv is None:
        raise HubError("uv is needed to build the hub environment (pip install uv)")
    python = next((p for p in python_candidates() if runs_as(user, p)), None)
    if python is None:
        raise HubError(
            "no Python 3.10+ on this machine can be run by an unprivileged user (this one lives "
            f"in {sys.base_prefix}, which they cannot read); install one, e.g. apt-get install "
            "python3"
        )
    from importlib import metadata

    pins = sorted(
        {
            f"{d.metadata['Name']}=={d.version}"
            for d in metadata.distributions()
            if d.metadata["Name"] and d.metadata["Name"].lower() != "rnncourse"
        }
    )
    constraints = dest.parent / "hub-constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    run = [str(dest / "bin" / "python")]
    venv = [*uv, "venv", "--quiet", "--python", python, str(dest)]
    install = [*uv, "pip", "install", "--quiet", "--python", run[0], str(REPO), *hub_requirements()]
    # pinned to this environment's versions first; where those do not resolve for that Python
    # (a package that needs a newer patch release, say), whatever resolves
    for attempt in ([venv, [*install, "--constraint", str(constraints)]], [install]):
        ok = True
        for cmd in attempt:
            log.write(f"$ {' '.join(cmd)}\n")
            log.flush()
            if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=600).returncode:
                ok = False
                break
        if ok:
            return dest
    raise HubError(f"building the hub environment failed (see {log.name})")
    return dest


def hub_versions(env: Path) -> dict[str, str]:
    code = (
        "from importlib.metadata import version as v\n"
        "import json, platform\n"
        "print(json.dumps({'python': platform.python_version(), **{n: v(n) for n in "
        "('jupyterhub', 'nbgitpuller', 'jupyterlab', 'jupyter_server', 'rnncourse', 'numpy')}}))"
    )
    out = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=60
    )
    return json.loads(out.stdout) if out.returncode == 0 else {}


# --------------------------------------------------------------------------------------------
# throwaway system users
# --------------------------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pids_of_uid(uid: int) -> list[int]:
    """The processes running as `uid` (read from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def kill_uid(*uids: int, grace: float = 5.0) -> None:
    """End every process of the throwaway users `uids`: SIGTERM, then SIGKILL after `grace` s."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        pids = [pid for uid in uids for pid in pids_of_uid(uid)]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(pids_of_uid(uid) for uid in uids):
            time.sleep(0.1)


def delete_user(name: str) -> None:
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    kill_uid(uid)
    subprocess.run(["userdel", "--remove", name], capture_output=True, timeout=60)
    subprocess.run(["groupdel", name], capture_output=True, timeout=60)


def remove_stale_users() -> list[str]:
    """Delete throwaway users left by an earlier run that was killed before it could clean up
    (its pid, recorded in their GECOS field, is gone)."""
    removed = []
    for entry in pwd.getpwall():
        if not entry.pw_name.startswith(USER_PREFIX) or not entry.pw_gecos.startswith(USER_COMMENT):
            continue
        match = re.search(r"pid (\d+)", entry.pw_gecos)
        if match and _pid_alive(int(match.group(1))):
            continue
        delete_user(entry.pw_name)
        removed.append(entry.pw_name)
    return removed


def create_user(name: str, home: Path) -> None:
    cmd = [
        "useradd",
        "--home-dir",
        str(home),
        "--create-home",
        "--shell",
        "/bin/bash",
        "--user-group",
        "--comment",
        f"{USER_COMMENT}, pid {os.getpid()}",
        name,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise HubError(f"useradd {name} failed: {result.stderr.strip()}")
    home.chmod(0o700)  # no learner reads another's files


# --------------------------------------------------------------------------------------------
# HTTP and the kernel websocket
# --------------------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def call(
    method: str,
    url: str,
    token: str,
    body: dict | None = None,
    timeout: float = 60,
    redirect: bool = False,
) -> tuple[int, dict[str, str], bytes]:
    """One request with `token`; returns (status, headers, body), redirects not followed."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"token {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def api(method: str, url: str, token: str, body: dict | None = None, timeout: float = 60):
    status, _, data = call(method, url, token, body, timeout)
    if status >= 400:
        raise HubError(f"{method} {url}: HTTP {status}: {data[:500].decode(errors='replace')}")
    return json.loads(data) if data else None


@dataclass
class Execution:
    """What one cell did in a kernel."""

    status: str  # "ok" or "error"
    seconds: float
    stdout: str = ""
    stderr: str = ""
    ename: str = ""
    evalue: str = ""
    outputs: list[dict] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.stdout + self.stderr + (f"{self.ename}: {self.evalue}" if self.ename else "")


def decode_message(frame: str | bytes) -> dict:
    """A kernel message from a websocket frame: JSON text, or jupyter_server's binary frame
    (messages with buffers, e.g. a widget's): the number of parts n and their n offsets as
    32-bit big-endian integers, then the message's JSON, then its buffers (ignored here).

    >>> import json
    >>> body = json.dumps({"msg_type": "comm_msg"}).encode()
    >>> frame = (2).to_bytes(4, "big") + (12).to_bytes(4, "big") + (12 + len(body)).to_bytes(4, "big")
    >>> decode_message(frame + body + b"BUF")
    {'msg_type': 'comm_msg'}
    """
    if isinstance(frame, str):
        return json.loads(frame)
    n = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 + 4 * i : 8 + 4 * i], "big") for i in range(n)]
    end = offsets[1] if n > 1 else len(frame)
    return json.loads(frame[offsets[0] : end])


class Kernel:
    """A kernel of a learner's server, driven over its websocket (Jupyter's JSON protocol)."""

    def __init__(self, base: str, token: str, path: str, timeout: float = 120):
        import websocket  # websocket-client, a dependency of jupyter_server

        self.base, self.token = base, token
        t0 = time.monotonic()
        session = api(
            "POST",
            f"{base}api/sessions",
            token,
            {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
            timeout=timeout,
        )
        self.session_id = session["id"]
        self.kernel_id = session["kernel"]["id"]
        self.client_session = uuid.uuid4().hex
        ws_url = base.replace("http://", "ws://", 1)
        self.ws = websocket.create_connection(
            f"{ws_url}api/kernels/{self.kernel_id}/channels?session_id={self.client_session}",
            header=[f"Authorization: token {token}"],
            timeout=timeout,
        )
        t1 = time.monotonic()
        # the kernel is ready when it answers a kernel_info request
        self._send("kernel_info_request", {}, channel="shell")
        self._wait_reply("kernel_info_reply", None, timeout)
        t2 = time.monotonic()
        self.startup = {"session": t1 - t0, "websocket and kernel_info": t2 - t1}

    def _send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "learner",
                        "session": self.client_session,
                        "msg_type": msg_type,
                        "version": "5.3",
                        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": channel,
                    "buffers": [],
                }
            )
        )
        return msg_id

    def _wait_reply(self, msg_type: str, execution: Execution | None, timeout: float, msg_id=None):
        import websocket

        deadline = time.monotonic() + timeout
        replied = idle = False
        reply = None
        while not (replied and (idle or execution is None)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise HubError(f"the kernel did not answer {msg_type} within {timeout:.0f} s")
            self.ws.settimeout(left)
            try:
                msg = decode_message(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            parent = msg.get("parent_header", {}).get("msg_id")
            if msg_id is not None and parent != msg_id:
                continue
            kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
            content = msg.get("content", {})
            if kind == msg_type:
                replied, reply = True, content
            elif execution is not None and kind == "stream":
                if content.get("name") == "stderr":
                    execution.stderr += content.get("text", "")
                else:
                    execution.stdout += content.get("text", "")
            elif execution is not None and kind == "error":
                execution.ename, execution.evalue = content.get("ename", ""), content.get("evalue")
            elif execution is not None and kind in ("display_data", "execute_result"):
                execution.outputs.append(content.get("data", {}))
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
        return reply

    def execute(self, code: str, timeout: float = 120) -> Execution:
        start = time.perf_counter()
        execution = Execution("?", 0.0)
        msg_id = self._send(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        reply = self._wait_reply("execute_reply", execution, timeout, msg_id=msg_id)
        execution.seconds = time.perf_counter() - start
        execution.status = reply.get("status", "?")
        return execution

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(Exception):
            call("DELETE", f"{self.base}api/sessions/{self.session_id}", self.token, timeout=30)


def code_cells(notebook: dict) -> list[str]:
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in notebook["cells"]
        if c["cell_type"] == "code"
    ]


def right_answer(name: str = CHECKED, solutions: Path = REPO / "solutions" / EXERCISE) -> str:
    """The answer cell of exercise `name` as a learner who solved it writes it: the solution's
    code without nbgrader's markers."""
    nb = json.loads(solutions.read_text())
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") == name:
            lines = "".join(cell["source"]).splitlines()
            return "\n".join(ln for ln in lines if "### BEGIN" not in ln and "### END" not in ln)
    raise HubError(f"no answer cell {name!r} in {solutions}")


# --------------------------------------------------------------------------------------------
# the room
# --------------------------------------------------------------------------------------------
def nbgitpuller_link(hub_url: str, repo_url: str, branch: str = BRANCH) -> str:
    """The link of instructors/jupyterhub.md for this hub and course remote."""
    query = {
        "repo": repo_url,
        "branch": branch,
        "urlpath": "lab/tree/rnncourse/notebooks/00_start_here.ipynb",
    }
    return f"{hub_url}/hub/user-redirect/git-pull?{urllib.parse.urlencode(query)}"


@dataclass
class LearnerResult:
    name: str
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    checks: list[float] = field(default_factory=list)  # latency of every check, seconds
    progress: str = ""
    error: str = ""
    kernel_starts: list[dict] = field(default_factory=list)  # seconds, per kernel

    @property
    def total(self) -> float:
        return sum(self.phases.values())


class Room:
    """A hub with `learners` learners on 127.0.0.1, set up on enter and removed on exit."""

    def __init__(self, learners: int = 2, workdir: Path | None = None):
        self.n = learners
        self.workdir = workdir
        self.names: list[str] = []
        self.users_created: list[str] = []
        self.hub_proc: subprocess.Popen | None = None
        self.tmp: Path | None = None
        self.versions: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.tokens: dict[str, str] = {}

    # -- set-up ----------------------------------------------------------------------------
    def __enter__(self) -> Room:
        try:
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _setup(self) -> None:
        problems = missing_requirements()
        if problems:
            raise HubError("; ".join(problems))
        proxy = ensure_proxy()
        t0 = time.monotonic()
        self.tmp = Path(tempfile.mkdtemp(prefix="rnncourse-hub-", dir=self.workdir))
        self.tmp.chmod(0o755)  # learners must reach the course remote and the environment
        self.log = open(self.tmp / "setup.log", "w")
        self.homes = self.tmp / "home"
        self.homes.mkdir(mode=0o755)
        tag = secrets.token_hex(3)
        self.names = [f"{USER_PREFIX}{tag}{i}" for i in range(1, self.n + 1)]
        remove_stale_users()
        for name in self.names:
            create_user(name, self.homes / name)
            self.users_created.append(name)
        self.timings["users"] = time.monotonic() - t0

        t0 = time.monotonic()
        self.remote = self.tmp / "course"
        self.remote.mkdir()
        self.repo_url = make_course_remote(self.remote)
        self.bare = published_path(self.remote)
        self.timings["course remote"] = time.monotonic() - t0

        t0 = time.monotonic()
        self.env = build_hub_env(self.tmp / "env", self.names[0], self.log)
        self.versions = hub_versions(self.env)
        self.timings["hub environment"] = time.monotonic() - t0

        t0 = time.monotonic()
        self._start_hub(proxy)
        self.timings["hub start"] = time.monotonic() - t0

    def _start_hub(self, proxy: str) -> None:
        assert self.tmp is not None
        port, hub_port, api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.service_token = secrets.token_hex(32)
        overrides = {
            "bind_url": f"{self.url}",
            "hub_port": hub_port,
            "proxy_api": f"http://127.0.0.1:{api_port}",
            "proxy": proxy,
            "names": self.names,
            "token": self.service_token,
            "homes": str(self.homes),
            "db": f"sqlite:///{self.tmp / 'jupyterhub.sqlite'}",
            "cookie_secret": str(self.tmp / "jupyterhub_cookie_secret"),
            "pid_file": str(self.tmp / "proxy.pid"),
            "gitconfig": str(self.tmp / "gitconfig"),
        }
        (self.tmp / "gitconfig").write_text(f"[safe]\n\tdirectory = {self.bare}\n")
        config = self.tmp / "jupyterhub_config.py"
        config.write_text(
            f"# written by tools/hub_load.py: the guide's tested configuration, then this machine's\n"
            f"load_subconfig({str(HUB_CONFIG)!r})\n"
            f"o = {overrides!r}\n" + _CONFIG_OVERRIDES
        )
        env = dict(os.environ, PATH=f"{self.env / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
        # the learners' servers must not see this checkout through PYTHONPATH
        env.pop("PYTHONPATH", None)
        self.hub_log_path = self.tmp / "jupyterhub.log"
        self.hub_log = open(self.hub_log_path, "w")
        self.hub_proc = subprocess.Popen(
            [str(self.env / "bin" / "jupyterhub"), "-f", str(config)],
            cwd=self.tmp,
            env=env,
            stdout=self.hub_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while True:
            if self.hub_proc.poll() is not None:
                raise HubError(
                    f"JupyterHub stopped (exit {self.hub_proc.returncode}):\n{self.hub_tail()}"
                )
            with contextlib.suppress(OSError):
                status, _, _ = call("GET", f"{self.url}/hub/api/", self.service_token, timeout=5)
                if status == 200:
                    break
            if time.monotonic() > deadline:
                raise HubError(f"JupyterHub did not answer within 90 s:\n{self.hub_tail()}")
            time.sleep(0.25)
        # JupyterHub adds allowed_users to its database at start; any it did not are added here
        status, _, body = call(
            "POST", f"{self.url}/hub/api/users", self.service_token, {"usernames": self.names}
        )
        if status not in (201, 409):  # 409: they all exist already
            raise HubError(f"adding the learners to the hub: HTTP {status} {body[:300]!r}")

    def hub_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.hub_log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AttributeError):
            return "(no hub log)"

    # -- clean-up --------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the hub (it stops the servers and the proxy), end whatever the learners left
        running, delete the users and the folder. Safe to call more than once."""
        # the learners' servers and kernels first (their users are throwaway ones): the hub's
        # own shutdown stops them one interrupt timeout after another
        uids = []
        for name in self.users_created:
            with contextlib.suppress(KeyError):
                uids.append(pwd.getpwnam(name).pw_uid)
        kill_uid(*uids, grace=3.0)
        if self.hub_proc is not None and self.hub_proc.poll() is None:
            self.hub_proc.send_signal(signal.SIGTERM)
            try:
                self.hub_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(self.hub_proc.pid, signal.SIGKILL)
                self.hub_proc.wait(timeout=10)
        if self.hub_proc is not None:  # the proxy and anything else of the hub's session
            with contextlib.suppress(OSError):
                os.killpg(self.hub_proc.pid, signal.SIGKILL)
            self.hub_proc = None
        if self.tmp is not None:
            with contextlib.suppress(OSError, ValueError):
                pid = int((self.tmp / "proxy.pid").read_text().strip())
                os.kill(pid, signal.SIGKILL)
        for name in self.users_created:
            delete_user(name)
        self.users_created = []
        for f in ("hub_log", "log"):
            with contextlib.suppress(AttributeError, OSError):
                getattr(self, f).close()
        if self.tmp is not None and os.environ.get("RNNCOURSE_HUB_KEEP", "") in ("", "0"):
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # -- learners --------------------------------------------------------------------------
    def home(self, name: str) -> Path:
        return self.homes / name

    def token(self, name: str) -> str:
        if name not in self.tokens:
            reply = api(
                "POST",
                f"{self.url}/hub/api/users/{name}/tokens",
                self.service_token,
                {"note": "tools/hub_load.py", "expires_in": 3600},
            )
            self.tokens[name] = reply["token"]
        return self.tokens[name]

    def server(self, name: str) -> str:
        return f"{self.url}/user/{name}/"

    def start_server(self, name: str, timeout: float = 120) -> None:
        status, _, body = call(
            "POST", f"{self.url}/hub/api/users/{name}/server", self.service_token, {}, timeout
        )
        if status not in (201, 202, 400):  # 400: already running
            raise HubError(f"starting {name}'s server: HTTP {status} {body[:300]!r}")
        deadline = time.monotonic() + timeout
        while True:
            user = api("GET", f"{self.url}/hub/api/users/{name}", self.service_token)
            server = user.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            if not server:
                raise HubError(f"{name}'s server stopped while starting:\n{self.hub_tail()}")
            if time.monotonic() > deadline:
                raise HubError(f"{name}'s server was not ready within {timeout:.0f} s")
            time.sleep(0.25)

    def login(self, name: str, timeout: float = 60) -> urllib.request.OpenerDirector:
        """`name` logs in through the hub's login form, as a browser does; returns an opener
        holding their cookies (it follows redirects)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{self.url}/hub/login", timeout=timeout) as resp:
            resp.read()
        xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
        form = urllib.parse.urlencode(
            {"username": name, "password": secrets.token_hex(8), "_xsrf": xsrf}
        ).encode()
        with opener.open(f"{self.url}/hub/login", data=form, timeout=timeout) as resp:
            resp.read()
        if not any(c.name == "jupyterhub-session-id" for c in jar) and not any(
            c.name.startswith("jupyterhub-hub-login") for c in jar
        ):
            raise HubError(f"{name} could not log in through the login form")
        return opener

    def open_link(self, name: str, link: str, timeout: float = 60) -> str:
        """`name` logs in and opens `link` (the nbgitpuller link) with their cookies; the hub
        sends them to their server's pull page (through the hub's OAuth). Returns its URL."""
        opener = self.login(name, timeout)
        with opener.open(link, timeout=timeout) as resp:
            page, body = resp.geturl(), resp.read()
        if f"/user/{name}/git-pull?" not in page or b"nbgitpuller" not in body.lower():
            raise HubError(f"the link did not lead to {name}'s pull page (it ended at {page})")
        return page

    def pull(self, name: str, link: str | None = None, timeout: float = 120) -> list[dict]:
        """Open the nbgitpuller link as `name` and make the pull its page makes; returns the
        pull's events (the last one has phase "finished")."""
        token = self.token(name)
        link = link or nbgitpuller_link(self.url, self.repo_url)
        page = self.open_link(name, link, timeout)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(page).query)
        params = {
            "repo": query["repo"][0],
            "targetpath": query["repo"][0].rstrip("/").split("/")[-1],
        }
        if "branch" in query:
            params["branch"] = query["branch"][0]
        api_url = f"{self.server(name)}git-pull/api?{urllib.parse.urlencode(params)}"
        status, _, body = call("GET", api_url, token, timeout=timeout)
        events = [
            json.loads(line[len("data: ") :])
            for line in body.decode(errors="replace").splitlines()
            if line.startswith("data: ")
        ]
        if status != 200 or not events or events[-1].get("phase") != "finished":
            last = events[-1] if events else {}
            raise HubError(
                f"{name}'s pull did not finish (HTTP {status}): {last.get('message', '')}\n"
                + "".join(e.get("output", "") for e in events)[-2000:]
            )
        return events

    def contents(self, name: str, path: str) -> dict:
        return api("GET", f"{self.server(name)}api/contents/{path}?content=1", self.token(name))

    def save(self, name: str, path: str, notebook: dict) -> None:
        api(
            "PUT",
            f"{self.server(name)}api/contents/{path}",
            self.token(name),
            {"type": "notebook", "format": "json", "content": notebook},
        )

    def kernel(self, name: str, path: str) -> Kernel:
        return Kernel(self.server(name), self.token(name), path)

    def run_learner(self, index: int, repeats: int, deadline: float) -> LearnerResult:
        """One learner's session (steps 1-6 of the module's docstring), timed phase by phase."""
        name = self.names[index]
        result = LearnerResult(name)
        phase_start = time.monotonic()

        def phase(label: str) -> None:
            nonlocal phase_start
            now = time.monotonic()
            result.phases[label] = now - phase_start
            phase_start = now
            if now > deadline:
                raise HubError(f"{name}: out of time after {label}")

        kernels: list[Kernel] = []
        try:
            self.start_server(name)
            phase("server start")
            self.pull(name)
            phase("pull")
            start_page = self.kernel(name, "rnncourse/notebooks/00_start_here.ipynb")
            kernels.append(start_page)
            result.kernel_starts.append(start_page.startup)
            out = start_page.execute("!rnncourse sync-work --source ../exercises --work ../work")
            listing = start_page.execute("import os; print(sorted(os.listdir('../work')))")
            if out.status != "ok" or EXERCISE not in listing.stdout:
                raise HubError(f"{name}: sync-work: {out.text} {listing.text}")
            phase("sync-work")
            lesson = self.contents(name, f"rnncourse/{LESSON}")["content"]
            k = self.kernel(name, f"rnncourse/{LESSON}")
            kernels.append(k)
            result.kernel_starts.append(k.startup)
            for i, code in enumerate(code_cells(lesson)):
                out = k.execute(code, timeout=max(10.0, deadline - time.monotonic()))
                if out.status != "ok":
                    raise HubError(f"{name}: {LESSON} code cell {i + 1} failed: {out.text[-500:]}")
            k.close()
            kernels.remove(k)
            phase("lesson")
            path = f"rnncourse/work/{EXERCISE}"
            notebook = self.contents(name, path)["content"]
            k = self.kernel(name, path)
            kernels.append(k)
            result.kernel_starts.append(k.startup)
            setup = code_cells(notebook)[0]
            if k.execute(setup).status != "ok":
                raise HubError(f"{name}: the exercise's first cell failed")
            right = right_answer()
            for _ in range(repeats):
                for answer, should_pass in ((WRONG_ANSWER, False), (right, True)):
                    if k.execute(answer).status != "ok":
                        raise HubError(f"{name}: defining the answer failed")
                    out = k.execute(f"check({CHECKED})")
                    result.checks.append(out.seconds)
                    passed = out.status == "ok"
                    if passed != should_pass or (not passed and out.ename != "CheckFailed"):
                        raise HubError(
                            f"{name}: check({CHECKED}) on the {'right' if should_pass else 'wrong'}"
                            f" answer: {out.status} {out.text[-500:]}"
                        )
            phase("checks")
            # hand in: learners 1, 3, ... the right answer, the others the wrong one
            submitted = right if index % 2 == 0 else WRONG_ANSWER
            for cell in notebook["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == CHECKED:
                    cell["source"] = submitted
            self.save(name, path, notebook)
            out = start_page.execute("!cd .. && rnncourse progress", timeout=120)
            result.progress = out.stdout
            if out.status != "ok" or CHECKED not in out.stdout:
                raise HubError(f"{name}: rnncourse progress: {out.text[-800:]}")
            phase("save and progress")
        except Exception as exc:  # reported per learner; the room goes on
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            for k in kernels:
                k.close()
        return result

    def run(
        self, repeats: int = 10, timeout: float = 600, learners: int | None = None
    ) -> list[LearnerResult]:
        """The first `learners` (default: all) at once, one thread each; each stops at the
        room's deadline."""
        deadline = time.monotonic() + timeout
        n = self.n if learners is None else learners
        with ThreadPoolExecutor(max_workers=n) as pool:
            futures = [pool.submit(self.run_learner, i, repeats, deadline) for i in range(n)]
            return [f.result(timeout=timeout + 60) for f in futures]

    # -- the instructor --------------------------------------------------------------------
    def collect_and_grade(self, dest: Path, timeout: float = 600) -> dict:
        """Run the guide's collect-and-grade commands (instructors/jupyterhub.md, the block
        after "<!-- collect-and-grade -->") with this room's folders; returns grades.json."""
        script = guide_block("collect-and-grade")
        dest.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            HOMES=str(self.homes),
            COURSE=str(REPO),
            LESSON=EXERCISE.removesuffix(".ipynb"),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=dest,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.grade_output = result.stdout + result.stderr
        if result.returncode != 0:
            raise HubError(f"the guide's collect-and-grade commands failed:\n{self.grade_output}")
        return json.loads((dest / "grades.json").read_text())


_CONFIG_OVERRIDES = """
c.JupyterHub.bind_url = o["bind_url"]
c.JupyterHub.hub_port = o["hub_port"]
c.ConfigurableHTTPProxy.api_url = o["proxy_api"]
c.ConfigurableHTTPProxy.command = [o["proxy"]]
c.ConfigurableHTTPProxy.pid_file = o["pid_file"]
c.JupyterHub.db_url = o["db"]
c.JupyterHub.cookie_secret_file = o["cookie_secret"]
c.Authenticator.allowed_users = set(o["names"])
c.JupyterHub.services = [{"name": "rnncourse-hub-test", "api_token": o["token"]}]
c.JupyterHub.load_roles = [
    {
        "name": "rnncourse-hub-test",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users"],
        "services": ["rnncourse-hub-test"],
    }
]
# the course remote is a local repository owned by root: git refuses to read a repository of
# another user unless it is listed in safe.directory (a room pulling over https needs nothing)
c.Spawner.environment = dict(c.Spawner.environment, GIT_CONFIG_GLOBAL=o["gitconfig"])
c.LocalProcessSpawner.interrupt_timeout = 3
c.LocalProcessSpawner.term_timeout = 3
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
"""


def guide_block(marker: str, guide: Path = GUIDE) -> str:
    """The first ```bash block after ``<!-- marker -->`` in the guide."""
    text = guide.read_text()
    at = text.find(f"<!-- {marker} -->")
    if at < 0:
        raise HubError(f"{guide.name} has no <!-- {marker} --> block")
    match = re.search(r"```bash\n(.*?)```", text[at:], flags=re.S)
    if match is None:
        raise HubError(f"{guide.name}: no ```bash block after <!-- {marker} -->")
    return match.group(1)


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.5, 3.85)
    """
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def expected_grades(names: list[str]) -> dict[str, float]:
    """What each learner's hand-in must score: the right answer's points for learners 1, 3, ..."""
    return {name: (2.0 if i % 2 == 0 else 0.0) for i, name in enumerate(names)}


def report(room: Room, results: list[LearnerResult], grades: dict | None, wall: float) -> dict:
    samples = [s for r in results for s in r.checks]
    model, flags = cpu_flags()
    out = {
        "learners": room.n,
        "wall_seconds": round(wall, 1),
        "setup_seconds": {k: round(v, 1) for k, v in room.timings.items()},
        "per_learner": [
            {
                "name": r.name,
                "seconds": round(r.total, 1),
                "phases": {k: round(v, 2) for k, v in r.phases.items()},
                "checks": len(r.checks),
                "kernel_starts": [{k: round(v, 2) for k, v in d.items()} for d in r.kernel_starts],
                "error": r.error,
            }
            for r in results
        ],
        "check_latency_ms": {
            "samples": len(samples),
            "median": round(1000 * statistics.median(samples), 1) if samples else None,
            "p95": round(1000 * percentile(samples, 95), 1) if samples else None,
            "max": round(1000 * max(samples), 1) if samples else None,
        },
        "learner_seconds": {
            "median": round(statistics.median([r.total for r in results]), 1),
            "max": round(max(r.total for r in results), 1),
        },
        "grades": {s["student"]: s["total"] for s in (grades or {}).get("submissions", [])},
        "versions": room.versions,
        "machine": {
            "cpu": model,
            "cores": os.cpu_count(),
            "flags": flags,
            "load_1min": round(os.getloadavg()[0], 2),
        },
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    return out


def print_report(r: dict) -> None:
    print()
    print(
        f"{r['learners']} learners on JupyterHub {r['versions'].get('jupyterhub', '?')} "
        f"(nbgitpuller {r['versions'].get('nbgitpuller', '?')}, JupyterLab "
        f"{r['versions'].get('jupyterlab', '?')}), each learner a system user of their own"
    )
    print("set-up: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["setup_seconds"].items()))
    print(f"{'learner':<16} {'total':>7}  phases (s)")
    for p in r["per_learner"]:
        phases = "  ".join(f"{k} {v:.1f}" for k, v in p["phases"].items())
        print(
            f"{p['name']:<16} {p['seconds']:>6.1f}s  {phases}"
            + (f"  ERROR {p['error']}" if p["error"] else "")
        )
    c = r["check_latency_ms"]
    print(
        f"time per learner: median {r['learner_seconds']['median']:.1f} s, "
        f"max {r['learner_seconds']['max']:.1f} s; room wall {r['wall_seconds']:.1f} s"
    )
    print(
        f"check latency over {c['samples']} checks: median {c['median']} ms, "
        f"p95 {c['p95']} ms, max {c['max']} ms"
    )
    print(f"grades: {r['grades']}")
    m = r["machine"]
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, 1-minute load average "
        f"{m.get('load_1min_start', '?')} at the start, {m['load_1min']} at the end"
    )
    print(f"CPU flags: {m['flags']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8, help="learners at once (default 8)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=10,
        help="wrong and right answers each learner submits (default 10)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole room")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    if not 1 <= args.learners <= 64 or not 1 <= args.repeats <= 100:
        parser.error("--learners must be 1-64 and --repeats 1-100")
    problems = missing_requirements()
    if problems:
        print("hub test: cannot run here: " + "; ".join(problems), file=sys.stderr)
        return 2
    start = time.monotonic()
    grades, grade_error = None, ""
    try:
        with Room(args.learners) as room:
            say(
                f"hub at {room.url}, learners {', '.join(room.names)}; "
                f"set-up {sum(room.timings.values()):.1f} s"
            )
            t0 = time.monotonic()
            load_before = os.getloadavg()[0]
            results = room.run(args.repeats, args.timeout)
            wall = time.monotonic() - t0
            say(f"room done in {wall:.1f} s; collecting and grading")
            assert room.tmp is not None
            try:
                grades = room.collect_and_grade(room.tmp / "instructor")
            except HubError as exc:
                grade_error = str(exc)
            out = report(room, results, grades, wall)
            out["machine"]["load_1min_start"] = round(load_before, 2)
            out["command"] = "python -m tools.hub_load " + " ".join(
                argv if argv is not None else sys.argv[1:]
            )
    except HubError as exc:
        print(f"hub test: {exc}", file=sys.stderr)
        return 1
    if grade_error:
        print(f"hub test: {grade_error}", file=sys.stderr)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    ok = all(not p["error"] for p in out["per_learner"])
    want = expected_grades(room.names)
    ok = ok and out["grades"] == want
    if out["grades"] != want:
        print(f"grades {out['grades']} differ from the expected {want}", file=sys.stderr)
    print(f"total: {time.monotonic() - start:.1f} s, {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
