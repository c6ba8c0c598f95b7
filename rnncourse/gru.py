"""The GRU: forward and backward, one step and a whole sequence, in both variants.

The lessons write the column-vector maths (sigma is the logistic sigmoid, * is element-wise)

    r_t = sigma(W_ih_r x_t + b_ih_r + W_hh_r h_{t-1} + b_hh_r)            reset gate
    z_t = sigma(W_ih_z x_t + b_ih_z + W_hh_z h_{t-1} + b_hh_z)            update gate
    n_t = tanh (W_ih_n x_t + b_ih_n + r_t * (W_hh_n h_{t-1} + b_hh_n))    candidate (PyTorch)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

That candidate is PyTorch's (``reset_after=True``: the reset gate multiplies the recurrent
product after it is computed). Cho et al. (2014) reset the state before the product:

    n_t = tanh (W_ih_n x_t + b_ih_n + W_hh_n (r_t * h_{t-1}) + b_hh_n)     (``reset_after=False``)

The blocks are stacked in PyTorch's order r, z, n: ``W_ih (3H, D)``, ``W_hh (3H, H)``,
``b_ih (3H,)``, ``b_hh (3H,)``. ``W_hh_r, W_hh_z, W_hh_n`` (H, H) are the three row blocks of
``W_hh``, ``W_ih_r, W_ih_z, W_ih_n`` (H, D) those of ``W_ih``, and ``b_hh_n`` the n block of
``b_hh`` (PyTorch's documentation writes W_hr, W_hz, W_hn, ...; in this course ``W_hr`` is the
LSTM's projection). A name ending in ``_T`` is the transpose: ``W_hh_n_T = W_hh_n.T`` (H, H).
Both biases are kept: ``b_hh_n`` sits inside ``r_t * (...)``, so it cannot be merged into
``b_ih_n``. In row form:

    a_x = x_t @ W_ih.T + b_ih        a_h = h_prev @ W_hh.T + b_hh       # (N, 3H) each

Shapes: N batch, T time steps, D input size, H hidden size.

    x_t (N, D)  h_prev, h_t (N, H)  x (N, T, D)  h0 (N, H)  h (N, T, H)

Backward functions are pure: they take the forward's inputs and outputs and recompute the
gates. In ``gru_backward``, ``dh`` is dL/dh_t from the outputs only; the path through time is
added inside.
"""

from __future__ import annotations

import numpy as np

