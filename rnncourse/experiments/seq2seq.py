"""Lesson 12's experiment: the date translator with and without attention, by input length.

Both models are ``rnncourse.seq2seq``'s GRU encoder-decoder (the same H, the same data, the
same seeds), trained with teacher forcing on the masked loss with Adam and gradient clipping;
one has additive attention. Each is tested on fresh examples grouped by source length, decoded
greedily (free running): a source counts as right when the whole ISO date is.

    python -m rnncourse.experiments.seq2seq --out results/seq2seq_attention.json

writes ``results/seq2seq_attention.json`` (its config, the loss curve, the sequence and
character accuracies per length bucket, for each model; no timings). The trained attention
model, for the lesson's heat maps (training is deterministic: this is the same model):

    python -m rnncourse.experiments.seq2seq --models attention --save-params --out /tmp/att.json

writes ``results/seq2seq_attention_params.npz``. The plain model, trained
four times longer (is it slow or stuck?):

    python -m rnncourse.experiments.seq2seq --models plain --iters 8000 --out results/seq2seq_plain_long.json

Is it the length? Both models trained and tested on sources from the bare date (``--min-len 0``:
a length bucket of sources of at most 40 characters is added, many with no filler at all):

    python -m rnncourse.experiments.seq2seq --min-len 0 --out results/seq2seq_bare_dates.json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rnncourse.optim import Adam, clip_grad_norm
from rnncourse.seq2seq import greedy_decode, init_seq2seq, seq2seq_forward, seq2seq_loss
from rnncourse.tasks.dates import (
    SOURCE_VOCAB,
    TARGET_VOCAB,
    date_examples,
    decode_ids,
    encode_batch,
)

__all__ = [
    "Seq2SeqConfig",
    "accuracy_by_position",
    "evaluate_by_length",
    "load_params",
    "main",
    "mix_own_predictions",
    "params_file",
    "train_translator",
]

RESULTS_FILE = Path(__file__).resolve().parents[2] / "results" / "seq2seq_attention.json"


@dataclass(frozen=True)
class Seq2SeqConfig:
    H: int = 32
    attention: int | None = None  # attention units A, or None
    min_len: int = 40
    max_len: int = 100
    batch: int = 32
    iters: int = 2000
    lr: float = 3e-3
    clip: float = 5.0
    seed: int = 0
    test_per_bucket: int = 200
    sampling: float = 0.0  # scheduled sampling: chance of feeding the model's own token
    buckets: tuple[tuple[int, int], ...] = field(default=((40, 55), (55, 70), (70, 85), (85, 100)))


def mix_own_predictions(p, b, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Scheduled sampling, in its one-pass form (Bengio et al. 2015; Duckworth et al. 2019):
    each decoder input after BOS is, with probability ``prob``, replaced by the model's own
    most likely token at the step before (from a teacher-forced pass); no gradient flows
    through the choice. Returns the new y_in (N, U)."""
    logits, _ = seq2seq_forward(p, b.x, b.x_mask, b.y_in)
    own = logits.argmax(axis=2)  # (N, U): the prediction for each output position
    y_in = b.y_in.copy()
    swap = rng.random(y_in[:, 1:].shape) < prob
    y_in[:, 1:] = np.where(swap & b.y_mask[:, 1:], own[:, :-1], y_in[:, 1:])
    return y_in


def accuracy_by_position(p, b) -> tuple[np.ndarray, np.ndarray]:
    """Token accuracy at each output position (U,), over the real positions of batch ``b``:
    teacher forced (the true prefix given) and free running (greedy, the model's own prefix).
    Their gap at later positions is exposure bias."""
    logits, _ = seq2seq_forward(p, b.x, b.x_mask, b.y_in)
    forced = logits.argmax(axis=2) == b.y_out
    ids, _, _ = greedy_decode(p, b.x, b.x_mask, max_len=b.y_out.shape[1])
    free = ids == b.y_out
    m = b.y_mask
    return (forced & m).sum(0) / m.sum(0), (free & m).sum(0) / m.sum(0)


