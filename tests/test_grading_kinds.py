"""The kinds of graded item beyond formulas, the kernel protocol they need, progressive hints.

For each kind (numeric, choice, experiment, derivation): the right value passes, written
differently too; wrong answers are rejected with a specific message (every wrong option of a
choice; a value just outside a numeric tolerance); the batch grader's protocol gives the same
verdict as the notebook. Then the protocol's values, nested dicts, rng seeds and repeated
calls, a distribution-graded item (tests only) that rejects a biased sampler and accepts a
correct one written differently, and the hint ladder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnncourse.grading import (
    Case,
    CheckFailed,
    Distribution,
    Exercise,
    RngSeed,
    _driver,
    check,
    get_exercise,
    grade_function,
    grade_value,
    hints,
    item_names,
)
from rnncourse.grading.batch import _cases_of, _request_call
from rnncourse.grading.check import judge_call
from rnncourse.grading.distribution import chi_square_sf
from rnncourse.grading.notebooks import CheckCall
from rnncourse.grading.spec import KINDS
from rnncourse.grading.values import judge_value

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _fresh_hints():
    hints.forget()
    yield
    hints.forget()


def _through_the_protocol(tmp_path, namespace: dict, checks: list[CheckCall]) -> list:
    """What ``rnncourse grade`` does for a test cell, without the kernel: the request and
    inputs written to files, ``_driver.run_request`` on ``namespace`` (the notebook's
    globals), the results read back and judged in this process. Returns the outcomes."""
    request, inputs, calls = {"calls": [], "timeout": 10.0}, {}, []
    for k, chk in enumerate(checks):
        for i, (case, expected) in enumerate(_cases_of(chk)):
            request["calls"].append(_request_call(chk, f"{k}.{i}", case, inputs))
            calls.append((chk, case, expected))
    paths = [tmp_path / n for n in ("request.json", "inputs.npz", "result.json", "arrays.npz")]
    paths[0].write_text(json.dumps(request))
    np.savez(paths[1], **inputs)
    _driver.run_request(namespace, *map(str, paths))
    results = json.loads(paths[2].read_text())["results"]
    with np.load(paths[3], allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    outcomes = []
    for j, (chk, case, expected) in enumerate(calls):
        ex = get_exercise(chk.exercise)
        if case is None:
            outcomes.append(judge_value(ex, results[j], arrays))
        else:
            outcomes.append(judge_call(ex, case, results[j], arrays, None, expected, []))
    return outcomes


def test_every_kind_has_an_item_in_the_catalogue():
    kinds = {get_exercise(n).kind for n in item_names()}
    assert kinds == set(KINDS)


# ---------------------------------------------------------------- numeric


COUNT = get_exercise("gru_parameter_count")


@pytest.mark.parametrize(
    "value", [10725, 10725.0, np.int64(10725), np.float32(10725), np.array(10725)]
)
def test_numeric_right_value_passes_in_any_numeric_type(value):
    assert grade_value(value, "gru_parameter_count").passed


@pytest.mark.parametrize("value", [10724, 10726, 10725.001])
def test_numeric_value_just_outside_the_tolerance_fails_and_says_the_tolerance(value):
    report = grade_value(value, "gru_parameter_count")
    assert report.status == "failed"
    assert "tolerance 0" in report.summary()
    assert ("too large" if value > 10725 else "too small") in report.summary()
    assert "10725" not in report.summary(level=3).replace(f"{value:g}", "")  # never the answer


def test_numeric_catalogued_wrong_counts_get_their_own_hints():
    hints_seen = set()
    for mistake in COUNT.mistakes:
        report = grade_value(mistake.fn(), "gru_parameter_count")
        assert report.mistake == mistake.name
        assert mistake.hint in report.summary(level=3)
        hints_seen.add(mistake.hint)
    assert len(hints_seen) == len(COUNT.mistakes)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (NotImplemented, "not implemented yet"),
        (None, "is None"),
        ("10725", "single number"),
        (np.array([10725]), "single number"),
        (float("nan"), "finite number"),
    ],
)
def test_numeric_non_answers_are_explained(value, says):
    assert says in grade_value(value, "gru_parameter_count").summary()


# ---------------------------------------------------------------- choice


CHOICE = get_exercise("bptt_bug_diagnosis")


@pytest.mark.parametrize("value", ["c", "C", " c ", "(c)"])
def test_choice_right_option_passes_written_any_way(value):
    assert grade_value(value, "bptt_bug_diagnosis").passed


def test_choice_every_wrong_option_has_its_own_explanation():
    wrong = [k for k in CHOICE.options if k != CHOICE.answer]
    assert len(wrong) == 3
    messages = set()
    for key in wrong:
        report = grade_value(key, "bptt_bug_diagnosis")
        assert report.status == "failed"
        assert CHOICE.explanations[key] in report.summary(level=1)
        messages.add(report.summary(level=1))
    assert len(messages) == len(wrong)


@pytest.mark.parametrize("value", ["e", 3, ["c"]])
def test_choice_non_options_are_rejected(value):
    report = grade_value(value, "bptt_bug_diagnosis")
    assert report.status == "failed" and "'a', 'b', 'c', 'd'" in report.summary()


# ---------------------------------------------------------------- experiment


EXPERIMENT = get_exercise("gradient_decay_per_step")


def test_experiment_finding_within_its_tolerance_passes_and_outside_fails():
    found = EXPERIMENT.expected
    assert 0.3 < found < 0.6  # well below 0.9, the scale of W_hh alone
    assert grade_value(found, "gradient_decay_per_step").passed
    assert grade_value(found - 0.0099, "gradient_decay_per_step").passed
    report = grade_value(found + 0.0101, "gradient_decay_per_step")
    assert report.status == "failed"
    text = report.summary()
    assert "±0.01" in text and f"{found:.6g}" in text  # the tolerance and the reference's finding
    assert "seed 0" in text


def test_experiment_measured_differently_passes():
    """The learner's own measurement: norms from a loop, the mean of the log-ratios."""
    from rnncourse.grading.exercises.gradient_decay_per_step import setup

    s = setup()
    g = [s["dh_T"][0]]
    for t in range(s["h"].shape[1] - 1, 0, -1):
        g.append((g[-1] * (1 - s["h"][0, t] ** 2)) @ s["W_hh"])
    norms = np.array([np.sqrt(np.sum(v * v)) for v in g])
    decay = float(np.exp(np.mean(np.log(norms[1:] / norms[:-1]))))
    assert grade_value(decay, "gradient_decay_per_step").passed


