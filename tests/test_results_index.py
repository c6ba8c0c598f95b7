"""results/README.md, the one index of committed results: every file listed, every test real."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
from pathlib import Path

import pytest

from tools import bench_report

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "results" / "README.md"
FOLDERS = ("results", "rnncourse/data")


def index_rows() -> list[dict[str, list[str] | str]]:
    """The index's table: for each row, its files, its command text and its tests."""
    rows = []
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"results/README.md: a row needs 4 columns: {line}"
        files, made_by, _, checked_by = cells
        rows.append(
            {
                "files": re.findall(r"`([^`]+)`", files),
                "made_by": made_by,
                "tests": re.findall(r"`([^`]+)`", checked_by),
            }
        )
    return rows


def committed_files() -> set[str]:
    """Every file under results/ and rnncourse/data/ (the index itself and the code of the
    ``rnncourse.data`` package, which re-exports old names, aside)."""
    found = {
        p.relative_to(REPO).as_posix()
        for folder in FOLDERS
        for p in (REPO / folder).rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not p.name.startswith(".")
        and p.suffix != ".py"
    }
    return found - {"results/README.md"}


def test_index_lists_every_committed_result_and_nothing_else():
    listed = [f for row in index_rows() for f in row["files"]]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    missing = committed_files() - set(listed)
    stale = set(listed) - committed_files()
    assert not missing, f"results/README.md does not list {sorted(missing)}"
    assert not stale, f"results/README.md lists files that do not exist: {sorted(stale)}"


def test_every_row_names_a_command_and_tests_that_exist():
    for row in index_rows():
        by_hand = row["made_by"].startswith("written by hand")
        assert by_hand or "`" in row["made_by"], f"{row['files']}: no command"
        assert row["tests"], f"{row['files']}: no test checks them"
        for test in row["tests"]:
            path, _, name = test.partition("::")
            file = REPO / path
            assert path.startswith("tests/") and file.is_file(), f"{test}: no such test file"
            if name:
                assert re.search(rf"^def {re.escape(name)}\(", file.read_text(), re.M), (
                    f"{test}: no such test"
                )
        for module in re.findall(r"python -m ([\w.]+)", row["made_by"]):
            assert importlib.util.find_spec(module) is not None, f"{row['files']}: no {module}"


def test_bench_report_is_generated_from_its_json():
    """RESULTS.md is exactly what `python -m tools.bench_report` writes from results.json."""
    data = json.loads(bench_report.RESULTS_JSON.read_text())
    assert {"machine", "layers", "per_step", "import", "notebooks"} <= set(data)
    assert bench_report.RESULTS_MD.read_text() == bench_report.markdown(data), (
        "results/bench/RESULTS.md is stale: run `python -m tools.bench_report`"
    )


@pytest.mark.parametrize(
    "path", sorted(p for p in committed_files() if p.endswith(".png")), ids=lambda p: p
)
def test_committed_images_are_pngs(path):
    data = (REPO / path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, path


def test_data_readme_lists_every_data_file():
    text = (REPO / "rnncourse" / "data" / "README.md").read_text(encoding="utf-8")
    for path in sorted(committed_files()):
        if path.startswith("rnncourse/data/") and not path.endswith("README.md"):
            assert f"`{Path(path).name}`" in text, f"rnncourse/data/README.md does not list {path}"


def test_readme_repository_table_matches_the_tree():
    """README.md's "What is in the repository" names every top-level folder, and only real ones."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What is in the repository", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    not_in_git = {"work/"}  # made by `make lab`
    for path in named:
        assert path in not_in_git or (REPO / path).exists(), f"README names {path}, not in the tree"
    ignored = [  # folders git ignores (environments, build output, test artifacts)
        line.strip().rstrip("/")
        for line in (REPO / ".gitignore").read_text().splitlines()
        if line.strip().endswith("/")
    ]
    folders = {
        f"{p.name}/"
        for p in REPO.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and not any(fnmatch.fnmatch(p.name, pattern) for pattern in ignored)
    }
    assert not folders - set(named), f"README's table lacks {sorted(folders - set(named))}"
