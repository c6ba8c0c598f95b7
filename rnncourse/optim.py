"""Optimisers and gradient clipping over parameter dictionaries.

Parameters and gradients are dicts of arrays with the same keys, e.g.
``{"W_xh": ..., "W_hh": ..., "b_h": ...}``. An optimiser's ``step`` updates the parameter
arrays in place (so views and references to them stay valid) and keeps its own per-parameter
state (velocity, moments) in plain dicts you can inspect.

    SGD       p <- p - lr * g
    Momentum  v <- mu * v + g;           p <- p - lr * v
    Adam      m <- b1 m + (1 - b1) g;    v <- b2 v + (1 - b2) g**2
              p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1**t), ...

``clip_grad_norm`` rescales all gradients together when their global L2 norm is too large.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["SGD", "Adam", "Momentum", "clip_grad_norm", "global_norm"]

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


class SGD:
    """Plain gradient descent, ``p <- p - lr * g``."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def step(self, params: Params, grads: Params) -> None:
        for k, p in params.items():
            p -= self.lr * grads[k]


class Momentum:
    """Gradient descent with (heavy-ball) momentum, PyTorch's form:
    ``v <- mu * v + g``, ``p <- p - lr * v``."""

    def __init__(self, lr: float = 0.01, mu: float = 0.9) -> None:
        self.lr, self.mu = lr, mu
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: Params, grads: Params) -> None:
        for k, p in params.items():
            v = self.velocity.setdefault(k, np.zeros_like(p))
            v *= self.mu
            v += grads[k]
            p -= self.lr * v


class Adam:
    """Adam (Kingma & Ba, 2015), with PyTorch's defaults.

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
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for k, p in params.items():
            g = grads[k]
            m = self.m.setdefault(k, np.zeros_like(p))
            v = self.v.setdefault(k, np.zeros_like(p))
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
