"""The lesson-2 stepping widget and the pure frame function under it."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from rnncourse.diagrams.rnn import CELL_GIDS
from rnncourse.widgets.unroll import frame_png, unroll_frame, unroll_widget

TOKENS = ["the", "movie", "was", "not", "good"]


@pytest.fixture
def h():
    return np.tanh(np.random.default_rng(0).normal(size=(5, 3)))


def test_frame_highlights_step_and_shows_states_so_far(h):
    for t in (1, 3, 5):
        fig = unroll_frame(h, t, TOKENS)
        diagram, heat = fig.axes[0], fig.axes[1]
        gids = [p.get_gid() for p in diagram.patches if p.get_gid() in CELL_GIDS]
        assert len(gids) == 5 and gids[t - 1] == "rnn-cell-active"
        shown = heat.images[0].get_array()
        assert shown.shape == (3, 5)
        np.testing.assert_allclose(np.ma.getdata(shown)[:, :t], h[:t].T)
        assert np.ma.getmaskarray(shown)[:, t:].all()  # the future is not shown yet


def test_frame_rejects_bad_input(h):
    with pytest.raises(ValueError, match=r"1\.\.5"):
        unroll_frame(h, 0, TOKENS)
    with pytest.raises(ValueError, match="length T"):
        unroll_frame(h, 1, TOKENS[:4])
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        unroll_frame(h[None], 1, TOKENS)


def test_widget_redraws_when_slider_moves(h):
    before = plt.get_fignums()
    w = unroll_widget(h, TOKENS)
    first_png, first_text = w.image.value, w.text.value
    assert first_png == frame_png(h, 1, TOKENS)
    w.slider.value = 4
    assert w.image.value != first_png
    assert w.image.value == frame_png(h, 4, TOKENS)
    assert "'not'" in w.text.value and w.text.value != first_text
    w.slider.value = 1
    assert w.image.value == first_png
    assert plt.get_fignums() == before
