"""rnncourse.grading.kernel: a kernel that dies while starting is started again, then reported."""

from __future__ import annotations

import jupyter_client.manager
import pytest

from rnncourse.grading import kernel as grading_kernel
from rnncourse.grading.batch import Limits


class FakeClient:
    def __init__(self, manager):
        self.manager = manager

    def start_channels(self):
        pass

    def stop_channels(self):
        self.manager.log.append("stop_channels")

    def wait_for_ready(self, timeout):
        if self.manager.dies:
            raise RuntimeError("Kernel died before replying to kernel_info")


def fake_manager(log: list, deaths: int):
    """A KernelManager class whose first ``deaths`` kernels die at start."""

    class FakeManager:
        started = 0

        def __init__(self, **kwargs):
            self.log = log
            self.has_kernel = False
            self.dies = FakeManager.started < deaths
            self.connection_file = kwargs["connection_file"]
            assert kwargs["transport"] == "ipc"  # the sandbox has no network: Unix sockets

        def write_connection_file(self):
            with open(self.connection_file, "w") as f:
                f.write("{}")

        def start_kernel(self, **kwargs):
            FakeManager.started += 1
            self.has_kernel = True
            self.log.append("start")

        def client(self):
            return FakeClient(self)

        def shutdown_kernel(self, now):
            self.has_kernel = False
            self.log.append("shutdown")

    return FakeManager


def test_a_kernel_that_dies_at_start_is_retried(monkeypatch, tmp_path):
    log: list[str] = []
    monkeypatch.setattr(jupyter_client.manager, "KernelManager", fake_manager(log, deaths=2))
    k = grading_kernel.Kernel(tmp_path, Limits())
    assert log == ["start", "stop_channels", "shutdown"] * 2 + ["start"]
    assert not k.km.dies


def test_a_kernel_that_never_starts_is_reported(monkeypatch, tmp_path):
    log: list[str] = []
    monkeypatch.setattr(jupyter_client.manager, "KernelManager", fake_manager(log, deaths=99))
    with pytest.raises(RuntimeError, match="Kernel died"):
        grading_kernel.Kernel(tmp_path, Limits())
    assert log.count("start") == grading_kernel.START_ATTEMPTS
    assert log.count("shutdown") == grading_kernel.START_ATTEMPTS  # nothing left running
