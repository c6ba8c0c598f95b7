"""Old kernels against new, side by side in one run, each as a ratio against torch.

    python tools/bench_kernels_old_new.py                   # the old kernels of commit a419b5e
    python tools/bench_kernels_old_new.py --old REV --runs 9 --cells lstm --dtypes float32

For a change to ``rnncourse/rnn.py``, ``lstm.py`` or ``gru.py`` that must not slow them down.
The cell modules of ``--old`` (a git revision) are written to a temporary package
``rnncourse_old`` and imported beside the working tree's ``rnncourse``. For each cell, dtype and
size of the layer benchmark, forward + backward of one batch runs three ways -- old, new and
``torch.nn.RNN/LSTM/GRU`` with the same weights -- one after the other, in every order in turn,
on ONE BLAS thread (threadpoolctl, ``torch.set_num_threads(1)``), timed as the process's CPU
time. Each figure is the median over repeats of the paired ratios old/torch and new/torch (a
burst of load from another process hits the runs of one repeat alike); "change" is new/torch
over old/torch - 1, and "new/old" the median of the paired new/old times - 1 (the same
question without torch's noise). "same" is the largest relative difference between the old and
the new results (0 when the arithmetic is unchanged). Also the per-step overhead at
N = D = H = 1 (the slope between T = 50 and T = 1050), and the CPU flags and BLAS kernel,
without which a figure means little. torch is needed (a test dependency); the package itself never imports it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from tools.bench_layers import torch_problem

# The sizes (N, T, D, H) of the layer benchmark (bench_layers.py).
SIZES = [
    (1, 25, 65, 100),
    (32, 50, 10, 64),
    (64, 100, 2, 128),
    (32, 100, 64, 256),
    (128, 200, 128, 512),
]
CELLS = ("rnn", "lstm", "gru")
MODULES = ("rnn", "lstm", "gru")
SHARED = ("_cells",)  # shared helpers, where the revision has them
clock = time.process_time  # both sides run on one thread in this process: CPU time is theirs
REPO = Path(__file__).resolve().parent.parent


def load_old(rev: str) -> dict[str, object]:
    """The cell modules of git revision ``rev``, imported as the package ``rnncourse_old``."""
    root = Path(tempfile.mkdtemp(prefix="rnncourse_old_")) / "rnncourse_old"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name in SHARED + MODULES:
        show = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:rnncourse/{name}.py"],
            capture_output=True,
            text=True,
        )
        if show.returncode != 0 and name in SHARED:
            continue
        show.check_returncode()
        src = show.stdout
        for other in SHARED + MODULES:  # the old modules import each other, not the new ones
            src = src.replace(
                f"from rnncourse.{other} import", f"from rnncourse_old.{other} import"
            )
        (root / f"{name}.py").write_text(src)
    spec = importlib.util.spec_from_file_location(
        "rnncourse_old", root / "__init__.py", submodule_search_locations=[str(root)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules["rnncourse_old"] = package
    spec.loader.exec_module(package)
    return {name: importlib.import_module(f"rnncourse_old.{name}") for name in MODULES}


def load_new() -> dict[str, object]:
    return {name: importlib.import_module(f"rnncourse.{name}") for name in MODULES}


def make_case(torch, mods_old, mods_new, cell, dtype, N, T, D, H, seed=0):
    """(old, new, theirs): zero-argument runs of forward + backward on the same data."""
    case = torch_problem(torch, cell, dtype, N, T, D, H, seed)  # the layer benchmark's problem
    p, x, h0, c0, dh = case.p, case.x, case.h0, case.c0, case.dh

    def ours(mods):
        m = mods[cell]
        if cell == "rnn":

            def run():
                h = m.rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
                return (h, *m.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"]))

        elif cell == "lstm":

            def run():
                h, c = m.lstm_forward(x, h0, c0, p["W_ih"], p["W_hh"], p["b"])
                return (h, *m.lstm_backward(dh, x, h0, c0, h, c, p["W_ih"], p["W_hh"], p["b"]))

        else:

            def run():
                h = m.gru_forward(x, h0, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
                args = (p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
                return (h, *m.gru_backward(dh, x, h0, h, *args))

        return run

    return ours(mods_old), ours(mods_new), case.theirs


def rotate(fns, runs: int, budget: float = 0.0) -> list[list[float]]:
    """Run every fn at least `runs` times, in turn; more while under `budget` s (at most 20 *
    runs). Returns the times per fn.

    Repeat k runs them in the k-th of all their orders (cyclically), so that each runs first,
    last and after each of the others equally often: a plain rotation would always run one of
    them right after the same other one (e.g. after torch, whose caches it then finds cold).
    """
    orders = list(itertools.permutations(range(len(fns))))
    times = [[] for _ in fns]
    start, k = clock(), 0
    while k < runs or (clock() - start < budget and k < 20 * runs):
        for i in orders[k % len(orders)]:
            t0 = clock()
            fns[i]()
            times[i].append(clock() - t0)
        k += 1
    return times


def max_difference(a_outs, b_outs) -> float:
    """Largest norm-wise relative difference between two tuples of arrays."""
    worst = 0.0
    for a, b in zip(a_outs, b_outs, strict=True):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        worst = max(worst, float(np.linalg.norm(a - b) / max(1e-300, np.linalg.norm(b))))
    return worst


def machine() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (ln.split(":", 1)[1].strip() for ln in text.splitlines() if "model name" in ln), "?"
    )
    flags = next((ln for ln in text.splitlines() if ln.startswith("flags")), "").split()
    simd = [f for f in ("avx2", "avx512f", "avx512bw", "avx512vl", "fma") if f in flags]
    blas = [
        f"{i.get('internal_api')} {i.get('version')}, {i.get('architecture')} kernels, "
        f"{i.get('num_threads')} thread(s)"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else "?"
    return (
        f"CPU: {model}; flags: {' '.join(simd) or 'no AVX2'}\n"
        f"BLAS: {'; '.join(blas)}; numpy {np.__version__}; load average {' '.join(load)}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default="a419b5e", help="git revision of the old kernels")
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--sizes", default="1,2,3,4,5", help="which of the five sizes, 1-based")
    ap.add_argument("--runs", type=int, default=12, help="repeats per figure (6 at the largest)")
    ap.add_argument(
        "--budget", type=float, default=6.0, help="s of CPU per figure: more repeats while under"
    )
    ap.add_argument("--no-steps", action="store_true", help="skip the per-step overhead")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("this compares against PyTorch: pip install torch (CPU build)")
    mods_old, mods_new = load_old(args.old), load_new()
    cells = [c for c in args.cells.split(",") if c]
    dtypes = [d for d in args.dtypes.split(",") if d]
    sizes = [SIZES[int(k) - 1] for k in args.sizes.split(",") if k]
    torch.set_num_threads(1)
    worst = 0.0
    with threadpool_limits(limits=1):
        print(machine())
        print(f"torch {torch.__version__} ({torch.get_num_threads()} thread); old = {args.old}")
        print(
            f"{'cell':4s} {'dtype':7s} {'(N, T, D, H)':20s} {'torch ms':>9s} {'old ms':>8s} "
            f"{'new ms':>8s} {'old/torch':>9s} {'new/torch':>9s} {'change':>7s} {'new/old':>7s}  same  runs"
        )
        for dtype in dtypes:
            for cell in cells:
                for size in sizes:
                    old, new, theirs = make_case(torch, mods_old, mods_new, cell, dtype, *size)
                    diff = max_difference(new(), old())  # also the warm-up
                    theirs()
                    runs = args.runs if size != SIZES[-1] else max(3, args.runs // 2)
                    t_old, t_new, t_torch = rotate([old, new, theirs], runs, args.budget)
                    r_old = statistics.median(a / b for a, b in zip(t_old, t_torch, strict=True))
                    r_new = statistics.median(a / b for a, b in zip(t_new, t_torch, strict=True))
                    change = r_new / r_old - 1.0
                    direct = statistics.median(a / b for a, b in zip(t_new, t_old, strict=True))
                    worst = max(worst, change)
                    med = [1e3 * statistics.median(t) for t in (t_torch, t_old, t_new)]
                    print(
                        f"{cell:4s} {dtype:7s} {size!s:20s} {med[0]:9.2f} {med[1]:8.2f} "
                        f"{med[2]:8.2f} {r_old:9.3f} {r_new:9.3f} {change:+7.1%} {direct - 1:+7.1%}"
                        f"  {diff:.0e} {len(t_new):5d}",
                        flush=True,
                    )
        if not args.no_steps:
            print("per-step overhead, N = D = H = 1, float64 (slope from T = 50 to 1050), µs:")
            for cell in cells:
                short = make_case(torch, mods_old, mods_new, cell, "float64", 1, 50, 1, 1)
                long = make_case(torch, mods_old, mods_new, cell, "float64", 1, 1050, 1, 1)
                for fn in (*short, *long):
                    fn()
                runs = max(args.runs, 12)
                s_times = [statistics.median(t) for t in rotate(list(short), runs, args.budget)]
                l_times = [statistics.median(t) for t in rotate(list(long), runs, args.budget)]
                slopes = ((b - a) / 1000 * 1e6 for a, b in zip(s_times, l_times, strict=True))
                old_us, new_us, torch_us = slopes
                print(
                    f"  {cell:4s} old {old_us:6.2f}  new {new_us:6.2f}  torch {torch_us:6.2f}  "
                    f"change {new_us / old_us - 1:+.1%}",
                    flush=True,
                )
    print(f"worst change of a ratio against torch: {worst:+.1%} (the bar: +5.0%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
