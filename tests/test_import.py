"""`import rnncourse` is fast and light: under 0.3 s, without matplotlib, ipywidgets or torch.

The time measured is the CPU time (user + system) of a fresh ``python -c "import rnncourse"``,
interpreter start included, best of several runs. On an idle machine that is its wall time; on a
busy one (the test suite runs two workers on two cores, and notebooks start kernels beside it)
wall time mostly measures the neighbours, while CPU time still measures the import.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

BUDGET = 0.3  # seconds, CONTRACT.md: `python -c "import rnncourse"` takes under 0.3 s
HEAVY = ("matplotlib", "ipywidgets", "IPython", "torch", "pandas", "scipy", "tqdm")

PROBE = f"""
import json, sys
import rnncourse
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


# as on a learner's machine: compiled modules are cached (.pyc), whatever this shell says
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_import() -> tuple[float, float, list[str]]:
    """(CPU seconds, wall seconds, heavy modules loaded) of a fresh `import rnncourse`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=ENV,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, json.loads(out.stdout)


def test_import_does_not_load_heavy_modules():
    *_, loaded = run_import()
    assert loaded == [], f"`import rnncourse` imported {loaded}: import them inside functions"


def test_import_is_fast():
    # best of several runs: the fastest is the one least disturbed by the neighbours
    run_import()  # warm-up: writes the .pyc files a first import on a new install would
    runs = []
    for _ in range(7):
        cpu, wall, _ = run_import()
        runs.append((cpu, wall))
        if cpu < BUDGET / 2:
            break
    cpu, wall = min(runs)
    assert cpu < BUDGET, (
        f"`python -c 'import rnncourse'` took {cpu:.3f} s of CPU ({wall:.3f} s wall) at best of"
        f" {len(runs)} runs; the budget is {BUDGET} s. See `python -X importtime -c 'import rnncourse'`"
    )
