"""The sequence functions' speed paths, at sizes large enough to take them.

The sequence functions compute tanh from exp when an array has more than 256 entries, and in
float32 sum narrow weight-gradient products 256 rows at a time when there are more than 512
rows. The small shapes of the other tests never reach those branches: here the same results
must come out of the teaching step functions (np.tanh, one product), and float32 must agree
with float64.
"""

import numpy as np
import pytest

from rnncourse.gradcheck import rel_error
from rnncourse.gru import gru_backward, gru_forward, gru_step_forward, init_gru
from rnncourse.lstm import init_lstm, lstm_backward, lstm_forward, lstm_step_forward
from rnncourse.rnn import init_rnn, rnn_backward, rnn_forward, rnn_step_forward

N, T, D, H = 24, 30, 3, 20  # N*H = 480 > 256; N*T = 720 > 512 rows, D < 256 (narrow)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, T, D)) * 2.0  # large inputs: saturated units as well
    return rng, x


def test_rnn_sequence_equals_steps_at_large_sizes(data):
    rng, x = data
    W_xh, W_hh, b_h = init_rnn(D, H, rng)
    h0 = rng.normal(size=(N, H)) * 0.5
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    h_prev = h0
    for t in range(T):
        h_prev = rnn_step_forward(x[:, t], h_prev, W_xh, W_hh, b_h)
        assert rel_error(h[:, t], h_prev) < 1e-13


def test_lstm_sequence_equals_steps_at_large_sizes(data):
    rng, x = data
    W_ih, W_hh, b = init_lstm(D, H, rng)
    h_prev, c_prev = np.zeros((N, H)), np.zeros((N, H))
    h, c = lstm_forward(x, h_prev, c_prev, W_ih, W_hh, b)
    for t in range(T):
        h_prev, c_prev = lstm_step_forward(x[:, t], h_prev, c_prev, W_ih, W_hh, b)
        assert rel_error(h[:, t], h_prev) < 1e-13
        assert rel_error(c[:, t], c_prev) < 1e-13


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_sequence_equals_steps_at_large_sizes(data, reset_after):
    rng, x = data
    W_ih, W_hh, b_ih, b_hh = init_gru(D, H, rng)
    h_prev = np.zeros((N, H))
    h = gru_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=reset_after)
    for t in range(T):
        h_prev = gru_step_forward(x[:, t], h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=reset_after)
        assert rel_error(h[:, t], h_prev) < 1e-13


def _f32(*arrays):
    return [a.astype(np.float32) for a in arrays]


def _agree(grads32, grads64):
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        assert rel_error(g32, g64) < 1e-4


def test_float32_backwards_agree_with_float64_at_large_sizes(data):
    rng, x = data
    h0 = np.zeros((N, H))
    dh = rng.normal(size=(N, T, H))

    W_xh, W_hh, b_h = init_rnn(D, H, rng)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    g64 = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    x32, h032, W_xh32, W_hh32, b32 = _f32(x, h0, W_xh, W_hh, b_h)
    h32 = rnn_forward(x32, h032, W_xh32, W_hh32, b32)
    _agree(rnn_backward(dh.astype(np.float32), x32, h032, h32, W_xh32, W_hh32), g64)

    W_ih, W_hh, b = init_lstm(D, H, rng)
    c0 = np.zeros((N, H))
    h, c = lstm_forward(x, h0, c0, W_ih, W_hh, b)
    g64 = lstm_backward(dh, x, h0, c0, h, c, W_ih, W_hh, b)
    a32 = _f32(x, h0, c0, W_ih, W_hh, b)
    h32, c32 = lstm_forward(*a32)
    x32, h032, c032, W_ih32, W_hh32, b32 = a32
    _agree(
        lstm_backward(dh.astype(np.float32), x32, h032, c032, h32, c32, W_ih32, W_hh32, b32),
        g64,
    )

    W_ih, W_hh, b_ih, b_hh = init_gru(D, H, rng)
    h = gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    g64 = gru_backward(dh, x, h0, h, W_ih, W_hh, b_ih, b_hh)
    a32 = _f32(x, h0, W_ih, W_hh, b_ih, b_hh)
    h32 = gru_forward(*a32)
    x32, h032, W_ih32, W_hh32, bi32, bh32 = a32
    _agree(gru_backward(dh.astype(np.float32), x32, h032, h32, W_ih32, W_hh32, bi32, bh32), g64)
