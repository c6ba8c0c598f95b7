"""rnncourse: the helper package of a course on recurrent neural networks.

The maths modules import numpy only, so ``import rnncourse`` is fast; plotting
(``rnncourse.plots``, ``rnncourse.diagrams``) and widgets are imported on demand.
"""

from rnncourse.data import adding_problem, copy_task, noisy_sine, one_hot
from rnncourse.gradcheck import check_gradients, numerical_gradient, rel_error
from rnncourse.gru import (
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    init_gru,
)
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import log_softmax, mse_loss, softmax, softmax_cross_entropy
from rnncourse.lstm import (
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    sigmoid,
)
from rnncourse.optim import SGD, Adam, Momentum, clip_grad_norm, global_norm
from rnncourse.rnn import init_rnn, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "Momentum",
    "adding_problem",
    "check_gradients",
    "clip_grad_norm",
    "copy_task",
    "global_norm",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "init_gru",
    "init_lstm",
    "init_output",
    "init_rnn",
    "log_softmax",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "mse_loss",
    "noisy_sine",
    "numerical_gradient",
    "one_hot",
    "output_backward",
    "output_forward",
    "rel_error",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
]
