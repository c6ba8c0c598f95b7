"""`import rnncourse` is light: by itself the package only; its names, numpy and its own maths.

The course's budget (`python -c "import rnncourse"` under 0.3 s, tools/budgets.py) is a performance
target, so it is measured by the benchmark (`make bench`, "import rnncourse" in
results/bench/RESULTS.md), not asserted
here: on two shared cores a timed assertion fails when a neighbour is busy. What keeps the import
fast is what it loads, and that is deterministic: almost all of the time is numpy's own import, so
these tests check that the package adds nothing heavy to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "ipywidgets", "IPython", "torch", "pandas", "scipy", "tqdm", "psutil")
# standard-library packages that cost real time to import and that the maths never needs
SLOW_STDLIB = (
    "asyncio", "concurrent", "email", "http", "json", "logging", "multiprocessing", "sqlite3",
    "ssl", "subprocess", "tkinter", "unittest", "urllib", "xml", "zipfile",
)  # fmt: skip

# what the course's maths brings in: the package's names used, after numpy's own import
PROBE = """
import json, sys
import numpy
before = set(sys.modules)
import rnncourse
from rnncourse import *
print(json.dumps(sorted(set(sys.modules) - before)))
"""

# as on a learner's machine, whatever this shell says
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def modules_added() -> list[str]:
    """The modules a fresh interpreter loads for `import rnncourse` after `import numpy`."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert out.returncode == 0, f"`import rnncourse` failed:\n{out.stderr}"
    return json.loads(out.stdout)


def test_import_does_not_load_heavy_modules():
    loaded = sorted({m.split(".")[0] for m in modules_added()} & set(HEAVY))
    assert loaded == [], f"`import rnncourse` imported {loaded}: import them inside functions"


def test_import_adds_only_light_standard_library_modules():
    added = [m for m in modules_added() if m.split(".")[0] != "rnncourse"]
    foreign = sorted({m.split(".")[0] for m in added} - set(sys.stdlib_module_names))
    slow = sorted({m.split(".")[0] for m in added} & set(SLOW_STDLIB))
    assert foreign == [], (
        f"`import rnncourse` loads {foreign} besides numpy: the maths modules import numpy only"
        " (plots, widgets and grading are imported on demand)"
    )
    assert slow == [], (
        f"`import rnncourse` loads {slow}: import them inside the functions that use them"
    )


def test_import_loads_the_package_itself():
    # the probe must see the package's modules, or the tests above would pass on an empty list
    own = [m for m in modules_added() if m.split(".")[0] == "rnncourse"]
    assert {"rnncourse", "rnncourse.rnn", "rnncourse.lstm", "rnncourse.gru"} <= set(own), own


def test_bare_import_loads_nothing_but_the_package():
    # the names are loaded on first use: `import rnncourse` alone (the command line's start)
    # imports no numpy at all
    probe = (
        "import json, sys; before = set(sys.modules); import rnncourse;"
        " print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert out.returncode == 0, out.stderr
    added = json.loads(out.stdout)
    assert "numpy" not in added and "rnncourse.rnn" not in added, added


def test_every_public_name_resolves_and_unknown_names_fail():
    import rnncourse

    for name in rnncourse.__all__:
        assert getattr(rnncourse, name).__name__ in (name, name.lower()), name
    assert set(rnncourse.__all__) <= set(dir(rnncourse))
    with pytest.raises(AttributeError, match="no attribute 'rnn_fwd'"):
        rnncourse.rnn_fwd  # noqa: B018
    assert rnncourse.lstm.lstm_forward is rnncourse.lstm_forward  # submodules, as before


def test_nbformat_import_does_not_build_the_rfc3987_grammar():
    # jsonschema 4.25+ imports rfc3987-syntax, which builds a parser on import (3-4 s on every
    # `import nbformat`); pyproject.toml caps jsonschema below 4.25 for that reason
    probe = "import sys, nbformat; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", "jsonschema>=4.25 is installed: see pyproject.toml"
