"""Benchmark: the package's RNN, LSTM and GRU against torch.nn.RNN/LSTM/GRU (issue 9).

    python -m tools.bench_layers                 # everything (several minutes on a busy machine)
    python -m tools.bench_layers --quick         # fewer runs, a rough look
    python -m tools.bench_layers --cells lstm --dtypes float32 --sizes 4   # a part

Forward + backward of one batch, same weights (loaded with rnncourse.torch_interop), float64
and float32, both on ONE BLAS thread (threadpoolctl and torch.set_num_threads(1)). Our run
and torch's run alternate (and which goes first alternates too), so a burst of load from
another process slows both; each figure is the median of the process's CPU time (on a
shared machine, wall-clock time is mostly waiting for a core). Also measured: the LSTM's achieved
GFLOP/s at the largest size against plain GEMMs of the same shapes, and the per-step overhead
at N = D = H = 1. The machine (``tools.machine``: CPU model, AVX2 / AVX-512, BLAS kernels) is
printed first and stored with the figures. Results go to results/bench/results.json;
results/bench/RESULTS.md and results/bench/results.png are regenerated from it. A part run
replaces only the entries it measured.

If OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set, the program re-runs itself without them (only
its own process: forcing OpenBLAS's core type was measured to slow the small GEMMs of these
layers, so the figures would not be the ones learners get), and says so.
torch is needed (a test dependency); the package itself never imports it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from rnncourse.gradcheck import rel_error
from rnncourse.gru import gru_backward, gru_forward
from rnncourse.lstm import lstm_backward, lstm_forward
from rnncourse.rnn import rnn_backward, rnn_forward
from rnncourse.torch_interop import from_torch
from tools import bench_report as report
from tools import machine

_FORCED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def rerun_without_forced_openblas() -> None:
    """Replace this process by the same command without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE."""
    if any(k in os.environ for k in _FORCED) and "RNNCOURSE_BENCH_UNSET" not in os.environ:
        env = {k: v for k, v in os.environ.items() if k not in _FORCED}
        env["RNNCOURSE_BENCH_UNSET"] = ", ".join(
            f"{k}={os.environ[k]}" for k in _FORCED if k in os.environ
        )
        argv = [sys.executable, "-m", "tools.bench_layers", *sys.argv[1:]]
        os.execve(sys.executable, argv, env)


def _torch():
    """torch, imported when the benchmark runs (so that this module imports without it)."""
    try:
        import torch
    except ImportError:  # a clear message, not a traceback
        sys.exit(
            "tools.bench_layers compares against PyTorch: pip install torch==2.13.0 (CPU build)"
        )
    return torch


def torch_problem(torch, cell: str, dtype: str, N: int, T: int, D: int, H: int, seed: int = 0):
    """One benchmark problem: a torch module, its parameters in the package's layout (``p``), the
    same inputs and upstream gradient for both sides (numpy ``x, h0, c0, dh``, torch ``xt, h0t,
    c0t, dht, state``), and ``theirs()``, torch's forward + backward on them."""
    torch.manual_seed(seed)
    module = getattr(torch.nn, cell.upper())(D, H, batch_first=True, dtype=getattr(torch, dtype))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    h0 = (0.5 * rng.normal(size=(N, H))).astype(dtype)
    c0 = (0.5 * rng.normal(size=(N, H))).astype(dtype)
    dh = rng.normal(size=(N, T, H)).astype(dtype)
    xt = torch.from_numpy(x).requires_grad_()
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_()
    c0t = torch.from_numpy(c0[None].copy()).requires_grad_()
    state = (h0t, c0t) if cell == "lstm" else h0t
    leaves = [xt, h0t, c0t, *module.parameters()]
    dht = torch.from_numpy(dh)

    def theirs():
        for leaf in leaves:
            leaf.grad = None
        out, _ = module(xt, state)
        out.backward(dht)
        return out

    return SimpleNamespace(
        module=module,
        p=from_torch(module),
        x=x,
        h0=h0,
        c0=c0,
        dh=dh,
        xt=xt,
        h0t=h0t,
        theirs=theirs,
    )


