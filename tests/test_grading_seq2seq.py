"""Lesson 12's graded items (attention_forward, masked_cross_entropy, beam_search and the
stretch attention_backward): what the shared catalogue tests do not show on their own.

The learner-style mutants and correct alternatives are in ``tests/grading_mutants.py`` (run by
``tests/test_grading_mutants.py``); here: the mistakes each item is meant to catch are in its
catalogue, the no-credit rule lets a beam search call ``decoder_step`` and not the package's
own search, and integer token ids are judged as integers.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rnncourse import seq2seq
from rnncourse.grading import _driver, get_exercise, grade_function
from rnncourse.grading._guard import reference_guard
from rnncourse.grading.noref import request_entry, verdict

_spec = importlib.util.spec_from_file_location(
    "grading_mutants", Path(__file__).with_name("grading_mutants.py")
)
mutants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutants)

ITEMS = ("attention_forward", "masked_cross_entropy", "beam_search", "attention_backward")


@pytest.mark.parametrize(
    ("item", "wanted"),
    [
        ("attention_forward", {"softmax over the padding too", "W_a and U_a swapped"}),
        ("attention_forward", {"padding zeroed after the softmax", "no tanh"}),
        ("masked_cross_entropy", {"mean over all positions", "mask forgotten in the loss"}),
        ("masked_cross_entropy", {"dlogits not masked", "no max-subtraction", "log of softmax"}),
        ("beam_search", {"only the best prefix kept", "no length normalisation"}),
        ("beam_search", {"length_alpha ignored (always 1)", "unfinished hypotheses dropped"}),
        ("attention_backward", {"softmax's Jacobian not centred", "tanh's derivative missing"}),
        ("attention_backward", {"context's direct path to h_enc missing", "dW_a and dU_a swapped"}),
    ],
)
def test_the_issue_s_mistakes_are_catalogued(item, wanted):
    assert wanted <= {m.name for m in get_exercise(item).mistakes}


@pytest.mark.parametrize("item", ITEMS)
def test_at_least_three_learner_style_mutants_and_one_alternative(item):
    assert len([1 for e, *_ in mutants.MUTANTS if e == item]) >= 3
    assert [1 for e, *_ in mutants.CORRECT if e == item]


def _guarded(fn, item):
    """``fn`` called on the item's first case under the no-credit guard: its verdict."""
    ex = get_exercise(item)
    case = ex.make_cases()[0]
    args = [_driver.copy_value(case.inputs[a]) for a in ex.args]
    # the catalogued references only: in-process, the driver itself lives in rnncourse.grading
    references = {"codes": request_entry()["codes"], "roots": []}
    meta, _ = reference_guard(_driver.call, fn, args, len(ex.outputs), 30.0, "0|o", references)
    return verdict(meta, item)


def test_a_beam_search_over_decoder_step_earns_credit():
    """decoder_step (a plain model) enters no graded function: the learner may call it."""
    (fn,) = [f for e, _, f in mutants.CORRECT if e == "beam_search"]
    assert _guarded(fn, "beam_search") is None
    assert grade_function(fn, "beam_search").passed


def test_the_package_s_own_beam_search_earns_no_credit():
    def beam_search(params, x, x_mask, beam_size, max_len, length_alpha):
        found = seq2seq.beam_search(
            params, x, x_mask, beam_size, max_len, length_alpha=length_alpha
        )
        tokens = np.zeros((len(found), max_len), dtype=np.int64)
        for n, hyps in enumerate(found):
            tokens[n, : len(hyps[0].tokens)] = hyps[0].tokens
        return tokens, np.array([h[0].logp for h in found]), np.array([h[0].score for h in found])

    message = _guarded(beam_search, "beam_search")
    assert message is not None and "beam_search" in message


@pytest.mark.parametrize(
    ("item", "answer"),
    [
        ("attention_forward", seq2seq.attention_forward),
        ("masked_cross_entropy", seq2seq.masked_cross_entropy),
    ],
)
def test_the_package_s_own_answers_earn_no_credit(item, answer):
    assert "package's own answer" in _guarded(lambda *a: answer(*a), item)


def test_tokens_returned_as_floats_are_named_as_the_wrong_dtype():
    (fn,) = [f for e, _, f in mutants.CORRECT if e == "beam_search"]

    def as_floats(*args):
        tokens, logp, score = fn(*args)
        return tokens.astype(np.float64), logp, score

    report = grade_function(as_floats, "beam_search")
    assert not report.passed
    assert "expected integer ids" in report.summary()


def test_decoder_step_with_attention_would_enter_a_graded_function():
    """Why beam_search is graded on plain models: with attention, decoder_step runs the
    package's attention_forward, lesson 12's first item, and the call would earn no credit."""
    params = seq2seq.init_seq2seq(6, 5, 4, np.random.default_rng(0), attention=3)
    x, x_mask = np.array([[3, 4, 5]]), np.ones((1, 3))

    def one_step(params, x, x_mask):
        h_enc, s0 = seq2seq.encode(params, x, x_mask)
        return seq2seq.decoder_step(params, np.array([1]), s0, h_enc, x_mask)[0]

    references = {"codes": request_entry()["codes"], "roots": []}
    meta, _ = reference_guard(
        _driver.call, one_step, [params, x, x_mask], 1, 30.0, "0|o", references
    )
    assert "attention_forward" in verdict(meta, "beam_search")
    assert all("att_v" not in c.inputs["params"] for c in get_exercise("beam_search").make_cases())
