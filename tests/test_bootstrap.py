"""tools/bootstrap.py, the engine of `make lab` and `make test` (without running an installer:
subprocess.run is replaced where one would run), and .ci/run."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import threading
import time
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


TORCH_FILE = "file:///wheels/torch-2.13.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl"


class FakeInstallers:
    """Stands in for subprocess.run: records every command, answers pip's --dry-run --report
    with TORCH_FILE for each requirement, and fails the commands that `fail` matches."""

    def __init__(self, fail=lambda cmd: False):
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, cmd, **kwargs):
        self.calls.append(list(cmd))
        if self.fail(cmd):
            return subprocess.CompletedProcess(cmd, 1)
        if "--dry-run" in cmd:
            report = Path(cmd[cmd.index("--report") + 1])
            names = [a.split("==")[0] for a in cmd if "==" in a]
            install = [
                {"metadata": {"name": n}, "download_info": {"url": TORCH_FILE}} for n in names
            ]
            report.write_text(json.dumps({"install": install}))
        return subprocess.CompletedProcess(cmd, 0)

    def uv(self) -> list[list[str]]:
        return [c for c in self.calls if c[1:4] == ["-m", "uv", "pip"]]

    def pip(self) -> list[list[str]]:
        return [c for c in self.calls if c[1:4] == ["-m", "pip", "install"]]


def spec_of(cmd: list[str]) -> str:
    return cmd[cmd.index("-e") + 1]


@pytest.mark.parametrize("installer", ["uv", "pip"])
@pytest.mark.parametrize(
    "stamp_extras, asked, pins, stamp_pins",
    [
        ((), ("test", "torch"), (), ()),  # make test after make lab: more extras
        (("test",), ("test",), ("numpy==1.26.4",), ()),  # another pin
        (("test",), ("test",), (), ("numpy==1.26.4",)),  # pin dropped
    ],
)
def test_changed_request_reinstalls(
    bootstrap, tmp_path, monkeypatch, stamp_extras, asked, pins, stamp_pins, installer
):
    venv = fake_venv(tmp_path, bootstrap)
    ver = "3.11.7"
    key = bootstrap.stamp_key(ver, stamp_extras, stamp_pins)
    extras_json = ", ".join(f'"{e}"' for e in stamp_extras)
    (venv / bootstrap.STAMP_NAME).write_text(f'{{"key": "{key}", "extras": [{extras_json}]}}')
    run = FakeInstallers()
    monkeypatch.setattr(bootstrap.subprocess, "run", run)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: ver)
    monkeypatch.setenv("RNNCOURSE_INSTALLER", installer)
    bootstrap.ensure_env(venv, asked, pins)
    wanted = set(asked) | set(stamp_extras)  # never drops extras installed before
    if installer == "pip":
        assert len(run.calls) == 1 and run.calls[0][1:4] == ["-m", "pip", "install"]
        install = run.calls[0]
        assert all(extra in spec_of(install) for extra in wanted)
    else:
        # pip installs uv, then uv installs the course: every extra but torch by name, torch as
        # the file pip chose
        assert run.pip()[0][-1] == bootstrap.UV_REQUIREMENT
        (install,) = run.uv()
        assert all(extra in spec_of(install) for extra in wanted - {"torch"})
        assert "torch" not in spec_of(install)
        assert ("torch" in wanted) == (f"torch @ {TORCH_FILE}" in install)
        assert "--compile-bytecode" in install
        # nothing else: pip install uv, pip's choice of torch's file (if asked), uv install
        assert len(run.calls) == 2 + ("torch" in wanted)
    assert all(p in install for p in pins)
    # ... and the new stamp makes the next run a no-op
    stamp = bootstrap.read_stamp(venv)
    assert stamp["key"] == bootstrap.stamp_key(ver, tuple(stamp["extras"]), pins)
    assert set(stamp["extras"]) == wanted
    n = len(run.calls)
    bootstrap.ensure_env(venv, asked, pins)
    assert len(run.calls) == n


def test_torch_is_never_resolved_by_uv(bootstrap, tmp_path, monkeypatch):
    """uv does not read pip's configuration, which is where a machine says where torch's CPU build
    lies: pip chooses torch's file (pyproject's exact pin, its dependencies left out), uv installs
    that file."""
    venv = fake_venv(tmp_path, bootstrap)
    run = FakeInstallers()
    monkeypatch.setattr(bootstrap.subprocess, "run", run)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: "3.11.7")
    monkeypatch.delenv("RNNCOURSE_INSTALLER", raising=False)
    bootstrap.ensure_env(venv, bootstrap.TEST_EXTRAS)
    (choice,) = [c for c in run.calls if "--dry-run" in c]
    assert choice[1:4] == ["-m", "pip", "install"] and "--no-deps" in choice
    assert choice[-1] == "torch==2.13.0" and "torch==2.13.0" in bootstrap.extra_requirements(
        "torch"
    )
    (install,) = run.uv()
    assert spec_of(install) == ".[test]" and install[-1] == f"torch @ {TORCH_FILE}"
    assert not any(a.startswith("torch") and "@" not in a for a in install)


@pytest.mark.parametrize("failing", ["uv>=", "--dry-run", "-m uv"])
def test_a_failing_uv_step_falls_back_to_pip(bootstrap, tmp_path, monkeypatch, capsys, failing):
    venv = fake_venv(tmp_path, bootstrap)
    run = FakeInstallers(fail=lambda cmd: failing in " ".join(cmd))
    monkeypatch.setattr(bootstrap.subprocess, "run", run)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: "3.11.7")
    monkeypatch.delenv("RNNCOURSE_INSTALLER", raising=False)
    bootstrap.ensure_env(venv, bootstrap.TEST_EXTRAS, ("numpy==1.26.4",))
    last = run.calls[-1]
    assert last[1:4] == ["-m", "pip", "install"] and spec_of(last) == ".[test,torch]"
    assert "numpy==1.26.4" in last
    assert "installing with pip alone" in capsys.readouterr().out
    assert bootstrap.read_stamp(venv)["extras"] == ["test", "torch"]


def test_a_failing_install_leaves_no_stamp(bootstrap, tmp_path, monkeypatch):
    venv = fake_venv(tmp_path, bootstrap)
    monkeypatch.setattr(bootstrap.subprocess, "run", FakeInstallers(fail=lambda cmd: True))
    monkeypatch.setattr(bootstrap, "python_version", lambda python: "3.11.7")
    with pytest.raises(bootstrap.SetupError, match="failed"):
        bootstrap.ensure_env(venv, ("test",))
    assert bootstrap.read_stamp(venv) == {}


def test_make_lab_installs_the_course_alone_and_then_is_up_to_date(
    bootstrap, tmp_path, monkeypatch, capsys
):
    venv = fake_venv(tmp_path, bootstrap)
    run = FakeInstallers()
    monkeypatch.setattr(bootstrap.subprocess, "run", run)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: "3.11.7")
    monkeypatch.delenv("RNNCOURSE_INSTALLER", raising=False)
    bootstrap.ensure_env(venv)
    (install,) = run.uv()
    assert spec_of(install) == "." and not any("--dry-run" in c for c in run.calls)
    n = len(run.calls)
    bootstrap.ensure_env(venv)
    assert len(run.calls) == n and "is up to date" in capsys.readouterr().out


def test_unknown_installer_is_refused(bootstrap):
    assert bootstrap.chosen_installer({}) == "uv"
    assert bootstrap.chosen_installer({"RNNCOURSE_INSTALLER": "pip"}) == "pip"
    with pytest.raises(bootstrap.SetupError):
        bootstrap.chosen_installer({"RNNCOURSE_INSTALLER": "conda"})


def test_extra_requirements_read_pyproject_as_tomllib_does(bootstrap):
    tomllib = pytest.importorskip("tomllib")  # 3.11+; the bootstrap's own parser runs on 3.10
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for name, requirements in extras.items():
        assert bootstrap.extra_requirements(name) == requirements
    assert set(bootstrap.PIP_EXTRAS) <= set(extras)


def test_environments_are_set_up_at_the_same_time(bootstrap, tmp_path, monkeypatch, capsys):
    """make test's two environments install in parallel (each waits here until the other has
    started), their outputs printed one after the other, never interleaved."""
    barrier = threading.Barrier(2, timeout=30)

    def fake_ensure_env(venv, log=None, **kwargs):
        barrier.wait()  # raises BrokenBarrierError unless both run at once
        for i in range(50):
            log.write(f"{venv.name} line {i}\n")
            log.flush()
            time.sleep(0.001)
        return venv / "bin" / "python"

    monkeypatch.setattr(bootstrap, "ensure_env", fake_ensure_env)
    monkeypatch.setattr(bootstrap, "INSTALL_LOGS", tmp_path / "logs")
    pythons = bootstrap.ensure_envs([dict(venv=tmp_path / "a"), dict(venv=tmp_path / "b")])
    assert pythons == [tmp_path / "a" / "bin" / "python", tmp_path / "b" / "bin" / "python"]
    out = capsys.readouterr().out
    for name in ("a", "b"):
        block = out.split(f"installation into {name}/ ----")[1]
        assert block.count(f"{name} line") == 50 and "line" not in block.replace(f"{name} line", "")


def test_an_error_in_one_environment_is_raised_after_both_end(bootstrap, tmp_path, monkeypatch):
    done = []

    def fake_ensure_env(venv, log=None, **kwargs):
        if venv.name == "a":
            raise bootstrap.SetupError("a broke")
        time.sleep(0.2)
        done.append(venv.name)
        return venv

    monkeypatch.setattr(bootstrap, "ensure_env", fake_ensure_env)
    monkeypatch.setattr(bootstrap, "INSTALL_LOGS", tmp_path / "logs")
    with pytest.raises(bootstrap.SetupError, match="a broke"):
        bootstrap.ensure_envs([dict(venv=tmp_path / "a"), dict(venv=tmp_path / "b")])
    assert done == ["b"]


def test_make_test_sets_up_both_environments(bootstrap, monkeypatch):
    monkeypatch.delenv("RNNCOURSE_SKIP_OLDEST", raising=False)
    main, oldest = bootstrap.environments_for_test()
    assert main["venv"] == bootstrap.VENV and set(main["extras"]) == {"test", "torch"}
    assert oldest["venv"] == bootstrap.VENV_OLDEST and oldest["pins"] == (
        f"numpy=={bootstrap.oldest_numpy()}",
    )
    monkeypatch.setenv("RNNCOURSE_SKIP_OLDEST", "1")
    assert [r["venv"] for r in bootstrap.environments_for_test()] == [bootstrap.VENV]


def test_ci_run_sets_up_while_apt_runs_and_then_runs_make_test():
    script = (REPO / ".ci/run").read_text()
    assert subprocess.run(["bash", "-n", str(REPO / ".ci/run")]).returncode == 0
    assert "export RNNCOURSE_REQUIRE_ALL=1" in script
    setup = script.index("tools/bootstrap.py setup --test")
    assert setup < script.index("apt-get install -y") < script.index("make test PYTHON=")
    assert not re.search(r"\.\./shared|FINDINGS|CONTRACT", script)


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


def test_doctests(bootstrap):
    """tools/ is not collected by pytest: the bootstrap's doctests run here."""
    import doctest

    result = doctest.testmod(bootstrap)
    assert result.attempted >= 2 and result.failed == 0


