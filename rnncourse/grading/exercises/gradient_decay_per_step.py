"""Experiment item ``gradient_decay_per_step``: how fast does the gradient on h_t vanish?

The learner runs their own ``hidden_gradients`` (lesson 06's exercise) on the seeded setup the
notebook gives (below, the same lines) and reports the average factor per step by which
||dL/dh_t|| shrinks going back from t = T-1 to t = 0. The reference experiment runs the
package's answer on the same setup. The interesting part: W_hh alone shrinks by 0.9 per step;
the measured factor is much smaller, because every step also multiplies by tanh'(a_t) < 1.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.spec import Mistake, ValueItem

SCALE = 0.9


def setup() -> dict:
    """The experiment's inputs, exactly as the notebook's setup cell builds them."""
    from rnncourse.rnn import rnn_forward

    rng = np.random.default_rng(0)
    N, T, D, H = 1, 40, 3, 16
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    W_hh = SCALE * Q  # every singular value is 0.9
    W_xh = rng.normal(0.0, 1.0, (H, D))
    b_h = np.zeros(H)
    x = rng.normal(size=(N, T, D))
    h = rnn_forward(x, np.zeros((N, H)), W_xh, W_hh, b_h)
    dh_T = rng.normal(size=(N, H))
    return {"dh_T": dh_T, "h": h, "W_hh": W_hh}


def _norms() -> np.ndarray:
    from rnncourse.grading.exercises.hidden_gradients import EXERCISE as HIDDEN_GRADIENTS

    s = setup()
    g = HIDDEN_GRADIENTS.reference(s["dh_T"], s["h"], s["W_hh"])
    return np.linalg.norm(g[0], axis=1)


def finding() -> float:
    n = _norms()
    return float((n[0] / n[-1]) ** (1.0 / (len(n) - 1)))


EXERCISE = ValueItem(
    name="gradient_decay_per_step",
    kind="experiment",
    question="By what factor per step does ||dL/dh_t|| shrink, going back from T-1 to 0?",
    answer_fn=finding,
    tolerance=0.01,
    unit="per step",
    finding="seed 0, N = 1, H = 16, T = 40, W_hh = 0.9 x an orthogonal matrix, "
    "(||dL/dh_0|| / ||dL/dh_T-1||) ** (1 / (T - 1))",
    mistakes=[
        Mistake(
            "the scale of W_hh",
            lambda: SCALE,
            "0.9 is what W_hh alone does to the norm (all its singular values are 0.9); "
            "every step also multiplies by tanh'(a_t) = 1 - h_t**2 < 1. Measure it: the "
            "norms of hidden_gradients(dh_last, h, W_hh)[0] at t = 0 and t = T-1, and the "
            "(T-1)-th root of their ratio.",
            "did you measure it, or reason from W_hh alone? Run your hidden_gradients on the "
            "setup and look at the norms of its rows.",
        ),
        Mistake(
            "the whole ratio",
            lambda: float(_norms()[0] / _norms()[-1]),
            "that is the shrink over all T-1 steps; per step it is the (T-1)-th root of it.",
            "your number is the shrink over the whole sequence: the question asks per step.",
        ),
        Mistake(
            "growth, not shrink",
            lambda: 1.0 / finding(),
            "that is the factor going forward (||dL/dh_T-1|| / ||dL/dh_0||): the question "
            "asks for the shrink going back, a number below 1.",
            "your number is above 1: which way round is your ratio?",
        ),
    ],
)
