"""Progressive hints: from what is wrong, to where to look, to how to fix it.

A failing check always shows the **symptom**: which output, which time step, which entries
differ, and what an exception means (level 1). When the failure is one of the item's
catalogued mistakes (``spec.Mistake``), the same mistake submitted again reveals more:

    level 1   the symptom (what every failure shows)
    level 2   where to look (``Mistake.where``)
    level 3   the fix (``Mistake.hint``)

A mistake without ``where`` goes from the symptom to the fix. An item with a **guide**
(``Exercise.guide``: the steps its stub no longer dictates, such as pseudo-code or a table of
gradient formulas) reveals one more step per call of ``hint(name)`` when no catalogued
mistake explains the last failure, or before any check; a cap of 1 shows none. A failure that matches no
catalogued mistake stays at the symptom level, however often it is submitted (the grader
cannot tell more than it sees). Diagnostics that read the symptom itself (an exception
explained, NaN or infinity, float32 precision, state kept between calls) are part of the
symptom and shown at every level.

Asking for the next hint without submitting again::

    from rnncourse.grading import hint
    hint("rnn_forward")        # the last failure of rnn_forward, one level more specific

The state lives in the learner's kernel only (this module's dictionaries; no file): a
fresh kernel starts again at level 1. An instructor caps the level for a room with the
environment variable ``RNNCOURSE_HINT_LEVEL=N`` (1: symptoms only). ``rnncourse grade``
reports at level 1 unless given ``--hints N``; ``rnncourse progress`` shows level 1.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["MAX_LEVEL", "cap", "forget", "hint", "level_for", "next_hint", "record_failure"]

MAX_LEVEL = 3
ENV = "RNNCOURSE_HINT_LEVEL"

# (item name, mistake name) -> level reached; item name -> its last failing report
_levels: dict[tuple[str, str], int] = {}
_last: dict[str, Any] = {}
# item name -> how many steps of its guide have been shown
_guide_steps: dict[str, int] = {}


def cap() -> int:
    """The highest level allowed here: ``RNNCOURSE_HINT_LEVEL`` (1-3), else 3."""
    try:
        return max(1, min(MAX_LEVEL, int(os.environ.get(ENV, MAX_LEVEL))))
    except ValueError:
        return MAX_LEVEL


def level_for(name: str, mistake: str) -> int:
    """The level a failure of ``name`` recognised as ``mistake`` is shown at now."""
    if not mistake:
        return 1
    return min(_levels.get((name, mistake), 1), cap())


def record_failure(report: Any) -> int:
    """Note a failing report; returns the level to show it at (1 the first time a mistake
    is seen, one more each time it is seen again, up to the cap)."""
    mistake = report.mistake
    _last[report.name] = report
    if not mistake:
        return 1
    key = (report.name, mistake)
    _levels[key] = _levels.get(key, 0) + 1
    return level_for(report.name, mistake)


def forget(name: str | None = None) -> None:
    """Start again at level 1 (for ``name``, or for everything)."""
    for key in [k for k in _levels if name is None or k[0] == name]:
        del _levels[key]
    for key in [k for k in _guide_steps if name is None or k == name]:
        del _guide_steps[key]
    if name is None:
        _last.clear()
    else:
        _last.pop(name, None)


def hint(name: str) -> None:
    """Show the last failure of item ``name`` one level more specific (up to the cap).
    Call it after a failing ``check``."""
    _show_text(next_hint(name))


def next_hint(name: str) -> str:
    """What :func:`hint` shows (and the level it moves to), as text."""
    report = _last.get(name)
    guide = _guide_of(name)
    if guide and (report is None or not report.mistake):
        return _next_guide_step(name, guide, report)
    if report is None:
        text = f"{name}: no failing check of {name} in this kernel yet; run its check first."
    elif not report.mistake:
        text = (
            report.text(level=1)
            + "\n  No more specific hint: this failure is not one of the catalogued mistakes,"
            " so the symptom above is all the grader can tell. Compare your code with the"
            " formula, one term at a time."
        )
    else:
        key = (name, report.mistake)
        _levels[key] = min(_levels.get(key, 1) + 1, MAX_LEVEL)
        level = level_for(name, report.mistake)
        text = report.text(level=level)
        if level < _levels[key]:
            text += f"\n  (hints are capped at level {level} here)"
    return text


def _guide_of(name: str) -> tuple[str, ...]:
    from rnncourse.grading.spec import get_exercise

    try:
        return tuple(getattr(get_exercise(name), "guide", ()))
    except KeyError:
        return ()


def _next_guide_step(name: str, guide: tuple[str, ...], report: Any) -> str:
    """The symptom (if a check failed), then the guide up to one step more than before."""
    text = report.text(level=1) + "\n" if report is not None else ""
    if cap() < 2:
        return text + f"  (hints are capped at level 1 here: {name}'s guide is not shown)"
    shown = _guide_steps[name] = min(_guide_steps.get(name, 0) + 1, len(guide))
    steps = [f"  Step {k + 1} of {len(guide)}: {guide[k]}" for k in range(shown)]
    more = "" if shown == len(guide) else f"\n  (call hint({name!r}) again for step {shown + 1})"
    return text + f"{name}, the guide:\n" + "\n".join(steps) + more


def _show_text(text: str) -> None:
    print(text, file=sys.stdout)
