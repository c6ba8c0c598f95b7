"""The trainer that takes the learner's functions (rnncourse.training), and lesson 10's figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnncourse.experiments.train_it_yourself import CONFIG, RESULTS, figures, run
from rnncourse.losses import softmax_cross_entropy
from rnncourse.optim import adam_step, clip_grad_norm, momentum_step, sgd_step, zeros_like
from rnncourse.rnn import rnn_backward, rnn_forward
from rnncourse.training import NotReady, bigram_bits, init_char_rnn, train_charmodel, train_step


def _text(rng, V=7, L=3000):
    # a text with structure: a random walk over characters, so a bigram model beats a unigram
    steps = rng.choice([-1, 1, 2], size=L, p=[0.3, 0.5, 0.2])
    return np.cumsum(steps) % V


def test_the_trainer_runs_train_step():
    """With the package's functions, each update of train_charmodel is train_step's."""
    rng = np.random.default_rng(0)
    ids = _text(rng)
    V, H, N, T = 7, 5, 3, 4
    p0 = init_char_rnn(V, H, np.random.default_rng(1))
    params, hist = train_charmodel(p0, ids, ids[:200], steps=3, N=N, T=T, lr=0.01, eval_every=10)
    L = len(ids) // N
    streams = ids[: N * L].reshape(N, L)
    p, m, v, h0 = p0, zeros_like(p0), zeros_like(p0), np.zeros((N, H))
    for i in range(3):
        x = np.eye(V)[streams[:, i * T : (i + 1) * T]]
        y = streams[:, i * T + 1 : (i + 1) * T + 1]
        p, m, v, loss, h0 = train_step(p, m, v, i + 1, x, y, h0, 0.01, 1.0)
        assert loss == hist["loss"][i]
    for k in p:
        assert np.array_equal(p[k], params[k]), k
    assert all(np.array_equal(p0[k], init_char_rnn(V, H, np.random.default_rng(1))[k]) for k in p0)


@pytest.mark.parametrize("step", [sgd_step, momentum_step, adam_step])
def test_every_optimiser_learns_the_structure(step):
    rng = np.random.default_rng(2)
    ids = _text(rng, L=6000)
    p0 = init_char_rnn(7, 16, np.random.default_rng(3))
    lr = {"sgd_step": 1.0, "momentum_step": 0.2, "adam_step": 0.02}[step.__name__]
    _, hist = train_charmodel(p0, ids[:5000], ids[5000:], step=step, steps=150, N=8, T=16, lr=lr,
                              eval_every=1000)  # fmt: skip
    # the walk's bigram entropy is about 1.49 bits; the unigram's log2(7) = 2.81
    assert hist["val_bits"][-1] < 2.0, (step.__name__, hist["val_bits"])
    assert bigram_bits(ids[:5000], ids[5000:], 7) < 1.6


def test_a_stub_stops_the_trainer_with_one_line():
    def adam_step(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        raise NotImplementedError()

    rng = np.random.default_rng(0)
    ids = _text(rng)
    with pytest.raises(NotReady, match=r"adam_step \(the trainer's step=\) is not implemented yet"):
        train_charmodel(init_char_rnn(7, 4, rng), ids, ids, step=adam_step, steps=2, N=2, T=4)
    assert NotReady("x")._render_traceback_() == ["NotReady: x"]
    with pytest.raises(TypeError, match="signature of sgd_step"):
        train_charmodel(init_char_rnn(7, 4, rng), ids, ids, step=lambda a, b: a, steps=1, N=2, T=4)


def test_lesson_10_figure_is_reproduced_and_beats_the_unigram_by_a_bit():
    """Done means: with the reference functions the trainer reaches at least 1 bit per character
    below the unigram baseline on validation; the committed figure is what a fresh run gives."""
    committed = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert committed["config"] == CONFIG
    fresh = figures(
        run(CONFIG, forward=rnn_forward, backward=rnn_backward, loss=softmax_cross_entropy,
            clip=clip_grad_norm, step=adam_step)
    )  # fmt: skip
    for k in ("unigram_bits", "bigram_bits", "final_bits", "val_step"):
        assert fresh[k] == pytest.approx(committed[k], abs=2e-6), k
    assert fresh["val_bits"] == pytest.approx(committed["val_bits"], abs=2e-6)
    assert committed["final_bits"] <= committed["unigram_bits"] - 1.0
    assert committed["final_bits"] < committed["bigram_bits"]
