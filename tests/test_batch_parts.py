"""The parts of `rnncourse grade` that need no kernel: bounded results, attribution, similarity,
the kernel's view of the package, the sandbox's command line."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from rnncourse.grading import bounded, noref, sandbox, similarity
from rnncourse.grading.batch import attribute, load_source

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------
# bounded results
# ---------------------------------------------------------------------------------------------
def _npz(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy(header: dict, data: bytes = b"") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + data


def test_bounded_reads_what_was_asked_for(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, **{"0|o0": np.arange(6.0).reshape(2, 3), "0|in|x": np.ones(4)})
    want = {"0|o0": bounded.Expect(100), "0|in|x": bounded.Expect(4, (4,), "fiub")}
    got = bounded.read_arrays(path, want, 10_000)
    assert got.refused == {}
    np.testing.assert_array_equal(got.arrays["0|o0"], np.arange(6.0).reshape(2, 3))


def test_a_header_claiming_a_gigabyte_is_refused_unread(tmp_path):
    """The issue's forged file: 1 MB compressed, its header claiming 2**27 float64 (1 GB)."""
    path = tmp_path / "forged.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (2**27,)}
    _npz(path, {"0|o0.npy": _npy(header, bytes(2**20))})
    got = bounded.read_arrays(path, {"0|o0": bounded.Expect(1000)}, 4 * 2**20)
    assert got.arrays == {} and "far larger than expected" in got.refused["0|o0"]


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"secret.npy": _npy({"descr": "<f8", "fortran_order": False, "shape": (1,)}, bytes(8))},
         "nobody asked for"),
        ({"0|o0.npy": _npy({"descr": "|O", "fortran_order": False, "shape": (1,)}, bytes(8))},
         "cannot be a result"),
        ({"0|in|x.npy": _npy({"descr": "<f8", "fortran_order": False, "shape": (5,)}, bytes(40))},
         "was handed over"),
        ({"0|o0.npy": _npy({"descr": "<f8", "fortran_order": False, "shape": (4,)}, bytes(8))},
         "bytes of data"),
    ],
)  # fmt: skip
def test_forged_archives_are_rejected(tmp_path, members, match):
    path = tmp_path / "bad.npz"
    _npz(path, members)
    want = {"0|o0": bounded.Expect(100), "0|in|x": bounded.Expect(4, (4,), "fiub")}
    with pytest.raises(bounded.BadResult, match=match):
        bounded.read_arrays(path, want, 10_000)


def test_result_files_must_be_small_regular_files(tmp_path):
    big = tmp_path / "big.json"
    big.write_text("[" + "0," * 1000 + "0]")
    with pytest.raises(bounded.BadResult, match="more than"):
        bounded.read_json(big, 100)
    link = tmp_path / "link.json"
    link.symlink_to(REPO / "pyproject.toml")  # a link to an instructor's file is not followed
    with pytest.raises(bounded.BadResult):
        bounded.read_json(link, 10**6)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # would block a plain open() forever
    with pytest.raises(bounded.BadResult, match="not a regular file"):
        bounded.read_json(fifo, 10**6)


# ---------------------------------------------------------------------------------------------
# attribution
# ---------------------------------------------------------------------------------------------
def test_a_submission_is_attributed_by_file_name_then_lesson():
    canonicals = load_source(REPO / "solutions")
    by_name = attribute(Path("alice/03_outputs.ipynb"), canonicals)
    assert by_name.path.name == "03_outputs.ipynb"
    assert attribute(Path("alice-05_bptt-final.ipynb"), canonicals).path.name == "05_bptt.ipynb"
    assert attribute(Path("homework.ipynb"), canonicals) is None  # several, and no hint
    assert attribute(Path("homework.ipynb"), canonicals, lesson="7").path.name == "07_lstm.ipynb"
    assert attribute(Path("02_hidden_state.ipynb"), canonicals, lesson="07").path.name == (
        "02_hidden_state.ipynb"  # the file name comes first
    )
    one = [c for c in canonicals if c.path.name == "02_hidden_state.ipynb"]
    assert attribute(Path("whatever.ipynb"), one) is one[0]
    assert one[0].max == 5.0 and set(one[0].stubs) == set(one[0].answers)


