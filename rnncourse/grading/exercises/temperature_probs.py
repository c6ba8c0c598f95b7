"""Exercise ``temperature_probs``: the distribution a character is sampled from at a temperature,
``p = softmax(logits / temperature)`` over the last axis.

This is the deterministic half of sampling with a temperature; the whole of it,
``sample_with_temperature(logits, temperature, rng)`` (``rnncourse.charmodel``), draws from
these probabilities and is checked on the distribution of its draws
(``tests/test_sampling_temperature.py``). Cases: temperatures below, at and above 1 (so that
multiplying by the temperature instead of dividing fails), logits (K,), (N, K) and (N, T, K),
and logits large enough that a softmax without the max subtracted overflows.
"""

from __future__ import annotations

import numpy as np

from rnncourse.charmodel import temperature_probs
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory

# leading shape, K, temperature, dtype, group
SETTINGS = [
    ((3,), 5, 0.5, np.float64, "temperature 0.5"),
    ((2, 4), 3, 2.0, np.float64, "temperature 2"),
    ((), 6, 0.7, np.float64, "one distribution, logits (K,)"),
    ((3,), 5, 1.5, np.float64, "same shapes, new values"),
    ((1,), 4, 1.0, np.float64, "temperature 1"),
    ((3, 1), 5, 1.2, np.float64, "temperature 1.2"),
    ((2, 3), 4, 0.8, np.float32, "float32"),
]
LARGE = [((2,), 4, 0.5, np.float64), ((3,), 2, 2.0, np.float32)]
HIDDEN = [((4,), 7, 0.3, np.float64, "temperature 0.3"), ((2, 2), 3, 3.0, np.float32, "float32")]


def _letters(lead, K):
    return dict(zip(("N", "T"), lead, strict=False)) | {"K": K}


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for lead, K, temp, dtype, label in HIDDEN if hidden else SETTINGS:
        logits = (2.0 * rng.normal(size=(*lead, K))).astype(dtype)
        out.append(Case({"logits": logits, "temperature": temp}, label, _letters(lead, K), dtype))
    for lead, K, temp, dtype in [] if hidden else LARGE:  # scores of +-1000: exp overflows
        logits = rng.choice([-1000.0, 0.0, 500.0, 1000.0], size=(*lead, K)).astype(dtype)
        logits += rng.normal(size=logits.shape).astype(dtype)
        hint = (
            "NaN or inf on logits of about ±1000: np.exp overflows above 709. Subtract each "
            "row's maximum of logits / temperature before np.exp (the softmax does not change)."
        )
        out.append(
            Case({"logits": logits, "temperature": temp}, "logits of ±1000", _letters(lead, K),
                 dtype, nonfinite_hint=hint)
        )  # fmt: skip
    return out


def pre_activation(logits, temperature):
    return np.asarray(logits, dtype=np.float64) / temperature


@mistake_factory
def _make(op="divide", probs_from="softmax", axis=-1, stable=True):
    def probs(logits, temperature):
        z = (
            logits * temperature
            if op == "multiply"
            else (logits if op == "none" else logits / temperature)
        )
        if probs_from == "logits":  # the scores used as if they were probabilities
            w = z - z.min(axis=-1, keepdims=True)
            return w / w.sum(axis=-1, keepdims=True)
        if stable:
            z = z - z.max(axis=axis, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)

    return probs


MISTAKES = [
    Mistake(
        "multiplies by the temperature",
        _make(op="multiply"),
        "the logits are multiplied by the temperature: divide, softmax(logits / temperature), "
        "so that a temperature below 1 sharpens the distribution and above 1 flattens it.",
    ),
    Mistake(
        "temperature ignored",
        _make(op="none"),
        "the temperature has no effect: p = softmax(logits / temperature).",
    ),
    Mistake(
        "probabilities from the logits, without softmax",
        _make(probs_from="logits"),
        "the scores are normalised directly (shifted and divided by their sum): they are "
        "logits, log-probabilities up to a constant; the probabilities are their softmax, "
        "exp(z) / sum(exp(z)).",
    ),
    Mistake(
        "normalised over the wrong axis",
        _make(axis=0),
        "the softmax runs over the first axis: each distribution is along the last axis, "
        "K scores for K characters (axis=-1, keepdims=True).",
    ),
]

EXERCISE = Exercise(
    name="temperature_probs",
    args=("logits", "temperature"),
    outputs=("p",),
    reference=temperature_probs,
    cases=cases,
    dims={"logits": "... K", "p": "... K"},
    mistakes=MISTAKES,
    pre_activation=pre_activation,
    branches={
        "temperature < 1": lambda c: c.inputs["temperature"] < 1,
        "temperature > 1": lambda c: c.inputs["temperature"] > 1,
        "logits (K,)": lambda c: c.inputs["logits"].ndim == 1,
        "logits (N, K)": lambda c: c.inputs["logits"].ndim == 2,
        "logits (N, T, K)": lambda c: c.inputs["logits"].ndim == 3,
    },
)
