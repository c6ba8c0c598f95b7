"""The vanilla (Elman) RNN: forward and backward, one step and a whole sequence.

The lessons write the column-vector maths

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)

Weights are stored as PyTorch stores them, ``(out_features, in_features)``, and a batch is a
stack of rows, so the same equation reads in code as

    h_t = np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)

Shapes: N batch, T time steps, D input size, H hidden size.

    x_t (N, D)   h_prev, h_t (N, H)   W_xh (H, D)   W_hh (H, H)   b_h (H,)
    x (N, T, D)  h0 (N, H)            h (N, T, H): all hidden states h_1 ... h_T

Backward functions are pure: they take the forward's inputs and outputs and recompute what
they need. In ``rnn_backward``, ``dh`` is dL/dh_t coming from the outputs only; the path
through time (h_t -> h_{t+1}) is added inside, which is what backpropagation through time is.
"""

from __future__ import annotations

import numpy as np

from rnncourse._cells import check_sequence, check_shapes, tanh_into
from rnncourse.initialization import summed_bias, uniform_init

__all__ = [
    "init_rnn",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
]

# Each argument's shape in the course's letters, for the teaching shape checks' messages.
_LETTERS = {
    "x": "(N, T, D)",
    "h0": "(N, H)",
    "h": "(N, T, H)",
    "dh": "(N, T, H)",
    "W_xh": "(H, D)",
    "W_hh": "(H, H)",
    "b_h": "(H,)",
}


def rnn_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> np.ndarray:
    """One step of the RNN: ``h_t = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)``.

    Args:
        x_t: input at step t, (N, D).
        h_prev: previous hidden state h_{t-1}, (N, H).
        W_xh: input-to-hidden weights, (H, D).
        W_hh: hidden-to-hidden weights, (H, H).
        b_h: hidden bias, (H,).

    Returns:
        h_t: the new hidden state, (N, H).

    >>> import numpy as np
    >>> x_t = np.array([[1.0, 0.0]])             # N=1, D=2
    >>> h_prev = np.array([[0.5, -0.5, 0.0]])    # H=3
    >>> W_xh = np.zeros((3, 2)); W_hh = np.eye(3); b_h = np.zeros(3)
    >>> rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h).round(4)
    array([[ 0.4621, -0.4621,  0.    ]])
    """
    a_t = x_t @ W_xh.T + h_prev @ W_hh.T + b_h  # (N, H) pre-activation
    return np.tanh(a_t)


