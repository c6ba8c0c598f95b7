"""Exercise ``adam_step``: one step of Adam, PyTorch's formulation, returns ``(params, m, v)``.

    m <- beta1 m + (1 - beta1) g;      v <- beta2 v + (1 - beta2) g**2
    p <- p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

Cases: first steps (t = 1, zero moments), where the bias correction matters most; early steps
(t = 2..5) with moments that earlier steps would have left; a late step (t = 1000) where the
correction has almost vanished for m but not for v; an eps large enough to matter; gradients
of 1e-4 in one array, where eps is not negligible.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises import _optim
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.optim import adam_step

# t, lr, beta1, beta2, eps
SETTINGS = [
    (3, 1e-2, 0.9, 0.999, 1e-8),
    (1, 1e-2, 0.9, 0.999, 1e-8),
    (2, 3e-2, 0.8, 0.99, 1e-8),
    (1000, 1e-3, 0.9, 0.999, 1e-8),
    (5, 1e-2, 0.9, 0.999, 1e-3),
]
HIDDEN = [(1, 1e-3, 0.9, 0.999, 1e-8), (7, 3e-3, 0.85, 0.995, 1e-8)]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    settings = HIDDEN if hidden else SETTINGS
    for ((D, H), dtype, label), (t, lr, b1, b2, eps) in zip(
        _optim.sizes(hidden), settings, strict=True
    ):
        if t == 1:
            m, v = _optim.zeros(D, H, dtype), _optim.zeros(D, H, dtype)
            label = "first step (t = 1, zero moments)"
        else:  # moments of the size earlier steps leave: m ~ g, v ~ g**2
            m = _optim.arrays(rng, D, H, dtype, 0.5)
            v = {
                k: (a**2 + 0.1 * np.abs(a)).astype(dtype)
                for k, a in _optim.arrays(rng, D, H, dtype).items()
            }
            v = {k: a * (1 - b2**t) for k, a in v.items()}
        grads = _optim.arrays(rng, D, H, dtype)
        # b_h's gradients are tiny (1e-4): Adam's step does not depend on the gradient's
        # scale, except through eps, so a misplaced eps shows there
        grads["b_h"] = (grads["b_h"] * 1e-4).astype(dtype)
        m["b_h"], v["b_h"] = (m["b_h"] * 1e-4).astype(dtype), (v["b_h"] * 1e-8).astype(dtype)
        inputs = {
            "params": _optim.arrays(rng, D, H, dtype),
            "grads": grads,
            "m": m,
            "v": v,
            "t": t,
            "lr": lr,
            "beta1": b1,
            "beta2": b2,
            "eps": eps,
        }
        out.append(_optim.case(inputs, label, D, H, dtype))
    return out


@mistake_factory
def _make(corrected=("m", "v"), t_shift=0, eps_in_sqrt=False, no_square=False,
          swap_betas=False, sqrt_v=True, old_moments=False, update_sign=-1.0):  # fmt: skip
    def step(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        b1, b2 = (beta2, beta1) if swap_betas else (beta1, beta2)
        tt = t + t_shift
        new_p, new_m, new_v = {}, {}, {}
        for k, p in params.items():
            g = grads[k]
            mk = b1 * m[k] + (1 - b1) * g
            vk = b2 * v[k] + (1 - b2) * (np.abs(g) if no_square else g * g)
            mh = mk / (1 - b1**tt) if "m" in corrected else mk
            vh = vk / (1 - b2**tt) if "v" in corrected else vk
            if old_moments:
                mh, vh = m[k] / (1 - b1**tt), v[k] / (1 - b2**tt)
            denom = np.sqrt(vh + eps) if eps_in_sqrt else (np.sqrt(vh) if sqrt_v else vh) + eps
            new_p[k] = p + update_sign * lr * mh / denom
            new_m[k], new_v[k] = mk, vk
        return new_p, new_m, new_v

    return step


def _corrected_moments(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    p, m2, v2 = adam_step(params, grads, m, v, t, lr, beta1, beta2, eps)
    return (
        p,
        {k: a / (1 - beta1**t) for k, a in m2.items()},
        {k: a / (1 - beta2**t) for k, a in v2.items()},
    )


MISTAKES = [
    Mistake(
        "no bias correction",
        _make(corrected=()),
        "the moments are used without bias correction: m and v start at zero, so early on they "
        "are too small by the factors (1 - beta1**t) and (1 - beta2**t); divide by them: "
        "m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t).",
    ),
    Mistake(
        "only m bias-corrected",
        _make(corrected=("m",)),
        "m is bias-corrected but v is not: v_hat = v / (1 - beta2**t) too (without it, early "
        "steps are far too large).",
    ),
    Mistake(
        "only v bias-corrected",
        _make(corrected=("v",)),
        "v is bias-corrected but m is not: m_hat = m / (1 - beta1**t) too.",
    ),
    Mistake(
        "step counted from 0",
        _make(t_shift=-1),
        "the bias correction uses t - 1: t is the number of this step, 1 for the first, so the "
        "factors are 1 - beta1**t and 1 - beta2**t (with t - 1 the first step divides by zero).",
    ),
    Mistake(
        "step number one too high",
        _make(t_shift=1),
        "the bias correction uses t + 1: t is already this step's number (1 for the first); "
        "use 1 - beta1**t and 1 - beta2**t.",
    ),
    Mistake(
        "eps inside the square root",
        _make(eps_in_sqrt=True),
        "eps is inside the square root: PyTorch (and Kingma & Ba) add it after, "
        "m_hat / (sqrt(v_hat) + eps).",
    ),
    Mistake(
        "|g| instead of g**2",
        _make(no_square=True),
        "v averages |g|: it is the running mean of the squared gradient, "
        "v = beta2 * v + (1 - beta2) * g**2.",
    ),
    Mistake(
        "betas swapped",
        _make(swap_betas=True),
        "beta1 and beta2 are swapped: beta1 (0.9) averages the gradient m, beta2 (0.999) the "
        "squared gradient v.",
    ),
    Mistake(
        "no square root of v",
        _make(sqrt_v=False),
        "the step divides by v_hat: divide by its square root, sqrt(v_hat) + eps (v_hat "
        "estimates g**2; its root has the units of g).",
    ),
    Mistake(
        "steps with the old moments",
        _make(old_moments=True),
        "the parameters moved with the moments from before this step: update m and v with this "
        "gradient first, then step with the new ones.",
    ),
    Mistake(
        "returns the bias-corrected moments",
        _corrected_moments,
        "the m and v you returned are bias-corrected: return the running means themselves, "
        "m = beta1 * m + (1 - beta1) * g and v likewise; the correction is used only in the "
        "step (the next call corrects again with its own t).",
    ),
    Mistake(
        "gradient ascent",
        _make(update_sign=1.0),
        "the parameters moved uphill: subtract the step, p - lr * m_hat / (sqrt(v_hat) + eps).",
    ),
]

EXERCISE = Exercise(
    name="adam_step",
    args=("params", "grads", "m", "v", "t", "lr", "beta1", "beta2", "eps"),
    outputs=("params", "m", "v"),
    reference=adam_step,
    cases=cases,
    mistakes=MISTAKES,
    diagnose=_optim.only_output_wrong(
        {
            "m": "only m is wrong: m = beta1 * m + (1 - beta1) * g, returned without the bias "
            "correction.",
            "v": "only v is wrong: v = beta2 * v + (1 - beta2) * g**2, returned without the bias "
            "correction.",
            "params": "m and v are right, the parameters are not: p - lr * m_hat / "
            "(sqrt(v_hat) + eps), with m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t).",
        }
    ),
    error_hints=[
        (
            r"ZeroDivisionError",
            "a division by zero: with t = 1, 1 - beta1**t is 1 - beta1, not 0; is t counted from 0?",
        ),
    ],
    branches={
        "first step (t = 1)": lambda c: c.inputs["t"] == 1,
        "an early step (1 < t <= 10)": lambda c: 1 < c.inputs["t"] <= 10,
        "a late step (t >= 1000)": lambda c: c.inputs["t"] >= 1000,
        "eps that matters (eps >= 1e-4)": lambda c: c.inputs["eps"] >= 1e-4,
    },
)
