"""The BPTT graph: a Figure, the right nodes and edges for T, no pyplot figures leaked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from rnncourse.diagrams.bptt import BACKWARD, FORWARD, bptt_graph


def _gids(fig, prefix):
    return [p.get_gid() for p in fig.axes[0].patches if (p.get_gid() or "").startswith(prefix)]


@pytest.mark.parametrize("T", [1, 2, 4, 8])
def test_nodes_and_edges_for_T(T):
    before = plt.get_fignums()
    fig = bptt_graph(T)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before
    nodes = _gids(fig, "node:")
    assert len(nodes) == 3 * T + 1
    assert {f"node:h_{t}" for t in range(T + 1)} <= set(nodes)
    assert len(_gids(fig, "forward:")) == 3 * T
    backward = _gids(fig, "backward:")
    assert len(backward) == 2 * T - 1
    # every hidden state but the last receives exactly two gradient paths
    for t in range(1, T):
        into = [g for g in backward if g.endswith(f"->h_{t}")]
        assert sorted(into) == [f"backward:L_{t}->h_{t}", f"backward:h_{t + 1}->h_{t}"]
    fig.canvas.draw()  # renders without error (mathtext labels included)


def test_forward_and_backward_edges_differ_in_colour_and_style():
    fig = bptt_graph(3)
    arrows = {p.get_gid(): p for p in fig.axes[0].patches if p.get_gid()}
    fwd, bwd = arrows["forward:h_1->h_2"], arrows["backward:h_2->h_1"]
    assert matplotlib.colors.to_hex(fwd.get_edgecolor()) == FORWARD.lower()
    assert matplotlib.colors.to_hex(bwd.get_edgecolor()) == BACKWARD.lower()
    assert fwd.get_linestyle() != bwd.get_linestyle()
    assert fig.axes[0].get_title()


@pytest.mark.parametrize("kw", [{"T": 0}, {"T": 9}, {"T": 3, "highlight": 4}])
def test_bad_arguments(kw):
    with pytest.raises(ValueError):
        bptt_graph(**kw)
