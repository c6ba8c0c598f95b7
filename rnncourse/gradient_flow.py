"""How the gradient travels back through time in a vanilla RNN, and why it vanishes or explodes.

Backpropagation through time multiplies the gradient on h_t by one Jacobian per step
(column-vector maths, as in the lessons):

    dh_t/dh_{t-1} = diag(1 - h_t**2) W_hh
    dL/dh_k       = (prod_{t=k+1..T} diag(1 - h_t**2) W_hh)^T dL/dh_T

In the code's row form (a batch of rows, ``W_hh`` stored (H, H) as PyTorch does) one step back
is ``dh_prev = (dh_t * (1 - h_t**2)) @ W_hh``, which is what ``rnn_step_backward`` does.

Pascanu, Mikolov & Bengio (2013): since |tanh'| <= 1, every factor has norm at most
sigma_max(W_hh), the largest singular value, so ``sigma_max < 1`` is *sufficient* for the
gradient to vanish, and ``sigma_max > 1`` is *necessary* for it to explode. The spectral
radius rho(W_hh) (largest |eigenvalue|) is a different number: rho <= sigma_max.

Shapes: N batch, T steps, D inputs, H hidden units. numpy only.
"""

from __future__ import annotations

import numpy as np

from rnncourse.rnn import rnn_forward

__all__ = [
    "gradient_norm_curve",
    "hidden_gradients",
    "jacobian_product_norms",
    "largest_singular_value",
    "random_recurrent_weights",
    "spectral_radius",
]


def spectral_radius(W: np.ndarray) -> float:
    """rho(W) = max |eigenvalue| of a square matrix.

    >>> spectral_radius(np.array([[0.0, 2.0], [0.0, 0.5]]))
    0.5
    """
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def largest_singular_value(W: np.ndarray) -> float:
    """sigma_max(W) = ||W||_2, the most any vector can be stretched by W.

    >>> largest_singular_value(np.array([[0.0, 2.0], [0.0, 0.5]])).__round__(4)
    2.0616
    """
    return float(np.linalg.norm(W, 2))


def random_recurrent_weights(
    H: int, rho: float, rng: np.random.Generator, kind: str = "gaussian"
) -> np.ndarray:
    """A random W_hh (H, H) with spectral radius ``rho``.

    kind="gaussian": entries N(0, 1), rescaled so that rho(W) = rho; its largest singular
    value is then about 2 rho (for large H), well above rho.
    kind="orthogonal": rho times a random orthogonal matrix; every singular value is rho.

    >>> W = random_recurrent_weights(64, 0.9, np.random.default_rng(0))
    >>> round(spectral_radius(W), 6), largest_singular_value(W) > 1.5
    (0.9, True)
    >>> Q = random_recurrent_weights(64, 0.9, np.random.default_rng(0), kind="orthogonal")
    >>> round(spectral_radius(Q), 6), round(largest_singular_value(Q), 6)
    (0.9, 0.9)
    """
    A = rng.standard_normal((H, H))
    if kind == "gaussian":
        return A * (rho / spectral_radius(A))
    if kind == "orthogonal":
        Q, R = np.linalg.qr(A)
        return rho * Q * np.sign(np.diag(R))  # sign fix: uniformly distributed Q
    raise ValueError(f"kind must be 'gaussian' or 'orthogonal', got {kind!r}")


def hidden_gradients(dh_T: np.ndarray, h: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """dL/dh_t for every t when the loss reads only the last state h_T.

        g_T     = dh_T
        g_{t-1} = (g_t * (1 - h_t**2)) @ W_hh        # one Jacobian, row form

    Args:
        dh_T: dL/dh_T, (N, H).
        h: hidden states h_1 ... h_T from ``rnn_forward``, (N, T, H).
        W_hh: hidden-to-hidden weights, (H, H).

    Returns:
        g (N, T, H) with g[:, t] = dL/dh_{t+1} (index t holds step t+1, like h).

    >>> rng = np.random.default_rng(0)
    >>> h = np.tanh(rng.normal(size=(2, 4, 3))); W = rng.normal(size=(3, 3))
    >>> g = hidden_gradients(np.ones((2, 3)), h, W)
    >>> g.shape, bool(np.allclose(g[:, -1], 1.0))
    ((2, 4, 3), True)
    """
    N, T, H = h.shape
    g = np.empty(h.shape, dtype=np.result_type(dh_T, h, W_hh))
    g[:, T - 1] = dh_T
    for t in range(T - 1, 0, -1):  # from g[:, t] (step t+1) to g[:, t-1] (step t)
        g[:, t - 1] = (g[:, t] * (1.0 - h[:, t] ** 2)) @ W_hh
    return g


def gradient_norm_curve(
    rho: float,
    T: int,
    *,
    H: int = 128,
    N: int = 16,
    kind: str = "gaussian",
    input_scale: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """``||dL/dh_t|| / ||dL/dh_T||`` for t = 1..T, for a random RNN with rho(W_hh) = rho.

    The RNN (W_hh from ``random_recurrent_weights``, W_xh ~ N(0, input_scale^2 / D) with
    D = H, no bias) reads N random sequences; the loss is a random linear function of h_T.
    The norm is over the whole batch.

    Returns:
        (T,) ratios; the last entry is 1.

    >>> r = gradient_norm_curve(0.5, 30, H=32)
    >>> r.shape, float(r[-1]), bool(r[0] < 1e-6)
    ((30,), 1.0, True)
    """
    rng = np.random.default_rng(seed)
    W_hh = random_recurrent_weights(H, rho, rng, kind=kind)
    D = H
    W_xh = rng.standard_normal((H, D)) * (input_scale / np.sqrt(D))
    x = rng.standard_normal((N, T, D))
    h = rnn_forward(x, np.zeros((N, H)), W_xh, W_hh, np.zeros(H))
    dh_T = rng.standard_normal((N, H))
    g = hidden_gradients(dh_T, h, W_hh)
    norms = np.sqrt(np.sum(g * g, axis=(0, 2)))  # (T,): ||dL/dh_t|| over the whole batch
    return norms / norms[-1]


def jacobian_product_norms(h_seq: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """Spectral norms of the Jacobian products for one sequence.

        J_t   = diag(1 - h_t**2) W_hh                       # dh_t/dh_{t-1}, (H, H)
        P_k   = J_T J_{T-1} ... J_{T-k+1}                   # dh_T/dh_{T-k}
        out_k = ||P_k||_2       for k = 1..T-1

    Args:
        h_seq: the hidden states of ONE sequence, (T, H).
        W_hh: (H, H).

    Returns:
        (T - 1,) with entry k-1 = ||dh_T/dh_{T-k}||_2.

    >>> h = np.zeros((5, 3)); W = 0.5 * np.eye(3)     # tanh' = 1 at h = 0
    >>> jacobian_product_norms(h, W).tolist()
    [0.5, 0.25, 0.125, 0.0625]
    """
    T, H = h_seq.shape
    P = np.eye(H)
    out = np.empty(T - 1)
    for k in range(1, T):
        t = T - k  # index of h_{T-k+1} in h_seq (0-based): multiply on the right
        J_t = (1.0 - h_seq[t] ** 2)[:, None] * W_hh  # diag(1 - h_t^2) W_hh
        P = P @ J_t
        out[k - 1] = np.linalg.norm(P, 2)
    return out
