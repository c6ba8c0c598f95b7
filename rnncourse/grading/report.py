"""A short, readable verdict on one exercise: a tick per case group, details on failure.

Rendered as text (terminals, feedback files, the exception message) and as HTML (notebooks).
Nothing in a report depends on the machine or the clock, so stored notebook outputs stay
identical from run to run.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from rnncourse.grading.compare import Outcome
from rnncourse.grading.spec import Case
from rnncourse.grading.status import ERROR, FAILED, HEADLINE, NOT_IMPLEMENTED, NOT_RUN, PASSED

__all__ = ["Report"]

_MARK = {PASSED: "✓", FAILED: "✗", NOT_RUN: "·"}


@dataclass
class Report:
    """The result of grading one function on all its cases.

    Attributes:
        name: the exercise.
        status: one of ``status.VERDICTS`` (passed, failed, error, timeout, not-implemented).
        groups: (group label, number of cases, passed | failed | not run) in order.
        failure: the first case that did not pass, with what came and the hint.
        hidden: graded on the hidden tests' cases.
    """

    name: str
    status: str
    groups: list[tuple[str, int, str]] = field(default_factory=list)
    failure: Outcome | None = None
    hidden: bool = False

    @classmethod
    def from_outcomes(
        cls, name: str, cases: list[Case], outcomes: list[Outcome], hidden: bool = False
    ) -> Report:
        """The report on ``cases`` of which the first ``len(outcomes)`` were judged, in order
        (grading stops at an error, a timeout or a stub; the cases after it were not run)."""
        groups: dict[str, list[str]] = {}
        for i, case in enumerate(cases):
            state = NOT_RUN if i >= len(outcomes) else (PASSED if outcomes[i].passed else FAILED)
            groups.setdefault(case.group, []).append(state)
        summary = []
        for group, states in groups.items():
            state = FAILED if FAILED in states else (NOT_RUN if NOT_RUN in states else PASSED)
            summary.append((group, len(states), state))
        failure = next((o for o in outcomes if not o.passed), None)
        status = PASSED if failure is None else failure.status
        if failure is not None and failure.status == NOT_IMPLEMENTED:
            summary = []
        return cls(name, status, summary, failure, hidden)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def mistake(self) -> str:
        """The catalogued mistake the failure was recognised as ("" if none)."""
        return self.failure.mistake if self.failure is not None else ""

    def more_hints(self, level: int) -> bool:
        """Is there a more specific hint than what ``level`` shows?"""
        return bool(self.mistake) and level <= len(self.failure.ladder)

    def hint_lines(self, level: int | None = None, offer: bool = False) -> list[tuple[str, str]]:
        """(label, text) of the hints shown at ``level`` (None: everything, as level 3).

        Level 1 is the symptom (diagnostics that read it included); a catalogued mistake's
        ladder adds "Where to look" at level 2 and the fix ("Hint") at 3. With ``offer``,
        a line saying how to get the next one, when there is one.
        """
        f = self.failure
        if f is None or f.status == NOT_IMPLEMENTED:
            return []
        if not f.mistake:
            return [("Hint", f.hint)] if f.hint else []
        ladder = f.ladder or (f.hint,)
        if level is None:
            return [("Hint", f.hint)]
        labels = ("Where to look", "Hint") if len(ladder) == 2 else ("Hint",)
        shown = list(zip(labels, ladder, strict=True))[: max(level, 1) - 1]
        if offer and self.more_hints(level):
            shown.append(
                ("More", f'rnncourse.grading.hint("{self.name}") for a more specific hint')
            )
        return shown

    @property
    def title(self) -> str:
        which = " (hidden tests)" if self.hidden else ""
        mark = "✓" if self.passed else "✗"
        return f"{mark} {self.name}{which}: {HEADLINE[self.status]}"

    def summary(self, level: int | None = None, offer: bool = False) -> str:
        """One paragraph for an exception message or a gradebook: what, where, hint (the
        hints of ``level``, see :meth:`hint_lines`; None: the full hint)."""
        if self.passed:
            return self.title
        f = self.failure
        parts = [self.title]
        if f and f.message:
            parts = [f.message if f.message.startswith(self.name) else f"{self.name}: {f.message}"]
        if f and f.case is not None and f.status in (FAILED, ERROR):
            parts.append(f"(case {f.case.group}: {f.case.label})")
        parts += [f"{label}: {text}" for label, text in self.hint_lines(level, offer)]
        return " ".join(parts) if len(parts) == 1 else "\n".join(parts)

    def text(self, level: int | None = None, offer: bool = False) -> str:
        lines = [self.title]
        for group, n, state in self.groups:
            mark = _MARK[state]
            cases = f"{n} case{'s' if n != 1 else ''}"
            lines.append(f"  {mark} {group}: {cases}" + ("" if state != NOT_RUN else ", not run"))
        f = self.failure
        if f is not None and f.status != NOT_IMPLEMENTED:
            if f.case is not None:
                lines.append(f"  first failing case ({f.case.group}): {f.case.label}")
            lines += ["  " + line for line in f.message.splitlines()]
            lines += [f"  {label}: {text}" for label, text in self.hint_lines(level, offer)]
        return "\n".join(lines)

    def html(self, level: int | None = None, offer: bool = False) -> str:
        colour = "#009E73" if self.passed else "#D55E00"  # Okabe-Ito green / vermillion
        rows = []
        for group, n, state in self.groups:
            mark = _MARK[state]
            cases = f"{n} case{'s' if n != 1 else ''}"
            rows.append(
                f"<li>{mark} {html.escape(group)}: {cases}{'' if state != NOT_RUN else ', not run'}</li>"
            )
        body = f"<ul style='margin:0.2em 0;list-style:none;padding-left:1em'>{''.join(rows)}</ul>"
        f = self.failure
        if f is not None and f.status != NOT_IMPLEMENTED:
            if f.case is not None:
                body += f"<div>first failing case ({html.escape(f.case.group)}): {html.escape(f.case.label)}</div>"
            body += (
                f"<pre style='margin:0.3em 0;white-space:pre-wrap'>{html.escape(f.message)}</pre>"
            )
            for label, text in self.hint_lines(level, offer):
                body += f"<div><b>{html.escape(label)}:</b> {html.escape(text)}</div>"
        return (
            f"<div style='border-left:4px solid {colour};padding:0.2em 0.8em'>"
            f"<b style='color:{colour}'>{html.escape(self.title)}</b>{body}</div>"
        )
