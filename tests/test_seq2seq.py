"""rnncourse.seq2seq: the encoder-decoder, with and without additive attention, and the masked
loss. Every backward against numerical gradients (float64, norm-wise < 1e-7) and against the
same model written in PyTorch (relative error < 1e-10), at several shapes with padded sources
and padded targets; padding provably ignored."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.cells import CELLS
from rnncourse.gradcheck import check_gradients, rel_error
from rnncourse.seq2seq import (
    attention_backward,
    attention_forward,
    beam_search,
    decoder_step,
    encode,
    greedy_decode,
    init_seq2seq,
    masked_cross_entropy,
    seq2seq_backward,
    seq2seq_forward,
    seq2seq_loss,
    sequence_score,
    sub_params,
)

# (N, T, U, V_in, V_out, H, A, source lengths, target lengths); A None: no attention
CASES = [
    (3, 5, 4, 6, 5, 4, None, (5, 2, 4), (4, 1, 3)),
    (1, 1, 1, 3, 4, 2, None, (1,), (1,)),
    (2, 7, 3, 5, 6, 3, None, (7, 7), (3, 3)),
    (3, 5, 4, 6, 5, 4, 3, (5, 2, 4), (4, 1, 3)),
    (1, 1, 1, 3, 4, 2, 2, (1,), (1,)),
    (4, 6, 5, 4, 5, 3, 5, (6, 1, 3, 6), (5, 2, 5, 1)),
    (2, 3, 2, 5, 3, 5, 1, (3, 3), (2, 2)),
]


def _id(c):
    N, T, U, Vi, Vo, H, A, *_ = c
    return f"N{N}T{T}U{U}Vi{Vi}Vo{Vo}H{H}" + (f"-att{A}" if A else "-plain")


def make(case, seed=0, scale=1.0):
    N, T, U, V_in, V_out, H, A, src_len, tgt_len = case
    rng = np.random.default_rng(seed)
    p = {k: v * scale for k, v in init_seq2seq(V_in, V_out, H, rng, attention=A).items()}
    x = rng.integers(0, V_in, size=(N, T))
    x_mask = np.arange(T) < np.array(src_len)[:, None]
    y_in = rng.integers(0, V_out, size=(N, U))
    y_out = rng.integers(0, V_out, size=(N, U))
    y_mask = np.arange(U) < np.array(tgt_len)[:, None]
    return p, x, x_mask, y_in, y_out, y_mask, rng


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_seq2seq_backward_matches_numerical_gradients(case):
    p, x, xm, yi, _, _, rng = make(case, scale=2.0)  # scale: gradients of order one

    def forward(**q):
        return seq2seq_forward(q, x, xm, yi)[0]

    def backward(dlogits, _):
        return seq2seq_backward(p, x, xm, yi, dlogits)

    report = check_gradients(forward, backward, p, rng=rng)
    assert {e.name for e in report.entries} == set(p)
    assert report.max_rel_error < 1e-7, str(report)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_masked_loss_matches_numerical_gradients(case):
    p, x, xm, yi, yo, ym, rng = make(case, seed=1)
    logits, _ = seq2seq_forward(p, x, xm, yi)
    logits = logits * 3.0

    def forward(logits):
        return np.array(masked_cross_entropy(logits, yo, ym)[0])

    def backward(dloss, _):
        return {"logits": masked_cross_entropy(logits, yo, ym)[1] * dloss}

    report = check_gradients(forward, backward, {"logits": logits}, rng=rng)
    assert report.max_rel_error < 1e-7, str(report)


def test_masked_loss_is_the_mean_over_real_positions():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 4, 5))
    t = rng.integers(0, 5, size=(3, 4))
    m = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0]], dtype=bool)
    loss, d = masked_cross_entropy(logits, t, m)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = np.mean([-logp[n, u, t[n, u]] for n in range(3) for u in range(4) if m[n, u]])
    assert abs(loss - expected) < 1e-14
    assert not d[~m].any()
    # what the padding holds changes nothing, even targets out of range
    logits2, t2 = logits.copy(), t.copy()
    logits2[~m] = 1e3
    t2[~m] = 99
    loss2, d2 = masked_cross_entropy(logits2, t2, m)
    assert loss2 == loss and np.array_equal(d2, d)
    with pytest.raises(ValueError, match="no real position"):
        masked_cross_entropy(logits, t, np.zeros_like(m))


@pytest.mark.parametrize("case", [c for c in CASES if c[0] > 1], ids=_id)
def test_padding_changes_nothing(case):
    """Each source and target, run alone and unpadded, gives the same logits and loss."""
    p, x, xm, yi, yo, ym, rng = make(case, seed=3)
    logits, alphas = seq2seq_forward(p, x, xm, yi)
    x2 = np.where(xm, x, rng.integers(0, x.max() + 1, size=x.shape))  # other padding ids
    assert np.array_equal(seq2seq_forward(p, x2, xm, yi)[0], logits)
    _, s0 = encode(p, x, xm)
    for n in range(x.shape[0]):
        L, M = int(xm[n].sum()), int(ym[n].sum())
        alone, a_alone = seq2seq_forward(
            p, x[n : n + 1, :L], np.ones((1, L), bool), yi[n : n + 1, :M]
        )
        assert np.allclose(alone[0], logits[n, :M], rtol=0, atol=1e-13)
        assert np.allclose(
            encode(p, x[n : n + 1, :L], np.ones((1, L), bool))[1][0], s0[n], atol=1e-14
        )
        if alphas is not None:
            assert np.allclose(a_alone[0], alphas[n, :M, :L], atol=1e-13)
            assert not alphas[n, :, L:].any()
            assert np.allclose(alphas[n].sum(axis=1), 1.0, atol=1e-14)
    # and the loss's gradient does not depend on padded targets
    loss, g = seq2seq_loss(p, x, xm, yi, yo, ym)
    yo2 = np.where(ym, yo, 0)
    loss2, g2 = seq2seq_loss(p, x, xm, yi, yo2, ym)
    assert loss == loss2 and all(np.array_equal(g[k], g2[k]) for k in g)


def test_decoder_step_repeats_the_teacher_forced_forward():
    for case in (CASES[0], CASES[3]):
        p, x, xm, yi, *_ = make(case, seed=4)
        logits, alphas = seq2seq_forward(p, x, xm, yi)
        h_enc, s = encode(p, x, xm)
        for u in range(yi.shape[1]):
            lo, s, a = decoder_step(p, yi[:, u], s, h_enc, xm)
            assert np.allclose(lo, logits[:, u], atol=1e-14)
            if a is not None:
                assert np.allclose(a, alphas[:, u], atol=1e-14)


ATT_CASES = [(3, 5, 4, 3, (5, 2, 4)), (1, 1, 2, 2, (1,)), (2, 6, 3, 7, (6, 3))]


@pytest.mark.parametrize("case", ATT_CASES)
def test_attention_backward_matches_numerical_gradients(case):
    N, T, H, A, lens = case
    rng = np.random.default_rng(5)
    mask = np.arange(T) < np.array(lens)[:, None]
    inputs = dict(
        s=rng.normal(size=(N, H)),
        h_enc=rng.normal(size=(N, T, H)),
        W_a=rng.normal(size=(A, H)),
        U_a=rng.normal(size=(A, H)),
        v_a=rng.normal(size=A),
    )

    def forward(s, h_enc, W_a, U_a, v_a):
        return attention_forward(s, h_enc, mask, W_a, U_a, v_a)

    def backward(dout, _):
        g = attention_backward(dout[0], dout[1], inputs["s"], inputs["h_enc"], mask,
                               inputs["W_a"], inputs["U_a"], inputs["v_a"])  # fmt: skip
        return dict(zip(["s", "h_enc", "W_a", "U_a", "v_a"], g, strict=True))

    report = check_gradients(forward, backward, inputs, rng=rng)
    assert report.max_rel_error < 1e-7, str(report)
    _, alpha = forward(**inputs)
    assert not alpha[~mask].any() and np.allclose(alpha.sum(1), 1.0)
    with pytest.raises(ValueError, match="at least one real step"):
        attention_forward(inputs["s"], inputs["h_enc"], np.zeros_like(mask), inputs["W_a"],
                          inputs["U_a"], inputs["v_a"])  # fmt: skip


# --- PyTorch ---------------------------------------------------------------------------------


def torch_attention(torch, s, h_enc, mask, W_a, U_a, v_a):
    k = torch.tanh((s @ W_a.T)[:, None, :] + h_enc @ U_a.T)
    e = (k @ v_a).masked_fill(~mask, float("-inf"))
    alpha = torch.softmax(e, dim=1)
    return torch.bmm(alpha[:, None, :], h_enc)[:, 0], alpha


@pytest.mark.torch
@pytest.mark.parametrize("case", ATT_CASES)
def test_attention_equals_torch_autograd(torch, case):
    N, T, H, A, lens = case
    rng = np.random.default_rng(6)
    mask = np.arange(T) < np.array(lens)[:, None]
    arrays = [rng.normal(size=(N, H)), rng.normal(size=(N, T, H)), rng.normal(size=(A, H)),
              rng.normal(size=(A, H)), rng.normal(size=A)]  # fmt: skip
    dc, da = rng.normal(size=(N, H)), rng.normal(size=(N, T))
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    c_t, a_t = torch_attention(torch, ts[0], ts[1], torch.tensor(mask), *ts[2:])
    ((c_t * torch.tensor(dc)).sum() + (a_t * torch.tensor(da)).sum()).backward()
    s, h, W, U, v = arrays
    c, a = attention_forward(s, h, mask, W, U, v)
    assert rel_error(c, c_t.detach().numpy()) < 1e-10
    assert rel_error(a, a_t.detach().numpy()) < 1e-10
    for g, t in zip(attention_backward(dc, da, s, h, mask, W, U, v), ts, strict=True):
        assert rel_error(g, t.grad.numpy()) < 1e-10


def torch_gru(torch, p, D, H):
    gru = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, key in (("weight_ih_l0", "W_ih"), ("weight_hh_l0", "W_hh"),
                          ("bias_ih_l0", "b_ih"), ("bias_hh_l0", "b_hh")):  # fmt: skip
            getattr(gru, name).copy_(torch.tensor(p[key]))
    return gru


def torch_loss(torch, p, x, xm, yi, yo, ym):
    """The same model in PyTorch: nn.GRU on packed sources, nn.GRU or nn.GRUCell decoder."""
    F = torch.nn.functional
    V_in, V_out = p["enc_W_ih"].shape[1], p["W_hy"].shape[0]
    H = p["enc_W_hh"].shape[1]
    enc = torch_gru(torch, sub_params(p, "enc_"), V_in, H)
    D_dec = p["dec_W_ih"].shape[1]
    dec = torch_gru(torch, sub_params(p, "dec_"), D_dec, H)
    params = {n: prm for n, prm in list(enc.named_parameters(prefix="enc"))
              + list(dec.named_parameters(prefix="dec"))}  # fmt: skip
    W_hy = torch.tensor(p["W_hy"], requires_grad=True)
    b_y = torch.tensor(p["b_y"], requires_grad=True)
    xo = F.one_hot(torch.tensor(x), V_in).double()
    lens = torch.tensor(xm.sum(1))
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xo, lens, batch_first=True, enforce_sorted=False
    )
    out_p, h_n = enc(packed)
    h_enc, _ = torch.nn.utils.rnn.pad_packed_sequence(
        out_p, batch_first=True, total_length=x.shape[1]
    )
    yo_t = F.one_hot(torch.tensor(yi), V_out).double()
    att = None
    if "att_v" in p:
        att = [torch.tensor(p[k], requires_grad=True) for k in ("att_W", "att_U", "att_v")]
        cell = torch.nn.GRUCell(D_dec, H, dtype=torch.float64)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(dec, name + "_l0"))
        params = {n: prm for n, prm in params.items() if n.startswith("enc")}
        params.update({"dec." + n: prm for n, prm in cell.named_parameters()})
        s, outs, mask = h_n[0], [], torch.tensor(xm)
        for u in range(yi.shape[1]):
            c, _ = torch_attention(torch, s, h_enc, mask, *att)
            s = cell(torch.cat([yo_t[:, u], c], dim=1), s)
            outs.append(torch.cat([s, c], dim=1))
        out = torch.stack(outs, dim=1)
    else:
        out, _ = dec(yo_t, h_n)
    logits = out @ W_hy.T + b_y
    ce = F.cross_entropy(logits.reshape(-1, V_out), torch.tensor(np.where(ym, yo, 0)).reshape(-1),
                         reduction="none")  # fmt: skip
    m = torch.tensor(ym.reshape(-1)).double()
    loss = (ce * m).sum() / m.sum()
    loss.backward()
    names = {"weight_ih": "W_ih", "weight_hh": "W_hh", "bias_ih": "b_ih", "bias_hh": "b_hh"}
    grads = {}
    for n, prm in params.items():
        side, tname = n.split(".")
        grads[f"{side}_{names[tname.removesuffix('_l0')]}"] = prm.grad.numpy()
    grads["W_hy"], grads["b_y"] = W_hy.grad.numpy(), b_y.grad.numpy()
    if att:
        grads.update(zip(("att_W", "att_U", "att_v"), (a.grad.numpy() for a in att), strict=True))
    return float(loss.detach()), logits.detach().numpy(), grads


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_seq2seq_equals_torch(torch, case):
    p, x, xm, yi, yo, ym, _ = make(case, seed=7)
    loss_t, logits_t, grads_t = torch_loss(torch, p, x, xm, yi, yo, ym)
    logits, _ = seq2seq_forward(p, x, xm, yi)
    loss, grads = seq2seq_loss(p, x, xm, yi, yo, ym)
    assert abs(loss - loss_t) / abs(loss_t) < 1e-10
    # PyTorch's padded decoder steps are computed too (teacher forcing runs every step)
    assert rel_error(logits, logits_t) < 1e-10
    assert set(grads) == set(grads_t) == set(p)
    for k in p:
        assert rel_error(grads[k], grads_t[k]) < 1e-10, k


def test_model_is_the_registry_gru():
    """The encoder and decoder are the registry's GRU: its parameter names and shapes."""
    p = init_seq2seq(5, 4, 3, np.random.default_rng(0), attention=2)
    assert {k: v.shape for k, v in sub_params(p, "enc_").items()} == CELLS["gru"].param_shapes(5, 3)
    assert {k: v.shape for k, v in sub_params(p, "dec_").items()} == CELLS["gru"].param_shapes(7, 3)
    with pytest.raises(ValueError, match="prefix"):
        seq2seq_forward(
            p, np.zeros((1, 3), int), np.array([[True, False, True]]), np.zeros((1, 2), int)
        )


