"""The pure optimiser steps (lesson 10's graded references): they match torch.optim over several
steps, leave their inputs alone, and the classes built on them give every committed result to
the bit (they compute exactly what the classes computed before the steps existed)."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse import optim
from rnncourse.optim import adam_step, momentum_step, sgd_step, zeros_like


# The optimiser classes as they were before they became wrappers (commit e1b1698), verbatim:
# every committed result was made by these.
class _OldMomentum:
    def __init__(self, lr=0.01, mu=0.9):
        self.lr, self.mu = lr, mu
        self.velocity = {}

    def step(self, params, grads):
        for k, p in params.items():
            v = self.velocity.setdefault(k, np.zeros_like(p))
            v *= self.mu
            v += grads[k]
            p -= self.lr * v


class _OldAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, params, grads):
        b1, b2 = self.betas
        self.t += 1
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for k, p in params.items():
            g = grads[k]
            m = self.m.setdefault(k, np.zeros_like(p))
            v = self.v.setdefault(k, np.zeros_like(p))
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


class _OldSGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def step(self, params, grads):
        for k, p in params.items():
            p -= self.lr * grads[k]


PAIRS = [
    (_OldSGD, optim.SGD, {"lr": 0.1}),
    (_OldMomentum, optim.Momentum, {"lr": 0.05, "mu": 0.9}),
    (_OldAdam, optim.Adam, {"lr": 3e-3}),
    (_OldAdam, optim.Adam, {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6}),
]


@pytest.mark.parametrize(("old", "new", "kw"), PAIRS, ids=["sgd", "momentum", "adam", "adam-b"])
@pytest.mark.parametrize(
    ("pdtype", "gdtype"),
    [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)],
    ids=["f64", "f32", "f32-params-f64-grads"],
)
def test_classes_are_bitwise_what_they_were(old, new, kw, pdtype, gdtype):
    rng = np.random.default_rng(0)
    p0 = {"W": rng.normal(size=(5, 3)).astype(pdtype), "b": rng.normal(size=5).astype(pdtype)}
    pa = {k: v.copy() for k, v in p0.items()}
    pb = {k: v.copy() for k, v in p0.items()}
    views = {k: v for k, v in pb.items()}
    oa, ob = old(**kw), new(**kw)
    for _ in range(30):
        g = {k: (rng.normal(size=v.shape) * 3).astype(gdtype) for k, v in p0.items()}
        oa.step(pa, g)
        ob.step(pb, g)
    for k in pa:
        assert pb[k].dtype == pa[k].dtype
        assert np.array_equal(pa[k], pb[k]), k
        assert pb[k] is views[k]  # still updated in place


def test_a_short_charlm_run_is_bitwise_what_it_was(monkeypatch):
    """train_charlm (lesson 09's shipped weights come from it) for 15 steps, old Adam vs new."""
    from rnncourse.charmodel import CharLMConfig, corpus
    from rnncourse.experiments.charlm import train_charlm

    vocab, train_ids, _ = corpus()
    config = CharLMConfig(cell="lstm", H=16, T=16, N=4, steps=15)
    new_params, new_hist = train_charlm(config, train_ids[:20000], len(vocab))
    monkeypatch.setattr(optim, "Adam", _OldAdam)
    old_params, old_hist = train_charlm(config, train_ids[:20000], len(vocab))
    assert new_hist == old_hist
    for k in old_params:
        assert np.array_equal(old_params[k], new_params[k]), k


def _torch_run(kind, params, grads_seq, **kw):
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(v.copy(), requires_grad=True) for v in params.values()]
    if kind == "adam":
        opt = torch.optim.Adam(
            tparams, lr=kw["lr"], betas=(kw["beta1"], kw["beta2"]), eps=kw["eps"]
        )
    else:
        opt = torch.optim.SGD(tparams, lr=kw["lr"], momentum=kw.get("mu", 0.0))
    for grads in grads_seq:
        for p, g in zip(tparams, grads.values(), strict=True):
            p.grad = torch.tensor(g)
        opt.step()
    return {k: p.detach().numpy() for k, p in zip(params, tparams, strict=True)}


def _problem(seed=3, steps=6):
    rng = np.random.default_rng(seed)
    params = {
        "W_xh": rng.normal(size=(4, 3)),
        "W_hh": rng.normal(size=(4, 4)),
        "b_h": rng.normal(size=4),
    }
    grads_seq = [
        {k: rng.normal(size=v.shape) * (10.0 ** (i % 3 - 1)) for k, v in params.items()}
        for i in range(steps)
    ]
    return params, grads_seq


def _frozen(d):
    return {k: v.copy() for k, v in d.items()}


def _assert_close(ours, theirs):
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-13, atol=1e-15)


def test_sgd_step_matches_torch_over_several_steps():
    params, grads_seq = _problem()
    p = params
    for g in grads_seq:
        before, gb = _frozen(p), _frozen(g)
        new = sgd_step(p, g, lr=0.1)
        for k in p:  # inputs untouched, new arrays
            assert np.array_equal(p[k], before[k]) and np.array_equal(g[k], gb[k])
            assert new[k] is not p[k]
        p = new
    _assert_close(p, _torch_run("sgd", params, grads_seq, lr=0.1))


@pytest.mark.parametrize("mu", [0.9, 0.5])
def test_momentum_step_matches_torch_over_several_steps(mu):
    params, grads_seq = _problem(4)
    p, vel = params, zeros_like(params)
    for g in grads_seq:
        before = _frozen(vel)
        p, new_vel = momentum_step(p, g, vel, lr=0.05, mu=mu)
        for k in vel:
            assert np.array_equal(vel[k], before[k])
        vel = new_vel
    _assert_close(p, _torch_run("sgd", params, grads_seq, lr=0.05, mu=mu))


@pytest.mark.parametrize(
    "kw",
    [
        {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        {"lr": 3e-2, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
    ],
)
def test_adam_step_matches_torch_over_several_steps(kw):
    params, grads_seq = _problem(5, steps=8)
    p, m, v = params, zeros_like(params), zeros_like(params)
    for t, g in enumerate(grads_seq, start=1):
        before = (_frozen(p), _frozen(m), _frozen(v))
        p2, m2, v2 = adam_step(p, g, m, v, t, **kw)
        for old, now in zip(before, (p, m, v), strict=True):
            for k in old:
                assert np.array_equal(old[k], now[k])
        p, m, v = p2, m2, v2
    _assert_close(p, _torch_run("adam", params, grads_seq, **kw))


def test_steps_keep_float32_and_refuse_mismatched_keys():
    p = {"w": np.ones(3, dtype=np.float32)}
    g = {"w": np.full(3, 0.5, dtype=np.float32)}
    assert sgd_step(p, g, 0.1)["w"].dtype == np.float32
    out = adam_step(p, g, zeros_like(p), zeros_like(p), 1, 1e-3)
    assert all(d["w"].dtype == np.float32 for d in out)
    with pytest.raises(KeyError, match="keyed alike"):
        sgd_step(p, {"v": g["w"]}, 0.1)
    with pytest.raises(ValueError, match="1 for the first"):
        adam_step(p, g, zeros_like(p), zeros_like(p), 0, 1e-3)
