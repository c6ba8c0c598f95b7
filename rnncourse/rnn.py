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

from rnncourse.initialization import summed_bias, uniform_init

__all__ = [
    "init_rnn",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
]


def _tanh_into(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = tanh(a), computed as 2 / (1 + exp(-2a)) - 1 for speed in the sequence functions.

    The same function (to a few units in the last place); numpy's exp is several times faster
    than its tanh in float64. Tiny arrays use np.tanh: one call is cheaper than five there.
    Callers silence overflow: exp(-2a) = inf for a << 0 gives exactly -1.
    """
    if a.size <= 256:
        return np.tanh(a, out=out)
    np.multiply(a, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0
    return out


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
    is computed from exp (``_tanh_into``: the same function, faster in numpy).

    Args:
        x: inputs, (N, T, D).
        h0: initial hidden state, (N, H).
        W_xh (H, D), W_hh (H, H), b_h (H,): the parameters, shared by every step.

    Returns:
        h: hidden states h_1 ... h_T, (N, T, H).

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
    """
    N, T, D = x.shape
    H = W_hh.shape[0]
    dtype = np.result_type(x, h0, W_xh, W_hh, b_h)
    # Time-major inside, (T, N, ...): each step reads and writes one contiguous block.
    x_tm = x.transpose(1, 0, 2).reshape(T * N, D)
    xw = (x_tm @ W_xh.T).reshape(T, N, H)  # input projections of all steps at once
    xw += b_h
    h = np.empty((T, N, H), dtype=dtype)
    W_hh_T = W_hh.T
    h_prev = h0
    with np.errstate(over="ignore"):  # in _tanh_into: exp overflow -> inf -> exactly -1
        for t in range(T):
            h_t = h[t]  # write the new state in place
            np.matmul(h_prev, W_hh_T, out=h_t)
            h_t += xw[t]
            _tanh_into(h_t, h_t)
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
    """
    N, T, H = h.shape
    D = x.shape[2]
    dtype = np.result_type(dh, x, h0, h, W_xh, W_hh)
    # Time-major inside, (T, N, ...): each step's slice is one contiguous block.
    h_prev_all = np.empty((T, N, H), dtype=dtype)  # h_0 .. h_{T-1}
    h_prev_all[0] = h0
    h_prev_all[1:] = h[:, :-1].transpose(1, 0, 2)
    # tanh'(a_t) = 1 - h_t**2 for all steps at once, before the loop
    da = np.empty((T, N, H), dtype=dtype)  # holds 1 - h_t**2, becomes dL/da_t in the loop
    h_tm = h.transpose(1, 0, 2)  # a view
    np.multiply(h_tm, h_tm, out=da)
    np.subtract(1.0, da, out=da)
    dh_tm = dh.transpose(1, 0, 2)  # a view
    dh_next = np.zeros((N, H), dtype=dtype)
    for t in range(T - 1, -1, -1):
        da_t = da[t]  # holds 1 - h_t**2; overwritten by da_t = (dh_t + dh_next) * (1 - h_t**2)
        da_t *= dh_tm[t] + dh_next
        np.matmul(da_t, W_hh, out=dh_next)
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
