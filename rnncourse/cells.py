"""The registry of recurrent cells: the one place that knows each cell.

Every model of the package (``rnncourse.models``, the character model, classification,
forecasting, the adding grid, ``torch_interop``, the widgets, the memory-gradient experiment)
drives its cell through ``CELLS[name]``, a ``Cell``; none of them tells the cells apart by name
or by parameter keys. The maths stays in the cells' own pure modules (``rnncourse.rnn``,
``rnncourse.lstm``, ``rnncourse.gru``); a ``Cell`` is a small adapter over them.

What a Cell provides
--------------------
A *state* is a tuple of arrays, one per entry of ``state_names``: ``(h,)`` for the RNN and
the GRU, ``(h, c)`` for the LSTM, each (N, size). Sizes: N batch, T steps, D input, H hidden,
P projection (LSTM only; then h is (N, P) and c is (N, H)).

    name                      "rnn", "rnn-relu", "lstm", "gru", "gru-cho"
    state_names               ("h",) or ("h", "c")
    param_shapes(D, H, **o)   {parameter name: shape}, in the order ``init`` draws them
    init(D, H, rng, *, dtype, **o) -> params
                              PyTorch's initialisation (see below); options ``o``, listed
                              in ``init_options``: the LSTM's ``P`` and ``forget_bias``,
                              the RNNs' ``recurrent`` ("identity", "orthogonal") and
                              ``recurrent_scale``
    zero_state(params, N)     the all-zero state
    state_size(params)        the size of h (what an output layer reads)
    forward(params, x, state) -> (h, cache)
                              x (N, T, D); h (N, T, H or P), every hidden state; ``cache`` is
                              what ``backward`` and ``last_state`` need (the LSTM: its cell
                              states c, (N, T, H); the others: None)
    last_state(h, cache)      the state after step T, to carry into the next call (truncated
                              BPTT: the character model carries (h, c) from batch to batch)
    states(h, cache)          the whole trajectory of every state component, (h,) or (h, c)
    backward(params, x, state, h, cache, dh, dstate=None) -> (dx, dstate0, grads)
                              dh (N, T, H): gradients from the outputs at every step;
                              ``dstate``: optional gradient on the last state (a state tuple);
                              returns dx (N, T, D), the gradient on the initial state (a state
                              tuple) and {parameter name: gradient}
    step_backward(params, x_t, state_prev, state_t, dstate_t) -> (dx_t, dstate_prev, grads)
                              one step; ``dstate_t`` holds the total gradient on h_t and, for
                              the LSTM, the gradient reaching c_t from step t + 1
    state_grads(params, x_t, state_prev, state_t, dstate_t)
                              the whole gradient on each state component at step t, paths
                              inside the step included (the LSTM adds h_t = o_t tanh(c_t))
    torch                     a ``TorchLayout``: PyTorch's module class, how many gate blocks
                              are stacked in ``weight_ih``, which parameter holds what, and
                              whether the two PyTorch biases are kept apart; None when PyTorch
                              has no such layer ("gru-cho")

A ``state`` argument may also be a bare array h0: the other components then start at zero
(``CELLS["lstm"].forward(p, x, h0)`` starts from c0 = 0).

**Initialisation, one for every cell: PyTorch's.** Every weight and bias is uniform in
[-1/sqrt(H), 1/sqrt(H)], as in ``torch.nn.RNN/LSTM/GRU``. PyTorch keeps two biases, b_ih and
b_hh; the cells with one bias (RNN ``b_h``, LSTM ``b``) store their SUM, two uniform draws
added, so that the bias is distributed as PyTorch's effective bias. The GRU keeps both (its
reset gate multiplies ``W_hn h + b_hn``). ``init_rnn``, ``init_lstm`` and ``init_gru`` do
this through ``rnncourse.initialization``, where the rule is written once. ``forget_bias`` is
an explicit LSTM option that overwrites the forget-gate block after the draw.

How to add a cell
-----------------
Write its pure step and sequence functions in a module of their own (numpy only), then one
entry in ``CELLS``: a ``Cell`` whose ``run_forward``, ``run_backward`` and
``run_step_backward`` adapt them to the signatures above (they receive the state as a tuple;
the methods ``forward``, ``backward`` and ``step_backward`` normalise it first), its
``TorchLayout`` if PyTorch has the layer, and a test in
``tests/test_cells.py`` (the registry tests are parametrised over ``CELLS``: chunked forward and
backward equal one-shot, a numerical gradient check, the zero state, the init bounds).
Variants that change the computation, not the parameters, are separate entries, as
``_gru_cell(reset_after)`` makes "gru" and "gru-cho", and "rnn-relu" is the RNN with relu
(``rnncourse.rnn_relu``), whose ``TorchLayout`` has ``kwargs={"nonlinearity": "relu"}``;
``torch_interop`` picks the entry whose options match a module's. "rnn" and "rnn-relu" have the
same parameter names, so ``cell_of`` gives "rnn": pass the name where it matters. Initialisation options (``forget_bias``; later an orthogonal or
identity ``W_hh``) are keyword options of ``init``. Layers built *from* cells (stacked,
bidirectional, dropout between layers) compose ``forward``/``backward``: a layer's h is the
next layer's x, ``dx`` is the gradient the layer below receives, and the state in and out
makes a reversed direction or a carried state a matter of bookkeeping, not a new kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from rnncourse.gru import gru_backward, gru_forward, gru_step_backward, init_gru
from rnncourse.lstm import init_lstm, lstm_backward, lstm_forward, lstm_step_backward, sigmoid
from rnncourse.rnn import init_rnn, rnn_backward, rnn_forward, rnn_step_backward
from rnncourse.rnn_relu import init_recurrent, rnn_relu_backward, rnn_relu_forward

__all__ = ["CELLS", "Cell", "State", "TorchLayout", "cell_of", "get_cell"]

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class TorchLayout:
    """How a cell's parameters sit in PyTorch's layer (layer 0, one direction).

    module: the ``torch.nn`` class name; blocks: gate blocks stacked in ``weight_ih``
    (1, 3 or 4); weight_ih, weight_hh: the package's names for those; bias: the package's
    single bias (the sum bias_ih + bias_hh), or None when ``biases`` keeps PyTorch's two apart;
    projection: the name of ``weight_hr`` (LSTM with ``proj_size``) or None;
    kwargs: constructor options that select this cell (e.g. ``nonlinearity``).
    """

    module: str
    blocks: int
    weight_ih: str
    weight_hh: str
    bias: str | None = None
    biases: tuple[str, str] | None = None
    projection: str | None = None
    kwargs: Mapping[str, object] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """The package's parameter names, required ones first (the projection last)."""
        b = (self.bias,) if self.bias else tuple(self.biases or ())
        return (self.weight_ih, self.weight_hh, *b)


