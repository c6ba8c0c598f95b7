"""Deeper and both ways: stacked and bidirectional layers, composed from the cell registry.

A *stacked* (deep) RNN runs one cell per layer: layer l's hidden states, every step of them, are
layer l + 1's inputs. A *bidirectional* layer runs two cells over the same inputs, one forward
in time and one backward (from t = T-1 down to 0), and joins their hidden states at each step
by concatenation along the feature axis, the forward direction first: with one hidden size S
per direction (H, or the LSTM's projection P) the layer's output is (N, T, 2S), and that is
what the next layer receives. This is exactly how ``torch.nn.RNN/LSTM/GRU`` do it with
``num_layers`` and ``bidirectional=True``.

Nothing here is a new kernel: each (layer, direction) is ``CELLS[name].forward/backward``
(``rnncourse.cells``); the reversed direction is the same cell run on ``x[:, ::-1]``, its
states flipped back in time. The backward pass walks the layers from the top: the gradient on
a layer's output is split between its directions, each direction's ``dx`` is the gradient its
input receives, and the two directions' ``dx`` add up, because both read the same input.

Parameters: one flat dict, PyTorch's suffixes kept in the names
-------------------------------------------------------------
The cell's own parameter names (``rnncourse.cells``: RNN ``W_xh, W_hh, b_h``; LSTM ``W_ih, W_hh,
b`` (+ ``W_hr``); GRU ``W_ih, W_hh, b_ih, b_hh``) with ``_l{layer}`` appended, and ``_reverse``
after that for the backward direction, as in PyTorch's ``weight_ih_l1_reverse``:

    key                   shape (RNN; the gated cells stack 4H or 3H rows)
    W_xh_l0               (H, D)           layer 0 reads the inputs x (N, T, D)
    W_xh_l0_reverse       (H, D)           its backward direction, same input
    W_xh_l1               (H, dirs * S)    layer 1 reads layer 0's joined states
    W_hh_l1, b_h_l1, ...  as in one layer

``dirs`` is 2 for a bidirectional stack, 1 otherwise; S the state size. A dict without any
suffixed key (what ``from_torch`` returns for a one-layer, one-direction module) is one layer.

States: PyTorch's layout
------------------------
A state is a tuple with one array per state component (``(h,)``, or ``(h, c)`` for the LSTM),
each (L * dirs, N, size), the entry for layer l and direction d at index ``l * dirs + d``, as
PyTorch's ``h_n`` and ``c_n``. ``deep_forward`` returns the last hidden states of the top layer,
``out`` (N, T, dirs * S), and the state after the sequence, ``state_n``: for the forward
direction the state after step T-1, for the backward direction the state after it reached t = 0.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = init_deep("gru", 3, 4, rng, num_layers=2, bidirectional=True)
    >>> p["W_ih_l1"].shape, deep_layout(p)
    ((12, 8), (2, True))
    >>> out, (h_n,), cache = deep_forward("gru", p, rng.normal(size=(5, 6, 3)))
    >>> out.shape, h_n.shape
    ((5, 6, 8), (4, 5, 4))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rnncourse.cells import Cell, get_cell

__all__ = [
    "DeepCache",
    "bidirectional_rnn_forward",
    "deep_backward",
    "deep_forward",
    "deep_layout",
    "init_deep",
    "layer_params",
    "param_name",
    "split_name",
    "stacked_rnn_forward",
]

Params = dict[str, np.ndarray]
_SUFFIX = re.compile(r"^(?P<name>.+)_l(?P<layer>\d+)(?P<reverse>_reverse)?$")


def param_name(name: str, layer: int, reverse: bool = False) -> str:
    """The key of parameter ``name`` of (layer, direction): PyTorch's suffixes.

    >>> param_name("W_hh", 1, reverse=True)
    'W_hh_l1_reverse'
    """
    return f"{name}_l{layer}" + ("_reverse" if reverse else "")


def split_name(key: str) -> tuple[str, int, bool] | None:
    """(name, layer, reverse) of a suffixed key, or None for a key without a layer suffix.

    >>> split_name("W_ih_l2_reverse"), split_name("W_ih")
    (('W_ih', 2, True), None)
    """
    m = _SUFFIX.match(key)
    return None if m is None else (m["name"], int(m["layer"]), bool(m["reverse"]))


def _as_cell(cell: Cell | str) -> Cell:
    return get_cell(cell) if isinstance(cell, str) else cell


def deep_layout(params: Mapping[str, np.ndarray]) -> tuple[int, bool]:
    """(number of layers, bidirectional) of a parameter dict, read from its keys.

    Keys without a suffix are one layer, one direction. Layers must be numbered 0..L-1, and
    either every layer has a ``_reverse`` direction or none has.
    """
    parsed = [_SUFFIX.match(k) for k in params]
    if not any(parsed):
        return 1, False
    plain = sorted(k for k, m in zip(params, parsed, strict=True) if m is None)
    if plain:
        raise ValueError(
            f"mixed parameter names: {plain} have no '_l<layer>' suffix while others do; "
            "a stacked or bidirectional layer names every parameter with its layer"
        )
    layers = {int(m["layer"]) for m in parsed}
    if layers != set(range(len(layers))):
        raise ValueError(f"layers must be numbered 0..L-1, found {sorted(layers)}")
    reverse = {(int(m["layer"]), bool(m["reverse"])) for m in parsed}
    both = {(layer, True) in reverse for layer in layers}
    if len(both) != 1:
        raise ValueError("some layers have a '_reverse' direction and others do not")
    return len(layers), both.pop()


def layer_params(params: Mapping[str, np.ndarray], layer: int, reverse: bool = False) -> Params:
    """The parameters of one (layer, direction), under the cell's own names (no suffix)."""
    num_layers, bidirectional = deep_layout(params)
    if not 0 <= layer < num_layers or (reverse and not bidirectional):
        raise ValueError(
            f"no layer {layer}{' (reverse)' if reverse else ''}: the parameters have "
            f"{num_layers} layer(s){', both directions' if bidirectional else ''}"
        )
    if not any(_SUFFIX.match(k) for k in params):
        return dict(params)
    out = {}
    for key, value in params.items():
        m = _SUFFIX.match(key)
        if int(m["layer"]) == layer and bool(m["reverse"]) == reverse:
            out[m["name"]] = value
    return out


