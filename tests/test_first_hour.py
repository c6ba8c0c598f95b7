"""A newcomer's first hour: what the start page, the lessons' last cells and the exercises'
closing cells tell a learner is true, and what they show looks finished.

What only a browser can show (Run All going past a failing check, a widget before and after it
runs, `rnncourse` in JupyterLab's terminal, images, labels) is in tests/test_browser.py.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import nbformat
import numpy as np
import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
START = REPO / "notebooks" / "00_start_here.ipynb"
LESSONS = sorted((REPO / "notebooks").glob("0[1-8]_*.ipynb"))  # the lessons with exercises
EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))


def markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def last_markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"][-1]


# --------------------------------------------------------------------------------------------
# links to work/
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lessons_summary_links_to_the_learners_copy_in_work(path):
    text = last_markdown(path)
    assert "`exercises/" not in text, f"{path.name} sends the learner to exercises/"
    links = re.findall(r"\]\((\.\./work/[^)]+\.ipynb)\)", text)
    assert links, f"{path.name}'s summary has no link to the learner's copy in work/"
    assert all((REPO / "exercises" / Path(link).name).exists() for link in links), links


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_an_exercises_closing_cell_sends_the_learner_to_work(path):
    text = last_markdown(path)
    assert "`exercises/" not in text, f"{path.name} sends the learner to exercises/"
    if "rnncourse progress" in text:  # says where the command works
        assert "terminal of JupyterLab" in text, text


# --------------------------------------------------------------------------------------------
# lesson 00's claims
# --------------------------------------------------------------------------------------------
def test_the_start_page_says_run_all_goes_on_past_a_failing_check():
    text = markdown(START)
    assert not re.search(r"stops \*?\"?Run All", text), "Run All does not stop at a failing check"
    assert "still goes on" in text and "`raises-exception`" in text
    # ... which is true because every exercise's check cell carries the tag
    for path in EXERCISES:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                assert "raises-exception" in cell.metadata.get("tags", []), (path.name, cell.id)


def test_the_start_page_describes_a_passing_and_a_failing_report_as_they_are():
    from rnncourse.grading import CheckFailed, check
    from rnncourse.grading.check import grade_function
    from rnncourse.rnn import rnn_step_forward

    text = markdown(START)
    assert "a passing report is one line" not in text
    assert "a tick and the word *passed*" in text and "a tick for each group of cases" in text
    first, *groups = grade_function(rnn_step_forward).text().splitlines()
    assert first == "✓ rnn_step_forward: passed" and groups
    assert all(line.startswith("  ✓ ") for line in groups), groups

    def wrong(x_t, h_prev, W_xh, W_hh, b_h):
        return x_t @ W_xh.T + h_prev @ W_hh.T + b_h

    assert "one line that names the function" in text
    with pytest.raises(CheckFailed) as info:
        check(wrong, "rnn_step_forward")
    assert len(info.value._render_traceback_()) == 1
    assert "rnn_step_forward" in info.value._render_traceback_()[0]


def test_the_start_page_says_what_an_unrun_widget_shows():
    """A widget's stored output is only its text until the cell runs: the page says so and
    quotes that text, instead of calling it a broken install (tests/test_browser.py shows what
    JupyterLab displays there)."""
    nb = nbformat.read(START, as_version=4)
    text = " ".join(markdown(START).split())
    widget_cells = [
        c for c in nb.cells if c.cell_type == "code" and "IntSlider" in c.source and c.outputs
    ]
    (cell,) = widget_cells
    stored = cell.outputs[0]["data"]["text/plain"]
    assert stored.startswith("VBox(children=")
    assert "`VBox(children=...)`" in text and "Until you run the cell" in text
    assert "Error displaying widget: model not found" in text


def test_the_start_pages_figure_counts_steps_as_its_slider_does():
    nb = nbformat.read(START, as_version=4)
    (figure,) = [c for c in nb.cells if c.cell_type == "code" and "noisy sine" in c.source]
    assert "np.arange(1, x.shape[1] + 1)" in figure.source
    (slider,) = [c for c in nb.cells if c.cell_type == "code" and "IntSlider" in c.source]
    assert "min=1" in slider.source and "h[0, t - 1]" in slider.source


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}


# imported by the start page, installed with a declared dependency rather than declared itself
COMES_WITH = {"ipython": "ipykernel"}


def test_everything_the_start_page_imports_is_installed_by_make_lab():
    """`make lab` installs the runtime dependencies only: the set-up check must not need a test
    tool (it asked for threadpoolctl, which only `make test` installed)."""
    nb = nbformat.read(START, as_version=4)
    modules = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module.split(".")[0])
    declared, dists = _declared(), packages_distributions()
    missing = []
    for module in sorted(modules - set(sys.stdlib_module_names) - {"rnncourse"}):
        names = {d.lower() for d in dists.get(module, [module])}
        if not names & declared and not {COMES_WITH.get(n) for n in names} & declared:
            missing.append(f"{module} ({', '.join(sorted(names))})")
    assert "threadpoolctl" in modules
    assert not missing, f"lesson 00 imports what `make lab` does not install: {missing}"


# --------------------------------------------------------------------------------------------
# a failing check, shown once
# --------------------------------------------------------------------------------------------
@pytest.mark.notebooks
def test_a_failing_check_is_reported_once_in_a_kernel(tmp_path):
    """In a real kernel, a failing check shows its report, then an error box of one line that
    does not repeat it (before, the whole message appeared twice)."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    code = (
        "from rnncourse.grading import check\n"
        "def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):\n"
        "    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h\n"
        "check(rnn_step_forward)"
    )
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["raises-exception"]})
    after = nbformat.v4.new_code_cell("print('the next cell ran')")
    nb.cells = [cell, after]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    report = [o for o in cell.outputs if o.output_type == "display_data"]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    shown = report[0]["data"]["text/plain"] if report else ""
    assert len(report) == 1 and "rnncourse.grading.hint(" in shown  # the symptom, and what next
    assert len(errors) == 1 and len(errors[0].traceback) == 1
    assert "hint(" not in errors[0].traceback[0] and "report above" in errors[0].traceback[0]
    assert after.outputs[0]["text"] == "the next cell ran\n"


