"""The GRU: forward and backward, one step and a whole sequence, in both variants.

The lessons write the column-vector maths (sigma is the logistic sigmoid, * is element-wise)

    r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
    z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
    n_t = tanh (W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))  candidate (PyTorch)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

That candidate is PyTorch's (``reset_after=True``: the reset gate multiplies the recurrent
product after it is computed). Cho et al. (2014) reset the state before the product:

    n_t = tanh (W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)   (``reset_after=False``)

The blocks are stacked in PyTorch's order r, z, n: ``W_ih (3H, D)``, ``W_hh (3H, H)``,
``b_ih (3H,)``, ``b_hh (3H,)``. Both biases are kept: ``b_hn`` sits inside ``r_t * (...)``, so it
cannot be merged into ``b_in``. In row form:

    a_x = x_t @ W_ih.T + b_ih        a_h = h_prev @ W_hh.T + b_hh       # (N, 3H) each

Shapes: N batch, T time steps, D input size, H hidden size.

    x_t (N, D)  h_prev, h_t (N, H)  x (N, T, D)  h0 (N, H)  h (N, T, H)

Backward functions are pure: they take the forward's inputs and outputs and recompute the
gates. In ``gru_backward``, ``dh`` is dL/dh_t from the outputs only; the path through time is
added inside.
"""

from __future__ import annotations

import numpy as np

from rnncourse.initialization import uniform_init
from rnncourse.lstm import _check_shapes, _split, _sum_over_rows, _tanh_into, sigmoid

__all__ = [
    "gru_step_forward",
    "gru_step_backward",
    "gru_forward",
    "gru_backward",
    "init_gru",
]


def gru_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    reset_after: bool = True,
) -> np.ndarray:
    """One GRU step.

        a_x = x_t @ W_ih.T + b_ih                         # (N, 3H): blocks r, z, n
        a_h = h_prev @ W_hh.T + b_hh                      # (N, 3H)
        r_t = sigmoid(a_x_r + a_h_r)
        z_t = sigmoid(a_x_z + a_h_z)
        n_t = tanh(a_x_n + r_t * a_h_n)                   # reset_after=True (PyTorch)
        n_t = tanh(a_x_n + (r_t * h_prev) @ W_hn.T + b_hn)  # reset_after=False (Cho et al.)
        h_t = (1 - z_t) * n_t + z_t * h_prev

    Args:
        x_t: input, (N, D).
        h_prev: previous hidden state, (N, H).
        W_ih (3H, D), W_hh (3H, H), b_ih (3H,), b_hh (3H,): blocks r, z, n stacked.
        reset_after: True for PyTorch's candidate, False for Cho et al.'s.

    Returns:
        h_t: (N, H).

    >>> import numpy as np
    >>> H = 2; x_t = np.ones((1, 3)); h_prev = np.array([[1.0, -1.0]])
    >>> W_ih = np.zeros((3 * H, 3)); W_hh = np.zeros((3 * H, H)); b = np.zeros(3 * H)
    >>> gru_step_forward(x_t, h_prev, W_ih, W_hh, b, b)  # z = 0.5, n = 0: half of h_prev
    array([[ 0.5, -0.5]])
    """
    a_x = x_t @ W_ih.T + b_ih
    ax_r, ax_z, ax_n = _split(a_x, 3)
    W_hr, W_hz, W_hn = _split(W_hh.T, 3)  # (H, H) each, transposed
    b_hr, b_hz, b_hn = _split(b_hh, 3)
    r_t = sigmoid(ax_r + h_prev @ W_hr + b_hr)
    z_t = sigmoid(ax_z + h_prev @ W_hz + b_hz)
    if reset_after:
        n_t = np.tanh(ax_n + r_t * (h_prev @ W_hn + b_hn))
    else:
        n_t = np.tanh(ax_n + (r_t * h_prev) @ W_hn + b_hn)
    return (1.0 - z_t) * n_t + z_t * h_prev


