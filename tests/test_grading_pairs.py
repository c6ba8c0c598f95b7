"""Two catalogued mistakes at once: the learner is told both, not neither.

Mistakes built by the same ``mistake_factory`` from disjoint flags are combined by
``combined_mistakes``. A learner whose function has both mistakes must see both hints; where one
mistake hides the other (the pair computes exactly what one of them computes alone), the hint of
that one, which is then all the learner can be told.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.grading import exercise_names, get_exercise, grade_function
from rnncourse.grading._driver import copy_value
from rnncourse.grading.spec import Mistake, combined_mistakes

PAIRS = [
    pytest.param(name, pair, id=f"{name}: {pair.name}")
    for name in exercise_names()
    for pair in get_exercise(name).mistake_pairs
]


def _outputs(fn, args) -> list[np.ndarray]:
    out = fn(*[copy_value(a) for a in args])
    out = out if isinstance(out, tuple) else (out,)
    flat = []
    for o in out:  # a dict output (new parameters, optimiser state): its arrays by key
        flat += [o[k] for k in sorted(o)] if isinstance(o, dict) else [o]
    return [np.asarray(o, dtype=np.float64) for o in flat]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and np.allclose(x, y, rtol=1e-9, atol=0)
        for x, y in zip(a, b, strict=True)
    )


def test_the_gated_and_backward_exercises_have_pairs():
    with_pairs = {name for name in exercise_names() if get_exercise(name).mistake_pairs}
    assert {
        "lstm_step_forward",
        "lstm_step_backward",
        "gru_step_forward",
        "rnn_step_backward",
        "rnn_backward",
        "hidden_gradients",
        "rnn_step_forward",
    } <= with_pairs
    assert len(PAIRS) >= 180


@pytest.mark.parametrize(("name", "pair"), PAIRS)
def test_two_mistakes_get_both_hints(name, pair):
    ex = get_exercise(name)
    first, second = (next(m for m in ex.mistakes if m.name == n) for n in pair.name.split(" + "))
    case = ex.make_cases()[0]
    args = [case.inputs[a] for a in ex.args]
    both = _outputs(pair.fn, args)
    assert not _same(both, _outputs(ex.reference, args)), "the pair computes the right answer"
    report = grade_function(pair.fn, name, timeout=10.0)
    assert not report.passed
    hidden_by = [m for m in (first, second) if _same(both, _outputs(m.fn, args))]
    if hidden_by:  # one mistake makes the other irrelevant: that one is the whole story
        assert report.failure.hint == hidden_by[0].hint
    else:
        assert report.failure.hint == pair.hint
        assert first.hint in report.summary() and second.hint in report.summary()


def test_pairs_need_one_factory_and_disjoint_flags():
    lstm, gru = get_exercise("lstm_step_forward"), get_exercise("gru_step_forward")
    order_a, order_b = lstm.mistakes[0], lstm.mistakes[1]  # both set `order`
    assert combined_mistakes([order_a, order_b]) == []
    assert combined_mistakes([lstm.mistakes[2], gru.mistakes[3]]) == []  # other factories
    plain = Mistake("plain", lambda *a: None, "no factory")
    assert combined_mistakes([plain, lstm.mistakes[2]]) == []


@pytest.mark.parametrize("name", sorted({p.values[0] for p in PAIRS}))
def test_factory_without_flags_is_the_reference(name):
    ex = get_exercise(name)
    factory = ex.mistakes[0].fn.mistake_factory
    for case in ex.make_cases()[:3]:
        args = [case.inputs[a] for a in ex.args]
        assert _same(_outputs(factory(), args), _outputs(ex.reference, args))
