"""PyTorch's initialisation of recurrent cells, said once for every cell of the package.

``torch.nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` draw every weight and every bias uniformly from
[-1/sqrt(H), 1/sqrt(H)] (H: hidden units). PyTorch keeps two biases per layer, ``b_ih`` and
``b_hh``; a cell of this package with a single bias (the RNN's ``b_h``, the LSTM's ``b``)
stores their SUM, two uniform draws added (``summed_bias``), so that it is distributed as the
bias PyTorch's layer effectively adds. (The GRU keeps both: its reset gate multiplies
``W_hn h + b_hn``, so the two are not interchangeable there.)

``init_rnn``, ``init_lstm`` and ``init_gru`` draw their arrays with these two functions, in the
order of their return values; the draws are float64, converted to the requested dtype after.
"""

from __future__ import annotations

import numpy as np

__all__ = ["summed_bias", "uniform_init"]


def uniform_init(rng: np.random.Generator, shape: int | tuple[int, ...], H: int) -> np.ndarray:
    """One array uniform in [-1/sqrt(H), 1/sqrt(H)], float64.

    >>> w = uniform_init(np.random.default_rng(0), (400, 25), H=25)
    >>> bool(np.abs(w).max() <= 0.2), w.shape
    (True, (400, 25))
    """
    k = 1.0 / np.sqrt(H)
    return rng.uniform(-k, k, size=shape)


def summed_bias(rng: np.random.Generator, size: int, H: int) -> np.ndarray:
    """A single bias as PyTorch's b_ih + b_hh: the sum of two ``uniform_init`` draws, so within
    [-2/sqrt(H), 2/sqrt(H)] with a triangular distribution, float64.

    >>> b = summed_bias(np.random.default_rng(0), 10_000, H=25)
    >>> bool(np.abs(b).max() <= 0.4), round(float(b.var() / (2 * 0.2**2 / 3)), 1)
    (True, 1.0)
    """
    return uniform_init(rng, size, H) + uniform_init(rng, size, H)
