"""Grading a function that draws random numbers: on the distribution of its draws.

An item whose cases give an argument as ``spec.RngSeed(seed)`` receives a
``np.random.Generator`` built from that seed where the function runs (in the notebook, or in
the learner's kernel for ``rnncourse grade``: the grader sends the seed, never a generator).
Its ``Exercise.distribution`` (a ``spec.Distribution``) says how many draws to take and what
probabilities a correct sampler draws each outcome with. The function is called
``draws`` times sharing one generator, each call returning one outcome (an integer
``0..K-1``), and the counts are compared with the expected ones by Pearson's chi-square
test: a case fails when ``p < alpha``. A correct sampler written any way (``rng.choice``,
inverse CDF on ``rng.random()``, Gumbel-max) passes, because nothing is compared with the
reference's own draws.

False-failure rate: ``alpha`` per case (1e-6 by default), so below 1e-5 for an item with up to
ten cases. Power, at 20,000 draws: an outcome of probability 0.25 drawn with probability 0.27
gives chi-square about 43 on one degree of freedom, p about 5e-11: rejected.

Declaring one (a later lesson's temperature sampler, say)::

    def cases(rng, hidden):
        return [Case({"logits": ..., "temperature": 0.5, "rng": RngSeed(11)}, "T = 0.5",
                     {"K": 5})]

    EXERCISE = Exercise(
        name="sample_token", args=("logits", "temperature", "rng"), outputs=("token",),
        reference=rnncourse.sampling.sample_token, cases=cases,
        distribution=Distribution(draws=20_000, probabilities=lambda case: softmax(...)),
    )
"""

from __future__ import annotations

import math

import numpy as np

from rnncourse.grading.spec import Case, Exercise
from rnncourse.grading.status import FAILED, PASSED

__all__ = ["chi_square", "chi_square_sf", "judge_draws"]


def _lower_gamma_series(a: float, x: float) -> float:
    total, term, n = 1.0 / a, 1.0 / a, a
    for _ in range(10_000):
        n += 1.0
        term *= x / n
        total += term
        if abs(term) < abs(total) * 1e-16:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_fraction(a: float, x: float) -> float:
    tiny = 1e-300
    b = x + 1.0 - a
    c, d = 1.0 / tiny, 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi_square_sf(x: float, dof: int) -> float:
    """P(X >= x) for X chi-square with ``dof`` degrees of freedom (regularised upper gamma).

    >>> round(chi_square_sf(3.841458820694124, 1), 6)
    0.05
    >>> f"{chi_square_sf(23.9284, 1):.2e}"
    '1.00e-06'
    """
    if x <= 0:
        return 1.0
    a, y = dof / 2.0, x / 2.0
    if y < a + 1.0:
        return max(0.0, 1.0 - _lower_gamma_series(a, y))
    return _upper_gamma_fraction(a, y)


def chi_square(counts: np.ndarray, probabilities: np.ndarray) -> tuple[float, int, float]:
    """Pearson's statistic, its degrees of freedom and p-value; outcomes expected fewer than
    5 times are pooled into one (and dropped if even pooled they are)."""
    counts = np.asarray(counts, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    n = counts.sum()
    expected = n * p
    small = expected < 5
    obs = list(counts[~small])
    exp = list(expected[~small])
    if small.any() and expected[small].sum() >= 5:
        obs.append(counts[small].sum())
        exp.append(expected[small].sum())
    obs_a, exp_a = np.array(obs), np.array(exp)
    stat = float(np.sum((obs_a - exp_a) ** 2 / exp_a))
    # an outcome drawn that a correct sampler never draws is its own, decisive, failure
    dof = max(len(obs_a) - 1, 1)
    return stat, dof, chi_square_sf(stat, dof)


def judge_draws(ex: Exercise, case: Case, draws: np.ndarray):
    """The verdict on ``draws`` (the outcomes of ``Distribution.draws`` calls) on ``case``."""
    from rnncourse.grading.compare import Outcome

    dist = ex.distribution
    p = np.asarray(dist.probabilities(case), dtype=np.float64)
    K = p.size
    draws = np.asarray(draws)
    name = ex.outputs[0]
    if draws.ndim != 1 or draws.size != dist.draws:
        return Outcome(
            FAILED,
            f"each call must return one {name} (a single integer); got results of shape "
            f"{draws.shape[1:] if draws.ndim > 1 else '()'}",
            "",
            case,
        )
    if draws.dtype.kind == "f" and not np.all(np.isfinite(draws) & (draws == np.round(draws))):
        return Outcome(FAILED, f"{name} must be an integer 0..{K - 1}; got {draws[0]!r}", "", case)
    draws = draws.astype(np.int64)
    outside = (draws < 0) | (draws >= K)
    if outside.any():
        bad = int(draws[outside][0])
        return Outcome(
            FAILED, f"{name} must be an integer in 0..{K - 1}; one draw was {bad}", "", case
        )
    counts = np.bincount(draws, minlength=K)
    impossible = (counts > 0) & (p == 0)
    if impossible.any():
        k = int(np.flatnonzero(impossible)[0])
        return Outcome(
            FAILED,
            f"{name} = {k} was drawn {int(counts[k])} times; it has probability 0",
            "",
            case,
        )
    stat, dof, pvalue = chi_square(counts, p)
    if pvalue >= dist.alpha:
        return Outcome(PASSED, "", "", case)
    freq = counts / counts.sum()
    worst = np.argsort(-np.abs(freq - p))[:3]
    lines = [
        f"{name} = {int(k)}: drawn {100 * freq[k]:.2f}% of the time, expected {100 * p[k]:.2f}%"
        for k in worst
    ]
    message = (
        f"your {dist.draws} draws do not follow the expected distribution: chi-square = "
        f"{stat:.1f} on {dof} degrees of freedom, p = {pvalue:.1e} < {dist.alpha:g} (a correct "
        f"sampler fails this test with probability {dist.alpha:g})\n" + "\n".join(lines)
    )
    return Outcome(FAILED, message, "", case)
