"""The words a verdict is written in, one set for ``check``, reports, batch grading and progress.

A graded function's verdict (``Outcome.status``, ``Report.status``, a gradebook entry's
``"status"``) is one of :data:`VERDICTS`; grading an exercise stops at the first case whose
verdict is in :data:`STOPS`, and the groups of cases after it are :data:`NOT_RUN`.
``rnncourse progress`` adds two statuses of its own for notebooks no kernel was started for:
:data:`NOT_STARTED` (an untouched copy) and :data:`NO_COPY`.
"""

from __future__ import annotations

__all__ = [
    "ERROR",
    "FAILED",
    "HEADLINE",
    "NOT_IMPLEMENTED",
    "NOT_RUN",
    "NOT_STARTED",
    "NO_COPY",
    "PASSED",
    "STOPS",
    "TIMEOUT",
    "VERDICTS",
]

PASSED = "passed"
FAILED = "failed"
ERROR = "error"  # the function raised, could not be called, or the kernel died
TIMEOUT = "timeout"
NOT_IMPLEMENTED = "not-implemented"  # the stub's NotImplementedError
VERDICTS = (PASSED, FAILED, ERROR, TIMEOUT, NOT_IMPLEMENTED)
STOPS = frozenset({ERROR, TIMEOUT, NOT_IMPLEMENTED})  # no further case is run after these

NOT_RUN = "not run"  # a group of cases that grading stopped before

# how a report's title says each verdict: "✗ rnn_forward: timed out"
HEADLINE = {
    PASSED: "passed",
    FAILED: "failed",
    ERROR: "raised an error",
    TIMEOUT: "timed out",
    NOT_IMPLEMENTED: "not implemented yet",
}

# rnncourse progress only
NOT_STARTED = "not started"
NO_COPY = "no copy"
