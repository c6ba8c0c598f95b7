"""Moving parameters between PyTorch's ``nn.RNN / nn.LSTM / nn.GRU`` and this package.

The package stores every weight matrix in PyTorch's layout, ``(out_features, in_features)``,
with the same gate order (LSTM i, f, g, o; GRU r, z, n), so no weight needs reshaping. Two things
differ: the names, and the biases of the RNN and the LSTM, which the package keeps as one (the
sum of PyTorch's two; the GRU keeps both, as PyTorch does):

    PyTorch (layer 0)          RNN            LSTM                    GRU
    weight_ih_l0               W_xh (H, D)    W_ih (4H, D)            W_ih (3H, D)
    weight_hh_l0               W_hh (H, H)    W_hh (4H, H) or (4H, P) W_hh (3H, H)
    bias_ih_l0 + bias_hh_l0    b_h (H,)       b (4H,)                 b_ih, b_hh kept apart
    weight_hr_l0 (proj_size)   -              W_hr (P, H)             -

Going back, the single bias is written as ``bias_ih = b`` and ``bias_hh = 0``: the sum is
what the layer computes, so that is the same function. (The GRU keeps both biases because
its reset gate multiplies ``W_hn h + b_hn``: there they are not interchangeable.)

Recipe, with a torch module (torch is imported only when you pass one):

    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    p = from_torch(lstm)                           # {"W_ih", "W_hh", "b"}
    h, c = lstm_forward(x, h0, c0, p["W_ih"], p["W_hh"], p["b"])
    out, (h_n, c_n) = lstm(torch.tensor(x), (torch.tensor(h0[None]), torch.tensor(c0[None])))
    # out equals h; h_n[0] equals h[:, -1]; c_n[0] equals c[:, -1]

    lstm2 = to_torch(p, "lstm")                    # a new torch.nn.LSTM computing the same
    lstm.load_state_dict(to_state_dict(p, "lstm", as_tensors=True))   # or into an existing one

PyTorch's layers take (T, N, D) unless ``batch_first=True``; the package takes (N, T, D).
Initial states have a leading layer axis in PyTorch: ``h0[None]`` is PyTorch's ``h_0``.

Several layers and both directions (``num_layers`` > 1, ``bidirectional=True``): every
(layer, direction) converts as one layer does, and the package keeps PyTorch's suffixes on its
own names, ``_l{layer}`` and then ``_reverse`` for the backward direction (the flat dict of
``rnncourse.deep``, which runs it: ``deep_forward(cell, p, x, state0)``):

    PyTorch                          package            shape (LSTM; RNN H rows, GRU 3H)
    weight_ih_l0                     W_ih_l0            (4H, D)
    weight_ih_l0_reverse             W_ih_l0_reverse    (4H, D)
    weight_ih_l1                     W_ih_l1            (4H, dirs * S), S = H or P
    weight_hh_l1_reverse             W_hh_l1_reverse    (4H, S)
    bias_ih_l1 + bias_hh_l1          b_l1               (4H,); GRU: b_ih_l1, b_hh_l1
    weight_hr_l1 (proj_size)         W_hr_l1            (P, H)

A module with one layer and one direction keeps the names without suffix (the table above),
as before. States keep PyTorch's layout, (num_layers * num_directions, N, S), layer l and
direction d at index ``l * dirs + d``. ``dropout`` between layers acts only in training mode:
it is not part of the function, and ``from_torch`` ignores it.

    gru = torch.nn.GRU(D, H, num_layers=2, bidirectional=True, batch_first=True,
                       dtype=torch.float64)
    p = from_torch(gru)                    # W_ih_l0, ..., b_hh_l1_reverse
    out, (h_n,), cache = deep_forward("gru", p, x, h0)   # h0: (4, N, H), as torch's h_0
    gru2 = to_torch(p, batch_first=True)   # num_layers=2, bidirectional=True

Supported: tanh RNN ("rnn"), ReLU RNN ("rnn-relu", ``nonlinearity="relu"``), LSTM with or
without ``proj_size``, GRU, any number of layers, one or two directions; ``bias=False`` loads
(as zero biases). A state dict does not record the nonlinearity: pass ``cell="rnn-relu"``. Not
supported, with a clear error: ``nn.RNNCell/LSTMCell/GRUCell`` (other key names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from rnncourse.cells import CELLS, TorchLayout, cell_of
from rnncourse.deep import deep_layout, layer_params, param_name, split_name

__all__ = ["from_torch", "to_state_dict", "to_torch"]

# every cell of the registry that PyTorch has, and its layout (rnncourse.cells.TorchLayout)
_LAYOUTS: dict[str, TorchLayout] = {n: c.torch for n, c in CELLS.items() if c.torch is not None}
CELL_KINDS = {n: t.blocks for n, t in _LAYOUTS.items()}  # blocks stacked in W_ih
_TORCH_CLASSES = {t.module: n for n, t in _LAYOUTS.items()}  # a module's first (default) cell
_KNOWN = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"}


def _to_numpy(v: object) -> np.ndarray:
    if hasattr(v, "detach"):  # a torch tensor
        v = v.detach().cpu().numpy()
    return np.array(v, copy=True)


def _check_module(module: object) -> str:
    name = type(module).__name__
    if name not in _TORCH_CLASSES:
        raise TypeError(
            f"expected a torch.nn.RNN, LSTM or GRU (or its state_dict()), got {name}"
            + ("; the *Cell classes are not supported" if name.endswith("Cell") else "")
        )
    cell = _cell_for_options(module)
    for option, value in _LAYOUTS[cell].kwargs.items():
        if getattr(module, option, value) != value:
            raise ValueError(
                f"the package's {cell} has {option}={value!r}; this {name} has "
                f"{option}={getattr(module, option)!r}"
            )
    return cell


def _cell_for_options(module: object) -> str:
    """The registry's cell for a module: of the cells with its class, the one whose options
    (``TorchLayout.kwargs``, e.g. ``nonlinearity``) the module has; else the class's first."""
    name = type(module).__name__
    for cell, layout in _LAYOUTS.items():
        if layout.module == name and all(
            getattr(module, k, v) == v for k, v in layout.kwargs.items()
        ):
            return cell
    return _TORCH_CLASSES[name]


