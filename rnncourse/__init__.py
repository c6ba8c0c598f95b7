"""rnncourse: the helper package of a course on recurrent neural networks.

The maths modules import numpy only, so ``import rnncourse`` is fast; plotting
(``rnncourse.plots``, ``rnncourse.diagrams``) and widgets are imported on demand.
"""

from rnncourse.data import adding_problem, copy_task, noisy_sine, one_hot
from rnncourse.gradcheck import check_gradients, numerical_gradient, rel_error
from rnncourse.layers import init_output, output_backward, output_forward
from rnncourse.losses import log_softmax, mse_loss, softmax, softmax_cross_entropy
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
    "init_output",
    "init_rnn",
    "log_softmax",
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
    "softmax",
    "softmax_cross_entropy",
]
