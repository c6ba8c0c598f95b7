"""Progress bars that end well: a run that stops early on purpose ends with a full bar.

tqdm draws a bar that closes short of its total as an interrupted run (red, in a notebook).
A training run that stops because it solved its task, or because early stopping said so, is a
success: :func:`end_progress_early` takes the iterations it did not need off the bar's total
first, so that the bar closes full. Works for tqdm's text bar and for ``tqdm.notebook``'s widget.
"""

from __future__ import annotations

__all__ = ["end_progress_early"]


def end_progress_early(progress: object, skipped: int) -> None:
    """Take the `skipped` iterations a run did not need off the total of the tqdm bar whose
    ``update`` is `progress` (anything else is left alone), and redraw it.

    >>> from tqdm import tqdm
    >>> bar = tqdm(total=100, disable=True)
    >>> bar.update(20); end_progress_early(bar.update, 80); bar.total
    20
    """
    bar = getattr(progress, "__self__", None)
    total = getattr(bar, "total", None)
    if skipped <= 0 or not isinstance(total, (int, float)):
        return
    bar.total = max(bar.n, total - skipped)
    container = getattr(bar, "container", None)  # tqdm.notebook's widget: (label, bar, text)
    children = getattr(container, "children", ())
    if len(children) == 3 and hasattr(children[1], "max"):
        children[1].max = bar.total
    bar.refresh()
