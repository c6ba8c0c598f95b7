"""Exercise ``train_step``: one training step of an RNN with an output layer, the loop of
lesson 10 written once: forward, loss, BPTT, global-norm clipping, Adam.

    train_step(params, m, v, t, x, targets, h0, lr, max_norm) -> (params, m, v, loss, h_T)

``params``: ``W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (K, H), b_y (K,)``; ``x (N, T, D)``,
``targets (N, T)`` int, ``h0 (N, H)``. ``loss`` is the loss before the update; ``h_T (N, H)`` the
last hidden state. Cases clip and do not clip (max_norm below and above the gradient's norm);
Adam's state is zero at t = 1 and carried at later steps.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import normal, rnn_params, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import softmax_cross_entropy
from rnncourse.optim import adam_step, clip_grad_norm, sgd_step
from rnncourse.rnn import rnn_backward, rnn_forward
from rnncourse.training import train_step

# (N, T, D, H, K), dtype, group, t, max_norm
SETTINGS = [
    ((2, 3, 4, 5, 6), np.float64, "float64, clipped", 1, 0.1),
    ((3, 4, 2, 5, 7), np.float64, "float64, not clipped", 3, 100.0),
    ((1, 5, 3, 4, 2), np.float64, "float64, clipped", 2, 0.5),
    ((4, 1, 3, 2, 5), np.float64, "float64, not clipped", 1, 100.0),
    ((2, 3, 4, 5, 6), np.float64, "same shapes, new values", 4, 0.1),
    ((2, 3, 4, 4, 6), np.float64, "square layer (D = H)", 2, 0.3),
    ((2, 3, 5, 6, 6), np.float64, "square output layer (K = H)", 1, 0.3),
    ((3, 2, 5, 4, 6), np.float32, "float32", 2, 0.2),
]
HIDDEN = [
    ((5, 6, 3, 7, 4), np.float64, "float64, clipped", 5, 0.2),
    ((2, 2, 6, 3, 5), np.float32, "float32", 1, 100.0),
]
KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def _params(rng, D, H, K, dtype):
    p = rnn_params(rng, D, H, dtype, scale=1.5)
    p["W_hy"] = normal(rng, (K, H), dtype, 1.0 / np.sqrt(H))
    p["b_y"] = normal(rng, (K,), dtype, 0.3)
    return p


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H, K), dtype, label, t, max_norm in HIDDEN if hidden else SETTINGS:
        params = _params(rng, D, H, K, dtype)
        if t == 1:
            m = {k: np.zeros_like(a) for k, a in params.items()}
            v = {k: np.zeros_like(a) for k, a in params.items()}
        else:
            m = {k: normal(rng, a.shape, dtype, 0.05) for k, a in params.items()}
            v = {
                k: (normal(rng, a.shape, dtype, 0.05) ** 2 + 1e-4).astype(dtype)
                for k, a in params.items()
            }
        inputs = {
            "params": params,
            "m": m,
            "v": v,
            "t": t,
            "x": normal(rng, (N, T, D), dtype),
            "targets": rng.integers(0, K, size=(N, T)),
            "h0": states(rng, (N, H), dtype),
            "lr": 0.01,
            "max_norm": max_norm,
        }
        out.append(Case(inputs, label, {"N": N, "T": T, "D": D, "H": H, "K": K}, dtype))
    return out


def _grads(params, x, targets, h0):
    h = rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b_h"])
    y = output_forward(h, params["W_hy"], params["b_y"])
    loss, dy = softmax_cross_entropy(y, targets)
    dh, dW_hy, db_y = output_backward(dy, h, params["W_hy"])
    _, _, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, params["W_xh"], params["W_hh"])
    return loss, {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}, h


def _norm(grads):
    return float(
        np.sqrt(sum(float(np.sum(np.asarray(g, np.float64) ** 2)) for g in grads.values()))
    )


def grad_norm(case: Case) -> float:
    c = case.inputs
    return _norm(_grads(c["params"], c["x"], c["targets"], c["h0"])[1])


@mistake_factory
def _make(clip="global", loss_after=False, h_first=False, skip_output=False, t_shift=0,
          optimizer="adam", h0_zero=False):  # fmt: skip
    def step(params, m, v, t, x, targets, h0, lr, max_norm):
        start = np.zeros_like(h0) if h0_zero else h0
        loss, grads, h = _grads(params, x, targets, start)
        if skip_output:
            grads = {k: (np.zeros_like(g) if k in ("W_hy", "b_y") else g) for k, g in grads.items()}
        if clip == "global":
            grads, _ = clip_grad_norm(grads, max_norm)
        elif clip == "per array":
            grads = {k: clip_grad_norm({k: g}, max_norm)[0][k] for k, g in grads.items()}
        if optimizer == "adam":
            new_p, new_m, new_v = adam_step(params, grads, m, v, t + t_shift, lr)
        else:
            new_p, new_m, new_v = sgd_step(params, grads, lr), dict(m), dict(v)
        if loss_after:
            loss = _grads(new_p, x, targets, start)[0]
        return new_p, new_m, new_v, loss, (h[:, 0] if h_first else h[:, -1]).copy()

    return step


MISTAKES = [
    Mistake(
        "no clipping",
        _make(clip=None),
        "the gradients were not clipped: before the update, clip them all together, "
        "grads, norm = clip_grad_norm(grads, max_norm).",
    ),
    Mistake(
        "clipping each array by its own norm",
        _make(clip="per array"),
        "each gradient array is clipped by its own norm: clip_grad_norm takes the whole dict, "
        "one global norm over all five arrays.",
    ),
    Mistake(
        "loss after the update",
        _make(loss_after=True),
        "the loss returned is computed after the update: return the loss of the forward pass "
        "that gave the gradients (before the step).",
    ),
    Mistake(
        "first hidden state returned",
        _make(h_first=True),
        "h_T is the state after the first step, h[:, 0]: the next chunk starts from the last "
        "one, h[:, -1].",
    ),
    Mistake(
        "output layer not trained",
        _make(skip_output=True),
        "W_hy and b_y did not learn: their gradients (from the output layer's backward, "
        "dW_hy = sum dy^T h, db_y = sum dy) belong in grads with the RNN's.",
    ),
    Mistake(
        "Adam given the next step number",
        _make(t_shift=1),
        "Adam was given t + 1: t is already the number of this step.",
    ),
    Mistake(
        "SGD instead of Adam",
        _make(optimizer="sgd"),
        "the parameters took a plain gradient step and m, v did not change: update with "
        "adam_step(params, grads, m, v, t, lr) and return its new m and v.",
    ),
    Mistake(
        "h0 ignored",
        _make(h0_zero=True),
        "the forward pass starts from zeros: start from h0, the state the previous chunk left "
        "(truncated BPTT carries it).",
    ),
]

EXERCISE = Exercise(
    name="train_step",
    args=("params", "m", "v", "t", "x", "targets", "h0", "lr", "max_norm"),
    outputs=("params", "m", "v", "loss", "h_T"),
    reference=train_step,
    cases=cases,
    dims={"x": "N T D", "h0": "N H", "h_T": "N H"},
    scalars=frozenset({"loss"}),
    mistakes=MISTAKES,
    output_hints={
        "loss": "only the loss is wrong: the mean cross-entropy of the forward pass, before the update.",
        "h_T": "only h_T is wrong: the last hidden state of the forward pass, h[:, -1], (N, H).",
    },
    branches={
        "gradient norm above max_norm (clipped)": lambda c: grad_norm(c) > c.inputs["max_norm"],
        "gradient norm below max_norm (not clipped)": lambda c: grad_norm(c) < c.inputs["max_norm"],
        "first step (t = 1)": lambda c: c.inputs["t"] == 1,
        "a later step (t > 1)": lambda c: c.inputs["t"] > 1,
    },
    rtol64=1e-7,
)