# ---------------------------------------------------------------------------------------------
# similarity
# ---------------------------------------------------------------------------------------------
ANSWER = """def f(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    out = np.empty((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        out[:, t] = h
    return out
"""
RENAMED = """def f(x, h0, W_xh, W_hh, b_h):
    # mine
    n, steps, d = x.shape
    result = np.empty((n, steps, h0.shape[1]))
    state = h0
    for k in range(steps):
        state = np.tanh(x[:, k] @ W_xh.T + state @ W_hh.T + b_h)   # a step
        result[:, k] = state
    return result
"""
DIFFERENT = """def f(x, h0, W_xh, W_hh, b_h):
    hs = []
    h = h0
    for x_t in np.moveaxis(x, 1, 0):
        a = x_t @ W_xh.T
        h = np.tanh(a + h @ W_hh.T + b_h)
        hs.append(h)
    return np.stack(hs, axis=1)
"""
STUB = "def f(x, h0, W_xh, W_hh, b_h):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n    return out\n"


def test_similarity_sees_through_renaming_but_not_a_different_answer():
    a, b = similarity.normalise(ANSWER), similarity.normalise(RENAMED)
    assert similarity.similarity(a, b) == pytest.approx(1.0)
    assert similarity.similarity(a, similarity.normalise(DIFFERENT)) < similarity.THRESHOLD
    short = similarity.normalise("def f(x):\n    return x\n")
    assert similarity.similarity(short, short) == 0.0  # fewer than 5 lines: never compared


def test_the_report_flags_copies_and_the_reference_only():
    answers = {
        "ann": {"f": ANSWER},
        "ben": {"f": RENAMED},
        "cat": {"f": DIFFERENT},
        "dan": {"f": STUB},
    }
    flags, pairs = similarity.report(answers, {"f": STUB}, {"f": [DIFFERENT]})
    assert flags == {
        "ann": ["similar-to:ben"],
        "ben": ["similar-to:ann"],
        "cat": ["similar-to:reference"],
        "dan": [],  # the stub the whole class was given is not an answer
    }
    assert {(p.a, p.b) for p in pairs} == {("ann", "ben"), ("cat", "reference")}


# ---------------------------------------------------------------------------------------------
# what the kernel gets of the package
# ---------------------------------------------------------------------------------------------
def test_the_kernel_view_has_helpers_but_no_answers(tmp_path):
    sandbox.kernel_view(tmp_path)
    code = (
        "import rnncourse, rnncourse.grading as g\n"
        "from rnncourse._cells import sigmoid\n"
        "import rnncourse.tasks, rnncourse.datasets, rnncourse.plots\n"
        "assert g.check(print) is None and g.check_hidden(print) is None\n"
        "print(float(sigmoid(0.0)), rnncourse.sigmoid is sigmoid)\n"
        "for m in ('rnncourse.grading.exercises.rnn_forward', 'rnncourse.grading.compare',\n"
        "          'rnncourse.progress'):\n"
        "    try:\n"
        "        __import__(m)\n"
        "        print('IMPORTED', m)\n"
        "    except ImportError as e:\n"
        "        assert 'is not available while a notebook is graded' in str(e), e\n"
        "import inspect, rnncourse.rnn, rnncourse.lstm, rnncourse.deep, rnncourse.tbptt\n"
        "for f in (rnncourse.rnn.rnn_forward, rnncourse.rnn.rnn_step_backward,\n"
        "          rnncourse.lstm.lstm_step_forward, rnncourse.deep.deep_forward,\n"
        "          rnncourse.tbptt.truncated_bptt):\n"
        "    assert 'np.' not in inspect.getsource(f), f  # no line of the answer is left\n"
        "    try:\n"
        "        f(*[None] * (f.__code__.co_argcount))\n"
        "        print('CALLED', f.__name__)\n"
        "    except RuntimeError as e:\n"
        "        assert 'is not available while a notebook is graded' in str(e), e\n"
    )
    ran = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + code],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["0.5", "True"]
    modules = {m for m, _, _ in noref.catalogued_references()}
    assert {"rnncourse.rnn", "rnncourse.lstm", "rnncourse.gru"} <= modules


