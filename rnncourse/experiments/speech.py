"""Lesson 11, part 2: recognising spoken digits from their log-mel frames.

Three recognisers of the shipped FSDD features (``rnncourse.experiments.speech_data``):

- **template matching with dynamic time warping** (DTW), the method of the 1970s: a recording is
  labelled with the digit of the stored template it is closest to, the distance measured after
  stretching time so that the two line up as well as they can (``dtw_distances``);
- a **bag of frames**: the mean and standard deviation of each mel band over the recording,
  into a softmax regression. It sees which sounds occur, never in which order;
- a **recurrent classifier**: ``rnncourse.deep``'s stacked and/or bidirectional layer over the
  frames, its top-layer states averaged over the recording's real frames (padding masked out),
  then a linear layer to 10 digits; softmax cross-entropy, Adam, gradient clipping.

Two ways of testing: the dataset's official split (recordings 0-4 of every digit and speaker
are the test set: the speakers are known), and each of the 6 speakers held out in turn
(trained on the other five, tested on all 500 recordings of the sixth: a new voice).

The longer runs (every recogniser on both tests; depth and direction compared on the official
split, three seeds each) write
``results/speech.json``:

    nice -n 10 python -m rnncourse.experiments.speech --jobs 2 --out results/speech.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from rnncourse.deep import deep_backward, deep_forward, init_deep
from rnncourse.experiments.speech_data import SpokenDigits, load_spoken_digits
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import softmax_cross_entropy
from rnncourse.optim import Adam, clip_grad_norm

__all__ = [
    "LONG",
    "RESULTS_FILE",
    "SEEDS",
    "VARIANTS",
    "SpeechConfig",
    "pad_batch",
    "bag_of_frames",
    "choose_templates",
    "collect",
    "count_params",
    "evaluate",
    "confusion",
    "dtw_classify",
    "dtw_distances",
    "heldout_split",
    "init_speech",
    "load_speech_results",
    "normaliser",
    "normalised",
    "predict_speech",
    "speech_loss",
    "test_split",
    "train_bag",
    "train_speech",
]

RESULTS_FILE = Path(__file__).resolve().parents[2] / "results" / "speech.json"


@dataclass(frozen=True)
class SpeechConfig:
    cell: str = "gru"
    H: int = 32
    num_layers: int = 1
    bidirectional: bool = True
    epochs: int = 4
    batch: int = 32
    lr: float = 0.005
    seed: int = 0
    dtype: str = "float32"


# --- splits and normalisation ----------------------------------------------------------------


def test_split(data: SpokenDigits) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices of the official split: recordings 0-4 are the test set."""
    return np.flatnonzero(~data.test), np.flatnonzero(data.test)