def from_torch(
    source: object,
    cell: str | None = None,
    *,
    dtype: type | None = None,
) -> dict[str, np.ndarray]:
    """The package's parameters from a torch ``nn.RNN/LSTM/GRU`` or its state dict.

    Args:
        source: the module, or its ``state_dict()`` (values: tensors or numpy arrays).
        cell: "rnn", "lstm" or "gru"; needed for a state dict (whose keys are the same for
            all three), checked against the module otherwise.
        dtype: convert every array to this dtype (default: keep the module's, often float32).

    Returns:
        rnn: {"W_xh", "W_hh", "b_h"}; lstm: {"W_ih", "W_hh", "b"} (+ "W_hr" with a
        projection); gru: {"W_ih", "W_hh", "b_ih", "b_hh"}. Fresh numpy arrays.

    >>> import numpy as np
    >>> H, D = 3, 2
    >>> sd = {"weight_ih_l0": np.ones((4 * H, D)), "weight_hh_l0": np.ones((4 * H, H)),
    ...       "bias_ih_l0": np.full(4 * H, 0.5), "bias_hh_l0": np.full(4 * H, 0.25)}
    >>> p = from_torch(sd, "lstm")
    >>> sorted(p), p["b"][:3]
    (['W_hh', 'W_ih', 'b'], array([0.75, 0.75, 0.75]))
    """
    if isinstance(source, Mapping):
        if cell is None:
            raise ValueError(
                "a state dict does not say which cell it belongs to: pass cell='rnn', 'lstm' "
                "or 'gru' (or pass the module itself)"
            )
        sd = source
    else:
        kind = _check_module(source)
        if cell is not None and cell != kind:
            raise ValueError(f"cell={cell!r}, but the module is a torch.nn.{type(source).__name__}")
        cell = kind
        sd = source.state_dict()
    if cell not in CELL_KINDS:
        raise ValueError(f"cell must be one of {sorted(CELL_KINDS)}, got {cell!r}")
    keys = set(sd)
    if any(not k.endswith("_l0") for k in keys):  # more layers, or both directions
        return _from_torch_deep(sd, cell, dtype)
    unknown = keys - _KNOWN
    if unknown or not {"weight_ih_l0", "weight_hh_l0"} <= keys:
        raise ValueError(
            f"not a torch.nn.RNN/LSTM/GRU state dict: keys {sorted(keys)} "
            f"(expected {sorted(_KNOWN)})"
        )
    a = {k: _to_numpy(v) for k, v in sd.items()}
    W_ih, W_hh = a["weight_ih_l0"], a["weight_hh_l0"]
    rows = W_ih.shape[0]
    k = CELL_KINDS[cell]
    if rows % k:
        raise ValueError(f"weight_ih_l0 has {rows} rows: not a multiple of {k}, so not a {cell}")
    H = rows // k
    layout = _LAYOUTS[cell]
    if "weight_hr_l0" in a and layout.projection is None:
        raise ValueError("weight_hr_l0 (proj_size) exists only in an LSTM")
    H_in = a["weight_hr_l0"].shape[0] if "weight_hr_l0" in a else H
    if W_hh.shape != (rows, H_in):
        raise ValueError(
            f"weight_hh_l0 is {W_hh.shape}, expected {(rows, H_in)} for a {cell} with H={H}: "
            "is the cell kind right?"
        )
    zero = np.zeros(rows, dtype=W_ih.dtype)
    b_ih, b_hh = a.get("bias_ih_l0", zero), a.get("bias_hh_l0", zero)
    p = {layout.weight_ih: W_ih, layout.weight_hh: W_hh}
    if layout.bias is not None:  # one bias: what the layer adds, bias_ih + bias_hh
        p[layout.bias] = b_ih + b_hh
    else:
        p[layout.biases[0]], p[layout.biases[1]] = b_ih.copy(), b_hh.copy()
    if "weight_hr_l0" in a:
        p[layout.projection] = a["weight_hr_l0"]
    if dtype is not None:
        p = {name: v.astype(dtype) for name, v in p.items()}
    return p


