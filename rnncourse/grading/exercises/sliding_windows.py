"""Exercise ``sliding_windows`` (lesson 1): every window of w consecutive steps laid side by
side, the fixed-size input a window MLP reads."""

from __future__ import annotations

import numpy as np

from rnncourse.datasets import sliding_windows
from rnncourse.grading.exercises._common import normal
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory

# (N, T, D), w, dtype: sizes all different; w = 1, w = T and 1 < w < T; the first shapes again.
SETTINGS = [
    ((2, 7, 3), 3, np.float64),
    ((1, 6, 2), 2, np.float64),
    ((3, 5, 4), 1, np.float64),
    ((2, 4, 3), 4, np.float64),
    ((3, 1, 2), 1, np.float64),
    ((2, 7, 3), 3, np.float64),
    ((4, 9, 2), 5, np.float32),
]
HIDDEN = [((5, 11, 3), 4, np.float64), ((3, 8, 6), 8, np.float32)]


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for (N, T, D), w, dtype in HIDDEN if hidden else SETTINGS:
        label = f"{np.dtype(dtype).name}, w = {w}" + (" = T" if w == T else "")
        inputs = {"x": normal(rng, (N, T, D), dtype), "w": w}
        out.append(Case(inputs, label, {"N": N, "T": T, "D": D}, dtype))
    return out


@mistake_factory
def _windows(*, count="T - w + 1", layout="steps", stride="1", newest_first=False):
    """The windows with the mistakes named by the flags."""

    def windows(x, w):
        N, T, D = x.shape
        n = {"T - w + 1": T - w + 1, "T - w": T - w}[count]
        step = 1 if stride == "1" else w
        out = []
        for j in range(0, n * step, step):
            if j + w > T:
                break
            win = x[:, j : j + w]  # (N, w, D)
            if newest_first:
                win = win[:, ::-1]
            if layout == "features":
                win = win.transpose(0, 2, 1)
            out.append(win.reshape(N, w * D))
        return np.stack(out, axis=1) if out else np.zeros((N, 0, w * D), dtype=x.dtype)

    return windows


MISTAKES = [
    Mistake(
        "last window missing",
        _windows(count="T - w"),
        "the last window is missing: windows start at j = 0, 1, ..., T - w, so there are "
        "T - w + 1 of them (one when w = T).",
    ),
    Mistake(
        "each window laid out feature by feature",
        _windows(layout="features"),
        "each window must hold its steps one after the other, x_j, x_{j+1}, ..., x_{j+w-1}, "
        "each D long: the steps of window j, (N, w, D), flattened to (N, w * D). Yours lists "
        "the first feature of every step, then the second, ...",
    ),
    Mistake(
        "newest step first",
        _windows(newest_first=True),
        "each window is in reverse order (newest step first): keep time order, "
        "x_j, ..., x_{j+w-1}.",
    ),
    Mistake(
        "windows do not overlap",
        _windows(stride="w"),
        "your windows do not overlap (they start every w steps): a sliding window moves one "
        "step at a time, j = 0, 1, ..., T - w.",
    ),
]

EXERCISE = Exercise(
    name="sliding_windows",
    args=("x", "w"),
    outputs=("windows",),
    reference=sliding_windows,
    cases=cases,
    dims={"x": "N T D"},
    mistakes=MISTAKES,
    branches={
        "w = 1": lambda c: c.inputs["w"] == 1,
        "w = T": lambda c: c.inputs["w"] == c.sizes["T"],
        "1 < w < T": lambda c: 1 < c.inputs["w"] < c.sizes["T"],
    },
)
