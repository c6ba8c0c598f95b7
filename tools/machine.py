"""The machine a measurement was made on, described once, for the benchmark and the timetable.

``describe()`` returns a JSON-ready dict that ``tools.bench_layers``, ``tools.bench_notebooks``
and ``tools.measure_runtimes`` store beside their figures, and ``summary()`` the one line their
reports print. A figure measured on one machine says little about another, so every committed
measurement carries: the CPU model and its vector units (AVX2 / AVX-512: the BLAS kernels, and so
the layer benchmark's ratios, depend on them), the number of cores, the BLAS library numpy uses
and which of its kernels it picked (read by threadpoolctl), the Python, numpy and torch versions,
the platform and the 1-minute load average (a busy machine runs slower).

    python -m tools.machine          # prints this machine's description

Needs only the standard library; numpy and threadpoolctl are read when they are installed, and
torch's version is read from its installed metadata without importing it.
"""

from __future__ import annotations

import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_model_and_flags(cpuinfo: str | None = None) -> tuple[str, set[str]]:
    """The CPU's model name and its feature flags, from /proc/cpuinfo (Linux) or ``platform``.

    >>> model, flags = cpu_model_and_flags("model name\\t: Some CPU\\nflags\\t: fpu avx2 fma\\n")
    >>> model, sorted(flags)
    ('Some CPU', ['avx2', 'fma', 'fpu'])
    """
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            cpuinfo = ""
    model, flags = platform.processor() or platform.machine(), set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            model = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def vector_units(flags: set[str]) -> str:
    """What the CPU offers the BLAS kernels, in words.

    >>> vector_units({"avx2", "avx512f"}), vector_units({"avx2"}), vector_units(set())
    ('AVX-512', 'AVX2, no AVX-512', 'unknown (no AVX2 or AVX-512 flag read)')
    """
    if "avx512f" in flags:
        return "AVX-512"
    if "avx2" in flags:
        return "AVX2, no AVX-512"
    return "unknown (no AVX2 or AVX-512 flag read)"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution).split("+")[0]
    except metadata.PackageNotFoundError:
        return None


def blas() -> str:
    """numpy's BLAS: library, version and the kernels it chose for this CPU (threadpoolctl)."""
    try:
        import numpy  # noqa: F401  (loads the BLAS library that threadpoolctl then finds)
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (numpy or threadpoolctl not installed)"
    found = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    info = next((i for i in found if "numpy" in i.get("filepath", "")), found[0] if found else {})
    if not info:
        return "unknown (no BLAS library found)"
    return (
        f"{info.get('internal_api', '?')} {info.get('version', '?')},"
        f" {info.get('architecture', '?')} kernels"
    )


def load_average() -> float | None:
    """The 1-minute load average, None where the OS does not say."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def load_text() -> str:
    """The 1, 5 and 15-minute load averages as one string ("?" where the OS does not say)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "?"


def describe() -> dict:
    """This machine, as stored beside every committed measurement."""
    model, flags = cpu_model_and_flags()
    return {
        "cpu": model,
        "vector_units": vector_units(flags),
        "cores": os.cpu_count(),
        "blas": blas(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "platform": platform.platform(terse=True),
        "load_1min": load_average(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def summary(m: dict) -> str:
    """One line for a report, from ``describe()``'s dict (or an older one with fewer keys).

    >>> summary({"cpu": "X", "vector_units": "AVX2, no AVX-512", "cores": 2, "numpy": "2.1"})
    'X (AVX2, no AVX-512), 2 cores; numpy 2.1'
    """
    cpu = m.get("cpu", "an unknown CPU")
    if m.get("vector_units"):
        cpu += f" ({m['vector_units']})"
    parts = [f"{cpu}, {m.get('cores', m.get('cpus', '?'))} cores"]
    versions = [f"Python {m['python']}"] if m.get("python") else []
    if m.get("numpy"):
        versions.append(f"numpy {m['numpy']}" + (f" with {m['blas']}" if m.get("blas") else ""))
    if m.get("torch"):
        versions.append(f"torch {m['torch']}")
    if versions:
        parts.append(", ".join(versions))
    return "; ".join(parts)


if __name__ == "__main__":
    print(json.dumps(describe(), indent=1))
    print(summary(describe()))
