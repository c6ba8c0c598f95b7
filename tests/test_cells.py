"""The cell registry (rnncourse.cells): every cell, the same contract."""

import numpy as np
import pytest

from rnncourse.cells import CELLS, cell_of, get_cell
from rnncourse.gradcheck import check_gradients

N, T, D, H = 3, 7, 2, 4
# (registry name, init options): every entry of the registry, the LSTM also with a projection
CASES = [(name, {}) for name in CELLS] + [("lstm", {"P": 3})]
IDS = [f"{n}{'-P' if kw else ''}" for n, kw in CASES]


def setup(name, kw, seed=0):
    rng = np.random.default_rng(seed)
    cell = CELLS[name]
    p = cell.init(D, H, rng, **kw)
    x = rng.normal(size=(N, T, D))
    state0 = tuple(rng.normal(scale=0.5, size=s.shape) for s in cell.zero_state(p, N))
    return cell, p, x, state0, rng


def test_every_cell_is_registered_under_its_name():
    assert sorted(CELLS) == ["gru", "gru-cho", "lstm", "rnn", "rnn-relu"]
    for name, cell in CELLS.items():
        assert cell.name == name and get_cell(name) is cell
    with pytest.raises(ValueError, match="unknown cell 'lstmm'"):
        get_cell("lstmm")


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_parameter_names_shapes_and_zero_state(name, kw):
    cell, p, _, _, _ = setup(name, kw)
    assert {k: v.shape for k, v in p.items()} == cell.param_shapes(D, H, **kw)
    assert list(p) == list(cell.param_shapes(D, H, **kw))  # in the order init draws them
    state = cell.zero_state(p, 5)
    assert len(state) == len(cell.state_names)
    assert state[0].shape == (5, cell.state_size(p)) and all(not s.any() for s in state)
    if len(state) == 2:
        assert state[1].shape == (5, H)
    assert cell.state_size(p) == kw.get("P", H)
    assert cell.zero_state(p, 2, np.float32)[0].dtype == np.float32
    assert cell_of(p).name == {"gru-cho": "gru", "rnn-relu": "rnn"}.get(name, name)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_carrying_the_state_in_chunks_equals_one_run(name, kw):
    """Forward over [0, 3) then [3, T) with the state carried equals one forward over [0, T);
    backward over the second chunk, its state gradient fed into the first, equals one backward."""
    cell, p, x, state0, rng = setup(name, kw)
    h, cache = cell.forward(p, x, state0)
    dh = rng.normal(size=h.shape)
    dx, dstate0, grads = cell.backward(p, x, state0, h, cache, dh)

    k = 3
    h1, cache1 = cell.forward(p, x[:, :k], state0)
    mid = cell.last_state(h1, cache1)
    h2, cache2 = cell.forward(p, x[:, k:], mid)
    np.testing.assert_allclose(np.concatenate([h1, h2], axis=1), h, rtol=1e-12, atol=1e-12)
    for s_whole, s1, s2 in zip(
        cell.states(h, cache), cell.states(h1, cache1), cell.states(h2, cache2), strict=True
    ):
        np.testing.assert_allclose(np.concatenate([s1, s2], axis=1), s_whole, atol=1e-12)

    dx2, dmid, g2 = cell.backward(p, x[:, k:], mid, h2, cache2, dh[:, k:])
    dx1, dstate0_1, g1 = cell.backward(p, x[:, :k], state0, h1, cache1, dh[:, :k], dstate=dmid)
    np.testing.assert_allclose(np.concatenate([dx1, dx2], axis=1), dx, atol=1e-10)
    for a, b in zip(dstate0_1, dstate0, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)
    assert sorted(grads) == sorted(p)
    for name_ in grads:
        np.testing.assert_allclose(g1[name_] + g2[name_], grads[name_], atol=1e-10)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_backward_matches_numerical_gradients(name, kw):
    """All parameters, the inputs and every component of the initial state; with a gradient
    on the last state too."""
    cell, p, x, state0, rng = setup(name, kw, seed=1)
    h, cache = cell.forward(p, x, state0)
    dh = rng.normal(size=h.shape)
    dlast = tuple(rng.normal(size=s.shape) for s in state0)
    names_s = [f"state_{n}" for n in cell.state_names]

    def loss(**a):
        q = {k: a[k] for k in p}
        s0 = tuple(a[n] for n in names_s)
        hh, cc = cell.forward(q, a["x"], s0)
        last = cell.last_state(hh, cc)
        extra = sum(np.sum(s * d) for s, d in zip(last, dlast, strict=True))
        return np.array(np.sum(hh * dh) + extra)

    def backward(dout, out):
        dx, ds0, g = cell.backward(p, x, state0, h, cache, dh, dstate=dlast)
        out = {**g, "x": dx, **dict(zip(names_s, ds0, strict=True))}
        return {k: float(dout) * v for k, v in out.items()}

    arrays = {**p, "x": x, **dict(zip(names_s, state0, strict=True))}
    report = check_gradients(loss, backward, arrays, rng=rng)
    assert report.max_rel_error < 1e-6, str(report)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_step_backward_walked_back_equals_the_sequence_backward(name, kw):
    cell, p, x, state0, rng = setup(name, kw, seed=2)
    h, cache = cell.forward(p, x, state0)
    dh = rng.normal(size=h.shape)
    dx, dstate0, grads = cell.backward(p, x, state0, h, cache, dh)
    traj = cell.states(h, cache)
    dstate = tuple(np.zeros_like(s) for s in state0)
    total = {k: np.zeros_like(v) for k, v in p.items()}
    for t in range(T - 1, -1, -1):
        prev = tuple(s[:, t - 1] for s in traj) if t > 0 else state0
        now = tuple(s[:, t] for s in traj)
        dstate = (dstate[0] + dh[:, t], *dstate[1:])
        dx_t, dstate, g = cell.step_backward(p, x[:, t], prev, now, dstate)
        np.testing.assert_allclose(dx_t, dx[:, t], atol=1e-10)
        for k in total:
            total[k] += g[k]
    for a, b in zip(dstate, dstate0, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)
    for k in total:
        np.testing.assert_allclose(total[k], grads[k], atol=1e-10)


