"""Moved to ``rnncourse.masking`` (padding and the masked forward are core maths).

This old path re-exports the same functions for one release, so that lessons and learners'
edited copies that import ``rnncourse.experiments.variable_length`` keep running.
"""

from __future__ import annotations

from rnncourse.masking import pad_sequences, rnn_forward_masked

__all__ = ["pad_sequences", "rnn_forward_masked"]