def gru_step_backward(
    dh_t: np.ndarray,
    x_t: np.ndarray,
    h_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    reset_after: bool = True,
) -> tuple[np.ndarray, ...]:
    """Backward through one step, given the total gradient ``dh_t``: the forward recomputed,
    then walked in reverse.

        dn      = dh_t * (1 - z_t);   dz = dh_t * (h_prev - n_t);   dh_prev = dh_t * z_t
        da_n    = dn * (1 - n_t**2)                        # through the tanh
        reset_after=True:   dr = da_n * a_h_n;   da_hn = da_n * r_t
        reset_after=False:  d(rh) = da_n @ W_hn;  dr = d(rh) * h_prev;  dh_prev += d(rh) * r_t
        da_r, da_z = dr * r_t * (1 - r_t), dz * z_t * (1 - z_t)
        da_x    = [da_r, da_z, da_n]                       # (N, 3H), w.r.t. a_x
        da_h    = [da_r, da_z, da_hn]                      # w.r.t. a_h (reset_after=True)
        dx_t    = da_x @ W_ih;   dW_ih = da_x.T @ x_t;   db_ih = da_x.sum(axis=0)
        dh_prev += da_h @ W_hh;  dW_hh = da_h.T @ h_prev;  db_hh = da_h.sum(axis=0)
        (reset_after=False: the n rows of dW_hh are da_n.T @ (r_t * h_prev), and
         dh_prev gets only [da_r, da_z] @ W_hh[:2H] from the matrix product)

    Returns:
        (dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh)
    """
    H = h_prev.shape[1]
    # forward again
    a_x = x_t @ W_ih.T + b_ih
    ax_r, ax_z, ax_n = _split(a_x, 3)
    W_hn = W_hh[2 * H :]
    b_hn = b_hh[2 * H :]
    a_h_rz = h_prev @ W_hh[: 2 * H].T + b_hh[: 2 * H]
    r_t = sigmoid(ax_r + a_h_rz[:, :H])
    z_t = sigmoid(ax_z + a_h_rz[:, H:])
    if reset_after:
        a_h_n = h_prev @ W_hn.T + b_hn
        n_t = np.tanh(ax_n + r_t * a_h_n)
    else:
        rh = r_t * h_prev
        n_t = np.tanh(ax_n + rh @ W_hn.T + b_hn)
    # and back
    dn = dh_t * (1.0 - z_t)
    dz = dh_t * (h_prev - n_t)
    dh_prev = dh_t * z_t
    da_n = dn * (1.0 - n_t**2)
    if reset_after:
        dr = da_n * a_h_n
        da_hn = da_n * r_t
    else:
        drh = da_n @ W_hn
        dr = drh * h_prev
        dh_prev = dh_prev + drh * r_t
    da_r = dr * r_t * (1.0 - r_t)
    da_z = dz * z_t * (1.0 - z_t)
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
    dx_t = da_x @ W_ih
    dW_ih = da_x.T @ x_t
    db_ih = da_x.sum(axis=0)
    if reset_after:
        da_h = np.concatenate([da_r, da_z, da_hn], axis=1)
        dh_prev = dh_prev + da_h @ W_hh
        dW_hh = da_h.T @ h_prev
        db_hh = da_h.sum(axis=0)
    else:
        da_rz = da_x[:, : 2 * H]
        dh_prev = dh_prev + da_rz @ W_hh[: 2 * H]
        dW_hh = np.concatenate([da_rz.T @ h_prev, da_n.T @ rh], axis=0)
        db_hh = db_ih.copy()
    return dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh


# ---------------------------------------------------------------------------------------------
# Whole sequences: gru_step_forward / gru_step_backward in a loop over t (tests check it),
# arranged for speed. The forward computes the input projections of all steps in one matrix
# product and works in place in buffers allocated once; arrays indexed by step are time-major
# (T, N, ...) inside, so a step reads one contiguous block. The backward recomputes the gates
# a chunk of steps at a time (small enough to stay in cache: two matrix products and element-wise
# passes per chunk) and turns them into coefficients K_t; the loop over the chunk's steps then
# carries only the chain through time,
#     dh_prev = dh_t * z_t + da_h @ W_hh     (PyTorch's variant; da_h = dh_t * K_t, K_t known),
# and the weight gradients (sums over t) are single products after it.
# ---------------------------------------------------------------------------------------------


