"""A character language model on Python source code, trained by truncated BPTT.

The model reads one character at a time (a one-hot vector, V = vocabulary size) and predicts
the next one:

    x_t = onehot(c_t)                        # (N, V)
    h_t = cell(x_t, h_{t-1})                 # an RNN, LSTM or GRU; (N, H)
    y_t = h_t @ W_hy.T + b_y                 # (N, V) scores for c_{t+1}
    loss = mean_t -log softmax(y_t)[c_{t+1}]

**Truncated BPTT.** The training text is cut into N long streams, one per row of the batch.
Each update reads the next T characters of every stream; the hidden state left at the end of
one batch is the initial state of the next, so the model sees context older than T steps, but
gradients flow back through T steps only (the carried state is a constant for the backward).

**Bits per character** = mean cross-entropy / ln 2: the average number of bits an ideal coder
using the model would need per character. The unigram model (character frequencies only) is
the baseline, ``rnncourse.datasets.unigram_bits``.

Parameter names are the cells' own: ``W_xh, W_hh, b_h`` (RNN), ``W_ih, W_hh, b`` (LSTM),
``W_ih, W_hh, b_ih, b_hh`` (GRU), plus ``W_hy, b_y``. The cell is driven through the registry
(``rnncourse.cells``); a state is the registry's tuple, ``(h,)``, or ``(h, c)`` for the LSTM.
Every function takes an optional ``cell=`` name; without it the registry recognises the cell
from the parameter names.

This module is the model; the training program (``train_charlm`` and the command line that
writes the shipped weights, ``python -m rnncourse.experiments.charlm --train``) is
``rnncourse.experiments.charlm``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rnncourse.cells import Cell, State, cell_of, get_cell
from rnncourse.datasets import Vocab, load_code_corpus, train_val_split
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import log_softmax, softmax_cross_entropy
from rnncourse.models import init_model

__all__ = [
    "WEIGHTS",
    "CharLMConfig",
    "charlm_loss",
    "corpus",
    "cut_streams",
    "evaluate_bits",
    "hidden_states",
    "init_charlm",
    "load_pretrained",
    "next_char_probs",
    "sample",
    "sample_with_temperature",
    "save_pretrained",
    "temperature_probs",
]

Params = dict[str, np.ndarray]
WEIGHTS = Path(__file__).resolve().parent / "data" / "charlm_lstm.npz"


@dataclass(frozen=True)
class CharLMConfig:
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    H: int = 128  # hidden units
    T: int = 64  # steps of truncated BPTT per update
    N: int = 32  # parallel streams (batch rows)
    steps: int = 4000  # updates
    lr: float = 3e-3  # Adam learning rate
    clip: float = 1.0  # global gradient-norm clip
    seed: int = 0
    dtype: str = "float32"


def _cell(params: Params, cell: str | None) -> Cell:
    return get_cell(cell) if cell is not None else cell_of(params)


def init_charlm(
    cell: str, V: int, H: int, rng: np.random.Generator, dtype: type = np.float32
) -> Params:
    """``init_model`` with D = K = V: one-hot characters in, scores for the next one out.
    PyTorch's initialisation, the registry's (``rnncourse.cells``), then the output layer's.

    >>> p = init_charlm("lstm", V=5, H=3, rng=np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W_ih': (12, 5), 'W_hh': (12, 3), 'b': (12,), 'W_hy': (5, 3), 'b_y': (5,)}
    """
    return init_model(cell, V, H, V, rng, dtype=dtype)


def _onehot(ids: np.ndarray, V: int, dtype) -> np.ndarray:
    return np.eye(V, dtype=dtype)[ids]  # (..., V)


def charlm_loss(
    params: Params, inputs: np.ndarray, targets: np.ndarray, state: State,
    *, cell: str | None = None,
) -> tuple[float, Params, State]:  # fmt: skip
    """Mean cross-entropy (nats) of predicting ``targets`` from ``inputs``, its gradients,
    and the state after the last step (to carry into the next batch).

    Args:
        inputs, targets: character ids, (N, T) int; targets[:, t] = inputs[:, t + 1] in a text.
        state: the initial state, treated as a constant (truncated BPTT); e.g.
            ``CELLS[cell].zero_state(params, N)``.

    >>> from rnncourse.cells import CELLS
    >>> rng = np.random.default_rng(0)
    >>> p = init_charlm("rnn", V=4, H=3, rng=rng, dtype=np.float64)
    >>> ids = rng.integers(0, 4, size=(2, 6))
    >>> loss, grads, state = charlm_loss(p, ids[:, :-1], ids[:, 1:], CELLS["rnn"].zero_state(p, 2))
    >>> f"{loss:.3f}", state[0].shape
    ('1.529', (2, 3))
    """
    c = _cell(params, cell)
    V = params["W_hy"].shape[0]
    x = _onehot(inputs, V, params["W_hy"].dtype)  # (N, T, V)
    h, cache = c.forward(params, x, state)  # (N, T, H)
    y = output_forward(h, params["W_hy"], params["b_y"])  # (N, T, V)
    loss, dy = softmax_cross_entropy(y, targets)
    dh, dW_hy, db_y = output_backward(dy, h, params["W_hy"])
    _, _, grads = c.backward(params, x, state, h, cache, dh)
    grads["W_hy"], grads["b_y"] = dW_hy, db_y
    return loss, grads, c.last_state(h, cache)


def cut_streams(ids: np.ndarray, N: int) -> np.ndarray:
    """Cut a text into N equal contiguous streams, (N, L // N).

    >>> cut_streams(np.arange(7), 2)
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    L = len(ids) // N
    return ids[: N * L].reshape(N, L)


def evaluate_bits(
    params: Params, ids: np.ndarray, N: int = 16, T: int = 256, *, cell: str | None = None
) -> float:
    """Bits per character on a text: ``ids`` cut into N streams, read with carried state.

    Every character but the first of each stream is predicted once.
    """
    c = _cell(params, cell)
    streams = cut_streams(ids, N)
    state = c.zero_state(params, N)
    V = params["W_hy"].shape[0]
    total, count = 0.0, 0
    for s in range(0, streams.shape[1] - 1, T):
        inp = streams[:, s : s + T]
        tgt = streams[:, s + 1 : s + T + 1]
        inp = inp[:, : tgt.shape[1]]
        h, cache = c.forward(params, _onehot(inp, V, params["W_hy"].dtype), state)
        logp = log_softmax(output_forward(h, params["W_hy"], params["b_y"]).astype(np.float64))
        total -= np.take_along_axis(logp, tgt[..., None], axis=-1).sum()
        count += tgt.size
        state = c.last_state(h, cache)
    return float(total / count / np.log(2.0))


def hidden_states(
    params: Params, ids: np.ndarray, *, cell: str | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read one text (L,) from a zero state: hidden states (L, H) and, for an LSTM,
    cell states (L, H) (else None)."""
    c = _cell(params, cell)
    V = params["W_hy"].shape[0]
    x = _onehot(np.asarray(ids)[None, :], V, params["W_hy"].dtype)
    h, cache = c.forward(params, x, c.zero_state(params, 1))
    states = c.states(h, cache)
    return h[0], (states[1][0] if len(states) > 1 else None)


def next_char_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(logits / temperature)``: temperature < 1 sharpens, > 1 flattens.

    >>> next_char_probs(np.log(np.array([0.2, 0.8])), 1.0).round(3)
    array([0.2, 0.8])
    >>> next_char_probs(np.log(np.array([0.2, 0.8])), 0.5).round(3)   # 0.2**2 : 0.8**2
    array([0.059, 0.941])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max()
    e = np.exp(z)
    return e / e.sum()


def temperature_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """The sampling distribution at a temperature, over the last axis::

        p = softmax(logits / temperature)      # logits (..., K) -> p (..., K)

    Dividing by a temperature below 1 sharpens the distribution (towards the most likely
    character, argmax as temperature -> 0); above 1 it flattens it (towards uniform). Stable
    for large logits (each row's maximum is subtracted before exp).

    >>> temperature_probs(np.log(np.array([0.2, 0.8])), 0.5).round(3)   # 0.2**2 : 0.8**2
    array([0.059, 0.941])
    >>> temperature_probs(np.array([[1000.0, 990.0], [0.0, 0.0]]), 2.0).round(4)  # no overflow
    array([[0.9933, 0.0067],
           [0.5   , 0.5   ]])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = np.asarray(logits) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_with_temperature(
    logits: np.ndarray, temperature: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw one index per row of ``logits`` (..., K) from ``softmax(logits / temperature)``.

    Returns an int array of shape ``logits.shape[:-1]``. Sampling by inverse CDF: one uniform
    number u per row, the index is the first i whose cumulative probability exceeds u.

    >>> rng = np.random.default_rng(0)
    >>> draws = sample_with_temperature(np.log(np.array([[0.2, 0.8]] * 4000)), 1.0, rng)
    >>> draws.shape, f"{draws.mean():.2f}"     # the fraction of 1s, about 0.8
    ((4000,), '0.79')
    """
    p = temperature_probs(np.asarray(logits, dtype=np.float64), temperature)  # (..., K)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(size=(*p.shape[:-1], 1)) * cdf[..., -1:]
    return np.minimum((cdf <= u).sum(axis=-1), p.shape[-1] - 1)


def sample(
    params: Params,
    vocab: Vocab,
    prime: str,
    length: int,
    temperature: float,
    rng: np.random.Generator,
    *,
    cell: str | None = None,
) -> str:
    """Generate ``length`` characters after ``prime`` (returned without the prime).

    The model reads the prime, then repeatedly draws the next character from
    ``softmax(y_t / temperature)`` and feeds it back in.
    """
    if not prime:
        raise ValueError("prime must contain at least one character")
    c = _cell(params, cell)
    V = len(vocab)
    dtype = params["W_hy"].dtype
    x = _onehot(vocab.encode(prime)[None, :], V, dtype)
    h, cache = c.forward(params, x, c.zero_state(params, 1))
    state = c.last_state(h, cache)
    out = []
    for _ in range(length):
        y = output_forward(state[0][0], params["W_hy"], params["b_y"])  # (V,)
        i = int(rng.choice(V, p=next_char_probs(y, temperature)))
        out.append(vocab.chars[i])
        h, cache = c.forward(params, _onehot(np.array([[i]]), V, dtype), state)
        state = c.last_state(h, cache)
    return "".join(out)


def corpus(val_fraction: float = 0.1) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """The shipped code corpus: its vocabulary, training ids and validation ids."""
    text = load_code_corpus()
    vocab = Vocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction)
    return vocab, train_ids, val_ids


def save_pretrained(path: Path, params: Params, vocab: Vocab, config: CharLMConfig, **extra):
    """Write parameters, vocabulary, config and any extra arrays to one ``.npz``."""
    np.savez_compressed(
        path, chars=np.array(vocab.chars), config=np.array(json.dumps(asdict(config))),
        **{f"param_{k}": v for k, v in params.items()}, **extra,
    )  # fmt: skip


def load_pretrained(
    path: Path = WEIGHTS, dtype: type = np.float64
) -> tuple[Params, Vocab, CharLMConfig, dict]:
    """Read a file written by ``save_pretrained``: (params, vocab, config, extras).

    The weights are stored in float32 and returned as ``dtype`` (float64 by default, so that
    evaluation and sampling give the same digits on every machine).
    """
    with np.load(path) as f:
        params = {k[6:]: f[k].astype(dtype) for k in f.files if k.startswith("param_")}
        vocab = Vocab(str(f["chars"]))
        config = CharLMConfig(**json.loads(str(f["config"])))
        extra = {
            k: f[k] for k in f.files if not k.startswith("param_") and k not in ("chars", "config")
        }
    return params, vocab, config, extra