def _layout(cell: str) -> TorchLayout:
    if cell not in _LAYOUTS:
        raise ValueError(f"cell must be one of {sorted(CELL_KINDS)}, got {cell!r}")
    return _LAYOUTS[cell]


def to_state_dict(
    params: Mapping[str, np.ndarray],
    cell: str | None = None,
    *,
    as_tensors: bool = False,
) -> dict[str, object]:
    """A torch state dict (layer 0) from the package's parameters.

    One bias (RNN ``b_h``, LSTM ``b``) becomes ``bias_ih_l0 = b`` and ``bias_hh_l0 = 0``.

    Args:
        params: as returned by ``from_torch`` (or ``init_model`` without ``W_hy``, ``b_y``:
            extra keys are ignored).
        cell: "rnn", "lstm" or "gru"; inferred from the keys when None.
        as_tensors: return torch tensors (imports torch) instead of numpy arrays.

    >>> import numpy as np
    >>> sd = to_state_dict({"W_xh": np.ones((2, 3)), "W_hh": np.eye(2), "b_h": np.ones(2)})
    >>> sorted(sd), sd["bias_hh_l0"]
    (['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0'], array([0., 0.]))
    """
    if _layered(params):
        return _to_state_dict_deep(params, cell, as_tensors)
    cell = cell or cell_of(params).name
    layout = _layout(cell)
    missing_keys = [n for n in layout.names if n not in params]
    if missing_keys:
        raise KeyError(f"a {cell} needs {missing_keys}; got {sorted(params)}")
    sd = {
        "weight_ih_l0": np.array(params[layout.weight_ih]),
        "weight_hh_l0": np.array(params[layout.weight_hh]),
    }
    if layout.bias is not None:  # one bias: written as bias_ih, with bias_hh = 0
        sd["bias_ih_l0"] = np.array(params[layout.bias])
        sd["bias_hh_l0"] = np.zeros_like(sd["bias_ih_l0"])
    else:
        sd["bias_ih_l0"] = np.array(params[layout.biases[0]])
        sd["bias_hh_l0"] = np.array(params[layout.biases[1]])
    if layout.projection is not None and params.get(layout.projection) is not None:
        sd["weight_hr_l0"] = np.array(params[layout.projection])
    if as_tensors:
        import torch

        sd = {k: torch.from_numpy(v) for k, v in sd.items()}
    return sd


def to_torch(params: Mapping[str, np.ndarray], cell: str | None = None, **kwargs: object):
    """A new ``torch.nn.RNN/LSTM/GRU`` computing the same function as ``params``.

    Sizes (and ``proj_size``) come from the arrays, the dtype from ``W_hh``; ``kwargs`` go to
    the constructor (e.g. ``batch_first=True``). Imports torch.
    """
    import torch

    if _layered(params):
        return _to_torch_deep(params, cell, **kwargs)
    cell = cell or cell_of(params).name
    layout = _layout(cell)
    sd = to_state_dict(params, cell, as_tensors=True)
    W_ih, W_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
    H = W_ih.shape[0] // layout.blocks
    cls = getattr(torch.nn, layout.module)
    if "weight_hr_l0" in sd:
        kwargs.setdefault("proj_size", sd["weight_hr_l0"].shape[0])
    kwargs = {**layout.kwargs, **kwargs}  # e.g. nonlinearity="relu" for "rnn-relu"
    module = cls(W_ih.shape[1], H, dtype=W_hh.dtype, **kwargs)
    module.load_state_dict(sd)
    return module