def train_translator(cfg: Seq2SeqConfig, log_every: int = 100):
    """Train one model; returns (params, losses every ``log_every`` iterations)."""
    rng = np.random.default_rng(cfg.seed)
    p = init_seq2seq(len(SOURCE_VOCAB), len(TARGET_VOCAB), cfg.H, rng, attention=cfg.attention)
    opt = Adam(lr=cfg.lr)
    data_rng = np.random.default_rng(cfg.seed + 1000)
    sample_rng = np.random.default_rng(cfg.seed + 2000)
    losses, window = [], []
    for it in range(1, cfg.iters + 1):
        src, tgt = date_examples(cfg.batch, data_rng, min_len=cfg.min_len, max_len=cfg.max_len)
        b = encode_batch(src, tgt)
        y_in = b.y_in
        if cfg.sampling > 0.0:
            y_in = mix_own_predictions(p, b, cfg.sampling, sample_rng)
        loss, grads = seq2seq_loss(p, b.x, b.x_mask, y_in, b.y_out, b.y_mask)
        grads, _ = clip_grad_norm(grads, cfg.clip)
        opt.step(p, grads)
        window.append(loss)
        if it % log_every == 0:
            losses.append(float(np.mean(window)))
            window = []
    return p, losses


def evaluate_by_length(p, cfg: Seq2SeqConfig, seed: int = 12345) -> list[dict]:
    """Greedy sequence and character accuracy on fresh sources, per length bucket."""
    rng = np.random.default_rng(seed)
    rows = []
    for lo, hi in cfg.buckets:
        src, tgt = date_examples(cfg.test_per_bucket, rng, min_len=lo, max_len=hi)
        b = encode_batch(src, tgt)
        ids, _, _ = greedy_decode(p, b.x, b.x_mask, max_len=b.y_out.shape[1])
        out = [decode_ids(r, TARGET_VOCAB) for r in ids]
        seq = float(np.mean([o == t for o, t in zip(out, tgt, strict=True)]))
        chars = float(
            np.mean([sum(a == c for a, c in zip(o.ljust(10), t, strict=False)) / 10
                     for o, t in zip(out, tgt, strict=True)])
        )  # fmt: skip
        rows.append(
            {"min_len": lo, "max_len": hi, "sequence_accuracy": seq, "char_accuracy": chars}
        )
    return rows


MODELS = ("plain", "attention")


def params_file(name: str) -> Path:
    """Where ``--save-params`` writes a model's trained parameters."""
    return RESULTS_FILE.with_name(f"seq2seq_{name}_params.npz")


def load_params(name: str = "attention") -> dict[str, np.ndarray]:
    """The committed trained parameters of model ``name`` (written by ``--save-params``)."""
    with np.load(params_file(name)) as f:
        return {k: f[k] for k in f.files}


def run(
    iters: int,
    H: int,
    seed: int,
    models: tuple[str, ...] = MODELS,
    save_params: bool = False,
    min_len: int = Seq2SeqConfig.min_len,
) -> dict:
    """Train and evaluate ``models``. With ``min_len`` below the default 40 the models train on
    sources from ``min_len`` characters up, and a bucket (min_len, 40) comes first."""
    out = {"models": {}}
    default = Seq2SeqConfig()
    buckets = default.buckets
    if min_len < default.min_len:
        buckets = ((min_len, default.min_len), *buckets)
    for name in models:
        A = H if name == "attention" else None
        cfg = Seq2SeqConfig(
            H=H, attention=A, iters=iters, seed=seed, min_len=min_len, buckets=buckets
        )
        p, losses = train_translator(cfg)
        if save_params:
            np.savez_compressed(params_file(name), **p)
        rows = evaluate_by_length(p, cfg)
        out["models"][name] = {"config": asdict(cfg), "losses": losses, "by_length": rows}
        for r in rows:
            print(f"{name:>9} len {r['min_len']:3d}-{r['max_len']:3d}: "
                  f"sequence {r['sequence_accuracy']:.3f}  chars {r['char_accuracy']:.3f}")  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=RESULTS_FILE)
    ap.add_argument("--iters", type=int, default=Seq2SeqConfig.iters)
    ap.add_argument("--H", type=int, default=Seq2SeqConfig.H)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--save-params", action="store_true", help="also write each model's npz")
    ap.add_argument(
        "--min-len",
        type=int,
        default=Seq2SeqConfig.min_len,
        help="shortest source (characters; 0: the bare date); below 40 adds a bucket up to 40",
    )
    args = ap.parse_args(argv)
    if not 0 <= args.min_len <= Seq2SeqConfig.min_len:
        ap.error(f"--min-len must be between 0 and {Seq2SeqConfig.min_len}")
    models = tuple(args.models)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        result = run(args.iters, args.H, args.seed, models, args.save_params, args.min_len)
    else:
        with threadpool_limits(1):
            result = run(args.iters, args.H, args.seed, models, args.save_params, args.min_len)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
