"""The character language model: gradients, truncated BPTT, sampling, the shipped weights."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from rnncourse.datasets import Vocab, unigram_bits
from rnncourse.experiments.charlm import (
    CharLMConfig,
    charlm_loss,
    corpus,
    evaluate_bits,
    hidden_states,
    init_charlm,
    load_pretrained,
    next_char_probs,
    sample,
    train_charlm,
    zero_state,
)
from rnncourse.experiments.charlm_cells import best_units, code_features, plot_char_activations
from rnncourse.gradcheck import check_gradients

CELLS = ["rnn", "lstm", "gru"]

# What lesson 9 quotes (printed by notebooks/09_applications.ipynb from the shipped weights).
QUOTED_VAL_BITS = "2.3314"
QUOTED_UNIGRAM_BITS = "4.5840"
QUOTED_VAL_PERPLEXITY = "5.03"  # 2 ** bits/char, as the lesson prints and its summary quotes
QUOTED_UNIGRAM_PERPLEXITY = "23.98"


def _scalar_check(loss_fn, params, rng):
    """Check d loss / d params by finite differences (the loss is a 0-d array)."""

    def forward(**p):
        return np.array(loss_fn(p)[0])

    def backward(dout, out):
        _, grads = loss_fn(params)
        return {k: g * dout for k, g in grads.items()}

    return check_gradients(forward, backward, params, rng=rng)


@pytest.mark.parametrize("cell", CELLS)
def test_charlm_gradients_with_a_carried_state(cell):
    rng = np.random.default_rng(1)
    V, H, N, T = 5, 4, 3, 6
    params = init_charlm(cell, V, H, rng, dtype=np.float64)
    ids = rng.integers(0, V, size=(N, T + 1))
    state = tuple(0.5 * rng.standard_normal((N, H)) for _ in zero_state(params, N))

    def loss_fn(p):
        loss, grads, _ = charlm_loss(p, ids[:, :-1], ids[:, 1:], state)
        return loss, grads

    report = _scalar_check(loss_fn, params, rng)
    assert report.ok(1e-7), str(report)


@pytest.mark.parametrize("cell", CELLS)
def test_carrying_the_state_equals_reading_the_whole_text(cell):
    """Two batches with the state carried compute the same losses as one long batch."""
    rng = np.random.default_rng(2)
    params = init_charlm(cell, 6, 5, rng, dtype=np.float64)
    ids = rng.integers(0, 6, size=(2, 11))
    whole, _, end = charlm_loss(params, ids[:, :-1], ids[:, 1:], zero_state(params, 2))
    first, _, mid = charlm_loss(params, ids[:, :5], ids[:, 1:6], zero_state(params, 2))
    second, _, end2 = charlm_loss(params, ids[:, 5:10], ids[:, 6:11], mid)
    assert np.isclose(whole, (first + second) / 2, rtol=1e-12)
    for a, b in zip(end, end2, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # and the carried state matters: a fresh state gives another loss
    fresh, _, _ = charlm_loss(params, ids[:, 5:10], ids[:, 6:11], zero_state(params, 2))
    assert not np.isclose(fresh, second)


def test_evaluate_bits_is_the_mean_cross_entropy_in_bits():
    rng = np.random.default_rng(3)
    params = init_charlm("rnn", 4, 3, rng, dtype=np.float64)
    ids = rng.integers(0, 4, size=41)
    loss, _, _ = charlm_loss(params, ids[None, :-1], ids[None, 1:], zero_state(params, 1))
    assert np.isclose(evaluate_bits(params, ids, N=1, T=7), loss / np.log(2), rtol=1e-10)


def test_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    p1 = next_char_probs(logits, 1.0)
    np.testing.assert_allclose(p1, np.exp(logits) / np.exp(logits).sum())
    assert next_char_probs(logits, 0.1)[0] > 0.99
    assert np.ptp(next_char_probs(logits, 100.0)) < 0.01
    with pytest.raises(ValueError, match="positive"):
        next_char_probs(logits, 0.0)


def test_sampling_is_reproducible_and_uses_the_vocabulary():
    rng = np.random.default_rng(4)
    vocab = Vocab("ab\n(")
    params = init_charlm("lstm", len(vocab), 6, rng)
    a = sample(params, vocab, "ab", 30, 1.0, np.random.default_rng(0))
    b = sample(params, vocab, "ab", 30, 1.0, np.random.default_rng(0))
    assert a == b and len(a) == 30 and set(a) <= set(vocab.chars)
    assert sample(params, vocab, "ab", 30, 1.0, np.random.default_rng(1)) != a
    with pytest.raises(ValueError, match="prime"):
        sample(params, vocab, "", 5, 1.0, rng)


def test_a_short_training_run_learns_something():
    vocab, train_ids, val_ids = corpus()
    config = CharLMConfig(cell="rnn", H=16, T=16, N=8, steps=40, lr=1e-2)
    params, history = train_charlm(config, train_ids[:20000], len(vocab))
    assert np.mean(history["loss"][-5:]) < history["loss"][0] - 0.8
    assert (
        evaluate_bits(params, val_ids[:3000])
        < unigram_bits(train_ids, val_ids[:3000], len(vocab)) + 0.5
    )


def test_shipped_weights_load_and_reach_the_quoted_loss():
    params, vocab, config, extra = load_pretrained()
    v2, train_ids, val_ids = corpus()
    assert vocab == v2 and config.cell == "lstm"
    assert {k: v.shape for k, v in params.items()} == {
        "W_ih": (4 * config.H, len(vocab)), "W_hh": (4 * config.H, config.H),
        "b": (4 * config.H,), "W_hy": (len(vocab), config.H), "b_y": (len(vocab),),
    }  # fmt: skip
    bits = evaluate_bits(params, val_ids)
    assert f"{bits:.4f}" == QUOTED_VAL_BITS
    assert np.isclose(bits, float(extra["val_bits"]), atol=1e-4)
    unigram = unigram_bits(train_ids, val_ids, len(vocab))
    assert f"{unigram:.4f}" == QUOTED_UNIGRAM_BITS
    assert bits < unigram - 2.0
    assert len(extra["train_loss"]) == config.steps
    assert f"{2.0**bits:.2f}" == QUOTED_VAL_PERPLEXITY
    assert f"{np.exp(bits * np.log(2)):.2f}" == QUOTED_VAL_PERPLEXITY
    assert f"{2.0**unigram:.2f}" == QUOTED_UNIGRAM_PERPLEXITY


def test_lesson_9_prints_the_quoted_perplexities():
    """The stored output of lesson 9 prints the perplexities beside the bits they come from."""
    import nbformat

    lesson = Path(__file__).resolve().parents[1] / "notebooks" / "09_applications.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    printed = "".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
    )
    unigram_line = f"unigram baseline : perplexity {QUOTED_UNIGRAM_PERPLEXITY:>6}   ({QUOTED_UNIGRAM_BITS} bits/char)"
    lstm_line = (
        f"LSTM, validation : perplexity {QUOTED_VAL_PERPLEXITY:>6}   ({QUOTED_VAL_BITS} bits/char)"
    )
    assert unigram_line in printed
    assert lstm_line in printed
    assert f"{2.0 ** float(QUOTED_VAL_BITS):.2f}" == QUOTED_VAL_PERPLEXITY
    assert f"{2.0 ** float(QUOTED_UNIGRAM_BITS):.2f}" == QUOTED_UNIGRAM_PERPLEXITY
    summary = next(c.source for c in nb.cells if c.source.startswith("## Summary"))
    assert f"perplexity {QUOTED_VAL_PERPLEXITY}" in summary
    assert f"perplexity {QUOTED_UNIGRAM_PERPLEXITY}" in summary


def test_code_features_and_best_units():
    text = "if (a and\n        b):\n    s = 'x#'  # c\n"
    f = code_features(text)
    assert f["depth"][text.index("(")] == 1 and f["depth"][text.index(")")] == 0
    assert f["in_string"][text.index("#")] == 1  # a '#' inside a string starts no comment
    assert f["in_comment"][text.rindex("#")] == 1 and f["in_comment"][text.index("s")] == 0
    assert f["indent"][text.index("b")] == 8 and f["column"][text.index("b")] == 9
    states = np.stack([f["depth"] * 0.3 - 1, np.sin(np.arange(len(text)))], axis=1)
    unit, r = best_units(states, f)["depth"]
    assert unit == 0 and np.isclose(r, 1.0)


def test_activation_plot_draws_the_text_without_leaking_figures():
    before = plt.get_fignums()
    text = "def f(x):\n    return x\n"
    params = init_charlm("lstm", 30, 4, np.random.default_rng(0))
    vocab = Vocab("".join(sorted(set(text))))
    h, c = hidden_states(params, vocab.encode(text))
    assert h.shape == (len(text), 4) and c.shape == (len(text), 4)
    fig = plot_char_activations(text, c[:, 0], title="cell 0")
    drawn = "".join(t.get_text() for t in fig.axes[0].texts)
    assert drawn == text.replace(" ", "").replace("\n", "")
    assert fig.axes[0].get_title() == "cell 0"
    assert plt.get_fignums() == before


@pytest.mark.torch
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_charlm_loss_and_carried_state_match_torch(torch, cell):
    """The same weights in torch.nn.LSTM/GRU + Linear give the same loss, gradients and state."""
    rng = np.random.default_rng(5)
    V, H, N, T = 7, 5, 3, 8
    params = init_charlm(cell, V, H, rng, dtype=np.float64)
    ids = rng.integers(0, V, size=(N, T + 1))
    state = tuple(0.3 * rng.standard_normal((N, H)) for _ in zero_state(params, N))
    loss, grads, new_state = charlm_loss(params, ids[:, :-1], ids[:, 1:], state)

    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(V, H, batch_first=True)
    module = module.double()
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    with torch.no_grad():
        module.weight_ih_l0.copy_(t(params["W_ih"]))
        module.weight_hh_l0.copy_(t(params["W_hh"]))
        if cell == "lstm":  # one bias b = b_ih + b_hh
            module.bias_ih_l0.copy_(t(params["b"]))
            module.bias_hh_l0.zero_()
        else:
            module.bias_ih_l0.copy_(t(params["b_ih"]))
            module.bias_hh_l0.copy_(t(params["b_hh"]))
    W_hy = t(params["W_hy"]).requires_grad_()
    b_y = t(params["b_y"]).requires_grad_()
    x = torch.nn.functional.one_hot(torch.tensor(ids[:, :-1]), V).double()
    s0 = tuple(t(s)[None] for s in state)
    out, s_end = module(x, s0 if cell == "lstm" else s0[0])
    logits = out @ W_hy.T + b_y
    ref = torch.nn.functional.cross_entropy(
        logits.reshape(-1, V), torch.tensor(ids[:, 1:]).reshape(-1)
    )
    ref.backward()
    assert np.isclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(grads["W_hy"], W_hy.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        grads["W_ih"], module.weight_ih_l0.grad.numpy(), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        grads["W_hh"], module.weight_hh_l0.grad.numpy(), rtol=1e-9, atol=1e-12
    )
    s_end = s_end if cell == "lstm" else (s_end,)
    for mine, theirs in zip(new_state, s_end, strict=True):
        np.testing.assert_allclose(mine, theirs[0].detach().numpy(), rtol=1e-12, atol=1e-14)
