"""The one catalogue of learner-style answers to every graded function, wrong and right.

``MUTANTS``: (exercise, mistake name, wrong implementation, text the report must contain),
registered with ``@mutant``. The specs in ``rnncourse/grading/exercises/`` diagnose mistakes by
running their own compact versions; these are independent, learner-style versions (loops, other
expressions), so the tests show that the diagnosis recognises the mistake, not one particular
way of writing it.

``CORRECT``: (exercise, name, implementation) registered with ``@correct``: other correct ways
of writing the function, which must pass the visible and the hidden cases.

``tests/test_grading_mutants.py`` runs every entry and checks that every graded function
(``rnncourse.grading.exercise_names()``) has both. Sections follow the lessons.
"""

from __future__ import annotations

import numpy as np

MUTANTS: list[tuple[str, str, object, str]] = []
CORRECT: list[tuple[str, str, object]] = []


def mutant(exercise: str, name: str, hint: str):
    def register(fn):
        MUTANTS.append((exercise, name, fn, hint))
        return fn

    return register


def correct(exercise: str, name: str):
    def register(fn):
        CORRECT.append((exercise, name, fn))
        return fn

    return register


# ---------------------------------------------------------------- rnn_step_forward
@mutant("rnn_step_forward", "missing tanh", "apply the nonlinearity")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h


@mutant("rnn_step_forward", "sigmoid instead of tanh", "sigmoid(a_t)")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    a = x_t @ W_xh.T + h_prev @ W_hh.T + b_h
    return 1 / (1 + np.exp(-a))


@mutant("rnn_step_forward", "W_hh not transposed", "h_prev @ W_hh.T")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(np.dot(x_t, W_xh.T) + np.dot(h_prev, W_hh) + b_h)


@mutant("rnn_step_forward", "W_xh not transposed (shape error)", "Did you mean `x_t @ W_xh.T`")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)


@mutant("rnn_step_forward", "W_xh used for the recurrent term", "`h_prev @ W_hh.T`")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_xh.T + b_h)


@mutant("rnn_step_forward", "bias added twice", "added twice")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    a_x = x_t @ W_xh.T + b_h
    a_h = h_prev @ W_hh.T + b_h
    return np.tanh(a_x + a_h)


@mutant("rnn_step_forward", "bias forgotten", "b_h is missing")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)


@mutant("rnn_step_forward", "h_prev ignored", "does not depend on h_prev")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + b_h)


@mutant(
    "rnn_step_forward", "weights multiplied on the left (shape error)", "input goes on the left"
)
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_xh @ x_t + W_hh @ h_prev + b_h)


@mutant("rnn_step_forward", "modifies h_prev in place", "modified its input `h_prev`")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    h_prev[...] = np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
    return h_prev


@mutant("rnn_step_forward", "returns a list", "return a numpy array")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).tolist()


@mutant("rnn_step_forward", "always float32", "expected float64")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).astype(np.float32)


@mutant("rnn_step_forward", "rounded to 2 decimals", "entries differ")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.round(np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), 2)


@mutant("rnn_step_forward", "forgot to return", "did you forget the `return` line?")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    h_t = np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)  # noqa: F841


@mutant("rnn_backward", "forgot to return", "did you forget the `return` line?")
def _(dh, x, h0, h, W_xh, W_hh):
    pass


@mutant("rnn_step_forward", "not implemented", "not implemented yet")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    raise NotImplementedError()


@mutant("rnn_step_forward", "NaN", "NaN or infinity")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.full((x_t.shape[0], W_hh.shape[0]), np.nan)


class _EqualsEverything(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


@mutant("rnn_step_forward", "an array subclass that equals everything", "entries differ")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.zeros((x_t.shape[0], W_hh.shape[0])).view(_EqualsEverything)


class _Cheat:
    shape = (0,)

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(1)


@mutant("rnn_step_forward", "an object that equals everything", "return a numpy array")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return _Cheat()


# ---------------------------------------------------------------- rnn_forward
def _step(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


@mutant(
    "rnn_forward", "hidden state not carried between steps", "is h_prev carried to the next step"
)
def _(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    h = np.zeros((N, T, W_hh.shape[0]))
    for t in range(T):
        h[:, t, :] = _step(x[:, t, :], h0, W_xh, W_hh, b_h)
    return h


@mutant("rnn_forward", "off by one: stores h_prev", "off by one in time")
def _(x, h0, W_xh, W_hh, b_h):
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        hs.append(h_prev)
        h_prev = _step(x[:, t], h_prev, W_xh, W_hh, b_h)
    return np.stack(hs, axis=1)


@mutant("rnn_forward", "x[t] instead of x[:, t]", "x[:, t]")
def _(x, h0, W_xh, W_hh, b_h):
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = _step(x[t], h_prev, W_xh, W_hh, b_h)
        hs.append(h_prev)
    return np.stack(hs, axis=1)


@mutant("rnn_forward", "stacked along axis 0", "np.stack(hs, axis=1)")
def _(x, h0, W_xh, W_hh, b_h):
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = _step(x[:, t], h_prev, W_xh, W_hh, b_h)
        hs.append(h_prev)
    return np.array(hs)


@mutant("rnn_forward", "h0 included", "without h0")
def _(x, h0, W_xh, W_hh, b_h):
    hs = [h0]
    for t in range(x.shape[1]):
        hs.append(_step(x[:, t], hs[-1], W_xh, W_hh, b_h))
    return np.stack(hs, axis=1)


@mutant("rnn_forward", "last state only", "only the last hidden state")
def _(x, h0, W_xh, W_hh, b_h):
    h = h0
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, W_xh, W_hh, b_h)
    return h


@mutant("rnn_forward", "missing tanh at every step", "apply the nonlinearity")
def _(x, h0, W_xh, W_hh, b_h):
    h, out = h0, []
    for t in range(x.shape[1]):
        h = x[:, t] @ W_xh.T + h @ W_hh.T + b_h
        out.append(h)
    return np.stack(out, 1)


@mutant("rnn_forward", "integer array for the states", "dtype int64")
def _(x, h0, W_xh, W_hh, b_h):
    N, T, _ = x.shape
    h = np.zeros((N, T, W_hh.shape[0]), dtype=np.int64)
    h_prev = h0
    for t in range(T):
        h_prev = _step(x[:, t], h_prev, W_xh, W_hh, b_h)
        h[:, t] = h_prev
    return h


# ---------------------------------------------------------------- output_forward (lesson 3)
@mutant("output_forward", "W_hy not transposed", "h @ W_hy.T")
def _(h, W_hy, b_y):
    return h @ W_hy + b_y


@mutant("output_forward", "column form W_hy @ h", "h @ W_hy.T")
def _(h, W_hy, b_y):
    return W_hy @ h + b_y


@mutant("output_forward", "bias missing", "bias is missing")
def _(h, W_hy, b_y):
    y = np.einsum("...h,kh->...k", h, W_hy)
    return y


@mutant("output_forward", "softmax applied", "softmax belongs to the loss")
def _(h, W_hy, b_y):
    z = h @ W_hy.T + b_y
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@mutant("output_forward", "tanh applied", "the output layer is linear")
def _(h, W_hy, b_y):
    return np.tanh(np.dot(h, W_hy.T) + b_y)


@mutant("output_forward", "last step only", "every step's output")
def _(h, W_hy, b_y):
    if h.ndim == 3:
        h = h[:, h.shape[1] - 1, :]
    return h @ W_hy.T + b_y


@mutant("output_forward", "returns a list", "numpy array")
def _(h, W_hy, b_y):
    return (h @ W_hy.T + b_y).tolist()


# ---------------------------------------------------------------- rnn_forward_masked (lesson 4)
def masked(kind="right"):
    """A learner's masked forward loop; ``kind`` names the mistake ("right": none)."""

    def rnn_forward_masked(x, mask, h0, W_xh, W_hh, b_h):
        N, T, D = x.shape
        h = np.zeros((N, T, W_hh.shape[0]), dtype=np.result_type(x, h0))
        h_prev = h0
        for t in range(T):
            h_new = np.tanh(x[:, t] @ W_xh.T + h_prev @ W_hh.T + b_h)
            if kind == "no mask":
                h[:, t] = h_new
            elif kind == "zeros":
                h[:, t] = h_new * mask[:, t][:, None]
            elif kind == "h0":
                keep = mask[:, t].reshape(N, 1)
                h[:, t] = keep * h_new + (1.0 - keep) * h0
            elif kind == "no broadcast":
                h[:, t] = mask[:, t] * h_new + (1 - mask[:, t]) * h_prev
            elif kind == "shift" and t > 0:
                h[:, t] = np.where(mask[:, t - 1, None] > 0, h_new, h_prev)
            elif kind == "continue":
                h[:, t] = np.where(mask[:, t, None] > 0, h_new, h_prev)
                h_prev = h_new
                continue
            elif kind == "where":
                h[:, t] = np.where(mask[:, t, None] > 0.5, h_new, h_prev)
            else:
                m = mask[:, t, None]
                h[:, t] = m * h_new + (1 - m) * h_prev
            h_prev = h[:, t]
        return h

    return rnn_forward_masked


for _kind, _name, _hint in [
    ("no mask", "mask ignored", "the mask is ignored"),
    ("zeros", "padded steps set to zero", "padded steps are 0"),
    ("h0", "padding falls back to h0", "not the initial one"),
    ("no broadcast", "mask without a broadcast axis", "mask[:, t, None]"),
    ("shift", "mask read one step late", "one step off"),
    ("continue", "recurrence continues through padding", "start from the carried state"),
]:
    mutant("rnn_forward_masked", _name, _hint)(masked(_kind))


# ---------------------------------------------------------------- rnn_step_backward
def _step_grads(da, x_t, h_in, W_xh, W_hh):
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_in, da.sum(axis=0)


@mutant("rnn_step_backward", "tanh' as 1 - tanh(h_t)^2", "tanh is applied twice")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - np.tanh(h_t) ** 2)
    return _step_grads(da, x_t, h_prev, W_xh, W_hh)


@mutant("rnn_step_backward", "no tanh'", "the gradient skips the tanh")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    return _step_grads(dh_t, x_t, h_prev, W_xh, W_hh)


@mutant("rnn_step_backward", "dh_prev with W_hh.T", "dh_prev uses W_hh.T")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t * h_t)
    dx, _, dWx, dWh, db = _step_grads(da, x_t, h_prev, W_xh, W_hh)
    return dx, da @ W_hh.T, dWx, dWh, db


@mutant("rnn_step_backward", "dW_hh uses h_t (off by one)", "off by one")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    return _step_grads(da, x_t, h_t, W_xh, W_hh)


@mutant("rnn_step_backward", "dW_xh transposed", "dW_xh is transposed")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    dx, dh, _, dWh, db = _step_grads(da, x_t, h_prev, W_xh, W_hh)
    return dx, dh, x_t.T @ da, dWh, db


@mutant("rnn_step_backward", "db_h not summed over the batch", "sum da_t over the batch")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    dx, dh, dWx, dWh, _ = _step_grads(da, x_t, h_prev, W_xh, W_hh)
    return dx, dh, dWx, dWh, da


@mutant("rnn_step_backward", "dx_t with W_xh.T (shape error)", "without .T")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    return da @ W_xh.T, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(0)


@mutant(
    "rnn_step_backward", "only db_h wrong (two mistakes elsewhere absent)", "only db_h is wrong"
)
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    dx, dh, dWx, dWh, db = _step_grads(da, x_t, h_prev, W_xh, W_hh)
    return dx, dh, dWx, dWh, db + 0.1


@mutant("rnn_step_backward", "returns a list of four", "tuple (dx_t, dh_prev, dW_xh, dW_hh, db_h)")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    return list(_step_grads(da, x_t, h_prev, W_xh, W_hh))[:4]


@mutant("rnn_step_backward", "tanh' as 1 - h_t (no square)", "the square is missing")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@mutant("rnn_step_backward", "tanh' taken at h_prev", "h_prev")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_prev**2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


