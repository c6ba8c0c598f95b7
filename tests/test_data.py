"""rnncourse.data: the folder of shipped data files, and for one release the old home of the
synthetic tasks (their tests: tests/test_tasks.py)."""

from __future__ import annotations

from pathlib import Path

import rnncourse.data
from rnncourse import tasks
from rnncourse.data import adding_problem, copy_task, noisy_sine, one_hot

SHIPPED = ("README.md", "charlm_lstm.npz", "co2_weekly.csv", "stdlib_snapshot.txt.gz")


def test_old_names_are_the_tasks():
    assert adding_problem is tasks.adding_problem
    assert copy_task is tasks.copy_task
    assert noisy_sine is tasks.noisy_sine
    assert one_hot is tasks.one_hot


def test_shipped_files_stay_in_the_package_folder():
    folder = Path(rnncourse.data.__file__).parent
    assert folder.name == "data" and folder.parent.name == "rnncourse"
    for name in SHIPPED:
        assert (folder / name).is_file(), name
