"""The mutant catalogue (``tests/grading_mutants.py``): every learner-style wrong answer is
rejected with the hint that names its mistake, every correct alternative passes, and every graded
function has both. The specs' own mistakes are rejected with their own hints."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rnncourse.grading import _driver, exercise_names, get_exercise, grade_function
from rnncourse.grading.check import graded_cases
from rnncourse.grading.compare import judge

_spec = importlib.util.spec_from_file_location(
    "grading_mutants", Path(__file__).with_name("grading_mutants.py")
)
mutants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutants)

# graded when this catalogue was merged: a floor, never the list checked for coverage
GRADED_BEFORE = {
    "clip_grad_norm",
    "gru_step_forward",
    "hidden_gradients",
    "lstm_step_backward",
    "lstm_step_forward",
    "output_forward",
    "rnn_backward",
    "rnn_forward",
    "rnn_forward_masked",
    "rnn_step_backward",
    "rnn_step_forward",
    "softmax_cross_entropy",
}


def test_registry_has_the_graded_functions():
    assert GRADED_BEFORE <= set(exercise_names())


@pytest.mark.parametrize("name", exercise_names())
def test_catalogue_covers_every_graded_function(name):
    """Read from the real registry: a new exercise without mutants and alternatives fails here."""
    wrong = [n for e, n, *_ in mutants.MUTANTS if e == name]
    right = [n for e, n, _ in mutants.CORRECT if e == name]
    assert wrong, f"tests/grading_mutants.py has no @mutant for {name}"
    assert right, f"tests/grading_mutants.py has no @correct alternative for {name}"


def test_catalogue_names_only_graded_functions_and_no_name_twice():
    known = set(exercise_names())
    for table in (mutants.MUTANTS, mutants.CORRECT):
        assert {e for e, *_ in table} <= known
        keys = [(e, n) for e, n, *_ in table]
        assert len(keys) == len(set(keys)), "two entries with the same exercise and name"


@pytest.mark.parametrize(
    ("exercise", "fn", "expected"),
    [pytest.param(e, f, h, id=f"{e}: {n}") for e, n, f, h in mutants.MUTANTS],
)
def test_mutant_rejected_with_specific_hint(exercise, fn, expected):
    report = grade_function(fn, exercise, timeout=10.0)
    assert not report.passed
    assert expected in report.summary(), report.summary()
    assert expected in report.text()


@pytest.mark.parametrize(
    ("exercise", "fn"),
    [pytest.param(e, f, id=f"{e}: {n}") for e, n, f in mutants.CORRECT],
)
def test_correct_alternative_passes(exercise, fn):
    report = grade_function(fn, exercise)
    assert report.passed, report.text()
    hidden = grade_function(fn, exercise, hidden=True)
    assert hidden.passed, hidden.text()


def _first_wrong_value(ex, fn):
    """The hint on the first case where ``fn`` runs and returns a wrong value (not an error)."""
    for case, expected in graded_cases(ex.name, False):
        args = [_driver.copy_value(case.inputs[a]) for a in ex.args]
        meta, arrays = _driver.call(fn, args, len(ex.outputs), 10.0)
        if meta["status"] == "raised":
            continue
        outcome = judge(ex, case, meta, arrays, None, expected)
        if not outcome.passed:
            return outcome
    return None


@pytest.mark.parametrize("name", exercise_names())
def test_every_spec_mistake_is_rejected_with_its_own_hint(name):
    ex = get_exercise(name)
    for mistake in ex.mistakes:
        report = grade_function(mistake.fn, name)
        assert not report.passed, mistake.name
        if report.failure.status == "error":
            # a mistake that only runs where the shapes let it (the square layer, D = H): the
            # shape error elsewhere comes first; where it runs, its hint is the one given
            outcome = _first_wrong_value(ex, mistake.fn)
            assert outcome is not None, mistake.name
            assert outcome.case.group.startswith("square layer"), mistake.name
            assert outcome.hint == mistake.hint, (mistake.name, outcome.hint)
        else:
            assert report.failure.hint == mistake.hint, (mistake.name, report.failure.hint)


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