# ---------------------------------------------------------------- rnn_backward
def _bptt(
    dh,
    x,
    h0,
    h,
    W_xh,
    W_hh,
    *,
    recurrent=True,
    accumulate=True,
    tanh_twice=False,
    h_t_as_prev=False,
):
    N, T, H = h.shape
    dx = np.zeros(x.shape)
    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        h_t = h[:, t]
        h_prev = h[:, t - 1] if t > 0 else h0
        if h_t_as_prev:
            h_prev = h_t
        dh_total = dh[:, t] + dh_next if recurrent else dh[:, t]
        deriv = 1 - np.tanh(h_t) ** 2 if tanh_twice else 1 - h_t**2
        da = dh_total * deriv
        dx[:, t] = da @ W_xh
        if accumulate:
            dW_xh += da.T @ x[:, t]
            dW_hh += da.T @ h_prev
            db_h += da.sum(axis=0)
        else:
            dW_xh = da.T @ x[:, t]
            dW_hh = da.T @ h_prev
            db_h = da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@mutant("rnn_backward", "recurrent path dropped", "right at the last step only")
def _(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, recurrent=False)


@mutant(
    "rnn_backward",
    "gradients overwritten instead of accumulated",
    "accumulate their gradients over time",
)
def _(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, accumulate=False)


@mutant("rnn_backward", "tanh' as 1 - tanh(h)^2", "tanh is applied twice")
def _(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, tanh_twice=True)


@mutant("rnn_backward", "off by one: h_t where h_prev belongs", "off by one in time")
def _(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, h_t_as_prev=True)


@mutant("rnn_backward", "loop runs forward in time", "walks backwards")
def _(dh, x, h0, h, W_xh, W_hh):
    N, T, H = h.shape
    dx, dW_xh, dW_hh, db_h = (
        np.zeros(x.shape),
        np.zeros(W_xh.shape),
        np.zeros(W_hh.shape),
        np.zeros(H),
    )
    dh_next = np.zeros((N, H))
    for t in range(T):
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ W_xh
        dW_xh += da.T @ x[:, t]
        dW_hh += da.T @ (h[:, t - 1] if t else h0)
        db_h += da.sum(0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@mutant("rnn_backward", "x[t] indexing (shape error)", "not x[t]")
def _(dh, x, h0, h, W_xh, W_hh):
    N, T, H = h.shape
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        _ = da.T @ x[t]
        dh_next = da @ W_hh
    raise AssertionError("unreachable: the shapes above never fit")


def _bptt_loop(dh, x, h0, h, W_xh, W_hh, *, step):
    """A learner's BPTT loop; ``step`` computes one step's gradients (the part that varies)."""
    N, T, H = h.shape
    dx = np.zeros_like(x)
    grads = {"W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros(H)}
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        dx[:, t], dh_next = step(dh[:, t], dh_next, x[:, t], h_prev, h[:, t], W_xh, W_hh, grads)
    return dx, dh_next, grads["W_xh"], grads["W_hh"], grads["b_h"]


@mutant("rnn_backward", "gradients overwritten with =", "accumulate their gradients over time")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_t**2)
        g["W_xh"] = da.T @ x_t  # = where += belongs
        g["W_hh"] = da.T @ h_prev
        g["b_h"] = da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "recurrent path dropped (dh_next computed, never used)", "step t+1")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = dh_t * (1 - h_t * h_t)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "tanh' taken at h_prev", "off by one in time")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_prev**2)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "tanh' of h_t taken again", "tanh is applied twice")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - np.tanh(h_t) ** 2)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "dh_next added after the tanh'", "add it to dh[:, t] first")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = dh_t * (1 - h_t**2) + dh_next
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


@mutant("rnn_backward", "recurrence through W_hh.T", "dh_prev = da_t @ W_hh")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_t**2)
        g["W_xh"] += da.T @ x_t
        g["W_hh"] += da.T @ h_prev
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh.T

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


# ---------------------------------------------------------------- softmax_cross_entropy
@mutant("softmax_cross_entropy", "softmax without max-subtraction", "Subtract each row's maximum")
def _(logits, targets):
    K = logits.shape[-1]
    flat, t = logits.reshape(-1, K), targets.reshape(-1)
    M = t.size
    p = np.exp(flat) / np.sum(np.exp(flat), axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(M), t]))
    d = p.copy()
    d[np.arange(M), t] -= 1
    return loss, (d / M).reshape(logits.shape)


@mutant("softmax_cross_entropy", "log of a stable softmax", "log-softmax")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(logits.shape[-1])[targets]
    loss = -np.sum(onehot * np.log(p)) / targets.size
    return loss, (p - onehot) / targets.size


@mutant("softmax_cross_entropy", "sum instead of mean", "mean over all positions")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]
    return -np.sum(onehot * logp), np.exp(logp) - onehot


@mutant("softmax_cross_entropy", "divides by N, not N*T", "all N·T positions")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]
    N = logits.shape[0]
    return -np.sum(onehot * logp) / N, (np.exp(logp) - onehot) / N


@mutant("softmax_cross_entropy", "dlogits missing the 1/M", "divided by M too")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]
    return -np.mean(np.sum(onehot * logp, axis=-1)), np.exp(logp) - onehot


@mutant("softmax_cross_entropy", "sign of dlogits flipped", "wrong sign")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]
    return -np.mean(np.sum(onehot * logp, axis=-1)), (onehot - np.exp(logp)) / targets.size


@mutant("softmax_cross_entropy", "loss as an array", "must be one number")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]
    return -np.sum(onehot * logp, axis=-1), (np.exp(logp) - onehot) / targets.size


# ---------------------------------------------------------------- clip_grad_norm
def _global(grads):
    return np.sqrt(sum((g**2).sum() for g in grads.values()))


@mutant("clip_grad_norm", "clipping per element", "clipped separately")
def _(grads, max_norm):
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, float(_global(grads))


@mutant("clip_grad_norm", "clipping each array by its own norm", "one global norm")
def _(grads, max_norm):
    out = {}
    for k, g in grads.items():
        n = np.linalg.norm(g)
        out[k] = g * max_norm / n if n > max_norm else g.copy()
    return out, float(_global(grads))


@mutant("clip_grad_norm", "clipping that mutates its input", "modified its input `grads[")
def _(grads, max_norm):
    total = _global(grads)
    if total > max_norm:
        for g in grads.values():
            g *= max_norm / (total + 1e-6)
    return grads, float(total)


@mutant("clip_grad_norm", "scales up small gradients", "never scales up")
def _(grads, max_norm):
    total = _global(grads)
    return {k: g * (max_norm / (total + 1e-6)) for k, g in grads.items()}, float(total)


@mutant("clip_grad_norm", "eps far too large", "keep it tiny")
def _(grads, max_norm):
    total = _global(grads)
    scale = min(1.0, max_norm / (total + 1e-2))
    return {k: g * scale for k, g in grads.items()}, float(total)


@mutant("clip_grad_norm", "no eps: divides by zero", "total_norm can be 0")
def _(grads, max_norm):
    total = float(_global(grads))  # a Python float: dividing by 0.0 raises
    return {k: g * min(1.0, max_norm / total) for k, g in grads.items()}, total


@mutant("clip_grad_norm", "norm without the square root", "square root")
def _(grads, max_norm):
    total = sum((g**2).sum() for g in grads.values())
    return {k: g * min(1.0, max_norm / (total + 1e-6)) for k, g in grads.items()}, float(total)


@mutant("clip_grad_norm", "returns the norm after clipping", "before clipping")
def _(grads, max_norm):
    total = _global(grads)
    clipped = {k: g * min(1.0, max_norm / (total + 1e-6)) for k, g in grads.items()}
    return clipped, float(_global(clipped))


@mutant("clip_grad_norm", "returns a list of arrays", "dict of arrays")
def _(grads, max_norm):
    total = _global(grads)
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads.values()], float(total)


@mutant("clip_grad_norm", "per-element clipping in a loop", "clipped separately")
def _(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    out = {}
    for k, g in grads.items():
        out[k] = np.minimum(np.maximum(g, -max_norm), max_norm)
    return out, float(total)


# ---------------------------------------------------------------- hidden_gradients (lesson 6)
def hg_chain(dh_T, h, W_hh, *, factor, W=None):
    """A learner's backward recurrence; ``factor(h, t)`` is their tanh' (the part that varies)."""
    W = W_hh if W is None else W
    out = [dh_T]
    g = out[0]
    for t in range(h.shape[1] - 1, 0, -1):
        g = (g * factor(h, t)) @ W
        out.append(g)
    return np.stack(out[::-1], axis=1)


@mutant("hidden_gradients", "no tanh'", "skips the tanh")
def _(dh_T, h, W_hh):
    return hg_chain(dh_T, h, W_hh, factor=lambda h, t: 1.0)


@mutant("hidden_gradients", "W_hh.T", "uses W_hh.T")
def _(dh_T, h, W_hh):
    return hg_chain(dh_T, h, W_hh, factor=lambda h, t: 1 - h[:, t] ** 2, W=W_hh.T)


@mutant("hidden_gradients", "tanh' at h[:, t-1] (off by one)", "off by one in time")
def _(dh_T, h, W_hh):
    return hg_chain(dh_T, h, W_hh, factor=lambda h, t: 1 - h[:, t - 1] ** 2)


@mutant("hidden_gradients", "1 - tanh(h)^2", "h is already tanh(a)")
def _(dh_T, h, W_hh):
    return hg_chain(dh_T, h, W_hh, factor=lambda h, t: 1 - np.tanh(h[:, t]) ** 2)


@mutant("hidden_gradients", "list appended, never reversed", "reverse order")
def _(dh_T, h, W_hh):
    g, out = dh_T, [dh_T]
    for t in range(h.shape[1] - 1, 0, -1):
        g = (g * (1 - h[:, t] ** 2)) @ W_hh
        out.append(g)
    return np.stack(out, axis=1)


@mutant("hidden_gradients", "every step starts again from dh_T", "not from dh_T again")
def _(dh_T, h, W_hh):
    N, T, H = h.shape
    dh = np.zeros((N, T, H))
    dh[:, -1] = dh_T
    for t in range(T - 1, 0, -1):
        dh[:, t - 1] = (dh_T * (1 - h[:, t] ** 2)) @ W_hh
    return dh


@mutant("hidden_gradients", "returns the norms only", "shape")
def _(dh_T, h, W_hh):
    return np.linalg.norm(hg_chain(dh_T, h, W_hh, factor=lambda h, t: 1 - h[:, t] ** 2), axis=2)


# ================================================================ correct alternatives
@correct("rnn_step_forward", "einsum")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(np.einsum("nd,hd->nh", x_t, W_xh) + np.einsum("nk,hk->nh", h_prev, W_hh) + b_h)


@correct("rnn_step_forward", "concatenated weights")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(np.concatenate([x_t, h_prev], 1) @ np.concatenate([W_xh, W_hh], 1).T + b_h)


@correct("rnn_step_forward", "explicit loops")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    N, D = x_t.shape
    H = W_hh.shape[0]
    h_t = np.zeros((N, H), dtype=x_t.dtype)
    for n in range(N):
        for i in range(H):
            a = b_h[i]
            for j in range(D):
                a += W_xh[i, j] * x_t[n, j]
            for j in range(H):
                a += W_hh[i, j] * h_prev[n, j]
            h_t[n, i] = np.tanh(a)
    return h_t


@correct("rnn_step_forward", "always float64 (accepted for float32 inputs)")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    a = x_t.astype(np.float64) @ W_xh.T.astype(np.float64) + h_prev @ W_hh.T + b_h
    return np.tanh(a).astype(np.float64)


@correct("rnn_step_forward", "ndarray subclass with honest values")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return np.asmatrix(np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h))


