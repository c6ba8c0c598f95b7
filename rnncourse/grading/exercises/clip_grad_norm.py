"""Exercise ``clip_grad_norm``: rescale all gradients together by their global L2 norm.

``scale = min(1, max_norm / (total_norm + eps))`` with a tiny eps: any eps up to about 1e-6
(PyTorch's) passes at this exercise's tolerance, a large one does not.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.spec import Case, Exercise, Mistake
from rnncourse.optim import clip_grad_norm, global_norm

# (D, H, target total norm, max_norm, dtype, group). Every branch of the rule: clipped, not
# clipped, all zero, and the two ranges where comparing the squared norm with max_norm goes
# wrong (sqrt(max_norm) < norm < max_norm for max_norm > 1, max_norm < norm < sqrt(max_norm)
# for max_norm < 1); a square layer (D = H); the first shapes again with new values.
SETTINGS = [
    (3, 4, 5.0, 1.0, np.float64, "norm above max_norm"),
    (2, 5, 3.0, 2.5, np.float64, "norm above max_norm"),
    (4, 3, 0.5, 1.0, np.float64, "norm below max_norm"),
    (3, 4, 3.0, 5.0, np.float64, "sqrt(max_norm) < norm < max_norm"),
    (4, 3, 0.4, 0.25, np.float64, "max_norm < norm < sqrt(max_norm)"),
    (4, 4, 6.0, 2.0, np.float64, "square layer (D = H)"),
    (3, 4, 7.0, 2.0, np.float64, "same shapes, new values"),
    (3, 2, 4.0, 1.5, np.float32, "float32"),
    (2, 3, 0.0, 1.0, np.float64, "all gradients zero"),
]
HIDDEN = [
    (5, 6, 8.0, 2.0, np.float64, "norm above max_norm"),
    (6, 5, 0.2, 5.0, np.float32, "float32"),
]
# Where the norm is clipped, eps (PyTorch: 1e-6) moves the result by eps / total_norm, so those
# cases are judged at rtol64 = 1e-5. Where it is not, every correct answer is exact to rounding:
# those float64 cases are judged at TIGHT, which float32 arithmetic fails.
TIGHT = 1e-9


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for D, H, norm, max_norm, dtype, label in HIDDEN if hidden else SETTINGS:
        grads = {
            "W_xh": rng.normal(size=(H, D)),
            "W_hh": rng.normal(size=(H, H)),
            "b_h": rng.normal(size=H),
        }
        # one array much larger than the others: per-array clipping then differs visibly
        grads["W_hh"] *= 3.0
        factor = norm / global_norm(grads)
        grads = {k: (v * factor).astype(dtype) for k, v in grads.items()}
        rtol = TIGHT if dtype == np.float64 and norm <= max_norm else None
        inputs = {"grads": grads, "max_norm": max_norm}
        out.append(Case(inputs, label, {"D": D, "H": H}, dtype, rtol=rtol))
    return out


def _total(case: Case) -> float:
    return global_norm({k: v.astype(np.float64) for k, v in case.inputs["grads"].items()})


def _scaled(grads, scale):
    return {k: g * scale for k, g in grads.items()}


def _norm(grads):
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


def _clip_eps(eps):
    def clip(grads, max_norm):
        n = _norm(grads)
        return _scaled(grads, min(1.0, max_norm / (n + eps))), n

    return clip


def _per_array(grads, max_norm):
    out = {}
    for k, g in grads.items():
        n = float(np.linalg.norm(g))
        out[k] = g * min(1.0, max_norm / (n + 1e-6))
    return out, _norm(grads)


def _with_norm(norm_fn):
    def clip(grads, max_norm):
        n = norm_fn(grads)
        return _scaled(grads, min(1.0, max_norm / (n + 1e-6))), n

    return clip


def _clipped_norm(grads, max_norm):
    clipped, _ = _clip_eps(1e-6)(grads, max_norm)
    return clipped, _norm(clipped)


def _squared_compare(grads, max_norm):
    n = _norm(grads)
    return _scaled(grads, max_norm / (n + 1e-6) if n * n > max_norm else 1.0), n


MISTAKES = [
    Mistake(
        "compares the squared norm",
        _squared_compare,
        "the clipping test compares the squared norm with max_norm: sum(g**2) > max_norm is not "
        "total_norm > max_norm (for max_norm > 1 it scales up gradients that are within bounds, "
        "for max_norm < 1 it leaves some that are not). Compare total_norm = sqrt(sum(g**2)).",
    ),
    Mistake(
        "clipping per element",
        lambda grads, max_norm: (
            {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()},
            _norm(grads),
        ),
        "each entry is clipped separately (np.clip): that changes the gradient's direction. "
        "Scale every array by the same factor, min(1, max_norm / (total_norm + eps)).",
    ),
    Mistake(
        "clipping per array",
        _per_array,
        "each array is clipped by its own norm: use one global norm over all arrays together, "
        "total_norm = sqrt(sum over arrays of sum(g**2)), and one common factor.",
    ),
    Mistake(
        "scales up",
        lambda grads, max_norm: (_scaled(grads, max_norm / (_norm(grads) + 1e-6)), _norm(grads)),
        "small gradients are scaled up to max_norm: clipping never scales up, "
        "scale = min(1, max_norm / (total_norm + eps)).",
    ),
    Mistake(
        "norm without sqrt",
        _with_norm(lambda gr: float(sum(np.sum(g**2) for g in gr.values()))),
        "total_norm is the sum of squares: take its square root, the L2 norm.",
    ),
    Mistake(
        "sum of per-array norms",
        _with_norm(lambda gr: float(sum(np.linalg.norm(g) for g in gr.values()))),
        "total_norm adds up the arrays' norms: the global norm is sqrt of the sum of all squares.",
    ),
    Mistake(
        "L1 norm",
        _with_norm(lambda gr: float(sum(np.abs(g).sum() for g in gr.values()))),
        "total_norm sums absolute values (L1): the global norm is the L2 norm, sqrt(sum of g**2).",
    ),
    Mistake(
        "returns the clipped norm",
        _clipped_norm,
        "total_norm must be the norm before clipping (useful to log), not after.",
    ),
    Mistake(
        "inverted scale",
        lambda grads, max_norm: (_scaled(grads, min(1.0, _norm(grads) / max_norm)), _norm(grads)),
        "the factor is inverted: scale = max_norm / (total_norm + eps) (at most 1).",
    ),
]


def diagnose(case: Case, got: dict, expected: dict) -> str | None:
    clipped = got.get("clipped")
    if not isinstance(clipped, dict) or set(clipped) != set(case.inputs["grads"]):
        return None
    if any(not np.all(np.isfinite(v)) for v in clipped.values() if isinstance(v, np.ndarray)):
        if case.group == "all gradients zero":
            return (
                "all gradients are zero here, so total_norm = 0 and max_norm / total_norm divides "
                "by zero: add a tiny eps, max_norm / (total_norm + 1e-6)."
            )
        return None
    grads = case.inputs["grads"]
    total, max_norm = (
        _norm({k: v.astype(np.float64) for k, v in grads.items()}),
        case.inputs["max_norm"],
    )
    if total <= max_norm:
        return None
    k = max(grads, key=lambda name: float(np.abs(grads[name]).max()))
    g, c = grads[k].astype(np.float64), np.asarray(clipped[k], dtype=np.float64)
    ratio = c.ravel() / g.ravel()
    if np.ptp(ratio) < 1e-9 * abs(ratio.mean()) and ratio.mean() > 0:
        eps = max_norm / ratio.mean() - total
        if eps > 1e-5:
            return (
                f"your scale looks like max_norm / (total_norm + {eps:.0e}): eps only guards "
                "against dividing by zero, keep it tiny (PyTorch uses 1e-6)."
            )
    return None


EXERCISE = Exercise(
    name="clip_grad_norm",
    args=("grads", "max_norm"),
    outputs=("clipped", "total_norm"),
    reference=clip_grad_norm,
    cases=cases,
    scalars=frozenset({"total_norm"}),
    mistakes=MISTAKES,
    branches={
        "norm above max_norm": lambda case: _total(case) > case.inputs["max_norm"],
        "0 < norm < max_norm": lambda case: 0 < _total(case) < case.inputs["max_norm"],
        "all gradients zero": lambda case: _total(case) == 0,
        "sqrt(max_norm) < norm < max_norm, max_norm > 1": lambda case: (
            case.inputs["max_norm"] > 1
            and np.sqrt(case.inputs["max_norm"]) < _total(case) < case.inputs["max_norm"]
        ),
        "max_norm < norm < sqrt(max_norm), max_norm < 1": lambda case: (
            case.inputs["max_norm"] < 1
            and case.inputs["max_norm"] < _total(case) < np.sqrt(case.inputs["max_norm"])
        ),
    },
    diagnose=diagnose,
    output_hints={
        "total_norm": "only total_norm is wrong: it is sqrt(sum over all arrays of sum(g**2)), before clipping."
    },
    error_hints=[
        (
            r"ZeroDivisionError",
            "total_norm can be 0 (all gradients zero): divide by (total_norm + eps) with a tiny eps such as 1e-6.",
        ),
    ],
    rtol64=1e-5,
    guide=(
        "The global norm treats every array as part of one long vector: total_norm = sqrt(sum over the arrays of sum(g_k ** 2)).",
        "One factor for all arrays: scale = min(1, max_norm / (total_norm + 1e-6)); clipped_k = scale * g_k, in a new dict.",
    ),
)