@dataclass(frozen=True)
class Cell:
    """How every model drives one kind of recurrent cell (see the module docstring)."""

    name: str
    state_names: tuple[str, ...]
    param_shapes: Callable[..., dict[str, tuple[int, ...]]]
    init: Callable[..., Params]
    run_forward: Callable[..., tuple[np.ndarray, object]]  # (p, x, state tuple)
    run_backward: Callable[..., tuple[np.ndarray, State, Params]]
    run_step_backward: Callable[..., tuple[np.ndarray, State, Params]]
    state_size: Callable[[Mapping[str, np.ndarray]], int]
    memory_size: Callable[[Mapping[str, np.ndarray]], int]  # the size of every other component
    torch: TorchLayout | None = None
    state_grads: Callable[..., State] | None = None
    init_options: tuple[str, ...] = ()  # keyword options of ``init`` beyond D, H, rng, dtype

    def zero_state(self, params: Mapping[str, np.ndarray], N: int, dtype=None) -> State:
        """The all-zero state for N sequences (dtype: the parameters' unless given)."""
        dtype = dtype or next(iter(params.values())).dtype
        sizes = [self.state_size(params)] + [self.memory_size(params)] * (len(self.state_names) - 1)
        return tuple(np.zeros((N, s), dtype=dtype) for s in sizes)

    def as_state(self, params: Mapping[str, np.ndarray], state: object) -> State:
        """``state`` as a tuple; a bare array is h0, the other components starting at zero."""
        if isinstance(state, np.ndarray):
            rest = self.zero_state(params, state.shape[0])[1:]
            return (state, *(np.zeros_like(r, dtype=state.dtype) for r in rest))
        state = tuple(state)
        if len(state) != len(self.state_names):
            raise ValueError(
                f"a {self.name} state is {self.state_names}, got a tuple of {len(state)}"
            )
        return state

    def forward(self, params, x: np.ndarray, state: object) -> tuple[np.ndarray, object]:
        """All hidden states h (N, T, H) from ``state``, and the cache for ``backward``."""
        return self.run_forward(params, x, self.as_state(params, state))

    def backward(self, params, x, state, h, cache, dh, dstate=None):
        """(dx, dstate0, grads): the gradients given dh (N, T, H) on every hidden state and,
        optionally, ``dstate`` on the last state."""
        state = self.as_state(params, state)
        if dstate is not None:
            dstate = self.as_state(params, dstate)
        return self.run_backward(params, x, state, h, cache, dh, dstate)

    def step_backward(self, params, x_t, state_prev, state_t, dstate_t):
        """(dx_t, dstate_prev, grads) of one step; ``dstate_t`` as in the module docstring."""
        return self.run_step_backward(
            params, x_t, self.as_state(params, state_prev), tuple(state_t), tuple(dstate_t)
        )

    def states(self, h: np.ndarray, cache: object) -> State:
        """Every state component at every step: ``(h,)`` or ``(h, c)``, each (N, T, ...)."""
        return (h,) if len(self.state_names) == 1 else (h, cache)

    def last_state(self, h: np.ndarray, cache: object) -> State:
        """The state after the last step (copies), to carry into the next call."""
        return tuple(s[:, -1].copy() for s in self.states(h, cache))

    def grads_of_state(self, params, x_t, state_prev, state_t, dstate_t) -> State:
        """The whole gradient on each state component at one step (``state_grads``)."""
        if self.state_grads is None:
            return tuple(dstate_t)
        return self.state_grads(params, x_t, state_prev, state_t, dstate_t)


