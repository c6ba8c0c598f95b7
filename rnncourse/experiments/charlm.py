"""Training the character language model of lesson 9 (the model itself: ``rnncourse.charmodel``).

``train_charlm`` trains by truncated BPTT with Adam and gradient clipping; the command line
trains the shipped weights and writes them to ``rnncourse/data/charlm_lstm.npz``:

    python -m rnncourse.experiments.charlm --train

Without ``--train`` it loads the weights and prints their validation bits per character.

For one release this module also re-exports the model's functions from their old place
(``init_charlm``, ``charlm_loss``, ``evaluate_bits``, ``sample``, ...: now in
``rnncourse.charmodel``) and keeps the old cell layer as deprecated thin wrappers over the
registry ``rnncourse.cells`` (``init_params``, ``zero_state``, ``cell_forward``,
``cell_backward``, ``last_state``), so that edited copies of lessons keep running.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rnncourse.cells import State, cell_of, get_cell
from rnncourse.charmodel import (
    WEIGHTS,
    CharLMConfig,
    charlm_loss,
    corpus,
    cut_streams,
    evaluate_bits,
    hidden_states,
    init_charlm,
    load_pretrained,
    next_char_probs,
    sample,
    save_pretrained,
)
from rnncourse.models import init_model

__all__ = [
    "WEIGHTS",
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


# --- the old cell layer, deprecated: use rnncourse.cells.CELLS[name] -------------------------


def init_params(
    cell: str, D: int, H: int, K: int, rng: np.random.Generator, dtype: type = np.float64
) -> Params:
    """Deprecated, use ``rnncourse.models.init_model(cell, D, H, K, rng, dtype=dtype)``,
    which this calls.

    >>> p = init_params("lstm", D=5, H=3, K=2, rng=np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W_ih': (12, 5), 'W_hh': (12, 3), 'b': (12,), 'W_hy': (2, 3), 'b_y': (2,)}
    """
    return init_model(cell, D, H, K, rng, dtype=dtype)


def zero_state(params: Params, N: int) -> State:
    """Deprecated, use ``rnncourse.cells.CELLS[cell].zero_state(params, N)``.

    The all-zero state for N streams: ``(h0,)`` or ``(h0, c0)``, each (N, H)."""
    return cell_of(params).zero_state(params, N)


def cell_forward(params: Params, x: np.ndarray, state: State) -> tuple[np.ndarray, tuple]:
    """Deprecated, use ``rnncourse.cells.CELLS[cell].forward(params, x, state)``.

    Run the cell over x (N, T, D) from ``state``: all hidden states h (N, T, H), and what
    the backward needs (``(c,)`` for the LSTM, ``()`` otherwise)."""
    c = cell_of(params)
    h, cache = c.forward(params, x, state)
    return h, tuple(c.states(h, cache)[1:])


def cell_backward(params: Params, dh, x, state: State, h, aux) -> Params:
    """Deprecated, use ``rnncourse.cells.CELLS[cell].backward(params, x, state, h, cache, dh)``.

    Gradients of the cell's parameters, given dh (N, T, H) from the outputs."""
    c = cell_of(params)
    return c.backward(params, x, state, h, aux[0] if aux else None, dh)[2]


def last_state(h: np.ndarray, aux: tuple) -> State:
    """Deprecated, use ``rnncourse.cells.CELLS[cell].last_state(h, cache)``.

    The state after the last step, to carry into the next call: ``(h_T,)`` or ``(h_T, c_T)``."""
    return (h[:, -1].copy(), *(a[:, -1].copy() for a in aux))


# --- training ---------------------------------------------------------------------------------


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
    streams = cut_streams(train_ids, config.N)  # (N, L)
    n_batches = (streams.shape[1] - 1) // config.T
    c = get_cell(config.cell)
    carry = {"state": c.zero_state(params, config.N)}

    def step_fn(p: Params, i: int) -> tuple[float, Params]:
        b = i % n_batches
        if b == 0:
            carry["state"] = c.zero_state(p, config.N)
        s = b * config.T
        loss, grads, carry["state"] = charlm_loss(
            p, streams[:, s : s + config.T], streams[:, s + 1 : s + config.T + 1], carry["state"],
            cell=config.cell,
        )  # fmt: skip
        return loss, grads

    history = train(
        params, step_fn, Adam(lr=config.lr), config.steps,
        clip_norm=config.clip, progress=progress, desc=f"char {config.cell}",
    )  # fmt: skip
    return params, history


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
