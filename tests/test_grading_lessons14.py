"""Grading of the lesson-3 and lesson-4 exercises of my design: ``output_forward`` and
``rnn_forward_masked``. Learner-style wrong versions (written independently of the specs'
own mistake functions) must be rejected with the specific hint; correct alternatives pass."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.grading import CheckFailed, check, grade_function
from rnncourse.grading.spec import exercise_names, get_exercise

NAMES = ("output_forward", "rnn_forward_masked")


# ------------------------------------------------------------------ output_forward
def out_no_transpose(h, W_hy, b_y):
    return h @ W_hy + b_y


def out_column_form(h, W_hy, b_y):
    return W_hy @ h + b_y


def out_no_bias(h, W_hy, b_y):
    y = np.einsum("...h,kh->...k", h, W_hy)
    return y


def out_softmax(h, W_hy, b_y):
    z = h @ W_hy.T + b_y
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def out_tanh(h, W_hy, b_y):
    return np.tanh(np.dot(h, W_hy.T) + b_y)


def out_last_step(h, W_hy, b_y):
    if h.ndim == 3:
        h = h[:, h.shape[1] - 1, :]
    return h @ W_hy.T + b_y


def out_list(h, W_hy, b_y):
    return (h @ W_hy.T + b_y).tolist()


def out_loop(h, W_hy, b_y):  # correct, one position at a time
    flat = h.reshape(-1, h.shape[-1])
    y = np.stack([W_hy @ row + b_y for row in flat])
    return y.reshape(*h.shape[:-1], W_hy.shape[0])


def out_einsum(h, W_hy, b_y):  # correct
    return np.einsum("...h,kh->...k", h, W_hy) + b_y


# ------------------------------------------------------------------ rnn_forward_masked
def masked(kind="right"):
    def rnn_forward_masked(x, mask, h0, W_xh, W_hh, b_h):
        N, T, D = x.shape
        h = np.zeros((N, T, W_hh.shape[0]), dtype=np.result_type(x, h0))
        h_prev = h0
        for t in range(T):
            h_new = np.tanh(x[:, t] @ W_xh.T + h_prev @ W_hh.T + b_h)
            if kind == "no mask":
                h[:, t] = h_new
            elif kind == "zeros":
                h[:, t] = h_new * mask[:, t][:, None]
            elif kind == "h0":
                keep = mask[:, t].reshape(N, 1)
                h[:, t] = keep * h_new + (1.0 - keep) * h0
            elif kind == "no broadcast":
                h[:, t] = mask[:, t] * h_new + (1 - mask[:, t]) * h_prev
            elif kind == "shift" and t > 0:
                h[:, t] = np.where(mask[:, t - 1, None] > 0, h_new, h_prev)
            elif kind == "continue":
                h[:, t] = np.where(mask[:, t, None] > 0, h_new, h_prev)
                h_prev = h_new
                continue
            elif kind == "where":
                h[:, t] = np.where(mask[:, t, None] > 0.5, h_new, h_prev)
            else:
                m = mask[:, t, None]
                h[:, t] = m * h_new + (1 - m) * h_prev
            h_prev = h[:, t]
        return h

    return rnn_forward_masked


def masked_by_lengths(x, mask, h0, W_xh, W_hh, b_h):  # correct: run each sequence alone
    from rnncourse.rnn import rnn_forward

    N, T, _ = x.shape
    out = np.empty((N, T, W_hh.shape[0]), dtype=np.result_type(x, h0))
    for n in range(N):
        L = int(mask[n].sum())
        hn = rnn_forward(x[n : n + 1, :L], h0[n : n + 1], W_xh, W_hh, b_h)[0]
        out[n, :L] = hn
        out[n, L:] = hn[-1]
    return out


MUTANTS = [
    ("output_forward", out_no_transpose, "h @ W_hy.T"),
    ("output_forward", out_column_form, "h @ W_hy.T"),
    ("output_forward", out_no_bias, "bias is missing"),
    ("output_forward", out_softmax, "softmax belongs to the loss"),
    ("output_forward", out_tanh, "the output layer is linear"),
    ("output_forward", out_last_step, "every step's output"),
    ("output_forward", out_list, "numpy array"),
    ("rnn_forward_masked", masked("no mask"), "the mask is ignored"),
    ("rnn_forward_masked", masked("zeros"), "padded steps are 0"),
    ("rnn_forward_masked", masked("h0"), "not the initial one"),
    ("rnn_forward_masked", masked("no broadcast"), "mask[:, t, None]"),
    ("rnn_forward_masked", masked("shift"), "one step off"),
    ("rnn_forward_masked", masked("continue"), "start from the carried state"),
]
CORRECT = [
    ("output_forward", out_loop),
    ("output_forward", out_einsum),
    ("rnn_forward_masked", masked()),
    ("rnn_forward_masked", masked("where")),
    ("rnn_forward_masked", masked_by_lengths),
]


def test_exercises_are_registered():
    assert set(NAMES) <= set(exercise_names())


@pytest.mark.parametrize("name", NAMES)
def test_reference_passes_and_cases_are_varied(name):
    ex = get_exercise(name)
    assert grade_function(ex.reference, name).passed
    assert grade_function(ex.reference, name, hidden=True).passed
    cases = ex.make_cases()
    assert {np.dtype(c.dtype).name for c in cases} == {"float64", "float32"}
    assert any(c.sizes["N"] == 1 for c in cases)
    assert any(c.sizes.get("T") == 1 for c in cases)


def test_masked_cases_have_padding_and_full_sequences():
    cases = get_exercise("rnn_forward_masked").make_cases()
    masks = [c.inputs["mask"] for c in cases]
    assert any((m == 0).any() for m in masks)  # some padding
    assert any((m == 1).all(axis=1).any() for m in masks)  # some full-length sequences
    for m in masks:  # padding only at the end, every sequence at least one real step
        assert (np.diff(m, axis=1) <= 0).all() and (m[:, 0] == 1).all()


@pytest.mark.parametrize(
    ("name", "fn", "hint"),
    [pytest.param(n, f, h, id=f"{n}: {f.__name__}: {h}") for n, f, h in MUTANTS],
)
def test_learner_mistake_rejected_with_specific_hint(name, fn, hint):
    report = grade_function(fn, name, timeout=10.0)
    assert not report.passed
    assert hint in report.summary(), report.summary()


@pytest.mark.parametrize(
    ("name", "fn"), [pytest.param(n, f, id=f"{n}: {f.__name__}") for n, f in CORRECT]
)
def test_correct_alternatives_pass(name, fn):
    assert grade_function(fn, name).passed, grade_function(fn, name).text()
    assert grade_function(fn, name, hidden=True).passed


def test_check_raises_with_hint_for_a_stub():
    def output_forward(h, W_hy, b_y):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not implemented"):
        check(output_forward)
