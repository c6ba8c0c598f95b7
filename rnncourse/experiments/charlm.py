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
``W_ih, W_hh, b_ih, b_hh`` (GRU), plus ``W_hy, b_y``. A state is a tuple: ``(h,)``, or
``(h, c)`` for the LSTM.

Train the shipped weights with ``python -m rnncourse.experiments.charlm --train``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rnncourse.datasets import Vocab, load_code_corpus, train_val_split
from rnncourse.layers import output_backward, output_forward
from rnncourse.losses import log_softmax, softmax_cross_entropy
from rnncourse.rnn import rnn_backward, rnn_forward

__all__ = [
    "CharLMConfig",
    "cell_backward",
    "cell_forward",
    "charlm_loss",
    "corpus",
    "evaluate_bits",
    "hidden_states",
    "init_charlm",
    "init_params",
    "last_state",
    "load_pretrained",
    "next_char_probs",
    "sample",
    "save_pretrained",
    "train_charlm",
    "zero_state",
]

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, ...]
WEIGHTS = Path(__file__).resolve().parent.parent / "data" / "charlm_lstm.npz"


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


def init_params(
    cell: str, D: int, H: int, K: int, rng: np.random.Generator, dtype: type = np.float64
) -> Params:
    """A cell with D inputs and H units, and an output layer to K outputs, initialised as
    PyTorch does: every array uniform in [-1/sqrt(H), 1/sqrt(H)].

    >>> p = init_params("lstm", D=5, H=3, K=2, rng=np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W_ih': (12, 5), 'W_hh': (12, 3), 'b': (12,), 'W_hy': (2, 3), 'b_y': (2,)}
    """
    shapes = {
        "rnn": {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,)},
        "lstm": {"W_ih": (4 * H, D), "W_hh": (4 * H, H), "b": (4 * H,)},
        "gru": {"W_ih": (3 * H, D), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)},
    }
    if cell not in shapes:
        raise ValueError(f"cell must be one of {sorted(shapes)}, got {cell!r}")
    k = 1.0 / np.sqrt(H)
    shapes[cell].update({"W_hy": (K, H), "b_y": (K,)})
    return {n: rng.uniform(-k, k, size=s).astype(dtype) for n, s in shapes[cell].items()}


def init_charlm(cell: str, V: int, H: int, rng: np.random.Generator, dtype=np.float32) -> Params:
    """``init_params`` with D = K = V: one-hot characters in, scores for the next one out."""
    return init_params(cell, V, H, V, rng, dtype)


def zero_state(params: Params, N: int) -> State:
    """The all-zero state for N streams: ``(h0,)`` or ``(h0, c0)``, each (N, H)."""
    H = params["W_hh"].shape[1]
    dtype = params["W_hh"].dtype
    return tuple(np.zeros((N, H), dtype) for _ in range(2 if "b" in params else 1))


