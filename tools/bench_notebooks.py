"""Benchmark: how long `import rnncourse` and every notebook take, against the course's budgets.

    python -m tools.bench_notebooks                       # notebooks/, solutions/, exercises/
    python -m tools.bench_notebooks notebooks/07_lstm.ipynb

Each notebook runs top to bottom in a fresh kernel started in its own folder, exactly as
``tools.execute_notebooks`` runs it (same kernel environment: one BLAS thread, fixed hash seed),
one after another, and is NEVER written back: the files are only read. Exercise notebooks
run with errors allowed (their checks fail on the stubs by design). Each run is timed by the
one notebook timer (``tools.notebook_timer``), as the test command's budget table times it:
wall-clock time from kernel start to the last cell, and beside it the kernel's own CPU time,
which shows what the notebook costs when the machine is busy with other work. The budgets
(``tools.budgets``) are keyed on each notebook's lesson id. Results go to
results/bench/results.json (the "notebooks" section); results/bench/RESULTS.md and
results/bench/results.png are regenerated.

First it times a fresh `python -c "import rnncourse"` (CPU time of the process, interpreter start
included, best of 9), then `from rnncourse import *` (every name loaded, numpy with them) and
`import numpy` alone (the "import" section).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from pathlib import Path

import nbformat

from tools import bench_report as report
from tools import execute_notebooks, machine
from tools.budgets import IMPORT_BUDGET, TOTAL_BUDGET, TOTAL_GOAL, budget_for
from tools.notebook_timer import NotebookTime, NotebookTimer

ROOT = Path(__file__).resolve().parents[1]


def run_one(path: Path, timeout: int) -> tuple[NotebookTime, str]:
    """Execute a copy of the notebook in memory; (its time, status). The file is not written."""
    nb = nbformat.read(path, as_version=4)
    execute_notebooks.normalise(nb, clear=True)
    timer = NotebookTimer()
    status = "ok"
    try:
        execute_notebooks.run_notebook(
            nb,
            path.parent,
            timeout=timeout,
            allow_errors=path.parent.name == "exercises",
            timer=timer,
        )
    except Exception as exc:  # report and go on with the next notebook
        status = f"failed: {type(exc).__name__}"
    return timer.result(), status


def import_cpu_seconds(statement: str, repeats: int = 9) -> float:
    """Best CPU time (user + system) of a fresh `python -c "<statement>"` over ``repeats``
    runs, after one warm-up run that writes the .pyc files, as a learner's second import finds."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best = float("inf")
    for i in range(repeats + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", statement], check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if i:
            best = min(best, cpu)
    return best


def bench_import() -> dict:
    """`import rnncourse` (the names load on first use), the whole maths loaded, numpy alone."""
    bare = import_cpu_seconds("import rnncourse")
    maths = import_cpu_seconds("from rnncourse import *")
    numpy_only = import_cpu_seconds("import numpy")
    print(
        f"{bare:7.3f} s  import rnncourse (budget {IMPORT_BUDGET} s); with every name loaded"
        f" {maths:.3f} s, numpy alone {numpy_only:.3f} s",
        flush=True,
    )
    return {
        "rnncourse": bare,
        "all_names": maths,
        "numpy": numpy_only,
        "budget": IMPORT_BUDGET,
        "when": report.stamp(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, help="default: every notebook of the course")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell limit, seconds")
    args = ap.parse_args(argv)
    paths = args.paths or [
        p
        for folder in ("notebooks", "solutions", "exercises")
        for p in sorted((ROOT / folder).glob("*.ipynb"))
    ]
    report.save({"import": bench_import()})
    described = machine.describe()  # before the runs: the load average at the start
    load = machine.load_text()
    items = {}
    for path in paths:
        path = path.resolve()
        rel = str(path.relative_to(ROOT))
        before = path.stat().st_mtime_ns
        took, status = run_one(path, args.timeout)
        seconds, cpu = took.wall, took.cpu
        assert path.stat().st_mtime_ns == before, f"{rel} was modified"
        budget = budget_for(rel)
        mark = (
            ""
            if budget is None
            else ("within" if seconds <= budget else f"OVER by {seconds - budget:.1f} s")
        )
        cpu_s = "?" if cpu is None else f"{cpu:.1f}"
        print(
            f"{seconds:7.1f} s (kernel CPU {cpu_s} s)  {rel:40s} budget {budget or '-'}  {mark}  {status}",
            flush=True,
        )
        items[rel] = {"seconds": seconds, "cpu": cpu, "budget": budget, "status": status}
    total = sum(e["seconds"] for e in items.values())
    cpu_total = sum(e["cpu"] or 0.0 for e in items.values())
    print(
        f"{total:7.1f} s (kernel CPU {cpu_total:.1f} s)  total ({len(items)} notebooks;"
        f" budget {TOTAL_BUDGET:.0f} s, goal {TOTAL_GOAL:.0f} s)"
    )
    if not args.paths:  # a full run replaces the whole section
        nbs = {"items": items, "total": total, "cpu_total": cpu_total}
        report.save(
            {"notebooks": {**nbs, "when": report.stamp(), "load": load, "machine": described}}
        )
    else:
        data = report.load().get("notebooks", {"items": {}, "load": load})
        data["items"].update(items)
        data["total"] = sum(e["seconds"] for e in data["items"].values())
        data["cpu_total"] = sum(e.get("cpu") or 0.0 for e in data["items"].values())
        data["when"] = report.stamp() + " (partly re-run)"
        data["machine"] = described
        report.save({"notebooks": data})
    report.print_summary(report.load())
    report.write_report()
    return 0 if all(e["status"] == "ok" for e in items.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
