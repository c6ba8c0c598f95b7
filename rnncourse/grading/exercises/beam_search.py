"""Exercise ``beam_search`` (lesson 12): the best output of a beam search with length
normalisation, for every source of a batch, from a model given as its parameter dict.

    alive = [BOS]; for step 1..max_len: extend every alive prefix by every token (PAD and
    BOS never), an extension ending in EOS is finished, the beam_size most likely other
    extensions stay alive; after max_len steps the alive prefixes are finished too. The
    finished hypotheses are ranked by logp / length**length_alpha (length counts the EOS).

The graded function returns arrays (no Hypothesis objects cross to the grader): tokens
(N, max_len) int, the best hypothesis's tokens, EOS included, PAD (0) after them; logp (N,)
and score (N,). Models are plain (no attention): a learner may call
``rnncourse.seq2seq.decoder_step`` and ``encode``, which then enter no graded function.
"""

from __future__ import annotations

import numpy as np

from rnncourse import seq2seq
from rnncourse.grading.exercises._common import REPEAT
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.losses import log_softmax

PAD, BOS, EOS = 0, 1, 2

# (N, T, H, V), dtype, group, beam_size, max_len, length_alpha. V is the output vocabulary
# (PAD, BOS, EOS and V - 3 symbols), V_in = V + 1. N=1 and T=1 among them.
SETUPS = [
    ((4, 3, 5, 6), np.float64, "float64", 3, 5, 0.6),
    ((1, 4, 3, 5), np.float64, "float64", 2, 4, 0.7),
    ((3, 1, 5, 7), np.float64, "float64", 4, 4, 1.0),
    ((4, 3, 5, 6), np.float64, REPEAT, 3, 5, 1.0),
    ((3, 2, 4, 5), np.float64, "beam of one", 1, 5, 1.0),
    ((2, 4, 3, 6), np.float64, "no length normalisation", 3, 4, 0.0),
    ((2, 3, 5, 6), np.float32, "float32", 3, 4, 1.0),
]
HIDDEN_SETUPS = [
    ((4, 5, 6, 7), np.float64, "float64", 3, 6, 0.8),
    ((1, 1, 3, 5), np.float64, "float64", 2, 3, 1.0),
    ((3, 3, 4, 6), np.float32, "float32", 4, 4, 1.0),
]


def model(rng: np.random.Generator, V_in: int, V: int, H: int, dtype: type) -> dict:
    """A plain encoder-decoder whose next-token distributions are far from uniform, and whose
    EOS is likely enough that hypotheses of several lengths finish."""
    p = seq2seq.init_seq2seq(V_in, V, H, rng, dtype=np.float64)
    p["W_hy"] = 4.0 * rng.normal(size=p["W_hy"].shape)
    p["b_y"] = rng.normal(size=V)
    p["b_y"][EOS] += 0.5
    for k in p:
        if k.startswith("dec_W"):
            p[k] = p[k] * np.sqrt(p[k].shape[1])
    return {k: v.astype(dtype) for k, v in p.items()}


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, H, V), dtype, label, beam, max_len, alpha in HIDDEN_SETUPS if hidden else SETUPS:
        lengths = rng.integers(1, T + 1, size=N)
        lengths[-1] = T
        x_mask = (np.arange(T)[None, :] < lengths[:, None]).astype(dtype)
        x = rng.integers(3, V + 1, size=(N, T)) * (x_mask > 0)
        inputs = {
            "params": model(rng, V + 1, V, H, dtype),
            "x": x.astype(np.int64),
            "x_mask": x_mask,
            "beam_size": beam,
            "max_len": max_len,
            "length_alpha": alpha,
        }
        out.append(Case(inputs, label, {"N": N, "T": T, "H": H, "V": V}, dtype))
    return out


def _pack(best: list[seq2seq.Hypothesis], max_len: int, dtype) -> tuple:
    tokens = np.zeros((len(best), max_len), dtype=np.int64)
    for n, h in enumerate(best):
        tokens[n, : len(h.tokens)] = h.tokens
    logp = np.array([h.logp for h in best], dtype=dtype)
    score = np.array([h.score for h in best], dtype=dtype)
    return tokens, logp, score


def best_hypotheses(params, x, x_mask, beam_size, max_len, length_alpha):
    """The reference: ``rnncourse.seq2seq.beam_search``'s best hypothesis per source, packed
    as arrays (tokens (N, max_len), logp (N,), score (N,))."""
    found = seq2seq.beam_search(params, x, x_mask, beam_size, max_len, length_alpha=length_alpha)
    return _pack([hyps[0] for hyps in found], max_len, params["W_hy"].dtype)


