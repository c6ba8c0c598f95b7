"""Optimisers and gradient clipping over parameter dictionaries.

Parameters and gradients are dicts of arrays with the same keys, e.g.
``{"W_xh": ..., "W_hh": ..., "b_h": ...}``.

The update rules are pure functions (the graded references of lesson 10): they take the
parameters, the gradients and the optimiser's state, and return new dicts, leaving their
inputs untouched::

    sgd_step(params, grads, lr)                          -> params
        p <- p - lr * g
    momentum_step(params, grads, velocity, lr, mu=0.9)   -> (params, velocity)
        v <- mu * v + g;           p <- p - lr * v         (PyTorch's SGD with momentum)
    adam_step(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8) -> (params, m, v)
        m <- b1 m + (1 - b1) g;    v <- b2 v + (1 - b2) g**2
        p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1**t), v_hat = v / (1 - b2**t)

``t`` is the number of this step, 1 for the first; the state starts at zeros
(``zeros_like(params)``). The classes ``SGD``, ``Momentum`` and ``Adam`` are thin holders of
that state for the training programs: their ``step`` calls the pure function and writes the
result into the parameter arrays in place (so views and references to them stay valid).

``clip_grad_norm`` rescales all gradients together when their global L2 norm is too large.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "SGD",
    "Adam",
    "Momentum",
    "adam_step",
    "clip_grad_norm",
    "global_norm",
    "momentum_step",
    "sgd_step",
    "zeros_like",
]

Params = Mapping[str, np.ndarray]


def global_norm(grads: Params) -> float:
    """The L2 norm of all gradients taken together, ``sqrt(sum_k ||g_k||^2)``.

    >>> import numpy as np
    >>> global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])})
    5.0
    """
    return float(
        np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))
    )


def clip_grad_norm(
    grads: Params, max_norm: float, eps: float = 1e-6
) -> tuple[dict[str, np.ndarray], float]:
    """Scale all gradients by one factor so that their global norm is at most ``max_norm``.

        total_norm = sqrt(sum_k ||g_k||^2)
        scale      = min(1, max_norm / (total_norm + eps))
        clipped_k  = scale * g_k

    Clipping by the global norm keeps the gradient's direction; clipping each element
    separately would not. It never scales up, and the inputs are not modified.

    Returns:
        (clipped, total_norm): new arrays, and the norm before clipping.

    >>> import numpy as np
    >>> clipped, norm = clip_grad_norm({"W": np.array([3.0, 4.0])}, max_norm=1.0)
    >>> norm, clipped["W"].round(4)
    (5.0, array([0.6, 0.8]))
    """
    total_norm = global_norm(grads)
    scale = min(1.0, max_norm / (total_norm + eps))
    clipped = {k: np.asarray(g * scale, dtype=np.asarray(g).dtype) for k, g in grads.items()}
    return clipped, total_norm


def zeros_like(params: Params) -> dict[str, np.ndarray]:
    """A zero array for every parameter: the starting state of momentum and Adam.

    >>> zeros_like({"w": np.ones((2, 3), dtype=np.float32)})["w"].dtype
    dtype('float32')
    """
    return {k: np.zeros_like(p) for k, p in params.items()}


def _like(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """``new`` in the dtype of ``old``: a state or a parameter keeps its dtype."""
    return np.asarray(new).astype(np.asarray(old).dtype, copy=False)


def _same_keys(params: Params, **others: Params) -> None:
    for name, d in others.items():
        if set(d) != set(params):
            raise KeyError(
                f"{name} has keys {sorted(d)}, params has {sorted(params)}: the dicts must be "
                "keyed alike"
            )


def sgd_step(params: Params, grads: Params, lr: float) -> dict[str, np.ndarray]:
    """One step of gradient descent, ``p <- p - lr * g`` for every parameter.

    Returns new arrays; ``params`` and ``grads`` are not modified.

    >>> sgd_step({"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])}, lr=0.1)
    {'w': array([0.95, 2.1 ])}
    """
    _same_keys(params, grads=grads)
    return {k: _like(p - lr * grads[k], p) for k, p in params.items()}


def momentum_step(
    params: Params, grads: Params, velocity: Params, lr: float, mu: float = 0.9
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One step of heavy-ball momentum in PyTorch's form (``torch.optim.SGD(momentum=mu)``)::

        v <- mu * v + g        # a running sum of past gradients, each older one weighted by mu
        p <- p - lr * v

    ``velocity`` starts at zeros. Returns ``(params, velocity)``, new arrays.

    >>> p, v = momentum_step({"w": np.array([1.0])}, {"w": np.array([1.0])},
    ...                      {"w": np.array([2.0])}, lr=0.1, mu=0.5)
    >>> p["w"], v["w"]
    (array([0.8]), array([2.]))
    """
    _same_keys(params, grads=grads, velocity=velocity)
    new_v = {k: _like(mu * velocity[k] + grads[k], velocity[k]) for k in params}
    return {k: _like(p - lr * new_v[k], p) for k, p in params.items()}, new_v


def adam_step(
    params: Params,
    grads: Params,
    m: Params,
    v: Params,
    t: int,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One step of Adam (Kingma & Ba, 2015), as ``torch.optim.Adam`` computes it::

        m <- beta1 * m + (1 - beta1) * g          # running mean of g
        v <- beta2 * v + (1 - beta2) * g**2       # running mean of g**2
        m_hat = m / (1 - beta1**t)                # bias correction: m and v start at 0
        v_hat = v / (1 - beta2**t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    ``t`` is the number of this step (1 for the first); ``m`` and ``v`` start at zeros.
    Returns ``(params, m, v)``, new arrays.

    >>> w = {"w": np.array([1.0])}
    >>> p, m, v = adam_step(w, {"w": np.array([0.5])}, {"w": np.zeros(1)}, {"w": np.zeros(1)},
    ...                     t=1, lr=0.1)
    >>> p["w"].round(6), m["w"], v["w"].round(6)   # the first step moves by about lr
    (array([0.9]), array([0.05]), array([0.00025]))
    """
    if not t >= 1:
        raise ValueError(f"t is the number of this step, 1 for the first; got {t}")
    _same_keys(params, grads=grads, m=m, v=v)
    c1 = 1.0 - beta1**t
    c2 = 1.0 - beta2**t
    new_m, new_v, new_p = {}, {}, {}
    for k, p in params.items():
        g = grads[k]
        new_m[k] = _like(beta1 * m[k] + (1.0 - beta1) * g, m[k])
        new_v[k] = _like(beta2 * v[k] + (1.0 - beta2) * (g * g), v[k])
        new_p[k] = _like(p - lr * (new_m[k] / c1) / (np.sqrt(new_v[k] / c2) + eps), p)
    return new_p, new_m, new_v


def _write(params: Params, new: Params) -> None:
    """Copy ``new`` into the arrays of ``params`` (in place: views of them stay valid)."""
    for k, p in params.items():
        p[...] = new[k]


class SGD:
    """Plain gradient descent, ``p <- p - lr * g`` (:func:`sgd_step`), in place."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def step(self, params: Params, grads: Params) -> None:
        _write(params, sgd_step(params, {k: grads[k] for k in params}, self.lr))


class Momentum:
    """Gradient descent with (heavy-ball) momentum, PyTorch's form:
    ``v <- mu * v + g``, ``p <- p - lr * v`` (:func:`momentum_step`), in place."""

    def __init__(self, lr: float = 0.01, mu: float = 0.9) -> None:
        self.lr, self.mu = lr, mu
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: Params, grads: Params) -> None:
        velocity = {k: self.velocity.get(k, np.zeros_like(p)) for k, p in params.items()}
        new, self.velocity = momentum_step(
            params, {k: grads[k] for k in params}, velocity, self.lr, self.mu
        )
        _write(params, new)


class Adam:
    """Adam (Kingma & Ba, 2015), with PyTorch's defaults (:func:`adam_step`), in place.

        m <- b1 * m + (1 - b1) * g
        v <- b2 * v + (1 - b2) * g**2
        p <- p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)

    >>> import numpy as np
    >>> p = {"w": np.array([1.0])}
    >>> opt = Adam(lr=0.1)
    >>> opt.step(p, {"w": np.array([0.5])})   # the first step moves by about lr
    >>> p["w"].round(4)
    array([0.9])
    """

    def __init__(
        self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: Params, grads: Params) -> None:
        b1, b2 = self.betas
        self.t += 1
        m = {k: self.m.get(k, np.zeros_like(p)) for k, p in params.items()}
        v = {k: self.v.get(k, np.zeros_like(p)) for k, p in params.items()}
        new, self.m, self.v = adam_step(
            params, {k: grads[k] for k in params}, m, v, self.t, self.lr, b1, b2, self.eps
        )
        _write(params, new)