# --- vanilla RNN ----------------------------------------------------------------------------


def _rnn_shapes(D: int, H: int) -> dict[str, tuple[int, ...]]:
    return {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,)}


def _rnn_init(
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    dtype: type = np.float64,
    recurrent: str | None = None,
    recurrent_scale: float = 1.0,
) -> Params:
    """PyTorch's draw; ``recurrent="identity"`` or ``"orthogonal"`` then replaces W_hh
    (``recurrent_scale`` times I or Q), and the identity also zeroes b_h (Le et al., 2015)."""
    p = dict(zip(_rnn_shapes(D, H), init_rnn(D, H, rng, dtype=dtype), strict=True))
    if recurrent is not None:
        p["W_hh"] = init_recurrent(p["W_hh"], recurrent, rng, recurrent_scale)
        if recurrent == "identity":
            p["b_h"] = np.zeros_like(p["b_h"])
    return p


def _plain_forward(sequence_forward):
    """The registry's forward for a one-state RNN (tanh or ReLU) with W_xh, W_hh, b_h."""

    def forward(p, x, state) -> tuple[np.ndarray, None]:
        return sequence_forward(x, state[0], p["W_xh"], p["W_hh"], p["b_h"]), None

    return forward


def _plain_backward(sequence_backward):
    """The registry's backward for a one-state RNN: the gradient on the last state joins dh."""

    def backward(p, x, state, h, cache, dh, dstate=None):
        if dstate is not None:
            dh = dh.copy()
            dh[:, -1] += dstate[0]
        dx, dh0, dW_xh, dW_hh, db_h = sequence_backward(dh, x, state[0], h, p["W_xh"], p["W_hh"])
        return dx, (dh0,), {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}

    return backward


_rnn_forward, _rnn_backward = _plain_forward(rnn_forward), _plain_backward(rnn_backward)


def _rnn_step_backward(p, x_t, state_prev, state_t, dstate_t):
    g = rnn_step_backward(dstate_t[0], x_t, state_prev[0], state_t[0], p["W_xh"], p["W_hh"])
    return g[0], (g[1],), {"W_xh": g[2], "W_hh": g[3], "b_h": g[4]}


_rnn_relu_forward = _plain_forward(rnn_relu_forward)
_rnn_relu_backward = _plain_backward(rnn_relu_backward)