# --- decoding --------------------------------------------------------------------------------

PAD, BOS, EOS = 0, 1, 2


def markov_model(table):
    """A hand-built model whose next-token distribution depends only on the previous token:
    ``table[prev]`` lists the probabilities of (EOS, tok3, tok4, ...). The decoder's update gate
    is shut off (bias -40: z = 4e-18), W_hh = 0 and the candidate reads 20 * onehot(prev), so
    s_u = tanh(20) e_prev (0.99999999 on prev's unit, 0 elsewhere) whatever the encoder says;
    the output layer's column for prev holds the log-probabilities, divided by tanh(20)."""
    V = 2 + len(next(iter(table.values())))
    rng = np.random.default_rng(0)
    p = init_seq2seq(3, V, V, rng)
    p["dec_W_hh"][:] = 0.0
    p["dec_b_hh"][:] = 0.0
    p["dec_W_ih"][:] = 0.0
    p["dec_b_ih"][:] = 0.0
    p["dec_b_ih"][V : 2 * V] = -40.0  # z
    p["dec_W_ih"][2 * V :] = 20.0 * np.eye(V)  # n reads the previous token
    p["W_hy"][:] = 0.0
    p["b_y"][:] = 0.0
    for prev, probs in table.items():
        col = np.full(V, -60.0)  # PAD and BOS: never (masked anyway)
        col[2:] = np.log(probs)
        p["W_hy"][:, prev] = col / np.tanh(20.0)
    return p


