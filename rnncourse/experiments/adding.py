"""The adding problem: can a recurrent cell carry two numbers across T steps?

Task (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015 and Arjovsky et al. 2016):
values uniform in [0, 1], one marker in each half of a length-T sequence, predict the sum of the
two marked values (``rnncourse.tasks.adding_problem``). Always predicting the mean, 1.0, gives
MSE = 1/6 ~ 0.167, the *baseline*; a run is *solved* when its test MSE falls below 0.01.

One run = one (cell, T, seed): a many-to-one model (cell -> last hidden state -> one linear
output), Adam, gradient clipping by the global norm, a fresh training batch every iteration
and a fixed test set, all drawn from generators derived from ``seed``:

    init, train data, test data = np.random.SeedSequence(seed).spawn(3)

so the three cells trained with the same seed see exactly the same batches and test set.

    run_adding(cell, T, seed, config) -> AddingRun     # one learning curve
    run_grid(cells, Ts, seeds, config) -> list[dict]   # the table, one row per run

From the command line (writes a CSV, a JSON with the learning curves, and a figure):

    python -m rnncourse.experiments.adding --T 50 100 200 --seeds 0 1 2 \\
        --out results/adding_grid.csv --jobs 2

(those are the defaults: ``python -m rnncourse.experiments.adding --jobs 2`` is the same).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rnncourse._environ import ONE_BLAS_THREAD, temporary_environ
from rnncourse.bars import end_progress_early
from rnncourse.cells import get_cell
from rnncourse.models import init_model, model_forward, model_loss
from rnncourse.optim import Adam, clip_grad_norm
from rnncourse.tasks import adding_problem

__all__ = [
    "BASELINE_MSE",
    "SOLVED_MSE",
    "AddingConfig",
    "AddingRun",
    "end_progress_early",
    "grid_summary",
    "parse_row",
    "run_row",
    "initial_params",
    "load_grid",
    "marker_blind_mse",
    "marker_blind_prediction",
    "plot_curves",
    "plot_grid",
    "run_adding",
    "run_grid",
    "held_out_batch",
]

BASELINE_MSE = 1.0 / 6.0  # predict the mean sum, 1.0: MSE = 2 Var(U[0, 1]) = 1/6
SOLVED_MSE = 0.01


@dataclass(frozen=True)
class AddingConfig:
    """Settings shared by every run. The defaults are the committed grid's settings
    (``results/adding_grid.json``): at most 3000 iterations, each run stopped when solved."""

    H: int = 16  # hidden size, the same for every cell
    batch: int = 32  # sequences per training batch (a fresh batch every iteration)
    lr: float = 1e-2  # Adam learning rate
    clip: float = 1.0  # global-norm gradient clipping
    iters: int = 3000  # maximum training iterations
    eval_every: int = 50  # test MSE measured every this many iterations
    n_test: int = 500  # test sequences (fixed per seed)
    forget_bias: float | None = 1.0  # LSTM forget-gate bias (Jozefowicz et al. 2015)
    stop_when_solved: bool = True  # end the run at the first test MSE < SOLVED_MSE
    dtype: str = "float64"


@dataclass
class AddingRun:
    """One learning curve: the test MSE at ``iters[k]`` is ``test_mse[k]``."""

    cell: str
    T: int
    seed: int
    iters: list[int] = field(default_factory=list)
    test_mse: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # every iteration
    solved_at: int | None = None  # first evaluated iteration with test MSE < SOLVED_MSE
    n_params: int = 0
    params: dict = field(default_factory=dict, repr=False)  # the trained model

    @property
    def final_mse(self) -> float:
        return self.test_mse[-1]

    @property
    def best_mse(self) -> float:
        return min(self.test_mse)


def _cell_kw(cell: str, config: AddingConfig) -> dict:
    """The init options of ``config`` that this cell takes (``forget_bias``: the LSTM's)."""
    if config.forget_bias is not None and "forget_bias" in get_cell(cell).init_options:
        return {"forget_bias": config.forget_bias}
    return {}


def initial_params(
    cell: str, seed: int, config: AddingConfig | None = None, init_options: dict | None = None
) -> dict:
    """The untrained model a run with this cell and seed starts from; ``init_options`` go to
    the cell's ``init`` too (e.g. ``{"recurrent": "identity"}``, lesson 10's initialisations).

    >>> p = initial_params("lstm", 0, AddingConfig(H=4))
    >>> p["W_ih"].shape, p["b"][4:8].tolist()   # forget-gate bias 1
    ((16, 2), [1.0, 1.0, 1.0, 1.0])
    """
    config = config or AddingConfig()
    init_ss = np.random.SeedSequence(seed).spawn(3)[0]
    return init_model(
        cell,
        D=2,
        H=config.H,
        K=1,
        rng=np.random.default_rng(init_ss),
        dtype=np.dtype(config.dtype).type,
        **_cell_kw(cell, config),
        **(init_options or {}),
    )


def held_out_batch(T: int, seed: int, config: AddingConfig | None = None):
    """The fixed test set of the run with this T and seed, ``(x (n_test, T, 2), y (n_test,))``:
    the same sequences ``run_adding`` measures its test MSE on.

    >>> x, y = held_out_batch(6, 0, AddingConfig(n_test=3))
    >>> x.shape, y.shape
    ((3, 6, 2), (3,))
    """
    config = config or AddingConfig()
    test_ss = np.random.SeedSequence(seed).spawn(3)[2]
    dtype = np.dtype(config.dtype).type
    return adding_problem(config.n_test, T, np.random.default_rng(test_ss), dtype=dtype)


def marker_blind_prediction(x: np.ndarray) -> np.ndarray:
    """The best prediction without the markers: the mean value of each half, added, (N,).

    The first marker is equally likely at every step of the first half, whatever the values,
    so the expected first marked value given the values is the first half's mean; the same
    for the second. Their sum is the conditional mean of the target, the least-squares best.
    """
    half = x.shape[1] // 2
    return x[:, :half, 0].mean(axis=1) + x[:, half:, 0].mean(axis=1)


def marker_blind_mse(T: int) -> float:
    """Expected MSE of ``marker_blind_prediction``: (1/12) ((n1 - 1)/n1 + (n2 - 1)/n2) for halves
    of n1 = T // 2 and n2 = T - n1 steps, (1/6)(1 - 2/T) for even T; below 1/6 by 1/(3T).

    >>> round(marker_blind_mse(50), 6), round(marker_blind_mse(2), 6)
    (0.16, 0.0)
    """
    n1, n2 = T // 2, T - T // 2
    return ((n1 - 1) / n1 + (n2 - 1) / n2) / 12.0


def evaluation_mse(params: dict, cell: str, x: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of the model's predictions on (x, y), the held-out test batch."""
    pred, _ = model_forward(params, x, cell=cell, task="many-to-one")
    return float(np.mean((pred[:, 0] - y) ** 2))


def run_adding(
    cell: str,
    T: int,
    seed: int,
    config: AddingConfig | None = None,
    *,
    progress: object = None,
    init_options: dict | None = None,
) -> AddingRun:
    """Train one model on the adding problem and record its learning curve.

    Args:
        cell: "rnn", "lstm" or "gru" (``rnncourse.models.CELLS``).
        T: sequence length.
        seed: seeds the initialisation, the training batches and the test set.
        config: settings; ``AddingConfig()`` by default.
        progress: optional callable ``progress(n)`` called after every n iterations
            (e.g. a tqdm bar's ``update``). When the run stops early because it solved the task,
            a tqdm bar's total shrinks by the iterations not run (`end_progress_early`), so the
            bar ends full, not short (a notebook bar that ends short turns red, tqdm's sign of
            an error).
        init_options: extra options of the cell's ``init`` (``initial_params``).

    Returns:
        an ``AddingRun``; the test MSE is measured at iteration 0 and every ``eval_every``.

    >>> run = run_adding("rnn", T=6, seed=0, config=AddingConfig(H=4, iters=4, eval_every=2,
    ...                                                          n_test=8))
    >>> run.iters, len(run.train_loss)
    ([0, 2, 4], 4)
    """
    config = config or AddingConfig()
    dtype = np.dtype(config.dtype).type
    _, train_ss, _ = np.random.SeedSequence(seed).spawn(3)
    train_rng = np.random.default_rng(train_ss)
    x_test, y_test = held_out_batch(T, seed, config)

    params = initial_params(cell, seed, config, init_options)
    run = AddingRun(
        cell=cell, T=T, seed=seed, n_params=int(sum(p.size for p in params.values())), params=params
    )
    opt = Adam(lr=config.lr)

    def evaluate(i: int) -> None:
        mse = evaluation_mse(params, cell, x_test, y_test)
        run.iters.append(i)
        run.test_mse.append(mse)
        if run.solved_at is None and mse < SOLVED_MSE:
            run.solved_at = i

    evaluate(0)
    for i in range(1, config.iters + 1):
        x, y = adding_problem(config.batch, T, train_rng, dtype=dtype)
        loss, grads = model_loss(params, x, y[:, None], cell=cell, task="many-to-one", loss="mse")
        grads, _ = clip_grad_norm(grads, config.clip)
        opt.step(params, grads)
        run.train_loss.append(float(loss))
        if i % config.eval_every == 0 or i == config.iters:
            evaluate(i)
            if progress is not None:
                progress(config.eval_every)
            if config.stop_when_solved and run.solved_at is not None:
                end_progress_early(progress, config.iters - i)
                break
    return run


def _grid_run(cell: str, T: int, seed: int, config: AddingConfig) -> tuple[dict, AddingRun]:
    """One run of the grid and its table row (a module-level function, so a worker process of
    ``run_grid(..., jobs=n)`` can run it)."""
    t0 = time.perf_counter()
    run = run_adding(cell, T, seed, config)
    return run_row({"cell": cell, "T": T, "seed": seed}, run, time.perf_counter() - t0), run


def run_row(labels: dict, run: AddingRun, seconds: float, *, n_params: bool = True) -> dict:
    """A run's row of a results table: ``labels`` (e.g. cell, T, seed), then solved, solved_at
    (empty when unsolved), final_mse, best_mse, iters_run, n_params (unless told not to) and
    seconds. :func:`parse_row` reads it back from the CSV."""
    row = {
        **labels,
        "solved": run.solved_at is not None,
        "solved_at": run.solved_at if run.solved_at is not None else "",
        "final_mse": round(run.final_mse, 6),
        "best_mse": round(run.best_mse, 6),
        "iters_run": run.iters[-1],
    }
    if n_params:
        row["n_params"] = run.n_params
    row["seconds"] = round(seconds, 1)
    return row


_COLUMN_TYPES = {
    "T": int,
    "seed": int,
    "solved": lambda v: v == "True",
    "solved_at": lambda v: int(v) if v else None,
    "final_mse": float,
    "best_mse": float,
    "iters_run": int,
    "n_params": int,
    "seconds": float,
}


def parse_row(r: dict) -> dict:
    """A CSV row of :func:`run_row` with its numbers parsed (``solved_at`` None when unsolved);
    label columns such as ``cell`` or ``arm`` stay strings."""
    return {k: _COLUMN_TYPES.get(k, str)(v) for k, v in r.items()}


def run_grid(
    cells: Sequence[str],
    Ts: Sequence[int],
    seeds: Sequence[int],
    config: AddingConfig | None = None,
    *,
    log: object = None,
    done: dict | None = None,
    jobs: int = 0,
) -> tuple[list[dict], list[AddingRun]]:
    """Every (T, cell, seed) run; returns (table rows, runs), in that order. ``log(row, run)`` is
    called after each run (in the order they finish). ``done``: {(cell, T, seed): (row, run)}
    already computed (``--resume``); those are reused, not rerun.

    ``jobs``: 0 runs everything here, one run after another; n >= 1 runs n at once, each in a
    fresh worker process with one BLAS thread. Every run depends only on its seed and the
    arithmetic: with one BLAS thread the results do not depend on n. (A BLAS that splits a
    product over several threads may round differently, and over thousands of Adam steps the
    curves drift apart in the later digits, which is why the command line always uses workers.)

    A row: cell, T, seed, solved (bool), solved_at (iterations, or empty), final_mse, best_mse,
    iters_run, n_params, seconds (wall clock, for the record; not used by the lessons).
    """
    config = config or AddingConfig()
    done = dict(done or {})
    keys = [(cell, T, seed) for T in Ts for cell in cells for seed in seeds]
    todo = [k for k in keys if k not in done]
    results = {k: done[k] for k in keys if k in done}

    def finished(key: tuple, result: tuple[dict, AddingRun]) -> None:
        results[key] = result
        if log is not None:
            log(*result)

    if jobs <= 0 or not todo:
        for key in todo:
            finished(key, _grid_run(*key, config))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # the workers, started below, inherit one BLAS thread
        with temporary_environ(ONE_BLAS_THREAD):
            context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked BLAS
            with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=context) as pool:
                futures = {pool.submit(_grid_run, *key, config): key for key in todo}
                for future in as_completed(futures):
                    finished(futures[future], future.result())
    rows = [results[k][0] for k in keys]
    runs = [results[k][1] for k in keys]
    return rows, runs


def load_grid(path: str | Path) -> list[dict]:
    """Read a grid CSV written by this module; numbers are parsed, ``solved_at`` may be None."""
    with open(path, newline="") as f:
        return [parse_row(r) for r in csv.DictReader(f)]


def grid_summary(rows: Sequence[dict]) -> str:
    """A text table: per (T, cell), how many seeds solved and the iterations they needed.

    >>> print(grid_summary([{"cell": "lstm", "T": 50, "seed": 0, "solved_at": 850,
    ...                      "final_mse": 0.009, "iters_run": 850}]))
        T  cell   solved  iterations to solve   final test MSE
       50  LSTM   1 of 1  850                   0.0090
    """
    lines = ["    T  cell   solved  iterations to solve   final test MSE"]
    for T in sorted({r["T"] for r in rows}):
        for cell in _CELL_STYLE:
            sel = sorted(
                (r for r in rows if r["T"] == T and r["cell"] == cell), key=lambda r: r["seed"]
            )
            if not sel:
                continue
            solved = [r["solved_at"] for r in sel if r["solved_at"] not in (None, "")]
            its = ", ".join(str(s) for s in solved) if solved else "-"
            mse = ", ".join(f"{r['final_mse']:.4f}" for r in sel)
            name = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[cell]
            lines.append(f"{T:5d}  {name:<5}  {len(solved)} of {len(sel)}  {its:<20}  {mse}")
    return "\n".join(lines)


_CELL_STYLE = {
    "rnn": ("vanilla RNN", "vermillion"),
    "lstm": ("LSTM", "blue"),
    "gru": ("GRU", "green"),
}


def plot_curves(runs: Sequence[AddingRun], *, title: str | None = None) -> object:
    """Test MSE against iteration for several runs on one plot (log scale), with the 1/6
    baseline and the 0.01 "solved" line. Returns a Figure."""
    from rnncourse.plots import PALETTE, new_figure, style_axes

    fig, ax = new_figure()
    seen = set()
    for run in runs:
        name, colour = _CELL_STYLE.get(run.cell, (run.cell, "black"))
        label = name if run.cell not in seen else None
        seen.add(run.cell)
        ax.plot(run.iters, run.test_mse, color=PALETTE[colour], lw=1.8, label=label)
    ax.axhline(BASELINE_MSE, color=PALETTE["grey"], ls="--", lw=1.2, label="predict the mean (1/6)")
    ax.axhline(SOLVED_MSE, color=PALETTE["black"], ls=":", lw=1.2, label="solved (0.01)")
    ax.set_yscale("log")
    T = sorted({r.T for r in runs})
    style_axes(
        ax,
        title=title or f"Adding problem, T = {', '.join(map(str, T))}",
        xlabel="training iteration",
        ylabel="test MSE (log scale)",
    )
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return fig


def plot_grid(rows: Sequence[dict], *, max_iters: int | None = None) -> object:
    """Iterations to solve for every (T, cell, seed) of a grid; unsolved runs drawn at the top
    as hollow markers. Returns a Figure."""
    from rnncourse.plots import PALETTE, new_figure, style_axes

    fig, ax = new_figure()
    cells = [c for c in _CELL_STYLE if any(r["cell"] == c for r in rows)]
    Ts = sorted({r["T"] for r in rows})
    top = max_iters or max(r["iters_run"] for r in rows)
    for k, cell in enumerate(cells):
        name, colour = _CELL_STYLE[cell]
        for j, T in enumerate(Ts):
            sel = [r for r in rows if r["cell"] == cell and r["T"] == T]
            for s, r in enumerate(sel):
                x = j + (k - (len(cells) - 1) / 2) * 0.25 + (s - (len(sel) - 1) / 2) * 0.05
                solved = r["solved_at"] not in (None, "")
                ax.plot(
                    x,
                    r["solved_at"] if solved else top,
                    "o",
                    ms=7,
                    color=PALETTE[colour],
                    mfc=PALETTE[colour] if solved else "white",
                    label=name if (j == 0 and s == 0) else None,
                )
    ax.axhline(top, color=PALETTE["grey"], ls="--", lw=1, label=f"not solved in {top} iterations")
    ax.set_xticks(range(len(Ts)), [f"T = {T}" for T in Ts])
    ax.set_xlim(-0.6, len(Ts) - 0.4)
    ax.set_ylim(0, top * 1.08)
    style_axes(
        ax,
        title="Adding problem: iterations to reach test MSE < 0.01",
        xlabel="sequence length",
        ylabel="iterations",
        legend=True,
    )
    return fig


def _load_done(out: Path, config: AddingConfig) -> dict:
    """The runs an earlier invocation wrote to ``out`` (CSV rows + JSON curves), keyed by
    (cell, T, seed); refuses to mix runs made with other settings."""
    meta = json.loads(out.with_suffix(".json").read_text())
    if meta["config"] != asdict(config):
        raise SystemExit(f"--resume: {out} was made with other settings: {meta['config']}")
    with open(out, newline="") as f:
        raw = list(csv.DictReader(f))
    done = {}
    for r, c in zip(raw, meta["runs"], strict=True):
        row = {k: v for k, v in r.items()}
        for k in ("T", "seed", "iters_run", "n_params"):
            row[k] = int(row[k])
        for k in ("final_mse", "best_mse", "seconds"):
            row[k] = float(row[k])
        row["solved"] = row["solved"] == "True"
        row["solved_at"] = int(row["solved_at"]) if row["solved_at"] else ""
        run = AddingRun(
            cell=c["cell"],
            T=c["T"],
            seed=c["seed"],
            iters=c["iters"],
            test_mse=c["test_mse"],
            solved_at=c["solved_at"],
            n_params=row["n_params"],
        )
        done[run.cell, run.T, run.seed] = (row, run)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m rnncourse.experiments.adding",
        description="Train RNN, LSTM and GRU on the adding problem over a grid of T and seeds.",
    )
    ap.add_argument("--T", type=int, nargs="+", default=[50, 100, 200])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--cells", nargs="+", default=["rnn", "lstm", "gru"])
    ap.add_argument(
        "--iters", type=int, default=AddingConfig.iters, help="maximum iterations per run"
    )
    ap.add_argument("--H", type=int, default=AddingConfig.H)
    ap.add_argument("--batch", type=int, default=AddingConfig.batch)
    ap.add_argument("--lr", type=float, default=AddingConfig.lr)
    ap.add_argument("--eval-every", type=int, default=AddingConfig.eval_every)
    ap.add_argument(
        "--keep-going",
        action="store_true",
        help="train every run for --iters iterations (default: stop when solved)",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs at once (default 1), each in a worker process with one BLAS thread; use your"
        " number of cores. The results do not depend on it",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="reuse the runs already in --out (same settings required) and run only the rest",
    )
    ap.add_argument(
        "--out",
        default="results/adding_grid.csv",
        help="CSV path; a .json (settings + curves) and a .png are written beside it",
    )
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be 1 or more, not {args.jobs}")

    config = AddingConfig(
        H=args.H,
        batch=args.batch,
        lr=args.lr,
        iters=args.iters,
        eval_every=args.eval_every,
        stop_when_solved=not args.keep_going,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    command = "python -m rnncourse.experiments.adding " + " ".join(
        sys.argv[1:] if argv is None else argv
    )

    def write(rows: list[dict], runs: list[AddingRun], complete: bool) -> None:
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        meta = {
            "command": command,
            "complete": complete,
            # runs of this grid taken over from an earlier, stopped invocation (--resume)
            "reused_runs": sum(
                (c, T, s) in done for T in args.T for c in args.cells for s in args.seeds
            ),
            "config": asdict(config),
            "cells": args.cells,
            "T": args.T,
            "seeds": args.seeds,
            "baseline_mse": BASELINE_MSE,
            "solved_mse": SOLVED_MSE,
            "runs": [
                {
                    "cell": r.cell,
                    "T": r.T,
                    "seed": r.seed,
                    "iters": r.iters,
                    "test_mse": [round(v, 6) for v in r.test_mse],
                    "solved_at": r.solved_at,
                }
                for r in runs
            ],
        }
        out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")

    done = _load_done(out, config) if args.resume and out.exists() else {}
    rows_so_far: list[dict] = []
    runs_so_far: list[AddingRun] = []

    def log(row: dict, run: AddingRun) -> None:
        print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        rows_so_far.append(row)
        runs_so_far.append(run)
        write(rows_so_far, runs_so_far, complete=False)  # partial results survive a stop

    rows, runs = run_grid(
        args.cells, args.T, args.seeds, config, log=log, done=done, jobs=args.jobs
    )
    write(rows, runs, complete=True)
    fig = plot_grid(rows, max_iters=args.iters)
    fig.savefig(out.with_suffix(".png"), dpi=100)
    print(f"wrote {out}, {out.with_suffix('.json')}, {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
