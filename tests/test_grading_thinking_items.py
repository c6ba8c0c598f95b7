"""The non-formula items of issue 17 in lessons 01, 04, 06, 07 and 09.

For each: the reference passes, written differently too; every catalogued wrong count (at least
three) or every wrong option is rejected with its own message; the answer is never printed.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.grading import get_exercise, grade_value, hints

NUMERIC = {
    "unshared_parameter_count": [65732, 65732.0, np.int64(65732), np.array(65732)],
    "steps_below_threshold": [21, 21.0, np.int32(21), np.float64(21)],
}
CHOICE = {
    "bag_of_words_blind_spot": ["c", "C", " c ", "(c)"],
    "lstm_gate_diagnosis": ["b", "B", " b", "(b)"],
    "perplexity_meaning": ["a", "A", "a ", "(a)"],
}


@pytest.fixture(autouse=True)
def _fresh_hints():
    hints.forget()
    yield
    hints.forget()


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, vs in {**NUMERIC, **CHOICE}.items() for v in vs]
)
def test_the_right_answer_passes_written_any_way(name, value):
    assert grade_value(value, name).passed


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numeric_wrong_counts_get_their_own_hint(name):
    item = get_exercise(name)
    assert item.kind == "numeric" and len(item.mistakes) >= 3
    seen = set()
    for mistake in item.mistakes:
        value = mistake.fn()
        assert value != item.expected
        report = grade_value(value, name)
        assert report.status == "failed" and report.mistake == mistake.name
        assert mistake.hint in report.summary(level=3)
        assert str(item.expected) not in report.summary(level=3).replace(str(value), "")
        seen.add(mistake.hint)
    assert len(seen) == len(item.mistakes)


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numeric_off_by_one_is_rejected(name):
    item = get_exercise(name)
    for value in (item.expected - 1, item.expected + 1):
        assert grade_value(value, name).status == "failed"


@pytest.mark.parametrize("name", sorted(CHOICE))
def test_every_wrong_option_has_its_own_explanation(name):
    item = get_exercise(name)
    wrong = [k for k in item.options if k != item.answer]
    assert len(wrong) == 3
    messages = set()
    for key in wrong:
        report = grade_value(key, name)
        assert report.status == "failed"
        assert item.explanations[key] in report.summary(level=1)
        messages.add(report.summary(level=1))
    assert len(messages) == len(wrong)


@pytest.mark.parametrize("name", sorted(CHOICE))
def test_non_options_are_rejected(name):
    assert grade_value("z", name).status == "failed"
    assert "not implemented yet" in grade_value(NotImplemented, name).summary()


def test_the_threshold_is_the_first_step_below_one_percent():
    k = get_exercise("steps_below_threshold").expected
    assert 0.8**k < 0.01 <= 0.8 ** (k - 1)


def test_the_unshared_count_is_t_cells_and_one_output_layer():
    D, H, K, T = 8, 32, 4, 50
    assert get_exercise("unshared_parameter_count").expected == T * (H * (D + H + 1)) + K * (H + 1)