# --- several layers, both directions (rnncourse.deep's flat dict) ------------------------------
#
# PyTorch names layer l's parameters with the suffix ``_l{l}`` and the backward direction's with
# ``_reverse`` after it; the package keeps those suffixes on its own names (``W_ih_l1_reverse``
# is ``weight_ih_l1_reverse``). Each (layer, direction) converts exactly as one layer does.

_TORCH_KEY = re.compile(
    r"^(?P<name>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)(?P<reverse>_reverse)?$"
)


def _layered(params: Mapping[str, object]) -> bool:
    """Do the parameters name layers (``*_l0``, ``*_l1_reverse``)? Then they are a stack."""
    return any(split_name(k) is not None for k in params)


def _from_torch_deep(sd: Mapping[str, object], cell: str, dtype: type | None) -> dict:
    groups: dict[tuple[int, bool], dict[str, object]] = {}
    for key, value in sd.items():
        m = _TORCH_KEY.match(key)
        if m is None:
            raise ValueError(
                f"not a torch.nn.RNN/LSTM/GRU state dict: key {key!r} (expected "
                "weight_ih/weight_hh/bias_ih/bias_hh/weight_hr with '_l<layer>' and maybe "
                "'_reverse')"
            )
        group = groups.setdefault((int(m["layer"]), bool(m["reverse"])), {})
        group[f"{m['name']}_l0"] = value
    params: dict[str, np.ndarray] = {}
    for (layer, reverse), group in sorted(groups.items()):
        one = from_torch(group, cell, dtype=dtype)
        params.update({param_name(k, layer, reverse): v for k, v in one.items()})
    num_layers, bidirectional = deep_layout(params)  # checks layers 0..L-1, directions alike
    layout = _layout(cell)
    dirs = 2 if bidirectional else 1
    for layer in range(1, num_layers):
        below = layer_params(params, layer - 1)
        size = below[layout.weight_hh].shape[1]  # the state size: H, or P with a projection
        want = dirs * size
        for reverse in (False, True)[:dirs]:
            got = layer_params(params, layer, reverse)[layout.weight_ih].shape[1]
            if got != want:
                raise ValueError(
                    f"{param_name('weight_ih', layer, reverse)} reads {got} features, but layer "
                    f"{layer - 1} gives {want} ({dirs} direction(s) of {size})"
                )
    return params


def _to_state_dict_deep(params: Mapping[str, np.ndarray], cell: str | None, as_tensors: bool):
    layered = {k: v for k, v in params.items() if split_name(k) is not None}
    num_layers, bidirectional = deep_layout(layered)
    cell = cell or cell_of(layer_params(layered, 0)).name
    sd: dict[str, object] = {}
    for layer in range(num_layers):
        for reverse in (False, True)[: 1 + bidirectional]:
            one = to_state_dict(layer_params(layered, layer, reverse), cell, as_tensors=as_tensors)
            suffix = f"_l{layer}" + ("_reverse" if reverse else "")
            sd.update({k[: -len("_l0")] + suffix: v for k, v in one.items()})
    return sd


def _to_torch_deep(params: Mapping[str, np.ndarray], cell: str | None, **kwargs: object):
    import torch

    layered = {k: v for k, v in params.items() if split_name(k) is not None}
    num_layers, bidirectional = deep_layout(layered)
    cell = cell or cell_of(layer_params(layered, 0)).name
    layout = _layout(cell)
    sd = _to_state_dict_deep(layered, cell, as_tensors=True)
    W_ih, W_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
    if "weight_hr_l0" in sd:
        kwargs.setdefault("proj_size", sd["weight_hr_l0"].shape[0])
    module = getattr(torch.nn, layout.module)(
        W_ih.shape[1],
        W_ih.shape[0] // layout.blocks,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dtype=W_hh.dtype,
        **{**layout.kwargs, **kwargs},
    )
    module.load_state_dict(sd)
    return module
