"""The contract's time budgets for notebooks (CONTRACT.md, "Time budgets"), in one place.

Standard library only: tests/conftest.py (the test command's table) and bench/bench_notebooks.py
(the benchmark) both load this file.
"""

from __future__ import annotations

import re
from pathlib import Path

TOTAL_BUDGET = 300.0  # seconds, every notebook of the course one after another


def budget_for(relpath: str) -> float | None:
    """The budget (seconds) for a notebook, from its path relative to the repository.

    >>> budget_for("notebooks/03_outputs.ipynb"), budget_for("notebooks/09_applications.ipynb")
    (20.0, 90.0)
    >>> budget_for("solutions/07_lstm.ipynb"), budget_for("exercises/07_lstm.ipynb")
    (10.0, 5.0)
    """
    parts = Path(relpath).parts
    if len(parts) != 2:
        return None
    folder, name = parts
    if folder == "solutions":
        return 10.0
    if folder == "exercises":
        return 5.0
    if folder == "notebooks":
        m = re.match(r"(\d\d)_", name)
        lesson = int(m.group(1)) if m else 0
        if lesson <= 4:
            return 20.0
        if lesson <= 6:
            return 30.0
        if lesson <= 8:
            return 60.0
        return 90.0
    return None
