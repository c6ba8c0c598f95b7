"""Reading what a learner's kernel wrote, without trusting it: bounded results.

The kernel writes its results (``result.json`` and ``arrays.npz``) into its own scratch folder,
so the files are hostile input for the grading process. Before anything is read:

- a file must be a regular file (not a symlink, a FIFO or a device: opened with
  ``O_NOFOLLOW | O_NONBLOCK`` and checked with ``fstat``) no larger than its cap;
- every member of the ``.npz`` must be a key the grader expects (an output of a requested
  call, or an input it handed over), else the whole file is rejected;
- every array's ``.npy`` header is read first and checked against what is expected: a numeric
  dtype (no objects, so no pickle), the exact shape for an input handed back, at most
  ``max_elements`` entries for an output (several times the expected output's size); only
  then is its data read, exactly as many bytes as the header says.

An array over its cap is not read at all; its key is reported in ``Arrays.refused``, and the
grader gives that call the status ``error`` ("... far larger than expected").
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import zipfile
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Arrays", "BadResult", "Expect", "read_arrays", "read_json", "read_capped"]


class BadResult(ValueError):
    """A result file that is not what the grader asked for (forged, truncated, too large)."""


@dataclass(frozen=True)
class Expect:
    """What one array of the results may be."""

    max_elements: int
    shape: tuple[int, ...] | None = None  # exact shape required (an input handed back)
    kinds: str = "fiu"  # dtype kinds accepted


@dataclass
class Arrays:
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # key -> why it was not read


def read_capped(path: str | os.PathLike, max_bytes: int, *, follow: bool = False) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; BadResult otherwise. A symbolic
    link is refused unless ``follow`` (for the instructor's own files)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise BadResult(f"no such file ({exc.strerror})") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BadResult("the result file is not a regular file")
        if st.st_size > max_bytes:
            raise BadResult(f"the result file has {st.st_size} bytes, more than {max_bytes}")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise BadResult(f"the result file grew past {max_bytes} bytes while being read")
        return data
    finally:
        os.close(fd)


def read_json(path: str | os.PathLike, max_bytes: int) -> object:
    try:
        return json.loads(read_capped(path, max_bytes))
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, BadResult):
            raise
        raise BadResult(f"the result file is not valid JSON ({type(exc).__name__})") from exc


def _header(f) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(f)
    raise BadResult(f"unknown .npy version {version}")


def read_arrays(path: str | os.PathLike, expected: dict[str, Expect], max_bytes: int) -> Arrays:
    """The arrays of a ``.npz`` written by the kernel, each checked before it is read."""
    data = read_capped(path, max_bytes)
    out = Arrays()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BadResult(f"the arrays file is not a .npz archive ({type(exc).__name__})") from exc
    if len(infos) > len(expected):
        raise BadResult(
            f"the arrays file has {len(infos)} entries, more than the {len(expected)} asked for"
        )
    seen = set()
    for info in infos:
        key = info.filename.removesuffix(".npy")
        if not info.filename.endswith(".npy") or key not in expected or key in seen:
            raise BadResult(
                f"the arrays file has an entry nobody asked for: {info.filename[:80]!r}"
            )
        seen.add(key)
        want = expected[key]
        try:
            with archive.open(info) as f:
                shape, fortran, dtype = _header(f)
                if dtype.hasobject or dtype.kind not in want.kinds or dtype.itemsize > 16:
                    raise BadResult(f"{key}: an array of dtype {dtype} cannot be a result")
                if want.shape is not None and tuple(shape) != tuple(want.shape):
                    raise BadResult(f"{key}: shape {shape} where {want.shape} was handed over")
                n = math.prod(shape)
                if n > want.max_elements:
                    out.refused[key] = (
                        f"an array of shape {tuple(shape)} ({n} entries), far larger than expected"
                        f" (at most {want.max_elements}): not read"
                    )
                    continue
                raw = f.read(n * dtype.itemsize + 1)
        except BadResult:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
            raise BadResult(f"{key}: unreadable ({type(exc).__name__})") from exc
        if len(raw) != n * dtype.itemsize:
            raise BadResult(
                f"{key}: {len(raw)} bytes of data where the header says {n * dtype.itemsize}"
            )
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        out.arrays[key] = np.array(arr, copy=True)
    return out