def test_the_sandbox_command_is_an_allowlist(tmp_path):
    """The bind mounts, read from the command line itself (no bubblewrap needed)."""
    box = object.__new__(sandbox.Sandbox)
    box.bwrap, box.as_root, box.view_root = "/usr/bin/bwrap", True, tmp_path / "view"
    box.readonly = sandbox._readonly_paths()
    scratch, io_dir = tmp_path / "scratch", tmp_path / "io"
    limits = SimpleNamespace(cpu_seconds=7, memory_mb=512, file_mb=3, procs=9)
    cmd = box.command(
        ["python", "-m", "ipykernel_launcher"], scratch=scratch, readonly=[io_dir],
        proc=sandbox.SandboxedProcess(61005, None, None), limits=limits,
    )  # fmt: skip
    binds = {
        cmd[i + 2]: cmd[i]
        for i, a in enumerate(cmd[:-2])
        if a in ("--bind", "--ro-bind", "--ro-bind-try")
    }
    assert binds[str(scratch)] == "--bind"  # the only folder it may write
    assert [d for d, how in binds.items() if how == "--bind"] == [str(scratch)]
    assert binds[str(io_dir)] == "--ro-bind"
    assert binds[sys.prefix] == "--ro-bind"
    assert str(Path.home()) not in binds and str(REPO) not in binds
    assert not any(d == str(REPO / "solutions") or d.startswith(str(REPO / "tests")) for d in binds)
    for flag in (
        "--unshare-pid",
        "--unshare-net",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
    ):
        assert flag in cmd
    params = __import__("json").loads(cmd[cmd.index(sandbox.LAUNCHER) + 1])
    assert params["uid"] == 61005 and params["cpu"] == 7 and params["fsize"] == 3 * 2**20
    assert params["as"] == 512 * 2**20 and params["nproc"] == 9
    assert set(params["env"]) >= {"PATH", "HOME", "PYTHONPATH"} and "RNNCOURSE_TEST" not in str(
        params["env"]
    )


def test_a_stand_in_names_the_rule():
    assert noref.refused_import(
        "rnncourse.rnn is not available while a notebook is graded: it holds the package's "
        "answers to graded exercises, and a graded function must be your own code"
    )
    assert not noref.refused_import("No module named 'scipy'")
    assert noref.verdict(
        {"reference": {"used": "rnncourse.rnn.rnn_forward", "tampered": False}}, "f"
    )
    assert "switched off" in noref.verdict({"reference": {"used": "", "tampered": True}}, "f")
    assert noref.verdict({"reference": {"used": "", "tampered": False}}, "f") is None


def test_exercise_notebooks_do_not_need_the_answers():
    """No exercise notebook imports a graded function's reference (or a function that computes
    the same answer): in the sandbox those raise, so a cell that used one could not run."""
    answers = {(m, q) for m, q, _ in noref.catalogued_references()}
    names = {q for _, q in answers}
    for path in sorted((REPO / "exercises").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                line for line in cell.source.splitlines() if not line.lstrip().startswith("%")
            )
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnncourse"):
                    for alias in node.names:
                        assert (node.module, alias.name) not in answers, (path.name, alias.name)
                        if node.module.startswith("rnncourse.grading"):
                            assert alias.name in ("check", "check_hidden", "hint"), path.name
            assert not any(
                isinstance(n, ast.Attribute) and n.attr in names
                and isinstance(n.value, ast.Attribute | ast.Name)
                and "rnncourse" in ast.unparse(n.value)
                for n in ast.walk(ast.parse(source))
            ), path.name  # fmt: skip


def test_committed_sandbox_benchmark_costs_at_most_twice():
    """results/grading_sandbox.json (python -m tools.bench_sandbox): 20 submissions, both ways
    measured alternately in one run, the sandbox at most 2x, the machine described."""
    import json

    bench = json.loads((REPO / "results" / "grading_sandbox.json").read_text())
    assert "20 solved copies" in bench["what"]
    ways = [r["sandbox"] for r in bench["rounds"]]
    assert ways == [True, False] * (len(ways) // 2) and len(ways) >= 4
    best = {
        s: min(r["seconds"] for r in bench["rounds"] if r["sandbox"] is s) for s in (True, False)
    }
    assert bench["ratio"] == pytest.approx(best[True] / best[False], abs=1e-3)
    assert bench["ratio"] <= 2.0
    assert bench["machine"]["vector_units"] and bench["machine"]["blas"]
