"""Auto-graded exercises: instant, specific feedback in the notebook; batch grading for instructors.

In a notebook::

    from rnncourse.grading import check, CheckFailed
    check(rnn_step_forward)          # grades your function against the reference

``check(fn, name=None)`` grades ``fn`` as the exercise ``name`` (default ``fn.__name__``) on
seeded cases (several shapes with N, T, D, H all different, N=1 and T=1, float64 and float32,
and the cases ``rnncourse.grading.audit`` asks for: a square layer, shapes repeated with new
values, overflowing pre-activations, every branch),
shows a short report and raises :class:`CheckFailed` (an ``AssertionError``) whose message
names the likely mistake. ``check_hidden(fn)`` (``check(fn, hidden=True)``) does the same on the
hidden tests' extra cases.
``grade_function`` returns the :class:`Report` without displaying or raising.

Items of other kinds (``spec.KINDS``): ``check(value, name)`` grades a value item
(``numeric``, ``choice``, ``experiment``: :class:`ValueItem`), and a ``derivation`` is a
function checked against finite differences. Hints are progressive: ``hint(name)`` shows
the last failure of ``name`` one level more specific (``rnncourse.grading.hints``).

Batch grading (``rnncourse grade``) and one-notebook grading for ``rnncourse progress`` are in
``rnncourse.grading.batch`` (``grade_notebook``); the exercise generator is
``python -m rnncourse.grading.generate``. See ``rnncourse/grading/README.md`` for how to write
an exercise notebook.

Adding a graded function (the spec API)
---------------------------------------
Create ``rnncourse/grading/exercises/<function_name>.py`` defining ``EXERCISE``; nothing else
needs editing. ``exercises/rnn_step_forward.py`` is the worked example::

    def cases(rng, hidden):                   # seeded inputs; hidden=True: extra cases
        ...
        return [Case(inputs={"x_t": ..., "h_prev": ..., ...}, group="float64",
                     sizes={"N": 2, "D": 4, "H": 5}, dtype=np.float64), ...]

    EXERCISE = Exercise(
        name="rnn_step_forward",
        args=("x_t", "h_prev", "W_xh", "W_hh", "b_h"),     # call order
        outputs=("h_t",),                                   # return order
        reference=rnncourse.rnn.rnn_step_forward,
        cases=cases,
        dims={"x_t": "N D", "W_xh": "H D", ...},            # for messages
        mistakes=[Mistake("no tanh", lambda x_t, h_prev, W_xh, W_hh, b_h: ...,
                          "your h_t is the pre-activation a_t: apply np.tanh.")],
    )

Optional fields: ``scalars`` (outputs that are numbers), ``time_axis`` (report the first wrong
time step), ``output_hints`` (hint when one output alone is wrong), ``error_hints`` (regex on
the failing line of an exception -> hint), ``diagnose(case, got, expected)`` (custom probes),
``rtol64``/``rtol32``. When a learner's result is wrong, each ``Mistake`` is run on the same
inputs; the first whose result matches gives the hint. Write each mistake in
``tests/grading_mutants.py`` too, as a learner would, so the tests prove it is caught
(``tests/test_grading_mutants.py``).
"""

from rnncourse.grading.check import CheckFailed, check, check_hidden, grade_function, grade_value
from rnncourse.grading.hints import hint
from rnncourse.grading.report import Report
from rnncourse.grading.spec import (
    Case,
    Distribution,
    Exercise,
    Mistake,
    RngSeed,
    ValueItem,
    exercise_names,
    get_exercise,
    item_names,
)

__all__ = [
    "Case",
    "CheckFailed",
    "Distribution",
    "Exercise",
    "Mistake",
    "Report",
    "RngSeed",
    "ValueItem",
    "check",
    "check_hidden",
    "exercise_names",
    "get_exercise",
    "grade_function",
    "grade_value",
    "hint",
    "item_names",
]
