"""The spoken digits shipped with the course: log-mel frames of all 3,000 FSDD recordings.

The Free Spoken Digit Dataset (Jakobovski et al., CC BY-SA 4.0; 6 speakers x 10 digits x 50
recordings, mono 8 kHz) is not downloaded by the course. What ships, in
``rnncourse/data/fsdd_logmel.npz`` (CC BY-SA 4.0 like its source: ``rnncourse/data/README.md``),
is derived from it:

- the log-mel spectrogram of every recording (``rnncourse.audio.log_mel_spectrogram``: 25 ms
  frames every 10 ms, 32 mel bands), quantised to 8 bits: ``value = lo + q * step``, with
  ``lo`` and ``step`` stored beside the codes (the rounding error is at most step / 2);
- each recording's digit, speaker and number (0-49; 0-4 are the official test split);
- the audio of 30 recordings (3 per digit, index 0, three different speakers each), as 16-bit
  samples, to listen to and to compute a spectrogram from.

Rebuild it from a folder of the recordings. The bytes depend only on the recordings: the zip
members carry a fixed date and a fixed order (the same file came out under numpy 1.26.4 and
2.4.6; a different zlib could compress differently, the arrays inside would not change):

    python -m rnncourse.experiments.speech_data /path/to/free-spoken-digit-dataset/recordings
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnncourse.audio import (
    FRAME_LENGTH,
    HOP,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    log_mel_spectrogram,
    read_wav,
)

__all__ = [
    "DATA_FILE",
    "SPEAKERS",
    "SpokenDigits",
    "build",
    "load_spoken_digits",
    "main",
    "write_npz",
]

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "fsdd_logmel.npz"
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<index>\d+)\.wav$")
N_TEST_INDEX = 5  # recordings 0-4 of each (digit, speaker) are the official test split


def _clip_choice(speakers: list[str]) -> list[tuple[int, str]]:
    """(digit, speaker) of the audio clips shipped: for digit d, speakers d, d+1, d+2 (mod the
    number of speakers), recording 0 of each."""
    n = len(speakers)
    return [(d, speakers[(d + k) % n]) for d in range(10) for k in range(min(3, n))]


def build(recordings: str | Path) -> dict[str, np.ndarray]:
    """The arrays of the shipped file, computed from a folder of ``{digit}_{speaker}_{n}.wav``."""
    folder = Path(recordings)
    entries = []
    for path in folder.iterdir():
        m = _NAME.match(path.name)
        if m:
            entries.append((m["speaker"], int(m["digit"]), int(m["index"]), path))
    if not entries:
        raise FileNotFoundError(f"no files named like 7_jackson_32.wav in {folder}")
    entries.sort()
    speakers = sorted({e[0] for e in entries})
    feats, audio = [], {}
    for speaker, digit, index, path in entries:
        x, rate = read_wav(path)
        if rate != SAMPLE_RATE:
            raise ValueError(f"{path}: {rate} Hz, expected {SAMPLE_RATE}")
        feats.append(log_mel_spectrogram(x).astype(np.float32))
        if index == 0:
            audio[(digit, speaker)] = x
    allf = np.concatenate(feats)
    lo = np.float32(np.floor(allf.min() * 10) / 10)
    step = np.float32((np.ceil(allf.max() * 10) / 10 - lo) / 255)
    codes = np.clip(np.round((allf - lo) / step), 0, 255).astype(np.uint8)
    clips = [c for c in _clip_choice(speakers) if c in audio]
    samples = [np.round(audio[c] * 32768).clip(-32768, 32767).astype(np.int16) for c in clips]
    return {
        "codes": codes,
        "lengths": np.array([len(f) for f in feats], dtype=np.int32),
        "lo": np.array(lo, dtype=np.float32),
        "step": np.array(step, dtype=np.float32),
        "digit": np.array([e[1] for e in entries], dtype=np.uint8),
        "speaker": np.array([speakers.index(e[0]) for e in entries], dtype=np.uint8),
        "index": np.array([e[2] for e in entries], dtype=np.uint8),
        "speakers": np.array(speakers),
        "clip_digit": np.array([c[0] for c in clips], dtype=np.uint8),
        "clip_speaker": np.array([speakers.index(c[1]) for c in clips], dtype=np.uint8),
        "clip_samples": np.concatenate(samples) if samples else np.zeros(0, np.int16),
        "clip_lengths": np.array([len(s) for s in samples], dtype=np.int32),
        "settings": np.array(
            [SAMPLE_RATE, FRAME_LENGTH, HOP, N_FFT, N_MELS], dtype=np.int32
        ),  # sample rate, frame length, hop, n_fft, n_mels
    }


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> str:
    """Write an .npz (``np.load`` reads it) whose bytes depend only on the arrays: members in
    the given order, a fixed date, deflate level 9. Returns the file's SHA-256."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, a in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(a), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, member.getvalue(), compresslevel=9)
    data = buf.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@dataclass
class SpokenDigits:
    """The shipped spoken digits, decoded: one (T_i, 32) float32 log-mel array per recording."""

    features: list[np.ndarray]
    digit: np.ndarray  # (3000,) 0-9
    speaker: np.ndarray  # (3000,) index into speakers
    index: np.ndarray  # (3000,) 0-49 (0-4: the official test split)
    speakers: tuple[str, ...]
    step: float  # the quantisation step: the features are exact to step / 2
    clips: list[tuple[int, str, np.ndarray]]  # (digit, speaker, samples in [-1, 1])
    sample_rate: int

    @property
    def test(self) -> np.ndarray:
        """Mask of the official test split (recordings 0-4 of each digit and speaker)."""
        return self.index < N_TEST_INDEX

    def __len__(self) -> int:
        return len(self.features)


def load_spoken_digits(path: str | Path = DATA_FILE) -> SpokenDigits:
    """Load the shipped log-mel features (``rnncourse/data/fsdd_logmel.npz``)."""
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    values = a["lo"] + a["codes"].astype(np.float32) * a["step"]
    cuts = np.cumsum(a["lengths"])[:-1]
    speakers = tuple(str(s) for s in a["speakers"])
    clip_cuts = np.cumsum(a["clip_lengths"])[:-1]
    samples = np.split(a["clip_samples"].astype(np.float64) / 32768.0, clip_cuts)
    clips = [
        (int(d), speakers[int(s)], x)
        for d, s, x in zip(a["clip_digit"], a["clip_speaker"], samples, strict=True)
    ]
    return SpokenDigits(
        features=np.split(values, cuts),
        digit=a["digit"].astype(np.int64),
        speaker=a["speaker"].astype(np.int64),
        index=a["index"].astype(np.int64),
        speakers=speakers,
        step=float(a["step"]),
        clips=clips,
        sample_rate=int(a["settings"][0]),
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("recordings", type=Path, help="the folder of FSDD's recordings/*.wav")
    ap.add_argument("--out", type=Path, default=DATA_FILE)
    args = ap.parse_args(argv)
    arrays = build(args.recordings)
    digest = write_npz(args.out, arrays)
    size = args.out.stat().st_size
    print(
        f"{args.out}: {len(arrays['lengths'])} recordings, {len(arrays['codes'])} frames, "
        f"{len(arrays['clip_lengths'])} clips, {size} bytes, sha256 {digest}"
    )


if __name__ == "__main__":
    main()
