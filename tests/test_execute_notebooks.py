"""tools.execute_notebooks: how lessons and solutions are executed before they are committed."""

from __future__ import annotations

import nbformat
import pytest

from tools import execute_notebooks

pytestmark = pytest.mark.notebooks


def _executor():
    return execute_notebooks


WIDGETS = """\
import ipywidgets as widgets
from IPython.display import display

out = widgets.Output()
display(out)
with out:
    print("inside an Output widget")


@widgets.interact(k=(0, 3))
def square(k=2):
    print(f"k squared is {k * k}")
"""


def test_widgets_execute_and_leave_no_state_behind(tmp_path):
    # nbclient crashes on Output widgets (and so on `interact`) unless it tracks widget state;
    # the state is still dropped, so that a re-run gives the same file
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WIDGETS), nbformat.v4.new_code_cell("print(6 * 7)")]
    path = tmp_path / "widgets.ipynb"
    nbformat.write(nb, path)
    _executor().execute(path, timeout=120)
    first = path.read_text()
    done = nbformat.read(path, as_version=4)
    assert "widgets" not in done.metadata
    assert [c.id for c in done.cells] == ["c000", "c001"]
    assert done.cells[1].outputs[0]["text"] == "42\n"
    views = [o for o in done.cells[0].outputs if o.output_type == "display_data"]
    assert len(views) == 2 and all(
        "application/vnd.jupyter.widget-view+json" in o.data for o in views
    )
    _executor().execute(path, timeout=120)
    rerun = path.read_text()
    strip = lambda text: [ln for ln in text.splitlines() if "model_id" not in ln]  # noqa: E731
    assert strip(rerun) == strip(first), "a re-run changed more than the widgets' random ids"


def test_run_notebook_times_the_run_with_the_one_timer(tmp_path):
    """Wall time (kernel start to the last cell) and the kernel's own CPU time; a sleeping cell
    adds to the first only. A run that raises can still be timed through the timer passed in."""
    from tools.notebook_timer import NotebookTimer

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("total = sum(i * i for i in range(2_000_000))"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.5)"),
    ]
    took = execute_notebooks.run_notebook(nb, tmp_path, timeout=120)
    assert took.cpu is not None, "the kernel's CPU time could not be read"
    assert 0.05 < took.cpu < took.wall and took.wall >= 0.5
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('stop')"))
    timer = NotebookTimer()
    with pytest.raises(Exception, match="stop"):
        execute_notebooks.run_notebook(nb, tmp_path, timeout=120, timer=timer)
    assert timer.result().wall >= 0.5 and timer.result().cpu is not None
