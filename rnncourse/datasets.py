"""Real data for lesson 9, offline: a character corpus, a measured time series, a signal task.

Three data sets, none downloaded:

- **Python source code** (PSF licence): modules of the Python standard library. The lesson uses
  a snapshot shipped in ``rnncourse/data/stdlib_snapshot.txt.gz`` (the same modules, taken from
  Python 3.11) so that every learner, on any Python, gets the same text and the same numbers;
  ``load_code_corpus(source="installed")`` reads the same modules from your own Python instead.
  ``load_pydoc_topics`` gives English documentation (also PSF) from your own Python.
- **Mauna Loa CO2** (public domain): weekly atmospheric CO2, March 1958 - December 2001, in
  ``rnncourse/data/co2_weekly.csv``, extracted once from statsmodels by
  ``tools/extract_series.py`` (see ``rnncourse/data/README.md``).
- **Chirps**: noisy tones whose pitch rises, falls or stays, drawn from an explicit ``rng``
  (generated, so defined with the other tasks: ``rnncourse.tasks.chirp_signals``; the name
  stays importable from here).

Text becomes integer ids through a ``Vocab``; V is the vocabulary size.

    ids (L,) int     a text of L characters      V distinct characters
"""

from __future__ import annotations

import csv
import gzip
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnncourse.tasks import chirp_signals

__all__ = [
    "CODE_MODULES",
    "Vocab",
    "chirp_signals",
    "clean_text",
    "load_co2",
    "load_code_corpus",
    "load_pydoc_topics",
    "read_stdlib_source",
    "sliding_windows",
    "train_val_split",
    "unigram_bits",
]

DATA_DIR = Path(__file__).parent / "data"
SNAPSHOT = DATA_DIR / "stdlib_snapshot.txt.gz"
ORTHOGONAL_RUN = DATA_DIR / "orthogonal_rnn_run.npz"
ORTHOGONAL_RUN_GAIN = DATA_DIR / "orthogonal_rnn_run_gain1.5.npz"  # the predict-then-run cell's

# Pure-Python standard-library modules, about 0.5 MB of code in all.
CODE_MODULES: tuple[str, ...] = (
    "bisect", "colorsys", "fnmatch", "glob", "copy", "graphlib", "numbers", "operator",
    "queue", "string", "shlex", "cmd", "csv", "textwrap", "warnings", "base64", "gettext",
    "heapq", "pprint", "calendar", "contextlib", "fractions", "tempfile", "random",
    "functools", "traceback", "statistics", "dataclasses",
)  # fmt: skip


