"""The temperature slider re-samples the model; the text comes from the pure ``sample_at``."""

from __future__ import annotations

import html

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from rnncourse.datasets import Vocab
from rnncourse.experiments.charlm import init_charlm
from rnncourse.widgets.sampling import sample_at, temperature_widget

VOCAB = Vocab("\n ()=:abcdefx")


def _params():
    return init_charlm("lstm", len(VOCAB), 8, np.random.default_rng(0))


def test_sample_at_is_pure_and_depends_on_temperature():
    p = _params()
    a = sample_at(p, VOCAB, "def", 0.5, length=40, seed=1)
    assert a == sample_at(p, VOCAB, "def", 0.5, length=40, seed=1)
    assert a != sample_at(p, VOCAB, "def", 1.5, length=40, seed=1)
    assert len(a) == 40


def test_moving_the_slider_changes_the_sample():
    before = plt.get_fignums()
    p = _params()
    w = temperature_widget(p, VOCAB, prime="def", length=40, seed=1, value=0.8)
    first = w.output.value
    assert html.escape(sample_at(p, VOCAB, "def", 0.8, length=40, seed=1)) in first
    assert "temperature 0.80" in first
    w.slider.value = 1.9
    assert w.output.value != first and "temperature 1.90" in w.output.value
    assert html.escape(sample_at(p, VOCAB, "def", 1.9, length=40, seed=1)) in w.output.value
    w.slider.value = 0.8
    assert w.output.value == first
    assert w.box.children == (w.slider, w.output)
    assert plt.get_fignums() == before
