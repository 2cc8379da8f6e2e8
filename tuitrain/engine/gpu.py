"""GPU memory and utilisation for the run's events, read through NVML when ``nvidia-ml-py`` is installed.

Optional and cheap: without the library, without an NVIDIA driver, or on a CPU run there is no reader
and the events carry no GPU figures. No TensorFlow here: NVML asks the driver directly (a few
microseconds a call), so the trainer can sample with every epoch and batch-progress event.

NVML numbers GPUs in PCI order and ignores ``CUDA_VISIBLE_DEVICES``; TensorFlow trains on the first
visible GPU, so the reader takes the first index that variable names (GPU 0 without it). A UUID there
is looked up by UUID.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from tuitrain.runs.events import GpuUsage

GpuReader = Callable[[], GpuUsage | None]
"""Reads the training GPU's memory and utilisation now; None when the reading failed."""


def _nvml() -> Any | None:
    try:
        return importlib.import_module("pynvml")
    except ImportError:
        return None


def _training_gpu(nvml: Any) -> Any:
    """The NVML handle of the GPU TensorFlow trains on (the first of ``CUDA_VISIBLE_DEVICES``, else 0)."""
    first = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip() or "0"
    if first.isdigit():
        return nvml.nvmlDeviceGetHandleByIndex(int(first))
    return nvml.nvmlDeviceGetHandleByUUID(first)


def gpu_reader() -> GpuReader | None:
    """A reader of the training GPU, or None when NVML is not installed or finds no such GPU."""
    nvml = _nvml()
    if nvml is None:
        return None
    error = getattr(nvml, "NVMLError", OSError)
    try:
        nvml.nvmlInit()
        handle = _training_gpu(nvml)
    except (error, OSError, ValueError):
        return None

    def read() -> GpuUsage | None:
        try:
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            rates = nvml.nvmlDeviceGetUtilizationRates(handle)
        except (error, OSError):
            return None  # a driver hiccup costs one sample, never the run
        return GpuUsage(memory_used=int(memory.used), memory_total=int(memory.total), utilization=float(rates.gpu))

    return read
