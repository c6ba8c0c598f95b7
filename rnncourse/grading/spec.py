"""What an exercise is: arguments, outputs, seeded cases, the reference, known mistakes.

One module per graded function in ``rnncourse/grading/exercises/`` defines ``EXERCISE``, an
:class:`Exercise`. The registry finds it by name, so adding an exercise never edits a list.

    Case     one set of inputs (a dict by argument name) with a group label ("float64"),
             a description ("N=3, T=4, D=5, H=2") and the sizes of its dimension letters.
    Mistake  a known wrong implementation and the hint a learner who wrote it should see.
    mistake_factory
             decorates a function that builds mistaken implementations from keyword flags;
             two catalogued mistakes built by the same factory from disjoint flags are also
             recognised together, and the learner sees both hints.
    Exercise everything ``check`` and the batch grader need to grade one function (kinds
             ``formula`` and ``derivation``; a derivation's reference is central finite
             differences of a forward, :func:`finite_difference`).
    ValueItem    a graded value (kinds ``numeric``, ``choice``, ``experiment``): the learner
             assigns it in the notebook and the test cell calls ``check(value, name)``.
    Distribution how an item that takes an ``rng`` is graded: on the distribution of many
             draws (``rnncourse.grading.distribution``), never on the reference's draws.
    RngSeed      a case input that becomes ``np.random.default_rng(seed)`` where the learner's
             function is called (in the notebook, or inside the learner's kernel).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import itertools
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnncourse.grading._driver import RngSeed

KINDS = ("formula", "numeric", "choice", "experiment", "derivation")
FUNCTION_KINDS = ("formula", "derivation")  # graded by calling the learner's function
VALUE_KINDS = ("numeric", "choice", "experiment")  # graded on a value: check(value, name)

__all__ = [
    "FUNCTION_KINDS",
    "KINDS",
    "VALUE_KINDS",
    "Case",
    "Distribution",
    "Exercise",
    "Mistake",
    "RngSeed",
    "ValueItem",
    "finite_difference",
    "item_names",
    "combined_mistakes",
    "exercise_names",
    "get_exercise",
    "mistake_factory",
]


@dataclass
class Case:
    """One seeded set of inputs.

    Attributes:
        inputs: argument name -> value (array, dict of arrays, or Python scalar), in the
            order of ``Exercise.args``.
        group: a short label shown with a tick in the report, e.g. "float64" or "large logits".
        sizes: the dimension letters' sizes, e.g. {"N": 3, "T": 4, "D": 5, "H": 2}; used to
            write shapes as letters ("(N, H) = (3, 2)"). Keep them all different, except in
            the square-layer cases (D = H, K = H) that the case rules ask for.
        dtype: the dtype of the float inputs; float64 results are required for float64
            inputs, float32 or float64 are accepted for float32 inputs.
        rtol: this case's tolerance, when it is not the exercise's ``rtol64``/``rtol32``.
        nonfinite_hint: the hint when the learner's result has a NaN or an infinity where
            the reference has none (e.g. on a case made to overflow hand-written formulas).
    """

    inputs: dict[str, Any]
    group: str
    sizes: dict[str, int] = field(default_factory=dict)
    dtype: type = np.float64
    rtol: float | None = None
    nonfinite_hint: str = ""

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.sizes.items())

    @property
    def shapes(self) -> tuple:
        """The shapes and dtypes of the array inputs (what a cache keyed by shape would see)."""

        def of(value: Any) -> Any:
            if isinstance(value, np.ndarray):
                return (value.shape, value.dtype.str)
            if isinstance(value, dict):
                return tuple((k, of(v)) for k, v in value.items())
            return None

        return tuple((name, of(value)) for name, value in self.inputs.items())


@dataclass(frozen=True)
class Mistake:
    """A catalogued misconception: a wrong implementation with the learner's hint.

    ``fn`` takes the exercise's arguments and returns what the mistaken learner would return.
    When a learner's result matches it on a failing case, the report shows ``hint``.
    """

    name: str
    fn: Callable[..., Any]
    hint: str
    where: str = ""

    @property
    def ladder(self) -> tuple[str, ...]:
        """The hints after the symptom, least specific first: where to look, then the fix
        (``hint``). A mistake without ``where`` goes from the symptom straight to the fix."""
        return (self.where, self.hint) if self.where else (self.hint,)


def mistake_factory(factory: Callable[..., Callable]) -> Callable[..., Callable]:
    """Mark ``factory`` as a builder of mistaken implementations: ``factory(**flags)`` returns
    the function a learner with those mistakes would write, ``factory()`` the correct one.

    Each built function remembers its factory and the flags it was built from, so that two
    catalogued mistakes with disjoint flags can be combined (:func:`combined_mistakes`): a
    learner who made both gets both hints instead of none.
    """
    signature = inspect.signature(factory)

    @functools.wraps(factory)
    def build(*args: Any, **kwargs: Any) -> Callable:
        flags = dict(signature.bind(*args, **kwargs).arguments)
        fn = factory(**flags)
        fn.mistake_factory = build
        fn.mistake_flags = flags
        return fn

    return build


def combined_mistakes(mistakes: Sequence[Mistake]) -> list[Mistake]:
    """Every pair of ``mistakes`` built by the same :func:`mistake_factory` from disjoint flags,
    as one :class:`Mistake` whose function makes both and whose hint gives both hints.

    >>> @mistake_factory
    ... def make(sign=1, shift=0):
    ...     return lambda x: sign * x + shift
    >>> pair = combined_mistakes(
    ...     [Mistake("minus", make(sign=-1), "A."), Mistake("shifted", make(shift=1), "B.")]
    ... )
    >>> pair[0].name, pair[0].hint, pair[0].fn(2)
    ('minus + shifted', 'two mistakes at once: (1) A. (2) B.', -1)
    """
    out = []
    for a, b in itertools.combinations(mistakes, 2):
        factory = getattr(a.fn, "mistake_factory", None)
        if factory is None or factory is not getattr(b.fn, "mistake_factory", None):
            continue
        if set(a.fn.mistake_flags) & set(b.fn.mistake_flags):
            continue  # two settings of the same flag cannot both be made
        out.append(
            Mistake(
                f"{a.name} + {b.name}",
                factory(**a.fn.mistake_flags, **b.fn.mistake_flags),
                f"two mistakes at once: (1) {a.hint} (2) {b.hint}",
            )
        )
    return out


@dataclass(frozen=True)
class Exercise:
    """The grading specification of one graded function.

    Attributes:
        kind: ``"formula"`` (implement a function; the reference is the package's) or
            ``"derivation"`` (a derived expression written as code; the reference is
            :func:`finite_difference` of a forward, and ``checked_against`` says which, for
            the messages).
        distribution: for a function that takes ``rng`` (an argument whose case value is an
            :class:`RngSeed`): graded on the distribution of its draws, see
            :class:`Distribution`.
        name: the function's name (the exercise name), e.g. "rnn_step_forward".
        args: argument names, in call order.
        outputs: output names, in return order (one name: the function returns it alone).
        reference: the correct implementation (from the package).
        cases: ``cases(rng, hidden) -> list[Case]``; ``hidden=True`` gives the extra cases of
            the hidden tests. Called with a fixed seed, so cases are reproducible.
        dims: argument/output name -> its dimension letters, e.g. {"W_xh": "H D"}.
        scalars: outputs that are real scalars (``loss``, ``total_norm``).
        time_axis: output name -> axis of time, to report the first wrong step.
        mistakes: the catalogue of known mistakes, tried in order; then the pairs of them
            that :func:`combined_mistakes` can combine.
        output_hints: output name -> hint when that output alone is wrong.
        error_hints: (regex, hint) pairs searched in "ExceptionType: message" + newline +
            the learner's failing source line; the first match gives the hint.
        diagnose: optional ``diagnose(case, got, expected) -> hint | None`` for probes a
            Mistake cannot express; ``got``/``expected`` map output names to values.
        rtol64, rtol32: relative tolerances for float64 and float32 cases. ``rtol64`` must be
            tight enough that the same computation done in float32 fails (the case audit,
            ``rnncourse.grading.audit``, checks it).
        pre_activation: for exercises about a formula that overflows when written by hand
            (tanh, sigmoid, softmax): ``pre_activation(*args) -> array`` of the values the
            formula is applied to, so the audit can check that a case reaches the overflow.
        branches: name -> ``predicate(case)``: every branch of the exercise's rule (clipped
            or not) and every shape its signature allows (one step or a sequence); each must
            hold for some case.
        equivalents: package functions that compute the same answer as ``reference`` (the
            general function a thin reference wraps, e.g. ``rnncourse.deep.deep_forward``
            behind ``stacked_rnn_forward``); they count as the reference wherever the package's
            own answer is excluded (the no-credit rule, the transcription test).
        guide: the steps the stub does not spell out (pseudo-code, a table of gradient
            formulas), most general first; ``hint(name)`` reveals one more per call when no
            catalogued mistake explains the last failure (or before any check), see
            :mod:`rnncourse.grading.hints`.
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
    rtol64: float = 1e-9
    rtol32: float = 1e-3
    pre_activation: Callable[..., Any] | None = None
    branches: Mapping[str, Callable[[Case], bool]] = field(default_factory=dict)
    seed: int = 20240607
    kind: str = "formula"
    checked_against: str = ""
    distribution: Distribution | None = None
    equivalents: tuple[Callable[..., Any], ...] = ()
    guide: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in FUNCTION_KINDS:
            raise ValueError(f"{self.name}: an Exercise's kind is one of {FUNCTION_KINDS}")

    @functools.cached_property
    def mistake_pairs(self) -> list[Mistake]:
        """:func:`combined_mistakes` of the catalogue, built once."""
        return combined_mistakes(self.mistakes)

    def rtol(self, case: Case) -> float:
        """The tolerance ``case`` is judged at."""
        if case.rtol is not None:
            return case.rtol
        return self.rtol64 if case.dtype == np.float64 else self.rtol32

    def make_cases(self, hidden: bool = False) -> list[Case]:
        """The exercise's cases, reproducibly (a fixed seed, a different one when hidden)."""
        rng = np.random.default_rng(self.seed + (1 if hidden else 0))
        return self.cases(rng, hidden)