@correct("rnn_forward", "loop over a step, preallocated output like x")
def _(x, h0, W_xh, W_hh, b_h):
    N, T, _ = x.shape
    h = np.empty((N, T, W_hh.shape[0]), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        h_prev = _step(x[:, t], h_prev, W_xh, W_hh, b_h)
        h[:, t] = h_prev
    return h


@correct("rnn_forward", "list and stack, einsum")
def _(x, h0, W_xh, W_hh, b_h):
    xw = np.einsum("ntd,hd->nth", x, W_xh)
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = np.tanh(xw[:, t] + h_prev @ W_hh.T + b_h)
        hs.append(h_prev)
    return np.stack(hs, axis=1)


@correct("rnn_step_backward", "step by step")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t**2)
    return _step_grads(da, x_t, h_prev, W_xh, W_hh)


@correct("rnn_step_backward", "einsum")
def _(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t) * (1 + h_t)
    return (
        np.einsum("nh,hd->nd", da, W_xh),
        np.einsum("nh,hk->nk", da, W_hh),
        np.einsum("nh,nd->hd", da, x_t),
        np.einsum("nh,nk->hk", da, h_prev),
        np.einsum("nh->h", da),
    )


@correct("rnn_backward", "loop with += (float64 accumulators)")
def _(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh)


@correct("rnn_backward", "loop calling a step backward, dtype of the inputs")
def _(dh, x, h0, h, W_xh, W_hh):
    N, T, H = h.shape
    dx = np.zeros_like(x)
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H, dtype=W_hh.dtype)
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        gx, dh_next, gWx, gWh, gb = _step_grads(da, x[:, t], h_prev, W_xh, W_hh)
        dx[:, t] = gx
        dW_xh += gWx
        dW_hh += gWh
        db_h += gb
    return dx, dh_next, dW_xh, dW_hh, db_h


@correct("softmax_cross_entropy", "log-sum-exp with one-hot")
def _(logits, targets):
    m = logits.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))
    logp = logits - lse
    onehot = np.eye(logits.shape[-1], dtype=logits.dtype)[targets]
    M = targets.size
    return float(-(onehot * logp).sum() / M), (np.exp(logp) - onehot) / M


@correct("softmax_cross_entropy", "loss as a numpy scalar / 0-d array")
def _(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    flat = targets.reshape(-1)
    M = flat.size
    idx = (np.arange(M), flat)
    loss = -logp.reshape(M, -1)[idx].mean()
    d = p.reshape(M, -1).copy()
    d[idx] -= 1
    return np.asarray(loss), (d / M).reshape(logits.shape)


@correct("clip_grad_norm", "PyTorch's eps 1e-6")
def _(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    coef = min(1.0, max_norm / (total + 1e-6))
    return {k: g * coef for k, g in grads.items()}, total


@correct("clip_grad_norm", "no eps but a guard, copies when not clipping")
def _(grads, max_norm):
    total = float(np.sqrt(sum(np.vdot(g, g) for g in grads.values())))
    if total <= max_norm:
        return {k: g.copy() for k, g in grads.items()}, total
    return {k: g * (max_norm / total) for k, g in grads.items()}, total


@correct("rnn_backward", "step-by-step with += and einsum")
def _(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh, g):
        da = (dh_t + dh_next) * (1 - h_t**2)
        g["W_xh"] += np.einsum("nh,nd->hd", da, x_t)
        g["W_hh"] += np.einsum("nh,nk->hk", da, h_prev)
        g["b_h"] += da.sum(axis=0)
        return da @ W_xh, da @ W_hh

    return _bptt_loop(dh, x, h0, h, W_xh, W_hh, step=step)


@correct("output_forward", "one position at a time")
def _(h, W_hy, b_y):
    flat = h.reshape(-1, h.shape[-1])
    y = np.stack([W_hy @ row + b_y for row in flat])
    return y.reshape(*h.shape[:-1], W_hy.shape[0])


@correct("output_forward", "einsum")
def _(h, W_hy, b_y):
    return np.einsum("...h,kh->...k", h, W_hy) + b_y


correct("rnn_forward_masked", "blend with the mask")(masked())
correct("rnn_forward_masked", "np.where on the mask")(masked("where"))


@correct("rnn_forward_masked", "each sequence alone, for its length")
def _(x, mask, h0, W_xh, W_hh, b_h):
    from rnncourse.rnn import rnn_forward

    N, T, _ = x.shape
    out = np.empty((N, T, W_hh.shape[0]), dtype=np.result_type(x, h0))
    for n in range(N):
        L = int(mask[n].sum())
        hn = rnn_forward(x[n : n + 1, :L], h0[n : n + 1], W_xh, W_hh, b_h)[0]
        out[n, :L] = hn
        out[n, L:] = hn[-1]
    return out


@correct("clip_grad_norm", "explicit loop over arrays, float scale")
def _(grads, max_norm):
    total = 0.0
    for g in grads.values():
        total += float(np.sum(g.astype(np.float64) ** 2))
    total = total**0.5
    scale = min(1.0, max_norm / (total + 1e-6))
    return {k: g * scale for k, g in grads.items()}, total


@correct("hidden_gradients", "explicit Jacobian matrices per example")
def _(dh_T, h, W_hh):
    N, T, H = h.shape
    dh = np.zeros((N, T, H), dtype=np.result_type(dh_T, h, W_hh))
    dh[:, T - 1] = dh_T
    for n in range(N):
        for t in range(T - 1, 0, -1):
            J = np.diag(1 - h[n, t] ** 2) @ W_hh  # dh_t/dh_{t-1}, column form
            dh[n, t - 1] = J.T @ dh[n, t]
    return dh


@correct("hidden_gradients", "preallocated like h, float32 stays float32")
def _(dh_T, h, W_hh):
    dh = np.empty_like(h)
    dh[:, -1] = dh_T
    for t in range(h.shape[1] - 1, 0, -1):
        dh[:, t - 1] = (dh[:, t] * (1 - h[:, t] ** 2)) @ W_hh
    return dh


# ---------------------------------------------------------------- LSTM / GRU (gates)
def _sig(a):
    return 1 / (1 + np.exp(-a))


def _lstm_gates(x_t, h_prev, W_ih, W_hh, b):
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + h_prev @ W_hh.T + b
    return a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]


@mutant(
    "lstm_step_forward", "gate order i, f, o, g (Keras-style)", "PyTorch stacks them i, f, g, o"
)
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    a_i, a_f, a_o, a_g = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(a_f) * c_prev + _sig(a_i) * np.tanh(a_g)
    return _sig(a_o) * np.tanh(c_t), c_t


@mutant("lstm_step_forward", "sigmoid and tanh swapped on the candidate", "uses tanh")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    a_i, a_f, a_g, a_o = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(a_f) * c_prev + _sig(a_i) * _sig(a_g)
    return _sig(a_o) * np.tanh(c_t), c_t


@mutant(
    "lstm_step_forward", "forget gate applied to the input", "forget and input gates are mixed up"
)
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(f) * np.tanh(g) + _sig(i) * c_prev
    return _sig(o) * np.tanh(c_t), c_t


@mutant("lstm_step_forward", "i and f blocks swapped", "forget and input gates are mixed up")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    f, i, g, o = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(f) * c_prev + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c_t), c_t


@mutant("lstm_step_forward", "h_t = o_t * c_t", "h_t = o_t * tanh(c_t)")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(f) * c_prev + _sig(i) * np.tanh(g)
    return _sig(o) * c_t, c_t


@mutant("lstm_step_forward", "returns (c_t, h_t)", "return (h_t, c_t)")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(f) * c_prev + _sig(i) * np.tanh(g)
    return c_t, _sig(o) * np.tanh(c_t)


@mutant(
    "lstm_step_backward",
    "the path from h_t into c_t dropped",
    "through h_t = o_t * tanh(c_t) is missing",
)
def _(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (
        _sig(a) if k != 2 else np.tanh(a)
        for k, a in enumerate(_lstm_gates(x_t, h_prev, W_ih, W_hh, b))
    )
    c = f * c_prev + i * g
    dc = dc_t
    da = np.hstack(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            dh_t * np.tanh(c) * o * (1 - o),
        ]
    )
    return da @ W_ih, da @ W_hh, dc * f, da.T @ x_t, da.T @ h_prev, da.sum(0)


@mutant("lstm_step_backward", "tanh' of the cell as 1 - c_t^2", "c_t is not a tanh output")
def _(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (
        _sig(a) if k != 2 else np.tanh(a)
        for k, a in enumerate(_lstm_gates(x_t, h_prev, W_ih, W_hh, b))
    )
    c = f * c_prev + i * g
    dc = dc_t + dh_t * o * (1 - c**2)
    da = np.hstack(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            dh_t * np.tanh(c) * o * (1 - o),
        ]
    )
    return da @ W_ih, da @ W_hh, dc * f, da.T @ x_t, da.T @ h_prev, da.sum(0)


@mutant("lstm_step_backward", "dc_prev without the forget gate", "dc_prev = dc * f_t")
def _(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (
        _sig(a) if k != 2 else np.tanh(a)
        for k, a in enumerate(_lstm_gates(x_t, h_prev, W_ih, W_hh, b))
    )
    c = f * c_prev + i * g
    dc = dc_t + dh_t * o * (1 - np.tanh(c) ** 2)
    da = np.hstack(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            dh_t * np.tanh(c) * o * (1 - o),
        ]
    )
    return da @ W_ih, da @ W_hh, dc, da.T @ x_t, da.T @ h_prev, da.sum(0)


