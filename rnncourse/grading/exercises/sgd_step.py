"""Exercise ``sgd_step``: one step of gradient descent, ``p <- p - lr * g`` for every array."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises import _optim
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.optim import sgd_step

LRS = [0.1, 0.03, 0.5, 0.2, 0.1]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for i, ((D, H), dtype, label) in enumerate(_optim.sizes(hidden)):
        inputs = {
            "params": _optim.arrays(rng, D, H, dtype),
            "grads": _optim.arrays(rng, D, H, dtype),
            "lr": LRS[i % len(LRS)] if not hidden else 0.07,
        }
        out.append(_optim.case(inputs, label, D, H, dtype))
    return out


@mistake_factory
def _make(sign=-1.0, use_lr=True, only=None):
    def step(params, grads, lr):
        return {
            k: (p + sign * (lr if use_lr else 1.0) * grads[k]) if only in (None, k) else p.copy()
            for k, p in params.items()
        }

    return step


MISTAKES = [
    Mistake(
        "gradient ascent",
        _make(sign=1.0),
        "the parameters moved uphill: p + lr * g climbs the loss. Step against the gradient, "
        "p - lr * g.",
    ),
    Mistake(
        "learning rate forgotten",
        _make(use_lr=False),
        "the step is the whole gradient, p - g: multiply it by the learning rate, p - lr * g.",
    ),
    Mistake(
        "only the first array updated",
        _make(only="W_xh"),
        "only W_xh changed: every array in params takes its own step, with the gradient under "
        "the same key (loop over params.items()).",
    ),
    Mistake(
        "returns the gradients",
        lambda params, grads, lr: {k: g.copy() for k, g in grads.items()},
        "you returned the gradients: return the new parameters, {k: p - lr * grads[k]}.",
    ),
    Mistake(
        "returns the step",
        lambda params, grads, lr: {k: -lr * g for k, g in grads.items()},
        "you returned the step -lr * g, not the new parameters: add it to p.",
    ),
]

EXERCISE = Exercise(
    name="sgd_step",
    args=("params", "grads", "lr"),
    outputs=("params",),
    reference=sgd_step,
    cases=cases,
    mistakes=MISTAKES,
    error_hints=[
        (
            r"KeyError",
            "a key of params is missing from your result or from grads: build the result with "
            "the same keys, {k: ... for k, p in params.items()}.",
        ),
    ],
)
