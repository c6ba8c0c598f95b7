"""The gradient-norm explorer: built, a slider moved programmatically, the output changes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from rnncourse.gradient_flow import gradient_norm_curve
from rnncourse.widgets.gradients import (
    GradientNormExplorer,
    gradient_norm_figure,
    gradient_norm_widget,
)


def test_figure_is_log_scale_and_leaks_nothing():
    before = plt.get_fignums()
    fig = gradient_norm_figure(
        {"a": gradient_norm_curve(0.9, 30, H=16), "b": gradient_norm_curve(1.2, 40, H=16)}
    )
    assert plt.get_fignums() == before
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_title()
    assert [len(line.get_xdata()) for line in ax.get_lines()[:2]] == [30, 40]


def test_widget_builds_and_redraws_on_slider_moves():
    before = plt.get_fignums()
    ex = GradientNormExplorer(rho=0.9, T=50, H=16)
    png0, curve0 = ex.image.value, ex.curve.copy()
    assert png0[:4] == b"\x89PNG" and curve0.shape == (50,)
    np.testing.assert_allclose(curve0, gradient_norm_curve(0.9, 50, H=16))
    ex.rho.value = 1.5
    assert ex.image.value != png0
    np.testing.assert_allclose(ex.curve, gradient_norm_curve(1.5, 50, H=16))
    assert ex.curve[0] > curve0[0]
    ex.T.value = 100
    assert ex.curve.shape == (100,)
    assert f"{ex.curve[0]:.2e}" in ex.label.value
    assert plt.get_fignums() == before


def test_widget_function_returns_a_box():
    w = gradient_norm_widget(0.8, 20, H=8)
    assert type(w).__name__ == "VBox"
