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