def rnn_step_backward(
    dh_t: np.ndarray,
    x_t: np.ndarray,
    h_prev: np.ndarray,
    h_t: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward through one step, given the total gradient ``dh_t`` = dL/dh_t.

    The forward in reverse:

        da_t    = dh_t * (1 - h_t**2)      # tanh'(a) = 1 - tanh(a)**2 = 1 - h_t**2
        dx_t    = da_t @ W_xh              # (N, D)
        dh_prev = da_t @ W_hh              # (N, H)
        dW_xh   = da_t.T @ x_t             # (H, D)
        dW_hh   = da_t.T @ h_prev          # (H, H)
        db_h    = da_t.sum(axis=0)         # (H,)

    Returns:
        (dx_t, dh_prev, dW_xh, dW_hh, db_h)
    """
    da_t = dh_t * (1.0 - h_t * h_t)  # (N, H)
    dx_t = da_t @ W_xh
    dh_prev = da_t @ W_hh
    dW_xh = da_t.T @ x_t
    dW_hh = da_t.T @ h_prev
    db_h = da_t.sum(axis=0)
    return dx_t, dh_prev, dW_xh, dW_hh, db_h


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> np.ndarray:
    """Run the RNN over a whole sequence and return every hidden state.

    The loop is ``rnn_step_forward`` applied for t = 1..T. For speed, the input projections
    ``x_t @ W_xh.T + b_h`` of all steps are computed first in one matrix product; only the
    recurrent product ``h_prev @ W_hh.T`` has to wait for the previous step. Inside, arrays
    are time-major, (T, N, H), so each step works on one contiguous block, in place, and tanh
    is computed from exp (``tanh_into``: the same function, faster in numpy).

    Args:
        x: inputs, (N, T, D).
        h0: initial hidden state, (N, H).
        W_xh (H, D), W_hh (H, H), b_h (H,): the parameters, shared by every step.

    Returns:
        h: hidden states h_1 ... h_T, (N, T, H).

    Raises:
        ValueError: an argument of the wrong shape, named in the message.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> N, T, D, H = 2, 5, 3, 4
    >>> x = rng.normal(size=(N, T, D)); h0 = np.zeros((N, H))
    >>> W_xh, W_hh, b_h = init_rnn(D, H, rng)
    >>> h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    >>> h.shape
    (2, 5, 4)
    >>> bool(np.allclose(h[:, 0], rnn_step_forward(x[:, 0], h0, W_xh, W_hh, b_h)))
    True
    >>> rnn_forward(x, h0, W_xh.T, W_hh, b_h)
    Traceback (most recent call last):
    ValueError: rnn_forward: W_xh should be (4, 3), got (3, 4) (W_xh is (H, D) with N=2, D=3, H=4)
    """
    if getattr(x, "ndim", None) != 3:
        check_sequence("rnn_forward", "x", x, _LETTERS["x"])
    N, T, D = x.shape
    H = W_hh.shape[0]
    # One tuple comparison when every shape is right (< 1 µs: this kernel is tiny at small
    # sizes); check_shapes builds the teaching message, and lets right-shaped lists pass.
    got = tuple(getattr(a, "shape", None) for a in (W_xh, W_hh, b_h, h0))
    if got != ((H, D), (H, H), (H,), (N, H)):
        check_shapes(
            "rnn_forward",
            {"N": N, "D": D, "H": H},
            _LETTERS,
            W_xh=(W_xh, (H, D)),
            W_hh=(W_hh, (H, H)),
            b_h=(b_h, (H,)),
            h0=(h0, (N, H)),
        )
    dtype = np.result_type(x, h0, W_xh, W_hh, b_h)
    # The input projections of all steps at once, time-major: xw[t] = x_t @ W_xh.T + b_h
    x_tm = x.transpose(1, 0, 2).reshape(T * N, D)  # (T*N, D): step t's rows are one block
    xw = (x_tm @ W_xh.T).reshape(T, N, H)
    xw += b_h
    # The recurrence, rnn_step_forward's h_t = tanh(h_prev @ W_hh.T + xw[t]), in place
    h = np.empty((T, N, H), dtype=dtype)  # time-major: h[t] is h_{t+1}, one block
    W_hh_T = W_hh.T  # (H, H)
    h_prev = h0
    with np.errstate(over="ignore"):  # in tanh_into: exp overflow -> inf -> exactly -1
        for t in range(T):
            h_t = h[t]  # write the new state in place
            np.matmul(h_prev, W_hh_T, out=h_t)
            h_t += xw[t]
            tanh_into(h_t, h_t)
            h_prev = h_t
    return np.ascontiguousarray(h.transpose(1, 0, 2))  # (N, T, H)


def rnn_backward(
    dh: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    h: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for a whole sequence.

    ``dh[:, t]`` is the gradient on h_t from the outputs only. Walking back from t = T,
    the total gradient on h_t is that plus the gradient arriving from step t+1:

        dh_next = 0
        for t = T..1:
            da_t    = (dh[:, t] + dh_next) * (1 - h_t**2)
            dh_next = da_t @ W_hh                      # flows on to h_{t-1}
        dx      = da @ W_xh                            # all steps at once
        dW_xh   = sum_t da_t.T @ x_t                   # summed over time (shared weights)
        dW_hh   = sum_t da_t.T @ h_{t-1}
        db_h    = sum_t da_t.sum(axis=0)

    This is ``rnn_step_backward`` in a loop with ``+=`` on the weight gradients; here the
    sums over t are single matrix products after the loop, ``1 - h_t**2`` is computed for
    all steps before it, and the loop carries only the chain through time (time-major inside).

    Args:
        dh: upstream gradients on every hidden state, (N, T, H).
        x (N, T, D), h0 (N, H), h (N, T, H): the forward's inputs and output.
        W_xh (H, D), W_hh (H, H): the weights.

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_xh (H, D), dW_hh (H, H), db_h (H,))

    Raises:
        ValueError: an argument of the wrong shape, named in the message.
    """
    for name, a in (("x", x), ("h", h)):
        if getattr(a, "ndim", None) != 3:
            check_sequence("rnn_backward", name, a, _LETTERS[name])
    N, T, D = x.shape
    H = h.shape[2]
    got = tuple(getattr(a, "shape", None) for a in (dh, h, h0, W_xh, W_hh))
    if got != ((N, T, H), (N, T, H), (N, H), (H, D), (H, H)):  # as in rnn_forward
        check_shapes(
            "rnn_backward",
            {"N": N, "T": T, "D": D, "H": H},
            _LETTERS,
            dh=(dh, (N, T, H)),
            h=(h, (N, T, H)),
            h0=(h0, (N, H)),
            W_xh=(W_xh, (H, D)),
            W_hh=(W_hh, (H, H)),
        )
    dtype = np.result_type(dh, x, h0, h, W_xh, W_hh)
    # h_0 .. h_{T-1}, time-major, for dW_hh in step 3 (built first: step 3 then finds da, the
    # array the loop has just written, still in cache)
    h_prev_all = np.empty((T, N, H), dtype=dtype)
    h_prev_all[0] = h0
    h_prev_all[1:] = h[:, :-1].transpose(1, 0, 2)
    # 1. The local derivatives of all steps at once: tanh'(a_t) = 1 - h_t**2
    #    (rnn_step_backward: da_t = dh_t * (1 - h_t**2)). Time-major, (T, N, H).
    da = np.empty((T, N, H), dtype=dtype)  # holds 1 - h_t**2; becomes dL/da_t in step 2
    h_tm = h.transpose(1, 0, 2)  # a view
    np.multiply(h_tm, h_tm, out=da)
    np.subtract(1.0, da, out=da)
    # 2. The chain through time, t = T..1 (rnn_step_backward: da_t, then dh_prev = da_t @ W_hh)
    dh_tm = dh.transpose(1, 0, 2)  # a view
    dh_next = np.zeros((N, H), dtype=dtype)  # dL/dh_t arriving from step t+1
    for t in range(T - 1, -1, -1):
        da_t = da[t]  # (N, H): 1 - h_t**2 becomes (dh_t + dh_next) * (1 - h_t**2)
        da_t *= dh_tm[t] + dh_next
        np.matmul(da_t, W_hh, out=dh_next)
    # 3. dx and the weight gradients, the sums over t, as single products after the loop
    #    (rnn_step_backward: dx_t = da_t @ W_xh, dW_xh += da_t.T @ x_t, dW_hh += da_t.T @ h_prev)
    da2 = da.reshape(T * N, H)
    dx = np.ascontiguousarray((da2 @ W_xh).reshape(T, N, D).transpose(1, 0, 2))
    dW_xh = da2.T @ x.transpose(1, 0, 2).reshape(T * N, D)
    dW_hh = da2.T @ h_prev_all.reshape(T * N, H)
    db_h = da2.sum(axis=0)
    return dx, dh_next, dW_xh, dW_hh, db_h


def init_rnn(
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch's initialisation (``rnncourse.initialization``): the weights uniform in
    [-1/sqrt(H), 1/sqrt(H)]; the one bias ``b_h`` is PyTorch's b_ih + b_hh, the sum of two
    such draws, so it is distributed as the bias ``torch.nn.RNN`` adds.

    Returns:
        (W_xh (H, D), W_hh (H, H), b_h (H,))

    >>> [a.shape for a in init_rnn(3, 4, np.random.default_rng(0))]
    [(4, 3), (4, 4), (4,)]
    """
    W_xh = uniform_init(rng, (H, D), H)
    W_hh = uniform_init(rng, (H, H), H)
    b_h = summed_bias(rng, H, H)  # b_ih + b_hh
    return W_xh.astype(dtype), W_hh.astype(dtype), b_h.astype(dtype)