def cell_forward(params: Params, x: np.ndarray, state: State) -> tuple[np.ndarray, tuple]:
    """Run the cell over x (N, T, D) from ``state``: all hidden states h (N, T, H), and what
    the backward needs (``(c,)`` for the LSTM, ``()`` otherwise). The cell is recognised by
    its parameter names."""
    p = params
    if "b_h" in p:
        return rnn_forward(x, state[0], p["W_xh"], p["W_hh"], p["b_h"]), ()
    if "b" in p:
        from rnncourse.lstm import lstm_forward

        h, c = lstm_forward(x, state[0], state[1], p["W_ih"], p["W_hh"], p["b"])
        return h, (c,)
    from rnncourse.gru import gru_forward

    return gru_forward(x, state[0], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"]), ()


def cell_backward(params: Params, dh, x, state: State, h, aux) -> Params:
    """Gradients of the cell's parameters, given dh (N, T, H) from the outputs."""
    p = params
    if "b_h" in p:
        _, _, dW_xh, dW_hh, db_h = rnn_backward(dh, x, state[0], h, p["W_xh"], p["W_hh"])
        return {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}
    if "b" in p:
        from rnncourse.lstm import lstm_backward

        g = lstm_backward(dh, x, state[0], state[1], h, aux[0], p["W_ih"], p["W_hh"], p["b"])
        return {"W_ih": g[3], "W_hh": g[4], "b": g[5]}
    from rnncourse.gru import gru_backward

    g = gru_backward(dh, x, state[0], h, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    return {"W_ih": g[2], "W_hh": g[3], "b_ih": g[4], "b_hh": g[5]}


def last_state(h: np.ndarray, aux: tuple) -> State:
    """The state after the last step, to carry into the next call: ``(h_T,)`` or ``(h_T, c_T)``."""
    return (h[:, -1].copy(), *(a[:, -1].copy() for a in aux))


def _onehot(ids: np.ndarray, V: int, dtype) -> np.ndarray:
    return np.eye(V, dtype=dtype)[ids]  # (..., V)


def charlm_loss(
    params: Params, inputs: np.ndarray, targets: np.ndarray, state: State
) -> tuple[float, Params, State]:
    """Mean cross-entropy (nats) of predicting ``targets`` from ``inputs``, its gradients,
    and the state after the last step (to carry into the next batch).

    Args:
        inputs, targets: character ids, (N, T) int; targets[:, t] = inputs[:, t + 1] in a text.
        state: the initial state, treated as a constant (truncated BPTT).

    >>> rng = np.random.default_rng(0)
    >>> p = init_charlm("rnn", V=4, H=3, rng=rng, dtype=np.float64)
    >>> ids = rng.integers(0, 4, size=(2, 6))
    >>> loss, grads, state = charlm_loss(p, ids[:, :-1], ids[:, 1:], zero_state(p, 2))
    >>> f"{loss:.3f}", state[0].shape
    ('1.360', (2, 3))
    """
    V = params["W_hy"].shape[0]
    x = _onehot(inputs, V, params["W_hy"].dtype)  # (N, T, V)
    h, aux = cell_forward(params, x, state)  # (N, T, H)
    y = output_forward(h, params["W_hy"], params["b_y"])  # (N, T, V)
    loss, dy = softmax_cross_entropy(y, targets)
    dh, dW_hy, db_y = output_backward(dy, h, params["W_hy"])
    grads = cell_backward(params, dh, x, state, h, aux)
    grads["W_hy"], grads["b_y"] = dW_hy, db_y
    return loss, grads, last_state(h, aux)


def _streams(ids: np.ndarray, N: int) -> np.ndarray:
    """Cut a text into N equal contiguous streams, (N, L // N)."""
    L = len(ids) // N
    return ids[: N * L].reshape(N, L)


def evaluate_bits(params: Params, ids: np.ndarray, N: int = 16, T: int = 256) -> float:
    """Bits per character on a text: ``ids`` cut into N streams, read with carried state.

    Every character but the first of each stream is predicted once.
    """
    streams = _streams(ids, N)
    state = zero_state(params, N)
    V = params["W_hy"].shape[0]
    total, count = 0.0, 0
    for s in range(0, streams.shape[1] - 1, T):
        inp = streams[:, s : s + T]
        tgt = streams[:, s + 1 : s + T + 1]
        inp = inp[:, : tgt.shape[1]]
        h, aux = cell_forward(params, _onehot(inp, V, params["W_hy"].dtype), state)
        logp = log_softmax(output_forward(h, params["W_hy"], params["b_y"]).astype(np.float64))
        total -= np.take_along_axis(logp, tgt[..., None], axis=-1).sum()
        count += tgt.size
        state = last_state(h, aux)
    return float(total / count / np.log(2.0))


def hidden_states(params: Params, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Read one text (L,) from a zero state: hidden states (L, H) and, for an LSTM,
    cell states (L, H) (else None)."""
    V = params["W_hy"].shape[0]
    x = _onehot(np.asarray(ids)[None, :], V, params["W_hy"].dtype)
    h, aux = cell_forward(params, x, zero_state(params, 1))
    return h[0], (aux[0][0] if aux else None)


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


def sample(
    params: Params,
    vocab: Vocab,
    prime: str,
    length: int,
    temperature: float,
    rng: np.random.Generator,
) -> str:
    """Generate ``length`` characters after ``prime`` (returned without the prime).

    The model reads the prime, then repeatedly draws the next character from
    ``softmax(y_t / temperature)`` and feeds it back in.
    """
    if not prime:
        raise ValueError("prime must contain at least one character")
    V = len(vocab)
    dtype = params["W_hy"].dtype
    h, aux = cell_forward(
        params, _onehot(vocab.encode(prime)[None, :], V, dtype), zero_state(params, 1)
    )
    state = last_state(h, aux)
    out = []
    for _ in range(length):
        y = output_forward(state[0][0], params["W_hy"], params["b_y"])  # (V,)
        i = int(rng.choice(V, p=next_char_probs(y, temperature)))
        out.append(vocab.chars[i])
        h, aux = cell_forward(params, _onehot(np.array([[i]]), V, dtype), state)
        state = last_state(h, aux)
    return "".join(out)


def corpus(val_fraction: float = 0.1) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """The shipped code corpus: its vocabulary, training ids and validation ids."""
    text = load_code_corpus()
    vocab = Vocab.from_text(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction)
    return vocab, train_ids, val_ids


def train_charlm(
    config: CharLMConfig,
    train_ids: np.ndarray,
    V: int,
    *,
    progress: bool = False,
    params: Params | None = None,
) -> tuple[Params, dict[str, list[float]]]:
    """Truncated-BPTT training with Adam and gradient clipping; returns (params, history).

    Batch i reads characters [i*T, (i+1)*T] of each of the N streams (wrapping round at the
    end, where the state is reset to zero); the state is carried from batch to batch.
    """
    from rnncourse.models import train
    from rnncourse.optim import Adam

    rng = np.random.default_rng(config.seed)
    if params is None:
        params = init_charlm(config.cell, V, config.H, rng, dtype=np.dtype(config.dtype).type)
    streams = _streams(train_ids, config.N)  # (N, L)
    n_batches = (streams.shape[1] - 1) // config.T
    carry = {"state": zero_state(params, config.N)}

    def step_fn(p: Params, i: int) -> tuple[float, Params]:
        b = i % n_batches
        if b == 0:
            carry["state"] = zero_state(p, config.N)
        s = b * config.T
        loss, grads, carry["state"] = charlm_loss(
            p, streams[:, s : s + config.T], streams[:, s + 1 : s + config.T + 1], carry["state"]
        )
        return loss, grads

    history = train(
        params, step_fn, Adam(lr=config.lr), config.steps,
        clip_norm=config.clip, progress=progress, desc=f"char {config.cell}",
    )  # fmt: skip
    return params, history


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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="store_true", help="train and write the weights")
    ap.add_argument("--cell", default=CharLMConfig.cell)
    ap.add_argument("--H", type=int, default=CharLMConfig.H)
    ap.add_argument("--steps", type=int, default=CharLMConfig.steps)
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args(argv)
    vocab, train_ids, val_ids = corpus()
    if not args.train:
        params, vocab, config, extra = load_pretrained(args.out)
        print(f"{args.out.name}: {config}")
        print(f"validation bits/char: {evaluate_bits(params, val_ids):.4f}")
        return
    config = CharLMConfig(cell=args.cell, H=args.H, steps=args.steps)
    params, history = train_charlm(config, train_ids, len(vocab), progress=True)
    bits = evaluate_bits(params, val_ids)
    loss = np.asarray(history["loss"], dtype=np.float32)
    save_pretrained(args.out, params, vocab, config, train_loss=loss, val_bits=np.array(bits))
    print(f"validation bits/char after {config.steps} steps: {bits:.4f}; wrote {args.out}")


if __name__ == "__main__":
    main()