def _gru_parts(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    ax = x_t @ W_ih.T + b_ih
    ah = h_prev @ W_hh.T + b_hh
    return [ax[:, k * H : (k + 1) * H] for k in range(3)], [
        ah[:, k * H : (k + 1) * H] for k in range(3)
    ]


@mutant("gru_step_forward", "z and 1 - z swapped", "z_t and 1 - z_t are swapped")
def _(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    (xr, xz, xn), (hr, hz, hn) = _gru_parts(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    r, z = _sig(xr + hr), _sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return z * n + (1 - z) * h_prev


@mutant("gru_step_forward", "reset gate before the matmul (Cho et al.)", "Cho et al.")
def _(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    (xr, xz, xn), (hr, hz, _) = _gru_parts(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    r, z = _sig(xr + hr), _sig(xz + hz)
    n = np.tanh(xn + (r * h_prev) @ W_hh[2 * H :].T + b_hh[2 * H :])
    return (1 - z) * n + z * h_prev


@mutant("gru_step_forward", "sigmoid and tanh swapped on the candidate", "n_t uses tanh")
def _(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    (xr, xz, xn), (hr, hz, hn) = _gru_parts(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    r, z = _sig(xr + hr), _sig(xz + hz)
    return (1 - z) * _sig(xn + r * hn) + z * h_prev


@mutant("gru_step_forward", "gates split z, r, n", "r, z, n")
def _(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    (xz, xr, xn), (hz, hr, hn) = _gru_parts(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    r, z = _sig(xr + hr), _sig(xz + hz)
    return (1 - z) * np.tanh(xn + r * hn) + z * h_prev


@correct("lstm_step_forward", "separate weight blocks, float32 stays float32")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    H = h_prev.shape[1]
    blocks = [
        x_t @ W_ih[k * H : (k + 1) * H].T
        + h_prev @ W_hh[k * H : (k + 1) * H].T
        + b[k * H : (k + 1) * H]
        for k in range(4)
    ]
    i, f, o = _sig(blocks[0]), _sig(blocks[1]), _sig(blocks[3])
    c_t = f * c_prev + i * np.tanh(blocks[2])
    return o * np.tanh(c_t), c_t


@correct("lstm_step_backward", "concatenated [x, h] weights")
def _(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b):
    D = x_t.shape[1]
    xh = np.concatenate([x_t, h_prev], axis=1)
    W = np.concatenate([W_ih, W_hh], axis=1)
    H = h_prev.shape[1]
    a = xh @ W.T + b
    i, f, g, o = (
        _sig(a[:, :H]),
        _sig(a[:, H : 2 * H]),
        np.tanh(a[:, 2 * H : 3 * H]),
        _sig(a[:, 3 * H :]),
    )
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc_t + dh_t * o * (1 - tc**2)
    da = np.hstack(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g * g),
            dh_t * tc * o * (1 - o),
        ]
    )
    dxh = da @ W
    dW = da.T @ xh
    return dxh[:, :D], dxh[:, D:], dc * f, dW[:, :D], dW[:, D:], da.sum(0)


@correct("gru_step_forward", "einsum with explicit blocks")
def _(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    Wx = W_ih.reshape(3, H, -1)
    Wh = W_hh.reshape(3, H, H)
    ax = np.einsum("nd,ghd->gnh", x_t, Wx) + b_ih.reshape(3, 1, H)
    ah = np.einsum("nk,ghk->gnh", h_prev, Wh) + b_hh.reshape(3, 1, H)
    r, z = _sig(ax[0] + ah[0]), _sig(ax[1] + ah[1])
    n = np.tanh(ax[2] + r * ah[2])
    return (1 - z) * n + z * h_prev


# ================================================================ blind spots of the cases
# Each of these passes a set of cases that lacks one rule of rnncourse.grading.audit (a square
# layer, a repeat of shapes, an overflow case, a branch, a leading-axes shape, a tight float64
# tolerance) and is rejected, with a message naming its mistake, by the cases that have it.


# ---------------------------------------------------------------- the weight layout from shapes
@mutant("rnn_step_forward", "picks the weight layout from the shapes", "square layer (D = H)")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    Wx = W_xh if W_xh.shape[0] == x_t.shape[1] else W_xh.T  # "(D, H) or (H, D)?"
    return np.tanh(x_t @ Wx + h_prev @ W_hh.T + b_h)


@mutant("output_forward", "picks the weight layout from the shapes", "square layer (K = H)")
def _(h, W_hy, b_y):
    W = W_hy if W_hy.shape[0] == h.shape[-1] else W_hy.T
    return h @ W + b_y


# ---------------------------------------------------------------- cached by shape, state kept
def _caching_by_shape():
    cache = {}

    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        key = (x.shape, W_hh.shape)
        if key not in cache:  # "the same problem again: reuse the answer"
            cache[key] = _forward_loop(x, h0, W_xh, W_hh, b_h)
        return cache[key]

    return rnn_forward


def _keeping_state():
    last = {}

    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        h_prev = last.get(h0.shape, h0)  # "carry the state on from the previous batch"
        hs = []
        for t in range(x.shape[1]):
            h_prev = _step(x[:, t], h_prev, W_xh, W_hh, b_h)
            hs.append(h_prev)
        last[h0.shape] = h_prev
        return np.stack(hs, axis=1)

    return rnn_forward


def _step_cache():
    cache = {}

    def clip_grad_norm(grads, max_norm):
        key = tuple((k, g.shape) for k, g in grads.items())
        if key not in cache:
            total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
            coef = min(1.0, max_norm / (total + 1e-6))
            cache[key] = ({k: g * coef for k, g in grads.items()}, total)
        return cache[key]

    return clip_grad_norm


def _forward_loop(x, h0, W_xh, W_hh, b_h):
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = _step(x[:, t], h_prev, W_xh, W_hh, b_h)
        hs.append(h_prev)
    return np.stack(hs, axis=1)


mutant("rnn_forward", "caches its results by shape", "exactly the result of that earlier call")(
    _caching_by_shape()
)
mutant("rnn_forward", "keeps the last state between calls", "keep state between calls")(
    _keeping_state()
)
mutant("clip_grad_norm", "caches its results by shape", "exactly the result of that earlier call")(
    _step_cache()
)


# ---------------------------------------------------------------- the squared norm compared
@mutant("clip_grad_norm", "compares the squared norm (max_norm > 1)", "compares the squared norm")
def _(grads, max_norm):
    sq = sum(float(np.sum(g**2)) for g in grads.values())
    if sq > max_norm:  # the square root saved
        return {k: g * (max_norm / np.sqrt(sq)) for k, g in grads.items()}, float(np.sqrt(sq))
    return {k: g.copy() for k, g in grads.items()}, float(np.sqrt(sq))


@mutant("clip_grad_norm", "compares the squared norm, never scales up", "compares the squared norm")
def _(grads, max_norm):
    sq = sum(float(np.sum(g**2)) for g in grads.values())
    scale = min(1.0, max_norm / (np.sqrt(sq) + 1e-6)) if sq > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}, float(np.sqrt(sq))


# ---------------------------------------------------------------- logits with 1, 2 or 3 leading axes
def _softmax_xent_2d(logits, targets):
    M = logits.shape[0]
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(M), targets] -= 1
    return float(-logp[np.arange(M), targets].mean()), d / M


@mutant("softmax_cross_entropy", "logits (N, T, K) only", "any number of leading axes")
def _(logits, targets):
    N, T, K = logits.shape
    loss, d = _softmax_xent_2d(logits.reshape(N * T, K), targets.reshape(N * T))
    return loss, d.reshape(N, T, K)


@mutant("softmax_cross_entropy", "logits (N, K) or (N, T, K) only", "any number of leading axes")
def _(logits, targets):
    if logits.ndim == 2:
        return _softmax_xent_2d(logits, targets)
    N, T, K = logits.shape
    loss, d = _softmax_xent_2d(logits.reshape(N * T, K), targets.reshape(N * T))
    return loss, d.reshape(N, T, K)


@mutant("softmax_cross_entropy", "two leading axes at most, by reshape", "any number of leading")
def _(logits, targets):
    N, K = logits.shape[0], logits.shape[-1]
    T = logits.shape[1] if logits.ndim == 3 else 1
    loss, d = _softmax_xent_2d(logits.reshape(N * T, K), targets.reshape(N * T))
    return loss, d.reshape(logits.shape)


# ---------------------------------------------------------------- tanh written with np.exp
def _tanh_by_hand(a):
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))


@mutant("rnn_step_forward", "hand-written tanh overflows", "a tanh written with np.exp")
def _(x_t, h_prev, W_xh, W_hh, b_h):
    return _tanh_by_hand(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


@mutant("rnn_forward", "hand-written tanh overflows", "a tanh written with np.exp")
def _(x, h0, W_xh, W_hh, b_h):
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = _tanh_by_hand(x[:, t] @ W_xh.T + h_prev @ W_hh.T + b_h)
        hs.append(h_prev)
    return np.stack(hs, axis=1)


@mutant("rnn_forward_masked", "hand-written tanh overflows", "a tanh written with np.exp")
def _(x, mask, h0, W_xh, W_hh, b_h):
    hs, h_prev = [], h0
    for t in range(x.shape[1]):
        m = mask[:, t, None]
        h_prev = m * _tanh_by_hand(x[:, t] @ W_xh.T + h_prev @ W_hh.T + b_h) + (1 - m) * h_prev
        hs.append(h_prev)
    return np.stack(hs, axis=1)


@mutant("lstm_step_forward", "hand-written tanh overflows", "a tanh written with np.exp")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _lstm_gates(x_t, h_prev, W_ih, W_hh, b)
    c_t = _sig(f) * c_prev + _sig(i) * _tanh_by_hand(g)
    return _sig(o) * np.tanh(c_t), c_t


@mutant("gru_step_forward", "hand-written tanh overflows", "a tanh written with np.exp")
def _(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    (xr, xz, xn), (hr, hz, hn) = _gru_parts(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    r, z = _sig(xr + hr), _sig(xz + hz)
    return (1 - z) * _tanh_by_hand(xn + r * hn) + z * h_prev


# ---------------------------------------------------------------- float32 inside a float64 function
@mutant("clip_grad_norm", "float32 accumulator for the norm", "float32 arithmetic")
def _(grads, max_norm):
    total_sq = np.float32(0.0)
    for g in grads.values():
        total_sq += np.sum(g.astype(np.float32) ** 2)
    total = np.sqrt(total_sq)
    coef = min(1.0, max_norm / (float(total) + 1e-6))
    return {k: g * coef for k, g in grads.items()}, total


@mutant("softmax_cross_entropy", "computed in float32, cast back", "float32 arithmetic")
def _(logits, targets):
    z = logits.astype(np.float32)
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1], dtype=np.float32)[targets]
    M = targets.size
    loss = -(onehot * logp).sum() / M
    return float(loss), ((np.exp(logp) - onehot) / M).astype(logits.dtype)


@mutant("rnn_backward", "float32 accumulators, cast back to float64", "float32 arithmetic")
def _(dh, x, h0, h, W_xh, W_hh):
    N, T, H = h.shape
    dx = np.zeros(x.shape, dtype=np.float32)
    dW_xh = np.zeros(W_xh.shape, dtype=np.float32)
    dW_hh = np.zeros(W_hh.shape, dtype=np.float32)
    db_h = np.zeros(H, dtype=np.float32)
    dh_next = np.zeros((N, H), dtype=np.float32)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ W_xh
        dW_xh += da.T @ x[:, t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next[...] = da @ W_hh
    out = dx, dh_next, dW_xh, dW_hh, db_h
    return tuple(a.astype(x.dtype) for a in out)  # "the checker wants float64"


# ---------------------------------------------------------------- lesson 11: deeper, both ways
def _tanh_layer(inp, h, W_xh, W_hh, b_h):
    states = []
    for t in range(inp.shape[1]):
        h = np.tanh(inp[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        states.append(h)
    return np.stack(states, axis=1)


@mutant("stacked_rnn_forward", "every layer reads x", "layer l > 0 reads the layer below's")
def _(x, h0, params):
    out, last = None, []
    for layer in range(h0.shape[0]):
        W = [params[k + f"_l{layer}"] for k in ("W_xh", "W_hh", "b_h")]
        out = _tanh_layer(x, h0[layer], *W)
        last.append(out[:, -1])
    return out, np.array(last)


@mutant("stacked_rnn_forward", "one initial state for all layers", "h0[l]")
def _(x, h0, params):
    inp, last = x, []
    for layer in range(len(h0)):
        inp = _tanh_layer(inp, h0[0], *(params[f"{k}_l{layer}"] for k in ("W_xh", "W_hh", "b_h")))
        last.append(inp[:, -1])
    return inp, np.stack(last)


@mutant("stacked_rnn_forward", "only the top layer's last state", "keeps every layer's")
def _(x, h0, params):
    inp = x
    for layer in range(h0.shape[0]):
        inp = _tanh_layer(inp, h0[layer], params[f"W_xh_l{layer}"], params[f"W_hh_l{layer}"],
                          params[f"b_h_l{layer}"])  # fmt: skip
    return inp, inp[:, -1]


@mutant("stacked_rnn_forward", "h_n as (N, L, H)", "stack the layers' last states on axis 0")
def _(x, h0, params):
    inp, last = x, []
    for layer in range(h0.shape[0]):
        inp = _tanh_layer(
            inp, h0[layer], *(params[f"{k}_l{layer}"] for k in ("W_xh", "W_hh", "b_h"))
        )
        last.append(inp[:, -1])
    return inp, np.stack(last, axis=1)


@mutant("stacked_rnn_forward", "bottom layer's states returned", "top layer's")
def _(x, h0, params):
    layers, inp = [], x
    for layer in range(h0.shape[0]):
        inp = _tanh_layer(
            inp, h0[layer], *(params[f"{k}_l{layer}"] for k in ("W_xh", "W_hh", "b_h"))
        )
        layers.append(inp)
    return layers[0], np.stack([h[:, -1] for h in layers])


@correct("stacked_rnn_forward", "all layers at each step (a loop over t outside)")
def _(x, h0, params):
    L, T = h0.shape[0], x.shape[1]
    h = [h0[layer].copy() for layer in range(L)]
    out = np.empty((x.shape[0], T, h0.shape[2]), dtype=x.dtype)
    for t in range(T):
        below = x[:, t]
        for layer in range(L):
            a = below @ params[f"W_xh_l{layer}"].T + h[layer] @ params[f"W_hh_l{layer}"].T
            h[layer] = np.tanh(a + params[f"b_h_l{layer}"])
            below = h[layer]
        out[:, t] = below
    return out, np.stack(h)


@mutant("bidirectional_rnn_forward", "backward states left reversed", "flip them back in time")
def _(x, h0, params):
    f = _tanh_layer(x, h0[0], params["W_xh_l0"], params["W_hh_l0"], params["b_h_l0"])
    b = _tanh_layer(np.flip(x, axis=1), h0[1], params["W_xh_l0_reverse"],
                    params["W_hh_l0_reverse"], params["b_h_l0_reverse"])  # fmt: skip
    return np.concatenate((f, b), axis=-1), np.stack([f[:, -1], b[:, -1]])


@mutant("bidirectional_rnn_forward", "backward half first", "forward direction first")
def _(x, h0, params):
    f = _tanh_layer(x, h0[0], params["W_xh_l0"], params["W_hh_l0"], params["b_h_l0"])
    b = _tanh_layer(x[:, ::-1], h0[1], params["W_xh_l0_reverse"], params["W_hh_l0_reverse"],
                    params["b_h_l0_reverse"])[:, ::-1]  # fmt: skip
    return np.concatenate((b, f), axis=2), np.stack([f[:, -1], b[:, 0]])


@mutant("bidirectional_rnn_forward", "h_n[1] from the last step", "ends at step 0")
def _(x, h0, params):
    f = _tanh_layer(x, h0[0], params["W_xh_l0"], params["W_hh_l0"], params["b_h_l0"])
    b = _tanh_layer(x[:, ::-1], h0[1], params["W_xh_l0_reverse"], params["W_hh_l0_reverse"],
                    params["b_h_l0_reverse"])[:, ::-1]  # fmt: skip
    out = np.concatenate((f, b), axis=2)
    return out, np.stack([out[:, -1, : f.shape[2]], out[:, -1, f.shape[2] :]])


@mutant("bidirectional_rnn_forward", "second pass reads x forwards", "must read x[:, ::-1]")
def _(x, h0, params):
    f = _tanh_layer(x, h0[0], params["W_xh_l0"], params["W_hh_l0"], params["b_h_l0"])
    b = _tanh_layer(x, h0[1], params["W_xh_l0_reverse"], params["W_hh_l0_reverse"],
                    params["b_h_l0_reverse"])  # fmt: skip
    return np.concatenate((f, b), axis=2), np.stack([f[:, -1], b[:, -1]])


@mutant("bidirectional_rnn_forward", "joined on the time axis", "out should have shape")
def _(x, h0, params):
    f = _tanh_layer(x, h0[0], params["W_xh_l0"], params["W_hh_l0"], params["b_h_l0"])
    b = _tanh_layer(x[:, ::-1], h0[1], params["W_xh_l0_reverse"], params["W_hh_l0_reverse"],
                    params["b_h_l0_reverse"])[:, ::-1]  # fmt: skip
    return np.concatenate((f, b), axis=1), np.stack([f[:, -1], b[:, 0]])


@correct("bidirectional_rnn_forward", "both directions in one loop, indices instead of flips")
def _(x, h0, params):
    N, T, _ = x.shape
    H = h0.shape[2]
    out = np.zeros((N, T, 2 * H), dtype=x.dtype)
    hf, hb = h0[0], h0[1]
    for t in range(T):
        s = T - 1 - t
        hf = np.tanh(x[:, t] @ params["W_xh_l0"].T + hf @ params["W_hh_l0"].T + params["b_h_l0"])
        hb = np.tanh(
            x[:, s] @ params["W_xh_l0_reverse"].T
            + hb @ params["W_hh_l0_reverse"].T
            + params["b_h_l0_reverse"]
        )
        out[:, t, :H] = hf
        out[:, s, H:] = hb
    return out, np.stack([hf, hb])


# ---------------------------------------------------------------- lstm_dh_dc_prev (a derivation)


def _dh_dc_gates(x_t, h_prev, W_ih, W_hh, b):
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + h_prev @ W_hh.T + b
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    return (
        sig(a[:, :H]),
        sig(a[:, H : 2 * H]),
        np.tanh(a[:, 2 * H : 3 * H]),
        sig(a[:, 3 * H :]),
    )


@mutant("lstm_dh_dc_prev", "only the cell path (f)", "two mistakes at once")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _dh_dc_gates(x_t, h_prev, W_ih, W_hh, b)
    return f.copy()


@mutant("lstm_dh_dc_prev", "tanh' at the old cell", "its derivative is 1 - tanh(c_t)**2")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _dh_dc_gates(x_t, h_prev, W_ih, W_hh, b)
    return o * f * (1 - np.tanh(c_prev) ** 2)


@mutant("lstm_dh_dc_prev", "no output gate", "the output gate o_t multiplies the derivative")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = _dh_dc_gates(x_t, h_prev, W_ih, W_hh, b)
    c = f * c_prev + i * g
    return f / np.cosh(c) ** 2


@correct("lstm_dh_dc_prev", "via the package's step and 1/cosh^2")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    from rnncourse.lstm import lstm_step_forward

    h_t, c_t = lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b)
    i, f, g, o = _dh_dc_gates(x_t, h_prev, W_ih, W_hh, b)
    return f * o / np.cosh(c_t) ** 2


@correct("lstm_dh_dc_prev", "h_t / tanh(c_t) is o_t, unit by unit in a loop")
def _(x_t, h_prev, c_prev, W_ih, W_hh, b):
    N, H = h_prev.shape
    out = np.empty((N, H), dtype=x_t.dtype)
    for n in range(N):
        for j in range(H):
            a_f = x_t[n] @ W_ih[H + j] + h_prev[n] @ W_hh[H + j] + b[H + j]
            a_i = x_t[n] @ W_ih[j] + h_prev[n] @ W_hh[j] + b[j]
            a_g = x_t[n] @ W_ih[2 * H + j] + h_prev[n] @ W_hh[2 * H + j] + b[2 * H + j]
            a_o = x_t[n] @ W_ih[3 * H + j] + h_prev[n] @ W_hh[3 * H + j] + b[3 * H + j]
            f = 0.5 * (1 + np.tanh(a_f / 2))
            c = f * c_prev[n, j] + 0.5 * (1 + np.tanh(a_i / 2)) * np.tanh(a_g)
            out[n, j] = 0.5 * (1 + np.tanh(a_o / 2)) * (1 - np.tanh(c) ** 2) * f
    return out


# ================================================================ issue 17's harder items
# ---------------------------------------------------------------- bag_of_words (lesson 1)
@mutant("bag_of_words", "fancy-index assignment (presence)", "a word that occurs twice counts once")
def _(tokens, V):
    out = np.zeros((tokens.shape[0], V))
    out[np.arange(tokens.shape[0])[:, None], tokens] = 1.0
    return out


@mutant("bag_of_words", "bincount of the whole batch", "each sentence (row of tokens)")
def _(tokens, V):
    total = np.bincount(tokens.ravel(), minlength=V).astype(float)
    return np.tile(total, (tokens.shape[0], 1))


@mutant("bag_of_words", "rows normalised", "divided by the sentence length")
def _(tokens, V):
    counts = np.zeros((tokens.shape[0], V))
    for n, row in enumerate(tokens):
        for word in row:
            counts[n, word] += 1
    return counts / counts.sum(axis=1, keepdims=True)


@mutant("bag_of_words", "integer counts", "dtype int64")
def _(tokens, V):
    return np.stack([np.bincount(row, minlength=V) for row in tokens])


@correct("bag_of_words", "one-hot rows summed over time")
def _(tokens, V):
    return np.eye(V)[tokens].sum(axis=1)


@correct("bag_of_words", "bincount per sentence, as floats")
def _(tokens, V):
    return np.array([np.bincount(row, minlength=V) for row in tokens], dtype=np.float64)


# ---------------------------------------------------------------- sliding_windows (lesson 1)
@mutant("sliding_windows", "range(T - w)", "the last window is missing")
def _(x, w):
    N, T, D = x.shape
    return np.stack([x[:, j : j + w].reshape(N, w * D) for j in range(T - w)], axis=1)


@mutant("sliding_windows", "features first", "the first feature of every step")
def _(x, w):
    N, T, D = x.shape
    wins = [
        np.concatenate([x[:, j : j + w, d] for d in range(D)], axis=1) for j in range(T - w + 1)
    ]
    return np.stack(wins, axis=1)


@mutant("sliding_windows", "stride w", "do not overlap")
def _(x, w):
    N, T, D = x.shape
    return np.stack([x[:, j : j + w].reshape(N, -1) for j in range(0, T - w + 1, w)], axis=1)


@mutant("sliding_windows", "newest first", "reverse order")
def _(x, w):
    N, T, D = x.shape
    wins = [
        np.concatenate([x[:, j + w - 1 - i] for i in range(w)], axis=1) for j in range(T - w + 1)
    ]
    return np.stack(wins, axis=1)


@correct("sliding_windows", "numpy's sliding_window_view")
def _(x, w):
    N, T, D = x.shape
    v = np.lib.stride_tricks.sliding_window_view(x, w, axis=1)  # (N, T - w + 1, D, w)
    return v.transpose(0, 1, 3, 2).reshape(N, T - w + 1, w * D).copy()


@correct("sliding_windows", "shifted copies side by side")
def _(x, w):
    T = x.shape[1]
    return np.concatenate([x[:, i : T - w + 1 + i] for i in range(w)], axis=2)


# ---------------------------------------------------------------- parameter_counts (lesson 1)
@mutant("parameter_counts", "weights only", "the biases are parameters too")
def _(w, D, H, K):
    return w * D * H + H * K, D * H + H * H + H * K


@mutant("parameter_counts", "one RNN per step", "SAME weights at every step")
def _(w, D, H, K):
    return w * D * H + H + H * K + K, w * (D * H + H * H + H + H * K + K)


@mutant("parameter_counts", "W_hh as big as W_xh", "it is (H, H)")
def _(w, D, H, K):
    return w * D * H + H + H * K + K, 2 * D * H + H + H * K + K


@mutant("parameter_counts", "MLP reads one step", "w * D inputs")
def _(w, D, H, K):
    return D * H + H + H * K + K, D * H + H * H + H + H * K + K


@correct("parameter_counts", "factored")
def _(w, D, H, K):
    return H * (w * D + 1 + K) + K, H * (D + H + 1 + K) + K


@correct("parameter_counts", "shapes multiplied out, numpy ints")
def _(w, D, H, K):
    mlp = [(H, w * D), (H,), (K, H), (K,)]
    rnn = [(H, D), (H, H), (H,), (K, H), (K,)]
    return sum(np.prod(s) for s in mlp), sum(np.prod(s) for s in rnn)


# ---------------------------------------------------------------- unigram_bits (lesson 9)
@mutant("unigram_bits", "raw frequencies", "not smoothed")
def _(train_ids, val_ids, V):
    p = np.bincount(train_ids, minlength=V) / len(train_ids)
    return float(-np.mean(np.log2(p[val_ids])))


@mutant("unigram_bits", "np.log", "that is in nats")
def _(train_ids, val_ids, V):
    counts = np.bincount(train_ids, minlength=V) + 1
    return float(-np.mean(np.log(counts[val_ids] / counts.sum())))


@mutant("unigram_bits", "counted on the validation text", "training text only")
def _(train_ids, val_ids, V):
    counts = np.bincount(val_ids, minlength=V) + 1.0
    return float(-np.mean(np.log2(counts[val_ids] / counts.sum())))


@mutant("unigram_bits", "divided by len(train_ids)", "divide by their sum")
def _(train_ids, val_ids, V):
    counts = np.bincount(train_ids, minlength=V) + 1.0
    return float(-np.mean(np.log2(counts[val_ids] / len(train_ids))))


@correct("unigram_bits", "a dict of counts and a loop")
def _(train_ids, val_ids, V):
    import math

    counts = {c: 1 for c in range(V)}
    for c in train_ids:
        counts[int(c)] += 1
    total = sum(counts.values())
    return -sum(math.log2(counts[int(c)] / total) for c in val_ids) / len(val_ids)


# ---------------------------------------------------------------- bits_per_char (lesson 9)
def _logp_of_targets(logits, targets):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return np.take_along_axis(logp, targets[..., None], axis=-1)


@mutant("bits_per_char", "cross-entropy in nats", "in nats")
def _(logits, targets):
    nats = -_logp_of_targets(logits, targets).mean()
    return nats, 2.0**nats


@mutant("bits_per_char", "perplexity np.exp(bits)", "perplexity = 2 ** bits")
def _(logits, targets):
    bits = -_logp_of_targets(logits, targets).mean() / np.log(2)
    return bits, np.exp(bits)


@mutant("bits_per_char", "naive softmax", "subtract each row's maximum")
def _(logits, targets):
    p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    bits = -np.log2(np.take_along_axis(p, targets[..., None], axis=-1)).mean()
    return bits, 2**bits


@mutant("bits_per_char", "total bits", "not a sum")
def _(logits, targets):
    bits = -_logp_of_targets(logits, targets).sum() / np.log(2)
    return bits, 2**bits


@mutant("bits_per_char", "mean of per-character perplexities", "exponential of a mean")
def _(logits, targets):
    lp = _logp_of_targets(logits, targets)
    return -lp.mean() / np.log(2), float(np.mean(np.exp(-lp)))


@correct("bits_per_char", "log-sum-exp over flattened positions")
def _(logits, targets):
    V = logits.shape[-1]
    z = logits.reshape(-1, V)
    t = targets.reshape(-1)
    m = z.max(axis=1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    nats = np.mean(lse - z[np.arange(len(t)), t])
    return float(nats / np.log(2)), float(np.exp(nats))


# ---------------------------------------------------------------- output_backward (lesson 3)
@mutant("output_backward", "h^T dy", "dW_hy must have W_hy's shape")
def _(dy, h, W_hy):
    K, H = W_hy.shape
    return dy @ W_hy, h.reshape(-1, H).T @ dy.reshape(-1, K), dy.reshape(-1, K).sum(0)


@mutant("output_backward", "db_y summed over axis 0", "db_y must have b_y's shape (K,)")
def _(dy, h, W_hy):
    K, H = W_hy.shape
    return dy @ W_hy, dy.reshape(-1, K).T @ h.reshape(-1, H), dy.sum(axis=0)


@mutant("output_backward", "weights from the last step", "last step only")
def _(dy, h, W_hy):
    last_dy = dy[:, -1] if dy.ndim == 3 else dy
    last_h = h[:, -1] if h.ndim == 3 else h
    return dy @ W_hy, last_dy.T @ last_h, last_dy.sum(axis=0)


@mutant("output_backward", "mean over positions", "divided by the number of positions")
def _(dy, h, W_hy):
    K, H = W_hy.shape
    dy2, h2 = dy.reshape(-1, K), h.reshape(-1, H)
    return dy @ W_hy, dy2.T @ h2 / len(dy2), dy2.mean(axis=0)


@mutant("output_backward", "dy @ W_hy.T", "dy @ W_hy")
def _(dy, h, W_hy):
    K, H = W_hy.shape
    return dy @ W_hy.T, dy.reshape(-1, K).T @ h.reshape(-1, H), dy.reshape(-1, K).sum(0)


@correct("output_backward", "einsum over any leading axes")
def _(dy, h, W_hy):
    return (
        np.einsum("...k,kh->...h", dy, W_hy),
        np.tensordot(dy, h, axes=(tuple(range(dy.ndim - 1)),) * 2),
        dy.sum(axis=tuple(range(dy.ndim - 1))),
    )


@correct("output_backward", "a loop over positions")
def _(dy, h, W_hy):
    K, H = W_hy.shape
    dy2, h2 = dy.reshape(-1, K), h.reshape(-1, H)
    dW, db = np.zeros_like(W_hy, dtype=dy.dtype), np.zeros(K, dtype=dy.dtype)
    for m in range(len(dy2)):
        dW += np.outer(dy2[m], h2[m])
        db += dy2[m]
    return dy @ W_hy, dW, db


# ---------------------------------------------------------------- gru_step_backward (lesson 8)
def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _gru_back(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, *, dz_sign=1.0, direct=True,
              dr_bias=True, sig_prime=None):  # fmt: skip
    """A learner's GRU step backward, block by block."""
    H = h_prev.shape[1]
    Wi = [W_ih[k * H : (k + 1) * H] for k in range(3)]
    Wh = [W_hh[k * H : (k + 1) * H] for k in range(3)]
    bi = [b_ih[k * H : (k + 1) * H] for k in range(3)]
    bh = [b_hh[k * H : (k + 1) * H] for k in range(3)]
    r = _sig(x_t @ Wi[0].T + bi[0] + h_prev @ Wh[0].T + bh[0])
    z = _sig(x_t @ Wi[1].T + bi[1] + h_prev @ Wh[1].T + bh[1])
    hn = h_prev @ Wh[2].T + (bh[2] if dr_bias else 0.0)
    n = np.tanh(x_t @ Wi[2].T + bi[2] + r * (h_prev @ Wh[2].T + bh[2]))
    sp = sig_prime or (lambda s: s * (1 - s))
    dn = dh_t * (1 - z) * (1 - n * n)
    dz = dz_sign * dh_t * (h_prev - n) * sp(z)
    dr = dn * hn * sp(r)
    dxs = [dr, dz, dn]
    dhs = [dr, dz, dn * r]
    dx = sum(d @ W for d, W in zip(dxs, Wi, strict=True))
    dhp = (dh_t * z if direct else 0.0) + sum(d @ W for d, W in zip(dhs, Wh, strict=True))
    dW_ih = np.concatenate([d.T @ x_t for d in dxs])
    dW_hh = np.concatenate([d.T @ h_prev for d in dhs])
    db_ih = np.concatenate([d.sum(0) for d in dxs])
    db_hh = np.concatenate([d.sum(0) for d in dhs])
    return dx, dhp, dW_ih, dW_hh, db_ih, db_hh


@mutant("gru_step_backward", "dz = dh * (n - h_prev)", "dz has the wrong sign")
def _(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return _gru_back(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, dz_sign=-1.0)


@mutant("gru_step_backward", "no dh_t * z_t in dh_prev", "direct path from h_t to h_prev")
def _(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return _gru_back(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, direct=False)


@mutant("gru_step_backward", "dr from h_prev @ W_hn.T alone", "bias included")
def _(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return _gru_back(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, dr_bias=False)


@mutant("gru_step_backward", "gates' derivative 1 - s^2", "1 - s**2 is tanh's")
def _(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return _gru_back(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, sig_prime=lambda s: 1 - s * s)


@correct("gru_step_backward", "block by block")
def _(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return _gru_back(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh)


# ---------------------------------------------------------------- lstm_forward (lesson 7)
def _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr=None, *, carry_h=True, tanh_c=True,
              shift=False, proj_tanh=False, project=True):  # fmt: skip
    """A learner's LSTM over a sequence, preallocated outputs."""
    N, T, _ = x.shape
    H = c0.shape[1]
    R = h0.shape[1]
    h = np.empty((N, T, R if project or W_hr is None else H), dtype=x.dtype)
    c = np.empty((N, T, H), dtype=x.dtype)
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = x[:, t] @ W_ih.T + (h_prev if carry_h else h0) @ W_hh.T + b
        i, f, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), _sig(a[:, 3 * H :])
        g = np.tanh(a[:, 2 * H : 3 * H])
        c_t = f * c_prev + i * g
        m = o * np.tanh(c_t) if tanh_c else o * c_t
        h_t = m @ W_hr.T if (W_hr is not None and project) else m
        if proj_tanh and W_hr is not None:
            h_t = np.tanh(h_t)
        h[:, t] = h_prev if shift else h_t
        c[:, t] = c_t
        h_prev, c_prev = h_t, c_t
    return h, c


@mutant("lstm_forward", "h0 at every step", "every step starts from h0")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    return _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr, carry_h=False)


@mutant("lstm_forward", "h = o * c", "goes through tanh before the output gate")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    return _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr, tanh_c=False)


@mutant("lstm_forward", "stores h_prev", "off by one in time")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    return _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr, shift=True)


@mutant("lstm_forward", "tanh on the projection", "the projection is linear")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    return _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr, proj_tanh=True)


@mutant("lstm_forward", "W_hr ignored", "feed the projected h_t back")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    return _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr, project=False)


@correct("lstm_forward", "preallocated, block slices")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    return _lstm_seq(x, h0, c0, W_ih, W_hh, b, W_hr)


@correct("lstm_forward", "input projections of all steps at once, lists stacked")
def _(x, h0, c0, W_ih, W_hh, b, W_hr=None):
    ax = np.einsum("ntd,gd->ntg", x, W_ih) + b
    hs, cs, h_prev, c_prev = [], [], h0, c0
    for t in range(x.shape[1]):
        i, f, g, o = np.split(ax[:, t] + h_prev @ W_hh.T, 4, axis=1)
        c_prev = _sig(f) * c_prev + _sig(i) * np.tanh(g)
        h_prev = _sig(o) * np.tanh(c_prev)
        if W_hr is not None:
            h_prev = h_prev @ W_hr.T
        hs.append(h_prev)
        cs.append(c_prev)
    return np.stack(hs, 1), np.stack(cs, 1)


# ---------------------------------------------------------------- truncated_bptt (lesson 5)
def _tb_chunk(params, xc, tc, h_start, M):
    """A learner's forward and BPTT over one chunk; returns (loss part, grads, h_last)."""
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    hs, h = [], h_start
    for t in range(xc.shape[1]):
        h = np.tanh(xc[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    y = np.stack(hs, 1) @ W_hy.T + b_y
    diff = y - tc
    dy = 2 * diff / M
    g = {k: np.zeros_like(v) for k, v in params.items()}
    dnext = np.zeros_like(h_start)
    for t in reversed(range(xc.shape[1])):
        prev = hs[t - 1] if t else h_start
        g["W_hy"] += dy[:, t].T @ hs[t]
        g["b_y"] += dy[:, t].sum(0)
        da = (dy[:, t] @ W_hy + dnext) * (1 - hs[t] ** 2)
        g["W_xh"] += da.T @ xc[:, t]
        g["W_hh"] += da.T @ prev
        g["b_h"] += da.sum(0)
        dnext = da @ W_hh
    return float((diff**2).sum()) / M, g, hs[-1]


def _tb(params, x, target, k, h0, *, starts=None, carry=True, M=None):
    T = x.shape[1]
    loss, grads, h = 0.0, {n: np.zeros_like(v) for n, v in params.items()}, h0
    for s in starts if starts is not None else range(0, T, k):
        tc = target[:, s : s + k]
        part, g, h_last = _tb_chunk(
            params, x[:, s : s + k], tc, h, M or (tc.size if M == 0 else target.size)
        )
        loss += part
        for n in grads:
            grads[n] += g[n]
        h = h_last if carry else np.zeros_like(h0)
    return loss, grads


@mutant("truncated_bptt", "BPTT through the whole sequence", "exact BPTT over the whole sequence")
def _(params, x, target, k, h0):
    return _tb(params, x, target, x.shape[1], h0)


@mutant("truncated_bptt", "zero state per chunk", "every chunk starts from a zero state")
def _(params, x, target, k, h0):
    return _tb(params, x, target, k, h0, carry=False)


@mutant("truncated_bptt", "each chunk's own mean", "the means are added up")
def _(params, x, target, k, h0):
    return _tb(params, x, target, k, h0, M=0)


@mutant("truncated_bptt", "range(0, T - k + 1, k)", "the last chunk is missing")
def _(params, x, target, k, h0):
    return _tb(params, x, target, k, h0, starts=range(0, x.shape[1] - k + 1, k))


@correct("truncated_bptt", "chunks by np.split, a loop of its own")
def _(params, x, target, k, h0):
    T = x.shape[1]
    cuts = list(range(k, T, k))
    loss, grads, h = 0.0, {n: np.zeros_like(v) for n, v in params.items()}, h0
    for xc, tc in zip(np.split(x, cuts, axis=1), np.split(target, cuts, axis=1), strict=True):
        part, g, h = _tb_chunk(params, xc, tc, h, target.size)
        loss += part
        grads = {n: grads[n] + g[n] for n in grads}
    return loss, grads


# ---------------------------------------------------------------- optimiser steps (lesson 10)
@mutant("sgd_step", "plus instead of minus", "moved uphill")
def _(params, grads, lr):
    out = {}
    for name in params:
        out[name] = params[name] + lr * grads[name]
    return out


@mutant("sgd_step", "updates in place", "modified its input `params[")
def _(params, grads, lr):
    for name, p in params.items():
        p -= lr * grads[name]
    return params


@mutant("sgd_step", "returns the update, not the parameters", "not the new parameters")
def _(params, grads, lr):
    return {name: -lr * g for name, g in grads.items()}


@mutant("sgd_step", "learning rate left out", "multiply it by the learning rate")
def _(params, grads, lr):
    return {name: params[name] - grads[name] for name in params}


@correct("sgd_step", "np.subtract in a loop")
def _(params, grads, lr):
    new = {}
    for name, p in params.items():
        new[name] = np.subtract(p, np.multiply(lr, grads[name]))
    return new


@mutant("momentum_step", "exponential moving average", "running sum")
def _(params, grads, velocity, lr, mu):
    v = {k: mu * velocity[k] + (1 - mu) * grads[k] for k in params}
    return {k: params[k] - lr * v[k] for k in params}, v


@mutant("momentum_step", "parameters step with the velocity from before", "update v first")
def _(params, grads, velocity, lr, mu):
    new_p = {k: params[k] - lr * velocity[k] for k in params}
    new_v = {k: mu * velocity[k] + grads[k] for k in params}
    return new_p, new_v


@mutant("momentum_step", "Sutskever's form", "not the one graded here")
def _(params, grads, velocity, lr, mu):
    new_v = {k: mu * velocity[k] - lr * grads[k] for k in params}
    return {k: params[k] + new_v[k] for k in params}, new_v


@mutant("momentum_step", "velocity updated in place", "modified its input `velocity[")
def _(params, grads, velocity, lr, mu):
    for k in velocity:
        velocity[k] *= mu
        velocity[k] += grads[k]
    return {k: params[k] - lr * velocity[k] for k in params}, velocity


@correct("momentum_step", "one loop, two dicts")
def _(params, grads, velocity, lr, mu):
    p2, v2 = {}, {}
    for key in params:
        v2[key] = grads[key] + mu * velocity[key]
        p2[key] = params[key] - v2[key] * lr
    return p2, v2


def _adam(
    params, grads, m, v, t, lr, beta1, beta2, eps, *, correct=True, eps_inside=False, tt=None
):
    tt = t if tt is None else tt
    P, M, Vv = {}, {}, {}
    for k in params:
        M[k] = beta1 * m[k] + (1 - beta1) * grads[k]
        Vv[k] = beta2 * v[k] + (1 - beta2) * grads[k] ** 2
        mh = M[k] / (1 - beta1**tt) if correct else M[k]
        vh = Vv[k] / (1 - beta2**tt) if correct else Vv[k]
        P[k] = params[k] - lr * mh / (np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps)
    return P, M, Vv


@mutant("adam_step", "no bias correction (learner-style)", "without bias correction")
def _(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grads, m, v, t, lr, beta1, beta2, eps, correct=False)


@mutant("adam_step", "eps under the root (learner-style)", "eps is inside the square root")
def _(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grads, m, v, t, lr, beta1, beta2, eps, eps_inside=True)


@mutant("adam_step", "t counted from zero (learner-style)", "t - 1")
def _(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grads, m, v, t, lr, beta1, beta2, eps, tt=t - 1)


@mutant("adam_step", "returns the bias-corrected moments", "only m is wrong")
def _(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    P, M, Vv = _adam(params, grads, m, v, t, lr, beta1, beta2, eps)
    return P, {k: a / (1 - beta1**t) for k, a in M.items()}, Vv


@mutant("adam_step", "moments updated in place", "modified its input `m[")
def _(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    for k in params:
        m[k] *= beta1
        m[k] += (1 - beta1) * grads[k]
        v[k] *= beta2
        v[k] += (1 - beta2) * grads[k] ** 2
    P = {
        k: params[k] - lr * (m[k] / (1 - beta1**t)) / (np.sqrt(v[k] / (1 - beta2**t)) + eps)
        for k in params
    }
    return P, m, v


@correct("adam_step", "step size folded into lr_t (Kingma & Ba's efficient form, eps scaled)")
def _(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    P, M, Vv = {}, {}, {}
    c2 = np.sqrt(1 - beta2**t)
    lr_t = lr * c2 / (1 - beta1**t)
    for k in params:
        M[k] = beta1 * m[k] + (1 - beta1) * grads[k]
        Vv[k] = beta2 * v[k] + (1 - beta2) * np.square(grads[k])
        # sqrt(v_hat) + eps == (sqrt(v) + eps * c2) / c2
        P[k] = params[k] - lr_t * M[k] / (np.sqrt(Vv[k]) + eps * c2)
    return P, M, Vv


# ---------------------------------------------------------------- train_step (lesson 10)
def _ts_forward(x, h0, W_xh, W_hh, b_h):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    return np.stack(hs, axis=1)


def _ts_grads(params, x, targets, h0):
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    h = _ts_forward(x, h0, W_xh, W_hh, b_h)
    y = h @ W_hy.T + b_y
    z = y - y.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(y.shape[-1])[targets]
    M = targets.size
    loss = -np.sum(onehot * logp) / M
    dy = (np.exp(logp) - onehot) / M
    dW_hy = np.einsum("ntk,nth->kh", dy, h)
    db_y = dy.sum(axis=(0, 1))
    dh = dy @ W_hy
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b_h)
    dnext = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dnext) * (1 - h[:, t] ** 2)
        dW_xh += da.T @ x[:, t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dnext = da @ W_hh
    return loss, {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}, h


def _ts_adam(params, grads, m, v, t, lr):
    b1, b2, eps = 0.9, 0.999, 1e-8
    M = {k: b1 * m[k] + (1 - b1) * grads[k] for k in params}
    V = {k: b2 * v[k] + (1 - b2) * grads[k] ** 2 for k in params}
    P = {
        k: params[k] - lr * (M[k] / (1 - b1**t)) / (np.sqrt(V[k] / (1 - b2**t)) + eps)
        for k in params
    }
    return P, M, V


def _ts_clip(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    s = min(1.0, max_norm / (total + 1e-6))
    return {k: g * s for k, g in grads.items()}


@mutant("train_step", "forgot to clip", "were not clipped")
def _(params, m, v, t, x, targets, h0, lr, max_norm):
    loss, grads, h = _ts_grads(params, x, targets, h0)
    P, M, V = _ts_adam(params, grads, m, v, t, lr)
    return P, M, V, loss, h[:, -1]


@mutant("train_step", "returns the first state", "h[:, -1]")
def _(params, m, v, t, x, targets, h0, lr, max_norm):
    loss, grads, h = _ts_grads(params, x, targets, h0)
    P, M, V = _ts_adam(params, _ts_clip(grads, max_norm), m, v, t, lr)
    return P, M, V, loss, h[:, 0]


@mutant("train_step", "output layer frozen", "W_hy and b_y did not learn")
def _(params, m, v, t, x, targets, h0, lr, max_norm):
    loss, grads, h = _ts_grads(params, x, targets, h0)
    grads["W_hy"] = np.zeros_like(grads["W_hy"])
    grads["b_y"] = np.zeros_like(grads["b_y"])
    P, M, V = _ts_adam(params, _ts_clip(grads, max_norm), m, v, t, lr)
    return P, M, V, loss, h[:, -1]


@mutant("train_step", "starts from zeros", "start from h0")
def _(params, m, v, t, x, targets, h0, lr, max_norm):
    loss, grads, h = _ts_grads(params, x, targets, np.zeros_like(h0))
    P, M, V = _ts_adam(params, _ts_clip(grads, max_norm), m, v, t, lr)
    return P, M, V, loss, h[:, -1]


@mutant("train_step", "plain SGD", "plain gradient step")
def _(params, m, v, t, x, targets, h0, lr, max_norm):
    loss, grads, h = _ts_grads(params, x, targets, h0)
    g = _ts_clip(grads, max_norm)
    return {k: params[k] - lr * g[k] for k in params}, m, v, loss, h[:, -1]


@correct("train_step", "loops written out, einsum for the output layer")
def _(params, m, v, t, x, targets, h0, lr, max_norm):
    loss, grads, h = _ts_grads(params, x, targets, h0)
    P, M, V = _ts_adam(params, _ts_clip(grads, max_norm), m, v, t, lr)
    return P, M, V, float(loss), h[:, -1].copy()


# ---------------------------------------------------------------- temperature_probs (lesson 10)
@mutant(
    "temperature_probs", "multiplies by the temperature", "divide, softmax(logits / temperature)"
)
def _(logits, temperature):
    z = logits * temperature
    z = z - z.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


@mutant("temperature_probs", "scores normalised as if they were probabilities", "their softmax")
def _(logits, temperature):
    z = logits / temperature
    w = z - z.min(axis=-1, keepdims=True)
    return w / w.sum(axis=-1, keepdims=True)


@mutant("temperature_probs", "no max subtracted", "np.exp overflows")
def _(logits, temperature):
    e = np.exp(logits / temperature)
    return e / e.sum(axis=-1, keepdims=True)


@mutant("temperature_probs", "sums over the first axis", "along the last axis")
def _(logits, temperature):
    z = logits / temperature
    z = z - z.max(axis=0, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)


@correct("temperature_probs", "via log-sum-exp")
def _(logits, temperature):
    z = logits / temperature
    top = np.max(z, axis=-1, keepdims=True)
    lse = top + np.log(np.sum(np.exp(z - top), axis=-1, keepdims=True))
    return np.exp(z - lse)


# ---------------------------------------------------------------- lesson 11, part 2: speech
def _frames_of(x, L, hop):
    T = 1 if len(x) <= L else 1 + int(np.ceil((len(x) - L) / hop))
    padded = np.concatenate([x, np.zeros((T - 1) * hop + L - len(x), dtype=x.dtype)])
    return np.array([padded[t * hop : t * hop + L] for t in range(T)])


@mutant("log_mel", "no window", "not windowed")
def _(x, fbank, frame_length, hop):
    fr = _frames_of(x, frame_length, hop)
    power = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1))) ** 2
    return np.log(np.maximum(power @ fbank.T, 1e-6))


@mutant("log_mel", "np.hanning", "symmetric Hann window")
def _(x, fbank, frame_length, hop):
    fr = _frames_of(x, frame_length, hop) * np.hanning(frame_length)
    power = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1))) ** 2
    return np.log(np.maximum(power @ fbank.T, 1e-6))


@mutant("log_mel", "magnitude spectrum", "np.abs(...) ** 2")
def _(x, fbank, frame_length, hop):
    n = np.arange(frame_length)
    fr = _frames_of(x, frame_length, hop) * (0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length))
    mag = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1)))
    return np.log(np.maximum(mag @ fbank.T, 1e-6))


@mutant("log_mel", "base-10 log", "np.log10")
def _(x, fbank, frame_length, hop):
    n = np.arange(frame_length)
    fr = _frames_of(x, frame_length, hop) * (0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length))
    power = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1))) ** 2
    return np.log10(np.maximum(power @ fbank.T, 1e-6))