@dataclass(frozen=True)
class Distribution:
    """How a function that draws random numbers is graded: on the distribution of its draws.

    The learner's function is called ``draws`` times on the case, with one
    ``np.random.Generator`` (built from the case's :class:`RngSeed` where the function runs)
    shared by all the calls, and each call returns one outcome, an integer in ``0..K-1``.
    ``probabilities(case)`` gives the K probabilities a correct sampler draws them with; the
    counts are compared with Pearson's chi-square test (outcomes expected fewer than 5 times
    are pooled) and the case fails when its p-value is below ``alpha``.

    False failures: a correct sampler fails a case with probability ``alpha`` (1e-6 by
    default; with 20,000 draws a sampler that is 2 percentage points off on an outcome of
    probability 0.25 is rejected, p < 1e-9). The seed is fixed, so a given implementation
    gets the same verdict every time.
    """

    draws: int
    probabilities: Callable[[Case], np.ndarray]
    alpha: float = 1e-6
    test: str = "chi-square"


def finite_difference(
    forward: Callable[..., Any],
    wrt: str,
    args: Sequence[str],
    select: Callable[[Any], np.ndarray] = lambda out: out,
    eps: float = 1e-5,
) -> Callable[..., np.ndarray]:
    """A derivation item's reference: the derivative of ``select(forward(*args))`` with
    respect to argument ``wrt``, entry by entry, by central differences (float64, step
    ``eps``, with Richardson extrapolation: error about eps**4), computed in float64 and
    returned in the inputs' dtype.

    The derivative asked for is element-wise (each output entry depends on the matching
    entry of ``wrt`` only, as ``h_t[n, j]`` depends on ``c_prev[n, j]`` only), so one
    perturbation of all of ``wrt`` at once gives all of it: ``d out[n, j] / d wrt[n, j]``.
    """
    position = list(args).index(wrt)

    def derivative(*values: Any) -> np.ndarray:
        dtype = np.result_type(*[v for v in values if isinstance(v, np.ndarray)])
        values = [v.astype(np.float64) if isinstance(v, np.ndarray) else v for v in values]

        def at(step: float) -> np.ndarray:
            moved = list(values)
            moved[position] = values[position] + step
            return np.asarray(select(forward(*moved)))

        d1 = (at(eps) - at(-eps)) / (2 * eps)
        d2 = (at(2 * eps) - at(-2 * eps)) / (4 * eps)
        return ((4 * d1 - d2) / 3).astype(dtype)

    return derivative


