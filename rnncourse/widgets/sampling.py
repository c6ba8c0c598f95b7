"""Try temperatures on the trained character model: a slider over ``temperature``.

    sample_at(params, vocab, prime, temperature, ...)   pure: the text generated at that
                                                         temperature, from a fixed seed
    temperature_widget(params, vocab, prime, ...)       a slider that re-samples on every move

Every sample starts from the same random seed, so moving the slider changes only the
temperature: low values repeat the model's favourite continuations, high values drift
towards noise. ipywidgets is imported inside ``temperature_widget`` only.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

import numpy as np

from rnncourse.charmodel import sample
from rnncourse.datasets import Vocab

__all__ = ["sample_at", "temperature_widget"]


def sample_at(
    params: dict[str, np.ndarray],
    vocab: Vocab,
    prime: str,
    temperature: float,
    *,
    length: int = 200,
    seed: int = 0,
) -> str:
    """``length`` characters generated after ``prime`` at ``temperature``, from rng(seed)."""
    return sample(params, vocab, prime, length, temperature, np.random.default_rng(seed))


def _as_html(prime: str, text: str, temperature: float) -> str:
    return (
        f"<p><b>temperature {temperature:.2f}</b></p>"
        f"<pre style='white-space: pre-wrap; line-height: 1.25'><b>{html.escape(prime)}</b>"
        f"{html.escape(text)}</pre>"
    )


def temperature_widget(
    params: dict[str, np.ndarray],
    vocab: Vocab,
    prime: str = "def ",
    *,
    length: int = 200,
    seed: int = 0,
    value: float = 0.8,
) -> SimpleNamespace:
    """A slider over the temperature (0.1 ... 2.0) above the text sampled at that temperature.

    Returns a namespace with ``.box`` (display it), ``.slider`` and ``.output`` (an HTML
    widget whose ``.value`` is the rendered sample, bold prime first).
    """
    import ipywidgets as widgets

    slider = widgets.FloatSlider(
        value=value, min=0.1, max=2.0, step=0.1, description="temperature",
        continuous_update=False, readout_format=".1f",
        style={"description_width": "initial"},  # the whole word, not "temperat..."
    )  # fmt: skip
    output = widgets.HTML()

    def redraw(change: object = None) -> None:
        t = float(slider.value)
        output.value = _as_html(
            prime, sample_at(params, vocab, prime, t, length=length, seed=seed), t
        )

    slider.observe(redraw, names="value")
    redraw()
    return SimpleNamespace(box=widgets.VBox([slider, output]), slider=slider, output=output)