def init_deep(
    cell: Cell | str,
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    dtype: type = np.float64,
    **options: object,
) -> Params:
    """PyTorch's initialisation for every (layer, direction), in PyTorch's order (l0, l0_reverse,
    l1, ...). Layer 0 reads D inputs, every later layer dirs * S (S: the cell's state size)."""
    cell = _as_cell(cell)
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    dirs = 2 if bidirectional else 1
    params: Params = {}
    D_in = D
    for layer in range(num_layers):
        for d in range(dirs):
            p = cell.init(D_in, H, rng, dtype=dtype, **options)
            params.update({param_name(k, layer, d == 1): v for k, v in p.items()})
        D_in = dirs * cell.state_size(p)
    return params


@dataclass
class DeepCache:
    """What ``deep_backward`` needs: per (layer, direction), the input the cell ran on (time
    reversed for the backward direction), its initial state, its states and its cell cache."""

    runs: list[list[tuple[np.ndarray, tuple, np.ndarray, object]]]


def _initial_states(cell, per_layer, state0, N, dtype) -> list[list[tuple]]:
    """state0 (None, an array h0 or a tuple of (L*dirs, N, .) arrays) as a state per run."""
    dirs = len(per_layer[0])
    total = len(per_layer) * dirs
    if state0 is None:
        return [[cell.zero_state(p, N, dtype) for p in row] for row in per_layer]
    parts = (state0,) if isinstance(state0, np.ndarray) else tuple(state0)
    if not 1 <= len(parts) <= len(cell.state_names):
        raise ValueError(
            f"a {cell.name} state is {cell.state_names}, each (L*dirs, N, size); "
            f"got a tuple of {len(parts)}"
        )
    for name, a in zip(cell.state_names, parts, strict=False):
        if a.ndim != 3 or a.shape[0] != total or a.shape[1] != N:
            raise ValueError(
                f"the initial {name} must be (L*dirs, N, size) = ({total}, {N}, size), "
                f"PyTorch's layout; got {a.shape}"
            )
    out = []
    for layer, row in enumerate(per_layer):
        states = []
        for d, p in enumerate(row):
            k = layer * dirs + d
            given = tuple(a[k] for a in parts)
            states.append(cell.as_state(p, given[0] if len(given) == 1 else given))
        out.append(states)
    return out


def _flip(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a[:, ::-1])


def deep_forward(
    cell: Cell | str,
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    state0: object = None,
) -> tuple[np.ndarray, tuple[np.ndarray, ...], DeepCache]:
    """A stacked and/or bidirectional layer over x (N, T, D).

    Args:
        cell: a ``Cell`` or a registry name ("rnn", "lstm", "gru", ...).
        params: the flat dict of the module docstring (layers and directions from the keys).
        x: the inputs (N, T, D).
        state0: the initial state: None (zeros), an array h0 (L*dirs, N, S) (the LSTM's c0
            then zero), or a tuple of such arrays, one per state component.

    Returns:
        out (N, T, dirs*S): the top layer's hidden states, directions joined, forward first;
        state_n: a tuple, one (L*dirs, N, .) array per state component, PyTorch's h_n (c_n);
        cache: for ``deep_backward``.
    """
    cell = _as_cell(cell)
    num_layers, bidirectional = deep_layout(params)
    dirs = 2 if bidirectional else 1
    per_layer = [
        [layer_params(params, layer, d == 1) for d in range(dirs)] for layer in range(num_layers)
    ]
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must be (N, T, D), got an array of shape {x.shape}")
    starts = _initial_states(cell, per_layer, state0, x.shape[0], x.dtype)
    runs, last = [], []
    inp = x
    for layer in range(num_layers):
        row, outs = [], []
        for d in range(dirs):
            p, s0 = per_layer[layer][d], starts[layer][d]
            seen = _flip(inp) if d == 1 else inp
            h, c = cell.forward(p, seen, s0)
            row.append((seen, s0, h, c))
            last.append(cell.last_state(h, c))
            outs.append(_flip(h) if d == 1 else h)
        runs.append(row)
        inp = outs[0] if dirs == 1 else np.concatenate(outs, axis=2)
    state_n = tuple(np.stack([s[k] for s in last]) for k in range(len(cell.state_names)))
    return inp, state_n, DeepCache(runs)


