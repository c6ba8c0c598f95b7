"""Environment settings shared by everything that starts a Python process for the course.

``ONE_BLAS_THREAD``: the variables that keep numpy's BLAS (OpenBLAS, MKL, Accelerate, OpenMP) on
one thread. Set before numpy is imported (in a child process's environment), they make results
independent of the machine's core count and keep small products fast on busy machines.
``temporary_environ``: set environment variables for a block, then put them back.
(tools/bootstrap.py, which runs before the package is installed, keeps its own copy.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

ONE_BLAS_THREAD = {
    k: "1"
    for k in (
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
    )
}


@contextmanager
def temporary_environ(updates: Mapping[str, str]) -> Iterator[None]:
    """Set ``updates`` in ``os.environ`` inside the block (for processes started there, which
    inherit them); afterwards restore each variable, removing those that were not set.

    >>> import os
    >>> with temporary_environ({"RNNCOURSE_DOCTEST": "1"}):
    ...     os.environ["RNNCOURSE_DOCTEST"]
    '1'
    >>> "RNNCOURSE_DOCTEST" in os.environ
    False
    """
    saved = {k: os.environ.get(k) for k in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
