"""Gradient checking: compare an analytic backward pass with finite differences.

A backward pass is right when, for a random upstream gradient ``dout``, the gradient it
returns for an input x matches the slope of ``L(x) = sum(f(x) * dout)`` measured by central
differences:

    dL/dx[i]  ~  (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

Using an upstream gradient lets any layer be checked without building a scalar loss.
Comparisons are norm-wise, ``||a - b|| / max(1e-12, ||a|| + ||b||)``: an element-wise ratio
blows up on tiny entries. Work in float64; in float32 finite differences are too noisy.

Nothing here modifies the caller's arrays: perturbations are made on private copies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GradCheckEntry",
    "GradCheckReport",
    "check_gradients",
    "numerical_gradient",
    "rel_error",
]

Output = np.ndarray | Sequence[np.ndarray]


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ``||a - b|| / max(1e-12, ||a|| + ||b||)``.

    >>> import numpy as np
    >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    >>> round(rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-6])), 9)
    5e-07
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    num = float(np.linalg.norm((a - b).ravel()))
    den = float(np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel()))
    return num / max(1e-12, den)


def _as_tuple(out: Output) -> tuple[np.ndarray, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _weighted_sum(out: Output, dout: Output) -> float:
    """``sum_k sum(out_k * dout_k)``: the scalar whose gradient is the backward's result."""
    return float(sum(np.sum(o * d) for o, d in zip(_as_tuple(out), _as_tuple(dout), strict=True)))


def numerical_gradient(
    f: Callable[[np.ndarray], Output],
    x: np.ndarray,
    dout: Output,
    eps: float = 1e-6,
) -> np.ndarray:
    """Central-difference estimate of ``d/dx sum(f(x) * dout)``.

    Args:
        f: a function of one array returning an array (or a tuple of arrays).
        x: the point, any shape; it is copied, never modified.
        dout: the upstream gradient, shaped like ``f(x)`` (a tuple for a tuple output).
        eps: the step; 1e-6 suits float64 functions of order-one values.

    Returns:
        An array shaped like ``x``.

    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> numerical_gradient(lambda v: v**2, x, dout=np.ones(3)).round(6)
    array([2., 4., 6.])
    """
    xp = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(xp)
    flat = xp.reshape(-1)  # a view on the private copy
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = _weighted_sum(f(xp), dout)
        flat[i] = old - eps
        minus = _weighted_sum(f(xp), dout)
        flat[i] = old
        gflat[i] = (plus - minus) / (2.0 * eps)
    return grad


@dataclass(frozen=True)
class GradCheckEntry:
    """The comparison for one input: its relative error and its worst entry."""

    name: str
    rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float

    def __str__(self) -> str:
        return (
            f"{self.name:>8}: rel. error {self.rel_error:.2e}; worst entry {self.worst_index}: "
            f"analytic {self.analytic:.6g} vs numeric {self.numeric:.6g}"
        )


@dataclass(frozen=True)
class GradCheckReport:
    """The result of ``check_gradients``: one entry per checked input."""

    entries: tuple[GradCheckEntry, ...]

    @property
    def max_rel_error(self) -> float:
        return max((e.rel_error for e in self.entries), default=0.0)

    @property
    def worst(self) -> GradCheckEntry:
        return max(self.entries, key=lambda e: e.rel_error)

    def ok(self, tol: float = 1e-7) -> bool:
        return self.max_rel_error < tol

    def __getitem__(self, name: str) -> GradCheckEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.entries)


def check_gradients(
    forward: Callable[..., Output],
    backward: Callable[[Output, Output], Mapping[str, np.ndarray]],
    inputs: Mapping[str, np.ndarray],
    *,
    rng: np.random.Generator,
    wrt: Sequence[str] | None = None,
    eps: float = 1e-6,
) -> GradCheckReport:
    """Check every gradient a backward pass returns against finite differences.

    Args:
        forward: ``forward(**inputs) -> out`` (an array or a tuple of arrays).
        backward: ``backward(dout, out) -> {name: gradient}``, gradients of
            ``sum(out * dout)`` with respect to the named inputs.
        inputs: the point, by name. Never modified.
        rng: draws the random upstream gradient ``dout`` (standard normal).
        wrt: the names to check; default: every name ``backward`` returns.
        eps: the finite-difference step.

    Returns:
        A ``GradCheckReport``: relative error and worst entry per input.

    >>> import numpy as np
    >>> from rnncourse.rnn import rnn_forward, rnn_backward, init_rnn
    >>> rng = np.random.default_rng(0)
    >>> N, T, D, H = 2, 3, 4, 5
    >>> W_xh, W_hh, b_h = init_rnn(D, H, rng)
    >>> inputs = dict(x=rng.normal(size=(N, T, D)), h0=rng.normal(size=(N, H)),
    ...               W_xh=W_xh, W_hh=W_hh, b_h=b_h)
    >>> def backward(dh, h):
    ...     g = rnn_backward(dh, inputs["x"], inputs["h0"], h, W_xh, W_hh)
    ...     return dict(zip(["x", "h0", "W_xh", "W_hh", "b_h"], g))
    >>> report = check_gradients(rnn_forward, backward, inputs, rng=rng)
    >>> report.ok(1e-7)
    True
    """
    inputs = {k: np.asarray(v) for k, v in inputs.items()}
    out = forward(**{k: v.copy() for k, v in inputs.items()})
    outs = _as_tuple(out)
    douts = tuple(rng.standard_normal(o.shape) for o in outs)
    dout: Output = douts if isinstance(out, (tuple, list)) else douts[0]
    analytic = backward(dout, out)
    names = list(wrt) if wrt is not None else list(analytic)
    entries = []
    for name in names:
        if name not in analytic:
            raise KeyError(f"backward returned no gradient for {name!r}")

        def f(value: np.ndarray, name: str = name) -> Output:
            args = {k: (value if k == name else v.copy()) for k, v in inputs.items()}
            return forward(**args)

        num = numerical_gradient(f, inputs[name], dout, eps=eps)
        ana = np.asarray(analytic[name], dtype=np.float64)
        if ana.shape != num.shape:
            raise ValueError(
                f"gradient for {name!r} has shape {ana.shape}, but {name} is {num.shape}"
            )
        diff = np.abs(ana - num)
        idx = (
            tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
            if diff.size
            else ()
        )
        entries.append(
            GradCheckEntry(
                name=name,
                rel_error=rel_error(ana, num),
                worst_index=idx,
                analytic=float(ana[idx]) if diff.size else 0.0,
                numeric=float(num[idx]) if diff.size else 0.0,
            )
        )
    return GradCheckReport(tuple(entries))
