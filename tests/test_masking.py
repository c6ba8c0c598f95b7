"""rnncourse.masking (lesson 4): padding sequences of different lengths, the masked forward."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.masking import pad_sequences, rnn_forward_masked
from rnncourse.rnn import init_rnn, rnn_forward


def test_padded_batch_matches_running_each_sequence_alone():
    rng = np.random.default_rng(0)
    W_xh, W_hh, b_h = init_rnn(3, 5, rng)
    seqs = [rng.normal(size=(T, 3)) for T in (1, 6, 4)]
    x, mask = pad_sequences(seqs)
    h0 = rng.normal(size=(3, 5))
    h = rnn_forward_masked(x, mask, h0, W_xh, W_hh, b_h)
    for n, s in enumerate(seqs):
        alone = rnn_forward(s[None], h0[n : n + 1], W_xh, W_hh, b_h)[0]
        np.testing.assert_allclose(h[n, : len(s)], alone, rtol=1e-12)
        np.testing.assert_array_equal(
            h[n, len(s) :], np.broadcast_to(h[n, len(s) - 1], h[n, len(s) :].shape)
        )
    full = np.ones_like(mask)
    np.testing.assert_allclose(
        rnn_forward_masked(x, full, h0, W_xh, W_hh, b_h), rnn_forward(x, h0, W_xh, W_hh, b_h)
    )
    with pytest.raises(ValueError, match="mask"):
        rnn_forward_masked(x, mask[:, :-1], h0, W_xh, W_hh, b_h)


def test_pad_sequences_rejects_empty_and_mismatched_inputs():
    with pytest.raises(ValueError, match="at least one"):
        pad_sequences([])
    with pytest.raises(ValueError, match="same D"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_old_path_reexports_the_same_functions():
    """``rnncourse.experiments.variable_length`` keeps working for one release (lesson 4)."""
    from rnncourse.experiments import variable_length as old

    assert old.pad_sequences is pad_sequences and old.rnn_forward_masked is rnn_forward_masked