@dataclass(frozen=True)
class ValueItem:
    """A graded value: a number, a choice or an experiment's finding (``check(value, name)``).

    Attributes:
        name: the item's name, e.g. "gru_parameter_count"; the test cell calls
            ``check(<variable>, "gru_parameter_count")``.
        kind: ``"numeric"``, ``"choice"`` or ``"experiment"``.
        question: what is asked, one sentence (for reports and ``--counts``).
        answer: the right number (numeric, experiment) or option key (choice). For an
            experiment, what the reference experiment found: a number, or
            ``answer_fn()`` computes it (from the package's functions, on the seeded setup
            the notebook gives).
        tolerance: numeric and experiment: accepted if ``|value - answer| <= tolerance``
            (absolute; 0 for an exact count). Stated in every message.
        options: choice: option key -> its text. ``explanations``: every wrong key -> why
            it is wrong (each wrong option has its own; ``tests`` check it).
        mistakes: numeric/experiment: known wrong values, ``Mistake(name, lambda: value,
            hint, where)``; a value within the tolerance of one gets its hint ladder.
        unit: printed after numbers ("parameters", "per step").
        finding: experiment: the reference experiment's setup and result in words, stated
            with the tolerance when a value fails ("seed 0, T = 60: 0.58 per step").
    """

    name: str
    kind: str
    question: str
    answer: Any = None
    answer_fn: Callable[[], Any] | None = None
    tolerance: float = 0.0
    options: Mapping[str, str] = field(default_factory=dict)
    explanations: Mapping[str, str] = field(default_factory=dict)
    mistakes: Sequence[Mistake] = ()
    unit: str = ""
    finding: str = ""

    def __post_init__(self) -> None:
        if self.kind not in VALUE_KINDS:
            raise ValueError(f"{self.name}: a ValueItem's kind is one of {VALUE_KINDS}")
        if self.kind == "choice":
            wrong = set(self.options) - {self.answer}
            if self.answer not in self.options or set(self.explanations) != wrong:
                raise ValueError(
                    f"{self.name}: the answer must be an option and every wrong option needs "
                    "its own explanation"
                )

    @functools.cached_property
    def expected(self) -> Any:
        """The right value (an experiment's is computed once, by ``answer_fn``)."""
        return self.answer_fn() if self.answer_fn is not None else self.answer


