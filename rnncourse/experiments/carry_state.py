"""Carrying the hidden state across chunks of a long text, or resetting it: lesson 10.

    python -m rnncourse.experiments.carry_state       # about a minute; writes the JSON

Truncated BPTT cuts the text into chunks of T characters. Carried, the state left by one chunk
starts the next, so the model reads context older than T (though gradients stop at the chunk's
start); reset, every chunk starts from zeros and the model never sees more than T characters
while it trains. The same character RNN as lesson 10's main run (H = 64, N = 32 streams, Adam
lr 5e-3, clip 1: its ``CONFIG``), trained both ways at T = 8 and T = 32 for the same number of
characters, twice the main run's (700 updates at T = 32, 2800 at T = 8), each measured on the
validation text read with the state carried, and, to see what the model learnt to use, with the state reset every T characters.
Writes ``results/carry_state.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rnncourse.charmodel import corpus
from rnncourse.experiments.train_it_yourself import CONFIG
from rnncourse.training import init_char_rnn, train_charmodel, validation_bits

RESULTS = Path(__file__).resolve().parents[2] / "results" / "carry_state.json"
CHARS = 2 * CONFIG["steps"] * CONFIG["T"]  # characters per stream in every run: 700 * 32
SETTINGS = [(8, True), (8, False), (32, True), (32, False)]


def reset_bits(params: dict, ids: np.ndarray, T: int, N: int = 8) -> float:
    """Validation bits per character when the state is reset to zero every T characters."""
    L = len(ids) // N
    streams = ids[: N * L].reshape(N, L)
    chunks = [streams[:, s : s + T + 1] for s in range(0, L - 1, T)]
    total, count = 0.0, 0
    for c in chunks:
        if c.shape[1] < 2:
            continue
        b = validation_bits(params, c.reshape(-1), N=c.shape[0], T=T)
        total += b * c.shape[0] * (c.shape[1] - 1)
        count += c.shape[0] * (c.shape[1] - 1)
    return total / count


def run(T: int, carry: bool, seed: int = 0, progress: bool = False) -> dict:
    vocab, train_ids, val_ids = corpus()
    V = len(vocab)
    params = init_char_rnn(V, CONFIG["H"], np.random.default_rng(seed))
    params, history = train_charmodel(
        params, train_ids, val_ids, steps=CHARS // T, N=CONFIG["N"], T=T, lr=CONFIG["lr"],
        max_norm=CONFIG["max_norm"], eval_every=10**9, val_chars=len(val_ids), carry=carry, progress=progress,
    )  # fmt: skip
    return {
        "T": T,
        "carry": carry,
        "updates": CHARS // T,
        "val_bits_carried": round(history["val_bits"][-1], 6),
        "val_bits_reset_every_T": round(reset_bits(params, val_ids, T), 6),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rows = []
    for T, carry in SETTINGS:
        rows.append(run(T, carry, progress=True))  # a bar on stderr
        r = rows[-1]
        print(f"T={T:3d} {'carried' if carry else 'reset  '}: {r['val_bits_carried']:.4f} "
              f"bits/char (read with resets every T: {r['val_bits_reset_every_T']:.4f})", flush=True)  # fmt: skip
    out = {"command": "python -m rnncourse.experiments.carry_state", "rows": rows}
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
