"""Does a forget-gate bias of 1 help the LSTM learn the adding problem? An ablation.

The idea of starting the forget gate open is Gers, Schmidhuber & Cummins (2000); Jozefowicz,
Zaremba & Sutskever (2015) measured it on many tasks and recommend a bias of 1. Here it is
measured on lesson 7's own experiment, the adding problem of ``rnncourse.experiments.adding``,
at the committed grid's settings (``AddingConfig()``: H 16, batch 32, Adam 0.01, clip 1, at
most 3000 iterations, solved at test MSE < 0.01), with one thing changed between the two arms:

    default:  every LSTM bias drawn as PyTorch draws it (the sum of two U[-1/sqrt(H), 1/sqrt(H)])
    bias 1:   the same draw, then the forget-gate block b[H:2H] set to 1.0

Both arms of a seed start from the same weights (the draws are identical, only b[H:2H] is
overwritten), see the same training batches and are measured on the same test set.

    python -m rnncourse.experiments.forget_bias --T 50 100 200 --seeds 0 1 2 3 4 --jobs 2

writes ``results/forget_bias.csv`` (one row per run, the columns of the adding grid plus
``arm``) and ``results/forget_bias.json`` (the command, the settings and every learning curve).
Rows are written as runs finish, so a stopped run keeps what it finished; ``--resume``
continues it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from rnncourse._environ import ONE_BLAS_THREAD, temporary_environ
from rnncourse.experiments.adding import AddingConfig, parse_row, run_adding, run_row

__all__ = ["ARMS", "arm_config", "load_ablation", "run_one", "summary"]

ARMS = {"default": None, "bias 1": 1.0}  # arm name -> forget_bias given to init_lstm


def arm_config(arm: str, base: AddingConfig | None = None) -> AddingConfig:
    """The committed grid's settings with this arm's forget-gate bias (None: PyTorch's draw).

    >>> arm_config("default").forget_bias is None, arm_config("bias 1").forget_bias
    (True, 1.0)
    """
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {sorted(ARMS)}, not {arm!r}")
    return replace(base or AddingConfig(), forget_bias=ARMS[arm])


def run_one(arm: str, T: int, seed: int, base: AddingConfig | None = None) -> tuple[dict, dict]:
    """One LSTM run of the ablation: its table row and its learning curve."""
    t0 = time.perf_counter()
    run = run_adding("lstm", T, seed, arm_config(arm, base))
    labels = {"arm": arm, "T": T, "seed": seed}
    row = run_row(labels, run, time.perf_counter() - t0, n_params=False)
    curve = {
        "arm": arm,
        "T": T,
        "seed": seed,
        "iters": run.iters,
        "test_mse": [round(v, 6) for v in run.test_mse],
        "solved_at": run.solved_at,
    }
    return row, curve


def load_ablation(path: str | Path) -> list[dict]:
    """Read the CSV written by this module; numbers parsed, ``solved_at`` None when unsolved."""
    with open(path, newline="") as f:
        return [parse_row(r) for r in csv.DictReader(f)]


def summary(rows: Sequence[dict]) -> str:
    """Per (T, arm): seeds solved and the iterations each seed needed ("-" = not solved).

    >>> print(summary([{"arm": "bias 1", "T": 50, "seed": 0, "solved_at": 850},
    ...                {"arm": "bias 1", "T": 50, "seed": 1, "solved_at": None}]))
        T  forget-gate bias  solved  iterations to solve, seed by seed
       50  bias 1            1 of 2  850, -
    """
    lines = ["    T  forget-gate bias  solved  iterations to solve, seed by seed"]
    for T in sorted({r["T"] for r in rows}):
        for arm in ARMS:
            sel = sorted(
                (r for r in rows if r["T"] == T and r["arm"] == arm), key=lambda r: r["seed"]
            )
            if not sel:
                continue
            its = [r["solved_at"] for r in sel]
            n = sum(s is not None for s in its)
            text = ", ".join("-" if s is None else str(s) for s in its)
            lines.append(f"{T:5d}  {arm:<16}  {n} of {len(sel)}  {text}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m rnncourse.experiments.forget_bias",
        description="LSTM on the adding problem: PyTorch's bias draw against a forget-gate bias of 1.",
    )
    ap.add_argument("--T", type=int, nargs="+", default=[50, 100, 200])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument(
        "--iters", type=int, default=AddingConfig.iters, help="maximum iterations per run"
    )
    ap.add_argument("--jobs", type=int, default=1, help="runs at once, one BLAS thread each")
    ap.add_argument("--resume", action="store_true", help="keep the runs already in --out")
    ap.add_argument("--out", default="results/forget_bias.csv")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be 1 or more, not {args.jobs}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    base = AddingConfig(iters=args.iters)
    command = "python -m rnncourse.experiments.forget_bias " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    # shortest runs first, both arms of a seed side by side: a stopped run keeps whole pairs
    keys = [(arm, T, s) for T in args.T for s in args.seeds for arm in ARMS]
    results: dict[tuple, tuple[dict, dict]] = {}
    if args.resume and out.exists():
        meta = json.loads(out.with_suffix(".json").read_text())
        if meta["config"] != asdict(base):
            raise SystemExit(f"--resume: {out} was made with other settings")
        for row, curve in zip(load_ablation(out), meta["runs"], strict=True):
            row["solved_at"] = "" if row["solved_at"] is None else row["solved_at"]
            results[row["arm"], row["T"], row["seed"]] = (row, curve)

    def write(complete: bool) -> None:
        done = [k for k in keys if k in results]
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(results[done[0]][0]))
            w.writeheader()
            w.writerows(results[k][0] for k in done)
        meta = {
            "command": command,
            "complete": complete,
            "config": asdict(base),
            "arms": {arm: {"forget_bias": fb} for arm, fb in ARMS.items()},
            "T": args.T,
            "seeds": args.seeds,
            "runs": [results[k][1] for k in done],
        }
        out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")

    todo = [k for k in keys if k not in results]
    if todo:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with temporary_environ(ONE_BLAS_THREAD):
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(min(args.jobs, len(todo)), mp_context=context) as pool:
                futures = {pool.submit(run_one, *k, base): k for k in todo}
                for future in as_completed(futures):
                    row, curve = future.result()
                    results[futures[future]] = (row, curve)
                    print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
                    write(complete=False)
    write(complete=True)
    print(summary(load_ablation(out)))
    print(f"wrote {out}, {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