@mistake_factory
def _beam(mistake=None):
    """The search as a learner might write it, with ``mistake`` (None: the reference):
    "greedy", "rank by logp", "alpha one", "EOS not counted", "unfinished dropped". One flag
    for all: these mistakes interact (two of them often pick the same hypothesis as one), so
    no pair of them is catalogued. The score reported is the best hypothesis's
    logp / length**length_alpha, its length as the learner counts it."""

    def search(params, x, x_mask, beam_size, max_len, length_alpha):
        a = {"rank by logp": 0.0, "alpha one": 1.0}.get(mistake, length_alpha)
        width = 1 if mistake == "greedy" else beam_size
        eos_in_length = mistake != "EOS not counted"
        keep_unfinished = mistake != "unfinished dropped"
        h_all, s_all = seq2seq.encode(params, x, x_mask)
        best = []
        for n in range(x.shape[0]):
            prefixes, logps, states = [()], np.zeros(1), s_all[n : n + 1]
            finished = []
            for step in range(1, max_len + 1):
                B = len(prefixes)
                y_prev = np.array([p[-1] if p else BOS for p in prefixes])
                h = np.repeat(h_all[n : n + 1], B, axis=0)
                m = np.repeat(x_mask[n : n + 1], B, axis=0)
                logits, s_new, _ = seq2seq.decoder_step(params, y_prev, states, h, m)
                lp = log_softmax(logits)
                lp[:, [PAD, BOS]] = -np.inf
                cand = logps[:, None] + lp
                length = step if eos_in_length else max(step - 1, 1)
                for b in range(B):
                    finished.append(((*prefixes[b], EOS), float(cand[b, EOS]), length))
                cand[:, EOS] = -np.inf
                flat = cand.reshape(-1)
                order = np.argsort(-flat, kind="stable")[:width]
                V = cand.shape[1]
                prefixes = [(*prefixes[i // V], int(i % V)) for i in order]
                logps, states = flat[order], s_new[order // V]
            if keep_unfinished or not finished:
                finished += [
                    (p, float(total), max_len) for p, total in zip(prefixes, logps, strict=True)
                ]
            finished.sort(key=lambda f: -f[1] / f[2] ** a)  # ranked with the mistaken exponent
            tokens, total, length = finished[0]
            best.append(seq2seq.Hypothesis(tokens, total, total / length**length_alpha))
        return _pack(best, max_len, params["W_hy"].dtype)

    return search


MISTAKES = [
    Mistake(
        "only the best prefix kept",
        _beam("greedy"),
        "keep the beam_size most likely extensions alive at every step (np.argsort of all "
        "B·V candidates' log-probabilities, the first beam_size), not only the best one: that "
        "is greedy decoding.",
        "how many prefixes stay alive after a step? Compare with beam_size.",
    ),
    Mistake(
        "no length normalisation",
        _beam("rank by logp"),
        "rank the finished hypotheses by logp / length**length_alpha, not by logp: the plain "
        "log-probability favours short outputs.",
        "look at how the finished hypotheses are ranked: does length_alpha enter?",
    ),
    Mistake(
        "length_alpha ignored (always 1)",
        _beam("alpha one"),
        "the score is logp / length**length_alpha: with length_alpha = 0 it is logp itself, "
        "not the mean per token.",
        "look at the score's exponent: is it length_alpha?",
    ),
    Mistake(
        "EOS not counted in the length",
        _beam("EOS not counted"),
        "a hypothesis's length counts its EOS: a hypothesis that ends at step u has length u.",
        "look at the length you divide by for a hypothesis that ended with EOS.",
    ),
    Mistake(
        "unfinished hypotheses dropped",
        _beam("unfinished dropped"),
        "after max_len steps the prefixes still alive are finished too (length max_len, no "
        "EOS) and compete with the others.",
        "what happens to the prefixes still alive after max_len steps?",
    ),
]

EXERCISE = Exercise(
    name="beam_search",
    args=("params", "x", "x_mask", "beam_size", "max_len", "length_alpha"),
    outputs=("tokens", "logp", "score"),
    reference=best_hypotheses,
    equivalents=(seq2seq.beam_search,),
    cases=cases,
    dims={"x": "N T", "x_mask": "N T", "tokens": "N max_len", "logp": "N", "score": "N"},
    mistakes=MISTAKES,
    rtol64=1e-9,
    seed=20240755,  # its first case tells every catalogued mistake from the right answer
    branches={
        "a beam of one": lambda case: case.inputs["beam_size"] == 1,
        "a wider beam": lambda case: case.inputs["beam_size"] > 1,
        "length_alpha 0": lambda case: case.inputs["length_alpha"] == 0.0,
        "length_alpha between 0 and 1": lambda case: 0 < case.inputs["length_alpha"] < 1,
    },
    output_hints={
        "tokens": "the best hypothesis's tokens differ: check the ranking and which prefixes "
        "stay alive.",
        "score": "only the score is wrong: score = logp / length**length_alpha, the length "
        "counting the EOS.",
    },
)
