"""Lesson 12's decoding study: greedy against beam search on the committed trained models.

No training: the committed parameters (``results/seq2seq_*_params.npz``) decode fresh test
sources from each length bucket (the same seed and buckets as ``rnncourse.experiments.seq2seq``),
greedily and by beam search with beam sizes 1, 3 and 5 (length normalisation: the score is
the log-probability divided by the output length). A source counts as right when the whole
ISO date is. The file also keeps up to three real sources on which greedy is wrong and the
widest beam right (or says there were none).

    python -m rnncourse.experiments.seq2seq_studies decoding --per-bucket 200 --out results/seq2seq_decoding.json

Exposure bias: token accuracy at each output position, teacher forced (the true prefix given)
and free running (greedy, the model's own prefix), for the committed teacher-forcing models on
fresh sources of every bucket; with ``--train-sampling P`` also for a plain model trained with
scheduled sampling (probability P of feeding its own token; same H, data and seeds; a few minutes):

    python -m rnncourse.experiments.seq2seq_studies exposure --train-sampling 0.25 --out results/seq2seq_exposure.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rnncourse.experiments.seq2seq import (
    MODELS,
    Seq2SeqConfig,
    accuracy_by_position,
    load_params,
)
from rnncourse.seq2seq import beam_search, greedy_decode
from rnncourse.tasks.dates import TARGET_VOCAB, date_examples, decode_ids, encode_batch

__all__ = ["BEAMS", "decode_bucket", "decoding_study", "exposure_study", "main"]

RESULTS = Path(__file__).resolve().parents[2] / "results"
BEAMS = (1, 3, 5)
LENGTH_ALPHA = 1.0


def decode_bucket(p, src: list[str], tgt: list[str], beams=BEAMS) -> dict:
    """Greedy and beam outputs (strings) for one bucket's sources."""
    b = encode_batch(src, tgt)
    max_len = b.y_out.shape[1]
    ids, _, _ = greedy_decode(p, b.x, b.x_mask, max_len=max_len)
    out = {"greedy": [decode_ids(r, TARGET_VOCAB) for r in ids]}
    for k in beams:
        hyps = beam_search(p, b.x, b.x_mask, k, max_len, length_alpha=LENGTH_ALPHA)
        out[f"beam{k}"] = [decode_ids(h[0].tokens, TARGET_VOCAB) for h in hyps]
    return out


def decoding_study(per_bucket: int, seed: int = 12345, models=MODELS) -> dict:
    cfg = Seq2SeqConfig()
    result = {
        "per_bucket": per_bucket,
        "seed": seed,
        "beams": list(BEAMS),
        "length_alpha": LENGTH_ALPHA,
        "models": {},
    }
    for name in models:
        p = load_params(name)
        rng = np.random.default_rng(seed)
        rows, examples = [], []
        for lo, hi in cfg.buckets:
            src, tgt = date_examples(per_bucket, rng, min_len=lo, max_len=hi)
            out = decode_bucket(p, src, tgt)
            row = {"min_len": lo, "max_len": hi}
            for key, outs in out.items():
                row[key] = float(np.mean([o == t for o, t in zip(outs, tgt, strict=True)]))
            rows.append(row)
            wide = f"beam{BEAMS[-1]}"
            for s, t, g, w in zip(src, tgt, out["greedy"], out[wide], strict=True):
                if g != t and w == t and len(examples) < 3:
                    examples.append({"source": s, "target": t, "greedy": g, wide: w})
            print(
                name,
                lo,
                hi,
                {k: f"{v:.3f}" for k, v in row.items() if k not in ("min_len", "max_len")},
            )
        result["models"][name] = {"by_length": rows, "greedy_fails_beam_right": examples}
    return result


def exposure_study(n: int = 800, seed: int = 12345, sampling: float = 0.0) -> dict:
    cfg = Seq2SeqConfig()
    src, tgt = date_examples(
        n, np.random.default_rng(seed), min_len=cfg.min_len, max_len=cfg.max_len
    )
    b = encode_batch(src, tgt)
    models = {name: load_params(name) for name in MODELS}
    if sampling > 0.0:
        from rnncourse.experiments.seq2seq import train_translator

        ss_cfg = Seq2SeqConfig(sampling=sampling)  # the plain model, where the gap shows
        models[f"plain_sampling{sampling:g}"], _ = train_translator(ss_cfg)
    result = {"n": n, "seed": seed, "sampling": sampling, "models": {}}
    for name, p in models.items():
        forced, free = accuracy_by_position(p, b)
        result["models"][name] = {"teacher_forced": forced.tolist(), "free_running": free.tolist()}
        print(name, "forced", np.round(forced, 3), "free", np.round(free, 3))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("study", choices=["decoding", "exposure"])
    ap.add_argument("--train-sampling", type=float, default=0.0)
    ap.add_argument("--per-bucket", type=int, default=200)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    if args.study == "decoding":
        result = decoding_study(args.per_bucket)
    else:
        result = exposure_study(sampling=args.train_sampling)
    args.out = args.out or RESULTS / f"seq2seq_{args.study}.json"
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
