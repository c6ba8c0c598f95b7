"""rnncourse: the helper package of a course on recurrent neural networks.

``import rnncourse`` is nearly free: the names below are loaded on first use (``rnncourse.rnn_forward``
or ``from rnncourse import rnn_forward`` imports ``rnncourse.rnn``, and with it numpy). The maths
modules import numpy only; plotting (``rnncourse.plots``, ``rnncourse.diagrams``), widgets and
grading are imported on demand, so the command line (``rnncourse grade --help``) starts quickly.
"""

from __future__ import annotations

import importlib
import importlib.util

__version__ = "0.2.0"

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(["adding_problem", "copy_task", "noisy_sine", "one_hot"], "rnncourse.tasks"),
    **dict.fromkeys(["check_gradients", "numerical_gradient", "rel_error"], "rnncourse.gradcheck"),
    **dict.fromkeys(
        ["gru_backward", "gru_forward", "gru_step_backward", "gru_step_forward", "init_gru"],
        "rnncourse.gru",
    ),
    **dict.fromkeys(["init_output", "output_backward", "output_forward"], "rnncourse.layers"),
    **dict.fromkeys(
        ["log_softmax", "mse_loss", "softmax", "softmax_cross_entropy"], "rnncourse.losses"
    ),
    **dict.fromkeys(
        [
            "init_lstm",
            "lstm_backward",
            "lstm_forward",
            "lstm_step_backward",
            "lstm_step_forward",
            "sigmoid",
        ],
        "rnncourse.lstm",
    ),
    **dict.fromkeys(
        ["SGD", "Adam", "Momentum", "clip_grad_norm", "global_norm"], "rnncourse.optim"
    ),
    **dict.fromkeys(
        ["init_rnn", "rnn_backward", "rnn_forward", "rnn_step_backward", "rnn_step_forward"],
        "rnncourse.rnn",
    ),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # the next lookup is an ordinary attribute
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"rnncourse.{name}") is not None:
        return importlib.import_module(f"rnncourse.{name}")  # a submodule: rnncourse.lstm
    raise AttributeError(f"module 'rnncourse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
