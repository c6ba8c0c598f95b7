"""Moved to ``rnncourse.gradient_flow`` (the maths belongs to the core, not to an experiment).

This old path re-exports the same functions for one release, so that lessons and learners'
edited copies that import ``rnncourse.experiments.gradient_flow`` keep running.
"""

from __future__ import annotations

import numpy as np

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


# ---------------------------------------------------------------------------------------------
# the recorded run of exercise 06's experiment (rnncourse/data/orthogonal_rnn_run.npz)
# ---------------------------------------------------------------------------------------------
def orthogonal_run(seed: int = 0, T: int = 40, D: int = 3, H: int = 16, scale: float = 0.9) -> dict:
    """One sequence through a tanh RNN whose W_hh is ``scale`` times an orthogonal matrix:
    W_hh, W_xh, b_h, x (1, T, D), h (1, T, H) and a gradient dh_last (1, H) on the last state.

    Shipped as data (``rnncourse.datasets.load_orthogonal_run``) because the exercise that uses
    it is graded in a kernel where the package's ``rnn_forward`` is not available."""
    from rnncourse.rnn import rnn_forward

    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    W_hh = scale * Q  # every singular value of W_hh is `scale`
    W_xh = rng.normal(0.0, 1.0, (H, D))
    b_h = np.zeros(H)
    x = rng.normal(size=(1, T, D))
    h = rnn_forward(x, np.zeros((1, H)), W_xh, W_hh, b_h)
    dh_last = rng.normal(size=(1, H))
    return {"W_hh": W_hh, "W_xh": W_xh, "b_h": b_h, "x": x, "h": h, "dh_last": dh_last}


def write_orthogonal_run(path=None, scale: float = 0.9) -> None:
    """``python -m rnncourse.experiments.gradient_flow``: (re)write the shipped recorded runs."""
    from rnncourse.datasets import ORTHOGONAL_RUN, ORTHOGONAL_RUN_GAIN

    default = ORTHOGONAL_RUN if scale == 0.9 else ORTHOGONAL_RUN_GAIN
    np.savez_compressed(path or default, **orthogonal_run(scale=scale))


if __name__ == "__main__":
    write_orthogonal_run()
    write_orthogonal_run(scale=1.5)
    print("wrote rnncourse/data/orthogonal_rnn_run.npz and orthogonal_rnn_run_gain1.5.npz")
