"""The LSTM: forward and backward, one step and a whole sequence.

The lessons write the column-vector maths (sigma is the logistic sigmoid, * is element-wise)

    i_t = sigma(W_ii x_t + W_hi h_{t-1} + b_i)     input gate
    f_t = sigma(W_if x_t + W_hf h_{t-1} + b_f)     forget gate
    g_t = tanh (W_ig x_t + W_hg h_{t-1} + b_g)     candidate
    o_t = sigma(W_io x_t + W_ho h_{t-1} + b_o)     output gate
    c_t = f_t * c_{t-1} + i_t * g_t                memory cell
    h_t = o_t * tanh(c_t)                          hidden state

The four blocks are stacked in PyTorch's order i, f, g, o: ``W_ih (4H, D)``, ``W_hh (4H, H)``
and one bias ``b (4H,)``, which is PyTorch's ``b_ih + b_hh`` (two biases added together
compute the same function as one). So in row form, one matrix product gives all four gates:

    a_t = x_t @ W_ih.T + h_prev @ W_hh.T + b       # (N, 4H), blocks a_i, a_f, a_g, a_o

With a hidden projection (PyTorch's ``proj_size``) ``W_hr (P, H)``, P < H, the hidden state
is projected down, ``h_t = (o_t * tanh(c_t)) @ W_hr.T``, so h_t is (N, P), ``W_hh`` is (4H, P)
and ``h0`` is (N, P); the cell state stays (N, H).

Shapes: N batch, T time steps, D input size, H hidden size, P projection size.

    x_t (N, D)  h_prev, h_t (N, H) or (N, P)  c_prev, c_t (N, H)
    x (N, T, D) h (N, T, H) or (N, T, P)      c (N, T, H)

Backward functions are pure: they take the forward's inputs and outputs and recompute the
gates. In ``lstm_backward``, ``dh`` is dL/dh_t from the outputs only; the paths through time
(h_t -> h_{t+1} and c_t -> c_{t+1}) are added inside.
"""

from __future__ import annotations

import numpy as np

from rnncourse._cells import (
    check_sequence,
    check_shapes,
    sigmoid,  # defined in rnncourse._cells, public here: rnncourse.lstm.sigmoid
    split_gates,
    sum_over_rows,
    tanh_into,
)
from rnncourse.initialization import summed_bias, uniform_init

__all__ = [
    "sigmoid",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "init_lstm",
]


