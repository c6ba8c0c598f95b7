"""Sequence to sequence: a GRU encoder, a GRU decoder, additive attention, teacher forcing.

Both recurrent parts are the registry's GRU (``rnncourse.cells``), driven through
``Cell.forward``/``backward``/``step_backward``; nothing here re-derives a gate.

Shapes: N batch, T source steps, U target steps, V_in / V_out the vocabularies, H hidden
units, A attention units. Inputs are integer ids, read as one-hot vectors.

The model (one flat parameter dict; ``enc_*`` and ``dec_*`` are the two GRUs' parameters under
the registry's names, ``enc_W_ih`` is the encoder's ``W_ih``):

    encoder   h_t = GRU_enc(onehot(x_t), h_{t-1}), h_0 = 0              h_enc (N, T, H)
              s_0 = h at each source's last real step                   (N, H)
              (padding is at the end, so the steps after it never reach s_0: this equals
              running each source alone, and PyTorch's packed sequences)
    decoder   teacher forcing: the input at step u is the true previous token y_in[u]
              (BOS, then the target); the decoder never sees its own predictions in training.
      plain       s_u = GRU_dec(onehot(y_in_u), s_{u-1})
                  logits_u = W_hy s_u + b_y
      attention   e_{u,t} = v_a . tanh(W_a s_{u-1} + U_a h_t)            (Bahdanau et al. 2015)
                  alpha_u = softmax of e_u over the real source steps (padding gets 0)
                  hbar_u  = sum_t alpha_{u,t} h_t      (the context)       (N, H)
                  s_u     = GRU_dec([onehot(y_in_u), hbar_u], s_{u-1})
                  logits_u = W_hy [s_u, hbar_u] + b_y
    loss      mean over the real target positions (y_mask) of -log softmax(logits_u)[y_out_u]

A model has attention when its dict holds ``att_v``.

    init_seq2seq(V_in, V_out, H, rng, *, attention=None)   -> params (PyTorch's initialisation)
    encode(params, x, x_mask)                               -> (h_enc, s0)
    seq2seq_forward(params, x, x_mask, y_in)                -> (logits, alphas or None)
    seq2seq_backward(params, x, x_mask, y_in, dlogits)      -> grads (the forward recomputed)
    masked_cross_entropy(logits, targets, mask)             -> (loss, dlogits)
    seq2seq_loss(params, x, x_mask, y_in, y_out, y_mask)    -> (loss, grads)
    attention_forward(s, h_enc, mask, W_a, U_a, v_a)        -> (context, alpha)
    attention_backward(dcontext, dalpha, s, h_enc, mask, W_a, U_a, v_a)
                                                            -> (ds, dh_enc, dW_a, dU_a, dv_a)
    decoder_step(params, y_prev, s_prev, h_enc, x_mask)     -> (logits, s, alpha or None)
    greedy_decode(params, x, x_mask, max_len)               -> (ids, logp, alphas)
    beam_search(params, x, x_mask, beam_size, max_len, length_alpha)
                                                            -> a list of Hypothesis per source
    sequence_score(logp, length, length_alpha)              logp / length**length_alpha

Decoding takes the model as its parameter dict (no callables): the decoder feeds itself its
own previous token, starting from BOS; it never emits PAD or BOS; a hypothesis ends at EOS (its
length counts the EOS) or after ``max_len`` tokens.

Backward functions take the forward's inputs and recompute what they need (CONVENTIONS.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rnncourse.cells import get_cell
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import log_softmax, softmax
from rnncourse.tasks.symbols import one_hot

__all__ = [
    "Hypothesis",
    "attention_backward",
    "attention_forward",
    "beam_search",
    "decoder_step",
    "encode",
    "greedy_decode",
    "has_attention",
    "init_seq2seq",
    "masked_cross_entropy",
    "seq2seq_backward",
    "seq2seq_forward",
    "seq2seq_loss",
    "sequence_score",
    "sub_params",
]

Params = Mapping[str, np.ndarray]
GRU = get_cell("gru")


def sub_params(params: Params, prefix: str) -> dict[str, np.ndarray]:
    """The parameters whose names start with ``prefix``, the prefix removed."""
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def has_attention(params: Params) -> bool:
    """Whether the model has an attention layer (its dict holds ``att_v``)."""
    return "att_v" in params


def init_seq2seq(
    V_in: int,
    V_out: int,
    H: int,
    rng: np.random.Generator,
    *,
    attention: int | None = None,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    """Parameters of the encoder-decoder, drawn as PyTorch draws each layer.

    ``attention``: the number A of attention units, or None for the plain model. The attention
    weights ``att_W (A, H)``, ``att_U (A, H)`` and ``att_v (A,)`` are drawn as ``nn.Linear``
    draws them (uniform in +-1/sqrt(H), +-1/sqrt(A) for v).

    >>> p = init_seq2seq(5, 4, 3, np.random.default_rng(0), attention=2)
    >>> {k: v.shape for k, v in p.items() if not k.startswith("enc")}["dec_W_ih"]
    (9, 7)
    """
    p: dict[str, np.ndarray] = {}
    for k, v in GRU.init(V_in, H, rng, dtype=dtype).items():
        p["enc_" + k] = v
    D_dec = V_out + (H if attention else 0)
    for k, v in GRU.init(D_dec, H, rng, dtype=dtype).items():
        p["dec_" + k] = v
    W_hy, b_y = init_output(H * (2 if attention else 1), V_out, rng, dtype=dtype)
    p["W_hy"], p["b_y"] = W_hy, b_y
    if attention:
        k = 1.0 / np.sqrt(H)
        p["att_W"] = rng.uniform(-k, k, size=(attention, H)).astype(dtype)
        p["att_U"] = rng.uniform(-k, k, size=(attention, H)).astype(dtype)
        p["att_v"] = rng.uniform(-1 / np.sqrt(attention), 1 / np.sqrt(attention), attention).astype(
            dtype
        )
    return p


def _check_mask(mask: np.ndarray, shape: tuple[int, int], what: str) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != shape:
        raise ValueError(f"{what} must be {shape}, got {mask.shape}")
    if not mask[:, 0].all() or (mask[:, 1:] & ~mask[:, :-1]).any():
        raise ValueError(f"{what} must be True on a prefix of each row (padding at the end)")
    return mask


def _vocab_sizes(params: Params) -> tuple[int, int]:
    V_in = params["enc_W_ih"].shape[1]
    V_out = params["W_hy"].shape[0]
    return V_in, V_out


def encode(params: Params, x: np.ndarray, x_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encoder states h_enc (N, T, H) and s0 (N, H), each source's state at its last real step."""
    x = np.asarray(x)
    N, T = x.shape
    x_mask = _check_mask(x_mask, (N, T), "x_mask")
    enc = sub_params(params, "enc_")
    V_in, _ = _vocab_sizes(params)
    h0 = GRU.zero_state(enc, N)
    h_enc, _ = GRU.forward(enc, one_hot(x, V_in, dtype=enc["W_ih"].dtype), h0)
    last = x_mask.sum(axis=1) - 1
    return h_enc, h_enc[np.arange(N), last]