def test_experiment_guess_from_w_hh_alone_is_recognised():
    report = grade_value(0.9, "gradient_decay_per_step")
    assert report.mistake == "the scale of W_hh"


# ---------------------------------------------------------------- derivation


def test_derivation_is_checked_against_finite_differences():
    ex = get_exercise("lstm_dh_dc_prev")
    assert ex.kind == "derivation"

    def lstm_dh_dc_prev(x_t, h_prev, c_prev, W_ih, W_hh, b):  # written another way
        from rnncourse.lstm import lstm_step_forward

        H = h_prev.shape[1]
        a = x_t @ W_ih.T + h_prev @ W_hh.T + b
        f = 1 / (1 + np.exp(-a[:, H : 2 * H]))
        o = 1 / (1 + np.exp(-a[:, 3 * H :]))
        _, c_t = lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b)
        return f * o * (1 - np.tanh(c_t)) * (1 + np.tanh(c_t))

    assert grade_function(lstm_dh_dc_prev).passed
    assert grade_function(lstm_dh_dc_prev, hidden=True).passed

    def wrong(x_t, h_prev, c_prev, W_ih, W_hh, b):  # the sigmoid's derivative of f
        return lstm_dh_dc_prev(x_t, h_prev, c_prev, W_ih, W_hh, b) * 0.7

    report = grade_function(wrong, "lstm_dh_dc_prev")
    assert report.status == "failed"
    assert "finite differences of lstm_step_forward" in report.summary()


