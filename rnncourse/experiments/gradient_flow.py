"""Moved to ``rnncourse.gradient_flow`` (the maths belongs to the core, not to an experiment).

This old path re-exports the same functions for one release, so that lessons and learners'
edited copies that import ``rnncourse.experiments.gradient_flow`` keep running.
"""

from __future__ import annotations

from rnncourse.gradient_flow import (
    gradient_norm_curve,
    hidden_gradients,
    jacobian_product_norms,
    largest_singular_value,
    random_recurrent_weights,
    spectral_radius,
)

__all__ = [
    "gradient_norm_curve",
    "hidden_gradients",
    "jacobian_product_norms",
    "largest_singular_value",
    "random_recurrent_weights",
    "spectral_radius",
]
