"""Exercise ``log_mel``: from a waveform to log-mel frames.

Arguments: x (S,) a signal, fbank (M, F) a mel filterbank (F = n_fft // 2 + 1 frequencies, so
n_fft = 2 (F - 1)), frame_length L and hop (ints). Returns (T, M): for each frame of L samples
every ``hop`` samples (the last one zero-padded past the end of x, one frame if x is shorter
than L), times the periodic Hann window ``0.5 - 0.5 cos(2 pi n / L)``, the power
``|rfft(frame, n=n_fft)|**2``, through the filterbank, ``log(max(energy, 1e-6))``.

Signals are quiet (about 0.01), as recordings are, so that energies are about 1e-3 and
log(energy + 1e-6) differs from the floor's maximum by more than rounding. Cases: frames that fit exactly and a padded last one, a signal shorter than one frame (T = 1),
a frame as long as the FFT and one zero-padded to it, a stretch of silence (the floor), float32.
"""

from __future__ import annotations

import numpy as np

from rnncourse.audio import log_mel, num_frames
from rnncourse.grading.spec import Case, Exercise, Mistake, mistake_factory

FLOOR = 1e-6
REPEAT = "same shapes, new values"
SILENCE = "a stretch of silence"

# S (samples), L (frame length), hop, M (mel bands), n_fft, dtype, group, silent
SIZES = [
    (37, 8, 3, 5, 16, np.float64, "float64", False),  # (37 - 8) % 3 != 0: the last frame padded
    (32, 8, 4, 3, 8, np.float64, "float64", False),  # fits exactly, L = n_fft
    (5, 8, 3, 4, 16, np.float64, "float64", False),  # shorter than a frame: T = 1
    (37, 8, 3, 5, 16, np.float64, REPEAT, False),
    (61, 12, 5, 6, 16, np.float64, SILENCE, True),
    (45, 11, 4, 7, 16, np.float32, "float32", False),
    (26, 8, 3, 6, 8, np.float32, "float32", False),
]
HIDDEN_SIZES = [
    (83, 16, 6, 9, 32, np.float64, "float64", False),
    (7, 10, 2, 3, 16, np.float64, "float64", False),
    (40, 16, 4, 5, 16, np.float64, "float64", False),
    (83, 16, 6, 9, 32, np.float64, REPEAT, False),
    (70, 12, 5, 7, 16, np.float64, SILENCE, True),
    (56, 12, 5, 4, 16, np.float32, "float32", False),
]