def make_case(cell: str, dtype: str, N: int, T: int, D: int, H: int, seed: int = 0):
    """(ours, theirs, check): two zero-argument runs of forward + backward, and a checker."""
    case = torch_problem(_torch(), cell, dtype, N, T, D, H, seed)
    module, p, x, h0, c0, dh = case.module, case.p, case.x, case.h0, case.c0, case.dh
    xt, h0t, theirs = case.xt, case.h0t, case.theirs

    if cell == "rnn":

        def ours():
            h = rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
            return h, rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])

    elif cell == "lstm":

        def ours():
            h, c = lstm_forward(x, h0, c0, p["W_ih"], p["W_hh"], p["b"])
            return h, lstm_backward(dh, x, h0, c0, h, c, p["W_ih"], p["W_hh"], p["b"])

    else:

        def ours():
            h = gru_forward(x, h0, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
            grads = gru_backward(dh, x, h0, h, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
            return h, grads

    def check() -> float:
        """Largest relative error of h, dx, dh0, dW_ih, dW_hh against torch."""
        h, grads = ours()
        out = theirs()
        dx, dh0, *rest = grads
        dW_ih, dW_hh = (
            rest[-4:-2] if cell == "gru" else (rest[-3:-1] if cell == "rnn" else rest[1:3])
        )
        pairs = [
            (h, out),
            (dx, xt.grad),
            (dh0, h0t.grad[0]),
            (dW_ih, module.weight_ih_l0.grad),
            (dW_hh, module.weight_hh_l0.grad),
        ]
        return max(
            rel_error(np.asarray(a, np.float64), b.detach().double().numpy()) for a, b in pairs
        )

    return ours, theirs, check


# The clock is the process's CPU time: both sides run on one thread in this process, so it
# counts their own work and not the time spent waiting for a core that another process holds
# (on a shared 2-core machine under load, wall-clock time is mostly waiting).
clock = time.process_time


def side_by_side(
    a: Callable[[], object], b: Callable[[], object], *, runs: int, budget: float
) -> tuple[list[float], list[float]]:
    """Alternate a and b (a first, then b first, ...) at least `runs` times, more while the
    time spent is under `budget` seconds (at most 4 * runs). Returns the two lists of times."""
    ta, tb = [], []
    start = clock()
    k = 0
    while k < runs or (clock() - start < budget and k < 4 * runs):
        order = ((a, ta), (b, tb)) if k % 2 == 0 else ((b, tb), (a, ta))
        for fn, times in order:
            t0 = clock()
            fn()
            times.append(clock() - t0)
        k += 1
    return ta, tb


def bench_layers(cells, dtypes, sizes, runs: int, budget: float) -> dict:
    out = {}
    for dtype in dtypes:
        for cell in cells:
            for size in sizes:
                ours, theirs, check = make_case(cell, dtype, *size)
                err = check()  # also the warm-up
                n = runs if size != report.SIZES[-1] else max(3, runs // 2)
                ta, tb = side_by_side(ours, theirs, runs=n, budget=budget)
                e = {
                    "ours_ms": 1e3 * statistics.median(ta),
                    "torch_ms": 1e3 * statistics.median(tb),
                    "runs": len(ta),
                    "max_rel_error": err,
                    "when": report.stamp(),
                }
                # The figure: the median of the ratios of runs made back to back (a burst of load
                # hits both runs of a pair); the ratio of the two medians is kept beside it.
                e["ratio"] = e["ours_ms"] / e["torch_ms"]
                e["pair_ratio"] = statistics.median(x / y for x, y in zip(ta, tb, strict=True))
                limit, stretch = report.ratio_targets(cell, dtype, size)
                ok = "ok" if e["pair_ratio"] <= limit else "MISS"
                print(
                    f"{cell.upper():4s} {dtype}  {size!s:20s} ours {e['ours_ms']:9.2f} ms  "
                    f"torch {e['torch_ms']:9.2f} ms  ratio {e['pair_ratio']:5.2f} (of medians {e['ratio']:4.2f})"
                    f"  target {limit:.1f} {ok:4s}  err {err:.0e}  runs {len(ta)}",
                    flush=True,
                )
                out[f"{cell}/{dtype}/{report.size_key(size)}"] = e
    return out


def lstm_gemm_share(dtype: str, runs: int) -> dict:
    """The LSTM at the largest size against plain GEMMs of the shapes it multiplies."""
    N, T, D, H = report.SIZES[-1]
    ours, theirs, _ = make_case("lstm", dtype, N, T, D, H)
    rng = np.random.default_rng(1)

    def mat(*shape):
        return rng.normal(size=shape).astype(dtype)

    # The products lstm_forward and lstm_backward compute, with their shapes:
    X, XH, DA = mat(T * N, D), mat(T * N, D + H), mat(T * N, 4 * H)
    W_ihT, WT, W_hhT, W_hh, W_ih = (
        mat(D, 4 * H),
        mat(D + H, 4 * H),
        mat(H, 4 * H),
        mat(4 * H, H),
        mat(4 * H, D),
    )
    h, g, dg, dhn = mat(N, H), mat(N, 4 * H), mat(N, 4 * H), mat(N, H)

    def gemms():
        _ = X @ W_ihT  # forward: input projections of all steps
        for _t in range(T):
            np.matmul(h, W_hhT, out=g)  # forward: recurrent product, per step
        _ = XH @ WT  # backward: every pre-activation recomputed
        for _t in range(T):
            np.matmul(dg, W_hh, out=dhn)  # backward: dh_prev = da @ W_hh, per step
        _ = DA @ W_ih  # dx
        _ = DA.T @ XH  # dW_ih and dW_hh together

    flop_fwd = 2.0 * T * N * 4 * H * (D + H)  # one forward's worth of products
    executed = 4 * flop_fwd  # forward, recompute, (dx + dh), dW
    useful = 3 * flop_fwd
    gemms()
    ta, tg = side_by_side(ours, gemms, runs=runs, budget=0)
    tt = []
    for _ in range(max(1, runs // 2)):
        t0 = clock()
        theirs()
        tt.append(clock() - t0)
    t_ours, t_gemm, t_torch = (statistics.median(v) for v in (ta, tg, tt))
    e = {
        "gflop_executed": executed / 1e9,
        "achieved_gflops": executed / t_ours / 1e9,
        "ceiling_gflops": executed / t_gemm / 1e9,
        "share": t_gemm / t_ours,
        "useful_gflops": useful / t_ours / 1e9,
        "torch_useful_gflops": useful / t_torch / 1e9,
        "runs": len(ta),
        "when": report.stamp(),
    }
    print(
        f"LSTM {dtype} {report.SIZES[-1]}: {e['achieved_gflops']:.1f} GFLOP/s of a "
        f"{e['ceiling_gflops']:.1f} GFLOP/s GEMM ceiling = {e['share']:.0%} "
        f"(useful work: ours {e['useful_gflops']:.1f}, torch {e['torch_useful_gflops']:.1f} GFLOP/s)",
        flush=True,
    )
    return e


def per_step(cells, runs: int) -> dict:
    """µs per time step at N = D = H = 1, float64: the slope between T = 50 and T = 1050."""
    out = {}
    T0, T1 = 50, 1050
    for cell in cells:
        short = make_case(cell, "float64", 1, T0, 1, 1)
        long = make_case(cell, "float64", 1, T1, 1, 1)
        for case in (short, long):
            case[0](), case[1]()
        so, st = side_by_side(short[0], short[1], runs=runs, budget=0)
        lo, lt = side_by_side(long[0], long[1], runs=runs, budget=0)
        ours = (statistics.median(lo) - statistics.median(so)) / (T1 - T0) * 1e6
        theirs = (statistics.median(lt) - statistics.median(st)) / (T1 - T0) * 1e6
        t, s = report.PER_STEP_TARGETS[cell]
        print(
            f"{cell.upper():4s} per step (N=D=H=1, float64): ours {ours:6.1f} µs  torch {theirs:6.1f} µs"
            f"  target {t:.0f} {'ok' if ours <= t else 'MISS'}  stretch {s:.0f} {'ok' if ours <= s else 'miss'}",
            flush=True,
        )
        out[cell] = {"ours_us": ours, "torch_us": theirs, "when": report.stamp()}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="rnn,lstm,gru")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--sizes", default="1,2,3,4,5", help="which of the five sizes, 1-based")
    ap.add_argument("--runs", type=int, default=7, help="side-by-side pairs per figure (at least)")
    ap.add_argument(
        "--budget", type=float, default=3.0, help="s per figure: more pairs while under it"
    )
    ap.add_argument("--quick", action="store_true", help="3 pairs per figure")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: layers,share,steps")
    args = ap.parse_args(argv)
    rerun_without_forced_openblas()
    runs, budget = (3, 0.0) if args.quick else (args.runs, args.budget)
    cells = [c for c in args.cells.split(",") if c]
    dtypes = [d for d in args.dtypes.split(",") if d]
    sizes = [report.SIZES[int(k) - 1] for k in args.sizes.split(",") if k]
    skip = set(args.skip.split(","))

    torch = _torch()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        m = machine.describe()
        m["load"] = machine.load_text()
        if "RNNCOURSE_BENCH_UNSET" in os.environ:
            print(f"re-ran without {os.environ['RNNCOURSE_BENCH_UNSET']} (benchmark process only)")
        print(f"machine: {machine.summary(m)}; load average {m['load']}")
        print(f"torch {m['torch']} ({torch.get_num_threads()} thread)")
        for info in threadpool_info():
            print(
                "  threadpool:",
                {
                    k: info.get(k)
                    for k in ("internal_api", "version", "architecture", "num_threads", "filepath")
                },
            )
        report.save({"machine": m})
        if "layers" not in skip:
            report.save({"layers": bench_layers(cells, dtypes, sizes, runs, budget)})
        if "share" not in skip and "lstm" in cells and report.SIZES[-1] in sizes:
            report.save({"gemm_share": {d: lstm_gemm_share(d, max(3, runs // 2)) for d in dtypes}})
        if "steps" not in skip:
            report.save({"per_step": per_step(cells, runs=max(runs, 5))})
    report.print_summary(report.load())
    report.write_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
