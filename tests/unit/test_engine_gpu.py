"""The trainer's GPU reading, with NVML faked at its boundary (the pynvml module): no GPU needed."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from tuitrain.engine.gpu import gpu_reader
from tuitrain.runs import EpochEnded, parse_event
from tuitrain.runs.events import GpuUsage, dump_event


class FakeNvmlError(Exception):
    pass


def fake_nvml(fail_init: bool = False, fail_read: bool = False) -> types.ModuleType:
    nvml = types.ModuleType("pynvml")
    nvml.NVMLError = FakeNvmlError  # type: ignore[attr-defined]
    seen: list[object] = []

    def init() -> None:
        if fail_init:
            raise FakeNvmlError("Driver Not Loaded")

    def by_index(index: int) -> str:
        seen.append(index)
        return f"gpu{index}"

    def memory(handle: str) -> types.SimpleNamespace:
        if fail_read:
            raise FakeNvmlError("GPU is lost")
        return types.SimpleNamespace(used=3 * 2**30, total=16 * 2**30, free=13 * 2**30)

    nvml.nvmlInit = init  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetHandleByIndex = by_index  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetHandleByUUID = lambda uuid: seen.append(uuid) or uuid  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetMemoryInfo = memory  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetUtilizationRates = lambda handle: types.SimpleNamespace(gpu=87, memory=40)  # type: ignore[attr-defined]
    nvml.seen = seen  # type: ignore[attr-defined]
    return nvml


def test_no_nvml_no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails
    assert gpu_reader() is None


def test_reads_the_first_visible_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = fake_nvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    read = gpu_reader()
    assert read is not None and nvml.seen == [2]  # type: ignore[attr-defined]
    assert read() == GpuUsage(memory_used=3 * 2**30, memory_total=16 * 2**30, utilization=87.0)


def test_a_driver_problem_is_no_reading_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(fail_init=True))
    assert gpu_reader() is None
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(fail_read=True))
    read = gpu_reader()
    assert read is not None and read() is None


def test_the_reading_travels_in_the_epoch_event_and_old_events_still_read(tmp_path: Path) -> None:
    usage = GpuUsage(memory_used=1, memory_total=2, utilization=50.0)
    event = EpochEnded(epoch=1, logs={"loss": 1.0}, epoch_seconds=1.0, gpu=usage)
    assert parse_event(dump_event(event)).gpu == usage  # type: ignore[union-attr]
    old = b'{"type":"epoch_end","time":1.0,"epoch":1,"logs":{"loss":1.0},"epoch_seconds":1.0}'
    assert parse_event(old).gpu is None  # type: ignore[union-attr]