# ---------------------------------------------------------------- batch = notebook


NOTEBOOK_ANSWERS = [
    ("n_parameters", "gru_parameter_count", [10725, 10726, 10533, "x", NotImplemented]),
    ("bptt_bug", "bptt_bug_diagnosis", ["c", "a", "b", "d", "z"]),
    ("decay_per_step", "gradient_decay_per_step", [EXPERIMENT.expected, 0.9, 0.5]),
]


@pytest.mark.parametrize(("variable", "item", "answers"), NOTEBOOK_ANSWERS)
def test_batch_protocol_gives_the_notebook_verdict_for_values(tmp_path, variable, item, answers):
    for answer in answers:
        [outcome] = _through_the_protocol(
            tmp_path, {variable: answer}, [CheckCall(variable, item, False)]
        )
        report = grade_value(answer, item)
        assert (outcome.status, outcome.message, outcome.mistake) == (
            report.status,
            report.failure.message if report.failure else "",
            report.mistake,
        ), answer


def test_batch_protocol_reports_a_missing_variable(tmp_path):
    [outcome] = _through_the_protocol(tmp_path, {}, [CheckCall("n", "gru_parameter_count", False)])
    assert outcome.status == "error" and "no variable" in outcome.message


def test_batch_protocol_gives_the_notebook_verdict_for_a_derivation(tmp_path):
    from tests.grading_mutants import MUTANTS

    fn = next(f for e, n, f, _ in MUTANTS if e == "lstm_dh_dc_prev")
    outcomes = _through_the_protocol(
        tmp_path, {"mine": fn}, [CheckCall("mine", "lstm_dh_dc_prev", False)]
    )
    first = next(o for o in outcomes if not o.passed)
    report = grade_function(fn, "lstm_dh_dc_prev")
    assert (first.status, first.message, first.mistake) == (
        report.status,
        report.failure.message,
        report.mistake,
    )
    right = get_exercise("lstm_dh_dc_prev").reference
    ok = _through_the_protocol(
        tmp_path, {"mine": right}, [CheckCall("mine", "lstm_dh_dc_prev", True)]
    )
    assert all(o.passed for o in ok)


# ---------------------------------------------------------------- the protocol


def test_protocol_carries_nested_dicts_ints_strings_tuples_and_rng(tmp_path):
    value = {
        "params": {"W": np.arange(6.0).reshape(2, 3), "b": np.ones(2)},
        "m": {"W": np.zeros((2, 3)), "b": np.zeros(2)},
        "t": 3,
        "lr": 0.01,
        "mode": "adam",
        "pair": (np.ones(1), 2.5),
        "rng": RngSeed(7),
    }
    arrays: dict = {}
    spec = {k: _driver.input_spec(v, f"c|{k}", arrays) for k, v in value.items()}
    path = tmp_path / "in.npz"
    np.savez(path, **arrays)
    with np.load(path, allow_pickle=False) as data:
        stored = {k: data[k] for k in data.files}
    back = {k: _driver.build_input(s, stored, f"c|{k}") for k, s in spec.items()}
    assert back["params"]["W"].tolist() == value["params"]["W"].tolist()
    assert set(back["m"]) == {"W", "b"}
    assert back["t"] == 3 and isinstance(back["t"], int)
    assert back["lr"] == 0.01 and back["mode"] == "adam"
    assert isinstance(back["pair"], tuple) and back["pair"][1] == 2.5
    assert isinstance(back["rng"], np.random.Generator)
    assert back["rng"].random() == np.random.default_rng(7).random()
    with pytest.raises(ValueError, match="2 levels deep"):
        _driver.input_spec({"a": {"b": {"c": np.ones(1)}}}, "x", {})


