"""Exercise ``softmax_cross_entropy``: mean cross-entropy over all positions and dL/dlogits."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.spec import Case, Exercise, Mistake
from rnncourse.losses import softmax_cross_entropy

# leading shape of the logits, K, dtype; all letters different. Logits are (..., K): one,
# two and three leading axes; the first shapes come back with new values.
SHAPES = [
    ((4,), 3, np.float64),
    ((2, 5), 3, np.float64),
    ((1,), 6, np.float64),
    ((3, 1), 5, np.float64),
    ((2, 3, 5), 4, np.float64),
    ((4,), 3, np.float64),
    ((3, 4), 7, np.float32),
    ((2, 1, 3), 4, np.float32),
]
HIDDEN_SHAPES = [((6, 3), 5, np.float64), ((1, 1), 4, np.float64), ((5,), 2, np.float32)]
LARGE = [((3,), 4, np.float64), ((2, 5), 3, np.float32)]


def _letters(lead: tuple[int, ...], K: int) -> dict[str, int]:
    return dict(zip(("N", "T", "U"), lead, strict=False)) | {"K": K}


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for lead, K, dtype in HIDDEN_SHAPES if hidden else SHAPES:
        logits = (2.0 * rng.normal(size=(*lead, K))).astype(dtype)
        targets = rng.integers(0, K, size=lead)
        out.append(
            Case(
                {"logits": logits, "targets": targets},
                np.dtype(dtype).name,
                _letters(lead, K),
                dtype,
            )
        )
    for lead, K, dtype in [] if hidden else LARGE:  # logits of +-1e4: exp overflows without care
        logits = rng.choice([-1e4, -5e3, 0.0, 5e3, 1e4], size=(*lead, K)).astype(dtype)
        logits += rng.normal(size=logits.shape).astype(dtype)
        targets = rng.integers(0, K, size=lead)
        out.append(
            Case({"logits": logits, "targets": targets}, "logits of ±1e4", _letters(lead, K), dtype)
        )
    return out


def _onehot(targets, K):
    return np.eye(K)[targets]


def _naive(
    logits,
    targets,
    *,
    stable=False,
    reduce="mean",
    axis=-1,
    grad_scale=None,
    sign=1.0,
    no_onehot=False,
):
    """Softmax cross-entropy written the direct way, with optional mistakes."""
    z = logits - logits.max(axis=axis, keepdims=True) if stable else logits
    e = np.exp(z)
    p = e / e.sum(axis=axis, keepdims=True)
    y = _onehot(targets, logits.shape[-1])
    per_position = -np.log((p * y).sum(axis=-1))
    M = targets.size
    if reduce == "mean":
        loss = per_position.mean()
    elif reduce == "sum":
        loss = per_position.sum()
    elif reduce == "batch":
        loss = per_position.sum() / logits.shape[0]
    else:
        loss = per_position
    g = p if no_onehot else (p - y)
    scale = (
        {"mean": M, "sum": 1, "batch": logits.shape[0], "none": M}[reduce]
        if grad_scale is None
        else grad_scale(M)
    )
    return loss, sign * g / scale


OVERFLOW = (
    "NaN or inf with logits of ±1e4: np.exp overflows. Subtract each row's maximum first, "
    "z = logits - logits.max(axis=-1, keepdims=True); softmax does not change."
)
LOG_UNDERFLOW = (
    "the loss is inf with logits of ±1e4: log(softmax) underflows to log(0). Compute the log "
    "directly, log p = z - log(sum(exp(z))) with z = logits - max (log-softmax)."
)

ANY_LEADING_AXES = (
    "logits are (..., K): any number of leading axes (one, two, three, ...), not just "
    "(N, T, K). Flatten them, z = logits.reshape(-1, K) with K = logits.shape[-1], "
    "targets.reshape(-1), and give dlogits the shape of logits at the end."
)

MISTAKES = [
    Mistake("no max-subtraction", lambda lg, t: _naive(lg, t), OVERFLOW),
    Mistake("log of softmax", lambda lg, t: _naive(lg, t, stable=True), LOG_UNDERFLOW),
    Mistake(
        "sum, not mean",
        lambda lg, t: _naive(lg, t, stable=True, reduce="sum"),
        "the loss is summed over positions: take the mean over all positions (and divide dlogits "
        "by their number M).",
    ),
    Mistake(
        "mean over the batch only",
        lambda lg, t: _naive(lg, t, stable=True, reduce="batch"),
        "you divide by N only: with logits (N, T, K) the mean is over all N·T positions, "
        "M = targets.size.",
    ),
    Mistake(
        "dlogits not divided by M",
        lambda lg, t: _naive(lg, t, stable=True, grad_scale=lambda M: 1),
        "the loss is a mean over M positions, so its gradient is divided by M too: "
        "dlogits = (p - onehot) / M.",
    ),
    Mistake(
        "dlogits sign flipped",
        lambda lg, t: _naive(lg, t, stable=True, sign=-1.0),
        "dlogits has the wrong sign: it is (p - onehot) / M, positive on the wrong classes.",
    ),
    Mistake(
        "one-hot not subtracted",
        lambda lg, t: _naive(lg, t, stable=True, no_onehot=True),
        "dlogits is p / M: subtract 1 at the target class, dlogits = (p - onehot) / M.",
    ),
    Mistake(
        "loss per position",
        lambda lg, t: _naive(lg, t, stable=True, reduce="none"),
        "the loss must be one number, the mean over all positions (e.g. float(np.mean(...))).",
    ),
]


def overflow_diagnosis(overflow: str, underflow: str):
    """A ``diagnose`` for a (loss, dlogits) item: ``overflow`` when dlogits is not finite (np.exp
    overflowed), ``underflow`` when the loss is not (the log of a softmax that underflowed)."""

    def diagnose(case: Case, got: dict, expected: dict) -> str | None:
        loss, dlogits = got.get("loss"), got.get("dlogits")
        if isinstance(dlogits, np.ndarray) and not np.all(np.isfinite(dlogits)):
            return overflow
        if isinstance(loss, float) and not np.isfinite(loss):
            return underflow
        return None

    return diagnose


diagnose = overflow_diagnosis(OVERFLOW, LOG_UNDERFLOW)


EXERCISE = Exercise(
    name="softmax_cross_entropy",
    args=("logits", "targets"),
    outputs=("loss", "dlogits"),
    reference=softmax_cross_entropy,
    cases=cases,
    dims={"logits": "N T K", "dlogits": "N T K"},
    scalars=frozenset({"loss"}),
    mistakes=MISTAKES,
    pre_activation=lambda logits, targets: logits,
    branches={
        "logits (N, K)": lambda case: case.inputs["logits"].ndim == 2,
        "logits (N, T, K)": lambda case: case.inputs["logits"].ndim == 3,
        "logits with three leading axes": lambda case: case.inputs["logits"].ndim == 4,
    },
    diagnose=diagnose,
    error_hints=[
        (r"values to unpack", ANY_LEADING_AXES),
        (r"cannot reshape array", ANY_LEADING_AXES),
    ],
    output_hints={
        "loss": "only the loss is wrong: loss = mean over positions of -log p[target].",
        "dlogits": "only dlogits is wrong: dlogits = (softmax(logits) - onehot(targets)) / M.",
    },
)
