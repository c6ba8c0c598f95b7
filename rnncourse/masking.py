"""Sequences of different lengths in one batch: padding and a mask (lesson 4).

A batch array must be rectangular, so shorter sequences are padded at the end to the longest
length T, and a boolean mask (N, T) says which steps are real. The RNN applies its one shared
cell at every real step and simply *carries* the state through padded steps:

    h_t = m_t * tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h) + (1 - m_t) * h_prev

so ``h[:, -1]`` is each sequence's state after its own last real step, whatever its length.

Which sequences share a batch decides how much of the work is padding (lesson 10): a batch
costs N x (its longest length) steps, of which only the real ones teach anything.
``batches_by_length`` groups a data set three ways (``"random"``; ``"sorted"``: by length, then
cut into batches; ``"bucketed"``: shuffled within buckets of similar length) and
``padded_work`` measures the fraction of computed steps that are padding.

Shapes: N batch, T (padded) length, D input size, H hidden size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["batches_by_length", "pad_sequences", "padded_work", "rnn_forward_masked"]


def pad_sequences(seqs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences of shapes (T_i, D) into x (N, T, D), zero-padded at the end, and the
    mask (N, T), True on real steps; T = max T_i.

    >>> x, mask = pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    >>> x.shape, mask.astype(int).tolist()
    ((2, 4, 3), [[1, 1, 0, 0], [1, 1, 1, 1]])
    """
    if len(seqs) == 0:
        raise ValueError("pad_sequences needs at least one sequence")
    D = seqs[0].shape[1]
    if any(s.ndim != 2 or s.shape[1] != D for s in seqs):
        raise ValueError(f"every sequence must be (T_i, D) with the same D = {D}")
    T = max(s.shape[0] for s in seqs)
    x = np.zeros((len(seqs), T, D), dtype=np.result_type(*seqs))
    mask = np.zeros((len(seqs), T), dtype=bool)
    for n, s in enumerate(seqs):
        x[n, : len(s)] = s
        mask[n, : len(s)] = True
    return x, mask


def rnn_forward_masked(
    x: np.ndarray,
    mask: np.ndarray,
    h0: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> np.ndarray:
    """``rnn_forward`` for a padded batch: the state is carried unchanged through padded steps.

        for t = 1..T:
            h_new = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)       # (N, H)
            h_t   = where(m_t, h_new, h_prev)                         # m_t = mask[:, t] (N,)

    Args:
        x: padded inputs, (N, T, D).
        mask: (N, T) bool, True on real steps.
        h0 (N, H), W_xh (H, D), W_hh (H, H), b_h (H,): as in ``rnn_forward``.

    Returns:
        h: (N, T, H); at a padded step, the state of the last real step before it.

    >>> rng = np.random.default_rng(0)
    >>> W_xh, W_hh, b_h = rng.normal(size=(4, 3)), rng.normal(size=(4, 4)), np.zeros(4)
    >>> x, mask = pad_sequences([rng.normal(size=(2, 3)), rng.normal(size=(5, 3))])
    >>> h = rnn_forward_masked(x, mask, np.zeros((2, 4)), W_xh, W_hh, b_h)
    >>> bool(np.array_equal(h[0, 1], h[0, -1]))     # sequence 0 ends at step 2
    True
    """
    N, T, _ = x.shape
    if mask.shape != (N, T):
        raise ValueError(f"mask must be (N, T) = {(N, T)}, got {mask.shape}")
    xw = x @ W_xh.T + b_h  # (N, T, H): input projections of all steps at once
    h = np.empty(xw.shape, dtype=np.result_type(xw, h0, W_hh))
    h_prev = h0
    for t in range(T):
        h_new = np.tanh(xw[:, t] + h_prev @ W_hh.T)
        h[:, t] = np.where(mask[:, t, None], h_new, h_prev)
        h_prev = h[:, t]
    return h


def batches_by_length(
    lengths: Sequence[int], N: int, how: str, rng: np.random.Generator, bucket: int = 50
) -> list[np.ndarray]:
    """The indices of each batch of N sequences (the last one may be smaller), in the order
    training would visit them; the batches are shuffled in every case.

    - ``"random"``: a random permutation cut into batches;
    - ``"sorted"``: sorted by length (ties in random order), cut into batches;
    - ``"bucketed"``: sorted into buckets of ``bucket`` batches (``bucket * N`` sequences of
      neighbouring lengths), shuffled within each bucket, then cut: nearly as little padding
      as sorting, with more variety in which sequences meet.

    >>> rng = np.random.default_rng(0)
    >>> b = batches_by_length([5, 1, 4, 2, 3, 6], 2, "sorted", rng)
    >>> sorted(sorted(int(i) for i in x) for x in b)
    [[0, 5], [1, 3], [2, 4]]
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    if how in ("sorted", "bucketed"):
        order = order[np.argsort(lengths[order], kind="stable")]
    if how == "bucketed":
        size = bucket * N
        order = np.concatenate(
            [rng.permutation(order[s : s + size]) for s in range(0, len(order), size)]
        )
    elif how not in ("random", "sorted"):
        raise ValueError(f"how must be 'random', 'sorted' or 'bucketed', got {how!r}")
    batches = [order[s : s + N] for s in range(0, len(order), N)]
    return [batches[i] for i in rng.permutation(len(batches))]


def padded_work(lengths: Sequence[int], batches: Sequence[np.ndarray]) -> float:
    """The fraction of computed steps that are padding: 1 - (real steps) / sum over batches of
    (batch size x its longest length).

    >>> round(padded_work([1, 3, 2, 2], [np.array([0, 1]), np.array([2, 3])]), 6)  # 2 of 10
    0.2
    """
    lengths = np.asarray(lengths)
    computed = sum(len(b) * int(lengths[b].max()) for b in batches)
    return 1.0 - float(lengths[np.concatenate(list(batches))].sum()) / computed
