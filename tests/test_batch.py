"""Batch grading: a hostile class, through the sandbox, against a scratch install of the package.

The grader runs from a non-editable install of this checkout in a scratch virtual environment
(under the temporary folder), so that a regression in the sandbox cannot corrupt the checkout;
the checkout's files are hashed before and after all the same. Every attack of issue 15 is one
submission; the test prints the table of what each got.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from rnncourse.cli import main as cli_main
from rnncourse.grading.batch import Limits, grade_many, grade_notebook

REPO = Path(__file__).resolve().parents[1]
SOLUTION = REPO / "solutions" / "02_hidden_state.ipynb"

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]
SOLUTION_03 = REPO / "solutions" / "03_outputs.ipynb"

CORRECT_STEP = """
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
"""
NO_TANH_STEP = """
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h
"""
SELF_CONTAINED_FORWARD = """
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    return np.stack(hs, axis=1)
"""


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _insert_after(nb, grade_id, source):
    i = nb.cells.index(_cell(nb, grade_id))
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))


# what an attacking cell uses to find the grader's paths (works whenever the sandbox does not
# hide them: /proc/<pid>/cmdline of every process)
FIND = """
import glob, json, os, sys
def _grader_args():
    out = []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                args = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\\\0')
            except OSError:
                continue
            if b'grade' in args:
                out.append([a.decode(errors='replace') for a in args if a])
    return out
def _opt(name):
    for args in _grader_args():
        if name in args[:-1]:
            return args[args.index(name) + 1]
def _notebooks():
    found = []
    for args in _grader_args():
        for a in args:
            if os.path.isdir(a):
                found += glob.glob(os.path.join(a, '**', '*.ipynb'), recursive=True)
            elif a.endswith('.ipynb') and os.path.exists(a):
                found.append(a)
    return found
def _exec_answers(path):
    nb = json.load(open(path))
    for c in nb['cells']:
        if c.get('metadata', {}).get('nbgrader', {}).get('solution'):
            exec(''.join(c['source']), globals())
"""
ATTACKS = {
    # rewrite the canonical notebooks in --source (everyone graded after would get 0 / 0)
    "kim_source": "try:\n    for f in glob.glob((_opt('--source') or '/nonexistent') + '/*.ipynb'):\n"
    "        open(f, 'w').write('{}')\nexcept Exception:\n    pass",
    # replace the classmates' answers with stubs before they are graded
    "leo_classmates": "for f in _notebooks():\n    try:\n        open(f, 'w').write('{}')\n"
    "    except Exception:\n        pass",
    # a double-forked setsid process that rewrites the gradebooks after they are written
    "mia_daemon": "import time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
    "        for _ in range(40):\n            time.sleep(0.25)\n"
    "            for opt in ('--json', '--csv'):\n                p = _opt(opt)\n"
    "                try:\n                    open(p, 'a').write('mia 5/5')\n"
    "                except Exception:\n                    pass\n        os._exit(0)\n"
    "    os._exit(0)",
    # append a pass-everything judge to the installed package (the next run would accept all)
    "ned_judge": "import importlib.util\nfor base in sys.path:\n"
    "    for f in glob.glob(os.path.join(base, 'rnncourse', 'grading', '*.py')):\n"
    "        try:\n            open(f, 'a').write('\\ndef judge(*a, **k):\\n    raise SystemExit\\n')\n"
    "        except Exception:\n            pass",
    # run the solution cells of solutions/ found next to the installed package
    "quinn_solutions": "import rnncourse, pathlib\n"
    "for p in pathlib.Path(rnncourse.__file__).resolve().parents:\n"
    "    for f in glob.glob(str(p / 'solutions' / '02_*.ipynb')):\n"
    "        try:\n            _exec_answers(f)\n        except Exception:\n            pass",
    # read the instructor's --source and run its solution cells
    "rosa_source": "for f in glob.glob((_opt('--source') or '/nonexistent') + '/02_*.ipynb'):\n"
    "    _exec_answers(f)",
    # run a classmate's answers, read from the submissions folder while grading
    "sam_classmate": "for f in _notebooks():\n    if 'alice' in f:\n        _exec_answers(f)",
    # the instructor's environment: answer only when it leaks into the kernel
    "xavier_env": "if 'RNNCOURSE_TEST_SECRET' in os.environ:\n"
    "    def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):\n"
    "        return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)",
    # forge the results: a compressed archive whose header claims 2**27 float64 (1 GB)
    "vic_forge": "import numpy, zipfile, io\n"
    "def _forged(path, **arrays):\n"
    "    header = io.BytesIO()\n"
    "    numpy.lib.format.write_array_header_1_0(header, {'descr': '<f8', 'fortran_order': False, 'shape': (2**27,)})\n"
    "    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "        z.writestr('0|o0.npy', header.getvalue() + bytes(2**20))\n"
    "numpy.savez = _forged",
}
UMA_FORWARD = """
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    out = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0))
    state = h0
    for step in range(T):
        state = np.tanh(x[:, step, :] @ W_xh.T + state @ W_hh.T + b_h)
        out[:, step, :] = state
    return out