def _rnn_relu_step_backward(p, x_t, state_prev, state_t, dstate_t):
    dx, dh0, dW_xh, dW_hh, db_h = rnn_relu_backward(
        dstate_t[0][:, None], x_t[:, None], state_prev[0], state_t[0][:, None], p["W_xh"], p["W_hh"]
    )
    return dx[:, 0], (dh0,), {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}


# --- LSTM -----------------------------------------------------------------------------------


def _lstm_shapes(D: int, H: int, P: int | None = None, forget_bias=None):
    shapes = {"W_ih": (4 * H, D), "W_hh": (4 * H, H if P is None else P), "b": (4 * H,)}
    if P is not None:
        shapes["W_hr"] = (P, H)
    return shapes


def _lstm_init(
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    dtype: type = np.float64,
    P: int | None = None,
    forget_bias: float | None = None,
) -> Params:
    arrays = init_lstm(D, H, rng, P=P, forget_bias=forget_bias, dtype=dtype)
    return dict(zip(_lstm_shapes(D, H, P), arrays, strict=True))


def _lstm_forward(p, x, state) -> tuple[np.ndarray, np.ndarray]:
    h, c = lstm_forward(x, state[0], state[1], p["W_ih"], p["W_hh"], p["b"], p.get("W_hr"))
    return h, c


def _lstm_backward(p, x, state, h, c, dh, dstate=None):
    dc_last = None
    if dstate is not None:
        dh = dh.copy()
        dh[:, -1] += dstate[0]
        dc_last = dstate[1]
    W_hr = p.get("W_hr")
    g = lstm_backward(
        dh, x, state[0], state[1], h, c, p["W_ih"], p["W_hh"], p["b"], W_hr, dc_last=dc_last
    )
    grads = {"W_ih": g[3], "W_hh": g[4], "b": g[5]}
    if W_hr is not None:
        grads["W_hr"] = g[6]
    return g[0], (g[1], g[2]), grads


def _lstm_step_backward(p, x_t, state_prev, state_t, dstate_t):
    W_hr = p.get("W_hr")
    g = lstm_step_backward(
        dstate_t[0], dstate_t[1], x_t, state_prev[0], state_prev[1],
        p["W_ih"], p["W_hh"], p["b"], W_hr,
    )  # fmt: skip
    grads = {"W_ih": g[3], "W_hh": g[4], "b": g[5]}
    if W_hr is not None:
        grads["W_hr"] = g[6]
    return g[0], (g[1], g[2]), grads


def _lstm_state_grads(p, x_t, state_prev, state_t, dstate_t) -> State:
    """dL/dc_t in full: from c_{t+1} (``dstate_t[1]``) and through h_t = o_t * tanh(c_t)."""
    if "W_hr" in p:
        raise ValueError("the whole cell-state gradient is not available with a projection")
    dh, dc = dstate_t
    H = state_t[1].shape[1]
    a_o = x_t @ p["W_ih"][3 * H :].T + state_prev[0] @ p["W_hh"][3 * H :].T + p["b"][3 * H :]
    o = sigmoid(a_o)  # (N, H) the output gate
    return dh, dc + dh * o * (1.0 - np.tanh(state_t[1]) ** 2)


# --- GRU ------------------------------------------------------------------------------------


def _gru_shapes(D: int, H: int) -> dict[str, tuple[int, ...]]:
    return {"W_ih": (3 * H, D), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)}


def _gru_init(D: int, H: int, rng: np.random.Generator, *, dtype: type = np.float64) -> Params:
    return dict(zip(_gru_shapes(D, H), init_gru(D, H, rng, dtype=dtype), strict=True))


def _gru_cell(name: str, reset_after: bool, torch: TorchLayout | None) -> Cell:
    def forward(p, x, state) -> tuple[np.ndarray, None]:
        h = gru_forward(x, state[0], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], reset_after)
        return h, None

    def backward(p, x, state, h, cache, dh, dstate=None):
        if dstate is not None:
            dh = dh.copy()
            dh[:, -1] += dstate[0]
        g = gru_backward(
            dh, x, state[0], h, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], reset_after
        )
        return g[0], (g[1],), {"W_ih": g[2], "W_hh": g[3], "b_ih": g[4], "b_hh": g[5]}

    def step_backward(p, x_t, state_prev, state_t, dstate_t):
        g = gru_step_backward(
            dstate_t[0], x_t, state_prev[0], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"],
            reset_after=reset_after,
        )  # fmt: skip
        return g[0], (g[1],), {"W_ih": g[2], "W_hh": g[3], "b_ih": g[4], "b_hh": g[5]}

    return Cell(
        name=name,
        state_names=("h",),
        param_shapes=_gru_shapes,
        init=_gru_init,
        run_forward=forward,
        run_backward=backward,
        run_step_backward=step_backward,
        state_size=lambda p: p["W_hh"].shape[1],
        memory_size=lambda p: p["W_hh"].shape[1],
        torch=torch,
    )


