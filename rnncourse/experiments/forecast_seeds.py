"""The CO2 forecaster over many seeds: how much of "GRU against AR(24)" is the seed?

Lesson 9 trains one GRU forecaster (``forecast.ForecastConfig()``, seed 0) and compares it with
the linear AR(24) model, which has no seed (least squares has one answer). A single training run
says little: the seed picks the initial weights and the training windows. This command trains
the same forecaster, with every setting unchanged, for each seed and records its errors on the
held-out ten years beside the AR model's:

    python -m rnncourse.experiments.forecast_seeds --seeds 0 1 2 3 4 5 6 7 8 9

writes ``results/forecast_seeds.json``: the command, the settings, the AR(24) errors and, per
seed, the GRU's RMSE, MAE and error in the last month (ppm). About 1.5 s per seed on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from rnncourse.datasets import load_co2
from rnncourse.experiments import forecast

__all__ = ["HORIZON", "run_seeds"]

HORIZON = 120  # months held out, as in lesson 9


def run_seeds(seeds: Sequence[int], base: forecast.ForecastConfig | None = None) -> dict:
    """The AR(24) errors and, for every seed, the errors of the forecaster trained with it."""
    base = base or forecast.ForecastConfig()
    _, y = load_co2()
    train, tail = forecast.split(y, HORIZON)
    runs = []
    for seed in seeds:
        params, _ = forecast.train_forecaster(train, replace(base, seed=seed))
        e = forecast.errors(forecast.rnn_forecast(params, train, HORIZON), tail)
        runs.append({"seed": seed, **{k: round(v, 6) for k, v in e.items()}})
    ar = forecast.errors(forecast.ar_forecast(train, HORIZON, p=24), tail)
    return {
        "config": asdict(base),
        "horizon": HORIZON,
        "ar24": {k: round(v, 6) for k, v in ar.items()},
        "runs": runs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m rnncourse.experiments.forecast_seeds",
        description="Train lesson 9's CO2 forecaster once per seed; errors beside AR(24)'s.",
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--out", default="results/forecast_seeds.json")
    args = ap.parse_args(argv)
    result = run_seeds(args.seeds)
    command = "python -m rnncourse.experiments.forecast_seeds " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": command, **result}, indent=1) + "\n")
    below = sum(r["rmse"] < result["ar24"]["rmse"] for r in result["runs"])
    print(
        f"AR(24) RMSE {result['ar24']['rmse']:.2f}; GRU below it in {below} of {len(result['runs'])}"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
