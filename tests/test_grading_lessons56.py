"""Grading for lessons 5-6: the BPTT misconceptions, clip_grad_norm, and hidden_gradients.

Learner-style wrong answers (written the way a learner would, not the spec's compact
versions) must be rejected with the hint that names the mistake; correct variants must pass.
The first group completes the BPTT catalogue the issue asks for: recurrent path dropped,
gradients overwritten instead of accumulated, wrong tanh derivative, off-by-one in time.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.grading import CheckFailed, check, get_exercise, grade_function

MUTANTS: list[tuple[str, str, object, str]] = []
CORRECT: list[tuple[str, str, object]] = []


def mutant(exercise, name, hint):
    def register(fn):
        MUTANTS.append((exercise, name, fn, hint))
        return fn

    return register


def correct(exercise, name):
    def register(fn):
        CORRECT.append((exercise, name, fn))
        return fn

    return register


# ---------------------------------------------------------------- rnn_backward
def _loop(dh, x, h0, h, W_xh, W_hh, *, step):
    """A learner's BPTT loop; ``step`` computes one step's gradients (the part that varies)."""
    N, T, H = h.shape
    dx = np.zeros_like(x)
    grads = {"W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros(H)}
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        dx[:, t], dh_next = step(dh[:, t], dh_next, x[:, t], h_prev, h[:, t], W_xh, W_hh, grads)
    return dx, dh_next, grads["W_xh"], grads["W_hh"], grads["b_h"]


@mutant("rnn_backward", "gradients overwritten with =", "accumulate their gradients over time")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_t**2)
        g["W_xh"] = da.T @ x_t  # = where += belongs
        g["W_hh"] = da.T @ h_prev
        g["b_h"] = da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "recurrent path dropped (dh_next computed, never used)", "step t+1")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = dh_t * (1 - h_t * h_t)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "tanh' taken at h_prev", "off by one in time")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_prev**2)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "tanh' of h_t taken again", "tanh is applied twice")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - np.tanh(h_t) ** 2)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "dh_next added after the tanh'", "add it to dh[:, t] first")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = dh_t * (1 - h_t**2) + dh_next
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "recurrence through W_hh.T", "dh_prev = da_t @ W_hh")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_t**2)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh.T

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


@correct("rnn_backward", "step-by-step with += and einsum")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_t**2)
        g["W_xh"] += np.einsum("nh,nd->hd", da, x_t)
        g["W_hh"] += np.einsum("nh,nk->hk", da, h_prev)
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _loop(dh, x, h0, h, W_xh, W_hh, step=step)


# ---------------------------------------------------------------- rnn_step_backward
@mutant("rnn_step_backward", "tanh' as 1 - h_t (no square)", "the square is missing")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@mutant("rnn_step_backward", "tanh' taken at h_prev", "h_prev")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_prev**2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


# ---------------------------------------------------------------- clip_grad_norm
@mutant("clip_grad_norm", "per-element clipping in a loop", "clipped separately")
def _(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    out = {}
    for k, g in grads.items():
        out[k] = np.minimum(np.maximum(g, -max_norm), max_norm)
    return out, float(total)


@correct("clip_grad_norm", "explicit loop over arrays, float scale")
def _(grads, max_norm):
    total = 0.0
    for g in grads.values():
        total += float(np.sum(g.astype(np.float64) ** 2))
    total = total**0.5
    scale = min(1.0, max_norm / (total + 1e-6))
    return {k: g * scale for k, g in grads.items()}, total


# ---------------------------------------------------------------- hidden_gradients
def _hg(dh_T, h, W_hh, *, factor, W=None, start=None):
    N, T, H = h.shape
    W = W_hh if W is None else W
    out = [dh_T if start is None else start(dh_T, h, W_hh)]
    g = out[0]
    for t in range(T - 1, 0, -1):
        g = (g * factor(h, t)) @ W
        out.append(g)
    return np.stack(out[::-1], axis=1)


@mutant("hidden_gradients", "no tanh'", "skips the tanh")
def _(dh_T, h, W_hh):
    return _hg(dh_T, h, W_hh, factor=lambda h, t: 1.0)


@mutant("hidden_gradients", "W_hh.T", "uses W_hh.T")
def _(dh_T, h, W_hh):
    return _hg(dh_T, h, W_hh, factor=lambda h, t: 1 - h[:, t] ** 2, W=W_hh.T)


@mutant("hidden_gradients", "tanh' at h[:, t-1] (off by one)", "off by one in time")
def _(dh_T, h, W_hh):
    return _hg(dh_T, h, W_hh, factor=lambda h, t: 1 - h[:, t - 1] ** 2)


@mutant("hidden_gradients", "1 - tanh(h)^2", "h is already tanh(a)")
def _(dh_T, h, W_hh):
    return _hg(dh_T, h, W_hh, factor=lambda h, t: 1 - np.tanh(h[:, t]) ** 2)


@mutant("hidden_gradients", "list appended, never reversed", "reverse order")
def _(dh_T, h, W_hh):
    g, out = dh_T, [dh_T]
    for t in range(h.shape[1] - 1, 0, -1):
        g = (g * (1 - h[:, t] ** 2)) @ W_hh
        out.append(g)
    return np.stack(out, axis=1)


@mutant("hidden_gradients", "every step starts again from dh_T", "not from dh_T again")
def _(dh_T, h, W_hh):
    N, T, H = h.shape
    dh = np.zeros((N, T, H))
    dh[:, -1] = dh_T
    for t in range(T - 1, 0, -1):
        dh[:, t - 1] = (dh_T * (1 - h[:, t] ** 2)) @ W_hh
    return dh


@mutant("hidden_gradients", "returns the norms only", "shape")
def _(dh_T, h, W_hh):
    from rnncourse.experiments.gradient_flow import hidden_gradients

    return np.linalg.norm(hidden_gradients(dh_T, h, W_hh), axis=2)


@correct("hidden_gradients", "explicit Jacobian matrices per example")
def _(dh_T, h, W_hh):
    N, T, H = h.shape
    dh = np.zeros((N, T, H), dtype=np.result_type(dh_T, h, W_hh))
    dh[:, T - 1] = dh_T
    for n in range(N):
        for t in range(T - 1, 0, -1):
            J = np.diag(1 - h[n, t] ** 2) @ W_hh  # dh_t/dh_{t-1}, column form
            dh[n, t - 1] = J.T @ dh[n, t]
    return dh


@correct("hidden_gradients", "preallocated like h, float32 stays float32")
def _(dh_T, h, W_hh):
    dh = np.empty_like(h)
    dh[:, -1] = dh_T
    for t in range(h.shape[1] - 1, 0, -1):
        dh[:, t - 1] = (dh[:, t] * (1 - h[:, t] ** 2)) @ W_hh
    return dh


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize(
    ("exercise", "fn", "expected"),
    [pytest.param(e, f, h, id=f"{e}: {n}") for e, n, f, h in MUTANTS],
)
def test_mutant_rejected_with_specific_hint(exercise, fn, expected):
    report = grade_function(fn, exercise, timeout=10.0)
    assert not report.passed
    if expected is not None:
        assert expected in report.summary(), report.summary()


@pytest.mark.parametrize(
    ("exercise", "fn"), [pytest.param(e, f, id=f"{e}: {n}") for e, n, f in CORRECT]
)
def test_correct_alternative_passes(exercise, fn):
    assert grade_function(fn, exercise).passed
    assert grade_function(fn, exercise, hidden=True).passed


def _names(exercise):
    return " | ".join(m.name for m in get_exercise(exercise).mistakes)


@pytest.mark.parametrize(
    ("exercise", "pattern"),
    [
        ("rnn_backward", "recurrent path dropped"),
        ("rnn_backward", "overwritten, not accumulated"),
        ("rnn_backward", "tanh'"),
        ("rnn_backward", "off by one"),
        ("rnn_step_backward", "tanh'"),
        ("rnn_step_backward", "from h_t"),  # dW_hh from h_t: off by one in time
        ("hidden_gradients", "off by one"),
        ("hidden_gradients", "tanh'"),
        ("clip_grad_norm", "clipping per element"),
    ],
)
def test_catalogue_names_the_bptt_misconceptions(exercise, pattern):
    assert pattern in _names(exercise)


def test_first_wrong_time_step_is_named_for_hidden_gradients():
    def hidden_gradients(dh_T, h, W_hh):
        return _hg(dh_T, h, W_hh, factor=lambda h, t: 1.0)

    report = grade_function(hidden_gradients, "hidden_gradients")
    assert "step" in report.text()


def test_check_raises_with_the_hint_and_passes_the_reference(capsys):
    from rnncourse.experiments.gradient_flow import hidden_gradients as reference

    def hidden_gradients(dh_T, h, W_hh):
        return _hg(dh_T, h, W_hh, factor=lambda h, t: 1 - h[:, t] ** 2, W=W_hh.T)

    with pytest.raises(CheckFailed, match=r"W_hh\.T"):
        check(hidden_gradients)
    assert check(reference, name="hidden_gradients") is None


def test_stub_says_not_implemented():
    def hidden_gradients(dh_T, h, W_hh):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not implemented yet"):
        check(hidden_gradients)
