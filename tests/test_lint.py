"""The repository passes `ruff check` and `ruff format --check` (configuration in pyproject.toml),
notebooks included, as the pre-commit hooks leave it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ruff_command() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


def run_ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ruff_command(), *args, "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ruff_check_passes():
    out = run_ruff("check", "--output-format=concise")
    assert out.returncode == 0, (
        f"ruff check found problems (fix them with `.venv/bin/ruff check --fix PATH`):\n"
        f"{out.stdout}{out.stderr}"
    )


def test_ruff_format_leaves_the_repository_unchanged():
    out = run_ruff("format", "--check")
    assert out.returncode == 0, (
        f"ruff format would change files (run `.venv/bin/ruff format PATH`):\n{out.stdout}{out.stderr}"
    )