"""
TOM_FORWARD = """
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    # my own work
    n, steps, d = x.shape
    hs = np.empty((n, steps, h0.shape[1]), dtype=np.result_type(x, h0))
    h = h0
    for t in range(steps):
        h = np.tanh(x[:, t, :] @ W_xh.T + h @ W_hh.T + b_h)   # one step
        hs[:, t, :] = h
    return hs
"""
LIMITS = {  # run with --cpu-seconds 3 --file-mb 8 --procs 40 (and a cell timeout the CPU hog never reaches)
    # many processes, a large file, files outside the scratch folder
    "walt_limits": "import os, time, threading\n"
    "for i in range(200):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\n",
    "walt_file": "open('big.bin', 'wb').write(bytes(16 * 2**20))",
    "walt_outside": "import os\nfor p in ('/tmp/rnncourse-attack', os.path.expanduser('~/../rnncourse-attack'), "
    "'/var/tmp/rnncourse-attack'):\n    try:\n        open(p, 'w').write('x')\n    except OSError:\n        pass",
    # CPU time: threads spinning in numpy (which releases the GIL), ignoring the interrupt
    "xena_cpu": "import signal, threading\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "def spin():\n    a = np.ones(10**5)\n    while True:\n        np.exp(a)\n"
    "for _ in range(4):\n    threading.Thread(target=spin, daemon=True).start()\n"
    "while True:\n    pass",
}


def _submissions(folder: Path) -> dict[str, tuple[str, str]]:
    """Write the class (one folder per student); return the expected statuses per student."""
    base = nbformat.read(SOLUTION, as_version=4)
    stub = nbformat.read(REPO / "exercises" / "02_hidden_state.ipynb", as_version=4)
    made = {}

    def save(name, nb, file="02_hidden_state.ipynb"):
        (folder / name).mkdir()
        nbformat.write(nb, folder / name / file)

    save("alice", copy.deepcopy(base))  # the solution itself: full marks
    made["alice"] = ("passed", "passed")
    save("bob", copy.deepcopy(stub))
    made["bob"] = ("not-implemented", "not-implemented")

    hang = copy.deepcopy(base)  # a hanging cell, and a function that never returns
    _insert_after(hang, "rnn_step_forward", "while True:\n    pass")
    _cell(
        hang, "rnn_forward"
    ).source = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    while True:\n        pass"
    save("carol_hang", hang)
    made["carol_hang"] = ("passed", "timeout")

    crash = copy.deepcopy(base)  # kills its kernel
    _insert_after(crash, "rnn_step_forward", "import os\nos._exit(1)")
    save("dave_crash", crash)
    made["dave_crash"] = ("error", "error")

    exits = copy.deepcopy(base)  # sys.exit in a cell and inside a graded function
    _insert_after(exits, "rnn_step_forward", "import sys\nsys.exit(3)")
    _cell(
        exits, "rnn_forward"
    ).source = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    import sys\n    sys.exit(0)"
    save("erin_exit", exits)
    made["erin_exit"] = ("passed", "error")

    noisy = copy.deepcopy(base)  # megabytes of output, and a 3 GB allocation
    _insert_after(noisy, "rnn_step_forward", "for i in range(10**6):\n    print('x' * 100)")
    _insert_after(noisy, "rnn_step_forward", "big = np.zeros(3 * 2**30 // 8)")
    save("frank_noisy", noisy)
    made["frank_noisy"] = ("passed", "passed")

    cheat = copy.deepcopy(base)  # wrong step; tampered tests; redefined check; patched numpy
    _cell(cheat, "rnn_step_forward").source = NO_TANH_STEP
    _cell(cheat, "rnn_forward").source = SELF_CONTAINED_FORWARD
    _cell(cheat, "test_rnn_step_forward").source = "pass"
    _cell(cheat, "test_rnn_step_forward").metadata["nbgrader"]["points"] = 100
    cheat.cells.remove(_cell(cheat, "test_rnn_forward"))
    _insert_after(
        cheat,
        "rnn_step_forward",
        "import numpy\nimport rnncourse.grading\n"
        "check = lambda *a, **k: None\nrnncourse.grading.check = check\n"
        "numpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None",
    )
    save("grace_cheat", cheat)
    made["grace_cheat"] = ("failed", "passed")

    stubborn = copy.deepcopy(base)  # ignores the interrupt: its kernel must be stopped
    _insert_after(
        stubborn,
        "rnn_step_forward",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    )
    save("ivan_stubborn", stubborn)
    made["ivan_stubborn"] = ("timeout", "timeout")

    (folder / "heidi_broken").mkdir()  # not a notebook: still a row, with the real maximum
    (folder / "heidi_broken" / "02_hidden_state.ipynb").write_text(
        "{ not a notebook", encoding="utf-8"
    )
    made["heidi_broken"] = ("error", "error")

    for name, attack in ATTACKS.items():  # each attack on the stub: any credit is the attack's
        nb = copy.deepcopy(stub)
        _insert_after(nb, "rnn_forward", FIND + "\n" + attack)
        save(name, nb)
        made[name] = ("not-implemented", "not-implemented")
    made["vic_forge"] = ("error", "error")  # its forged results are refused unread

    # the package's own answers: imported (refused in the sandbox), or the grading's reference
    ref = copy.deepcopy(stub)
    _cell(ref, "rnn_step_forward").source = "from rnncourse.rnn import rnn_step_forward"
    _cell(ref, "rnn_forward").source = (
        "from rnncourse.grading.exercises.rnn_forward import EXERCISE\n"
        "rnn_forward = EXERCISE.reference"
    )
    save("olga_reference", ref)
    made["olga_reference"] = ("error", "error")

    own = copy.deepcopy(base)  # an answer of her own, and a renamed copy of it
    _cell(own, "rnn_forward").source = UMA_FORWARD
    save("uma_original", own)
    made["uma_original"] = ("passed", "passed")
    copied = copy.deepcopy(own)
    _cell(copied, "rnn_forward").source = TOM_FORWARD
    save("tom_copy", copied)
    made["tom_copy"] = ("passed", "passed")

    other = copy.deepcopy(base)  # lesson 07's metadata on lesson 02's file: graded as 02
    other.metadata["rnncourse"].update(lesson="07", lesson_id="lstm")
    save("yara_mismatch", other)
    made["yara_mismatch"] = ("passed", "passed")
    return made


FLAGS = {  # the flags each student must get (exactly)
    "heidi_broken": ["unreadable"],
    "olga_reference": ["reference-used"],
    "tom_copy": ["similar-to:uma_original"],
    "uma_original": ["similar-to:tom_copy"],
    "yara_mismatch": ["lesson-mismatch"],
}
COPIES_OF_THE_SOLUTION = ("alice", "dave_crash", "frank_noisy", "ivan_stubborn", "yara_mismatch")


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _checkout() -> dict[str, str]:
    files = subprocess.run(
        ["git", "ls-files", "-z", "rnncourse", "solutions", "exercises", "tests", "pyproject.toml"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.split(b"\0")  # fmt: skip
    return {
        f.decode(): hashlib.sha256((REPO / f.decode()).read_bytes()).hexdigest()
        for f in files
        if f and (REPO / f.decode()).is_file()
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A scratch virtual environment with a non-editable install of this checkout (its
    dependencies come from the running environment, through a .pth file). Returns its python."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    deps = [
        p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()
    ]
    (Path(purelib) / "rnncourse-test-deps.pth").write_text("\n".join(deps) + "\n")
    src = root / "src"
    files = subprocess.run(
        ["git", "ls-files", "-z", "rnncourse", "pyproject.toml", "README.md", "LICENSE"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.split(b"\0")  # fmt: skip
    for f in filter(None, files):
        (src / f.decode()).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f.decode(), src / f.decode())
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--no-compile", str(src)],
        check=True, cwd=root, env=_clean_env(),
    )  # fmt: skip
    where = subprocess.run(
        [python, "-c", "import rnncourse; print(rnncourse.__file__)"],
        capture_output=True, text=True, check=True, cwd=root, env=_clean_env(),
    ).stdout.strip()  # fmt: skip
    assert where.startswith(purelib), where  # the copy, not the checkout
    return python


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "PYTEST"))}
    env["RNNCOURSE_TEST_SECRET"] = "the instructor's"
    return env


def _grade(python: Path, cwd: Path, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "rnncourse", "grade", *args],
        cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _left_behind(settle: float = 20.0) -> list[str]:
    """Processes of graded kernels still alive: sandbox uids, or a cwd in a kernel's scratch
    folder (a grader that is not root). The scan sees the whole machine, so a grader running
    beside this test (the other test worker) can show kernels of its own: only processes that are
    still there, the same pid, ``settle`` seconds later count (a leftover daemon always is)."""
    left = _graded_processes()
    deadline = time.monotonic() + settle
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        now = set(_graded_processes())
        left = [p for p in left if p in now]
    return left


def _graded_processes() -> list[str]:
    from rnncourse.grading.sandbox import UID_BASE, UID_COUNT

    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            uid = int(next(x for x in status.splitlines() if x.startswith("Uid:")).split()[1])
            state = next(x for x in status.splitlines() if x.startswith("State:")).split()[1]
            cwd = os.readlink(f"/proc/{pid}/cwd") if uid == os.getuid() else ""
        except (OSError, StopIteration, ValueError):
            continue
        if state in ("Z", "X"):
            continue
        if UID_BASE <= uid < UID_BASE + UID_COUNT or re.search(r"rnncourse-grade-\w+/scratch", cwd):
            left.append(f"{pid} (uid {uid}, cwd {cwd})")
    return left


@pytest.mark.sandbox
def test_grade_a_hostile_class(tmp_path, installed):
    site_packages = Path(installed).parents[1] / "lib"
    checkout = _checkout()
    package = _digest(site_packages)
    folder = tmp_path / "submitted"
    folder.mkdir()
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(SOLUTION, source / SOLUTION.name)
    shutil.copy(SOLUTION_03, source / SOLUTION_03.name)  # two canonical notebooks
    expected = _submissions(folder)
    (folder / "zed").mkdir()  # a file no canonical notebook matches
    (folder / "zed" / "homework.ipynb").write_text("{", encoding="utf-8")
    limited = tmp_path / "limited"
    limited.mkdir()
    base = nbformat.read(SOLUTION, as_version=4)
    for name, attack in LIMITS.items():
        nb = copy.deepcopy(base)
        _insert_after(nb, "rnn_step_forward", attack)
        (limited / name).mkdir()
        nbformat.write(nb, limited / name / "02_hidden_state.ipynb")
    before = {"submitted": _digest(folder), "source": _digest(source), "limited": _digest(limited)}
    out = tmp_path / "out"
    book, table = out / "grades.json", out / "grades.csv"
    args = [
        str(folder), "--student-from", "parent", "--source", str(source),
        "--json", str(book), "--csv", str(table), "--feedback", str(out / "feedback"),
        "--workers", "2", "--cell-timeout", "3", "--call-timeout", "2", "--total-timeout", "60",
        "--hints", "3",
    ]  # fmt: skip
    started = time.monotonic()
    ran = _grade(installed, tmp_path, args)
    returned = time.monotonic()
    print(f"\nthe hostile class took {returned - started:.1f} s")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert _left_behind() == [], "a submission's process outlived grading"
    written = {"json": book.read_bytes(), "csv": table.read_bytes()}

    # meanwhile (the gradebooks must stay unchanged for 5 s): the limits, and no sandbox
    limits_run = subprocess.Popen(
        [installed, "-m", "rnncourse", "grade", str(limited), "--student-from", "parent",
         "--source", str(source), "--json", str(out / "limits.json"),
         "--feedback", str(out / "feedback-limits"),
         "--cell-timeout", "60", "--cpu-seconds", "3", "--file-mb", "8", "--procs", "40"],
        cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _no_sandbox_and_the_package_answers(tmp_path)
    _, err = limits_run.communicate(timeout=600)
    assert limits_run.returncode == 0, err[-3000:]
    assert _left_behind() == []
    time.sleep(max(0.0, 5.0 - (time.monotonic() - returned)))
    assert {"json": book.read_bytes(), "csv": table.read_bytes()} == written, (
        "the gradebooks changed after grading ended"
    )
    assert {
        "submitted": _digest(folder),
        "source": _digest(source),
        "limited": _digest(limited),
    } == before
    assert _digest(site_packages) == package, "the installed package was modified"
    assert _checkout() == checkout, "the checkout was modified"
    for p in ("/tmp/rnncourse-attack", "/var/tmp/rnncourse-attack", "/rnncourse-attack"):
        assert not os.path.exists(p), p

    entries = {e["student"]: e for e in json.loads(book.read_text())["submissions"]}
    points = {"test_rnn_step_forward": 2.0, "test_rnn_forward": 3.0}
    rows = []
    for student, statuses in expected.items():
        e = entries[student]
        assert list(e) == ["file", "student", "source", "total", "max", "flags", "exercises"]
        assert e["max"] == 5.0 and e["source"].endswith("02_hidden_state.ipynb"), student
        got = tuple(e["exercises"][g]["status"] for g in points)
        rows.append((student, got, e["total"], e["flags"]))
        assert got == statuses, (student, e["exercises"])
        total = sum(points[g] for g, s in zip(points, statuses, strict=True) if s == "passed")
        assert e["total"] == total, student
        want = list(FLAGS.get(student, []))
        if student in COPIES_OF_THE_SOLUTION:  # the solution's rnn_forward, word for word
            want += ["similar-to:reference"]
            want += [f"similar-to:{t}" for t in COPIES_OF_THE_SOLUTION if t != student]
        assert sorted(e["flags"]) == sorted(want), (student, e["flags"])
        for gid, x in e["exercises"].items():
            assert set(x) == {"points", "max", "status", "message"}
            assert x["max"] == points[gid]
            assert (x["status"] == "passed") == (x["message"] == "")
    zed = entries["zed"]
    assert zed["flags"] == ["unattributed", "unreadable"] and zed["max"] == 0.0, zed

    ex = {s: entries[s]["exercises"] for s in entries}
    assert "endless loop" in ex["carol_hang"]["test_rnn_forward"]["message"]
    assert "kernel died" in ex["dave_crash"]["test_rnn_step_forward"]["message"]
    assert "SystemExit" in ex["erin_exit"]["test_rnn_forward"]["message"]
    assert "apply the nonlinearity" in ex["grace_cheat"]["test_rnn_step_forward"]["message"]
    assert "could not read the notebook" in ex["heidi_broken"]["test_rnn_step_forward"]["message"]
    assert "ignored the interrupt" in ex["ivan_stubborn"]["test_rnn_forward"]["message"]
    assert "far larger than expected" in ex["vic_forge"]["test_rnn_step_forward"]["message"]
    # the grader never read the forged 1 GB array: its peak memory stayed small
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 900 * 1024

    with table.open(newline="") as f:
        csv_rows = {r["student"]: r for r in csv.DictReader(f)}
    assert csv_rows["alice"]["total"] == "5" and csv_rows["grace_cheat"]["total"] == "3"
    assert csv_rows["olga_reference"]["flags"] == "reference-used"
    feedback = {p.stem: p.read_text() for p in (out / "feedback").glob("*.txt")}
    assert "Score: 5 / 5" in feedback["alice"]
    assert (
        "printed more than" in feedback["frank_noisy"] and "MemoryError" in feedback["frank_noisy"]
    )
    assert "ran longer than 3 s" in feedback["carol_hang"]
    assert "is not available while a notebook is graded" in feedback["olga_reference"]
    assert re.search(r"^alice +5 / 5", ran.stdout, re.M)
    assert re.search(r"^ +tom_copy ~ uma_original: rnn_forward", ran.stdout, re.M) or re.search(
        r"uma_original ~ tom_copy: rnn_forward", ran.stdout
    )

    limits = {e["student"]: e for e in json.loads((out / "limits.json").read_text())["submissions"]}
    status = {s: tuple(e["exercises"][g]["status"] for g in points) for s, e in limits.items()}
    assert (
        status["walt_limits"]
        == status["walt_file"]
        == status["walt_outside"]
        == ("passed", "passed")
    )
    assert status["xena_cpu"] == ("timeout", "timeout")
    assert "CPU time limit of 3 s" in limits["xena_cpu"]["exercises"]["test_rnn_forward"]["message"]
    notes = {p.stem: p.read_text() for p in (out / "feedback-limits").glob("*.txt")}
    assert "BlockingIOError" in notes["walt_limits"]  # fork refused at --procs
    assert "File too large" in notes["walt_file"]  # --file-mb
    for name in LIMITS:
        rows.append((name, status[name], limits[name]["total"], limits[name]["flags"]))
    print("\nattack / submission          step / forward statuses            total  flags")
    for student, got, total, flags in rows:
        print(f"{student:<28} {got[0]:<16} {got[1]:<16} {total:>4g}  {', '.join(flags)}")


def _no_sandbox_and_the_package_answers(tmp_path):
    """--no-sandbox: the rows say so; a graded function that is the package's reference gets
    no credit and the flag reference-used (the guard, not the sandbox, catches it here). Runs
    inside the hostile-class test, while its gradebooks wait 5 s."""
    nb = nbformat.read(SOLUTION, as_version=4)
    _cell(nb, "rnn_step_forward").source = "from rnncourse.rnn import rnn_step_forward"
    _cell(
        nb, "rnn_forward"
    ).source = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    raise NotImplementedError()"
    (tmp_path / "unsandboxed").mkdir()
    path = tmp_path / "unsandboxed" / "02_hidden_state.ipynb"
    nbformat.write(nb, path)
    entry = grade_notebook(
        path, REPO / "exercises", limits=Limits(cell_timeout=10, call_timeout=5), sandbox=False
    )
    assert entry["source"].endswith("exercises/02_hidden_state.ipynb")
    assert {k: v["status"] for k, v in entry["exercises"].items()} == {
        "test_rnn_step_forward": "failed",
        "test_rnn_forward": "not-implemented",
    }
    assert (
        "package's own answer (rnncourse.rnn.rnn_step_forward)"
        in (entry["exercises"]["test_rnn_step_forward"]["message"])
    )
    assert entry["flags"] == ["unsandboxed", "reference-used"]
    assert entry["total"] == 0.0 and entry["max"] == 5.0


def test_usage_errors(tmp_path, capsys, monkeypatch):
    assert cli_main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(SOLUTION, a / "x.ipynb")
    shutil.copy(SOLUTION, b / "x.ipynb")
    assert (
        cli_main(
            ["grade", str(a / "x.ipynb"), str(b / "x.ipynb"), "--source", str(REPO / "solutions")]
        )
        == 2
    )
    assert "--student-from parent" in capsys.readouterr().err
    # where no sandbox is available, grading refuses without --no-sandbox and says why
    from rnncourse.grading import sandbox

    monkeypatch.setattr(sandbox, "_PROBE", {"result": (False, "no bubblewrap here")})
    assert cli_main(["grade", str(a / "x.ipynb"), "--source", str(REPO / "solutions")]) == 2
    err = capsys.readouterr().err
    assert "no bubblewrap here" in err and "--no-sandbox" in err
    assert cli_main(["grade", "--check-sandbox"]) == 1
    assert "no bubblewrap here" in capsys.readouterr().out


def test_batch_grading_gives_every_solutions_notebook_full_points():
    """Every solutions notebook, graded as a submission (in the sandbox where this machine has
    one), earns every point, hidden tests included: the grader's inputs cross into the
    learner's kernel as they are (an int stays an int, as truncated_bptt's chunk length k needs
    for `range(0, T, k)`; an optional argument left out stays None, as lstm_forward's W_hr), value
    items are read from the kernel, and no solution needs a function the sandbox withholds."""
    paths = sorted((REPO / "solutions").glob("*.ipynb"))
    entries = grade_many(
        paths, REPO / "solutions", limits=Limits(cell_timeout=60, call_timeout=10), workers=2
    )
    for path, entry in zip(paths, entries, strict=True):
        statuses = {k: v["status"] for k, v in entry["exercises"].items()}
        assert set(statuses.values()) == {"passed"}, (path.name, entry["exercises"])
        assert entry["total"] == entry["max"] > 0, path.name
        assert "reference-used" not in entry["flags"], path.name
