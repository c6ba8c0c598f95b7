"""The case audit (``rnncourse.grading.audit``): every graded function's cases leave no blind
spot, and the audit notices when any rule is broken (removing the cases that satisfy a rule
makes it fail, for every rule of every exercise)."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.grading import exercise_names, get_exercise
from rnncourse.grading.audit import audit, rules_for

RULES = [
    pytest.param(name, rule, id=f"{name}: {rule.name}")
    for name in exercise_names()
    for rule in rules_for(get_exercise(name))
]


@pytest.mark.parametrize("name", exercise_names())
def test_cases_pass_the_audit(name):
    assert audit(get_exercise(name)) == []


@pytest.mark.parametrize(("name", "rule"), RULES)
def test_audit_fails_when_the_cases_of_a_rule_are_removed(name, rule):
    ex = get_exercise(name)
    cases = ex.make_cases()
    witnesses = rule.witnesses(ex, cases)
    assert witnesses, f"no case of {name} satisfies {rule.name}"
    left = [c for i, c in enumerate(cases) if i not in witnesses]
    assert f"{name}: no case with {rule.name}" in audit(ex, left)


INTEGER_ONLY = {"bag_of_words", "parameter_counts", "unigram_bits"}  # ids and sizes, no floats


def test_every_exercise_is_held_to_the_core_rules():
    for name in exercise_names():
        names = {r.name for r in rules_for(get_exercise(name))}
        core = {"a float64 case", "an earlier case's shapes with new values"}
        if name not in INTEGER_ONLY:
            core |= {"a float32 case", "float32 arithmetic rejected at the float64 tolerance"}
        assert core <= names, name


def test_only_exercises_on_integers_skip_the_float32_rules():
    for name in exercise_names():
        names = {r.name for r in rules_for(get_exercise(name))}
        assert ("a float32 case" in names) == (name not in INTEGER_ONLY), name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("rnn_step_forward", "a square layer D = H"),
        ("lstm_step_forward", "a square layer D = H"),
        ("output_forward", "a square output layer K = H"),
        ("rnn_step_forward", "an overflow case"),
        ("rnn_forward", "an overflow case"),
        ("lstm_step_forward", "an overflow case"),
        ("gru_step_forward", "an overflow case"),
        ("softmax_cross_entropy", "an overflow case"),
        ("softmax_cross_entropy", "branch: logits (N, K)"),
        ("softmax_cross_entropy", "branch: logits (N, T, K)"),
        ("softmax_cross_entropy", "branch: logits with three leading axes"),
        ("clip_grad_norm", "branch: sqrt(max_norm) < norm < max_norm, max_norm > 1"),
        ("clip_grad_norm", "branch: max_norm < norm < sqrt(max_norm), max_norm < 1"),
        ("output_forward", "branch: one step, h (N, H)"),
        ("rnn_forward_masked", "branch: padded steps"),
    ],
)
def test_the_blind_spots_of_the_issue_are_rules(name, rule):
    assert rule in {r.name for r in rules_for(get_exercise(name))}


def test_overflow_cases_reach_the_overflow():
    """|pre-activation| above 710 in float64 (above 90 in float32), where np.exp is inf."""
    for name in exercise_names():
        ex = get_exercise(name)
        if ex.pre_activation is None:
            continue
        tops = [
            (float(np.max(np.abs(ex.pre_activation(**c.inputs)))), c.dtype) for c in ex.make_cases()
        ]
        assert any(t > (710 if d == np.float64 else 90) for t, d in tops), (name, tops)


def test_audit_names_coinciding_sizes():
    ex = get_exercise("rnn_forward")
    case = ex.make_cases()[0]
    bad = type(case)(case.inputs, case.group, {**case.sizes, "T": case.sizes["N"]}, case.dtype)
    assert any("N = T" in p for p in audit(ex, [*ex.make_cases(), bad]))
