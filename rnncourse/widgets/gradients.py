"""A live plot of ||dL/dh_t|| through time, with sliders for the spectral radius and T.

The widget is a thin layer over two pure functions: ``gradient_norm_curve`` (in
``rnncourse.gradient_flow``) computes the curve, ``gradient_norm_figure`` draws it.
Moving a slider recomputes the curve and redraws the figure into an image widget.

    from rnncourse.widgets.gradients import gradient_norm_widget
    gradient_norm_widget()          # in a notebook

ipywidgets is imported inside ``gradient_norm_widget`` only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from rnncourse.gradient_flow import gradient_norm_curve
from rnncourse.plots import COLORS, PALETTE, new_figure, show_figure, style_axes

__all__ = ["GradientNormExplorer", "gradient_norm_figure", "gradient_norm_widget"]


def gradient_norm_figure(
    curves: Mapping[str, np.ndarray], *, title: str = "How far back does the gradient reach?"
) -> Figure:
    """``||dL/dh_t|| / ||dL/dh_T||`` against t, one line per curve, on a log scale.

    Args:
        curves: label -> (T,) ratios (e.g. from ``gradient_norm_curve``); T may differ.

    >>> fig = gradient_norm_figure({"rho = 0.9": np.geomspace(1e-3, 1, 20)})
    >>> fig.axes[0].get_yscale()
    'log'
    """
    fig, ax = new_figure(width=7.5, height=3.6)
    for i, (label, r) in enumerate(curves.items()):
        r = np.asarray(r, dtype=np.float64)
        t = np.arange(1, r.size + 1)
        ax.plot(
            t, np.clip(r, 1e-300, None), color=COLORS[i % len(COLORS)], linewidth=2, label=label
        )
    ax.axhline(1.0, color=PALETTE["grey"], linewidth=1, linestyle=":")
    ax.set_yscale("log")
    style_axes(
        ax,
        title=title,
        xlabel="time step t (the loss reads h_T)",
        ylabel=r"$\|dL/dh_t\| \,/\, \|dL/dh_T\|$",
        legend=True,
    )
    return fig


class GradientNormExplorer:
    """Sliders for the spectral radius rho and T; an image of the curve, redrawn on change.

    Attributes: ``rho`` and ``T`` (sliders), ``image`` (the picture), ``curve`` (the last
    computed ratios), ``widget`` (the box to display).
    """

    def __init__(
        self, rho: float = 0.9, T: int = 100, *, H: int = 64, kind: str = "gaussian", seed: int = 0
    ) -> None:
        import ipywidgets as widgets

        self.H, self.kind, self.seed = H, kind, seed
        self.rho = widgets.FloatSlider(
            value=rho,
            min=0.5,
            max=2.0,
            step=0.05,
            description="spectral radius",
            readout_format=".2f",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.T = widgets.IntSlider(
            value=T,
            min=10,
            max=300,
            step=10,
            description="T",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.image = widgets.Image(format="png")
        self.label = widgets.HTML()
        self.rho.observe(self._redraw, names="value")
        self.T.observe(self._redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.rho, self.T]), self.label, self.image])
        self.curve = np.empty(0)
        self._redraw()

    def _redraw(self, change: object = None) -> None:
        rho, T = float(self.rho.value), int(self.T.value)
        self.curve = gradient_norm_curve(rho, T, H=self.H, kind=self.kind, seed=self.seed)
        fig = gradient_norm_figure(
            {f"rho = {rho:.2f}": self.curve},
            title=f"Gradient norm through time, rho(W_hh) = {rho:.2f}",
        )
        show_figure(self.image, fig)
        self.label.value = (
            f"gradient reaching h_1: <b>{self.curve[0]:.2e}</b> times the gradient on h_T"
        )


def gradient_norm_widget(rho: float = 0.9, T: int = 100, **kw: object) -> object:
    """The explorer's widget, ready to display (see ``GradientNormExplorer``)."""
    return GradientNormExplorer(rho, T, **kw).widget