# --------------------------------------------------------------------------------------------
# lesson 08's progress bar
# --------------------------------------------------------------------------------------------
def test_a_run_that_stops_when_solved_leaves_its_notebook_bar_full_not_red(monkeypatch):
    pytest.importorskip("ipywidgets")
    from tqdm.notebook import tqdm as notebook_tqdm

    from rnncourse.experiments import adding

    monkeypatch.setattr(adding, "SOLVED_MSE", np.inf)  # "solved" at the first evaluation
    config = adding.AddingConfig(H=4, iters=40, eval_every=5, n_test=8, stop_when_solved=True)
    with notebook_tqdm(total=config.iters, display=False) as bar:
        run = adding.run_adding("gru", T=5, seed=0, config=config, progress=bar.update)
    assert run.solved_at == 0 and run.iters[-1] == 5  # stopped early, at 5 of 40
    widget = bar.container.children[1]
    assert bar.n == bar.total == 5 and widget.max == 5
    assert widget.bar_style == "success", widget.bar_style  # "danger" (red) before


def test_a_bar_for_a_run_that_does_not_stop_early_is_left_alone():
    import io

    from tqdm import tqdm

    from rnncourse.experiments import adding

    config = adding.AddingConfig(H=4, iters=10, eval_every=5, n_test=8, stop_when_solved=False)
    with tqdm(total=config.iters, file=io.StringIO()) as bar:
        adding.run_adding("rnn", T=5, seed=0, config=config, progress=bar.update)
    assert bar.total == 10 and bar.n == 10
