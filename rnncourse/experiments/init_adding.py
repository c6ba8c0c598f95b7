"""Initialisation as a remedy: the tanh RNN, an orthogonal W_hh, and the identity-initialised ReLU
RNN (Le, Jaitly & Hinton, 2015) on the adding problem, lesson 10.

    python -m rnncourse.experiments.init_adding        # about 10 minutes on one core

Four variants of the vanilla RNN, the grid's settings otherwise (``AddingConfig()``: H = 16,
Adam lr 0.01, clip 1, batches of 32, at most 3000 iterations, stopped when solved):

    tanh                 "rnn", PyTorch's uniform initialisation: the committed grid's RNN
                         (``results/adding_grid.csv``, the same settings and seeds; not run
                         again unless ``--variants`` names it)
    tanh, orthogonal     "rnn" with W_hh a random orthogonal matrix (every singular value 1)
    relu                 "rnn-relu", PyTorch's uniform initialisation (``--variants relu``)
    relu, identity       "rnn-relu" with W_hh = I and b_h = 0: the IRNN

at T = 50, 100, 200 and seeds 0, 1, 2. Writes ``results/init_adding.csv`` (one row per run) and
``results/init_adding.json`` (the command, the settings and every learning curve).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import asdict
from pathlib import Path

from rnncourse.experiments.adding import AddingConfig, run_adding

RESULTS = Path(__file__).resolve().parents[2] / "results"
VARIANTS = {
    "tanh": ("rnn", {}),
    "tanh, orthogonal": ("rnn", {"recurrent": "orthogonal"}),
    "relu": ("rnn-relu", {}),
    "relu, identity": ("rnn-relu", {"recurrent": "identity"}),
}
DEFAULT = ("tanh, orthogonal", "relu, identity")  # what the command runs (one core, ~8 min)
TS = (50, 100, 200)
SEEDS = (0, 1, 2)
FIELDS = [
    "variant",
    "cell",
    "T",
    "seed",
    "solved",
    "solved_at",
    "final_mse",
    "best_mse",
    "iters_run",
]


def main(argv: list[str] | None = None) -> None:
    from tqdm.auto import tqdm  # a bar on stderr for every run

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, nargs="+", default=list(TS))
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--variants", nargs="+", default=list(DEFAULT), choices=list(VARIANTS))
    ap.add_argument("--out", type=Path, default=RESULTS / "init_adding.csv")
    args = ap.parse_args(argv)
    config = AddingConfig()
    rows, curves = [], []
    for T in args.T:
        for name in args.variants:
            cell, options = VARIANTS[name]
            for seed in args.seeds:
                t0 = time.perf_counter()
                bar = tqdm(total=config.iters, desc=f"{name} T={T} seed={seed}", leave=False)
                run = run_adding(cell, T, seed, config, init_options=options, progress=bar.update)
                bar.close()  # a run that solved the task early ends full (end_progress_early)
                row = {
                    "variant": name,
                    "cell": cell,
                    "T": T,
                    "seed": seed,
                    "solved": run.solved_at is not None,
                    "solved_at": run.solved_at if run.solved_at is not None else "",
                    "final_mse": round(run.final_mse, 6),
                    "best_mse": round(run.best_mse, 6),
                    "iters_run": run.iters[-1],
                }
                rows.append(row)
                curves.append({"variant": name, "T": T, "seed": seed, "iters": run.iters,
                               "test_mse": [round(m, 6) for m in run.test_mse]})  # fmt: skip
                print(f"{name:17s} T={T:3d} seed={seed}: solved at {row['solved_at'] or '-':>5} "
                      f"best MSE {row['best_mse']:.4f}  ({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    with args.out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    meta = {
        "command": "python -m rnncourse.experiments.init_adding "
        + " ".join(["--T", *map(str, args.T), "--seeds", *map(str, args.seeds)]),
        "variants_run": args.variants,
        "config": asdict(config),
        "variants": {k: {"cell": c, "init_options": o} for k, (c, o) in VARIANTS.items()},
        "curves": curves,
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