def filterbank(rng, M, n_fft, dtype):
    """Random non-negative filters: what matters is the product, not the mel shapes."""
    return rng.uniform(0.0, 1.0, size=(M, n_fft // 2 + 1)).astype(dtype)


def cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    out = []
    for S, L, hop, M, n_fft, dtype, label, silent in HIDDEN_SIZES if hidden else SIZES:
        x = 0.01 * rng.normal(size=S)  # a quiet recording: energies about 1e-3
        if silent:
            x[: S // 2] = 0.0  # whole frames of zeros: log(0) without the floor
        T = num_frames(S, L, hop)
        inputs = {
            "x": x.astype(dtype),
            "fbank": filterbank(rng, M, n_fft, dtype),
            "frame_length": L,
            "hop": hop,
        }
        sizes = {"S": S, "T": T, "L": L, "F": n_fft // 2 + 1, "M": M}
        out.append(Case(inputs, label, sizes, dtype))
    return out


@mistake_factory
def _log_mel(window="periodic", power=2, log=np.log, floor="max", drop_last=False):
    """log_mel as a learner might write it; each flag is one mistake, no flags the reference."""

    def forward(x, fbank, frame_length, hop):
        L, n_fft = frame_length, 2 * (fbank.shape[1] - 1)
        dtype = x.dtype
        if drop_last:
            T = max(1, (len(x) - L) // hop + 1)
        else:
            T = num_frames(len(x), L, hop)
        padded = np.zeros((T - 1) * hop + L, dtype=dtype)
        n = min(len(x), len(padded))
        padded[:n] = x[:n]
        fr = np.stack([padded[t * hop : t * hop + L] for t in range(T)])
        k = np.arange(L)
        if window == "periodic":
            fr = fr * (0.5 - 0.5 * np.cos(2 * np.pi * k / L)).astype(dtype)
        elif window == "symmetric":
            fr = fr * np.hanning(L).astype(dtype)
        spec = np.abs(np.fft.rfft(fr, n=n_fft, axis=1)) ** power
        mel = spec @ fbank.T
        if floor == "max":
            mel = np.maximum(mel, dtype.type(FLOOR))
        elif floor == "add":
            mel = mel + dtype.type(FLOOR)
        return log(mel)

    return forward


NO_FLOOR = (
    "-inf where the signal is silent: the energy there is 0 and log(0) = -inf. Take the log "
    "of np.maximum(energy, 1e-6), so that silence gives log(1e-6) = -13.8."
)

MISTAKES = [
    Mistake(
        "no window",
        _log_mel(window=None),
        "the frames are not windowed: multiply each frame by the periodic Hann window "
        "0.5 - 0.5 * np.cos(2 * np.pi * n / L), n = 0..L-1, before the FFT.",
    ),
    Mistake(
        "symmetric Hann window",
        _log_mel(window="symmetric"),
        "np.hanning(L) is the symmetric Hann window (it divides by L - 1): the spectrogram "
        "uses the periodic one, 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(L) / L).",
    ),
    Mistake(
        "magnitude, not power",
        _log_mel(power=1),
        "you filter |FFT|, the magnitude: the filterbank sums the power, np.abs(...) ** 2.",
    ),
    Mistake(
        "log10",
        _log_mel(log=np.log10),
        "np.log10 gives the base-10 log: use the natural log, np.log.",
    ),
    Mistake(
        "floor added, not a maximum",
        _log_mel(floor="add"),
        "log(energy + 1e-6) shifts every value a little: the floor is a maximum, "
        "np.log(np.maximum(energy, 1e-6)).",
    ),
    Mistake("no floor", _log_mel(floor=None), NO_FLOOR),
    Mistake(
        "last partial frame dropped",
        _log_mel(drop_last=True),
        "the frames stop before the end of x: keep a last frame that reaches past the end, "
        "zero-padded, so that T = 1 + ceil((S - L) / hop) (one frame if S <= L).",
    ),
]


def diagnose(case: Case, got: dict, expected: dict) -> str | None:
    value = got.get("log_mel")
    if isinstance(value, np.ndarray) and np.any(np.isneginf(value)):
        return NO_FLOOR
    return None


EXERCISE = Exercise(
    name="log_mel",
    args=("x", "fbank", "frame_length", "hop"),
    outputs=("log_mel",),
    reference=log_mel,
    cases=cases,
    dims={"x": "S", "fbank": "M F", "log_mel": "T M"},
    time_axis={"log_mel": 0},
    mistakes=MISTAKES,
    diagnose=diagnose,
    branches={
        "the last frame padded": lambda c: (
            len(c.inputs["x"]) > c.inputs["frame_length"]
            and (len(c.inputs["x"]) - c.inputs["frame_length"]) % c.inputs["hop"] != 0
        ),
        "frames that fit exactly": lambda c: (
            len(c.inputs["x"]) > c.inputs["frame_length"]
            and (len(c.inputs["x"]) - c.inputs["frame_length"]) % c.inputs["hop"] == 0
        ),
        "a signal shorter than one frame": lambda c: len(c.inputs["x"]) <= c.inputs["frame_length"],
        "a frame zero-padded to n_fft": lambda c: (
            c.inputs["frame_length"] < 2 * (c.inputs["fbank"].shape[1] - 1)
        ),
        "a frame as long as n_fft": lambda c: (
            c.inputs["frame_length"] == 2 * (c.inputs["fbank"].shape[1] - 1)
        ),
        "silence (the floor)": lambda c: bool(np.any(log_mel(**c.inputs) <= np.log(FLOOR) + 1e-9)),
    },
    error_hints=[
        (
            r"mismatch|not aligned|shapes",
            "a shape mismatch: the power spectrum is (T, F) with F = n_fft // 2 + 1 and "
            "n_fft = 2 * (fbank.shape[1] - 1); the filterbank is (M, F), so energy = "
            "power @ fbank.T. Zero-pad the FFT to n_fft: np.fft.rfft(frames, n=n_fft, axis=1).",
        ),
    ],
    output_hints={},
)
