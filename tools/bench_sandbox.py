"""The sandbox's cost: ``rnncourse grade`` of 20 solved lesson-05 notebooks, sandboxed and not.

    python -m tools.bench_sandbox                 # one to three minutes; writes results/grading_sandbox.json
    python -m tools.bench_sandbox --rounds 3 --submissions 20 --workers 2   # the defaults

Both ways are measured side by side in one run, alternating (sandboxed, then ``--no-sandbox``,
then again), on the same submissions with the same limits and workers, so that the ratio is
fair on a shared machine; the file keeps every round's wall time, the best of each way, their
ratio (the sandbox must cost at most 2x), the CPU time of the grader and its kernels beside it
(steadier than wall time on a busy machine), and the machine (CPU flags, BLAS kernel, load).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from tools.machine import describe, summary

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "solutions" / "05_bptt.ipynb"
OUT = REPO / "results" / "grading_sandbox.json"


def _cpu() -> float:
    """CPU seconds of this process (the grader) and of every kernel stopped so far, read from
    /proc just before each is stopped, with the sandbox's processes around it (a sandboxed
    kernel is never waited for by this process, so RUSAGE_CHILDREN would miss it)."""
    from rnncourse.grading.kernel import Kernel

    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime + Kernel.cpu_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from rnncourse.grading.batch import grade_many
    from rnncourse.grading.sandbox import probe

    ok, why = probe()
    if not ok:
        print(f"no sandbox here: {why}")
        return 1
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        shutil.copy(NOTEBOOK, source / NOTEBOOK.name)
        paths = []
        for i in range(args.submissions):
            folder = Path(tmp) / f"student{i:02d}"
            folder.mkdir()
            shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
            paths.append(folder / NOTEBOOK.name)
        grade_many(paths[:1], source, sandbox=True, similar=False)  # warm the caches
        for r in range(args.rounds):
            for sandboxed in (True, False):
                start, cpu0 = time.perf_counter(), _cpu()
                entries = grade_many(
                    paths, source, workers=args.workers, sandbox=sandboxed,
                    students=[p.parent.name for p in paths], similar=False,
                )  # fmt: skip
                wall, used = time.perf_counter() - start, _cpu() - cpu0
                full = sum(e["total"] == e["max"] > 0 for e in entries)
                if full != len(entries):
                    print(f"only {full} of {len(entries)} solved copies got full marks")
                    return 1
                rounds.append(
                    {"round": r, "sandbox": sandboxed, "seconds": round(wall, 3),
                     "cpu_seconds": round(used, 3)}
                )  # fmt: skip
                print(
                    f"round {r}: {'sandbox   ' if sandboxed else 'no sandbox'} {wall:6.2f} s wall,"
                    f" {used:6.2f} s CPU (grader and kernels)"
                )
    best = {s: min(x["seconds"] for x in rounds if x["sandbox"] is s) for s in (True, False)}
    best_cpu = {
        s: min(x["cpu_seconds"] for x in rounds if x["sandbox"] is s) for s in (True, False)
    }
    result = {
        "what": f"rnncourse grade of {args.submissions} solved copies of solutions/05_bptt.ipynb, "
        f"{args.workers} workers, sandboxed and --no-sandbox, alternating",
        "command": "python -m tools.bench_sandbox",
        "rounds": rounds,
        "best_seconds": {"sandbox": best[True], "no_sandbox": best[False]},
        "per_submission_seconds": {
            "sandbox": round(best[True] / args.submissions, 3),
            "no_sandbox": round(best[False] / args.submissions, 3),
        },
        "ratio": round(best[True] / best[False], 3),
        "best_cpu_seconds": {"sandbox": best_cpu[True], "no_sandbox": best_cpu[False]},
        "cpu_ratio": round(best_cpu[True] / best_cpu[False], 3),
        "machine": describe(),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(summary(result["machine"]))
    print(
        f"best of {args.rounds}: sandbox {best[True]:.2f} s, no sandbox {best[False]:.2f} s, "
        f"ratio {result['ratio']:.2f} (at most 2 allowed); CPU ratio {result['cpu_ratio']:.2f}"
        f" -> {args.out}"
    )
    return 0 if result["ratio"] <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
