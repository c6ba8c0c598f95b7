"""Exercise ``momentum_step``: heavy-ball momentum in PyTorch's form,
``v <- mu * v + g``, ``p <- p - lr * v``; returns ``(params, velocity)``."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises import _optim
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.optim import momentum_step

SETTINGS = [(0.1, 0.9), (0.05, 0.5), (0.2, 0.9), (0.1, 0.8), (0.1, 0.9)]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for i, ((D, H), dtype, label) in enumerate(_optim.sizes(hidden)):
        lr, mu = SETTINGS[i % len(SETTINGS)] if not hidden else (0.03, 0.95)
        first = i == 1  # one first step (zero velocity); the others carry a velocity
        velocity = _optim.zeros(D, H, dtype) if first else _optim.arrays(rng, D, H, dtype)
        inputs = {
            "params": _optim.arrays(rng, D, H, dtype),
            "grads": _optim.arrays(rng, D, H, dtype),
            "velocity": velocity,
            "lr": lr,
            "mu": mu,
        }
        out.append(
            _optim.case(inputs, label if not first else "first step (zero velocity)", D, H, dtype)
        )
    return out


@mistake_factory
def _make(dampen=False, old_v=False, sutskever=False, no_v=False, mu_on_g=False):
    def step(params, grads, velocity, lr, mu):
        new_p, new_v = {}, {}
        for k, p in params.items():
            g, v = grads[k], velocity[k]
            if sutskever:
                nv = mu * v - lr * g
                new_p[k], new_v[k] = p + nv, nv
                continue
            if mu_on_g:
                nv = v + mu * g
            else:
                nv = mu * v + ((1 - mu) * g if dampen else g)
            used = g if no_v else (v if old_v else nv)
            new_p[k], new_v[k] = p - lr * used, nv
        return new_p, new_v

    return step


MISTAKES = [
    Mistake(
        "moving average of the gradient",
        _make(dampen=True),
        "your velocity is mu * v + (1 - mu) * g, a running mean; PyTorch's momentum (the form "
        "this course uses) is a running sum, v = mu * v + g.",
    ),
    Mistake(
        "steps with the old velocity",
        _make(old_v=True),
        "the parameters moved by the velocity from before this step: update v first, "
        "v = mu * v + g, then p = p - lr * v with the new v.",
    ),
    Mistake(
        "velocity holds -lr times the sum (Sutskever's form)",
        _make(sutskever=True),
        "you wrote v = mu * v - lr * g, p = p + v: a valid form of momentum, but not the one "
        "graded here. Keep PyTorch's: v = mu * v + g, p = p - lr * v (the velocity holds "
        "gradients, without lr).",
    ),
    Mistake(
        "velocity not used",
        _make(no_v=True),
        "the parameters took a plain gradient step, p - lr * g: with momentum they move by the "
        "velocity, p - lr * v.",
    ),
    Mistake(
        "mu multiplies the gradient",
        _make(mu_on_g=True),
        "mu multiplies the new gradient instead of the old velocity: v = mu * v + g.",
    ),
]

EXERCISE = Exercise(
    name="momentum_step",
    args=("params", "grads", "velocity", "lr", "mu"),
    outputs=("params", "velocity"),
    reference=momentum_step,
    cases=cases,
    mistakes=MISTAKES,
    diagnose=_optim.only_output_wrong(
        {
            "velocity": "only the velocity is wrong: return the new one, mu * velocity + grads, "
            "for every key.",
            "params": "only the parameters are wrong (the velocity is right): p - lr * v with "
            "the new v.",
        }
    ),
    branches={
        "first step (zero velocity)": lambda c: _optim.is_zero(c.inputs["velocity"]),
        "a later step (non-zero velocity)": lambda c: not _optim.is_zero(c.inputs["velocity"]),
    },
)
