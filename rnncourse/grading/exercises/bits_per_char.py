"""Exercise ``bits_per_char`` (lesson 9): bits per character and perplexity of a model's scores
against the characters that came (``rnncourse.losses.bits_per_char``)."""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import group, normal
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.losses import bits_per_char, log_softmax, softmax

# leading shape, V, dtype, shift of the logits, label: every leading shape (N,), (N, T),
# three axes; rows shifted by +-1e4, which overflow a softmax written with np.exp; the first
# shapes again.
SETTINGS = [
    ((3, 4), 5, np.float64, 2.0, "float64, (N, T, V)"),
    ((6,), 7, np.float64, 2.0, "float64, (N, V)"),
    ((1, 5), 4, np.float64, 2.0, "float64, (N, T, V)"),
    ((3, 1), 6, np.float64, 2.0, "float64, (N, T, V)"),
    ((3, 4), 5, np.float64, 2.0, "same shapes, new values"),
    ((2, 3, 4), 6, np.float64, 2.0, "three leading axes"),
    ((2, 3), 5, np.float64, 1e4, "large logits (rows shifted by ±1e4)"),
    ((4, 6), 3, np.float32, 2.0, "float32"),
]
HIDDEN = [((5, 7), 9, np.float64, 3.0, "float64"), ((8,), 4, np.float32, 2.0, "float32")]
LETTERS = {1: "N", 2: "NT", 3: "NTS"}


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for lead, V, dtype, scale, label in HIDDEN if hidden else SETTINGS:
        logits = normal(rng, (*lead, V), dtype, 2.0)
        if scale > 100:  # each row shifted by +-1e4: the same softmax, an overflowing np.exp
            logits = logits + (scale * rng.choice([-1.0, 1.0], size=(*lead, 1))).astype(dtype)
        targets = rng.integers(0, V, size=lead)
        sizes = dict(zip(LETTERS[len(lead)], lead, strict=True)) | {"V": V}
        hint = ""
        if scale > 100:
            hint = (
                "NaN or inf on the case with logits of about ±1e4: np.exp overflows above 709. "
                "Take log softmax stably: subtract each row's maximum before np.exp "
                "(log_softmax(z) = z - max - log(sum(exp(z - max))))."
            )
        out.append(Case({"logits": logits, "targets": targets}, label or group(dtype), sizes,
                        dtype, nonfinite_hint=hint))  # fmt: skip
    return out


def _target_logp(logits, targets, stable=True):
    if stable:
        logp = log_softmax(logits)
    else:
        e = np.exp(logits)
        logp = np.log(e / e.sum(axis=-1, keepdims=True))
    return np.take_along_axis(logp, np.asarray(targets)[..., None], axis=-1)[..., 0]


@mistake_factory
def _bits(*, unit="bits", reduce="mean", ppl="2**bits", stable=True, prob="target"):
    """Bits per character and perplexity with the mistakes named by the flags."""

    def measure(logits, targets):
        if prob == "target":
            logp = _target_logp(logits, targets, stable)
        else:  # the probability of the model's favourite character, whatever came
            logp = np.log(softmax(logits).max(axis=-1))
        scale = {"bits": np.log(2.0), "nats": 1.0, "log10": np.log(10.0)}[unit]
        per_char = -logp / scale
        bits = float(per_char.sum() if reduce == "sum" else per_char.mean())
        perplexity = {
            "2**bits": 2.0**bits,
            "e**bits": float(np.exp(bits)),
            "mean of 1/p": float(np.mean(np.exp(-logp))),
        }[ppl]
        return bits, perplexity

    return measure


MISTAKES = [
    Mistake(
        "nats, not bits",
        _bits(unit="nats"),
        "your bits are in nats (the natural log): bits per character = mean cross-entropy / ln 2, "
        "i.e. log base 2.",
    ),
    Mistake(
        "log base 10",
        _bits(unit="log10"),
        "bits use log base 2, not 10: -log2 p = -ln p / ln 2.",
    ),
    Mistake(
        "summed, not averaged",
        _bits(reduce="sum"),
        "bits per character is a mean over every position (N·T of them), not a sum.",
    ),
    Mistake(
        "perplexity as e ** bits",
        _bits(ppl="e**bits"),
        "perplexity = 2 ** bits = exp(nats): with bits it is 2 **, with the mean cross-entropy in "
        "nats it is exp.",
    ),
    Mistake(
        "perplexity as a mean of 1 / p",
        _bits(ppl="mean of 1/p"),
        "perplexity is 2 ** (mean bits), the exponential of a mean, not the mean of the "
        "per-character 1 / p: one very unlikely character would dominate that mean.",
    ),
    Mistake(
        "softmax without max-subtraction",
        _bits(stable=False),
        "your softmax overflows on large logits (np.exp(1e4) = inf): subtract each row's maximum "
        "before np.exp, or use a stable log-softmax.",
    ),
    Mistake(
        "probability of the favourite, not of the target",
        _bits(prob="argmax"),
        "you took the probability of the model's most likely character: take the probability it "
        "gave to the character that actually came, softmax(logits)[..., target].",
    ),
]

EXERCISE = Exercise(
    name="bits_per_char",
    args=("logits", "targets"),
    outputs=("bits", "perplexity"),
    reference=bits_per_char,
    cases=cases,
    scalars=frozenset({"bits", "perplexity"}),
    mistakes=MISTAKES,
    pre_activation=lambda logits, targets: logits,
    branches={
        "logits (N, V)": lambda c: c.inputs["logits"].ndim == 2,
        "logits (N, T, V)": lambda c: c.inputs["logits"].ndim == 3,
        "logits with three leading axes": lambda c: c.inputs["logits"].ndim == 4,
    },
    output_hints={
        "perplexity": "only the perplexity is wrong: perplexity = 2 ** bits.",
    },
)
