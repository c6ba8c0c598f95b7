"""Exercise ``masked_cross_entropy`` (lesson 12): the loss over the real target positions only.

    loss    = sum over (n, u) with mask 1 of -log softmax(logits[n, u])[targets[n, u]] / M
    dlogits = mask * (softmax(logits) - onehot(targets)) / M,       M = mask.sum()

``mask`` is 1.0 on real target positions and 0.0 on padding (in the logits' dtype). Padded
positions contribute nothing, whatever their logits and targets; logits may be ±1e4.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import has_padding, padding_mask
from rnncourse.grading.exercises.softmax_cross_entropy import LOG_UNDERFLOW, overflow_diagnosis
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.seq2seq import masked_cross_entropy

# (N, U, K), dtype, group; letters all different, N=1 and U=1 among them
SHAPES = [
    ((3, 4, 5), np.float64, "float64"),
    ((1, 3, 4), np.float64, "float64"),
    ((4, 1, 3), np.float64, "float64"),
    ((3, 4, 5), np.float64, "same shapes, new values"),
    ((2, 5, 6), np.float32, "float32"),
    ((3, 4, 5), np.float64, "logits of ±1e4"),
    ((2, 3, 4), np.float32, "logits of ±1e4"),
]
HIDDEN_SHAPES = [
    ((5, 6, 7), np.float64, "float64"),
    ((1, 1, 2), np.float64, "float64"),
    ((4, 3, 6), np.float32, "float32"),
]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, U, K), dtype, label in HIDDEN_SHAPES if hidden else SHAPES:
        if label.startswith("logits of"):
            logits = rng.choice([-1e4, -5e3, 0.0, 5e3, 1e4], size=(N, U, K))
            logits = (logits + rng.normal(size=logits.shape)).astype(dtype)
        else:
            logits = (2.0 * rng.normal(size=(N, U, K))).astype(dtype)
        mask = padding_mask(rng, N, U, dtype)
        # padded positions get large logits: counting them changes the loss visibly
        logits = np.where(mask[..., None] > 0, logits, 4.0 * logits).astype(dtype)
        targets = rng.integers(0, K, size=(N, U))
        inputs = {"logits": logits, "targets": targets, "mask": mask}
        out.append(Case(inputs, label, {"N": N, "U": U, "K": K}, dtype))
    return out


@mistake_factory
def _masked(denominator="real", mask_loss=True, mask_grad=True, log_p="log-softmax"):
    """The masked loss as a learner might write it; each flag is one mistake. ``log_p``:
    "log-softmax" (right), "no max" (np.exp of the raw logits), "log of softmax"."""

    def loss_fn(logits, targets, mask):
        m = np.asarray(mask, dtype=np.float64)
        z = logits if log_p == "no max" else logits - logits.max(axis=-1, keepdims=True)
        if log_p == "log of softmax":
            p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
            logp = np.log(p)
        else:
            logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
            p = np.exp(logp)
        picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
        M = {"real": m.sum(), "all": m.size, "batch": m.shape[0]}[denominator]
        loss = -(picked * m).sum() / M if mask_loss else -picked.sum() / M
        d = p - np.eye(logits.shape[-1])[targets]
        d = d * m[..., None] if mask_grad else d
        return float(loss), (d / M).astype(logits.dtype)

    return loss_fn


OVERFLOW = (
    "NaN or inf with logits of ±1e4: np.exp overflows. Subtract each position's largest logit "
    "first, z = logits - logits.max(axis=-1, keepdims=True); the softmax does not change."
)

MISTAKES = [
    Mistake(
        "mean over all positions",
        _masked(denominator="all"),
        "the loss is a mean over the real positions: divide by M = mask.sum(), not by the "
        "number of all positions N·U (padding would make short targets count less).",
        "look at what you divide by: how many positions does the mean run over?",
    ),
    Mistake(
        "mean over the batch",
        _masked(denominator="batch"),
        "divide by M = mask.sum(), the number of real target positions, not by N.",
        "look at what you divide by: how many positions does the mean run over?",
    ),
    Mistake(
        "mask forgotten in the loss",
        _masked(mask_loss=False),
        "the padded positions' losses are in the sum: multiply each position's loss by the "
        "mask before summing.",
        "the loss changes with the logits of padded positions: which positions are summed?",
    ),
    Mistake(
        "dlogits not masked",
        _masked(mask_grad=False),
        "dlogits is not 0 at the padded positions: multiply it by mask[..., None] (padding "
        "contributes nothing, so its gradient is 0).",
        "look at dlogits at the padded positions (mask 0).",
    ),
    Mistake("no max-subtraction", _masked(log_p="no max"), OVERFLOW),
    Mistake("log of softmax", _masked(log_p="log of softmax"), LOG_UNDERFLOW),
]


diagnose = overflow_diagnosis(OVERFLOW, LOG_UNDERFLOW)


EXERCISE = Exercise(
    name="masked_cross_entropy",
    args=("logits", "targets", "mask"),
    outputs=("loss", "dlogits"),
    reference=masked_cross_entropy,
    cases=cases,
    dims={"logits": "N U K", "targets": "N U", "mask": "N U", "dlogits": "N U K"},
    scalars=frozenset({"loss"}),
    time_axis={"dlogits": 1},
    mistakes=MISTAKES,
    pre_activation=lambda logits, targets, mask: logits,
    branches={
        "a padded target": has_padding,
        "a target without padding": lambda case: bool((case.inputs["mask"] > 0).all(axis=1).any()),
    },
    diagnose=diagnose,
    output_hints={
        "loss": "only the loss is wrong: the mean over the real positions of -log p[target].",
        "dlogits": "only dlogits is wrong: mask * (softmax(logits) - onehot(targets)) / M.",
    },
)