def _is_item(module_name: str, kinds: tuple[str, ...]) -> bool:
    module = importlib.import_module(f"rnncourse.grading.exercises.{module_name}")
    return getattr(module.EXERCISE, "kind", "formula") in kinds


@functools.lru_cache(maxsize=8)
def item_names(kinds: tuple[str, ...] = KINDS) -> list[str]:
    """Every catalogued graded item of the given kinds (default: all): the modules of
    ``rnncourse.grading.exercises``."""
    from rnncourse.grading import exercises

    names = sorted(
        m.name for m in pkgutil.iter_modules(exercises.__path__) if not m.name.startswith("_")
    )
    return [n for n in names if _is_item(n, kinds)]


def exercise_names() -> list[str]:
    """Every graded *function* (kinds formula and derivation): what ``check(fn)`` grades."""
    return list(item_names(FUNCTION_KINDS))


def get_exercise(name: str) -> Exercise | ValueItem:
    """The item called ``name`` (module ``rnncourse.grading.exercises.<name>``): an
    :class:`Exercise` (a function) or a :class:`ValueItem`."""
    if not isinstance(name, str) or not name.isidentifier() or name not in item_names():
        known = ", ".join(item_names())
        raise KeyError(f"no graded item called {name!r}; known: {known}")
    module = importlib.import_module(f"rnncourse.grading.exercises.{name}")
    return module.EXERCISE