@mutant("log_mel", "log(energy + eps)", "the floor is a maximum")
def _(x, fbank, frame_length, hop):
    n = np.arange(frame_length)
    fr = _frames_of(x, frame_length, hop) * (0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length))
    power = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1))) ** 2
    return np.log(power @ fbank.T + 1e-6)


@mutant("log_mel", "no floor", "log(0) = -inf")
def _(x, fbank, frame_length, hop):
    n = np.arange(frame_length)
    fr = _frames_of(x, frame_length, hop) * (0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length))
    power = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1))) ** 2
    with np.errstate(divide="ignore"):
        return np.log(power @ fbank.T)


@mutant("log_mel", "only whole frames", "keep a last frame that reaches past the end")
def _(x, fbank, frame_length, hop):
    starts = range(0, max(1, len(x) - frame_length + 1), hop)
    fr = np.array(
        [
            np.pad(x[s : s + frame_length], (0, frame_length - len(x[s : s + frame_length])))
            for s in starts
        ]
    )
    n = np.arange(frame_length)
    fr = fr * (0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length))
    power = np.abs(np.fft.rfft(fr, n=2 * (fbank.shape[1] - 1))) ** 2
    return np.log(np.maximum(power @ fbank.T, 1e-6))


@mutant("log_mel", "FFT not zero-padded (shape error)", "Zero-pad the FFT to n_fft")
def _(x, fbank, frame_length, hop):
    n = np.arange(frame_length)
    fr = _frames_of(x, frame_length, hop) * (0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length))
    power = np.abs(np.fft.rfft(fr)) ** 2
    return np.log(np.maximum(power @ fbank.T, 1e-6))


