"""Helpers shared by the cells (``rnn``, ``lstm``, ``gru``): numpy only, no state.

Private to the package (the module's name starts with ``_``); inside it the helpers have public
names, so the cell modules import them as ``from rnncourse._cells import split_gates``.
``sigmoid`` is defined here once and re-exported by ``rnncourse.lstm`` and ``rnncourse``, where
learners find it.

    sigmoid(a)                   the logistic function, element-wise
    split_gates(a, n)            the last axis cut into n equal blocks (views): gates i, f, g, o
    tanh_into(a, out)            tanh written into ``out``, from exp (the sequence functions)
    sigmoid_into(a, out)         sigmoid written into ``out``
    check_shapes(where, ...)     the teaching ValueError for an argument of the wrong shape
    check_sequence(where, ...)   the same for an argument that must be (N, T, ...)
    sum_over_rows(da, a)         ``da.T @ a``, a weight gradient summed over steps and batch
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "check_sequence",
    "check_shapes",
    "sigmoid",
    "sigmoid_into",
    "split_gates",
    "sum_over_rows",
    "tanh_into",
]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-a))``, element-wise, in [0, 1].

    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    with np.errstate(over="ignore"):  # exp(1000) = inf gives exactly 0: correct
        return 1.0 / (1.0 + np.exp(-a))


def split_gates(a: np.ndarray, n: int) -> list[np.ndarray]:
    """Split the last axis into n equal blocks (views), e.g. the LSTM's gates i, f, g, o.

    >>> import numpy as np
    >>> [blk.tolist() for blk in split_gates(np.arange(6), 3)]
    [[0, 1], [2, 3], [4, 5]]
    """
    H = a.shape[-1] // n
    return [a[..., k * H : (k + 1) * H] for k in range(n)]


def tanh_into(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = tanh(a), computed as 2 / (1 + exp(-2a)) - 1 for speed in the sequence functions.

    The same function (to a few units in the last place); numpy's exp is several times faster
    than its tanh in float64. Tiny arrays use np.tanh: one call is cheaper than five there.
    Callers silence overflow: exp(-2a) = inf for a << 0 gives exactly -1.

    >>> import numpy as np
    >>> a = np.linspace(-3.0, 3.0, 300)
    >>> bool(np.allclose(tanh_into(a, np.empty_like(a)), np.tanh(a), rtol=0, atol=1e-15))
    True
    """
    if a.size <= 256:
        return np.tanh(a, out=out)
    np.multiply(a, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0
    return out


def sigmoid_into(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 / (1 + exp(-a)), in place (exp overflow gives exactly 0: callers silence it)."""
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def check_shapes(
    where: str,
    sizes: dict[str, int],
    letters: dict[str, str],
    **arrays: tuple[object, tuple[int, ...]],
) -> None:
    """Raise the teaching ValueError for the first argument whose shape is not the expected one.

    ``arrays`` maps an argument's name to (the argument, its expected shape in numbers);
    ``letters`` gives each name's shape in the course's letters and ``sizes`` the letters'
    values, used only in the message. Cheap when every shape is right: one comparison each.

    >>> import numpy as np
    >>> check_shapes("f", {"N": 2, "H": 3}, {"h0": "(N, H)"}, h0=(np.zeros((2, 3)), (2, 3)))
    >>> check_shapes("f", {"N": 2, "H": 3}, {"h0": "(N, H)"}, h0=(np.zeros((3, 2)), (2, 3)))
    Traceback (most recent call last):
    ValueError: f: h0 should be (2, 3), got (3, 2) (h0 is (N, H) with N=2, H=3)
    """
    for name, (a, shape) in arrays.items():
        got = a.shape if type(a) is np.ndarray else np.shape(a)  # a.shape: 10x cheaper
        if got != shape:
            values = ", ".join(f"{k}={v}" for k, v in sizes.items())
            raise ValueError(
                f"{where}: {name} should be {shape}, got {got} ({name} is {letters[name]} "
                f"with {values})"
            )


def check_sequence(where: str, name: str, a: object, letters: str) -> None:
    """Raise the teaching ValueError unless ``a`` is a 3-D array, (N, T, ...).

    >>> check_sequence("rnn_forward", "x", [[1.0, 2.0]], "(N, T, D)")
    Traceback (most recent call last):
    ValueError: rnn_forward: x should be (N, T, D), got shape (1, 2)
    """
    if (a.ndim if type(a) is np.ndarray else np.ndim(a)) != 3:
        raise ValueError(f"{where}: {name} should be {letters}, got shape {np.shape(a)}")


def sum_over_rows(da: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``da.T @ a`` for a weight gradient: the sum over all rows (steps x batch) of da_r a_r^T.

    One matrix product, except in float32 with a narrow ``a`` (< 256 columns): there it is
    summed 256 rows at a time, because OpenBLAS's single-precision kernels are 2-2.5x slower on
    a long shared dimension in that case (measured on AVX2: (256, 1600) @ (1600, 74)). Same sum.
    """
    rows = 256
    if da.dtype != np.float32 or a.shape[1] >= 256 or da.shape[0] <= 2 * rows:
        return da.T @ a
    out = da[:rows].T @ a[:rows]
    for r in range(rows, da.shape[0], rows):
        out += da[r : r + rows].T @ a[r : r + rows]
    return out