def test_protocol_returns_optimiser_state_two_levels_deep():
    meta, arrays = _driver.encode(
        ({"W": np.ones(2)}, {"m": {"W": np.zeros(2)}, "v": {"W": np.ones(2)}}), 2
    )
    assert meta["outputs"][1]["items"]["m"]["items"]["W"]["kind"] == "array"
    deeper, _ = _driver.encode({"a": {"b": {"c": np.ones(1)}}}, 1)
    assert deeper["outputs"][0]["items"]["a"]["items"]["b"]["kind"] == "other"


# ---------------------------------------------------------------- a random item (tests only)


K_OUTCOMES = 5


def _probabilities(case: Case) -> np.ndarray:
    z = case.inputs["logits"] / case.inputs["temperature"]
    p = np.exp(z - z.max())
    return p / p.sum()


def _sample_reference(logits, temperature, rng):
    return int(
        rng.choice(
            len(logits), p=_probabilities(Case({"logits": logits, "temperature": temperature}, ""))
        )
    )


def _sampler_cases(rng, hidden):
    first, second = rng.normal(size=K_OUTCOMES), rng.normal(size=K_OUTCOMES)
    return [
        Case({"logits": first, "temperature": 1.0, "rng": RngSeed(11)}, "T = 1", {"K": 5}),
        Case({"logits": second, "temperature": 0.5, "rng": RngSeed(12)}, "T = 0.5", {"K": 5}),
    ]


SAMPLER = Exercise(
    name="sample_token",
    args=("logits", "temperature", "rng"),
    outputs=("token",),
    reference=_sample_reference,
    cases=_sampler_cases,
    distribution=Distribution(draws=20_000, probabilities=_probabilities),
)


def test_distribution_item_accepts_a_correct_sampler_written_differently():
    def inverse_cdf(logits, temperature, rng):
        z = logits / temperature
        p = np.exp(z - np.max(z))
        return int(np.searchsorted(np.cumsum(p / p.sum()), rng.random(), side="right"))

    def gumbel_max(logits, temperature, rng):
        return int(np.argmax(logits / temperature + rng.gumbel(size=logits.shape)))

    for fn in (inverse_cdf, gumbel_max, _sample_reference):
        report = grade_function(fn, SAMPLER)
        assert report.passed, report.text()


def test_distribution_item_rejects_biased_samplers():
    def no_temperature(logits, temperature, rng):
        p = np.exp(logits - logits.max())
        return int(rng.choice(len(p), p=p / p.sum()))

    def off_by_one(logits, temperature, rng):  # side="left" on a shifted uniform: biased
        z = logits / temperature
        p = np.exp(z - np.max(z))
        c = np.cumsum(p / p.sum())
        return int(min(np.searchsorted(c, rng.random() ** 1.1), len(c) - 1))

    def argmax(logits, temperature, rng):
        return int(np.argmax(logits))

    for fn in (no_temperature, off_by_one, argmax):
        report = grade_function(fn, SAMPLER)
        assert report.status == "failed", fn.__name__
        text = report.summary()
        assert "chi-square" in text or "probability 0" in text or "drawn" in text
    text = grade_function(argmax, SAMPLER).summary()
    assert "20000 draws" in text and "p = " in text


def test_distribution_item_rejects_non_integers_and_out_of_range():
    def out_of_range(logits, temperature, rng):
        return K_OUTCOMES

    def a_string(logits, temperature, rng):
        return "0"

    assert "0..4" in grade_function(out_of_range, SAMPLER).summary()
    assert grade_function(a_string, SAMPLER).status == "failed"