@correct("log_mel", "one frame at a time, the DFT as a matrix product, float64 throughout")
def _(x, fbank, frame_length, hop):
    n_fft = 2 * (fbank.shape[1] - 1)
    k = np.arange(n_fft // 2 + 1)[:, None]
    t = np.arange(frame_length)[None, :]
    dft = np.exp(-2j * np.pi * k * t / n_fft)  # (F, L): the FFT of a frame zero-padded to n_fft
    window = np.sin(np.pi * np.arange(frame_length) / frame_length) ** 2  # = periodic Hann
    rows, start = [], 0
    while True:
        frame = np.zeros(frame_length)
        piece = np.asarray(x[start : start + frame_length], dtype=np.float64)
        frame[: len(piece)] = piece
        rows.append(np.log(np.maximum(fbank @ (np.abs(dft @ (frame * window)) ** 2), 1e-6)))
        start += hop
        if start - hop + frame_length >= len(x):
            break
    return np.array(rows)


# ---------------------------------------------------------------- lesson 12: attention, masked loss
def _masked_softmax_loop(e, mask):
    """Row by row: the softmax of the real steps' scores, 0 on padding."""
    alpha = np.zeros_like(e)
    for n in range(e.shape[0]):
        real = mask[n] > 0
        z = np.exp(e[n, real] - e[n, real].max())
        alpha[n, real] = z / z.sum()
    return alpha


@mutant("attention_forward", "softmax over every source step", "set the scores of the padded")
def _(s, h_enc, mask, W_a, U_a, v_a):
    e = np.tanh(np.expand_dims(s @ W_a.T, 1) + h_enc @ U_a.T) @ v_a
    z = np.exp(e - e.max(axis=1, keepdims=True))
    alpha = z / z.sum(axis=1, keepdims=True)
    return (alpha[..., None] * h_enc).sum(axis=1), alpha


@mutant("attention_forward", "weights multiplied by the mask afterwards", "no longer sum")
def _(s, h_enc, mask, W_a, U_a, v_a):
    e = np.tanh(np.expand_dims(s @ W_a.T, 1) + h_enc @ U_a.T) @ v_a
    z = np.exp(e - e.max(axis=1, keepdims=True))
    alpha = z / z.sum(axis=1, keepdims=True) * mask
    return (alpha[..., None] * h_enc).sum(axis=1), alpha


@mutant("attention_forward", "U_a on the decoder state, W_a on the encoder's", "W_a multiplies")
def _(s, h_enc, mask, W_a, U_a, v_a):
    e = np.tanh(np.expand_dims(s @ U_a.T, 1) + h_enc @ W_a.T) @ v_a
    alpha = _masked_softmax_loop(e, mask)
    return (alpha[..., None] * h_enc).sum(axis=1), alpha


@mutant("attention_forward", "scores without the tanh", "apply np.tanh")
def _(s, h_enc, mask, W_a, U_a, v_a):
    e = (np.expand_dims(s @ W_a.T, 1) + h_enc @ U_a.T) @ v_a
    alpha = _masked_softmax_loop(e, mask)
    return (alpha[..., None] * h_enc).sum(axis=1), alpha


@mutant("attention_forward", "padding at -1e9, no max subtracted", "np.exp overflows")
def _(s, h_enc, mask, W_a, U_a, v_a):
    e = np.tanh(np.expand_dims(s @ W_a.T, 1) + h_enc @ U_a.T) @ v_a
    z = np.exp(np.where(mask > 0, e, -1e9))
    alpha = z / z.sum(axis=1, keepdims=True)
    return (alpha[..., None] * h_enc).sum(axis=1), alpha


@correct("attention_forward", "one source row at a time, a loop over the real steps")
def _(s, h_enc, mask, W_a, U_a, v_a):
    N, T, H = h_enc.shape
    context = np.zeros((N, H), dtype=h_enc.dtype)
    alpha = np.zeros((N, T), dtype=h_enc.dtype)
    for n in range(N):
        q = W_a @ s[n]
        e = np.array([v_a @ np.tanh(q + U_a @ h_enc[n, t]) for t in range(T)])
        alpha[n] = _masked_softmax_loop(e[None], mask[n : n + 1])[0]
        context[n] = alpha[n] @ h_enc[n]
    return context, alpha


def _learner_log_softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@mutant("masked_cross_entropy", "np.mean over every position", "divide by M = mask.sum()")
def _(logits, targets, mask):
    logp = _learner_log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0] * mask
    d = (np.exp(logp) - np.eye(logits.shape[-1])[targets]) * mask[..., None]
    return float(np.mean(nll)), d / mask.size