def heldout_split(data: SpokenDigits, speaker: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices with every recording of one speaker held out."""
    return np.flatnonzero(data.speaker != speaker), np.flatnonzero(data.speaker == speaker)


def normaliser(feats: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and standard deviation over every frame of the training recordings."""
    allf = np.concatenate(feats).astype(np.float64)
    return allf.mean(axis=0), allf.std(axis=0) + 1e-6


def normalised(data: SpokenDigits, train: np.ndarray) -> list[np.ndarray]:
    """Every recording's frames normalised with the training recordings' per-band statistics."""
    return _norm(data.features, normaliser([data.features[i] for i in train]))


def load_speech_results(path: str | Path = RESULTS_FILE) -> dict:
    """The committed runs (``results/speech.json``)."""
    return json.loads(Path(path).read_text())


def _norm(feats, norm, dtype=np.float64) -> list[np.ndarray]:
    mean, std = norm
    return [((f - mean) / std).astype(dtype) for f in feats]


def _pad(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    T = max(len(s) for s in seqs)
    x = np.zeros((len(seqs), T, seqs[0].shape[1]), dtype=seqs[0].dtype)
    mask = np.zeros((len(seqs), T), dtype=seqs[0].dtype)
    for n, s in enumerate(seqs):
        x[n, : len(s)] = s
        mask[n, : len(s)] = 1
    return x, mask


def pad_batch(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Recordings (T_i, D) padded with zeros to (N, T, D), and the mask (N, T), 1 on real frames."""
    return _pad(seqs)


def _batches(lengths: np.ndarray, batch: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of recordings of similar length (little padding), in a random order."""
    order = np.argsort(lengths + rng.uniform(0, 1, len(lengths)), kind="stable")
    groups = [order[i : i + batch] for i in range(0, len(order), batch)]
    return [groups[i] for i in rng.permutation(len(groups))]


# --- the recurrent classifier ------------------------------------------------------------------


def init_speech(cfg: SpeechConfig, D: int, rng: np.random.Generator):
    dt = np.dtype(cfg.dtype).type
    rnn = init_deep(
        cfg.cell,
        D,
        cfg.H,
        rng,
        num_layers=cfg.num_layers,
        bidirectional=cfg.bidirectional,
        dtype=dt,
    )
    W_hy, b_y = init_output((2 if cfg.bidirectional else 1) * cfg.H, 10, rng, dtype=dt)
    return {"rnn": rnn, "out": {"W_hy": W_hy, "b_y": b_y}}


def _logits(params, cfg, x, mask):
    out, _, cache = deep_forward(cfg.cell, params["rnn"], x)
    count = mask.sum(axis=1, keepdims=True)
    pooled = (out * mask[:, :, None]).sum(axis=1) / count  # mean over the real frames
    return output_forward(pooled, **params["out"]), (out, cache, pooled, count)


def speech_loss(params, cfg: SpeechConfig, x: np.ndarray, mask: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of a padded batch x (N, T, D) with mask (N, T) (1 on real frames) and
    its gradients, keyed ``rnn/<name>`` and ``out/<name>``."""
    dt = x.dtype.type
    logits, (out, cache, pooled, count) = _logits(params, cfg, x, mask)
    loss, dlogits = softmax_cross_entropy(logits, y)
    dpooled, dW_hy, db_y = output_backward(dlogits, pooled, params["out"]["W_hy"])
    dout = (dpooled / count)[:, None, :] * mask[:, :, None]
    _, _, g = deep_backward(cfg.cell, params["rnn"], cache, dout.astype(dt))
    return loss, {**{f"rnn/{k}": v for k, v in g.items()}, "out/W_hy": dW_hy, "out/b_y": db_y}


def train_speech(cfg: SpeechConfig, feats: list[np.ndarray], labels: np.ndarray):
    """Train on (already normalised) recordings; returns (params, mean loss per epoch)."""
    rng = np.random.default_rng(cfg.seed)
    params = init_speech(cfg, feats[0].shape[1], rng)
    opt = Adam(lr=cfg.lr)
    lengths = np.array([len(f) for f in feats])
    dt = np.dtype(cfg.dtype).type
    curve = []
    for _ in range(cfg.epochs):
        losses = []
        for idx in _batches(lengths, cfg.batch, rng):
            x, mask = _pad([feats[i].astype(dt) for i in idx])
            loss, grads = speech_loss(params, cfg, x, mask, labels[idx])
            grads, _ = clip_grad_norm(grads, 1.0)
            flat = {f"rnn/{k}": v for k, v in params["rnn"].items()}
            flat.update({f"out/{k}": v for k, v in params["out"].items()})
            opt.step(flat, grads)
            losses.append(float(loss))
        curve.append(float(np.mean(losses)))
    return params, np.array(curve)


def predict_speech(
    params,
    cfg: SpeechConfig,
    feats: list[np.ndarray],
    batch: int = 100,
    return_scores: bool = False,
):
    """The predicted digit of each (normalised) recording (or, with ``return_scores``, the
    10 scores of each, (N, 10)).

    Recordings run in batches of one length, without padding: a backward direction that
    read padding before a recording's last frame would start from a different state.
    """
    dt = np.dtype(cfg.dtype).type
    lengths = np.array([len(f) for f in feats])
    scores = np.zeros((len(feats), 10))
    for n in np.unique(lengths):
        same = np.flatnonzero(lengths == n)
        for i in range(0, len(same), batch):
            idx = same[i : i + batch]
            x, mask = _pad([feats[j].astype(dt) for j in idx])
            logits, _ = _logits(params, cfg, x, mask)
            scores[idx] = logits
    return scores if return_scores else np.argmax(scores, axis=1)


def count_params(params) -> int:
    return int(sum(v.size for part in params.values() for v in part.values()))


# --- the bag of frames ------------------------------------------------------------------------


def bag_of_frames(feats: list[np.ndarray]) -> np.ndarray:
    """(N, 2 * bands): each band's mean and standard deviation over the recording's frames.
    Reversing the frames in time gives the same vector: the bag knows no order."""
    return np.stack([np.concatenate([f.mean(axis=0), f.std(axis=0)]) for f in feats])


def train_bag(
    X: np.ndarray, y: np.ndarray, iters: int = 500, lr: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression (full batch, Adam) on bag features; returns (W (10, F), b (10,))."""
    rng = np.random.default_rng(seed)
    W, b = init_output(X.shape[1], 10, rng)
    opt = Adam(lr=lr)
    p = {"W": W, "b": b}
    for _ in range(iters):
        _, dlogits = softmax_cross_entropy(X @ p["W"].T + p["b"], y)
        opt.step(p, {"W": dlogits.T @ X, "b": dlogits.sum(axis=0)})
    return p["W"], p["b"]


# --- dynamic time warping ---------------------------------------------------------------------


def _dtw_block(A: list[np.ndarray], B: list[np.ndarray]) -> np.ndarray:
    La = np.array([len(a) for a in A])
    Lb = np.array([len(b) for b in B])
    Xa, _ = _pad(A)
    Xb, _ = _pad(B)
    M, Ta, F = Xa.shape
    K, Tb, _ = Xb.shape
    sq = (Xa * Xa).sum(2)[:, None, :, None] + (Xb * Xb).sum(2)[None, :, None, :]
    cross = (Xa.reshape(-1, F) @ Xb.reshape(-1, F).T).reshape(M, Ta, K, Tb).transpose(0, 2, 1, 3)
    c = np.sqrt(np.maximum(sq - 2 * cross, 0.0))  # (M, K, Ta, Tb)
    D = np.cumsum(c[:, :, 0], axis=2)  # row 0: only steps along j
    final = np.zeros((M, K, Tb))
    final[La == 1] = D[La == 1]
    inf = np.full((M, K, 1), np.inf)
    for i in range(1, Ta):
        diag = np.concatenate([inf, D[:, :, :-1]], axis=2)
        s = c[:, :, i] + np.minimum(D, diag)
        C = np.cumsum(c[:, :, i], axis=2)
        D = C + np.minimum.accumulate(s - C, axis=2)
        ends = La == i + 1
        final[ends] = D[ends]
    return final[:, np.arange(K), Lb - 1] / (La[:, None] + Lb[None, :])


def dtw_distances(
    recordings: list[np.ndarray], templates: list[np.ndarray], block: int = 16
) -> np.ndarray:
    """DTW distances (M, K) from each recording (Ta, F) to each template (Tb, F).

    ``D[i, j] = c[i, j] + min(D[i-1, j], D[i-1, j-1], D[i, j-1])`` with c the Euclidean distance
    between frame i of the recording and frame j of the template; the distance is D at the two
    last frames divided by Ta + Tb (so that long words do not look far). The row recurrence is
    vectorised: with ``s[j] = c[i, j] + min(D[i-1, j], D[i-1, j-1])`` and C the running sum of
    row i's costs, ``D[i, j] = C[j] + min over k <= j of (s[k] - C[k])``: a cumulative minimum.
    Pairs are computed in blocks of similar length, padded; padding after a sequence's end never
    changes D before it, so each distance is read at its own last frames.
    """
    oa = np.argsort([len(a) for a in recordings], kind="stable")
    ob = np.argsort([len(b) for b in templates], kind="stable")
    out = np.zeros((len(recordings), len(templates)))
    for i in range(0, len(oa), block):
        ia = oa[i : i + block]
        for j in range(0, len(ob), block):
            ib = ob[j : j + block]
            out[np.ix_(ia, ib)] = _dtw_block(
                [recordings[k] for k in ia], [templates[k] for k in ib]
            )
    return out


def dtw_classify(
    feats: list[np.ndarray], templates: list[np.ndarray], template_labels: np.ndarray
) -> np.ndarray:
    """Each recording labelled with the digit of its nearest template (1-nearest neighbour)."""
    labels = np.asarray(template_labels)
    return labels[np.argmin(dtw_distances(feats, templates), axis=1)]


def confusion(y_true: np.ndarray, y_pred: np.ndarray, K: int = 10) -> np.ndarray:
    """counts[true, predicted]."""
    m = np.zeros((K, K), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


# --- the committed runs -----------------------------------------------------------------------


def choose_templates(data: SpokenDigits, train: np.ndarray, per_class_speaker: int):
    """The first ``per_class_speaker`` training recordings of every (digit, speaker)."""
    keep = []
    for d in range(10):
        for s in range(len(data.speakers)):
            idx = train[(data.digit[train] == d) & (data.speaker[train] == s)]
            keep.extend(idx[:per_class_speaker].tolist())
    return np.array(sorted(keep))


def evaluate(
    data: SpokenDigits,
    train: np.ndarray,
    test: np.ndarray,
    cfg: SpeechConfig,
    templates_per: int = 5,
    bag_iters: int = 500,
    baselines: bool = True,
) -> dict:
    """Every recogniser on one split: accuracies, the RNN's curve and confusion matrix."""
    norm = normaliser([data.features[i] for i in train])
    F = _norm(data.features, norm)
    y = data.digit
    row: dict = {"n_train": len(train), "n_test": len(test)}
    t0 = time.perf_counter()
    params, curve = train_speech(cfg, [F[i] for i in train], y[train])
    pred = predict_speech(params, cfg, [F[i] for i in test])
    row["rnn"] = float(np.mean(pred == y[test]))
    row["rnn_curve"] = [round(v, 4) for v in curve.tolist()]
    row["rnn_confusion"] = confusion(y[test], pred).tolist()
    row["rnn_params"] = count_params(params)
    row["rnn_seconds"] = round(time.perf_counter() - t0, 1)
    if not baselines:
        return row
    Xb = bag_of_frames(F)
    W, b = train_bag(Xb[train], y[train], iters=bag_iters)
    row["bag"] = float(np.mean(np.argmax(Xb[test] @ W.T + b, axis=1) == y[test]))
    tmpl = choose_templates(data, train, templates_per)
    t0 = time.perf_counter()
    dpred = dtw_classify([F[i] for i in test], [F[i] for i in tmpl], y[tmpl])
    row["dtw"] = float(np.mean(dpred == y[test]))
    row["dtw_templates"] = len(tmpl)
    row["dtw_seconds"] = round(time.perf_counter() - t0, 1)
    return row


def _job(args):
    kind, value, cfg_dict, templates_per, baselines = args
    data = load_spoken_digits()
    cfg = SpeechConfig(**cfg_dict)
    if kind == "test":
        train, test = test_split(data)
    else:
        train, test = heldout_split(data, value)
    row = evaluate(data, train, test, cfg, templates_per=templates_per, baselines=baselines)
    return kind, value, cfg_dict, row


# float64: float32 products round differently on different CPUs (and with array alignment),
# and five epochs of training grow that into different predictions; lesson 11 re-trains bi1
# live and must print the same accuracy on every machine
LONG = SpeechConfig(H=32, num_layers=1, bidirectional=True, epochs=5, dtype="float64")
SEEDS = (0, 1, 2)
VARIANTS = {  # depth and direction, on the official split
    "uni1": replace(LONG, num_layers=1, bidirectional=False),
    "bi1": LONG,
    "bi2": replace(LONG, num_layers=2, bidirectional=True),
}


def collect(done: list, speakers: tuple[str, ...], templates: int) -> dict:
    """The JSON of ``results/speech.json`` from the finished jobs (kind, value, config, row)."""
    tests = [(v[0], v[1], row) for kind, v, _, row in done if kind == "test"]
    held = [(v, row) for kind, v, _, row in done if kind == "heldout"]
    return {
        "command": "nice -n 10 python -m rnncourse.experiments.speech --jobs 2 --out results/speech.json",
        "machine": platform.processor() or platform.machine(),
        "long_config": asdict(LONG),
        "templates_per_digit_speaker": templates,
        "speakers": list(speakers),
        "variants": {name: asdict(cfg) for name, cfg in VARIANTS.items()},
        "test_split": {name: row for name, seed, row in tests if seed == 0},
        "test_split_seeds": {
            name: {str(seed): row["rnn"] for n, seed, row in tests if n == name}
            for name in VARIANTS
        },
        "heldout": {speakers[v]: row for v, row in held},
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Lesson 11's speech runs -> results/speech.json")
    ap.add_argument("--out", type=Path, default=RESULTS_FILE)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--templates", type=int, default=1, help="DTW templates per digit+speaker")
    args = ap.parse_args(argv)
    # the variants on the official split with three seeds (the baselines once: they have none)
    jobs = [
        ("test", (name, seed), asdict(replace(cfg, seed=seed)), args.templates, seed == 0)
        for seed in SEEDS
        for name, cfg in VARIANTS.items()
    ]
    jobs += [("heldout", s, asdict(LONG), args.templates, True) for s in range(6)]
    with ProcessPoolExecutor(max_workers=args.jobs) as ex:
        done = list(ex.map(_job, jobs))
    out = collect(done, load_spoken_digits().speakers, args.templates)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
