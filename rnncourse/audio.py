"""From a waveform to log-mel frames, in numpy: what a speech recogniser reads.

A recording is a sequence of samples (8,000 a second for the spoken digits of lesson 11). A
recurrent network could read them one by one, but one word is then thousands of steps. Speech
systems read *frames* instead: a short window of samples (25 ms) every 10 ms, each turned into
the energy in a few frequency bands spaced as the ear spaces them (the mel scale), on a log
scale. One word becomes about 40 steps of 32 numbers.

The steps, each a function here:

1. ``frames``: cut the signal into overlapping frames (``frame_length`` samples every ``hop``),
   the last one zero-padded;
2. ``window``: multiply each frame by a Hann window, so that its edges fade to zero and the
   cut does not add frequencies the sound does not have;
3. ``power_spectrum``: the FFT of each windowed frame (zero-padded to ``n_fft``), squared
   magnitude: the energy at ``n_fft // 2 + 1`` frequencies from 0 to half the sample rate;
4. ``mel_filterbank``: triangles on the mel scale, ``mel(f) = 2595 log10(1 + f / 700)``, that
   sum the energy into ``n_mels`` bands (narrow at low frequencies, wide at high ones);
5. ``log_mel_spectrogram``: all of it, then the natural log (with a floor, so that silence
   gives a finite number).

Everything is numpy; ``read_wav`` uses the standard library's ``wave``.

    >>> import numpy as np
    >>> sr = 8000
    >>> t = np.arange(sr // 2) / sr
    >>> x = np.sin(2 * np.pi * 440.0 * t)          # half a second of an A (440 Hz)
    >>> S = log_mel_spectrogram(x, sr)
    >>> S.shape                                    # (frames, mel bands)
    (49, 32)
    >>> int(np.argmax(S[10]))                      # the band that holds 440 Hz
    7
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

__all__ = [
    "FRAME_LENGTH",
    "HOP",
    "N_FFT",
    "N_MELS",
    "SAMPLE_RATE",
    "frames",
    "hann_window",
    "hz_to_mel",
    "log_mel",
    "log_mel_spectrogram",
    "mel_filterbank",
    "mel_to_hz",
    "num_frames",
    "power_spectrum",
    "read_wav",
    "resample_linear",
    "write_wav",
]

SAMPLE_RATE = 8000
FRAME_LENGTH = 200  # 25 ms at 8 kHz
HOP = 80  # 10 ms
N_FFT = 256
N_MELS = 32
LOG_FLOOR = 1e-6


def num_frames(n_samples: int, frame_length: int = FRAME_LENGTH, hop: int = HOP) -> int:
    """How many frames ``frames`` cuts from n_samples: one for a signal shorter than a frame,
    then one more every ``hop`` samples, the last one reaching past the end (zero-padded)."""
    if n_samples <= frame_length:
        return 1
    return 1 + -(-(n_samples - frame_length) // hop)


def frames(x: np.ndarray, frame_length: int = FRAME_LENGTH, hop: int = HOP) -> np.ndarray:
    """Overlapping frames of a 1-D signal: (num_frames, frame_length), frame i = x[i*hop :
    i*hop + frame_length], zeros past the end of x.

    >>> frames(np.arange(7.0), frame_length=4, hop=2)
    array([[0., 1., 2., 3.],
           [2., 3., 4., 5.],
           [4., 5., 6., 0.]])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D signal, got shape {x.shape}")
    n = num_frames(len(x), frame_length, hop)
    padded = np.zeros((n - 1) * hop + frame_length, dtype=x.dtype)
    padded[: len(x)] = x
    idx = np.arange(n)[:, None] * hop + np.arange(frame_length)[None, :]
    return padded[idx]


def hann_window(frame_length: int = FRAME_LENGTH) -> np.ndarray:
    """The periodic Hann window ``0.5 - 0.5 cos(2 pi n / frame_length)``, n = 0..length-1."""
    n = np.arange(frame_length)
    return 0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length)