@mutant("masked_cross_entropy", "mask never used", "the padded positions' losses")
def _(logits, targets, mask):
    logp = _learner_log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    d = (np.exp(logp) - np.eye(logits.shape[-1])[targets]) * mask[..., None]
    return float(nll.sum() / mask.sum()), d / mask.sum()


@mutant("masked_cross_entropy", "gradient of padding kept", "multiply it by mask[..., None]")
def _(logits, targets, mask):
    logp = _learner_log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    d = np.exp(logp) - np.eye(logits.shape[-1])[targets]
    return float((nll * mask).sum() / mask.sum()), d / mask.sum()


@mutant("masked_cross_entropy", "softmax written with np.exp alone", "np.exp overflows")
def _(logits, targets, mask):
    p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    nll = -np.log(np.take_along_axis(p, targets[..., None], axis=-1)[..., 0])
    d = (p - np.eye(logits.shape[-1])[targets]) * mask[..., None]
    return float((nll * mask).sum() / mask.sum()), d / mask.sum()


@correct("masked_cross_entropy", "only the real positions, gathered with boolean indexing")
def _(logits, targets, mask):
    real = mask > 0
    rows, ids = logits[real].astype(np.float64), targets[real]  # (M, K), (M,)
    top = rows.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    loss = np.mean(lse - rows[np.arange(len(ids)), ids])
    g = np.exp(rows - lse[:, None])
    g[np.arange(len(ids)), ids] -= 1.0
    dlogits = np.zeros(logits.shape, dtype=logits.dtype)
    dlogits[real] = g / len(ids)
    return loss, dlogits


