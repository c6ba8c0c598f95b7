"""Predict, then run: an ungraded experiment shows the learner's prediction beside its result.

The exercise notebooks' "predict, then run" cells ask for a prediction in a variable (left
``None`` until the learner writes one), run an experiment, then call :func:`side_by_side`.
Nothing is graded: a prediction that is missing or not a number is shown as it is.
"""

from __future__ import annotations

import numbers

__all__ = ["side_by_side"]


def _shown(value: object, fmt: str) -> str:
    if value is None:
        return "(not recorded: write your prediction in the cell above, then run both again)"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format(float(value), fmt)
    return repr(value)


def side_by_side(prediction: object, result: float, what: str, fmt: str = ".3g") -> str:
    """Print (and return) ``what``: the prediction and the measured result, one line each."""
    text = (
        f"{what}\n  your prediction: {_shown(prediction, fmt)}\n  measured:        {result:{fmt}}"
    )
    print(text)
    return text
