"""rnncourse.tasks: the synthetic sequence tasks; shapes, determinism from the rng, and each
task's definition."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.tasks import (
    adding_problem,
    chirp_signals,
    copy_task,
    echo_task,
    majority_task,
    noisy_sine,
    one_hot,
    recall_batch,
    sentences,
)


# ---------------------------------------------------------------- signals
def test_adding_problem_definition():
    x, y = adding_problem(500, 30, np.random.default_rng(0))
    assert x.shape == (500, 30, 2) and y.shape == (500,)
    marks = x[..., 1]
    assert np.all(marks.sum(1) == 2)
    assert np.all(marks[:, :15].sum(1) == 1) and np.all(marks[:, 15:].sum(1) == 1)
    np.testing.assert_allclose(y, (x[..., 0] * marks).sum(1))
    # predicting the mean (1.0) gives MSE ~ 1/6
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.03)
    with pytest.raises(ValueError):
        adding_problem(2, 1, np.random.default_rng(0))


def test_same_rng_same_data_and_no_global_state():
    a = adding_problem(4, 10, np.random.default_rng(42))
    np.random.seed(0)  # noqa: NPY002 -- global seeding must not matter
    b = adding_problem(4, 10, np.random.default_rng(42))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_copy_task_definition():
    x, y, mask = copy_task(50, n_symbols=4, n_recall=3, delay=5, rng=np.random.default_rng(1))
    T = 2 * 3 + 5
    assert x.shape == (50, T, 6) and y.shape == (50, T) and mask.shape == (50, T)
    symbols = x[:, :3].argmax(-1)
    np.testing.assert_array_equal(y[:, -3:], symbols)
    assert np.all(y[:, :-3] == 4) and np.all(mask.sum(1) == 3)
    assert np.all(x[:, 3 + 5].argmax(-1) == 5)  # the go marker


def test_noisy_sine_targets_are_next_clean_values():
    x, y = noisy_sine(3, 50, np.random.default_rng(2), noise=0.0)
    np.testing.assert_allclose(x[:, 1:], y[:, :-1], atol=1e-12)
    x2, _ = noisy_sine(3, 50, np.random.default_rng(2), noise=0.5)
    assert np.std(x2 - x) > 0.3


def test_one_hot_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot(np.array([0, 3]), 3)


def test_chirps_are_reproducible_and_reversal_swaps_rising_and_falling():
    x, labels = chirp_signals(300, 40, np.random.default_rng(0), noise=0.0)
    x2, labels2 = chirp_signals(300, 40, np.random.default_rng(0), noise=0.0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(labels, labels2)
    assert x.shape == (300, 40, 1) and set(labels.tolist()) == {0, 1, 2}
    # instantaneous frequency: the zero-crossing count of each half of the signal
    crossings = lambda s: np.sum(np.diff(np.sign(s), axis=1) != 0, axis=1)  # noqa: E731
    early, late = crossings(x[:, :20, 0]), crossings(x[:, 20:, 0])
    assert np.all(late[labels == 0] > early[labels == 0])
    assert np.all(late[labels == 1] < early[labels == 1])
    assert np.all(np.abs(late - early)[labels == 2] <= 3)


# ---------------------------------------------------------------- symbols
def test_echo_targets_are_the_previous_symbol():
    x, y, mask = echo_task(20, 7, 5, np.random.default_rng(0))
    symbols = x.argmax(axis=-1)
    np.testing.assert_array_equal(y[:, 1:], symbols[:, :-1])
    assert not mask[:, 0].any() and mask[:, 1:].all()


def test_majority_labels_and_odd_length():
    x, y = majority_task(50, 7, np.random.default_rng(0))
    np.testing.assert_array_equal(y, (x[..., 1].sum(axis=1) >= 4).astype(int))
    with pytest.raises(ValueError, match="odd"):
        majority_task(2, 4, np.random.default_rng(0))


def test_recall_batch_targets_are_first_symbols():
    x, y = recall_batch(50, 9, 5, np.random.default_rng(0))
    assert x.shape == (50, 9, 5)
    np.testing.assert_array_equal(x[:, 0].argmax(-1), y)
    np.testing.assert_array_equal(x.sum(-1), 1.0)


# ---------------------------------------------------------------- the "not" sentences
def test_sentence_labels_follow_the_rule():
    rng = np.random.default_rng(0)
    tokens, labels, flipped = sentences.make_sentences(500, 7, rng, not_positions=(1, 2, 3))
    for tok, label, flip in zip(tokens, labels, flipped, strict=True):
        words = sentences.decode(tok).split()
        sentiment = [i for i, w in enumerate(words) if w in sentences.POSITIVE + sentences.NEGATIVE]
        assert len(sentiment) == 1
        i = sentiment[0]
        nots = [j for j, w in enumerate(words) if w == "not"]
        assert len(nots) <= 1 and all(j in (1, 2, 3) for j in nots)
        assert flip == (i > 0 and words[i - 1] == "not")
        assert label == int((words[i] in sentences.POSITIVE) != flip)


def test_make_sentences_rejects_impossible_positions():
    with pytest.raises(ValueError, match=r"0\.\.T-2"):
        sentences.make_sentences(3, 4, np.random.default_rng(0), not_positions=(3,))


def test_tags_flip_only_right_after_not():
    tokens = sentences.encode("not good not the bad good not awful")[None]
    assert sentences.tags_for(tokens).tolist() == [[0, 2, 0, 0, 2, 1, 0, 1]]


def test_tag_sentences_put_not_only_where_allowed():
    tokens, tags = sentences.tag_sentences(400, 9, np.random.default_rng(1), not_positions=(0, 4))
    cols = np.nonzero((tokens == sentences.NOT).any(axis=0))[0].tolist()
    assert cols == [0, 4]
    np.testing.assert_array_equal(tags, sentences.tags_for(tokens))


def test_negated_at_places_not_before_a_sentiment_word():
    tokens, tags = sentences.negated_at(50, 6, 3, np.random.default_rng(2))
    assert (tokens[:, 3] == sentences.NOT).all() and (tags[:, 4] != 0).all()
    assert not (tokens[:, [0, 1, 2, 4, 5]] == sentences.NOT).any()
    with pytest.raises(ValueError):
        sentences.negated_at(5, 6, 5, np.random.default_rng(0))


# ---------------------------------------------------------------- old paths, rng
def test_old_homes_reexport_the_same_generators():
    """The generators' old paths keep working for one release (lessons and learners' copies)."""
    from rnncourse import datasets
    from rnncourse.experiments import not_sentiment, output_tasks, recall_first

    assert datasets.chirp_signals is chirp_signals
    assert output_tasks.echo_task is echo_task and output_tasks.majority_task is majority_task
    assert recall_first.recall_batch is recall_batch
    for name in sentences.__all__:
        assert getattr(not_sentiment, name) is getattr(sentences, name), name


def test_package_names_come_from_tasks():
    import rnncourse
    from rnncourse import tasks

    for name in ("adding_problem", "copy_task", "noisy_sine", "one_hot"):
        assert getattr(rnncourse, name) is getattr(tasks, name), name


def test_tasks_draw_only_from_the_rng_they_are_given():
    """The same seed gives the same data, whatever the global numpy state."""
    draws = {
        "adding": lambda rng: adding_problem(3, 8, rng),
        "copy": lambda rng: copy_task(3, 4, 2, 3, rng),
        "sine": lambda rng: noisy_sine(3, 8, rng),
        "chirps": lambda rng: chirp_signals(3, 8, rng),
        "echo": lambda rng: echo_task(3, 8, 4, rng),
        "majority": lambda rng: majority_task(3, 7, rng),
        "recall": lambda rng: recall_batch(3, 8, 4, rng),
        "sentences": lambda rng: sentences.make_sentences(3, 6, rng, not_positions=(0, 1)),
        "tags": lambda rng: sentences.tag_sentences(3, 6, rng, not_positions=(0, 1)),
        "negated": lambda rng: sentences.negated_at(3, 6, 2, rng),
    }
    for name, draw in draws.items():
        a = draw(np.random.default_rng(7))
        np.random.seed(1)  # noqa: NPY002 -- global seeding must not matter
        b = draw(np.random.default_rng(7))
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u, v, err_msg=name)
