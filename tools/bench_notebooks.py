"""Benchmark: how long `import rnncourse` and every notebook take, against the contract's budgets.

    python bench/bench_notebooks.py                       # notebooks/, solutions/, exercises/
    python bench/bench_notebooks.py notebooks/07_lstm.ipynb

Each notebook runs top to bottom in a fresh kernel started in its own folder, exactly as
tools/execute_notebooks.py runs it (same kernel environment: one BLAS thread, fixed hash seed),
one after another, and is NEVER written back: the files are only read. Exercise notebooks
run with errors allowed (their checks fail on the stubs by design). The time is wall-clock
from kernel start to the last cell, as the test suite's budget check measures it; beside it,
the kernel's own CPU time (read by one extra cell appended to the in-memory copy), which shows
what the notebook costs when the machine is busy with other work. Results go
to bench/results.json (the "notebooks" section); bench/RESULTS.md and bench/results.png are
regenerated.

First it times a fresh `python -c "import rnncourse"` (CPU time of the process, interpreter start
included, best of 9), then `from rnncourse import *` (every name loaded, numpy with them) and
`import numpy` alone (the "import" section).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_report as report  # noqa: E402


def _tool(name: str):
    """tools/<name>.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _executor():
    """tools/execute_notebooks.py (its kernel environment and normalisation)."""
    return _tool("execute_notebooks")


budget_for = _tool("budgets").budget_for  # the contract's rule, shared with the test command


# Appended to the in-memory copy: the kernel's own CPU time (its process and children), a
# figure that another process's load does not inflate the way it inflates wall-clock time.
CPU_CELL = (
    "import os as _os\n"
    "_t = _os.times()\n"
    "print('RNNCOURSE_BENCH_CPU', _t.user + _t.system + _t.children_user + _t.children_system)"
)


def _kernel_cpu(nb: nbformat.NotebookNode) -> float | None:
    for out in nb.cells[-1].get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith("RNNCOURSE_BENCH_CPU"):
                return float(line.split()[1])
    return None


def run_one(path: Path, ex, timeout: int) -> tuple[float, float | None, str]:
    """Execute a copy of the notebook in memory; (wall seconds, kernel CPU seconds, status).

    The file is not written."""
    nb = nbformat.read(path, as_version=4)
    ex.normalise(nb, clear=True)
    nb.cells.append(nbformat.v4.new_code_cell(CPU_CELL))
    status = "ok"
    start = time.perf_counter()
    try:
        ex.run_notebook(
            nb, path.parent, timeout=timeout, allow_errors=path.parent.name == "exercises"
        )
    except Exception as exc:  # report and go on with the next notebook
        status = f"failed: {type(exc).__name__}"
    return time.perf_counter() - start, _kernel_cpu(nb), status


IMPORT_BUDGET = 0.3  # seconds, CONTRACT.md


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
    ex = _executor()
    load = (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if Path("/proc/loadavg").exists()
        else "?"
    )
    items = {}
    for path in paths:
        path = path.resolve()
        rel = str(path.relative_to(ROOT))
        before = path.stat().st_mtime_ns
        seconds, cpu, status = run_one(path, ex, args.timeout)
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
        f"{total:7.1f} s (kernel CPU {cpu_total:.1f} s)  total ({len(items)} notebooks; contract 300 s, stretch 180 s)"
    )
    if not args.paths:  # a full run replaces the whole section
        nbs = {"items": items, "total": total, "cpu_total": cpu_total}
        report.save({"notebooks": {**nbs, "when": report.stamp(), "load": load}})
    else:
        data = report.load().get("notebooks", {"items": {}, "load": load})
        data["items"].update(items)
        data["total"] = sum(e["seconds"] for e in data["items"].values())
        data["cpu_total"] = sum(e.get("cpu") or 0.0 for e in data["items"].values())
        data["when"] = report.stamp() + " (partly re-run)"
        report.save({"notebooks": data})
    report.print_summary(report.load())
    report.write_report()
    return 0 if all(e["status"] == "ok" for e in items.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
