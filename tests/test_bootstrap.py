"""tools/bootstrap.py, the engine of `make lab` and `make test` (the parts that run without pip)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bootstrap():
    return importlib.import_module("tools.bootstrap")


def fake_venv(tmp_path: Path, bootstrap) -> Path:
    """A folder that looks like a venv whose Python is this interpreter."""
    venv = tmp_path / "venv"
    python = bootstrap.venv_python(venv)
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    return venv


def test_up_to_date_environment_is_not_reinstalled(bootstrap, tmp_path, monkeypatch, capsys):
    venv = fake_venv(tmp_path, bootstrap)
    ver = bootstrap.python_version(bootstrap.venv_python(venv))
    key = bootstrap.stamp_key(ver, ("test", "torch"), ())
    (venv / bootstrap.STAMP_NAME).write_text(f'{{"key": "{key}", "extras": ["test", "torch"]}}')

    def no_pip(*args, **kwargs):
        raise AssertionError(f"pip must not run: {args}")

    monkeypatch.setattr(bootstrap.subprocess, "run", no_pip)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: ver)
    # the same request, and a smaller one (make lab after make test), are both up to date
    bootstrap.ensure_env(venv, ("test", "torch"))
    bootstrap.ensure_env(venv, ())
    assert capsys.readouterr().out.count("is up to date") == 2


@pytest.mark.parametrize(
    "stamp_extras, asked, pins, stamp_pins",
    [
        ((), ("test", "torch"), (), ()),  # make test after make lab: more extras
        (("test",), ("test",), ("numpy==1.26.4",), ()),  # another pin
        (("test",), ("test",), (), ("numpy==1.26.4",)),  # pin dropped
    ],
)
def test_changed_request_reinstalls(
    bootstrap, tmp_path, monkeypatch, stamp_extras, asked, pins, stamp_pins
):
    venv = fake_venv(tmp_path, bootstrap)
    ver = "3.11.7"
    key = bootstrap.stamp_key(ver, stamp_extras, stamp_pins)
    extras_json = ", ".join(f'"{e}"' for e in stamp_extras)
    (venv / bootstrap.STAMP_NAME).write_text(f'{{"key": "{key}", "extras": [{extras_json}]}}')
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bootstrap.subprocess, "run", fake_run)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: ver)
    bootstrap.ensure_env(venv, asked, pins)
    assert len(calls) == 1 and calls[0][1:4] == ["-m", "pip", "install"]
    spec = calls[0][calls[0].index("-e") + 1]
    for extra in set(asked) | set(stamp_extras):  # never drops extras installed before
        assert extra in spec
    assert all(p in calls[0] for p in pins)
    # ... and the new stamp makes the next run a no-op
    stamp = bootstrap.read_stamp(venv)
    assert stamp["key"] == bootstrap.stamp_key(ver, tuple(stamp["extras"]), pins)


def test_stamp_depends_on_pyproject_python_and_request(bootstrap):
    base = bootstrap.stamp_key("3.11.7", ("test",), ())
    assert bootstrap.stamp_key("3.12.1", ("test",), ()) != base
    assert bootstrap.stamp_key("3.11.7", ("test", "torch"), ()) != base
    assert bootstrap.stamp_key("3.11.7", ("test",), ("numpy==1.26.4",)) != base
    assert bootstrap.stamp_key("3.11.7", ("test",), ()) == base


def test_oldest_numpy_is_known_for_every_supported_python(bootstrap):
    for minor in (10, 11, 12, 13):
        assert bootstrap.oldest_numpy((3, minor)) is not None
    assert bootstrap.oldest_numpy((3, 11)).startswith("1.26")  # pyproject: numpy>=1.26
    assert re.search(r'"numpy>=1\.26"', (REPO / "pyproject.toml").read_text())


def test_lab_command_is_local_with_token(bootstrap, monkeypatch):
    argv = bootstrap.jupyter_lab_argv(Path("python"), 8899, open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in argv and "--ServerApp.port=8899" in argv
    assert "--no-browser" in argv and argv[-1] == "notebooks/00_start_here.ipynb"
    assert not any("token" in a.lower() or "password" in a.lower() for a in argv)
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    argv = bootstrap.jupyter_lab_argv(Path("python"), 8899, open_browser=True)
    assert "--no-browser" not in argv


def test_lab_kernels_get_one_blas_thread_and_a_fixed_hash_seed(bootstrap):
    env = bootstrap.lab_env({"PATH": "/bin"}, "secret")
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == "1"
    assert env["PYTHONHASHSEED"] == "0" and env["PATH"] == "/bin"
    assert env["JUPYTER_TOKEN"] == "secret"
    own = bootstrap.lab_env({"OPENBLAS_NUM_THREADS": "4", "JUPYTER_TOKEN": "old"}, "new")
    assert own["OPENBLAS_NUM_THREADS"] == "4" and own["JUPYTER_TOKEN"] == "new"


def test_browser_opens_only_with_a_display(bootstrap, monkeypatch):
    monkeypatch.setattr(bootstrap.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "RNNCOURSE_NO_BROWSER"):
        monkeypatch.delenv(name, raising=False)
    assert not bootstrap.can_open_browser()
    monkeypatch.setenv("DISPLAY", ":0")
    assert bootstrap.can_open_browser()
    monkeypatch.setenv("RNNCOURSE_NO_BROWSER", "1")
    assert not bootstrap.can_open_browser()


def test_parse_counts(bootstrap):
    line = "3 failed, 120 passed, 2 skipped, 1 deselected, 2 errors in 12.30s"
    assert bootstrap.parse_counts(line) == {
        "failed": 3,
        "passed": 120,
        "skipped": 2,
        "deselected": 1,
        "error": 2,
    }
    assert bootstrap.SUMMARY_RE.match("===== 5 passed, 1 warning in 0.50s =====")
    assert bootstrap.SUMMARY_RE.match("========== 420 passed in 256.12s (0:04:16) ==========")


def test_too_old_python_gets_a_clear_message(bootstrap, monkeypatch, capsys):
    monkeypatch.setattr(bootstrap.sys, "version_info", (3, 9, 18))
    assert bootstrap.main(["setup"]) == 2
    assert "needs Python 3.10 or newer" in capsys.readouterr().err


def test_readme_starts_with_the_two_commands():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    assert blocks[:2] == ["make lab\n", "make test\n"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