def test_make_bench_sets_up_the_test_tools_even_after_make_lab(bootstrap, tmp_path, monkeypatch):
    """`make bench` after `make lab` (an environment with the course alone) installs what the
    benchmark imports (threadpoolctl, torch) before it runs, instead of dying on an import."""
    venv = fake_venv(tmp_path, bootstrap)
    ver = "3.11.7"
    key = bootstrap.stamp_key(ver, (), ())
    (venv / bootstrap.STAMP_NAME).write_text(json.dumps({"key": key, "extras": []}))  # make lab's
    monkeypatch.setattr(bootstrap, "VENV", venv)
    monkeypatch.setattr(bootstrap, "python_version", lambda python: ver)
    installs, ran = [], []
    monkeypatch.setattr(
        bootstrap,
        "install_with_uv",
        lambda py, extras, pins, log, progress: installs.append(extras) or True,
    )

    def fake_run(cmd, **kwargs):
        ran.append(cmd[1:])
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bootstrap.subprocess, "run", fake_run)
    assert bootstrap.main(["bench"]) == 0
    assert installs == [("test", "torch")]
    assert ran == [["-m", "tools.bench_layers"], ["-m", "tools.bench_notebooks"]]
    makefile = (REPO / "Makefile").read_text()
    bench = re.search(r"^bench:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert bench.strip() == '@"$(PYTHON)" tools/bootstrap.py bench', bench


def test_lab_puts_the_environment_first_on_path(bootstrap):
    bin_dir = Path("/course/.venv/bin")
    env = bootstrap.lab_env({"PATH": "/usr/bin:/course/.venv/bin:/bin"}, "t", bin_dir)
    assert env["PATH"] == "/course/.venv/bin:/usr/bin:/bin"
    assert env["VIRTUAL_ENV"] == "/course/.venv"


def test_lab_command_quiets_what_a_learner_need_not_see(bootstrap, tmp_path, monkeypatch):
    monkeypatch.setenv("SHELL", "/bin/bash")
    short = {"JUPYTER_RUNTIME_DIR": "/tmp/rt"}
    argv = bootstrap.jupyter_lab_argv(
        Path("python"), 8899, open_browser=False, trust_dir=tmp_path, environ=short
    )
    assert "--KernelManager.transport=ipc" in argv  # no "running over TCP without encryption"
    # a socket path longer than Unix allows would stop every kernel: TCP then
    long = {"JUPYTER_RUNTIME_DIR": "/tmp/" + "x" * 60}
    assert "--KernelManager.transport=tcp" in bootstrap.jupyter_lab_argv(
        Path("python"), 8899, open_browser=False, trust_dir=tmp_path, environ=long
    )
    assert bootstrap.runtime_dir({"HOME": "/home/a"}) in (
        Path("/home/a/.local/share/jupyter/runtime"),
        Path("/home/a/Library/Jupyter/runtime"),
    )
    assert "--LabApp.news_url=None" in argv
    assert f"--NotebookNotary.data_dir={tmp_path}" in argv
    assert "--ContentsManager.hide_globs=*.egg-info" in argv
    assert "--ContentsManager.hide_globs=__pycache__" in argv  # JupyterLab's own defaults kept
    # a plain shell in terminals (a login shell's /etc/profile would reset PATH)
    assert "--ServerApp.terminado_settings=shell_command=/bin/bash" in argv
    settings = json.loads((bootstrap.LAB_SETTINGS / "overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert f"--LabApp.app_settings_dir={bootstrap.LAB_SETTINGS}" in argv


def test_the_torch_index_is_opt_in(bootstrap, tmp_path, monkeypatch):
    monkeypatch.delenv("RNNCOURSE_TORCH_INDEX", raising=False)
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1)

    monkeypatch.setattr(bootstrap.subprocess, "run", fake_run)
    python = Path("python")
    bootstrap.pip_choice(python, ["torch==2.13.0"], None)
    assert "--index-url" not in calls[-1]
    base = bootstrap.stamp_key("3.11.7", ("test", "torch"), ())
    monkeypatch.setenv("RNNCOURSE_TORCH_INDEX", "cpu")
    bootstrap.pip_choice(python, ["torch==2.13.0"], None)
    i = calls[-1].index("--index-url")
    assert calls[-1][i + 1] == "https://download.pytorch.org/whl/cpu"
    assert bootstrap.stamp_key("3.11.7", ("test", "torch"), ()) != base  # reinstalls torch
    assert bootstrap.stamp_key("3.11.7", ("test",), ()) == bootstrap.stamp_key(
        "3.11.7", ("test",), ()
    )
    bootstrap.install_with_pip(python, ("test", "torch"), (), None)
    assert "--extra-index-url" in calls[-1]
    monkeypatch.setenv("RNNCOURSE_TORCH_INDEX", "not a url")
    with pytest.raises(bootstrap.SetupError, match="RNNCOURSE_TORCH_INDEX"):
        bootstrap.torch_index()
    readme = (REPO / "README.md").read_text()
    assert "RNNCOURSE_TORCH_INDEX=cpu make test" in readme and "untested" in readme
    assert "nvidia" in readme and "CPU build, used only" not in readme
