"""``temporary_environ``: set environment variables for a block, then put them back."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


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