def power_spectrum(framed: np.ndarray, n_fft: int = N_FFT) -> np.ndarray:
    """|FFT|^2 of each (already windowed) frame, zero-padded to n_fft: (frames, n_fft//2 + 1)."""
    return np.abs(np.fft.rfft(framed, n=n_fft, axis=-1)) ** 2


def hz_to_mel(f):
    """The mel scale (HTK's formula): ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    """The inverse of ``hz_to_mel``."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int = N_MELS, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Triangular filters on the mel scale: (n_mels, n_fft // 2 + 1).

    ``n_mels + 2`` points equally spaced in mel from 0 to ``sample_rate / 2`` (turned back into
    Hz): filter m rises linearly from 0 at point m to 1 at point m + 1 and falls back to 0 at
    point m + 2, evaluated at the FFT's frequencies ``k * sample_rate / n_fft``.
    """
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    edges = mel_to_hz(np.linspace(0.0, hz_to_mel(sample_rate / 2), n_mels + 2))
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lo) / (mid - lo)
    falling = (hi - freqs[None, :]) / (hi - mid)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel(
    x: np.ndarray, fbank: np.ndarray, frame_length: int = FRAME_LENGTH, hop: int = HOP
) -> np.ndarray:
    """log(max(mel energies, 1e-6)) of the frames of x (S,) through a filterbank (M, F): (T, M).

    The FFT is zero-padded to ``n_fft = 2 * (F - 1)``. Computed in x's precision (float32
    stays float32). This is the exercise ``log_mel`` of lesson 11.
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    n_fft = 2 * (fbank.shape[1] - 1)
    windowed = frames(x.astype(dtype), frame_length, hop) * hann_window(frame_length).astype(dtype)
    power = power_spectrum(windowed, n_fft).astype(dtype, copy=False)  # numpy 1.x: float64
    mel = power @ fbank.astype(dtype).T
    return np.log(np.maximum(mel, dtype.type(LOG_FLOOR)))


def log_mel_spectrogram(
    x: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    frame_length: int = FRAME_LENGTH,
    hop: int = HOP,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    floor: float = LOG_FLOOR,
) -> np.ndarray:
    """log(mel energies) of a signal in [-1, 1]: (frames, n_mels), time along the first axis."""
    fbank = mel_filterbank(n_mels, n_fft, sample_rate)
    if floor == LOG_FLOOR:
        return log_mel(np.asarray(x, dtype=np.float64), fbank, frame_length, hop)
    power = power_spectrum(frames(x, frame_length, hop) * hann_window(frame_length), n_fft)
    return np.log(np.maximum(power @ fbank.T, floor))


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A WAV file's samples as float64 in [-1, 1] (channels averaged) and its sample rate.

    Reads 8-, 16-, 24- and 32-bit PCM with the standard library's ``wave``."""
    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 1:  # unsigned 8-bit
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width in (2, 4):
        dt = np.dtype("<i2") if width == 2 else np.dtype("<i4")
        x = np.frombuffer(raw, dtype=dt).astype(np.float64) / float(2 ** (8 * width - 1))
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float64) / float(1 << 23)
    else:
        raise ValueError(f"{path}: {8 * width}-bit samples are not PCM that this reader knows")
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    return x, rate


def write_wav(path: str | Path, x: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write a mono 16-bit WAV from samples in [-1, 1): ``round(x * 32768)``, clipped to the
    16-bit range, the inverse of ``read_wav``."""
    q = np.clip(np.round(np.asarray(x, dtype=np.float64) * 32768.0), -32768, 32767)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(q.astype("<i2").tobytes())


def resample_linear(x: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample by linear interpolation between neighbouring samples, after averaging over
    blocks of ``rate // target`` samples when downsampling (a crude low-pass filter, so that
    frequencies above the new half rate fold in less). Good enough to classify a spoken digit;
    not what audio software does (a windowed-sinc filter)."""
    x = np.asarray(x, dtype=np.float64)
    if rate == target:
        return x.copy()
    k = rate // target
    if k > 1:
        n = len(x) // k * k
        x, rate = x[:n].reshape(-1, k).mean(axis=1), rate / k
    n_out = round(len(x) * target / rate)
    t = np.arange(n_out) * rate / target
    return np.interp(t, np.arange(len(x)), x)
