"""The non-formula items of issue 17 in lessons 01, 04, 05, 06, 07 and 09, and the guide.

For each: the reference passes, written differently too; every catalogued wrong count (at least
three) or every wrong option is rejected with its own message; the answer is never printed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnncourse.grading import get_exercise, grade_value, hints

NUMERIC = {
    "unshared_parameter_count": [65732, 65732.0, np.int64(65732), np.array(65732)],
    "steps_below_threshold": [21, 21.0, np.int32(21), np.float64(21)],
}
REPO = Path(__file__).resolve().parents[1]
CHOICE = {
    "bag_of_words_blind_spot": ["c", "C", " c ", "(c)"],
    "lstm_gate_diagnosis": ["b", "B", " b", "(b)"],
    "perplexity_meaning": ["a", "A", "a ", "(a)"],
    "bptt_three_step_sum": ["b", "B", " b ", "(b)"],
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


# ---------------------------------------------------------------- the guide (stubs 05-07)

# item -> the exercise notebook whose stub it is
STUBS = {
    "rnn_step_backward": "05_bptt",
    "rnn_backward": "05_bptt",
    "clip_grad_norm": "06_vanishing_exploding",
    "hidden_gradients": "06_vanishing_exploding",
    "lstm_step_backward": "07_lstm",
}
GUIDED = sorted(STUBS)


@pytest.mark.parametrize("name", GUIDED)
def test_the_guide_reveals_one_step_per_call(name):
    guide = get_exercise(name).guide
    assert len(guide) >= 2
    for k in range(1, len(guide) + 2):
        text = hints.next_hint(name)
        shown = min(k, len(guide))
        assert all(step in text for step in guide[:shown])
        assert all(step not in text for step in guide[shown:])


@pytest.mark.parametrize("name", GUIDED)
def test_the_stub_no_longer_dictates_what_the_guide_holds(name):
    """The exercise notebook's markdown names the hint and holds no line of the guide's last
    step (the one that dictates the code)."""
    import nbformat

    path = REPO / "exercises" / f"{STUBS[name]}.ipynb"
    text = "\n".join(
        cell.source
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
    )
    assert f'hint("{name}")' in text
    assert get_exercise(name).guide[-1] not in text


def test_a_cap_of_one_shows_no_guide(monkeypatch):
    monkeypatch.setenv(hints.ENV, "1")
    text = hints.next_hint("rnn_backward")
    assert "capped at level 1" in text
    assert get_exercise("rnn_backward").guide[0] not in text


def test_a_catalogued_mistake_still_climbs_its_own_ladder():
    from rnncourse.grading import grade_function

    ex = get_exercise("rnn_backward")
    mistake = ex.mistakes[0]
    report = grade_function(mistake.fn, "rnn_backward")
    assert report.mistake
    hints.record_failure(report)
    assert ex.guide[0] not in hints.next_hint("rnn_backward")
