"""Shared plotting style: a colour-blind-safe palette and small figure helpers.

Plot functions in the course take arrays and return a ``matplotlib.figure.Figure``; they never
call ``plt.show()`` and never leave figures registered with pyplot (they use
``matplotlib.figure.Figure`` directly), so a loop that makes many figures leaks none.

The palette is Okabe & Ito's (2008), designed to stay distinct under the common forms of
colour blindness. ``SEQUENTIAL`` and ``DIVERGING`` name colour maps that are perceptually
uniform and colour-blind safe (cividis; a blue-white-orange map built from the palette).

Importing this module imports matplotlib; ``import rnncourse`` does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import matplotlib as mpl
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "DIVERGING",
    "PALETTE",
    "PIXEL_RATIO",
    "SCREEN_DPI",
    "SEQUENTIAL",
    "WIDGET_DPI",
    "figure_png",
    "new_figure",
    "show_figure",
    "style_axes",
]

# Okabe-Ito, in an order that keeps the first few maximally distinct.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#999999",
}
COLORS: list[str] = [
    PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")
]

SEQUENTIAL = "cividis"
DIVERGING = LinearSegmentedColormap.from_list(
    "rnncourse_diverging", [PALETTE["blue"], "#FFFFFF", PALETTE["vermillion"]]
)
if "rnncourse_diverging" not in mpl.colormaps:
    mpl.colormaps.register(DIVERGING)


def new_figure(
    ncols: int = 1,
    nrows: int = 1,
    *,
    width: float = 7.5,
    height: float = 3.6,
    title: str | None = None,
    **subplot_kw: object,
) -> tuple[Figure, object]:
    """A pyplot-free Figure with a grid of axes, sized for a notebook's width.

    Returns ``(fig, axes)``: a single Axes when ``nrows == ncols == 1``, else an array.

    >>> fig, ax = new_figure(title="Demo")
    >>> type(fig).__name__, fig._suptitle.get_text()
    ('Figure', 'Demo')
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig, axes


def style_axes(
    ax: object,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: bool | Sequence[str] = False,
) -> None:
    """Title, axis labels, a light grid and (optionally) a legend, in the course's style."""
    if title is not None:
        ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3, linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend:
        if legend is True:
            ax.legend(frameon=False)
        else:
            ax.legend(legend, frameon=False)


SCREEN_DPI = 100  # CSS pixels per figure inch: the size at which JupyterLab shows a static figure
PIXEL_RATIO = 2  # widgets' pictures are drawn for screens with 2 device pixels per CSS pixel
WIDGET_DPI = SCREEN_DPI * PIXEL_RATIO


def show_figure(image: object, fig: Figure) -> None:
    """Put `fig` into an ``ipywidgets.Image``: drawn at `WIDGET_DPI` and shown `SCREEN_DPI`
    pixels per inch wide (as a static figure of the same size is), never wider than the output,
    so it is sharp on a 2x (HiDPI) screen and never stretched to the output's width.

    >>> from types import SimpleNamespace
    >>> image = SimpleNamespace(value=b"", layout=SimpleNamespace())
    >>> fig, ax = new_figure(width=2.0, height=1.0)
    >>> show_figure(image, fig)
    >>> image.layout.width, image.layout.max_width, image.value[:4]
    ('200px', '100%', b'\x89PNG')
    """
    image.value = figure_png(fig, dpi=WIDGET_DPI)
    image.layout.width = f"{round(fig.get_figwidth() * SCREEN_DPI)}px"
    image.layout.max_width = "100%"
    image.layout.height = "auto"


def figure_png(fig: Figure, *, dpi: int) -> bytes:
    """The figure rendered to PNG bytes, e.g. for an ``ipywidgets.Image``: the one place the
    widgets turn a figure into a picture.

    >>> fig, ax = new_figure(width=1.0, height=1.0)
    >>> figure_png(fig, dpi=50)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