def exhaustive(p, x, xm, max_len, alpha):
    """Every output of at most max_len tokens, scored exactly by running decoder_step."""
    V = p["W_hy"].shape[0]
    best = []
    h_enc, s0 = encode(p, x, xm)

    def walk(prefix, s, lp):
        y = prefix[-1] if prefix else BOS
        logits, s2, _ = decoder_step(p, np.array([y]), s, h_enc, xm)
        logp = logits[0] - np.log(np.exp(logits[0]).sum())
        for tok in range(2, V):
            seq, l2 = (*prefix, tok), lp + logp[tok]
            if tok == EOS or len(seq) == max_len:
                best.append((l2 / len(seq) ** alpha, seq, l2))
            else:
                walk(seq, s2, l2)

    walk((), s0, 0.0)
    return max(best, key=lambda b: b[0])


def test_beam_search_beats_greedy_on_a_constructed_model():
    """Greedy takes the likelier first token (tok3: 0.55) and then can only reach 0.55 * 0.34;
    the beam keeps tok4 (0.43), whose continuation EOS has 0.9: 0.387 > 0.187."""
    table = {BOS: [0.02, 0.55, 0.43], 3: [0.34, 0.33, 0.33], 4: [0.9, 0.05, 0.05]}
    p = markov_model(table)
    x, xm = np.array([[0, 1, 2]]), np.ones((1, 3), bool)
    ids, logp, _ = greedy_decode(p, x, xm, max_len=4)
    assert ids[0].tolist() == [3, EOS, PAD, PAD]
    assert abs(np.exp(logp[0]) - 0.55 * 0.34) < 1e-9
    for alpha in (0.0, 1.0):
        hyp = beam_search(p, x, xm, beam_size=2, max_len=4, length_alpha=alpha)[0][0]
        assert hyp.tokens == (4, EOS)
        assert abs(np.exp(hyp.logp) - 0.43 * 0.9) < 1e-9
        score, seq, _ = exhaustive(p, x, xm, 4, alpha)
        assert seq == hyp.tokens and abs(score - hyp.score) < 1e-12
    # the beam of width 1 keeps only tok3's prefix, and so cannot find it
    assert beam_search(p, x, xm, beam_size=1, max_len=4)[0][0].tokens != (4, EOS)