def clean_text(text: str) -> str:
    """Normalise a text for a small character model: ASCII only, no tabs, no ``\\r``.

    Tabs become four spaces, ``\\r\\n`` becomes ``\\n``, any other non-printable or non-ASCII
    character becomes ``?``.

    >>> clean_text("a\\tb\\r\\nπ")
    'a    b\\n?'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch if (" " <= ch <= "~" or ch == "\n") else "?" for ch in text)


def read_stdlib_source(modules: tuple[str, ...] = CODE_MODULES) -> str:
    """The source of ``modules`` from the running Python's standard library, cleaned, joined.

    Each file is preceded by a line ``# ==== <name>.py ====``.
    """
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for name in modules:
        path = stdlib / f"{name}.py"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: this Python has no source for {name!r}")
        parts.append(f"# ==== {name}.py ====\n" + path.read_text(encoding="utf-8"))
    return clean_text("\n".join(parts))


def load_code_corpus(source: str = "snapshot") -> str:
    """Python source code for the character model.

    Args:
        source: ``"snapshot"`` (default) reads the shipped snapshot, identical for everyone;
            ``"installed"`` reads the same modules from your own Python (their text, and so
            every number computed from it, depends on your Python version).
    """
    if source == "snapshot":
        with gzip.open(SNAPSHOT, "rt", encoding="ascii") as f:
            return f.read()
    if source == "installed":
        return read_stdlib_source()
    raise ValueError(f"source must be 'snapshot' or 'installed', got {source!r}")


def load_pydoc_topics() -> str:
    """English documentation from your own Python: ``pydoc_data.topics`` (PSF licence), cleaned.

    The topics are joined in sorted order of their names, separated by blank lines.
    """
    from pydoc_data.topics import topics

    return clean_text("\n\n".join(topics[k] for k in sorted(topics)))


@dataclass(frozen=True)
class Vocab:
    """The characters of a corpus, in sorted order; a character's id is its position.

    >>> v = Vocab.from_text("banana")
    >>> v.chars, len(v)
    ('abn', 3)
    >>> v.encode("nab").tolist(), v.decode([2, 0, 1])
    ([2, 0, 1], 'nab')
    """

    chars: str

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Characters -> ids, (L,) int64. Raises ``ValueError`` on a character not in the vocab."""
        table = {ch: i for i, ch in enumerate(self.chars)}
        try:
            return np.fromiter((table[ch] for ch in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: np.ndarray | list[int]) -> str:
        """Ids -> characters."""
        return "".join(self.chars[int(i)] for i in ids)


def train_val_split(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A fixed split: the first ``1 - val_fraction`` of the text trains, the last part validates.

    A contiguous tail (not random characters) so that validation text is text the model has
    never seen, not characters whose neighbours it trained on.

    >>> train, val = train_val_split(np.arange(10), 0.2)
    >>> train.tolist(), val.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    cut = round(len(ids) * (1.0 - val_fraction))
    return ids[:cut], ids[cut:]


def unigram_bits(train_ids: np.ndarray, val_ids: np.ndarray, V: int) -> float:
    """Bits per character of the unigram model (character frequencies, add-one smoothed).

    The baseline a character model has to beat: it knows how common each character is but
    nothing about order. ``-mean(log2 p(c))`` over the validation characters.

    >>> round(unigram_bits(np.array([0, 0, 0, 1]), np.array([0, 1]), V=2), 4)
    1.085
    """
    counts = np.bincount(train_ids, minlength=V).astype(np.float64) + 1.0
    logp = np.log2(counts / counts.sum())
    return float(-logp[val_ids].mean())


def load_orthogonal_run(scale: float = 0.9) -> dict[str, np.ndarray]:
    """Exercise 06's recorded run: one sequence (T = 40) through a tanh RNN whose W_hh is 0.9
    times an orthogonal matrix (``scale=1.5``: 1.5 times, for its predict-then-run cell).
    Keys: W_hh (16, 16), W_xh (16, 3), b_h (16,), x (1, 40, 3), h (1, 40, 16), the hidden
    states, and dh_last (1, 16), a gradient on the last state.
    Written by ``python -m rnncourse.experiments.gradient_flow``."""
    paths = {0.9: ORTHOGONAL_RUN, 1.5: ORTHOGONAL_RUN_GAIN}
    if scale not in paths:
        raise ValueError(f"recorded runs exist for scale 0.9 and 1.5, not {scale!r}")
    with np.load(paths[scale], allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def load_co2(monthly: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Mauna Loa atmospheric CO2 (ppm), from the shipped CSV.

    Args:
        monthly: if True, monthly means of the weekly values, March 1958 ... December 2001,
            with the few months that have no measurement filled by linear interpolation;
            else the weekly rows, with NaN where a week has no measurement.

    Returns:
        (t, co2): time in decimal years (the middle of the month, or the week's date) and the
        values, both (L,) float64.

    >>> t, co2 = load_co2()
    >>> len(t), f"{t[0]:.3f}", f"{co2[0]:.2f}"
    (526, '1958.208', '316.10')
    """
    dates, values = [], []
    with open(DATA_DIR / "co2_weekly.csv", encoding="ascii") as f:
        rows = (line for line in f if not line.startswith("#"))
        for row in csv.DictReader(rows):
            dates.append(row["date"])
            values.append(float(row["co2_ppm"]) if row["co2_ppm"] else np.nan)
    y = np.array([int(d[:4]) for d in dates])
    m = np.array([int(d[5:7]) for d in dates])
    day = np.array([int(d[8:10]) for d in dates])
    co2 = np.array(values)
    if not monthly:
        return y + (m - 1) / 12 + (day - 1) / 365.25, co2
    month_index = (y - y[0]) * 12 + (m - 1)  # months since January of the first year
    ok = ~np.isnan(co2)
    sums = np.bincount(month_index[ok], weights=co2[ok])
    counts = np.bincount(month_index[ok])
    keep = np.arange(month_index[0], len(sums))
    t = y[0] + (keep + 0.5) / 12
    has = counts[keep] > 0
    means = sums[keep][has] / counts[keep][has]
    return t, np.interp(t, t[has], means)  # months without data: linear interpolation


def _write_snapshot() -> None:
    """Write ``stdlib_snapshot.txt.gz`` from this Python (run ``python -m rnncourse.datasets``)."""
    text = read_stdlib_source()
    with gzip.GzipFile(SNAPSHOT, "wb", mtime=0) as f:
        f.write(text.encode("ascii"))
    print(f"wrote {SNAPSHOT.name}: {len(text):,} characters")


if __name__ == "__main__":
    _write_snapshot()


def sliding_windows(x: np.ndarray, w: int) -> np.ndarray:
    """Every window of w consecutive steps, laid side by side: what a model with a fixed
    input size (an MLP over a window, lesson 1) reads.

    Window j holds steps j, j+1, ..., j+w-1, step by step: ``x[:, j:j + w].reshape(N, w * D)``.

    Args:
        x: sequences, (N, T, D); w: the window length, 1 <= w <= T.

    Returns:
        (N, T - w + 1, w * D), a new array of x's dtype.

    >>> sliding_windows(np.arange(4.0).reshape(1, 4, 1), 2)[0]
    array([[0., 1.],
           [1., 2.],
           [2., 3.]])
    """
    N, T, D = x.shape
    if not 1 <= w <= T:
        raise ValueError(f"the window length must be between 1 and T = {T}, got {w}")
    idx = np.arange(T - w + 1)[:, None] + np.arange(w)  # (T - w + 1, w): the steps of each window
    return x[:, idx].reshape(N, T - w + 1, w * D)
