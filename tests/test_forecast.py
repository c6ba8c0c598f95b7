"""CO2 forecasting: the baselines, the RNN's gradients, a short run beating the naive forecast."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from rnncourse.datasets import load_co2
from rnncourse.experiments.forecast import (
    ForecastConfig,
    ar_fit,
    ar_forecast,
    errors,
    forecast_loss,
    naive_forecast,
    plot_forecasts,
    rnn_forecast,
    seasonal_naive_forecast,
    split,
    train_forecaster,
)
from rnncourse.gradcheck import check_gradients
from rnncourse.models import init_model

CELLS = ["rnn", "lstm", "gru"]


def test_naive_baselines():
    y = np.arange(30.0)
    assert np.all(naive_forecast(y, 5) == 29.0)
    f = seasonal_naive_forecast(y, 30, season=12)
    np.testing.assert_array_equal(f, np.concatenate([y[-12:], y[-12:], y[-12:-6]]))


def test_ar_fit_recovers_a_known_process():
    rng = np.random.default_rng(0)
    d = np.zeros(3000)
    for t in range(2, len(d)):
        d[t] = 0.3 + 0.5 * d[t - 1] - 0.2 * d[t - 2] + 0.1 * rng.standard_normal()
    np.testing.assert_allclose(ar_fit(d, 2), [0.3, 0.5, -0.2], atol=0.03)
    with pytest.raises(ValueError, match="AR"):
        ar_fit(d[:4], 2)


def test_ar_forecast_continues_a_trend_plus_season_exactly():
    t = np.arange(120)
    y = 2.0 + 0.1 * t + np.sin(2 * np.pi * t / 12)
    train, tail = split(y, 24)
    np.testing.assert_allclose(ar_forecast(train, 24, p=12), tail, atol=1e-8)
    assert errors(naive_forecast(train, 24), tail)["rmse"] > 1.0


@pytest.mark.parametrize("cell", CELLS)
def test_forecast_loss_gradients(cell):
    rng = np.random.default_rng(1)
    params = init_model(cell, 1, 4, 1, rng)
    x = rng.standard_normal((3, 7, 1))
    y = rng.standard_normal((3, 7, 1))

    def forward(**p):
        return np.array(forecast_loss(p, x, y)[0])

    def backward(dout, out):
        return {k: g * dout for k, g in forecast_loss(params, x, y)[1].items()}

    # eps = 1e-5: at 1e-6 the finite differences' rounding (not the gradient) reaches 1e-7 on
    # the LSTM's small W_hh gradients; 1e-5 is ten times more accurate for every cell
    report = check_gradients(forward, backward, params, rng=rng, eps=1e-5)
    assert report.ok(1e-7), str(report)


def test_split_and_errors():
    train, tail = split(np.arange(10.0), 3)
    assert train.tolist() == list(range(7)) and tail.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="horizon"):
        split(np.arange(10.0), 10)
    e = errors(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    assert e == {"rmse": 1.0, "mae": 1.0, "final": 1.0}


def test_a_short_rnn_run_beats_the_naive_forecast_on_co2():
    _, y = load_co2()
    train, tail = split(y, 120)
    config = ForecastConfig(cell="rnn", H=16, T=36, N=16, steps=120)
    params, history = train_forecaster(train, config)
    assert history["loss"][-1] < history["loss"][0]
    f = rnn_forecast(params, train, 120)
    assert f.shape == (120,) and np.isfinite(f).all()
    assert errors(f, tail)["rmse"] < 0.5 * errors(naive_forecast(train, 120), tail)["rmse"]


def test_forecast_plot():
    before = plt.get_fignums()
    t, y = load_co2()
    fig = plot_forecasts(t, y, {"naive": naive_forecast(y[:-24], 24)}, context=24)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "year" and "CO2" in ax.get_ylabel() and ax.get_title()
    assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] == [
        "measured",
        "naive",
    ]
    assert plt.get_fignums() == before