def test_length_normalisation_changes_the_winner():
    """Unnormalised, the one-token output EOS (0.4) beats tok3 EOS (0.45 * 0.8 = 0.36);
    per token (alpha = 1), log(0.36) / 2 = -0.51 beats log(0.4) = -0.92."""
    table = {BOS: [0.4, 0.45, 0.15], 3: [0.8, 0.1, 0.1], 4: [0.5, 0.25, 0.25]}
    p = markov_model(table)
    x, xm = np.array([[0, 1]]), np.ones((1, 2), bool)
    raw = beam_search(p, x, xm, beam_size=3, max_len=3, length_alpha=0.0)[0][0]
    norm = beam_search(p, x, xm, beam_size=3, max_len=3, length_alpha=1.0)[0][0]
    assert raw.tokens == (EOS,) and norm.tokens == (3, EOS)
    assert abs(norm.score - np.log(0.36) / 2) < 1e-9 and abs(raw.score - np.log(0.4)) < 1e-9


@pytest.mark.parametrize("attention", [None, 3])
def test_wide_beam_is_exhaustive_and_greedy_follows_argmax(attention):
    rng = np.random.default_rng(8)
    p = {k: 3 * v for k, v in init_seq2seq(5, 5, 4, rng, attention=attention).items()}
    x = rng.integers(0, 5, size=(3, 6))
    xm = np.arange(6) < np.array([6, 2, 4])[:, None]
    max_len = 4
    ids, logp, alphas = greedy_decode(p, x, xm, max_len)
    results = beam_search(p, x, xm, beam_size=3**max_len, max_len=max_len, length_alpha=0.7)
    for n in range(3):
        score, seq, _ = exhaustive(p, x[n : n + 1], xm[n : n + 1], max_len, 0.7)
        assert results[n][0].tokens == seq and abs(results[n][0].score - score) < 1e-12
        assert all(a.score >= b.score for a, b in zip(results[n], results[n][1:], strict=False))
        # greedy, one row at a time through decoder_step
        h_enc, s = encode(p, x[n : n + 1], xm[n : n + 1])
        y, total, toks = np.array([BOS]), 0.0, []
        for _ in range(max_len):
            logits, s, a = decoder_step(p, y, s, h_enc, xm[n : n + 1])
            lp = logits[0] - np.log(np.exp(logits[0]).sum())
            lp[[PAD, BOS]] = -np.inf
            y = np.array([int(lp.argmax())])
            total += lp[y[0]]
            toks.append(int(y[0]))
            if y[0] == EOS:
                break
        assert ids[n, : len(toks)].tolist() == toks and not ids[n, len(toks) :].any()
        assert abs(logp[n] - total) < 1e-12
        # no decoded output beats the exhaustive best, greedy included
        assert sequence_score(logp[n], len(toks), 0.7) <= score + 1e-12
        if alphas is not None:
            assert not alphas[n, :, int(xm[n].sum()) :].any()


def test_decoding_arguments_are_checked():
    p = init_seq2seq(3, 4, 2, np.random.default_rng(0))
    x, xm = np.zeros((1, 2), int), np.ones((1, 2), bool)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(p, x, xm, 0)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(p, x, xm, 0, 3)