def test_distribution_item_through_the_protocol_matches(tmp_path, monkeypatch):
    import rnncourse.grading.batch as batch

    def gumbel_max(logits, temperature, rng):
        return int(np.argmax(logits / temperature + rng.gumbel(size=logits.shape)))

    def argmax(logits, temperature, rng):
        return int(np.argmax(logits))

    from rnncourse.grading.check import _cases_for

    monkeypatch.setattr(batch, "get_exercise", lambda name: SAMPLER)
    monkeypatch.setattr(batch, "graded_cases", lambda name, hidden: _cases_for(SAMPLER, hidden))
    monkeypatch.setitem(globals(), "get_exercise", lambda name: SAMPLER)
    for fn, passes in ((gumbel_max, True), (argmax, False)):
        outcomes = _through_the_protocol(
            tmp_path, {"s": fn}, [CheckCall("s", "sample_token", False)]
        )
        assert all(o.passed for o in outcomes) == passes
        if not passes:
            report = grade_function(fn, SAMPLER)
            assert outcomes[0].message == report.failure.message
            assert "20000 draws" in outcomes[0].message


def test_chi_square_tail():
    assert abs(chi_square_sf(23.9284, 1) - 1e-6) < 2e-8
    assert abs(chi_square_sf(9.48773, 4) - 0.05) < 1e-5
    assert chi_square_sf(0.0, 3) == 1.0


# ---------------------------------------------------------------- progressive hints


def _no_bias(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)


def _messages(fn, times: int) -> list[str]:
    out = []
    for _ in range(times):
        with pytest.raises(CheckFailed) as info:
            check(fn, "rnn_step_forward")
        out.append(str(info.value))
    return out


def test_same_mistake_three_times_gives_three_increasingly_specific_messages(capsys):
    first, second, third = _messages(_no_bias, 3)
    assert len({first, second, third}) == 3
    assert "h_t: 10 of 10 entries differ" in first  # the symptom: which output, which entries
    assert "Where to look" not in first and "b_h is missing" not in first
    assert "Where to look: look at the pre-activation" in second and "b_h is missing" not in second
    assert "b_h is missing: add it" in third and "Where to look" in third
    # each level keeps what the one before said
    assert first.split("\nMore")[0] in second and second.split("\nMore")[0] in third


def test_hint_asks_for_the_next_level_without_resubmitting(capsys):
    from rnncourse.grading import hint

    _messages(_no_bias, 1)
    capsys.readouterr()
    hint("rnn_step_forward")
    assert "Where to look" in capsys.readouterr().out
    hint("rnn_step_forward")
    assert "b_h is missing" in capsys.readouterr().out
    assert "b_h is missing" in _messages(_no_bias, 1)[0]  # and the next check stays there


def test_the_cap_holds_hints_at_level_n(monkeypatch, capsys):
    monkeypatch.setenv("RNNCOURSE_HINT_LEVEL", "2")
    first, second, third, fourth = _messages(_no_bias, 4)
    assert "Where to look" in second and second == third == fourth
    assert "b_h is missing" not in fourth
    monkeypatch.setenv("RNNCOURSE_HINT_LEVEL", "1")
    hints.forget()
    assert len(set(_messages(_no_bias, 3))) == 1


def test_an_unrecognised_failure_stays_at_the_symptom(capsys):
    def strange(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h) * 0.5 + 0.1

    messages = _messages(strange, 3)
    assert len(set(messages)) == 1 and "Hint" not in messages[0]
    from rnncourse.grading.hints import next_hint

    assert "not one of the catalogued mistakes" in next_hint("rnn_step_forward")


def test_a_fresh_kernel_starts_again_at_level_one(capsys):
    _messages(_no_bias, 3)  # this process is at level 3 now
    code = (
        "import numpy as np\n"
        "from rnncourse.grading import check, CheckFailed\n"
        "def f(x_t, h_prev, W_xh, W_hh, b_h):\n"
        "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)\n"
        "try:\n"
        "    check(f, 'rnn_step_forward')\n"
        "except CheckFailed as e:\n"
        "    print('MESSAGE', 'b_h is missing' in str(e), 'Where to look' in str(e))\n"
    )
    env = {**os.environ, "PYTHONPATH": REPO}
    env.pop("RNNCOURSE_HINT_LEVEL", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    ).stdout
    assert "MESSAGE False False" in out