def test_a_bare_h0_starts_the_other_components_at_zero():
    cell, p, x, state0, _ = setup("lstm", {})
    h_a, c_a = cell.forward(p, x, state0[0])
    h_b, c_b = cell.forward(p, x, (state0[0], np.zeros_like(state0[1])))
    np.testing.assert_array_equal(h_a, h_b)
    np.testing.assert_array_equal(c_a, c_b)
    with pytest.raises(ValueError, match="state is"):
        cell.forward(p, x, (state0[0],))


@pytest.mark.parametrize("name", list(CELLS))
def test_init_is_within_pytorchs_bounds(name):
    """Every weight uniform in [-k, k], k = 1/sqrt(H); a single bias (RNN b_h, LSTM b) is the
    sum of PyTorch's two biases, so within [-2k, 2k]."""
    H_ = 256
    k = 1.0 / np.sqrt(H_)
    cell = CELLS[name]
    p = cell.init(20, H_, np.random.default_rng(0))
    single = cell.torch.bias if cell.torch else None
    for n, v in p.items():
        bound = 2 * k if n == single else k
        assert np.abs(v).max() <= bound, n
        assert np.abs(v).max() > 0.9 * bound, n  # the whole range is used
        if n != single:  # uniform in [-k, k]: mean 0, variance k^2 / 3
            assert abs(v.mean()) < 0.1 * k and v.var() == pytest.approx(k * k / 3, rel=0.1)
    if single is not None:  # the sum of two uniforms: variance 2 k^2 / 3
        assert p[single].var() == pytest.approx(2 * k * k / 3, rel=0.35)
    q = cell.init(20, H_, np.random.default_rng(0), dtype=np.float32)
    assert all(v.dtype == np.float32 for v in q.values())


def test_forget_bias_is_an_explicit_lstm_option():
    p = CELLS["lstm"].init(3, 4, np.random.default_rng(0), forget_bias=1.0)
    assert p["b"][4:8].tolist() == [1.0] * 4
    assert "forget_bias" in CELLS["lstm"].init_options
    assert all("forget_bias" not in CELLS[n].init_options for n in ("rnn", "gru", "gru-cho"))