from rnncourse._cells import (
    check_sequence,
    check_shapes,
    sigmoid,
    sigmoid_into,
    split_gates,
    sum_over_rows,
    tanh_into,
)
from rnncourse.initialization import uniform_init

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
        n_t = tanh(a_x_n + r_t * a_h_n)                          # reset_after=True (PyTorch)
        n_t = tanh(a_x_n + (r_t * h_prev) @ W_hh_n.T + b_hh_n)   # reset_after=False (Cho et al.)
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
    a_x = x_t @ W_ih.T + b_ih  # (N, 3H)
    a_x_r, a_x_z, a_x_n = split_gates(a_x, 3)  # (N, H) each
    W_hh_r, W_hh_z, W_hh_n = np.split(W_hh, 3)  # (H, H) each: the row blocks
    b_hh_r, b_hh_z, b_hh_n = np.split(b_hh, 3)  # (H,) each
    r_t = sigmoid(a_x_r + h_prev @ W_hh_r.T + b_hh_r)
    z_t = sigmoid(a_x_z + h_prev @ W_hh_z.T + b_hh_z)
    if reset_after:
        n_t = np.tanh(a_x_n + r_t * (h_prev @ W_hh_n.T + b_hh_n))
    else:
        n_t = np.tanh(a_x_n + (r_t * h_prev) @ W_hh_n.T + b_hh_n)
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
        reset_after=True:   dr = da_n * a_h_n;   da_h_n = da_n * r_t
        reset_after=False:  d(rh) = da_n @ W_hh_n;  dr = d(rh) * h_prev;  dh_prev += d(rh) * r_t
        da_r, da_z = dr * r_t * (1 - r_t), dz * z_t * (1 - z_t)
        da_x    = [da_r, da_z, da_n]                       # (N, 3H), w.r.t. a_x
        da_h    = [da_r, da_z, da_h_n]                     # w.r.t. a_h (reset_after=True)
        dx_t    = da_x @ W_ih;   dW_ih = da_x.T @ x_t;   db_ih = da_x.sum(axis=0)
        dh_prev += da_h @ W_hh;  dW_hh = da_h.T @ h_prev;  db_hh = da_h.sum(axis=0)
        (reset_after=False: the n rows of dW_hh are da_n.T @ (r_t * h_prev), and
         dh_prev gets only [da_r, da_z] @ W_hh[:2H] from the matrix product)

    Returns:
        (dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh)
    """
    H = h_prev.shape[1]
    # forward again
    a_x = x_t @ W_ih.T + b_ih  # (N, 3H)
    a_x_r, a_x_z, a_x_n = split_gates(a_x, 3)
    W_hh_n = W_hh[2 * H :]  # (H, H)
    b_hh_n = b_hh[2 * H :]  # (H,)
    a_h_rz = h_prev @ W_hh[: 2 * H].T + b_hh[: 2 * H]  # (N, 2H): blocks r, z of a_h
    r_t = sigmoid(a_x_r + a_h_rz[:, :H])
    z_t = sigmoid(a_x_z + a_h_rz[:, H:])
    if reset_after:
        a_h_n = h_prev @ W_hh_n.T + b_hh_n
        n_t = np.tanh(a_x_n + r_t * a_h_n)
    else:
        rh = r_t * h_prev
        n_t = np.tanh(a_x_n + rh @ W_hh_n.T + b_hh_n)
    # and back
    dn = dh_t * (1.0 - z_t)
    dz = dh_t * (h_prev - n_t)
    dh_prev = dh_t * z_t
    da_n = dn * (1.0 - n_t**2)
    if reset_after:
        dr = da_n * a_h_n
        da_h_n = da_n * r_t
    else:
        drh = da_n @ W_hh_n
        dr = drh * h_prev
        dh_prev = dh_prev + drh * r_t
    da_r = dr * r_t * (1.0 - r_t)
    da_z = dz * z_t * (1.0 - z_t)
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
    dx_t = da_x @ W_ih
    dW_ih = da_x.T @ x_t
    db_ih = da_x.sum(axis=0)
    if reset_after:
        da_h = np.concatenate([da_r, da_z, da_h_n], axis=1)
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
# and the weight gradients (sums over t) are single products after it. The backward's named
# steps are functions called once per chunk or once per sequence, never once per step: a Python
# call per step would cost microseconds at small sizes.
# ---------------------------------------------------------------------------------------------

# Each argument's shape in the course's letters, for the teaching shape checks' messages.
_LETTERS = {
    "x": "(N, T, D)",
    "h0": "(N, H)",
    "h": "(N, T, H)",
    "dh": "(N, T, H)",
    "W_ih": "(3H, D)",
    "W_hh": "(3H, H)",
    "b_ih": "(3H,)",
    "b_hh": "(3H,)",
}


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

    Raises:
        ValueError: an argument of the wrong shape, named in the message.

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
    check_sequence("gru_forward", "x", x, _LETTERS["x"])
    N, T, D = x.shape
    H = W_hh.shape[1]
    check_shapes(
        "gru_forward",
        {"N": N, "D": D, "H": H},
        _LETTERS,
        W_ih=(W_ih, (3 * H, D)),
        W_hh=(W_hh, (3 * H, H)),
        b_ih=(b_ih, (3 * H,)),
        b_hh=(b_hh, (3 * H,)),
        h0=(h0, (N, H)),
    )
    dtype = np.result_type(x, h0, W_ih, W_hh, b_ih, b_hh)
    # The input projections of all steps at once, time-major: xw[t] = a_x (+ b_hh for r, z)
    x_tm = x.transpose(1, 0, 2).reshape(T * N, D)  # (T*N, D): step t's rows are one block
    xw = (x_tm @ W_ih.T).reshape(T, N, 3 * H)
    xw += b_ih
    xw[:, :, : 2 * H] += b_hh[: 2 * H]  # r and z add both biases; n keeps b_hh_n apart
    # The recurrence: gru_step_forward for t = 1..T, in place in buffers allocated once
    b_hh_n = b_hh[2 * H :]  # (H,)
    W_hh_T = W_hh.T  # (H, 3H): all three recurrent products at once
    W_hh_rz_T = W_hh[: 2 * H].T  # (H, 2H): blocks r, z
    W_hh_n_T = W_hh[2 * H :].T  # (H, H): block n
    h = np.empty((N, T, H), dtype=dtype)
    G = np.empty((N, 3 * H), dtype=dtype)  # the current step's gates
    rz, r_t, z_t, a_n = G[:, : 2 * H], G[:, :H], G[:, H : 2 * H], G[:, 2 * H :]
    n_t = np.empty((N, H), dtype=dtype)
    tmp = np.empty((N, H), dtype=dtype)
    h_prev = h0
    with np.errstate(over="ignore"):
        for t in range(T):
            if reset_after:
                np.matmul(h_prev, W_hh_T, out=G)  # [a_h_r, a_h_z, W_hh_n h] (no b_hh_n yet)
            else:
                np.matmul(h_prev, W_hh_rz_T, out=rz)
            rz += xw[t, :, : 2 * H]
            sigmoid_into(rz, rz)  # r_t, z_t
            if reset_after:
                a_n += b_hh_n
                a_n *= r_t  # r * (W_hh_n h + b_hh_n)
            else:
                np.multiply(r_t, h_prev, out=tmp)
                np.matmul(tmp, W_hh_n_T, out=a_n)  # W_hh_n (r * h)
                a_n += b_hh_n
            a_n += xw[t, :, 2 * H :]
            tanh_into(a_n, n_t)
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

    Computed in four named steps, each a part of ``gru_step_backward`` for many steps:

        1. _gates_again          the forward again for a chunk of steps, two matrix products
        2. _gate_coefficients    the chunk's local derivatives: da = dh_t * K_t
        3. _chain_through_time   the loop over the chunk's steps: dh_next only
        4. _weight_gradients     dx and the sums over t (dW_ih, dW_hh, db_ih, db_hh) after the loop

    Args:
        dh: upstream gradients on every hidden state (from the outputs only), (N, T, H).
        x (N, T, D), h0 (N, H): the forward's inputs; h (N, T, H): its output.
        W_ih, W_hh, b_ih, b_hh: the parameters; reset_after as in the forward.

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,))

    Raises:
        ValueError: an argument of the wrong shape, named in the message.
    """
    check_sequence("gru_backward", "x", x, _LETTERS["x"])
    check_sequence("gru_backward", "h", h, _LETTERS["h"])
    N, T, D = x.shape
    H = h.shape[2]
    check_shapes(
        "gru_backward",
        {"N": N, "T": T, "D": D, "H": H},
        _LETTERS,
        dh=(dh, (N, T, H)),
        W_ih=(W_ih, (3 * H, D)),
        W_hh=(W_hh, (3 * H, H)),
        b_ih=(b_ih, (3 * H,)),
        b_hh=(b_hh, (3 * H,)),
        h0=(h0, (N, H)),
    )
    dtype = np.result_type(dh, x, h0, h, W_ih, W_hh, b_ih, b_hh)
    # Time-major inside (every step's slice is one contiguous block).
    h_prev = np.empty((T, N, H), dtype=dtype)  # h_0 ... h_{T-1}
    h_prev[0] = h0
    h_prev[1:] = h[:, :-1].transpose(1, 0, 2)
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, N, D)
    # dA[t] = dL/da_h at step t, blocks r, z, n (Cho: dL/da, the same for a_x and a_h); with
    # reset_after, the n block of dL/da_x differs (da_n, not da_n * r): kept in dA_x_n.
    dA = np.empty((T, N, 3, H), dtype=dtype)
    dA_x_n = np.empty((T, N, H), dtype=dtype) if reset_after else None
    rh = None if reset_after else np.empty((T, N, H), dtype=dtype)  # r_t * h_{t-1}
    # The chunk's buffers, allocated once (small enough to stay in cache):
    Tc = max(1, min(T, 2**15 // (N * H)))  # steps per chunk
    G_x = np.empty((Tc, N, 3 * H), dtype=dtype)  # a_x, then r, z (sigmoid) and n (tanh)
    G_h = np.empty((Tc, N, 3 * H if reset_after else 2 * H), dtype=dtype)  # a_h
    K = np.empty((Tc, N, 3, H), dtype=dtype)  # da_h = dh_t * K, blocks r, z, n
    K_n = np.empty((Tc, N, H), dtype=dtype)  # da_n = dh_t * K_n
    tmp = np.empty((Tc, N, H), dtype=dtype)
    step = np.empty((3, N, H), dtype=dtype)  # scratch of the loop over steps
    dh_next = np.zeros((N, H), dtype=dtype)  # dL/dh_t arriving from step t+1
    for t1 in range(T, 0, -Tc):  # backwards in time, a chunk of steps at a time
        t0 = max(0, t1 - Tc)  # the chunk: steps t0 .. t1 - 1
        n = t1 - t0
        h_prev_c = h_prev[t0:t1]  # (n, N, H)
        # 1. the chunk's gates again: (n, N, H) each
        r, z, n_t, a_h_n = _gates_again(
            x_tm[t0:t1], h_prev_c, W_ih, W_hh, b_ih, b_hh, G_x[:n], G_h[:n], tmp[:n],
            None if reset_after else rh[t0:t1],
        )  # fmt: skip
        # 2. their local derivatives
        _gate_coefficients(r, z, n_t, h_prev_c, a_h_n, K[:n], K_n[:n], tmp[:n])
        # 3. the chain through the chunk's steps
        _chain_through_time(dA, dA_x_n, K[:n], K_n[:n], r, z, dh, t0, t1, W_hh, dh_next, step)
    # 4. dx and the weight gradients, sums over t, as products after the loop
    dx, dW_ih, dW_hh, db_ih, db_hh = _weight_gradients(dA, dA_x_n, x_tm, h_prev, rh, W_ih, W_hh)
    return dx, dh_next, dW_ih, dW_hh, db_ih, db_hh


def _gates_again(x_c, h_prev_c, W_ih, W_hh, b_ih, b_hh, G_x, G_h, tmp, rh_c):
    """Step 1 of ``gru_backward``, ``gru_step_backward``'s "forward again" for a chunk of n steps.

    x_c (n, N, D), h_prev_c (n, N, H): the chunk's inputs and previous states. Two matrix
    products, a_x = x_t @ W_ih.T + b_ih into G_x (n, N, 3H) and a_h = h_prev @ W_hh.T + b_hh
    into G_h (n, N, 3H; Cho's variant: only blocks r, z, (n, N, 2H)); then the gates in place.
    rh_c (n, N, H) is None for PyTorch's variant; for Cho's it receives r_t * h_{t-1}.

    Returns views (n, N, H): r_t, z_t and n_t in G_x, and a_h_n in G_h (None for Cho's variant).
    tmp (n, N, H) is scratch.
    """
    n, N, D = x_c.shape
    H = h_prev_c.shape[2]
    H2 = 2 * H
    np.matmul(x_c.reshape(n * N, D), W_ih.T, out=G_x.reshape(n * N, 3 * H))
    G_x += b_ih  # a_x
    if rh_c is None:
        np.matmul(h_prev_c.reshape(n * N, H), W_hh.T, out=G_h.reshape(n * N, 3 * H))
        G_h += b_hh  # a_h
    else:
        W_hh_rz_T = W_hh[:H2].T  # (H, 2H): blocks r, z
        np.matmul(h_prev_c.reshape(n * N, H), W_hh_rz_T, out=G_h.reshape(n * N, H2))
        G_h += b_hh[:H2]  # blocks r, z of a_h
    rz = G_x[..., :H2]
    rz += G_h[..., :H2]
    with np.errstate(over="ignore"):
        sigmoid_into(rz, rz)  # r_t, z_t
    r, z, n_t = split_gates(G_x, 3)  # (n, N, H) views
    if rh_c is None:
        a_h_n = G_h[..., H2:]
        np.multiply(r, a_h_n, out=tmp)  # r_t * a_h_n
    else:
        a_h_n = None
        np.multiply(r, h_prev_c, out=rh_c)  # r_t * h_{t-1}
        W_hh_n_T = W_hh[H2:].T  # (H, H)
        np.matmul(rh_c.reshape(n * N, H), W_hh_n_T, out=tmp.reshape(n * N, H))
        tmp += b_hh[H2:]  # W_hh_n (r_t * h_{t-1}) + b_hh_n
    n_t += tmp
    with np.errstate(over="ignore"):
        tanh_into(n_t, n_t)  # n_t
    return r, z, n_t, a_h_n


def _gate_coefficients(r, z, n_t, h_prev_c, a_h_n, K, K_n, tmp):
    """Step 2 of ``gru_backward``: the local derivatives of a chunk of n steps.

    Every da of ``gru_step_backward`` is dh_t (the total dL/dh_t) times a coefficient known
    from the gates, except Cho's da_r, which is d(r * h_prev) times one:

        da_n   = dh_t * (1 - z)(1 - n^2)                      = dh_t * K_n
        da_z   = dh_t * (h_prev - n) z (1 - z)                = dh_t * K_z
        PyTorch's variant:
        da_r   = da_n * a_h_n r (1 - r)                       = dh_t * K_r
        da_h_n = da_n * r                                     = dh_t * K_h_n
        Cho's variant:
        da_r   = d(r * h_prev) * h_prev r (1 - r)             = d(r * h_prev) * K_r

    r, z, n_t, h_prev_c, a_h_n (n, N, H): the chunk's gates (step 1), a_h_n None for Cho's.
    Filled: K (n, N, 3, H) = [K_r, K_z, K_h_n] (Cho: [K_r, K_z, K_n]) and K_n (n, N, H).
    tmp (n, N, H) is scratch.
    """
    np.multiply(n_t, n_t, out=K_n)
    np.subtract(1.0, K_n, out=K_n)
    np.subtract(1.0, z, out=tmp)
    K_n *= tmp  # K_n = (1 - z)(1 - n^2)
    K_z = K[:, :, 1]
    np.subtract(h_prev_c, n_t, out=K_z)
    K_z *= z
    K_z *= tmp  # K_z = (h_prev - n) z (1 - z)
    K_r = K[:, :, 0]
    np.subtract(1.0, r, out=tmp)
    tmp *= r  # r (1 - r)
    if a_h_n is not None:
        np.multiply(K_n, a_h_n, out=K_r)
        K_r *= tmp  # K_r = K_n a_h_n r (1 - r)
        np.multiply(K_n, r, out=K[:, :, 2])  # K_h_n = K_n r
    else:
        np.multiply(tmp, h_prev_c, out=K_r)  # K_r = h_prev r (1 - r)
        K[:, :, 2] = K_n


def _chain_through_time(dA, dA_x_n, K, K_n, r, z, dh, t0, t1, W_hh, dh_next, step):
    """Step 3 of ``gru_backward``: ``gru_step_backward`` for t = t1 - 1 .. t0, in place.

    K (n, N, 3, H), K_n, r, z (n, N, H): the chunk's coefficients and gates (steps 1, 2).
    dh_next (N, H) holds the gradient arriving from step t1 on entry, the one arriving at t0
    on return. Fills dA[t] (N, 3, H) = dL/da_h (Cho: dL/da) for the chunk's steps, and with
    PyTorch's variant dA_x_n[t] (N, H) = da_n, the n block of dL/da_x (dA_x_n is None for Cho).
    step: (3, N, H) scratch.
    """
    N, H = dh_next.shape
    H2 = 2 * H
    # (N, H) each: the total dL/dh_t; dh_t * z_t, the direct path to h_{t-1}; and, in Cho's
    # variant, d(r_t * h_{t-1})
    dh_t, dh_z, drh = step
    W_hh_rz, W_hh_n = W_hh[:H2], W_hh[H2:]  # (2H, H): blocks r, z; (H, H): block n
    for t in range(t1 - 1, t0 - 1, -1):
        k = t - t0
        np.add(dh[:, t], dh_next, out=dh_t)  # total dL/dh_t
        dA_t = dA[t]  # (N, 3, H)
        np.multiply(z[k], dh_t, out=dh_z)  # dh_prev = dh_t * z_t ...
        if dA_x_n is not None:
            np.multiply(dh_t[:, None, :], K[k], out=dA_t)  # da_r, da_z, da_h_n
            np.multiply(dh_t, K_n[k], out=dA_x_n[t])  # da_n
            np.matmul(dA_t.reshape(N, 3 * H), W_hh, out=dh_next)  # ... + da_h @ W_hh
        else:
            np.multiply(dh_t[:, None, :], K[k, :, 1:], out=dA_t[:, 1:])  # da_z, da_n
            np.matmul(dA_t[:, 2], W_hh_n, out=drh)  # d(r * h_prev) = da_n @ W_hh_n
            np.multiply(drh, K[k, :, 0], out=dA_t[:, 0])  # da_r
            np.matmul(dA_t[:, :2].reshape(N, H2), W_hh_rz, out=dh_next)  # ... + da_rz @ W_hh_rz
            drh *= r[k]
            dh_next += drh  # ... + d(r * h_prev) * r_t
        dh_next += dh_z


def _weight_gradients(dA, dA_x_n, x_tm, h_prev, rh, W_ih, W_hh):
    """Step 4 of ``gru_backward``: what ``gru_step_backward`` computes from da, summed over t.

    dA (T, N, 3, H): dL/da_h (Cho: dL/da); dA_x_n (T, N, H): the n block of dL/da_x, or None
    for Cho's variant (where it is dA's); x_tm (T, N, D), h_prev (T, N, H): x_t and h_{t-1};
    rh (T, N, H): r_t * h_{t-1} for Cho's variant, else None. Overwrites dA's n block.
    Returns dx (N, T, D), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    T, N, _, H = dA.shape
    D = x_tm.shape[2]
    H2 = 2 * H
    dA2 = dA.reshape(T * N, 3 * H)
    x2 = x_tm.reshape(T * N, D)
    h_prev2 = h_prev.reshape(T * N, H)
    if dA_x_n is not None:
        db_hh = dA2.sum(axis=0)  # sum_t da_h
        dW_hh = sum_over_rows(dA2, h_prev2)  # sum_t da_h.T @ h_prev
        dA[:, :, 2] = dA_x_n  # now dL/da_x: differs from dL/da_h only in the n block
        db_ih = dA2.sum(axis=0)  # sum_t da_x
    else:
        db_ih = dA2.sum(axis=0)
        db_hh = db_ih.copy()
        dW_hh = np.empty(W_hh.shape, dtype=dA.dtype)
        dW_hh[:H2] = dA2[:, :H2].T @ h_prev2  # r, z rows: times h_{t-1}
        dW_hh[H2:] = dA2[:, H2:].T @ rh.reshape(T * N, H)  # n rows: times r_t * h_{t-1}
    dx = np.ascontiguousarray((dA2 @ W_ih).reshape(T, N, D).transpose(1, 0, 2))  # da_x @ W_ih
    dW_ih = sum_over_rows(dA2, x2)  # sum_t da_x.T @ x_t
    return dx, dW_ih, dW_hh, db_ih, db_hh


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