def test_batch_reports_without_hints_unless_allowed():
    """``rnncourse grade`` and ``progress`` render at level 1; ``--hints N`` at N."""
    report = grade_function(_no_bias, "rnn_step_forward")
    assert "b_h is missing" not in report.summary(level=1)
    assert "Where to look" in report.summary(level=2)
    assert "b_h is missing" in report.summary(level=3)
    from rnncourse.grading.batch import main

    with pytest.raises(SystemExit):
        main(["x.ipynb", "--hints", "4"])


# ---------------------------------------------------------------- end to end, real kernels


def _with_answer(path, tmp_path, old: str, new: str):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    hits = [c for c in nb.cells if old in c.source]
    assert len(hits) == 1
    hits[0].source = hits[0].source.replace(old, new)
    target = tmp_path / path.name
    nbformat.write(nb, target)
    return target


def test_rnncourse_grade_reads_values_from_the_kernel_like_the_notebook(tmp_path):
    from pathlib import Path

    from rnncourse.grading.batch import Limits, grade_many

    solutions = Path(REPO) / "solutions"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    choice = _with_answer(
        solutions / "05_bptt.ipynb", tmp_path / "a", 'bptt_bug = "c"', 'bptt_bug = "d"'
    )
    finding = _with_answer(
        solutions / "06_vanishing_exploding.ipynb",
        tmp_path / "b",
        "decay_per_step = (norms[0] / norms[T - 1]) ** (1 / (T - 1))",
        "decay_per_step = 0.9",
    )
    limits = Limits(cell_timeout=30, total_timeout=120, call_timeout=10)
    a, b = grade_many([choice, finding], solutions, limits=limits, workers=2)
    wrong = a["exercises"]["test_bptt_bug_diagnosis"]
    assert wrong["status"] == "failed" and wrong["points"] == 0
    assert wrong["message"] == grade_value("d", "bptt_bug_diagnosis").summary(level=1)
    assert a["exercises"]["test_rnn_backward"]["status"] == "passed"
    guess = b["exercises"]["test_gradient_decay_per_step"]
    assert guess["status"] == "failed"
    assert guess["message"] == grade_value(0.9, "gradient_decay_per_step").summary(level=1)
    assert "Where to look" not in guess["message"]  # rnncourse grade: symptoms only
    assert b["exercises"]["test_hidden_gradients"]["status"] == "passed"
    assert b["total"] == b["max"] - 2 and a["total"] == a["max"] - 2


def test_progress_and_grade_default_to_the_symptom_level():
    import inspect

    from rnncourse import progress
    from rnncourse.grading.batch import grade_many, grade_notebook

    for fn in (grade_many, grade_notebook):
        assert inspect.signature(fn).parameters["hint_level"].default == 1
    assert "hint_level" not in inspect.getsource(progress)  # so progress shows level 1


def test_every_hint_ladder_climbs():
    """Where to look (level 2) is never the fix (level 3) and never empty when given."""
    from rnncourse.grading import exercise_names

    for name in item_names():
        item = get_exercise(name)
        for mistake in item.mistakes:
            assert mistake.hint, (name, mistake.name)
            if mistake.where:
                assert mistake.where != mistake.hint, (name, mistake.name)
                assert len(mistake.ladder) == 2
    assert any(m.where for n in exercise_names() for m in get_exercise(n).mistakes)


def test_the_case_audit_holds_a_distribution_item_to_its_rules():
    from rnncourse.grading.audit import audit, rules_for

    assert [r.name for r in rules_for(SAMPLER)] == ["an earlier case's shapes with new values"]
    assert audit(SAMPLER) == []  # two cases, same shapes, new values
