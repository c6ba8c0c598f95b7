"""What every cell's sequence functions promise (rnncourse.rnn, .lstm, .gru), tested once for all three.

The sequence forms (``*_forward``, ``*_backward``) batch work across steps for speed; here each
must equal its step form in a loop, match numerical gradients, keep float32 as float32, leave
its inputs alone, stay finite when the gates saturate, and name the argument of a wrong shape.
Tests particular to one cell (worked examples, PyTorch, initialisation) stay in its own file.
Also the shared helpers of ``rnncourse._cells``.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncourse._cells import check_sequence, check_shapes, sigmoid, split_gates, tanh_into
from rnncourse.gradcheck import check_gradients, rel_error
from rnncourse.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward, init_gru
from rnncourse.lstm import (
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from rnncourse.rnn import init_rnn, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

# (N, T, D, H): N=1, T=1, and shapes with every letter different
RNN_SHAPES = [(1, 1, 1, 1), (1, 4, 3, 5), (3, 1, 4, 2), (2, 5, 3, 4), (4, 3, 6, 5), (5, 7, 2, 3)]
GRU_SHAPES = [(1, 1, 1, 1), (1, 4, 3, 5), (3, 1, 4, 2), (2, 5, 3, 4), (4, 3, 6, 5), (5, 2, 2, 3)]
# (N, T, D, H, P): with and without a projection
LSTM_SHAPES = [
    (1, 1, 1, 1, None),
    (1, 4, 3, 5, None),
    (3, 1, 4, 2, None),
    (2, 5, 3, 4, None),
    (4, 3, 6, 5, 2),
    (1, 3, 2, 4, 1),
    (3, 1, 2, 5, 3),
]
# N*H > 256: the exp-based tanh in the sequence forms. The LSTM's last two: its backward works
# in chunks of 2**17 // (N * 4H) = 16 steps, so T = 40 spans three chunks (16, 16, 8).
RNN_BIG = [(6, 4, 3, 50), (24, 30, 3, 20)]
GRU_BIG = [(6, 4, 3, 50), (3, 5, 7, 90)]
LSTM_BIG = [(6, 4, 3, 50, None), (5, 3, 4, 60, 7)]
LSTM_CHUNKED = [(32, 40, 3, 64, None), (32, 40, 3, 64, 7)]


def _sum_into(sums, grads):
    return list(grads) if sums is None else [s + g for s, g in zip(sums, grads, strict=True)]


class RNN:
    """The vanilla RNN: inputs x, h0, W_xh, W_hh, b_h; output h."""

    name = "rnn"
    shapes = RNN_SHAPES
    big = RNN_BIG
    scales = (0.5, 1.0, 3.0)  # weights scaled: saturated and contracting regimes
    forward_tol = (1e-13, 1e-15)  # rtol, atol
    backward_tol = (1e-12, 1e-14)  # element-wise rtol, atol, besides the norm-wise 1e-12

    def grad_seed(self, shape):  # the numerical gradient check's seed
        return 7

    def make(self, shape, rng, dtype=np.float64, scale=1.0):
        N, T, D, H = shape
        W_xh, W_hh, b_h = init_rnn(D, H, rng)
        x = rng.normal(size=(N, T, D))
        h0 = 0.5 * rng.normal(size=(N, H))
        d = dict(x=x, h0=h0, W_xh=scale * W_xh, W_hh=scale * W_hh, b_h=b_h)
        return {k: v.astype(dtype) for k, v in d.items()}

    def forward(self, **d):
        return (rnn_forward(**d),)

    def backward_call(self, d, douts):
        """The public backward and its arguments by name (the forward's outputs among them)."""
        h = rnn_forward(**d)
        return rnn_backward, dict(
            dh=douts[0], x=d["x"], h0=d["h0"], h=h, W_xh=d["W_xh"], W_hh=d["W_hh"]
        )

    def loop_forward(self, d):
        h_prev, hs = d["h0"], []
        for t in range(d["x"].shape[1]):
            h_prev = rnn_step_forward(d["x"][:, t], h_prev, d["W_xh"], d["W_hh"], d["b_h"])
            hs.append(h_prev)
        return (np.stack(hs, axis=1),)

    def loop_backward(self, d, douts):
        (dh,) = douts
        h = rnn_forward(**d)
        dx, sums, dh_next = np.zeros_like(d["x"]), None, np.zeros_like(d["h0"])
        for t in reversed(range(d["x"].shape[1])):
            h_prev = h[:, t - 1] if t > 0 else d["h0"]
            dx[:, t], dh_next, *gw = rnn_step_backward(
                dh[:, t] + dh_next, d["x"][:, t], h_prev, h[:, t], d["W_xh"], d["W_hh"]
            )
            sums = _sum_into(sums, gw)
        return [dx, dh_next, *sums]


class LSTM:
    """The LSTM, with or without a projection: inputs x, h0, c0, W_ih, W_hh, b (, W_hr).

    Outputs h and, with ``dc_last``, the last cell state c_T (its gradient is ``dc_last``).
    """

    shapes = LSTM_SHAPES
    big = LSTM_BIG + LSTM_CHUNKED
    scales = (1.0,)
    forward_tol = (1e-12, 1e-14)  # rtol, atol
    backward_tol = None

    def grad_seed(self, shape):  # the numerical gradient check's seed
        N, T, D, H = shape[:4]
        return N + 10 * T + 100 * H

    def __init__(self, dc_last: bool):
        self.dc_last = dc_last
        self.name = "lstm_dc_last" if dc_last else "lstm"

    def make(self, shape, rng, dtype=np.float64, scale=1.0):
        N, T, D, H, P = shape
        params = init_lstm(D, H, rng, P=P)
        d = dict(zip(["W_ih", "W_hh", "b", "W_hr"], params, strict=False))
        d["W_ih"], d["W_hh"] = scale * d["W_ih"], scale * d["W_hh"]
        d["x"] = rng.normal(size=(N, T, D))
        d["h0"] = 0.5 * rng.normal(size=(N, H if P is None else P))
        d["c0"] = rng.normal(size=(N, H))
        names = ["x", "h0", "c0", "W_ih", "W_hh", "b", "W_hr"]
        return {k: d[k].astype(dtype) for k in names if k in d}

    def forward(self, **d):
        h, c = lstm_forward(**d)
        return (h, c[:, -1]) if self.dc_last else (h,)

    def backward_call(self, d, douts):
        h, c = lstm_forward(**d)
        kwargs = dict(dh=douts[0], x=d["x"], h0=d["h0"], c0=d["c0"], h=h, c=c)
        kwargs.update({k: d[k] for k in ("W_ih", "W_hh", "b", "W_hr") if k in d})
        if self.dc_last:
            kwargs["dc_last"] = douts[1]
        return lstm_backward, kwargs

    def _params(self, d):
        return d["W_ih"], d["W_hh"], d["b"], d.get("W_hr")

    def loop_forward(self, d):
        h_prev, c_prev, hs = d["h0"], d["c0"], []
        for t in range(d["x"].shape[1]):
            h_prev, c_prev = lstm_step_forward(d["x"][:, t], h_prev, c_prev, *self._params(d))
            hs.append(h_prev)
        h = np.stack(hs, axis=1)
        return (h, c_prev) if self.dc_last else (h,)

    def loop_backward(self, d, douts):
        dh = douts[0]
        h, c = lstm_forward(**d)
        dx, sums = np.zeros_like(d["x"]), None
        dh_next = np.zeros_like(d["h0"])
        dc_next = douts[1] if self.dc_last else np.zeros_like(d["c0"])
        for t in reversed(range(d["x"].shape[1])):
            h_prev = h[:, t - 1] if t else d["h0"]
            c_prev = c[:, t - 1] if t else d["c0"]
            out = lstm_step_backward(
                dh[:, t] + dh_next, dc_next, d["x"][:, t], h_prev, c_prev, *self._params(d)
            )
            dx[:, t], dh_next, dc_next = out[:3]
            sums = _sum_into(sums, out[3:])
        return [dx, dh_next, dc_next, *sums]


class GRU:
    """The GRU in one of its two variants: inputs x, h0, W_ih, W_hh, b_ih, b_hh; output h."""

    shapes = GRU_SHAPES
    big = GRU_BIG
    scales = (1.0,)
    forward_tol = (1e-12, 1e-14)  # rtol, atol
    backward_tol = None

    def grad_seed(self, shape):  # the numerical gradient check's seed
        N, T, D, H = shape[:4]
        return N + 10 * T + 100 * H

    def __init__(self, reset_after: bool):
        self.reset_after = reset_after
        self.name = "gru" if reset_after else "gru_cho"

    def make(self, shape, rng, dtype=np.float64, scale=1.0):
        N, T, D, H = shape
        d = dict(zip(["W_ih", "W_hh", "b_ih", "b_hh"], init_gru(D, H, rng), strict=True))
        d["W_ih"], d["W_hh"] = scale * d["W_ih"], scale * d["W_hh"]
        d["x"] = rng.normal(size=(N, T, D))
        d["h0"] = 0.5 * rng.normal(size=(N, H))
        names = ["x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"]
        return {k: d[k].astype(dtype) for k in names}

    def forward(self, **d):
        return (gru_forward(**d, reset_after=self.reset_after),)

    def _params(self, d):
        return d["W_ih"], d["W_hh"], d["b_ih"], d["b_hh"]

    def backward_call(self, d, douts):
        (h,) = self.forward(**d)
        kwargs = dict(dh=douts[0], x=d["x"], h0=d["h0"], h=h)
        kwargs.update({k: d[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")})
        return functools.partial(gru_backward, reset_after=self.reset_after), kwargs

    def loop_forward(self, d):
        h_prev, hs = d["h0"], []
        for t in range(d["x"].shape[1]):
            h_prev = gru_step_forward(
                d["x"][:, t], h_prev, *self._params(d), reset_after=self.reset_after
            )
            hs.append(h_prev)
        return (np.stack(hs, axis=1),)

    def loop_backward(self, d, douts):
        (dh,) = douts
        (h,) = self.forward(**d)
        dx, sums, dh_next = np.zeros_like(d["x"]), None, np.zeros_like(d["h0"])
        for t in reversed(range(d["x"].shape[1])):
            h_prev = h[:, t - 1] if t else d["h0"]
            out = gru_step_backward(
                dh[:, t] + dh_next, d["x"][:, t], h_prev, *self._params(d),
                reset_after=self.reset_after,
            )  # fmt: skip
            dx[:, t], dh_next = out[:2]
            sums = _sum_into(sums, out[2:])
        return [dx, dh_next, *sums]


def sequence_backward(cell, d, douts):
    """The cell's public sequence backward: gradients for every input, in the inputs' order."""
    fn, kwargs = cell.backward_call(d, douts)
    return fn(**kwargs)


CELLS = [RNN(), LSTM(dc_last=False), LSTM(dc_last=True), GRU(reset_after=True), GRU(False)]


def cases(*, big=False, scales=False):
    """(cell, shape, scale) for every cell, as pytest parameters with readable ids."""
    out = []
    for cell in CELLS:
        for shape in cell.shapes + (cell.big if big else []):
            for scale in cell.scales if scales else (1.0,):
                tail = f"-x{scale}" if scales and len(cell.scales) > 1 else ""
                out.append(pytest.param(cell, shape, scale, id=f"{cell.name}-{shape}{tail}"))
    return out


def upstream(rng, outs):
    return tuple(rng.normal(size=o.shape) for o in outs)


# ----------------------------------------------------------------------------- step = sequence
@pytest.mark.parametrize("cell,shape,scale", cases(big=True))
def test_sequence_forward_equals_loop_of_steps(cell, shape, scale):
    d = cell.make(shape, np.random.default_rng(0))
    for got, want in zip(cell.forward(**d), cell.loop_forward(d), strict=True):
        rtol, atol = cell.forward_tol
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("cell,shape,scale", cases(big=True))
def test_sequence_backward_equals_loop_of_step_backwards(cell, shape, scale):
    """The sequence backward is the step backward in a loop, weight gradients summed over t."""
    rng = np.random.default_rng(3)
    d = cell.make(shape, rng)
    douts = upstream(rng, cell.forward(**d))
    seq = sequence_backward(cell, d, douts)
    loop = cell.loop_backward(d, douts)
    assert len(seq) == len(loop) == len(d)  # one gradient per input, in the inputs' order
    for name, a, e in zip(d, seq, loop, strict=True):
        assert a.shape == e.shape == d[name].shape, name
        assert rel_error(a, e) < 1e-12, name
        if cell.backward_tol is not None:
            rtol, atol = cell.backward_tol
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=name)


# ----------------------------------------------------------------------------- numerical gradients
@pytest.mark.parametrize("cell,shape,scale", cases(scales=True))
def test_sequence_backward_matches_numerical_gradients(cell, shape, scale):
    rng = np.random.default_rng(cell.grad_seed(shape))
    d = cell.make(shape, rng, scale=scale)

    def backward(dout, out):
        return dict(zip(d, sequence_backward(cell, d, dout), strict=True))

    report = check_gradients(cell.forward, backward, d, rng=rng)
    assert report.ok(1e-7), str(report)
    assert [e.name for e in report.entries] == list(d)  # every input checked


# ----------------------------------------------------------------------------- dtypes, purity
@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
@settings(derandomize=True, deadline=None, max_examples=25)
@given(
    N=st.integers(1, 4),
    T=st.integers(1, 6),
    D=st.integers(1, 5),
    H=st.integers(1, 6),
    proj=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_dtype_preserved_and_inputs_untouched(cell, N, T, D, H, proj, dtype):
    shape = (N, T, D, H)
    if isinstance(cell, LSTM):
        shape = (*shape, H - 1 if proj and H > 1 else None)
    rng = np.random.default_rng(0)
    d = cell.make(shape, rng, dtype=dtype)
    before = {k: v.copy() for k, v in d.items()}
    outs = cell.forward(**d)
    assert all(o.dtype == dtype for o in outs)
    (h, *_) = outs
    assert h.shape == (N, T, d["h0"].shape[1])
    douts = tuple(u.astype(dtype) for u in upstream(rng, outs))
    fn, kwargs = cell.backward_call(d, douts)
    before_backward = {k: v.copy() for k, v in kwargs.items()}
    grads = fn(**kwargs)
    assert len(grads) == len(d)
    for name, g in zip(d, grads, strict=True):
        assert g.dtype == dtype, name
        assert g.shape == d[name].shape, name
    for k, v in [*before.items(), *before_backward.items()]:
        np.testing.assert_array_equal({**d, **kwargs}[k], v, err_msg=f"{k} was modified")
    if isinstance(cell, LSTM):  # the cell states too
        c = lstm_forward(**d)[1]
        assert c.shape == (N, T, H) and c.dtype == dtype
    # the step forms keep the dtype too
    for o in cell.loop_forward({k: v[:, :1] if k == "x" else v for k, v in d.items()}):
        assert o.dtype == dtype
    if dtype == np.float32:  # float32 agrees with float64 to float32 precision
        d64 = {k: v.astype(np.float64) for k, v in d.items()}
        np.testing.assert_allclose(h, cell.forward(**d64)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
def test_saturated_gates_stay_finite_without_warnings(cell):
    # pre-activations of +-1000: exp overflows inside; the result is exact saturation
    shape = (3, 4, 2, 100) + ((None,) if isinstance(cell, LSTM) else ())
    d = cell.make(shape, np.random.default_rng(1))
    d["x"] = d["x"] * 1e4
    outs = cell.forward(**d)
    assert all(np.isfinite(o).all() for o in outs)
    grads = sequence_backward(cell, d, tuple(np.ones_like(o) for o in outs))
    assert all(np.isfinite(g).all() for g in grads)


# ----------------------------------------------------------------------------- shape checks
def _sequence_calls():
    """(function, arguments by name, {argument: its shape in the course's letters}).

    N = 2, T = 3, D = 4, H = 5 (P = 2): every letter different. The letters name every
    argument checked against sizes read from others (N, T, D from x; H, P from a weight or h, c).
    """
    rng = np.random.default_rng(0)
    N, T, D, H, P = 2, 3, 4, 5, 2
    r = RNN().make((N, T, D, H), rng)
    h = rnn_forward(**r)
    yield rnn_forward, r, {"W_xh": "(H, D)", "W_hh": "(H, H)", "b_h": "(H,)", "h0": "(N, H)"}
    back = dict(dh=np.ones_like(h), x=r["x"], h0=r["h0"], h=h, W_xh=r["W_xh"], W_hh=r["W_hh"])
    yield (
        rnn_backward,
        back,
        {"dh": "(N, T, H)", "h0": "(N, H)", "W_xh": "(H, D)", "W_hh": "(H, H)"},
    )
    for proj in (None, P):
        lstm = LSTM(dc_last=False).make((N, T, D, H, proj), rng)
        hs, cs = lstm_forward(**lstm)
        Hh = "H" if proj is None else "P"
        letters = {
            "W_ih": "(4H, D)",
            "W_hh": f"(4H, {Hh})",
            "b": "(4H,)",
            "h0": f"(N, {Hh})",
            "c0": "(N, H)",
            **({} if proj is None else {"W_hr": "(P, H)"}),
        }
        yield lstm_forward, lstm, letters
        back = dict(dh=np.ones_like(hs), h=hs, c=cs, **lstm, dc_last=np.ones((N, H)))
        yield lstm_backward, back, {**letters, "dh": f"(N, T, {Hh}), like h", "dc_last": "(N, H)"}
    g = GRU(True).make((N, T, D, H), rng)
    hg = gru_forward(**g)
    letters = {
        "W_ih": "(3H, D)",
        "W_hh": "(3H, H)",
        "b_ih": "(3H,)",
        "b_hh": "(3H,)",
        "h0": "(N, H)",
    }
    yield gru_forward, g, letters
    back = dict(dh=np.ones_like(hg), x=g["x"], h0=g["h0"], h=hg)
    back.update({k: g[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")})
    yield gru_backward, back, {**letters, "dh": "(N, T, H)"}


SHAPE_CASES = [
    pytest.param(fn, kwargs, name, letters[name], id=f"{fn.__name__}-{name}-{i}")
    for i, (fn, kwargs, letters) in enumerate(_sequence_calls())
    for name in letters
]


@pytest.mark.parametrize("fn,kwargs,name,letters", SHAPE_CASES)
def test_a_wrong_shape_is_named_with_its_letters(fn, kwargs, name, letters):
    """Every public sequence function: an argument one column too wide is named in the error,
    with the shape expected (in numbers and in the course's letters) and the shape got."""
    good = kwargs[name].shape
    bad = (*good[:-1], good[-1] + 1)
    if name == "W_hh" and fn is gru_forward:  # gru_forward reads H from W_hh's columns
        bad = (good[0] + 1, good[1])
    args = {**kwargs, name: np.zeros(bad)}
    pattern = rf"{fn.__name__}: {name} should be {re.escape(str(good))}, got {re.escape(str(bad))}"
    with pytest.raises(ValueError, match=pattern) as info:
        fn(**args)
    assert f"({name} is {letters} with N=2" in str(info.value)


@pytest.mark.parametrize("fn", [rnn_forward, lstm_forward, gru_forward], ids=lambda f: f.__name__)
def test_a_forward_wants_a_batch_of_sequences(fn):
    kwargs = next(k for f, k, _ in _sequence_calls() if f is fn)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: x should be \(N, T, D\), got shape"):
        fn(**{**kwargs, "x": kwargs["x"][:, 0]})


@pytest.mark.parametrize(
    "fn", [rnn_backward, lstm_backward, gru_backward], ids=lambda f: f.__name__
)
def test_a_backward_wants_sequences(fn):
    for kwargs in (k for f, k, _ in _sequence_calls() if f is fn):
        for name in ("x", "h", "c") if fn is lstm_backward else ("x", "h"):
            with pytest.raises(ValueError, match=rf"{fn.__name__}: {name} should be \(N, T, "):
                fn(**{**kwargs, name: kwargs[name][:, 0]})


# ----------------------------------------------------------------------------- rnncourse._cells
def test_sigmoid_and_fast_tanh():
    a = np.linspace(-800.0, 800.0, 2001)
    np.testing.assert_allclose(sigmoid(a), 0.5 * (1 + np.tanh(a / 2)), rtol=1e-13, atol=1e-16)
    out = np.empty_like(a)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(tanh_into(a, out), np.tanh(a), rtol=0, atol=4e-16)
    small = np.linspace(-3, 3, 10)
    np.testing.assert_array_equal(tanh_into(small, np.empty_like(small)), np.tanh(small))


def test_sigmoid_is_defined_once_and_public_where_learners_find_it():
    import rnncourse
    import rnncourse.lstm

    assert rnncourse.sigmoid is rnncourse.lstm.sigmoid is sigmoid
    assert sigmoid.__module__ == "rnncourse._cells"


def test_split_gates_gives_views():
    a = np.arange(12.0).reshape(1, 12)
    blocks = split_gates(a, 4)
    assert [b.shape for b in blocks] == [(1, 3)] * 4
    blocks[2][:] = -1
    assert (a[0, 6:9] == -1).all()  # a view: writing a block writes the stacked array


def test_check_shapes_names_the_first_wrong_argument_and_accepts_lists():
    sizes, letters = {"N": 2, "H": 3}, {"h0": "(N, H)", "b": "(H,)"}
    check_shapes("f", sizes, letters, h0=([[0.0] * 3] * 2, (2, 3)), b=(np.zeros(3), (3,)))
    message = r"^f: b should be \(3,\), got \(2,\) \(b is \(H,\) with N=2, H=3\)$"
    with pytest.raises(ValueError, match=message):
        check_shapes("f", sizes, letters, h0=(np.zeros((2, 3)), (2, 3)), b=(np.zeros(2), (3,)))
    with pytest.raises(ValueError, match=r"x should be \(N, T, D\), got shape \(2,\)"):
        check_sequence("f", "x", [1.0, 2.0], "(N, T, D)")
