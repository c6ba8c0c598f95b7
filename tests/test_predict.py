"""The "predict, then run" cells' helper: prediction and result side by side, never an error."""

from __future__ import annotations

import numpy as np

from rnncourse.predict import side_by_side


def test_a_number_is_formatted_like_the_result(capsys):
    text = side_by_side(0.5, np.float64(0.25), "ratio")
    assert text.splitlines() == ["ratio", "  your prediction: 0.5", "  measured:        0.25"]
    assert capsys.readouterr().out == text + "\n"


def test_a_missing_or_odd_prediction_is_shown_not_an_error():
    assert "not recorded" in side_by_side(None, 1.0, "x")
    assert "'bigger'" in side_by_side("bigger", 1.0, "x")
    assert "True" in side_by_side(True, 1.0, "x")


def test_the_shipped_recorded_runs_are_what_their_command_writes():
    """Both recorded runs of exercise 06 (gain 0.9 for its experiment, 1.5 for its predict-then-run
    cell) equal a fresh run of ``orthogonal_run``; any other gain is refused by name."""
    import pytest

    from rnncourse.datasets import load_orthogonal_run
    from rnncourse.experiments.gradient_flow import orthogonal_run

    for scale in (0.9, 1.5):
        shipped, fresh = load_orthogonal_run(scale=scale), orthogonal_run(scale=scale)
        assert sorted(shipped) == sorted(fresh)
        for k in fresh:
            np.testing.assert_allclose(shipped[k], fresh[k], rtol=0, atol=1e-12, err_msg=k)
        sv = np.linalg.svd(shipped["W_hh"], compute_uv=False)
        np.testing.assert_allclose(sv, scale, rtol=1e-12)
    with pytest.raises(ValueError, match=r"0\.9 and 1\.5"):
        load_orthogonal_run(scale=1.0)