def lstm_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b: np.ndarray,
    W_hr: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step.

        a_t = x_t @ W_ih.T + h_prev @ W_hh.T + b        # (N, 4H)
        i_t, f_t, o_t = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
        g_t = tanh(a_g)
        c_t = f_t * c_prev + i_t * g_t                  # (N, H)
        h_t = o_t * tanh(c_t)                           # (N, H)
        h_t = h_t @ W_hr.T                              # only with a projection: (N, P)

    Args:
        x_t: input, (N, D).
        h_prev: previous hidden state, (N, H) or (N, P).
        c_prev: previous cell state, (N, H).
        W_ih: input weights of gates i, f, g, o stacked, (4H, D).
        W_hh: recurrent weights, (4H, H) or (4H, P).
        b: bias, (4H,).
        W_hr: optional projection, (P, H).

    Returns:
        (h_t, c_t)

    >>> import numpy as np
    >>> H = 2; x_t = np.ones((1, 3)); h_prev = np.zeros((1, H)); c_prev = np.ones((1, H))
    >>> W_ih = np.zeros((4 * H, 3)); W_hh = np.zeros((4 * H, H)); b = np.zeros(4 * H)
    >>> h_t, c_t = lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b)
    >>> c_t        # all gates 0.5, candidate 0: the cell keeps half of c_prev
    array([[0.5, 0.5]])
    """
    a_t = x_t @ W_ih.T + h_prev @ W_hh.T + b  # (N, 4H)
    a_i, a_f, a_g, a_o = split_gates(a_t, 4)
    i_t = sigmoid(a_i)
    f_t = sigmoid(a_f)
    g_t = np.tanh(a_g)
    o_t = sigmoid(a_o)
    c_t = f_t * c_prev + i_t * g_t
    h_t = o_t * np.tanh(c_t)
    if W_hr is not None:
        h_t = h_t @ W_hr.T
    return h_t, c_t


def lstm_step_backward(
    dh_t: np.ndarray,
    dc_t: np.ndarray,
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b: np.ndarray,
    W_hr: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Backward through one step: the forward recomputed, then walked in reverse.

    ``dh_t`` and ``dc_t`` are the total gradients on h_t and c_t (``dc_t`` is what flows
    back from step t+1; the path through h_t is added here):

        dm      = dh_t @ W_hr                  # only with a projection (m = o_t * tanh(c_t))
        dW_hr   = dh_t.T @ m                   # only with a projection
        do      = dm * tanh(c_t)
        dc      = dc_t + dm * o_t * (1 - tanh(c_t)**2)
        di, dg  = dc * g_t, dc * i_t
        df      = dc * c_prev
        dc_prev = dc * f_t                      # the additive path: no squashing, times f_t
        da_i, da_f, da_o = di * i_t * (1 - i_t), df * f_t * (1 - f_t), do * o_t * (1 - o_t)
        da_g    = dg * (1 - g_t**2)
        da      = [da_i, da_f, da_g, da_o]      # (N, 4H)
        dx_t    = da @ W_ih;   dh_prev = da @ W_hh
        dW_ih   = da.T @ x_t;  dW_hh   = da.T @ h_prev;  db = da.sum(axis=0)

    Returns:
        (dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db), plus dW_hr last when W_hr is given.
    """
    # forward again
    a_t = x_t @ W_ih.T + h_prev @ W_hh.T + b
    a_i, a_f, a_g, a_o = split_gates(a_t, 4)
    i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_t = f_t * c_prev + i_t * g_t
    tanh_c = np.tanh(c_t)
    # and back
    if W_hr is not None:
        dm = dh_t @ W_hr  # (N, H)
        dW_hr = dh_t.T @ (o_t * tanh_c)  # (P, H)
    else:
        dm = dh_t
    do = dm * tanh_c
    dc = dc_t + dm * o_t * (1.0 - tanh_c**2)
    di = dc * g_t
    dg = dc * i_t
    df = dc * c_prev
    dc_prev = dc * f_t
    da_i = di * i_t * (1.0 - i_t)
    da_f = df * f_t * (1.0 - f_t)
    da_g = dg * (1.0 - g_t**2)
    da_o = do * o_t * (1.0 - o_t)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H)
    dx_t = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x_t
    dW_hh = da.T @ h_prev
    db = da.sum(axis=0)
    if W_hr is not None:
        return dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db, dW_hr
    return dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db


# ---------------------------------------------------------------------------------------------
# Whole sequences. These compute exactly lstm_step_forward / lstm_step_backward in a loop over
# t (tests check it), arranged for speed:
#   * the input projections x_t @ W_ih.T + b of all steps are one matrix product;
#   * sigmoid and tanh of all four gates come from ONE exp: the pre-activations are computed
#     with the rows of the weights scaled by s = -1 (i, f, o) and -2 (g) -- exact, powers of
#     two -- so e = exp(s * a) and  sigmoid(a) = 1 / (1 + e),  tanh(a) = 2 / (1 + e) - 1;
#     (numpy's exp is several times faster than its tanh in float64);
#   * every step works in place in buffers allocated once; no per-step concatenation;
#     arrays indexed by step are time-major (T, N, ...) inside, so a step reads one block;
#   * the backward recomputes all pre-activations with one product, [x_t, h_{t-1}] @ W.T;
#     since every da_t is linear in the gradients arriving at step t, the gates' local
#     derivatives are turned into coefficients for a chunk of steps at a time (small enough
#     to stay in cache), and the loop over steps carries only the chain through time;
#   * the weight gradients (sums over t) and dx are single products after the loop.
# The backward's named steps are functions called once per sequence or once per chunk, never
# once per step: a Python call per step would cost microseconds at small sizes.
# ---------------------------------------------------------------------------------------------

