"""Loading torch.nn.RNN/LSTM/GRU parameters into the package and back."""

import subprocess
import sys

import numpy as np
import pytest

from rnncourse.gradcheck import rel_error
from rnncourse.gru import gru_forward, init_gru
from rnncourse.lstm import init_lstm, lstm_forward
from rnncourse.rnn import init_rnn, rnn_forward
from rnncourse.torch_interop import from_torch, to_state_dict, to_torch

N, T, D, H, P = 3, 6, 4, 5, 2


def run_package(cell, p, x, h0, c0=None):
    """The package's forward: all hidden states, and the last cell state for an LSTM."""
    if cell == "rnn":
        return rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"]), None
    if cell == "gru":
        return gru_forward(x, h0, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"]), None
    h, c = lstm_forward(x, h0, c0, p["W_ih"], p["W_hh"], p["b"], p.get("W_hr"))
    return h, c[:, -1]


def run_torch(torch, module, x, h0, c0=None):
    """The torch module's forward on numpy inputs: (all hidden states, last cell state)."""
    h0t = torch.tensor(h0[None])
    with torch.no_grad():
        if c0 is None:
            out, _ = module(torch.tensor(x), h0t)
            return out.numpy(), None
        out, (_, c_n) = module(torch.tensor(x), (h0t, torch.tensor(c0[None])))
        return out.numpy(), c_n[0].numpy()


def make_torch(torch, cell, proj=False, **kw):
    torch.manual_seed(0)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    if proj:
        kw["proj_size"] = P
    return cls(D, H, batch_first=True, dtype=torch.float64, **kw)


CASES = [("rnn", False), ("lstm", False), ("lstm", True), ("gru", False)]


def inputs(cell, proj):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, T, D))
    h0 = 0.5 * rng.normal(size=(N, P if proj else H))
    c0 = rng.normal(size=(N, H)) if cell == "lstm" else None
    return x, h0, c0


@pytest.mark.torch
@pytest.mark.parametrize("cell,proj", CASES)
def test_from_torch_computes_what_torch_computes(torch, cell, proj):
    module = make_torch(torch, cell, proj)
    x, h0, c0 = inputs(cell, proj)
    for source, kind in [(module, None), (module.state_dict(), cell)]:
        p = from_torch(source, kind)
        h, c_last = run_package(cell, p, x, h0, c0)
        out, c_n = run_torch(torch, module, x, h0, c0)
        assert rel_error(h, out) < 1e-10
        if c0 is not None:
            assert rel_error(c_last, c_n) < 1e-10
        assert all(v.dtype == np.float64 for v in p.values())
        assert ("W_hr" in p) == proj


@pytest.mark.torch
@pytest.mark.parametrize("cell,proj", CASES)
def test_package_to_torch_and_back(torch, cell, proj):
    rng = np.random.default_rng(2)
    if cell == "rnn":
        p = dict(zip(["W_xh", "W_hh", "b_h"], init_rnn(D, H, rng), strict=True))
    elif cell == "gru":
        p = dict(zip(["W_ih", "W_hh", "b_ih", "b_hh"], init_gru(D, H, rng), strict=True))
    else:
        names = ["W_ih", "W_hh", "b", "W_hr"]
        p = dict(zip(names, init_lstm(D, H, rng, P=P if proj else None), strict=False))
    x, h0, c0 = inputs(cell, proj)

    module = to_torch(p, batch_first=True)
    assert type(module).__name__ == cell.upper()
    out, c_n = run_torch(torch, module, x, h0, c0)
    h, c_last = run_package(cell, p, x, h0, c0)
    assert rel_error(h, out) < 1e-10
    if c0 is not None:
        assert rel_error(c_last, c_n) < 1e-10

    # into an existing module, then back: the very same arrays
    other = make_torch(torch, cell, proj)
    other.load_state_dict(to_state_dict(p, cell, as_tensors=True))
    back = from_torch(other)
    assert sorted(back) == sorted(p)
    for k in p:
        np.testing.assert_array_equal(back[k], p[k], err_msg=k)
    if cell in ("rnn", "lstm"):  # one bias goes out as bias_ih = b, bias_hh = 0
        np.testing.assert_array_equal(other.bias_hh_l0.detach().numpy(), 0.0)