def _encode_backward(params, x, x_mask, h_enc, dh_enc, ds0):
    N, T = x.shape
    enc = sub_params(params, "enc_")
    V_in, _ = _vocab_sizes(params)
    dh = dh_enc.copy()
    dh[np.arange(N), x_mask.sum(axis=1) - 1] += ds0
    xo = one_hot(x, V_in, dtype=enc["W_ih"].dtype)
    _, _, g = GRU.backward(enc, xo, GRU.zero_state(enc, N), h_enc, None, dh)
    return {"enc_" + k: v for k, v in g.items()}


# --- additive attention ---------------------------------------------------------------------


def attention_forward(
    s: np.ndarray,
    h_enc: np.ndarray,
    mask: np.ndarray,
    W_a: np.ndarray,
    U_a: np.ndarray,
    v_a: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Additive attention of one decoder step (Bahdanau, Cho and Bengio, 2015).

        k       = tanh(s @ W_a.T [:, None, :] + h_enc @ U_a.T)     # (N, T, A)
        e       = k @ v_a                                          # (N, T) scores
        alpha   = softmax(e) over the steps where mask is True; 0 on padding
        context = sum_t alpha[:, t] h_enc[:, t]                    # (N, H)

    Args:
        s: the decoder's previous state, (N, H).
        h_enc: the encoder's states, (N, T, H).
        mask: (N, T) bool, True on real source steps (at least one per row).
        W_a (A, H), U_a (A, H), v_a (A,).

    Returns:
        (context (N, H), alpha (N, T)).
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any(axis=1).all():
        raise ValueError("every row of the mask needs at least one real step to attend to")
    k = np.tanh((s @ W_a.T)[:, None, :] + h_enc @ U_a.T)
    e = np.where(mask, k @ v_a, -np.inf)
    alpha = softmax(e)
    context = np.einsum("nt,nth->nh", alpha, h_enc)
    return context, alpha


def attention_backward(
    dcontext: np.ndarray,
    dalpha: np.ndarray | None,
    s: np.ndarray,
    h_enc: np.ndarray,
    mask: np.ndarray,
    W_a: np.ndarray,
    U_a: np.ndarray,
    v_a: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward of ``attention_forward`` (recomputed from its inputs).

        dalpha += dcontext . h_enc                            # through the weighted sum
        de      = alpha * (dalpha - sum_t alpha dalpha)       # the softmax's Jacobian; 0 on padding
        dk      = de[..., None] * v_a * (1 - k**2)            # through e = k v_a and the tanh
        ds      = sum_t dk @ W_a       dh_enc = alpha dcontext + dk @ U_a
        dW_a    = sum dk^T s           dU_a   = sum dk^T h_enc      dv_a = sum de k

    Args:
        dcontext: (N, H); dalpha: (N, T) or None (no gradient on the weights themselves).

    Returns:
        (ds (N, H), dh_enc (N, T, H), dW_a (A, H), dU_a (A, H), dv_a (A,)).
    """
    mask = np.asarray(mask, dtype=bool)
    k = np.tanh((s @ W_a.T)[:, None, :] + h_enc @ U_a.T)  # (N, T, A)
    alpha = softmax(np.where(mask, k @ v_a, -np.inf))
    da = np.einsum("nh,nth->nt", dcontext, h_enc)
    if dalpha is not None:
        da = da + dalpha
    de = alpha * (da - (alpha * da).sum(axis=1, keepdims=True))
    dpre = de[..., None] * v_a * (1.0 - k * k)  # (N, T, A)
    ds = dpre.sum(axis=1) @ W_a
    dh_enc = alpha[..., None] * dcontext[:, None, :] + dpre @ U_a
    dW_a = dpre.sum(axis=1).T @ s
    dU_a = np.einsum("nta,nth->ah", dpre, h_enc)
    dv_a = np.einsum("nt,nta->a", de, k)
    return ds, dh_enc, dW_a, dU_a, dv_a


# --- the model ------------------------------------------------------------------------------


def decoder_step(
    params: Params,
    y_prev: np.ndarray,
    s_prev: np.ndarray,
    h_enc: np.ndarray,
    x_mask: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One decoder step from the previous tokens ``y_prev`` (N,) ids and state (N, H).

    Returns:
        (logits (N, V_out), s (N, H), alpha (N, T), or None without attention).
    """
    dec = sub_params(params, "dec_")
    _, V_out = _vocab_sizes(params)
    inp = one_hot(np.asarray(y_prev), V_out, dtype=s_prev.dtype)
    alpha = None
    if has_attention(params):
        c, alpha = attention_forward(
            s_prev, h_enc, x_mask, params["att_W"], params["att_U"], params["att_v"]
        )
        inp = np.concatenate([inp, c], axis=1)
    s, _ = GRU.forward(dec, inp[:, None, :], s_prev)
    s = s[:, 0]
    out = np.concatenate([s, c], axis=1) if alpha is not None else s
    # output_forward written out: decoder_step is a helper a learner's graded beam search may
    # call, so it enters no graded function (output_forward is lesson 03's) for a plain model
    return out @ params["W_hy"].T + params["b_y"], s, alpha


def _decode_teacher_forced(params, h_enc, s0, x_mask, y_in):
    """Every step's decoder state, attention context and weights, teacher forced."""
    N, U = y_in.shape
    dec = sub_params(params, "dec_")
    _, V_out = _vocab_sizes(params)
    yo = one_hot(y_in, V_out, dtype=s0.dtype)  # (N, U, V_out)
    if not has_attention(params):
        s, _ = GRU.forward(dec, yo, s0)
        return yo, s, None, None
    H = s0.shape[1]
    T = h_enc.shape[1]
    s = np.empty((N, U, H), dtype=s0.dtype)
    c = np.empty((N, U, H), dtype=s0.dtype)
    alphas = np.empty((N, U, T), dtype=s0.dtype)
    inp = np.empty((N, U, V_out + H), dtype=s0.dtype)
    inp[:, :, :V_out] = yo
    s_prev = s0
    for u in range(U):
        c[:, u], alphas[:, u] = attention_forward(
            s_prev, h_enc, x_mask, params["att_W"], params["att_U"], params["att_v"]
        )
        inp[:, u, V_out:] = c[:, u]
        s_u, _ = GRU.forward(dec, inp[:, u : u + 1], s_prev)
        s[:, u] = s_u[:, 0]
        s_prev = s[:, u]
    return inp, s, c, alphas


def seq2seq_forward(
    params: Params, x: np.ndarray, x_mask: np.ndarray, y_in: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Logits (N, U, V_out) of every target step under teacher forcing, and the attention
    weights (N, U, T) (None without attention)."""
    y_in = np.asarray(y_in)
    if y_in.ndim != 2 or y_in.shape[0] != np.asarray(x).shape[0]:
        raise ValueError(f"y_in must be (N, U) with N = {np.asarray(x).shape[0]}, got {y_in.shape}")
    h_enc, s0 = encode(params, x, x_mask)
    _, s, c, alphas = _decode_teacher_forced(params, h_enc, s0, x_mask, y_in)
    out = s if c is None else np.concatenate([s, c], axis=2)
    return output_forward(out, params["W_hy"], params["b_y"]), alphas


def seq2seq_backward(
    params: Params, x: np.ndarray, x_mask: np.ndarray, y_in: np.ndarray, dlogits: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of ``sum(logits * dlogits)`` for every parameter (the forward recomputed)."""
    x, y_in = np.asarray(x), np.asarray(y_in)
    x_mask = np.asarray(x_mask, dtype=bool)
    h_enc, s0 = encode(params, x, x_mask)
    inp, s, c, _ = _decode_teacher_forced(params, h_enc, s0, x_mask, y_in)
    dec = sub_params(params, "dec_")
    H = s0.shape[1]
    grads: dict[str, np.ndarray] = {}
    if c is None:
        dout, grads["W_hy"], grads["b_y"] = output_backward(dlogits, s, params["W_hy"])
        _, (ds0,), g = GRU.backward(dec, inp, s0, s, None, dout)
        grads.update({"dec_" + k: v for k, v in g.items()})
        grads.update(_encode_backward(params, x, x_mask, h_enc, np.zeros_like(h_enc), ds0))
        return {k: grads[k] for k in params}
    out = np.concatenate([s, c], axis=2)
    dout, grads["W_hy"], grads["b_y"] = output_backward(dlogits, out, params["W_hy"])
    V_out = inp.shape[2] - H
    W_a, U_a, v_a = params["att_W"], params["att_U"], params["att_v"]
    gd = {k: np.zeros_like(v) for k, v in dec.items()}
    ga = [np.zeros_like(W_a), np.zeros_like(U_a), np.zeros_like(v_a)]
    dh_enc = np.zeros_like(h_enc)
    ds_next = np.zeros_like(s0)
    U = y_in.shape[1]
    for u in reversed(range(U)):
        s_prev = s0 if u == 0 else s[:, u - 1]
        ds_u = ds_next + dout[:, u, :H]
        dinp, (ds_prev,), g = GRU.step_backward(dec, inp[:, u], (s_prev,), (s[:, u],), (ds_u,))
        for key in gd:
            gd[key] += g[key]
        dc = dout[:, u, H:] + dinp[:, V_out:]
        ds_att, dh_u, dW, dU, dv = attention_backward(
            dc, None, s_prev, h_enc, x_mask, W_a, U_a, v_a
        )
        dh_enc += dh_u
        for acc, d in zip(ga, (dW, dU, dv), strict=True):
            acc += d
        ds_next = ds_prev + ds_att
    grads.update({"dec_" + k: v for k, v in gd.items()})
    grads["att_W"], grads["att_U"], grads["att_v"] = ga
    grads.update(_encode_backward(params, x, x_mask, h_enc, dh_enc, ds_next))
    return {k: grads[k] for k in params}


def masked_cross_entropy(
    logits: np.ndarray, targets: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray]:
    """Cross-entropy averaged over the real positions only, and dL/dlogits.

        loss    = sum over (n, u) with mask of -log softmax(logits)[n, u, targets] / M
        dlogits = mask * (softmax(logits) - onehot(targets)) / M,   M = mask.sum()

    Padded positions contribute nothing, whatever their logits and targets.

    >>> import numpy as np
    >>> logits = np.zeros((1, 3, 2)); logits[0, 2] = [50.0, -50.0]
    >>> loss, d = masked_cross_entropy(logits, np.array([[0, 1, 1]]), np.array([[1, 1, 0]]))
    >>> round(loss, 4), float(abs(d[0, 2]).sum())
    (0.6931, 0.0)
    """
    targets = np.asarray(targets)
    mask = np.asarray(mask, dtype=bool)
    if targets.shape != logits.shape[:-1] or mask.shape != targets.shape:
        raise ValueError(
            f"targets {targets.shape} and mask {mask.shape} must both be logits.shape[:-1] = "
            f"{logits.shape[:-1]}"
        )
    M = int(mask.sum())
    if M == 0:
        raise ValueError("the mask has no real position: the mean loss is undefined")
    K = logits.shape[-1]
    if targets[mask].size and (targets[mask].min() < 0 or targets[mask].max() >= K):
        raise ValueError(f"targets at real positions must lie in [0, {K})")
    t = np.where(mask, targets, 0)
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, t[..., None], axis=-1)[..., 0]
    loss = -(picked * mask).sum() / M
    d = np.exp(logp)
    np.put_along_axis(d, t[..., None], np.take_along_axis(d, t[..., None], axis=-1) - 1.0, axis=-1)
    d *= mask[..., None] / M
    return float(loss), d


def seq2seq_loss(
    params: Params,
    x: np.ndarray,
    x_mask: np.ndarray,
    y_in: np.ndarray,
    y_out: np.ndarray,
    y_mask: np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """The masked teacher-forced loss and its gradient for every parameter."""
    logits, _ = seq2seq_forward(params, x, x_mask, y_in)
    loss, dlogits = masked_cross_entropy(logits, y_out, y_mask)
    return loss, seq2seq_backward(params, x, x_mask, y_in, dlogits)


# --- decoding -------------------------------------------------------------------------------


def _step_logp(params, y_prev, s_prev, h_enc, x_mask, pad, bos):
    logits, s, alpha = decoder_step(params, y_prev, s_prev, h_enc, x_mask)
    logp = log_softmax(logits)
    logp[:, [pad, bos]] = -np.inf  # never emitted
    return logp, s, alpha


def greedy_decode(
    params: Params,
    x: np.ndarray,
    x_mask: np.ndarray,
    max_len: int,
    *,
    pad: int = 0,
    bos: int = 1,
    eos: int = 2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The most likely next token at every step, fed back as the next input (free running).

    Returns:
        ids (N, max_len): each row's tokens up to and including its EOS, PAD after it;
        logp (N,): the log-probability of each row's tokens (up to its EOS);
        alphas (N, max_len, T) (zero after EOS), or None without attention.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    h_enc, s = encode(params, x, x_mask)
    N, T = np.asarray(x).shape
    ids = np.full((N, max_len), pad, dtype=np.int64)
    total = np.zeros(N)
    alphas = np.zeros((N, max_len, T)) if has_attention(params) else None
    alive = np.ones(N, dtype=bool)
    y = np.full(N, bos, dtype=np.int64)
    for u in range(max_len):
        logp, s, alpha = _step_logp(params, y, s, h_enc, x_mask, pad, bos)
        y = logp.argmax(axis=1)
        ids[alive, u] = y[alive]
        total[alive] += logp[alive, y[alive]]
        if alphas is not None:
            alphas[alive, u] = alpha[alive]
        alive &= y != eos
        if not alive.any():
            break
    return ids, total, alphas


def sequence_score(logp: float, length: int, length_alpha: float) -> float:
    """The length-normalised score ``logp / length**length_alpha`` (0: the plain
    log-probability, which favours short outputs; 1: the mean log-probability per token)."""
    return float(logp) / float(length) ** length_alpha


@dataclass(frozen=True)
class Hypothesis:
    """One decoded output: its tokens (EOS included if it ended), log-probability and score."""

    tokens: tuple[int, ...]
    logp: float
    score: float


def beam_search(
    params: Params,
    x: np.ndarray,
    x_mask: np.ndarray,
    beam_size: int,
    max_len: int,
    *,
    length_alpha: float = 1.0,
    pad: int = 0,
    bos: int = 1,
    eos: int = 2,
) -> list[list[Hypothesis]]:
    """Beam search with length normalisation, for every source of the batch.

        alive = [BOS]
        for step 1..max_len:
            extend every alive prefix by every token (PAD, BOS excluded)
            every extension ending in EOS is finished (kept, scored)
            the beam_size most likely other extensions stay alive
        the alive prefixes left after max_len steps are finished too
        finished hypotheses are ranked by sequence_score(logp, length, length_alpha)

    All alive prefixes have the same length, so ranking them by log-probability is ranking
    them by score; with a beam as wide as the number of prefixes, the search is exhaustive.
    Ties are broken by token order (deterministic).

    Returns:
        for each source, its finished hypotheses, best first.
    """
    if beam_size < 1 or max_len < 1:
        raise ValueError(f"beam_size and max_len must be at least 1, got {beam_size}, {max_len}")
    x = np.asarray(x)
    x_mask = np.asarray(x_mask, dtype=bool)
    h_all, s_all = encode(params, x, x_mask)
    results = []
    for n in range(x.shape[0]):
        h_enc, m = h_all[n : n + 1], x_mask[n : n + 1]
        prefixes: list[tuple[int, ...]] = [()]
        logps = np.zeros(1)
        states = s_all[n : n + 1]
        finished: list[Hypothesis] = []
        for step in range(1, max_len + 1):
            B = len(prefixes)
            y_prev = np.array([p[-1] if p else bos for p in prefixes])
            hb = np.broadcast_to(h_enc, (B, *h_enc.shape[1:]))
            mb = np.broadcast_to(m, (B, m.shape[1]))
            logp, s_new, _ = _step_logp(params, y_prev, states, hb, mb, pad, bos)
            cand = logps[:, None] + logp  # (B, V)
            for b in range(B):
                if np.isfinite(cand[b, eos]):
                    lp = float(cand[b, eos])
                    finished.append(
                        Hypothesis((*prefixes[b], eos), lp, sequence_score(lp, step, length_alpha))
                    )
            cand[:, eos] = -np.inf
            flat = cand.reshape(-1)
            order = np.argsort(-flat, kind="stable")[:beam_size]
            order = order[np.isfinite(flat[order])]
            if order.size == 0:
                break
            V = cand.shape[1]
            prefixes = [(*prefixes[i // V], int(i % V)) for i in order]
            logps = flat[order]
            states = s_new[order // V]
        else:
            for p, lp in zip(prefixes, logps, strict=True):
                finished.append(Hypothesis(p, float(lp), sequence_score(lp, max_len, length_alpha)))
        finished.sort(key=lambda h: -h.score)  # stable: ties keep their order
        results.append(finished)
    return results
