"""The structure check (tools/check_structure.py): the package keeps its rules, and each rule can
fail. A small fake package written in tmp_path passes every rule; each test breaks one rule in
one way and checks that exactly that rule fails."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools import check_structure as cs

REPO = Path(__file__).resolve().parents[1]

# A fake package that keeps every rule: each listed maths module, one sigmoid and one gate split
# (in the maths), one figure-to-PNG helper (in plots), a registry that may name cells, a private
# module imported as a module, an experiment, a grader and a widget that import only the core.
GOOD = {
    "__init__.py": '"""A fake rnncourse."""\n',
    **{
        name.removeprefix("rnncourse.").replace(".", "/")
        + ".py": "import math\n\nimport numpy as np\n"
        for name in cs.MATHS_MODULES
    },
    "rnn.py": """
        import numpy as np


        def sigmoid(a):
            return 1 / (1 + np.exp(-a))


        def split_gates(a, n):
            return np.split(a, n, axis=-1)


        def _tanh_into(a, out):
            return np.tanh(a, out=out)
        """,
    "lstm.py": """
        from rnncourse.rnn import sigmoid, split_gates
        """,
    "plots.py": """
        from io import BytesIO

        import matplotlib


        def figure_png(fig, *, dpi):
            buf = BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            return buf.getvalue()
        """,
    "cells.py": """
        from rnncourse import lstm, rnn


        def init(cell):
            if cell == "lstm":
                return lstm
            return rnn
        """,
    "torch_interop.py": """
        from rnncourse.cells import init


        def to_torch(cell):
            return init(cell)
        """,
    "experiments/__init__.py": "",
    "experiments/adding.py": """
        from rnncourse.cells import init
        from rnncourse.tasks import adding_problem
        """,
    "experiments/forecast.py": """
        def split(y, horizon):
            return y[:-horizon], y[-horizon:]
        """,
    "grading/__init__.py": "from rnncourse.grading.check import check\n",
    "grading/_driver.py": """
        def run(f):
            return f()
        """,
    "grading/check.py": """
        from rnncourse.grading import _driver
        from rnncourse.gradient_flow import np


        def check(f):
            return _driver.run(f)
        """,
    "grading/exercises/__init__.py": "",
    "grading/exercises/hidden_gradients.py": "from rnncourse.gradient_flow import np\n",
    "widgets/__init__.py": "",
    "widgets/gates.py": """
        from rnncourse.plots import figure_png
        from rnncourse.rnn import sigmoid
        """,
    "widgets/gradients.py": """
        from rnncourse.plots import figure_png
        from rnncourse.gradient_flow import np
        """,
}


def write_package(root: Path, files: dict[str, str | None]) -> Path:
    """rnncourse/<path> for each file (None: leave it out), each folder a package."""
    for rel, text in files.items():
        if text is None:
            continue
        path = root / "rnncourse" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(root).parents:
            if folder != Path(".") and not (root / folder / "__init__.py").exists():
                (root / folder / "__init__.py").write_text("")
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def failing(root: Path, **kw) -> dict[str, list[str]]:
    return {r.key: r.problems for r in cs.check(root, **kw) if not r.ok}


def broken(tmp_path: Path, **changes: str | None) -> dict[str, list[str]]:
    """The rules the good package fails with ``changes`` (path with / as __) applied."""
    files = dict(GOOD)
    for rel, text in changes.items():
        files[rel.replace("__", "/").removesuffix("_py") + ".py"] = text
    return failing(write_package(tmp_path, files))


def test_the_fake_package_keeps_every_rule(tmp_path):
    assert failing(write_package(tmp_path, GOOD)) == {}


# ------------------------------------------------------------------------ each rule can fail
def test_an_import_cycle_fails(tmp_path):
    fails = broken(
        tmp_path,
        layers_py="import numpy as np\n\nfrom rnncourse import losses\n",
        losses_py="from rnncourse.layers import np\n",
    )
    assert fails == {
        "cycles": [
            "import cycle: rnncourse.layers (rnncourse/layers.py:3) -> rnncourse.losses"
            " (rnncourse/losses.py:1) -> rnncourse.layers"
        ]
    }


def test_a_cycle_through_an_import_inside_a_function_fails(tmp_path):
    fails = broken(
        tmp_path,
        experiments__adding_py="from rnncourse import torch_interop\n",
        torch_interop_py="def to_torch(cell):\n    from rnncourse.experiments import adding\n",
    )
    assert list(fails) == ["cycles"]


def test_a_longer_cycle_is_reported_with_its_path(tmp_path):
    fails = broken(
        tmp_path,
        experiments__a_py="from rnncourse.experiments import b\n",
        experiments__b_py="from rnncourse.experiments import c\n",
        experiments__c_py="import rnncourse.experiments.a\n",
    )
    assert list(fails) == ["cycles"]
    (cycle,) = fails["cycles"]
    assert cycle.count("->") == 3 and "experiments/c.py:1" in cycle


@pytest.mark.parametrize(
    "source",
    [
        "import matplotlib.pyplot as plt\n",  # a third-party package
        "def f():\n    from tqdm import tqdm\n",  # also inside a function
        "from rnncourse.plots import figure_png\n",  # a package module that is not maths
        "from rnncourse.experiments import adding\n",
    ],
)
def test_a_maths_module_importing_beyond_numpy_fails(tmp_path, source):
    fails = broken(tmp_path, masking_py=source)
    assert list(fails) == ["maths"]
    assert all("rnncourse.masking" in p for p in fails["maths"])


def test_a_maths_module_that_does_not_exist_fails(tmp_path):
    write_package(tmp_path, GOOD)
    fails = failing(tmp_path, maths=(*cs.MATHS_MODULES, "rnncourse.nothing"))
    assert fails == {"maths": ["rnncourse.nothing is listed as a maths module but does not exist"]}


def test_the_maths_may_import_each_other_and_type_only_imports_do_not_count(tmp_path):
    source = (
        "from typing import TYPE_CHECKING\n\nfrom rnncourse.rnn import sigmoid\n\n"
        "if TYPE_CHECKING:\n    import matplotlib\n"
    )
    assert broken(tmp_path, masking_py=source) == {}


def test_a_private_helper_of_the_maths_is_held_to_the_same_rule(tmp_path):
    helper = {"masking_py": "from rnncourse._cells import tanh_into\n"}
    assert broken(tmp_path / "a", **helper, _cells_py="import numpy as np\n") == {}
    fails = broken(tmp_path / "b", **helper, _cells_py="import matplotlib\n")
    assert fails == {
        "maths": [
            "rnncourse/_cells.py:1: rnncourse._cells imports matplotlib"
            " (only numpy and the standard library)"
        ]
    }


def test_a_widget_importing_an_experiment_fails(tmp_path):
    fails = broken(tmp_path, widgets__sampling_py="from rnncourse.experiments.adding import init\n")
    assert list(fails) == ["layers"]
    assert fails["layers"] == [
        "rnncourse/widgets/sampling.py:1: rnncourse.widgets.sampling"
        " -> rnncourse.experiments.adding"
    ]


def test_a_grader_reaching_an_experiment_through_another_module_fails(tmp_path):
    fails = broken(
        tmp_path,
        grading__exercises__masked_py="from rnncourse import helpers\n",
        helpers_py="def f():\n    import rnncourse.experiments.adding\n",
    )
    assert list(fails) == ["layers"]
    assert fails["layers"] == [
        "rnncourse/grading/exercises/masked.py:1: rnncourse.grading.exercises.masked"
        " -> rnncourse.helpers -> rnncourse.experiments.adding"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "from rnncourse.rnn import _tanh_into\n",
        "from rnncourse.rnn import sigmoid, _tanh_into as tanh_into\n",
        "from rnncourse import rnn\n\n\ndef f(a, out):\n    return rnn._tanh_into(a, out)\n",
        "import rnncourse.rnn\n\nf = rnncourse.rnn._tanh_into\n",
        "import rnncourse.rnn as r\n\nf = r._tanh_into\n",
    ],
)
def test_importing_another_modules_private_name_fails(tmp_path, source):
    fails = broken(tmp_path, gru_py=source)
    assert list(fails) == ["private"]
    assert all("rnncourse.gru" in p and "_tanh_into" in p for p in fails["private"])


def test_private_modules_and_dunder_names_may_be_imported(tmp_path):
    source = (
        "from rnncourse import __doc__ as doc\nfrom rnncourse.grading import _driver\n"
        "import rnncourse.grading._driver as d\n\nrun = _driver.run\n"
    )
    assert broken(tmp_path, widgets__unroll_py=source) == {}


@pytest.mark.parametrize(
    ("rel", "source", "concept"),
    [
        ("grading/exercises/_gates.py", "def sigmoid(a):\n    return a\n", "sigmoid"),
        ("grading/exercises/rnn_step.py", "def _sigmoid(a):\n    return a\n", "sigmoid"),
        ("gru.py", "def _split(a, n):\n    return a\n", "the gate split"),
        ("widgets/gradients.py", "def _png(fig):\n    return fig\n", "the figure-to-PNG helper"),
        (  # a PNG helper by any other name is found by what it does
            "widgets/unroll.py",
            "def frame(fig, buf):\n    fig.savefig(buf, format='png', dpi=80)\n",
            "the figure-to-PNG helper",
        ),
    ],
)
def test_a_second_definition_fails(tmp_path, rel, source, concept):
    files = {**GOOD, rel: source}
    fails = failing(write_package(tmp_path, files))
    assert list(fails) == ["defined-once"]
    (problem,) = fails["defined-once"]
    assert problem.startswith(f"{concept} is defined in 2 modules") and rel in problem


def test_no_definition_at_all_fails(tmp_path):
    files = {**GOOD, "rnn.py": "def split_gates(a, n):\n    return a\n"}
    fails = failing(write_package(tmp_path, files))
    assert fails == {"defined-once": ["sigmoid is defined in 0 modules, not 1: nowhere"]}


@pytest.mark.parametrize(
    "source",
    [
        "def f(cell):\n    if cell == 'lstm':\n        return 1\n",
        "def f(params):\n    return params['cell'] != 'gru'\n",
        "def f(kind):\n    return kind in ('rnn', 'gru')\n",
        "def f(cfg):\n    match cfg.cell:\n        case 'rnn':\n            return 1\n",
    ],
)
def test_dispatch_on_the_cell_name_outside_the_registry_fails(tmp_path, source):
    fails = broken(tmp_path, torch_interop_py=source)
    assert list(fails) == ["dispatch"]
    assert all(p.startswith("rnncourse/torch_interop.py:") for p in fails["dispatch"])


def test_comparisons_that_name_no_cell_are_no_dispatch(tmp_path):
    source = "def f(task, variant, cell):\n    return task == 'echo' or variant == 'standard' or cell in CELLS\n"
    assert broken(tmp_path, experiments__adding_py=source) == {}


# ------------------------------------------------------------------------ the command line
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.check_structure", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_command_line_passes_a_good_package(tmp_path):
    out = run_cli("--root", str(write_package(tmp_path, GOOD)))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:6]] == [["PASS", key] for key in cs.RULES]
    assert lines[-1] == "structure: 6 of 6 rules pass"


def test_command_line_fails_and_names_the_rule(tmp_path):
    files = {**GOOD, "gru.py": "from rnncourse.rnn import _tanh_into\n"}
    out = run_cli("--root", str(write_package(tmp_path, files)))
    assert out.returncode == 1
    assert "FAIL  private" in out.stdout
    assert "rnncourse/gru.py:1: rnncourse.gru imports _tanh_into from rnncourse.rnn" in out.stdout
    assert out.stdout.splitlines()[-1] == "structure: 5 of 6 rules pass"


# ------------------------------------------------------------------------ the real package
@pytest.fixture(scope="module")
def real() -> dict[str, list[str]]:
    return {r.key: r.problems for r in cs.check(REPO)}


@pytest.mark.parametrize("key", [key for key in cs.RULES if key != "defined-once"])
def test_the_package_keeps_the_rule(real, key):
    assert real[key] == [], "\n".join(real[key])


@pytest.mark.parametrize("concept", list(cs.DEFINED_ONCE))
def test_the_package_defines_it_once(real, concept):
    problems = [p for p in real["defined-once"] if p.startswith(f"{concept} is defined")]
    assert problems == []


def test_every_maths_module_exists_and_is_a_module_of_the_package():
    modules = cs.load(REPO)
    assert all(name in modules for name in cs.MATHS_MODULES)
    assert all(name in modules for name in cs.REGISTRY_MODULES)
