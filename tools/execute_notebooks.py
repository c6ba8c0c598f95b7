"""Execute notebooks in place, the way they are committed: outputs stored, nothing machine-specific.

    python -m tools.execute_notebooks notebooks/02_hidden_state.ipynb solutions/*.ipynb

Each notebook runs top to bottom in a fresh kernel started in the notebook's own folder, with
one BLAS thread and a fixed hash seed. Cell ids are renumbered deterministically, execution
timings are not recorded, widget state is dropped, so that a re-run of unchanged code gives
an unchanged file. The time each notebook took is printed (not stored), measured by the one
notebook timer (``tools.notebook_timer``).

``run_notebook`` is the one way the maintainers' programs run a notebook: this one, the benchmark
(``tools.bench_notebooks``) and the timetable (``tools.measure_runtimes``).

Exercise notebooks (``exercises/``) are committed *without* outputs: use
``--clear`` for those, or regenerate them with the exercise generator.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from rnncourse._environ import ONE_BLAS_THREAD, temporary_environ
from tools.notebook_timer import NotebookTime, NotebookTimer

KERNEL_ENV = {
    **ONE_BLAS_THREAD,
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "RNNCOURSE_EXECUTING": "1",
}


def normalise(nb: nbformat.NotebookNode, *, clear: bool = False) -> nbformat.NotebookNode:
    """Deterministic cell ids, no per-run metadata; optionally no outputs at all."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and clear:
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nb.metadata.setdefault(
        "kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"}
    )
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    lang = nb.metadata.setdefault("language_info", {})
    for key in (
        "version",
        "pygments_lexer",
        "codemirror_mode",
        "nbconvert_exporter",
        "mimetype",
        "file_extension",
    ):
        lang.pop(key, None)
    lang["name"] = "python"
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def run_notebook(
    nb: nbformat.NotebookNode,
    folder: Path,
    *,
    timeout: int = 600,
    allow_errors: bool = False,
    timer: NotebookTimer | None = None,
) -> NotebookTime:
    """Run every cell of ``nb`` (in memory, outputs stored in it) in a fresh kernel started in
    ``folder`` with the course's kernel environment; return how long it took (kernel start to
    the last cell: wall time, and the kernel's CPU time). Pass a ``timer`` to read the time of
    a run that raised (``timer.result()``)."""
    timer = NotebookTimer() if timer is None else timer
    with temporary_environ(KERNEL_ENV):
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder.resolve())}},
            record_timing=False,
            # True even though normalise() drops the state: nbclient needs it to route Output
            # widgets (`interact`), and raises a KeyError without it
            store_widget_state=True,
            allow_errors=allow_errors,
        )
        # read the clocks after every cell, while the kernel still runs
        client.on_cell_executed = lambda **_: timer.mark(client.km)
        client.execute()
        return timer.result()


def execute(path: Path, timeout: int = 600) -> NotebookTime:
    """Execute the notebook at ``path`` and write it back, normalised; return its time."""
    nb = nbformat.read(path, as_version=4)
    normalise(nb, clear=True)
    elapsed = run_notebook(nb, path.parent, timeout=timeout)
    normalise(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--clear", action="store_true", help="store no outputs (exercises)")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell limit, seconds")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        if args.clear:
            nb = nbformat.read(path, as_version=4)
            nbformat.write(normalise(nb, clear=True), path)
            print(f"cleared  {path}")
            continue
        try:
            elapsed = execute(path, timeout=args.timeout)
        except Exception as exc:  # report and go on with the next notebook
            print(f"FAILED   {path}: {type(exc).__name__}: {str(exc)[-2000:]}", file=sys.stderr)
            status = 1
            continue
        cpu = "?" if elapsed.cpu is None else f"{elapsed.cpu:.1f}"
        print(f"{elapsed.wall:7.1f} s (kernel CPU {cpu} s)  {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