def _sigmoid_into(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 / (1 + exp(-a)), in place (exp overflow gives exactly 0: callers silence it)."""
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    reset_after: bool = True,
) -> np.ndarray:
    """Run the GRU over a sequence: ``gru_step_forward`` for t = 1..T.

    Args:
        x: inputs, (N, T, D).
        h0: initial hidden state, (N, H).
        W_ih (3H, D), W_hh (3H, H), b_ih (3H,), b_hh (3H,); reset_after as in the step.

    Returns:
        h: hidden states h_1 ... h_T, (N, T, H).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> N, T, D, H = 2, 5, 3, 4
    >>> W_ih, W_hh, b_ih, b_hh = init_gru(D, H, rng)
    >>> x = rng.normal(size=(N, T, D)); h0 = np.zeros((N, H))
    >>> h = gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    >>> h.shape
    (2, 5, 4)
    >>> bool(np.allclose(h[:, 0], gru_step_forward(x[:, 0], h0, W_ih, W_hh, b_ih, b_hh)))
    True
    """
    if np.ndim(x) != 3:
        raise ValueError(f"gru_forward: x should be (N, T, D), got shape {np.shape(x)}")
    N, T, D = x.shape
    H = W_hh.shape[1]
    _check_shapes(
        f"gru_forward with N={N}, D={D}, H={H}",
        W_ih=(W_ih, (3 * H, D)),
        W_hh=(W_hh, (3 * H, H)),
        b_ih=(b_ih, (3 * H,)),
        b_hh=(b_hh, (3 * H,)),
        h0=(h0, (N, H)),
    )
    dtype = np.result_type(x, h0, W_ih, W_hh, b_ih, b_hh)
    x_tm = x.transpose(1, 0, 2).reshape(T * N, D)  # time-major: each step's rows contiguous
    xw = (x_tm @ W_ih.T).reshape(T, N, 3 * H)  # all steps at once
    xw += b_ih
    xw[:, :, : 2 * H] += b_hh[: 2 * H]  # r and z add both biases; n keeps b_hn apart
    b_hn = b_hh[2 * H :]
    W_rz_T = W_hh[: 2 * H].T  # (H, 2H)
    W_hn_T = W_hh[2 * H :].T  # (H, H)
    h = np.empty((N, T, H), dtype=dtype)
    G = np.empty((N, 3 * H), dtype=dtype)  # the current step's gates
    rz, r_t, z_t, a_n = G[:, : 2 * H], G[:, :H], G[:, H : 2 * H], G[:, 2 * H :]
    n_t = np.empty((N, H), dtype=dtype)
    tmp = np.empty((N, H), dtype=dtype)
    h_prev = h0
    W_hh_T = W_hh.T
    with np.errstate(over="ignore"):
        for t in range(T):
            if reset_after:
                np.matmul(h_prev, W_hh_T, out=G)  # all three recurrent products at once
            else:
                np.matmul(h_prev, W_rz_T, out=rz)
            rz += xw[t, :, : 2 * H]
            _sigmoid_into(rz, rz)  # r_t, z_t
            if reset_after:
                a_n += b_hn
                a_n *= r_t  # r * (W_hn h + b_hn)
            else:
                np.multiply(r_t, h_prev, out=tmp)
                np.matmul(tmp, W_hn_T, out=a_n)  # W_hn (r * h)
                a_n += b_hn
            a_n += xw[t, :, 2 * H :]
            _tanh_into(a_n, n_t)
            np.subtract(h_prev, n_t, out=tmp)
            tmp *= z_t
            np.add(n_t, tmp, out=h[:, t])  # h_t = n + z * (h_prev - n) = (1 - z) n + z h_prev
            h_prev = h[:, t]
    return h


def gru_backward(
    dh: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    reset_after: bool = True,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time: ``gru_step_backward`` for t = T..1.

    Walking back from t = T with dh_next = 0, the total gradient on h_t is
    ``dh[:, t] + dh_next``; the weight gradients are summed over t (shared weights).

    Args:
        dh: upstream gradients on every hidden state (from the outputs only), (N, T, H).
        x (N, T, D), h0 (N, H): the forward's inputs; h (N, T, H): its output.
        W_ih, W_hh, b_ih, b_hh: the parameters; reset_after as in the forward.

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,))
    """
    if np.ndim(x) != 3 or np.ndim(h) != 3:
        raise ValueError("gru_backward: x and h should be (N, T, ...) arrays")
    N, T, D = x.shape
    H = h.shape[2]
    _check_shapes(
        f"gru_backward with N={N}, T={T}, D={D}, H={H}",
        dh=(dh, (N, T, H)),
        W_ih=(W_ih, (3 * H, D)),
        W_hh=(W_hh, (3 * H, H)),
        b_ih=(b_ih, (3 * H,)),
        b_hh=(b_hh, (3 * H,)),
        h0=(h0, (N, H)),
    )
    dtype = np.result_type(dh, x, h0, h, W_ih, W_hh, b_ih, b_hh)
    H2, H3 = 2 * H, 3 * H
    # Time-major inside (every step's slice is one contiguous block).
    h_prev = np.empty((T, N, H), dtype=dtype)  # h_0 ... h_{T-1}
    h_prev[0] = h0
    h_prev[1:] = h[:, :-1].transpose(1, 0, 2)
    x2 = x.transpose(1, 0, 2).reshape(T * N, D)
    hp2 = h_prev.reshape(T * N, H)
    dh_tm = dh.transpose(1, 0, 2)  # a view
    W_hn = W_hh[H2:]
    # dA[t] = dL/da_h at step t, blocks r, z, n (Cho: dL/da, the same for a_x and a_h); with
    # reset_after, the n block of dL/da_x differs (da_n, not da_n * r): kept in dA_xn.
    dA = np.empty((T, N, 3, H), dtype=dtype)
    dA_xn = np.empty((T, N, H), dtype=dtype) if reset_after else None
    rh = None if reset_after else np.empty((T, N, H), dtype=dtype)  # r_t * h_{t-1}
    # Gates and coefficients for a chunk of steps at a time (small enough to stay in cache):
    Tc = max(1, min(T, 2**15 // (N * H)))
    Gx = np.empty((Tc, N, H3), dtype=dtype)  # a_x, then r, z (sigmoid) and n (tanh)
    Gh = np.empty((Tc, N, H3 if reset_after else H2), dtype=dtype)  # a_h
    K = np.empty((Tc, N, 3, H), dtype=dtype)  # da_h = dh_t * K, blocks r, z, n
    K_n = np.empty((Tc, N, H), dtype=dtype)  # da_n = dh_t * K_n
    tmp = np.empty((Tc, N, H), dtype=dtype)
    dh_t = np.empty((N, H), dtype=dtype)
    dh_z = np.empty((N, H), dtype=dtype)
    drh = np.empty((N, H), dtype=dtype)
    dh_next = np.zeros((N, H), dtype=dtype)
    for t1 in range(T, 0, -Tc):
        t0 = max(0, t1 - Tc)
        n_ = t1 - t0
        gx, gh, k, k_n, tm = Gx[:n_], Gh[:n_], K[:n_], K_n[:n_], tmp[:n_]
        hp = h_prev[t0:t1]
        # every gate of the chunk's steps, recomputed
        np.matmul(x2[t0 * N : t1 * N], W_ih.T, out=gx.reshape(n_ * N, H3))
        gx += b_ih
        if reset_after:
            np.matmul(hp2[t0 * N : t1 * N], W_hh.T, out=gh.reshape(n_ * N, H3))
            gh += b_hh
        else:
            np.matmul(hp2[t0 * N : t1 * N], W_hh[:H2].T, out=gh.reshape(n_ * N, H2))
            gh += b_hh[:H2]
        rz = gx[..., :H2]
        rz += gh[..., :H2]
        with np.errstate(over="ignore"):
            _sigmoid_into(rz, rz)
        r, z, n = gx[..., :H], gx[..., H:H2], gx[..., H2:]
        if reset_after:
            a_hn = gh[..., H2:]
            np.multiply(r, a_hn, out=tm)
        else:
            np.multiply(r, hp, out=rh[t0:t1])
            np.matmul(rh[t0:t1].reshape(n_ * N, H), W_hn.T, out=tm.reshape(n_ * N, H))
            tm += b_hh[H2:]
        n += tm
        with np.errstate(over="ignore"):
            _tanh_into(n, n)
        # coefficients: da_n = dh_t * (1 - z)(1 - n^2);  da_z = dh_t * (h_prev - n) z (1 - z)
        np.multiply(n, n, out=k_n)
        np.subtract(1.0, k_n, out=k_n)
        np.subtract(1.0, z, out=tm)
        k_n *= tm  # K_n = (1 - z)(1 - n^2)
        k_z = k[:, :, 1]
        np.subtract(hp, n, out=k_z)
        k_z *= z
        k_z *= tm  # K_z = (h_prev - n) z (1 - z)
        k_r = k[:, :, 0]
        np.subtract(1.0, r, out=tm)
        tm *= r  # r (1 - r)
        if reset_after:
            np.multiply(k_n, a_hn, out=k_r)
            k_r *= tm  # K_r = K_n a_hn r (1 - r):   da_r = da_n * a_hn * r (1 - r)
            np.multiply(k_n, r, out=k[:, :, 2])  # K_hn = K_n r:   da_hn = da_n * r
        else:
            np.multiply(tm, hp, out=k_r)  # da_r = d(r * h_prev) * h_prev * r (1 - r)
            k[:, :, 2] = k_n
        # the chain through time, step by step
        for t in range(t1 - 1, t0 - 1, -1):
            i = t - t0
            np.add(dh_tm[t], dh_next, out=dh_t)  # total dL/dh_t
            dA_t = dA[t]  # (N, 3, H)
            np.multiply(z[i], dh_t, out=dh_z)  # the direct path: dh_prev gets dh_t * z_t
            if reset_after:
                np.multiply(dh_t[:, None, :], k[i], out=dA_t)  # da_r, da_z, da_hn
                np.multiply(dh_t, k_n[i], out=dA_xn[t])  # da_n
                np.matmul(dA_t.reshape(N, H3), W_hh, out=dh_next)
            else:
                np.multiply(dh_t[:, None, :], k[i, :, 1:], out=dA_t[:, 1:])  # da_z, da_n
                np.matmul(dA_t[:, 2], W_hn, out=drh)  # d(r * h_prev) = da_n @ W_hn
                np.multiply(drh, k[i, :, 0], out=dA_t[:, 0])  # da_r
                np.matmul(dA_t[:, :2].reshape(N, H2), W_hh[:H2], out=dh_next)
                drh *= r[i]
                dh_next += drh
            dh_next += dh_z
    dA2 = dA.reshape(T * N, H3)
    if reset_after:
        db_hh = dA2.sum(axis=0)
        dW_hh = _sum_over_rows(dA2, hp2)
        dA[:, :, 2] = dA_xn  # now dL/da_x: differs from dL/da_h only in the n block
        db_ih = dA2.sum(axis=0)
    else:
        db_ih = dA2.sum(axis=0)
        db_hh = db_ih.copy()
        dW_hh = np.empty(W_hh.shape, dtype=dtype)
        dW_hh[:H2] = dA2[:, :H2].T @ hp2  # r, z rows: times h_{t-1}
        dW_hh[H2:] = dA2[:, H2:].T @ rh.reshape(T * N, H)  # n rows: times r * h_{t-1}
    dx = np.ascontiguousarray((dA2 @ W_ih).reshape(T, N, D).transpose(1, 0, 2))
    dW_ih = _sum_over_rows(dA2, x2)
    return dx, dh_next, dW_ih, dW_hh, db_ih, db_hh


def init_gru(
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch's initialisation (``rnncourse.initialization``): every entry uniform in
    [-1/sqrt(H), 1/sqrt(H)]; both of PyTorch's biases are kept.

    Returns:
        (W_ih (3H, D), W_hh (3H, H), b_ih (3H,), b_hh (3H,))

    >>> [a.shape for a in init_gru(3, 4, np.random.default_rng(0))]
    [(12, 3), (12, 4), (12,), (12,)]
    """
    shapes = [(3 * H, D), (3 * H, H), (3 * H,), (3 * H,)]
    W_ih, W_hh, b_ih, b_hh = (uniform_init(rng, s, H).astype(dtype) for s in shapes)
    return W_ih, W_hh, b_ih, b_hh