CELLS: dict[str, Cell] = {
    "rnn": Cell(
        name="rnn",
        state_names=("h",),
        param_shapes=_rnn_shapes,
        init=_rnn_init,
        run_forward=_rnn_forward,
        run_backward=_rnn_backward,
        run_step_backward=_rnn_step_backward,
        state_size=lambda p: p["W_hh"].shape[0],
        memory_size=lambda p: p["W_hh"].shape[0],
        torch=TorchLayout("RNN", 1, "W_xh", "W_hh", bias="b_h", kwargs={"nonlinearity": "tanh"}),
        init_options=("recurrent", "recurrent_scale"),
    ),
    # the same parameters, relu instead of tanh (torch.nn.RNN(nonlinearity="relu"))
    "rnn-relu": Cell(
        name="rnn-relu",
        state_names=("h",),
        param_shapes=_rnn_shapes,
        init=_rnn_init,
        run_forward=_rnn_relu_forward,
        run_backward=_rnn_relu_backward,
        run_step_backward=_rnn_relu_step_backward,
        state_size=lambda p: p["W_hh"].shape[0],
        memory_size=lambda p: p["W_hh"].shape[0],
        torch=TorchLayout("RNN", 1, "W_xh", "W_hh", bias="b_h", kwargs={"nonlinearity": "relu"}),
        init_options=("recurrent", "recurrent_scale"),
    ),
    "lstm": Cell(
        name="lstm",
        state_names=("h", "c"),
        param_shapes=_lstm_shapes,
        init=_lstm_init,
        run_forward=_lstm_forward,
        run_backward=_lstm_backward,
        run_step_backward=_lstm_step_backward,
        state_size=lambda p: p["W_hh"].shape[1],  # H, or P with a projection
        memory_size=lambda p: p["W_hh"].shape[0] // 4,  # H
        torch=TorchLayout("LSTM", 4, "W_ih", "W_hh", bias="b", projection="W_hr"),
        state_grads=_lstm_state_grads,
        init_options=("P", "forget_bias"),
    ),
    # PyTorch's GRU (the reset gate applied after W_hn h), and Cho et al.'s (2014, before)
    "gru": _gru_cell("gru", True, TorchLayout("GRU", 3, "W_ih", "W_hh", biases=("b_ih", "b_hh"))),
    "gru-cho": _gru_cell("gru-cho", False, None),
}


def get_cell(name: str) -> Cell:
    """``CELLS[name]``, with an error that lists the choices.

    >>> get_cell("lstm").state_names
    ('h', 'c')
    >>> get_cell("lstmm")
    Traceback (most recent call last):
    ...
    ValueError: unknown cell 'lstmm'; choose one of ['gru', 'gru-cho', 'lstm', 'rnn', 'rnn-relu']
    """
    try:
        return CELLS[name]
    except KeyError:
        raise ValueError(f"unknown cell {name!r}; choose one of {sorted(CELLS)}") from None


def cell_of(params: Mapping[str, np.ndarray]) -> Cell:
    """The cell whose parameters these are, told by their names (the one place that does).

    "gru" and "gru-cho" have the same parameters: this gives "gru"; "rnn" and "rnn-relu"
    too: this gives "rnn". Pass the name where it matters.

    >>> cell_of({"W_ih": 0, "W_hh": 0, "b": 0, "W_hy": 0}).name
    'lstm'
    """
    keys = set(params)
    for cell in CELLS.values():
        if set(cell.param_shapes(1, 2)) <= keys:
            return cell
    raise ValueError(f"cannot tell the cell from the parameter names {sorted(keys)}")
