"""Batching sequences of different lengths: random, sorted or bucketed, and what each costs.

    python -m rnncourse.experiments.batching        # about half a minute; writes the JSON

The sequences are the non-blank lines of the shipped code corpus (one-hot characters), batched
N = 32 at a time three ways (``rnncourse.masking.batches_by_length``). For each way, over
``SEEDS`` shuffles: the fraction of computed steps that are padding (``padded_work``), how
unlike the data set each batch is (the spread, across batches, of a batch's mean length: near
zero when every batch is a random sample, as large as the data's own spread when every batch
holds one length, so that what a batch teaches depends on its length), and the measured time of one epoch of the
masked RNN forward (H = 64, one thread, each batch's best of ``REPEATS``; machine-dependent,
so the lesson quotes it as a ratio), beside the count it follows: the sequential steps of an
epoch, the sum over batches of the longest length (the loop runs that many times). Writes ``results/batching.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from rnncourse.charmodel import Vocab, load_code_corpus
from rnncourse.masking import batches_by_length, pad_sequences, padded_work, rnn_forward_masked
from rnncourse.rnn import init_rnn

RESULTS = Path(__file__).resolve().parents[2] / "results" / "batching.json"
N, H, SEEDS, REPEATS, BUCKET = 32, 64, 5, 5, 50
WAYS = ("random", "bucketed", "sorted")


def lines() -> tuple[list[np.ndarray], int]:
    """The corpus's non-blank lines as id arrays, and the vocabulary size."""
    text = load_code_corpus()
    vocab = Vocab.from_text(text)
    return [vocab.encode(s) for s in text.split("\n") if s.strip()], len(vocab.chars)


def epoch_seconds(seqs, V, batches, params) -> float:
    """The masked forward over every batch of one epoch, each batch timed REPEATS times and
    its fastest time kept (robust to a busy machine), summed."""
    eye = np.eye(V)
    total = 0.0
    for b in batches:
        x, mask = pad_sequences([eye[seqs[i]] for i in b])
        h0 = np.zeros((len(x), H))
        best = np.inf
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            rnn_forward_masked(x, mask, h0, *params)
            best = min(best, time.perf_counter() - t0)
        total += best
    return total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        threadpool_limits = None
    seqs, V = lines()
    lengths = np.array([len(s) for s in seqs])
    params = init_rnn(V, H, np.random.default_rng(0))
    rows = []
    for how in WAYS:
        fracs, spread, secs, steps = [], [], [], []
        for seed in range(SEEDS):
            batches = batches_by_length(lengths, N, how, np.random.default_rng(seed), BUCKET)
            fracs.append(padded_work(lengths, batches))
            steps.append(sum(int(lengths[b].max()) for b in batches))
            spread.append(np.std([lengths[b].mean() for b in batches]))
            if seed == 0:
                if threadpool_limits is not None:
                    with threadpool_limits(1):
                        secs.append(epoch_seconds(seqs, V, batches, params))
                else:
                    secs.append(epoch_seconds(seqs, V, batches, params))
        rows.append(
            {
                "how": how,
                "padded_work": round(float(np.mean(fracs)), 6),
                "sequential_steps": round(float(np.mean(steps)), 1),
                "padded_work_min": round(float(np.min(fracs)), 6),
                "padded_work_max": round(float(np.max(fracs)), 6),
                "batch_mean_length_std": round(float(np.mean(spread)), 6),
                "epoch_seconds": round(secs[0], 4),
            }
        )
        r = rows[-1]
        print(f"{how:9s} padding {r['padded_work']:.3f} of the work; spread of batch mean "
              f"lengths {r['batch_mean_length_std']:.2f}; forward epoch {r['epoch_seconds']:.3f} s",
              flush=True)  # fmt: skip
    out = {
        "command": "python -m rnncourse.experiments.batching",
        "sequences": len(seqs),
        "mean_length": round(float(lengths.mean()), 6),
        "max_length": int(lengths.max()),
        "length_std": round(float(lengths.std()), 6),
        "batches_per_epoch": int(np.ceil(len(seqs) / N)),
        "N": N,
        "H": H,
        "bucket_batches": BUCKET,
        "seeds": SEEDS,
        "machine": platform.machine(),
        "rows": rows,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