def _learner_beam(keep=None, score_of=None, finish_at_max=True):
    """A learner's beam search over the package's decoder_step (a plain model). ``keep``:
    how many prefixes stay alive (None: beam_size); ``score_of(logp, length, alpha)``."""
    from rnncourse.losses import log_softmax
    from rnncourse.seq2seq import decoder_step, encode

    score_of = score_of or (lambda lp, length, a: lp / length**a)

    def beam_search(params, x, x_mask, beam_size, max_len, length_alpha):
        h_enc, s0 = encode(params, x, x_mask)
        N = x.shape[0]
        tokens = np.zeros((N, max_len), dtype=np.int64)
        logp_out, score_out = np.zeros(N), np.zeros(N)
        for n in range(N):
            beams = [([], 0.0, s0[n])]  # (tokens, logp, state)
            done = []
            for _ in range(max_len):
                ext = []
                for toks, lp, s in beams:
                    logits, s_new, _ = decoder_step(
                        params, np.array([toks[-1] if toks else 1]), s[None], h_enc[n : n + 1],
                        x_mask[n : n + 1],
                    )  # fmt: skip
                    row = log_softmax(logits[0])
                    for v in range(3, len(row)):
                        ext.append(([*toks, v], lp + row[v], s_new[0]))
                    done.append(([*toks, 2], lp + row[2]))
                ext.sort(key=lambda e: -e[1])
                beams = ext[: beam_size if keep is None else keep]
            if finish_at_max:
                done += [(toks, lp) for toks, lp, _ in beams]
            toks, lp = max(done, key=lambda d: score_of(d[1], len(d[0]), length_alpha))
            tokens[n, : len(toks)] = toks
            logp_out[n], score_out[n] = lp, lp / len(toks) ** length_alpha
        return tokens, logp_out.astype(params["W_hy"].dtype), score_out.astype(params["W_hy"].dtype)

    return beam_search


mutant("beam_search", "greedy: one prefix kept", "not only the best one")(_learner_beam(keep=1))
mutant("beam_search", "ranked by logp alone", "not by logp")(
    _learner_beam(score_of=lambda lp, length, a: lp)
)
mutant("beam_search", "always the mean per token", "with length_alpha = 0")(
    _learner_beam(score_of=lambda lp, length, a: lp / length)
)
mutant("beam_search", "prefixes alive at max_len forgotten", "compete with the others")(
    _learner_beam(finish_at_max=False)
)
correct("beam_search", "one list of (tokens, logp, state) per beam, decoder_step per prefix")(
    _learner_beam()
)


def _learner_attention_backward(centre=True, tanh_grad=True, direct=True, with_dalpha=True):
    """attention_backward written step by step over the source steps (a learner's loop)."""

    def attention_backward(dcontext, dalpha, s, h_enc, mask, W_a, U_a, v_a):
        N, T, H = h_enc.shape
        q = s @ W_a.T  # (N, A)
        k = np.tanh(q[:, None, :] + np.einsum("nth,ah->nta", h_enc, U_a))
        e = np.einsum("nta,a->nt", k, v_a)
        alpha = _masked_softmax_loop(e, mask)
        g = np.einsum("nh,nth->nt", dcontext, h_enc)
        if dalpha is not None and with_dalpha:
            g = g + dalpha
        mean = (alpha * g).sum(axis=1, keepdims=True) if centre else 0.0
        de = alpha * (g - mean)
        ds, dh_enc = np.zeros_like(s), np.zeros_like(h_enc)
        dW_a, dU_a, dv_a = np.zeros_like(W_a), np.zeros_like(U_a), np.zeros_like(v_a)
        for t in range(T):
            dpre = de[:, t, None] * v_a * ((1 - k[:, t] ** 2) if tanh_grad else 1.0)  # (N, A)
            ds += dpre @ W_a
            dh_enc[:, t] = dpre @ U_a + (alpha[:, t, None] * dcontext if direct else 0.0)
            dW_a += dpre.T @ s
            dU_a += dpre.T @ h_enc[:, t]
            dv_a += (de[:, t, None] * k[:, t]).sum(axis=0)
        return ds, dh_enc, dW_a, dU_a, dv_a

    return attention_backward


mutant("attention_backward", "softmax gradient without the mean", "subtract the")(
    _learner_attention_backward(centre=False)
)
mutant("attention_backward", "the given dalpha left out", "when dalpha is given")(
    _learner_attention_backward(with_dalpha=False)
)
mutant("attention_backward", "h_enc only through the scores", "directly, besides")(
    _learner_attention_backward(direct=False)
)
correct("attention_backward", "a loop over the source steps")(_learner_attention_backward())
