"""How much memory training an experiment needs, estimated from the spec alone, and what the machine has.

No TensorFlow: the parameter count comes from :func:`~tuitrain.spec.checks.count_params`, the sizes of
the built-in data sets are constants, a user's npz file is measured from its array headers. The
estimate is deliberately simple and says what it counts:

* weights: every parameter as float32 (mixed precision keeps float32 variables too);
* gradients: one float32 per trainable parameter;
* optimizer state: per trainable parameter, as many float32 slots as the optimizer keeps (Adam two,
  three with AMSGrad; RMSprop one, more with momentum or centering; SGD one with momentum; ...);
* activations: per sample of a batch, every layer's output (input included) kept for the backward
  pass, its gradient and one temporary: three values each (two bytes each under mixed precision);
* data: the training and validation arrays as the loaders hold them (float32 features);
* the best model's writer: a snapshot of the weights and the model copy it saves from (in RAM);
* the framework itself (TensorFlow and Keras take about 0.7 GB of RAM on their own).

Where a GPU is known (``nvidia-smi``, looked up once per process) the model's part must fit its
memory and the data the host's RAM; otherwise everything must fit the host's RAM, the smaller of the
machine's memory and a container's limit (cgroup ``memory.max``). Above what is there, validation
refuses the experiment with one line naming the part that is too big and the fix; near it (over
:data:`WARN_FRACTION` of it, or over what is free right now), it warns.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tuitrain.spec.errors import SpecIssue
from tuitrain.spec.experiment import Experiment
from tuitrain.spec.info import DatasetShape
from tuitrain.spec.layers import DenseLayer
from tuitrain.spec.optimizer import SGD, Adagrad, Adam, Adamax, Nadam, RMSprop

FLOAT_BYTES = 4
FRAMEWORK_BYTES = 700 * 2**20
"""RAM TensorFlow and Keras take once imported, before any model or data (measured: ~0.67 GB)."""
ACTIVATION_COPIES = 3
"""Values kept per layer output and sample: the output, its gradient, one temporary."""
WARN_FRACTION = 0.8
"""Warn when the estimate passes this share of the memory there is."""

Part = Literal["model", "batch", "data"]


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes an experiment needs to train, by part (see the module docstring)."""

    params: int
    weights: int
    gradients: int
    optimizer: int
    activations: int
    data: int
    optimizer_name: str
    batch_size: int

    @property
    def model(self) -> int:
        """What the model itself needs: weights, gradients and optimizer state."""
        return self.weights + self.gradients + self.optimizer

    @property
    def device(self) -> int:
        """What lives on the training device (a GPU's memory, or RAM on a CPU): model and activations."""
        return self.model + self.activations

    @property
    def host(self) -> int:
        """What lives in RAM when a GPU trains: the data, the framework, and the best model's writer
        (a snapshot of the weights and the model copy it saves from)."""
        return self.data + FRAMEWORK_BYTES + 2 * self.weights

    def largest_part(self) -> Part:
        """Which of model, batch (activations) and data needs the most memory."""
        parts: dict[Part, int] = {"model": self.model, "batch": self.activations, "data": self.data}
        return max(parts, key=lambda k: parts[k])

    def describe(self, part: Part) -> str:
        """That part in words, e.g. "the model's 1,000,010 parameters need about 16.0 MB (weights ...)"."""
        if part == "model":
            state = f", {self.optimizer_name} state {size_text(self.optimizer)}" if self.optimizer else ""
            return (
                f"the model's {self.params:,} parameters need about {size_text(self.model)} "
                f"(weights {size_text(self.weights)}{state}, gradients {size_text(self.gradients)})"
            )
        if part == "batch":
            return f"the activations of a batch of {self.batch_size:,} need about {size_text(self.activations)}"
        return f"the data needs about {size_text(self.data)}"

    def fix(self, part: Part, room: int | None = None) -> tuple[str, str]:
        """(the field to change, how) for the part that does not fit; ``room``: bytes the activations may take."""
        if part == "model":
            return "model.layers", "use fewer or smaller layers (units)"
        if part == "batch":
            per_sample = max(1, self.activations // max(1, self.batch_size))
            fits = room // per_sample if room is not None and room > 0 else self.batch_size // 4
            smaller = 1 << max(0, int(max(1, min(fits, self.batch_size - 1))).bit_length() - 1)
            return "training.batch_size", f"use a smaller batch (training.batch_size = {smaller} fits)"
        return "dataset.train_subset", "train on a subset (dataset.train_subset) or a smaller data set"


def size_text(n: float) -> str:
    """Bytes for people: "512 B", "3.2 MB", "7.5 GB", "8.0 TB" (powers of 1000)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # not reached


def optimizer_slots(exp: Experiment) -> int:
    """Float32 values the optimizer keeps per trainable parameter."""
    opt = exp.optimizer
    if isinstance(opt, SGD):
        return 1 if opt.momentum > 0 else 0
    if isinstance(opt, RMSprop):
        return 1 + (1 if opt.momentum > 0 else 0) + (1 if opt.centered else 0)
    if isinstance(opt, Adam):  # AdamW too
        return 3 if opt.amsgrad else 2
    if isinstance(opt, Nadam | Adamax):
        return 2
    if isinstance(opt, Adagrad):
        return 1
    return 2  # an optimizer added later: assume Adam's two slots


def _widths(exp: Experiment, input_dim: int, output_units: int) -> list[int]:
    """The width of the input and of every layer's output, in order."""
    widths = [input_dim]
    width = input_dim
    for layer in exp.model.layers:
        if isinstance(layer, DenseLayer):
            width = layer.units
        widths.append(width)  # dropout, batch norm and activation layers keep the width
    widths.append(output_units)
    return widths


def _data_bytes(exp: Experiment, shape: DatasetShape) -> int:
    """Training plus validation features as float32 (sparse IMDB: its nonzeros), within the subsets asked for."""
    train = shape.train_size or 0
    test = shape.test_size or 0
    if exp.dataset.validation == "holdout":
        test = 0  # carved out of the training split
    if exp.dataset.train_subset:
        train = min(train, exp.dataset.train_subset)
    if exp.dataset.val_subset and test:
        test = min(test, exp.dataset.val_subset)
    if exp.dataset.name == "imdb":
        # Multi-hot CSR: ~240 distinct words per review, a float32 value and an int32 index each.
        return (train + test) * 240 * 8
    return (train + test) * shape.input_dim * FLOAT_BYTES


def estimate(exp: Experiment, shape: DatasetShape, params: int, trainable: int, output_units: int) -> MemoryEstimate:
    """The memory training ``exp`` needs (see the module docstring)."""
    value_bytes = 2 if exp.training.mixed_precision else FLOAT_BYTES
    per_sample = sum(_widths(exp, shape.input_dim, output_units)) * ACTIVATION_COPIES * value_bytes
    return MemoryEstimate(
        params=params,
        weights=params * FLOAT_BYTES,
        gradients=trainable * FLOAT_BYTES,
        optimizer=optimizer_slots(exp) * trainable * FLOAT_BYTES,
        activations=exp.training.batch_size * per_sample,
        data=_data_bytes(exp, shape),
        optimizer_name=exp.optimizer.name,
        batch_size=exp.training.batch_size,
    )


@dataclass(frozen=True)
class MachineMemory:
    """What the machine has: RAM (total and free now, in bytes) and the first GPU's memory when known."""

    host_total: int | None
    host_available: int | None = None
    gpu_total: int | None = None
    gpu_name: str | None = None


def _meminfo() -> dict[str, int]:
    """/proc/meminfo in bytes (Linux), empty elsewhere."""
    values: dict[str, int] = {}
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return values


def _cgroup_limit() -> int | None:
    """A container's memory limit (cgroup v2 ``memory.max`` or v1 ``memory.limit_in_bytes``), if set."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # v1 reports "no limit" as a huge number
            return int(text)
    return None


@functools.cache
def _gpu() -> tuple[int | None, str | None]:
    """(memory in bytes, name) of the first GPU CUDA makes visible, from ``nvidia-smi``; (None, None) if unknown."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return None, None
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None, None
    try:
        result = subprocess.run(
            [smi, "--query-gpu=index,memory.total,name", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    rows = [[c.strip() for c in line.split(",", 2)] for line in result.stdout.splitlines() if line.count(",") >= 2]
    first = visible.split(",")[0].strip() if visible else None
    for index, mib, name in rows:
        if (first is None or index == first) and mib.isdigit():
            return int(mib) * 2**20, name
    return None, None


def machine_memory() -> MachineMemory:
    """This machine's memory: RAM (capped by a container's limit), free RAM, and the GPU's when known."""
    info = _meminfo()
    total = info.get("MemTotal")
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = None
    limit = _cgroup_limit()
    if limit is not None:
        total = min(total, limit) if total is not None else limit
    available = info.get("MemAvailable")
    gpu_total, gpu_name = _gpu()
    return MachineMemory(total, available, gpu_total, gpu_name)


def memory_issues(est: MemoryEstimate, machine: MachineMemory) -> list[SpecIssue]:
    """An error if training cannot fit in ``machine``'s memory, a warning if it comes close; else nothing."""
    issues: list[SpecIssue] = []
    # (bytes needed, bytes there, bytes free now, where, the parts that live there)
    checks: list[tuple[int, int | None, int | None, str, list[Part]]] = []
    if machine.gpu_total is not None:
        gpu = f"the GPU's {size_text(machine.gpu_total)}"
        checks.append((est.device, machine.gpu_total, None, gpu, ["model", "batch"]))
        checks.append((est.host, machine.host_total, machine.host_available, "RAM", ["data"]))
    else:
        everything: list[Part] = ["model", "batch", "data"]
        checks.append((est.device + est.host, machine.host_total, machine.host_available, "RAM", everything))
    sizes = {"model": est.model, "batch": est.activations, "data": est.data}
    for need, have, free, where, parts in checks:
        if have is None:
            continue
        part = max(parts, key=lambda p: sizes[p])
        field, fix = est.fix(part, room=int(WARN_FRACTION * have) - (need - est.activations))
        there = f"the {size_text(have)} of RAM this machine has" if where == "RAM" else where
        if need > have:
            issues.append(
                SpecIssue(
                    field, f"training needs about {size_text(need)}, more than {there}: {est.describe(part)}; {fix}"
                )
            )
        elif need > WARN_FRACTION * have or (free is not None and need > free):
            close = f"the {size_text(free)} of RAM free now" if free is not None and need > free else there
            issues.append(
                SpecIssue(
                    field,
                    f"training needs about {size_text(need)}, close to {close} (it may fail or swap): "
                    f"{est.describe(part)}; {fix}",
                    "warning",
                )
            )
    return issues


def out_of_memory_advice(exp: Experiment, *, on_gpu: bool, base_dir: Path | None = None) -> str:
    """What most likely ran out of memory and the fix, e.g. "the activations of a batch of 4,096 need about
    9.1 GB; use a smaller batch (training.batch_size = 1024 fits)" (for the trainer's one-line error)."""
    from tuitrain.spec.checks import check_experiment

    check = check_experiment(exp, base_dir)
    if check.shape is None or check.params is None or check.output is None:
        return f"use a smaller batch (training.batch_size = {max(1, exp.training.batch_size // 2)}) or a smaller model"
    est = estimate(exp, check.shape, check.params.total, check.params.trainable, check.output.units)
    parts: list[Part] = ["model", "batch"] if on_gpu else ["model", "batch", "data"]
    sizes = {"model": est.model, "batch": est.activations, "data": est.data}
    part = max(parts, key=lambda p: sizes[p])
    machine = machine_memory()
    have = machine.gpu_total if on_gpu else machine.host_total
    room = (
        None
        if have is None
        else int(WARN_FRACTION * have) - (est.device + (0 if on_gpu else est.host) - est.activations)
    )
    _, fix = est.fix(part, room=room)
    return f"{est.describe(part)}; {fix}"