# Each argument's shape in the course's letters, for the teaching shape checks' messages.
_LETTERS = {
    "x": "(N, T, D)",
    "h0": "(N, H)",
    "c0": "(N, H)",
    "h": "(N, T, H)",
    "dh": "(N, T, H), like h",
    "c": "(N, T, H)",
    "W_ih": "(4H, D)",
    "W_hh": "(4H, H)",
    "b": "(4H,)",
    "dc_last": "(N, H)",
}
# With a projection W_hr (P, H), the hidden states have P columns.
_LETTERS_P = {
    **_LETTERS,
    "h0": "(N, P)",
    "h": "(N, T, P)",
    "dh": "(N, T, P), like h",
    "W_hh": "(4H, P)",
    "W_hr": "(P, H)",
}


def _gate_scale(H: int, dtype: np.dtype) -> np.ndarray:
    """s (4H,): -1 on the rows of gates i, f, o and -2 on those of g (see above)."""
    s = np.full(4 * H, -1.0, dtype=dtype)
    s[2 * H : 3 * H] = -2.0
    return s


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b: np.ndarray,
    W_hr: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the LSTM over a sequence: ``lstm_step_forward`` for t = 1..T.

    Args:
        x: inputs, (N, T, D).
        h0: initial hidden state, (N, H), or (N, P) with a projection.
        c0: initial cell state, (N, H).
        W_ih (4H, D), W_hh (4H, H) or (4H, P), b (4H,), W_hr (P, H) or None.

    Returns:
        (h, c): all hidden states (N, T, H) or (N, T, P), and all cell states (N, T, H).

    Raises:
        ValueError: an argument of the wrong shape, named in the message.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> N, T, D, H = 2, 5, 3, 4
    >>> W_ih, W_hh, b = init_lstm(D, H, rng)
    >>> x = rng.normal(size=(N, T, D)); h0 = np.zeros((N, H)); c0 = np.zeros((N, H))
    >>> h, c = lstm_forward(x, h0, c0, W_ih, W_hh, b)
    >>> h.shape, c.shape
    ((2, 5, 4), (2, 5, 4))
    >>> h1, c1 = lstm_step_forward(x[:, 0], h0, c0, W_ih, W_hh, b)
    >>> bool(np.allclose(h[:, 0], h1) and np.allclose(c[:, 0], c1))
    True
    """
    check_sequence("lstm_forward", "x", x, _LETTERS["x"])
    N, T, D = x.shape
    H = W_hh.shape[0] // 4
    P = H if W_hr is None else W_hr.shape[0]
    check_shapes(
        "lstm_forward",
        {"N": N, "D": D, "H": H, **({} if W_hr is None else {"P": P})},
        _LETTERS if W_hr is None else _LETTERS_P,
        W_ih=(W_ih, (4 * H, D)),
        W_hh=(W_hh, (4 * H, P)),
        b=(b, (4 * H,)),
        h0=(h0, (N, P)),
        c0=(c0, (N, H)),
        **({} if W_hr is None else {"W_hr": (W_hr, (P, H))}),
    )
    arrays = [x, h0, c0, W_ih, W_hh, b] + ([] if W_hr is None else [W_hr])
    dtype = np.result_type(*arrays)
    s = _gate_scale(H, dtype)
    # The input projections of all steps at once, scaled: xw[t] = s * (x_t @ W_ih.T + b)
    x_tm = x.transpose(1, 0, 2).reshape(T * N, D)  # (T*N, D) time-major: step t's rows together
    xw = (x_tm @ (W_ih.T * s)).reshape(T, N, 4 * H)
    xw += b * s
    # The recurrence: lstm_step_forward for t = 1..T, in place in buffers allocated once
    W_hh_sT = W_hh.T * s  # (H or P, 4H), scaled columns
    h = np.empty((N, T, P), dtype=dtype)
    c = np.empty((N, T, H), dtype=dtype)
    G = np.empty((N, 4 * H), dtype=dtype)  # the current step's gates
    i_t, f_t, g_t, o_t = split_gates(G, 4)  # (N, H) views
    tmp = np.empty((N, H), dtype=dtype)
    m = np.empty((N, H), dtype=dtype) if W_hr is not None else None  # o_t * tanh(c_t)
    h_prev, c_prev = h0, c0
    with np.errstate(over="ignore"):  # exp overflow -> inf -> a gate of exactly 0 or -1
        for t in range(T):
            np.matmul(h_prev, W_hh_sT, out=G)
            G += xw[t]  # G = s * a_t
            np.exp(G, out=G)
            G += 1.0
            np.reciprocal(G, out=G)  # i, f, o = sigmoid(a); g block: sigmoid(2 a_g)
            g_t *= 2.0
            g_t -= 1.0  # g = 2 sigmoid(2 a_g) - 1 = tanh(a_g)
            c_t = c[:, t]
            np.multiply(f_t, c_prev, out=c_t)
            np.multiply(i_t, g_t, out=tmp)
            c_t += tmp  # c_t = f * c_prev + i * g
            tanh_into(c_t, tmp)
            if m is None:
                np.multiply(o_t, tmp, out=h[:, t])  # h_t = o * tanh(c_t)
            else:
                np.multiply(o_t, tmp, out=m)
                np.matmul(m, W_hr.T, out=h[:, t])  # h_t = (o * tanh(c_t)) @ W_hr.T
            h_prev, c_prev = h[:, t], c_t
    return h, c


def lstm_backward(
    dh: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b: np.ndarray,
    W_hr: np.ndarray | None = None,
    dc_last: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time: ``lstm_step_backward`` for t = T..1.

    Walking back from t = T with dh_next = 0 and dc_next = dc_last (or 0):

        total gradient on h_t:  dh[:, t] + dh_next
        total gradient on c_t:  dc_next
        (dx_t, dh_next, dc_next, dW_ih_t, ...) = lstm_step_backward(...)
        dW_ih = sum_t dW_ih_t, and likewise dW_hh, db, dW_hr  (shared weights)

    Computed in four named steps, each a part of ``lstm_step_backward`` for all steps:

        1. _preactivations_again  the forward again: every step's pre-activations, one product
        2. _gate_coefficients     the gates' local derivatives, a chunk of steps at a time
        3. _chain_through_time    the loop over the chunk's steps: dh_next and dc_next only
        4. _weight_gradients      dx and the sums over t (dW_ih, dW_hh, db) after the loop

    Args:
        dh: upstream gradients on every hidden state (from the outputs only), like h.
        x, h0, c0: the forward's inputs; h, c: its outputs.
        W_ih, W_hh, b, W_hr: the parameters.
        dc_last: optional gradient on the last cell state c_T, (N, H).

    Returns:
        (dx, dh0, dc0, dW_ih, dW_hh, db), plus dW_hr last when W_hr is given.

    Raises:
        ValueError: an argument of the wrong shape, named in the message.
    """
    letters = _LETTERS if W_hr is None else _LETTERS_P
    for name, a in (("x", x), ("h", h), ("c", c)):
        check_sequence("lstm_backward", name, a, letters[name])
    N, T, D = x.shape
    H = c.shape[2]
    P = h.shape[2]
    check_shapes(
        "lstm_backward",
        {"N": N, "T": T, "D": D, "H": H, **({} if W_hr is None else {"P": P})},
        letters,
        dh=(dh, (N, T, P)),
        h=(h, (N, T, P)),
        c=(c, (N, T, H)),
        W_ih=(W_ih, (4 * H, D)),
        W_hh=(W_hh, (4 * H, P)),
        b=(b, (4 * H,)),
        h0=(h0, (N, P)),
        c0=(c0, (N, H)),
        **({} if W_hr is None else {"W_hr": (W_hr, (P, H))}),
        **({} if dc_last is None else {"dc_last": (dc_last, (N, H))}),
    )
    arrays = [dh, x, h0, c0, h, c, W_ih, W_hh, b] + ([] if W_hr is None else [W_hr])
    dtype = np.result_type(*arrays)
    s = _gate_scale(H, dtype)

    # 1. every step's s * a_t, time-major; its blocks become the coefficients, then dL/da_t
    xh, dA = _preactivations_again(x, h0, h, W_ih, W_hh, b, s)  # (T, N, D + P), (T, N, 4H)

    # 2. and 3., backwards in time, a chunk of steps at a time (~1 MB of float64 gates: in cache)
    Tc = max(1, min(T, 2**17 // (N * 4 * H)))  # steps per chunk
    chunk = np.empty((6, Tc, N, H), dtype=dtype)  # the chunk's buffers, see _gate_coefficients
    c_tm = c.transpose(1, 0, 2)  # (T, N, H), a view
    dh_next = np.zeros((N, P), dtype=dtype)  # dL/dh_t arriving from step t+1
    dc_next = np.zeros((N, H), dtype=dtype) if dc_last is None else np.array(dc_last, dtype=dtype)
    step = np.empty((2, N, H), dtype=dtype)  # scratch of the loop over steps
    dh_all = m = None
    if W_hr is not None:
        dh_all = np.empty((T, N, P), dtype=dtype)  # total dL/dh_t, for dW_hr
        m = np.empty((T, N, H), dtype=dtype)  # o_t * tanh(c_t), for dW_hr
    for t1 in range(T, 0, -Tc):
        t0 = max(0, t1 - Tc)  # the chunk: steps t0 .. t1 - 1
        f, K_c, c_prev, *work = chunk[:, : t1 - t0]  # (t1 - t0, N, H) each
        c_prev[0] = c0 if t0 == 0 else c_tm[t0 - 1]
        c_prev[1:] = c_tm[t0 : t1 - 1]
        _gate_coefficients(
            dA[t0:t1], c_tm[t0:t1], c_prev, f, K_c, work, m if m is None else m[t0:t1]
        )
        _chain_through_time(dA, f, K_c, dh, t0, t1, W_hh, W_hr, dh_next, dc_next, dh_all, step)

    # 4. dx and the weight gradients, sums over t, as products after the loop
    dx, dW_ih, dW_hh, db = _weight_gradients(dA, xh, W_ih)
    if W_hr is not None:
        dW_hr = dh_all.reshape(T * N, P).T @ m.reshape(T * N, H)  # sum_t dh_t.T @ m_t
        return dx, dh_next, dc_next, dW_ih, dW_hh, db, dW_hr
    return dx, dh_next, dc_next, dW_ih, dW_hh, db


def _preactivations_again(x, h0, h, W_ih, W_hh, b, s):
    """Step 1 of ``lstm_backward``, ``lstm_step_backward``'s "forward again" for all steps.

    Returns ``xh`` = [x_t, h_{t-1}] for every step, (T, N, D + P), and the scaled pre-activations
    s * a_t = [x_t, h_{t-1}] @ (s * [W_ih, W_hh]).T + s * b, (T, N, 4H): one matrix product.
    """
    N, T, D = x.shape
    P = h.shape[2]
    xh = np.empty((T, N, D + P), dtype=s.dtype)
    xh[:, :, :D] = x.transpose(1, 0, 2)
    xh[0, :, D:] = h0
    xh[1:, :, D:] = h[:, :-1].transpose(1, 0, 2)
    W = np.concatenate([W_ih, W_hh], axis=1)  # (4H, D + P)
    sa = (xh.reshape(T * N, D + P) @ (W.T * s)).reshape(T, N, -1)
    sa += b * s
    return xh, sa


def _gate_coefficients(K, c_t, c_prev, f, K_c, work, m):
    """Step 2 of ``lstm_backward``: the local derivatives of a chunk of n steps, in place.

    Every da_t of ``lstm_step_backward`` is linear in the two gradients arriving at step t,
    dm (on o_t * tanh(c_t)) and dc (on c_t, from step t+1):

        dc_t = dc + dm * o (1 - tanh(c_t)^2)                  = dc + dm * K_c
        da_i = dc_t * g i (1 - i)                             = dc_t * K_i
        da_f = dc_t * c_prev f (1 - f)                        = dc_t * K_f
        da_g = dc_t * i (1 - g^2) = dc_t * i 4 s (1 - s)      = dc_t * K_g,  s = sigmoid(2 a_g)
        da_o = dm * tanh(c_t) o (1 - o)                       = dm * K_o

    K (n, N, 4H): the scaled pre-activations s * a_t on entry, [K_i, K_f, K_g, K_o] on return.
    c_t, c_prev (n, N, H): the chunk's cell states and the ones before them.
    Filled (n, N, H): f = f_t, K_c, and m = o_t * tanh(c_t) unless m is None (no projection).
    work: three (n, N, H) scratch buffers.
    """
    tanh_c, g, tmp = work
    S_i, S_f, S_g, S_o = split_gates(K, 4)  # (n, N, H) views
    with np.errstate(over="ignore"):
        np.exp(K, out=K)
        K += 1.0
        np.reciprocal(K, out=K)  # i, f, o = sigmoid(a); g block: s = sigmoid(2 a_g)
        tanh_into(c_t, tanh_c)
    f[...] = S_f
    if m is not None:
        np.multiply(S_o, tanh_c, out=m)
    np.multiply(tanh_c, tanh_c, out=K_c)
    np.subtract(1.0, K_c, out=K_c)
    K_c *= S_o  # K_c = o (1 - tanh(c_t)^2)
    np.multiply(S_f, S_f, out=tmp)
    S_f -= tmp
    S_f *= c_prev  # K_f = c_prev f (1 - f)
    np.multiply(S_g, 2.0, out=g)
    g -= 1.0  # g = 2 s - 1 = tanh(a_g)
    np.multiply(S_g, S_g, out=tmp)
    S_g -= tmp
    S_g *= 4.0
    S_g *= S_i  # K_g = i 4 s (1 - s)
    np.multiply(S_i, S_i, out=tmp)
    S_i -= tmp
    S_i *= g  # K_i = g i (1 - i)
    np.multiply(S_o, S_o, out=tmp)
    S_o -= tmp
    S_o *= tanh_c  # K_o = tanh(c_t) o (1 - o)


def _chain_through_time(dA, f, K_c, dh, t0, t1, W_hh, W_hr, dh_next, dc_next, dh_all, step):
    """Step 3 of ``lstm_backward``: ``lstm_step_backward`` for t = t1 - 1 .. t0, in place.

    On entry dA[t0:t1] holds the chunk's coefficients (step 2) and dh_next (N, P), dc_next
    (N, H) the gradients arriving from step t1; on return dA[t0:t1] holds dL/da_t (N, 4H) and
    dh_next, dc_next those arriving at step t0 from t0 + 1. With a projection the total
    dL/dh_t is stored in dh_all[t] (N, P), for dW_hr. step: (2, N, H) scratch.
    """
    N, H = dc_next.shape
    dm, dc_from_h = step  # (N, H) each: dL/d(o_t * tanh(c_t)), and its part of dL/dc_t
    K4 = dA.reshape(dA.shape[0], N, 4, H)
    for t in range(t1 - 1, t0 - 1, -1):
        k = t - t0
        if W_hr is None:
            np.add(dh[:, t], dh_next, out=dm)  # dm = total dL/dh_t
        else:
            np.add(dh[:, t], dh_next, out=dh_all[t])  # total dL/dh_t
            np.matmul(dh_all[t], W_hr, out=dm)  # dm = dh_t @ W_hr
        np.multiply(dm, K_c[k], out=dc_from_h)
        dc_next += dc_from_h  # dc = dc_t + dm * o * (1 - tanh(c_t)^2), the total dL/dc_t
        da = K4[t]  # (N, 4, H): K_i, K_f, K_g, K_o
        da[:, :3] *= dc_next[:, None, :]  # da_i, da_f, da_g = dc * K_i, dc * K_f, dc * K_g
        da[:, 3] *= dm  # da_o = dm * K_o
        dc_next *= f[k]  # dc_prev = dc * f_t
        np.matmul(da.reshape(N, 4 * H), W_hh, out=dh_next)  # dh_prev = da @ W_hh


def _weight_gradients(dA, xh, W_ih):
    """Step 4 of ``lstm_backward``: what ``lstm_step_backward`` computes from da_t, summed.

    dA (T, N, 4H): dL/da_t; xh (T, N, D + P): [x_t, h_{t-1}]. Returns dx (N, T, D) and the
    sums over t: dW_ih (4H, D), dW_hh (4H, P), db (4H,), each one product or one sum.
    """
    T, N, H4 = dA.shape
    D = W_ih.shape[1]
    dA2 = dA.reshape(T * N, H4)
    dx = (dA2 @ W_ih).reshape(T, N, D).transpose(1, 0, 2).copy()  # dx_t = da_t @ W_ih
    dW = sum_over_rows(dA2, xh.reshape(T * N, -1))  # (4H, D + P): sum_t da_t.T @ [x_t, h_{t-1}]
    dW_ih = np.ascontiguousarray(dW[:, :D])
    dW_hh = np.ascontiguousarray(dW[:, D:])
    db = dA2.sum(axis=0)
    return dx, dW_ih, dW_hh, db


def init_lstm(
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    P: int | None = None,
    forget_bias: float | None = None,
    dtype: type = np.float64,
) -> tuple[np.ndarray, ...]:
    """PyTorch's initialisation (``rnncourse.initialization``), with an optional forget-gate
    bias.

    Every weight is uniform in [-1/sqrt(H), 1/sqrt(H)] as in ``torch.nn.LSTM``. PyTorch has
    two biases, each drawn that way; ``b`` is their sum, so it is distributed as PyTorch's
    effective bias.

    ``forget_bias``: when given, the forget-gate block ``b[H:2H]`` is set to this value.
    ``forget_bias=1.0`` is the recommendation of Jozefowicz, Zaremba & Sutskever (2015): with
    f_t = sigmoid(1) = 0.73 at the start, the cell keeps most of its content and the gradient
    through ``dc_prev = dc * f_t`` shrinks slowly, so long-range dependencies can be learnt
    before the gates have been trained.

    Args:
        D, H: input and hidden sizes; P: projection size (P < H) or None.

    Returns:
        (W_ih (4H, D), W_hh (4H, H or P), b (4H,)), plus W_hr (P, H) when P is given.

    >>> import numpy as np
    >>> W_ih, W_hh, b = init_lstm(3, 4, np.random.default_rng(0), forget_bias=1.0)
    >>> W_ih.shape, W_hh.shape, b[4:8]
    ((16, 3), (16, 4), array([1., 1., 1., 1.]))
    >>> [a.shape for a in init_lstm(3, 4, np.random.default_rng(0), P=2)]
    [(16, 3), (16, 2), (16,), (2, 4)]
    """
    if P is not None and not 0 < P < H:
        raise ValueError(f"the projection size P must satisfy 0 < P < H = {H}, got {P}")
    W_ih = uniform_init(rng, (4 * H, D), H)
    W_hh = uniform_init(rng, (4 * H, H if P is None else P), H)
    b = summed_bias(rng, 4 * H, H)  # b_ih + b_hh
    if forget_bias is not None:
        b[H : 2 * H] = forget_bias
    out = [W_ih, W_hh, b]
    if P is not None:
        out.append(uniform_init(rng, (P, H), H))
    return tuple(a.astype(dtype) for a in out)
