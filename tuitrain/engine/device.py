"""Which device trains: GPUs with memory growth when TensorFlow sees one, the CPU otherwise."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf


@dataclass(frozen=True)
class DeviceInfo:
    """What the run trains on, in words for the run_started event and the dashboard."""

    kind: str
    """"gpu" or "cpu"."""
    name: str
    """E.g. "NVIDIA H100 80GB HBM3" or "CPU: AMD EPYC 7B13 (2 cores)"."""
    mixed_precision: bool
    """True when layers compute in float16 (mixed_float16); only ever on a GPU."""
    note: str
    """A plain sentence about the choice, e.g. why mixed precision is off."""


def cpu_name() -> str:
    """The processor's model name and core count, e.g. "AMD EPYC 7B13 (2 cores)"."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    model = model or platform.processor() or platform.machine() or "unknown processor"
    return f"{model} ({os.cpu_count() or 1} cores)"


def setup_device(mixed_precision: bool) -> DeviceInfo:
    """Configure TensorFlow's devices before any tensor is made, and describe the choice.

    Memory growth is switched on for every GPU so TensorFlow takes GPU memory as it needs it instead of
    all of it at once (a second run or another user's job on the same GPU keeps working). Mixed
    precision (float16 compute, float32 weights) is only set on a GPU: on a CPU it is slower, not faster.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        note = "No GPU visible to TensorFlow: training on the CPU."
        if mixed_precision:
            note += " Mixed precision is for GPUs, so this run computes in float32."
        keras.mixed_precision.set_global_policy("float32")
        return DeviceInfo("cpu", f"CPU: {cpu_name()}", False, note)
    for gpu in gpus:
        # Setting it raises once the GPU is initialised: a warm worker's second trial finds it already on.
        if not tf.config.experimental.get_memory_growth(gpu):
            tf.config.experimental.set_memory_growth(gpu, True)
    details = tf.config.experimental.get_device_details(gpus[0])
    name = str(details.get("device_name") or gpus[0].name)
    if len(gpus) > 1:
        name += f" (+{len(gpus) - 1} more GPU{'s' if len(gpus) > 2 else ''}, not used)"
    if mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
        note = "Training on the GPU with mixed precision (float16 compute, float32 weights)."
    else:
        keras.mixed_precision.set_global_policy("float32")
        note = "Training on the GPU in float32."
    return DeviceInfo("gpu", f"GPU: {name}", mixed_precision, note)
