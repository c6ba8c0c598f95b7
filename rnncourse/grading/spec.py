"""What an exercise is: arguments, outputs, seeded cases, the reference, known mistakes.

One module per graded function in ``rnncourse/grading/exercises/`` defines ``EXERCISE``, an
:class:`Exercise`. The registry finds it by name, so adding an exercise never edits a list.

    Case     one set of inputs (a dict by argument name) with a group label ("float64"),
             a description ("N=3, T=4, D=5, H=2") and the sizes of its dimension letters.
    Mistake  a known wrong implementation and the hint a learner who wrote it should see.
    Exercise everything ``check`` and the batch grader need to grade one function.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "Exercise", "Mistake", "exercise_names", "get_exercise"]


@dataclass
class Case:
    """One seeded set of inputs.

    Attributes:
        inputs: argument name -> value (array, dict of arrays, or Python scalar), in the
            order of ``Exercise.args``.
        group: a short label shown with a tick in the report, e.g. "float64" or "large logits".
        sizes: the dimension letters' sizes, e.g. {"N": 3, "T": 4, "D": 5, "H": 2}; used to
            write shapes as letters ("(N, H) = (3, 2)"). Keep them all different.
        dtype: the dtype of the float inputs; float64 results are required for float64
            inputs, float32 or float64 are accepted for float32 inputs.
    """

    inputs: dict[str, Any]
    group: str
    sizes: dict[str, int] = field(default_factory=dict)
    dtype: type = np.float64

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.sizes.items())


@dataclass(frozen=True)
class Mistake:
    """A catalogued misconception: a wrong implementation with the learner's hint.

    ``fn`` takes the exercise's arguments and returns what the mistaken learner would return.
    When a learner's result matches it on a failing case, the report shows ``hint``.
    """

    name: str
    fn: Callable[..., Any]
    hint: str


@dataclass(frozen=True)
class Exercise:
    """The grading specification of one graded function.

    Attributes:
        name: the function's name (the exercise name), e.g. "rnn_step_forward".
        args: argument names, in call order.
        outputs: output names, in return order (one name: the function returns it alone).
        reference: the correct implementation (from the package).
        cases: ``cases(rng, hidden) -> list[Case]``; ``hidden=True`` gives the extra cases of
            the hidden tests. Called with a fixed seed, so cases are reproducible.
        dims: argument/output name -> its dimension letters, e.g. {"W_xh": "H D"}.
        scalars: outputs that are real scalars (``loss``, ``total_norm``).
        time_axis: output name -> axis of time, to report the first wrong step.
        mistakes: the catalogue of known mistakes, tried in order.
        output_hints: output name -> hint when that output alone is wrong.
        error_hints: (regex, hint) pairs searched in "ExceptionType: message" + newline +
            the learner's failing source line; the first match gives the hint.
        diagnose: optional ``diagnose(case, got, expected) -> hint | None`` for probes a
            Mistake cannot express; ``got``/``expected`` map output names to values.
        rtol64, rtol32: relative tolerances for float64 and float32 cases.
    """

    name: str
    args: tuple[str, ...]
    outputs: tuple[str, ...]
    reference: Callable[..., Any]
    cases: Callable[[np.random.Generator, bool], list[Case]]
    dims: Mapping[str, str] = field(default_factory=dict)
    scalars: frozenset[str] = frozenset()
    time_axis: Mapping[str, int] = field(default_factory=dict)
    mistakes: Sequence[Mistake] = ()
    output_hints: Mapping[str, str] = field(default_factory=dict)
    error_hints: Sequence[tuple[str, str]] = ()
    diagnose: Callable[[Case, dict, dict], str | None] | None = None
    rtol64: float = 1e-7
    rtol32: float = 1e-3
    seed: int = 20240607

    def make_cases(self, hidden: bool = False) -> list[Case]:
        """The exercise's cases, reproducibly (a fixed seed, a different one when hidden)."""
        rng = np.random.default_rng(self.seed + (1 if hidden else 0))
        return self.cases(rng, hidden)


def exercise_names() -> list[str]:
    """Every registered exercise: the modules of ``rnncourse.grading.exercises``."""
    from rnncourse.grading import exercises

    return sorted(
        m.name for m in pkgutil.iter_modules(exercises.__path__) if not m.name.startswith("_")
    )


def get_exercise(name: str) -> Exercise:
    """The :class:`Exercise` called ``name`` (module ``rnncourse.grading.exercises.<name>``)."""
    if not name.isidentifier() or name not in exercise_names():
        known = ", ".join(exercise_names())
        raise KeyError(f"no graded exercise called {name!r}; known: {known}")
    module = importlib.import_module(f"rnncourse.grading.exercises.{name}")
    return module.EXERCISE