def deep_backward(
    cell: Cell | str,
    params: Mapping[str, np.ndarray],
    cache: DeepCache,
    dout: np.ndarray,
    dstate_n: object = None,
) -> tuple[np.ndarray, tuple[np.ndarray, ...], Params]:
    """Gradients of a loss through ``deep_forward``.

    Args:
        cell, params: as given to ``deep_forward``.
        cache: its cache.
        dout: dL/d out (N, T, dirs*S), from the outputs.
        dstate_n: optional gradient on ``state_n`` (an array for h_n, or a tuple per state
            component, each (L*dirs, N, .)).

    Returns:
        dx (N, T, D), dstate0 (a tuple like ``state_n``: the gradient on the initial state) and
        the gradients under the parameters' own keys.
    """
    cell = _as_cell(cell)
    num_layers, bidirectional = deep_layout(params)
    dirs = 2 if bidirectional else 1
    n_comp = len(cell.state_names)
    if dstate_n is not None and isinstance(dstate_n, np.ndarray):
        dstate_n = (dstate_n,)
    suffixed = any(_SUFFIX.match(k) for k in params)
    grads: Params = {}
    dstate0: list = [None] * (num_layers * dirs)
    d_in = np.asarray(dout)
    for layer in reversed(range(num_layers)):
        dx_layer = None
        for d in range(dirs):
            p = layer_params(params, layer, d == 1)
            seen, s0, h, c = cache.runs[layer][d]
            S = h.shape[2]
            dh = d_in[:, :, d * S : (d + 1) * S]
            dh = _flip(dh) if d == 1 else np.ascontiguousarray(dh)
            k = layer * dirs + d
            ds = None
            if dstate_n is not None:
                ds = tuple(dstate_n[j][k] for j in range(len(dstate_n)))
                if len(ds) < n_comp:  # only h_n given: the other components' gradient is zero
                    ds += tuple(np.zeros_like(s) for s in s0[len(ds) :])
            dx, ds0, g = cell.backward(p, seen, s0, h, c, dh, ds)
            if d == 1:
                dx = _flip(dx)
            dx_layer = dx if dx_layer is None else dx_layer + dx
            dstate0[k] = ds0
            grads.update(
                {(param_name(n, layer, d == 1) if suffixed else n): v for n, v in g.items()}
            )
        d_in = dx_layer
    dstate = tuple(np.stack([s[j] for s in dstate0]) for j in range(n_comp))
    return d_in, dstate, grads


# --- the graded forms: a tanh RNN, arrays and a parameter dict in, arrays out ---------------


def stacked_rnn_forward(
    x: np.ndarray, h0: np.ndarray, params: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """A stack of L tanh RNN layers, one direction: layer l's states are layer l+1's inputs.

    x (N, T, D); h0 (L, N, H), h0[l] the initial state of layer l; params ``W_xh_l{l}`` ((H, D)
    for l = 0, (H, H) above), ``W_hh_l{l}`` (H, H), ``b_h_l{l}`` (H,). Returns out (N, T, H),
    the top layer's states, and h_n (L, N, H), every layer's last state (PyTorch's h_n).
    """
    _require_rnn(params, bidirectional=False)
    out, (h_n,), _ = deep_forward("rnn", params, x, h0)
    return out, h_n


def bidirectional_rnn_forward(
    x: np.ndarray, h0: np.ndarray, params: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """One bidirectional tanh RNN layer, its two directions joined as PyTorch joins them.

    x (N, T, D); h0 (2, N, H): h0[0] starts the forward direction, h0[1] the backward one;
    params ``W_xh_l0, W_hh_l0, b_h_l0`` and the same with ``_reverse``. Returns out (N, T, 2H),
    ``out[:, t] = [forward h_t, backward h_t]``, and h_n (2, N, H): the forward direction's state
    after step T-1 and the backward direction's after step 0.
    """
    _require_rnn(params, bidirectional=True)
    out, (h_n,), _ = deep_forward("rnn", params, x, h0)
    return out, h_n


def _require_rnn(params: Mapping[str, np.ndarray], *, bidirectional: bool) -> None:
    num_layers, both = deep_layout(params)
    if both != bidirectional or (bidirectional and num_layers != 1):
        want = "one layer with a '_reverse' direction" if bidirectional else "no '_reverse' keys"
        raise ValueError(f"expected {want}; got {num_layers} layer(s), bidirectional={both}")