@pytest.mark.torch
def test_float32_module_and_dtype_option(torch):
    module = torch.nn.GRU(D, H)  # float32, time-major: parameters are the same either way
    p32 = from_torch(module)
    p64 = from_torch(module, dtype=np.float64)
    assert all(v.dtype == np.float32 for v in p32.values())
    assert all(v.dtype == np.float64 for v in p64.values())
    np.testing.assert_array_equal(p64["W_hh"], p32["W_hh"].astype(np.float64))


@pytest.mark.torch
def test_module_without_bias_loads_as_zero_biases(torch):
    module = torch.nn.LSTM(D, H, bias=False, batch_first=True, dtype=torch.float64)
    p = from_torch(module)
    np.testing.assert_array_equal(p["b"], np.zeros(4 * H))
    x, h0, c0 = inputs("lstm", False)
    assert (
        rel_error(run_package("lstm", p, x, h0, c0)[0], run_torch(torch, module, x, h0, c0)[0])
        < 1e-10
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    "make,match",
    [
        (lambda t: t.nn.LSTMCell(D, H), "Cell classes are not supported"),
        (lambda t: t.nn.Linear(D, H), r"expected a torch\.nn\.RNN, LSTM or GRU"),
    ],
)
def test_unsupported_modules_raise_clear_errors(torch, make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        from_torch(make(torch))


@pytest.mark.torch
def test_state_dicts_that_do_not_fit_raise_clear_errors(torch):
    sd = torch.nn.LSTM(D, H, num_layers=2).state_dict()  # several layers: see test_deep.py
    with pytest.raises(ValueError, match=r"numbered 0\.\.L-1, found \[1\]"):
        from_torch({k: v for k, v in sd.items() if k.endswith("_l1")}, "lstm")
    sd = torch.nn.GRU(D, H, num_layers=2, bidirectional=True).state_dict()
    with pytest.raises(ValueError, match="'_reverse' direction and others do not"):
        from_torch({k: v for k, v in sd.items() if not k.endswith("_l1_reverse")}, "gru")
    with pytest.raises(ValueError, match=r"key 'weight_xx_l1'"):
        from_torch({**sd, "weight_xx_l1": sd["weight_ih_l1"]}, "gru")
    with pytest.raises(ValueError, match=r"module is a torch\.nn\.GRU"):
        from_torch(torch.nn.GRU(D, H), "lstm")


def sd_numpy(rows, cols_in, cols_h):
    rng = np.random.default_rng(0)
    return {
        "weight_ih_l0": rng.normal(size=(rows, cols_in)),
        "weight_hh_l0": rng.normal(size=(rows, cols_h)),
        "bias_ih_l0": rng.normal(size=rows),
        "bias_hh_l0": rng.normal(size=rows),
    }


def test_numpy_state_dicts_round_trip_without_torch():
    sd = sd_numpy(3 * H, D, H)
    p = from_torch(sd, "gru")
    back = to_state_dict(p)
    for k in sd:
        np.testing.assert_array_equal(back[k], sd[k])
    p["W_ih"][0, 0] = 99.0  # fresh arrays: the state dict is not touched
    assert sd["weight_ih_l0"][0, 0] != 99.0

    sd = sd_numpy(4 * H, D, H)
    p = from_torch(sd, "lstm")
    np.testing.assert_array_equal(p["b"], sd["bias_ih_l0"] + sd["bias_hh_l0"])
    back = to_state_dict(p)
    np.testing.assert_array_equal(back["bias_ih_l0"], p["b"])
    np.testing.assert_array_equal(back["bias_hh_l0"], 0.0)


def test_numpy_state_dict_errors():
    with pytest.raises(ValueError, match="pass cell="):
        from_torch(sd_numpy(H, D, H))
    with pytest.raises(ValueError, match="not a multiple of 4"):
        from_torch(sd_numpy(3 * 2, D, 2), "lstm")
    with pytest.raises(ValueError, match="is the cell kind right"):
        from_torch(sd_numpy(4 * 3, D, 3), "gru")  # 12 rows: H=4 for a GRU, but W_hh is 12x3
    with pytest.raises(ValueError, match="cell must be one of"):
        from_torch(sd_numpy(H, D, H), "transformer")
    with pytest.raises(ValueError, match=r"not a torch\.nn\.RNN/LSTM/GRU state dict"):
        from_torch({**sd_numpy(H, D, H), "weight_xx_l0": np.ones(1)}, "rnn")
    with pytest.raises(KeyError, match="needs"):
        to_state_dict({"W_ih": np.ones((4, 1)), "W_hh": np.ones((4, 1))}, "lstm")


def test_importing_the_module_does_not_import_torch():
    code = "import sys, rnncourse.torch_interop; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
