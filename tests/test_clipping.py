"""The exploding-gradient experiment of lesson 6 (rnncourse.experiments.clipping): a run that
diverges without clipping and trains with it, and clipping by the global norm against clipping
each element."""

from __future__ import annotations

import numpy as np
import pytest


def test_exploding_run_diverges_without_clipping_and_trains_with_it():
    from rnncourse.experiments.clipping import exploding_run

    plain, clipped = exploding_run(None, steps=60), exploding_run(1.0, steps=60)
    assert plain["loss"][0] == clipped["loss"][0]  # same start, same first batch
    assert not (np.mean(plain["loss"][-10:]) < 1e6)  # diverged (huge, inf or nan)
    assert np.mean(clipped["loss"][-10:]) < 0.1 < clipped["loss"][0]
    assert max(plain["grad_norm"]) > 1e6 and max(clipped["grad_norm"]) < 100


def test_global_norm_clipping_keeps_the_direction_per_element_does_not():
    from rnncourse.experiments.clipping import clip_per_element, cosine, exploding_run, flatten
    from rnncourse.optim import clip_grad_norm

    seen: list = []
    hist = exploding_run(None, steps=8, record=seen)
    spike = int(np.argmax(np.array(hist["grad_norm"]) > 10))
    g = seen[spike]
    assert hist["grad_norm"][spike] > 10
    by_norm, total = clip_grad_norm(g, 1.0)
    assert cosine(flatten(by_norm), flatten(g)) == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.norm(flatten(by_norm)) == pytest.approx(1.0, rel=1e-5)
    by_element = clip_per_element(g, 0.1)
    assert cosine(flatten(by_element), flatten(g)) < 0.95
    assert np.abs(flatten(by_element)).max() <= 0.1
    assert np.abs(flatten(g)).max() > 0.1  # the input was not modified
