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


def test_a_frame_names_each_state_once_and_has_no_empty_band():
    from rnncourse.widgets.unroll import unroll_frame

    h = np.tanh(np.random.default_rng(0).normal(size=(5, 3)))
    tokens = ["a", "b", "c", "d", "e"]
    titles = [unroll_frame(h, t, tokens).axes[1].get_title() for t in (1, 2, 5)]
    assert titles[0].startswith("hidden state h_1 ") and "h_1 ... h_1" not in titles[0]
    assert titles[1].startswith("hidden states h_1, h_2 ")
    assert titles[2].startswith("hidden states h_1 ... h_5 ")
    ax = unroll_frame(h, 1, tokens).axes[0]
    assert ax.get_ylim()[1] < 1.0  # no room left above the cells for outputs it does not draw


def test_the_widget_image_is_drawn_for_a_2x_screen_and_not_stretched():
    pytest.importorskip("ipywidgets")
    import struct

    from rnncourse.plots import PIXEL_RATIO, SCREEN_DPI
    from rnncourse.widgets.unroll import frame_width, unroll_widget

    h = np.tanh(np.random.default_rng(0).normal(size=(5, 3)))
    box = unroll_widget(h, ["a", "b", "c", "d", "e"], t=2)
    css_width = int(box.image.layout.width.removesuffix("px"))
    assert css_width == round(frame_width(5) * SCREEN_DPI) and box.image.layout.max_width == "100%"
    png = box.image.value
    natural_width = struct.unpack(">I", png[16:20])[0]  # the IHDR chunk
    assert natural_width >= PIXEL_RATIO * css_width - 2
