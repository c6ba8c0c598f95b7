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


def test_batches_by_length_covers_every_sequence_once_in_each_way():
    from rnncourse.masking import batches_by_length

    lengths = np.random.default_rng(0).integers(1, 60, size=203)
    for how in ("random", "sorted", "bucketed"):
        batches = batches_by_length(lengths, 16, how, np.random.default_rng(1), bucket=3)
        assert sorted(np.concatenate(batches).tolist()) == list(range(203)), how
        assert all(len(b) <= 16 for b in batches) and len(batches) == 13, how
    with pytest.raises(ValueError, match="how"):
        batches_by_length(lengths, 16, "shortest", np.random.default_rng(1))


def test_padded_work_falls_from_random_to_bucketed_to_sorted():
    from rnncourse.masking import batches_by_length, padded_work

    lengths = np.random.default_rng(0).integers(1, 100, size=2000)
    work = {
        how: padded_work(lengths, batches_by_length(lengths, 32, how, np.random.default_rng(2), 5))
        for how in ("random", "bucketed", "sorted")
    }
    assert work["random"] > 0.3 > work["bucketed"] > work["sorted"] >= 0.0
    sorted_batches = batches_by_length(lengths, 32, "sorted", np.random.default_rng(2))
    computed = sum(len(b) * lengths[b].max() for b in sorted_batches)
    assert padded_work(lengths, sorted_batches) == pytest.approx(1 - lengths.sum() / computed)
    assert padded_work([3, 3], [np.array([0, 1])]) == 0.0
