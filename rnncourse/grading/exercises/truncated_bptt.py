"""Exercise ``truncated_bptt`` (lesson 5): the loss and the truncated-BPTT gradient of a whole
sequence, cut into chunks of k steps (``rnncourse.tbptt``).

The model is the vanilla RNN with an output at every step and a squared-error loss,
``L = mean over N, T, K of (y_t - target_t)**2``. The state is carried from chunk to chunk, the
gradient is not: no path crosses a chunk boundary. The result is ``(loss, grads)``; the
package's ``truncated_bptt`` returns the cost of the computation as well, which is not graded.
"""

from __future__ import annotations

import numpy as np

from rnncourse.grading.exercises._common import group, normal, states
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory
from rnncourse.tbptt import chunk_backward, chunk_forward
from rnncourse.tbptt import truncated_bptt as _package_truncated_bptt


def reference(params, x, target, k, h0):
    """The package's truncated BPTT without its cost: (loss, grads)."""
    loss, grads, _ = _package_truncated_bptt(params, x, target, k, h0)
    return loss, grads


# (N, T, D, H, K), k, dtype, label: every size different except the square layers (D = H and
# K = H); chunks that divide T, a shorter last chunk, k = 1, k >= T (exact BPTT); the first
# shapes again with new values.
SETTINGS = [
    ((3, 7, 2, 5, 4), 3, np.float64, "float64, shorter last chunk"),
    ((2, 6, 3, 4, 5), 2, np.float64, "float64, k divides T"),
    ((1, 5, 3, 2, 4), 5, np.float64, "float64, k = T (exact BPTT)"),
    ((2, 1, 4, 3, 5), 2, np.float64, "float64, k > T"),
    ((2, 6, 3, 4, 5), 2, np.float64, "same shapes, new values"),
    ((3, 5, 4, 4, 2), 2, np.float64, "square layer (D = H)"),
    ((2, 5, 3, 4, 4), 1, np.float64, "square layer (K = H), k = 1"),
    ((4, 8, 2, 5, 3), 3, np.float32, "float32"),
]
HIDDEN = [
    ((5, 9, 3, 6, 2), 4, np.float64, "float64"),
    ((3, 10, 4, 2, 5), 3, np.float32, "float32"),
]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D, H, K), k, dtype, label in HIDDEN if hidden else SETTINGS:
        params = {
            "W_xh": normal(rng, (H, D), dtype, 1.0 / np.sqrt(D)),
            # a strong recurrence, so that the paths truncation cuts carry visible gradient
            "W_hh": normal(rng, (H, H), dtype, 1.2 / np.sqrt(H)),
            "b_h": normal(rng, (H,), dtype, 0.5),
            "W_hy": normal(rng, (K, H), dtype, 1.0 / np.sqrt(H)),
            "b_y": normal(rng, (K,), dtype, 0.5),
        }
        inputs = {
            "params": params,
            "x": normal(rng, (N, T, D), dtype),
            "target": normal(rng, (N, T, K), dtype),
            "k": k,
            "h0": states(rng, (N, H), dtype),
        }
        sizes = {"N": N, "T": T, "D": D, "H": H, "K": K}
        out.append(Case(inputs, label if label else group(dtype), sizes, dtype))
    return out


@mistake_factory
def _tbptt(*, crossing=False, carry="carried", start="h0", weighting="global", drop_last=False):
    """Truncated BPTT with the mistakes named by the flags."""

    def run(params, x, target, k, h0):
        N, T, _ = x.shape
        k = T if crossing else k
        zeros = np.zeros_like(h0)
        h_start = h0 if start == "h0" else zeros
        starts = list(range(0, T - k + 1, k)) if drop_last else list(range(0, T, k))
        grads = {name: np.zeros_like(v) for name, v in params.items()}
        loss = 0.0
        for s in starts:
            xc, tc = x[:, s : s + k], target[:, s : s + k]
            h, y = chunk_forward(params, xc, h_start)
            diff = y - tc
            M = {"global": target.size, "chunk_sum": tc.size, "chunk_mean": tc.size * len(starts)}
            loss += float(np.sum(diff * diff)) / M[weighting]
            g, _ = chunk_backward(params, 2.0 * diff / M[weighting], xc, h_start, h)
            for name in grads:
                grads[name] += g[name]
            h_start = {"carried": h[:, -1], "h0": h0, "zeros": zeros}[carry]
        return loss, grads

    return run


MISTAKES = [
    Mistake(
        "gradient crosses the chunk boundaries",
        _tbptt(crossing=True),
        "your gradient is exact BPTT over the whole sequence: truncated BPTT stops at each "
        "chunk's first step. The state handed over from the previous chunk is a constant: "
        "the gradient that reaches it (dL/dh_start) is dropped, not passed on to the previous "
        "chunk.",
    ),
    Mistake(
        "state reset to h0 at every chunk",
        _tbptt(carry="h0"),
        "every chunk starts from h0: the forward carries the state, each chunk starts from the "
        "last hidden state of the chunk before it (only the gradient is cut).",
    ),
    Mistake(
        "state reset to zeros at every chunk",
        _tbptt(carry="zeros"),
        "every chunk starts from a zero state: the forward carries the state, each chunk starts "
        "from the last hidden state of the chunk before it (only the gradient is cut).",
    ),
    Mistake(
        "h0 ignored",
        _tbptt(start="zeros"),
        "the first chunk starts from zeros: it starts from the h0 you are given.",
    ),
    Mistake(
        "chunk means added up",
        _tbptt(weighting="chunk_sum"),
        "each chunk's loss is its own mean, and the means are added up: L is ONE mean over "
        "every entry of the whole sequence (N * T * K of them), so weight each chunk's squared "
        "errors by 1 / (N * T * K), in the loss and in dy.",
    ),
    Mistake(
        "chunk means averaged",
        _tbptt(weighting="chunk_mean"),
        "the loss is the average of the chunks' means: when the last chunk is shorter its "
        "entries count more that way. L is ONE mean over every entry of the whole sequence, "
        "(N * T * K of them).",
    ),
    Mistake(
        "last, shorter chunk dropped",
        _tbptt(drop_last=True),
        "the last chunk is missing when k does not divide T: the chunks start at 0, k, 2k, ... "
        "below T, and the last one has the T % k steps that are left.",
    ),
]


def _chunks(case: Case) -> tuple[int, int]:
    return case.sizes["T"], case.inputs["k"]


EXERCISE = Exercise(
    name="truncated_bptt",
    args=("params", "x", "target", "k", "h0"),
    outputs=("loss", "grads"),
    reference=reference,
    equivalents=(_package_truncated_bptt,),
    cases=cases,
    dims={"x": "N T D", "target": "N T K", "h0": "N H"},
    scalars=frozenset({"loss"}),
    mistakes=MISTAKES,
    rtol64=1e-8,
    branches={
        "k >= T (exact BPTT)": lambda c: _chunks(c)[1] >= _chunks(c)[0],
        "k < T, k divides T": lambda c: (
            _chunks(c)[1] < _chunks(c)[0] and _chunks(c)[0] % _chunks(c)[1] == 0
        ),
        "k < T, a shorter last chunk": lambda c: (
            _chunks(c)[0] % _chunks(c)[1] != 0 and _chunks(c)[1] < _chunks(c)[0]
        ),
        "k = 1": lambda c: _chunks(c)[1] == 1,
    },
    output_hints={
        "loss": "only the loss is wrong: L = mean over N, T, K of (y_t - target_t)**2, the "
        "chunks' sums of squared errors added up and divided by N * T * K.",
    },
)
