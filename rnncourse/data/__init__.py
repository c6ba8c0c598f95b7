"""The data files shipped with the package (``README.md`` in this folder lists them), and, for
one release, the old home of the synthetic tasks.

The tasks moved to ``rnncourse.tasks``; ``from rnncourse.data import adding_problem`` (and
``copy_task``, ``noisy_sine``, ``one_hot``) keeps working so that lessons and learners' edited
copies run unchanged.
"""

from __future__ import annotations

from rnncourse.tasks import adding_problem, copy_task, noisy_sine, one_hot

__all__ = ["adding_problem", "copy_task", "noisy_sine", "one_hot"]
