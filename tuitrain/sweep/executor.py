"""Where and how trials train: slots on this machine, and the executors that start trainers in them.

A **slot** is one place a trial can train: a GPU (``CUDA_VISIBLE_DEVICES``), or a share of the CPU
(TensorFlow's thread pools sized by ``TUITRAIN_INTRA_OP_THREADS`` / ``TUITRAIN_INTER_OP_THREADS``).
``parallel = "auto"`` plans one slot per GPU (``trials_per_gpu`` per GPU to pack small models; memory
growth is on, so they share the card), or on a machine without GPUs as many slots as the cores and
memory allow, each with its share of the cores.

An **executor** starts a prepared trial run directory (:func:`tuitrain.launcher.prepare_run`) in a
slot and stops it through the trainer's normal stop path. The controller talks to trials only
through their run directories (events, status), so an executor needs just this:

* :meth:`Executor.plan` ``(parallel, trials_per_gpu, trials)``: the slots it offers (asked once, first);
* :meth:`Executor.launch` ``(run_dir, slot)``: start training it; return at once;
* :meth:`Executor.stop` ``(run_dir)``: ask it to stop after its current batch, keeping what it trained;
* :meth:`Executor.alive` ``(run_dir)``: whether something still trains it (None: cannot tell yet);
* :meth:`Executor.release` ``(slot)``: the slot's trial has ended (the controller saw its final event);
* :meth:`Executor.close`: no more trials (workers end after their current one).

:class:`LocalExecutor` starts trainer processes on this machine, a fresh one per trial or one warm
worker per slot kept across trials (:mod:`tuitrain.engine.worker`).
:class:`tuitrain.sweep.ray_executor.RayExecutor` (``[execution] backend = "ray"``, the optional Ray extra)
runs each slot as a Ray actor that does the same on a node of a cluster, the run directories on a
folder every node shares; its slots are planned from the cluster's resources by :func:`plan_cluster_slots`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tuitrain import launcher, runs
from tuitrain.fsutil import os_error_text
from tuitrain.launcher import LaunchError

MEMORY_PER_CPU_TRIAL = 1.2e9
"""Bytes a CPU trial is planned with (TensorFlow alone takes ~0.7 GB; data and model come on top)."""
RAY_MISSING = "the Ray backend needs Ray, which is not installed here: pip install 'tuitrain[ray]'"


@dataclass(frozen=True)
class Slot:
    """One place a trial trains: a name for tables (``cpu0``, ``gpu1``, ``gpu1.2``) and the trainer's env."""

    name: str
    env: dict[str, str] = field(default_factory=dict)


def visible_gpus() -> list[str]:
    """The GPUs trials may use, as ``CUDA_VISIBLE_DEVICES`` entries; found without importing TensorFlow.

    ``CUDA_VISIBLE_DEVICES`` when set (empty or -1: none); else the GPUs ``nvidia-smi -L`` lists.
    """
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = [part.strip() for part in env.split(",") if part.strip()]
        return [] if not ids or ids[0].startswith("-1") else ids
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(line for line in out.splitlines() if line.startswith("GPU "))]


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def available_memory() -> float | None:
    """Bytes of memory available now (Linux /proc/meminfo), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def plan_slots(
    parallel: int | str,
    trials_per_gpu: int,
    trials: int,
    *,
    gpus: list[str] | None = None,
    cores: int | None = None,
    memory: float | None = None,
) -> list[Slot]:
    """The slots trials train in side by side (never more than ``trials``).

    GPUs: ``parallel = "auto"`` is ``trials_per_gpu`` slots per GPU; a number N is N slots spread over
    the GPUs in turn. CPU only: "auto" is as many slots as cores (fewer if memory is short), N is N;
    with more than one, each slot's TensorFlow gets ``cores // slots`` threads (at least 1) for its ops
    and 1 to run them side by side (inter-op), so the trials don't oversubscribe the cores.
    """
    gpus = visible_gpus() if gpus is None else gpus
    if gpus:
        count = len(gpus) * trials_per_gpu if parallel == "auto" else int(parallel)
        count = max(1, min(count, trials))
        slots = []
        for i in range(count):
            gpu = gpus[i % len(gpus)]
            k = i // len(gpus)
            slots.append(Slot(f"gpu{gpu}" + (f".{k}" if count > len(gpus) else ""), {"CUDA_VISIBLE_DEVICES": gpu}))
        return slots
    cores = usable_cores() if cores is None else cores
    if parallel == "auto":
        memory = available_memory() if memory is None else memory
        by_memory = int(memory // MEMORY_PER_CPU_TRIAL) if memory is not None else cores
        count = max(1, min(cores, by_memory))
    else:
        count = int(parallel)
    count = max(1, min(count, trials))
    if count == 1:
        return [Slot("cpu0")]  # the whole machine, as 'tuitrain run' has it
    threads = max(1, cores // count)
    return [Slot(f"cpu{i}", thread_env(threads)) for i in range(count)]


def thread_env(threads: int) -> dict[str, str]:
    """A CPU trial's TensorFlow thread pools: ``threads`` for its ops, 1 to run them side by side."""
    return {"TUITRAIN_INTRA_OP_THREADS": str(threads), "TUITRAIN_INTER_OP_THREADS": "1"}


@dataclass(frozen=True)
class ClusterPlan:
    """Slots on a cluster, and what each trial reserves there (the same for every slot)."""

    slots: list[Slot]
    cpus: float
    """CPUs per trial."""
    gpus: float
    """GPUs per trial: 0 for CPU trials, 1 / trials_per_gpu to pack small models onto a card."""


def plan_cluster_slots(
    nodes: Sequence[Mapping[str, float]],
    parallel: int | str,
    trials_per_gpu: int,
    cpus_per_trial: int,
    trials: int,
) -> ClusterPlan:
    """The slots of a sweep on a cluster whose live nodes offer ``nodes`` (each: resource name -> amount).

    With GPUs anywhere, every trial takes ``1 / trials_per_gpu`` of a GPU and ``cpus_per_trial`` CPUs;
    "auto" is as many as the nodes hold both for. Without, a trial takes ``cpus_per_trial`` CPUs and
    its TensorFlow thread pools are sized to them; "auto" is as many as fit the nodes' CPUs. A number
    N is N slots (trials beyond what the nodes hold wait for Ray to place them: an autoscaler's nodes).
    Raises ExecutorError when "auto" finds no node that could hold even one trial.
    """
    use_gpus = any(node.get("GPU", 0) >= 1 for node in nodes)
    gpus = 1 / trials_per_gpu if use_gpus else 0.0
    if parallel == "auto":
        count = 0
        for node in nodes:
            fits = int(node.get("CPU", 0) // cpus_per_trial)
            if use_gpus:
                fits = min(fits, int(node.get("GPU", 0)) * trials_per_gpu)
            count += fits
        if count == 0:
            need = f"{cpus_per_trial} CPU(s)" + (" and a GPU" if use_gpus else "")
            raise ExecutorError(
                f"no node of the Ray cluster has {need} for a trial: lower [execution] cpus_per_trial, or give "
                "parallel = N to wait for nodes an autoscaler adds"
            )
    else:
        count = int(parallel)
    count = max(1, min(count, trials))
    kind, env = ("gpu", {}) if use_gpus else ("cpu", thread_env(cpus_per_trial))
    return ClusterPlan([Slot(f"ray-{kind}{i}", dict(env)) for i in range(count)], float(cpus_per_trial), gpus)


def ray_installed() -> bool:
    """Whether Ray can be imported here (found without importing it)."""
    return importlib.util.find_spec("ray") is not None


class ExecutorError(RuntimeError):
    """Trials cannot be run where the sweep asks (one line: what is wrong and how to fix it); the sweep fails."""


class Executor(Protocol):
    """What the controller needs from whatever runs its trials (see the module docstring)."""

    def plan(self, parallel: int | str, trials_per_gpu: int, trials: int) -> list[Slot]:
        """The slots trials train in side by side (never more than ``trials``)."""
        ...

    def launch(self, run_dir: Path, slot: Slot) -> None:
        """Start training the prepared run directory ``run_dir`` in ``slot``; return at once."""
        ...

    def stop(self, run_dir: Path) -> bool:
        """Ask the trial's trainer to stop after its current batch; False if nothing trains it."""
        ...

    def alive(self, run_dir: Path) -> bool | None:
        """Whether a trainer still works on ``run_dir`` (None: cannot tell yet)."""
        ...

    def release(self, slot: Slot) -> None:
        """The trial in ``slot`` has ended."""
        ...

    def close(self) -> None:
        """No more trials will be launched."""
        ...


@dataclass
class LocalExecutor:
    """Trainer processes on this machine: a fresh one per trial, or one warm worker per slot.

    Every trainer is in its own session (a hang-up or the controller's death does not reach it). Warm
    workers read their next run directory from a pipe; when the controller dies the pipe closes and
    each worker ends after its trial. ``die_with_parent`` ties every trainer to this process instead
    (:func:`tuitrain.launcher.spawn_detached`): what a Ray actor running trials on a node wants.
    """

    trials_dir: Path
    data_dir: Path | None = None
    offline: bool = False
    warm: bool = True
    workers_log_dir: Path | None = None
    die_with_parent: bool = False
    _children: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)
    _workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    def plan(self, parallel: int | str, trials_per_gpu: int, trials: int) -> list[Slot]:
        """This machine's slots, by :func:`plan_slots`."""
        return plan_slots(parallel, trials_per_gpu, trials)

    def launch(self, run_dir: Path, slot: Slot) -> None:
        """Start the trial in ``slot`` (a fresh trainer, or the slot's warm worker)."""
        self._reap()
        if not self.warm:
            try:
                handle = launcher.spawn_trainer(
                    run_dir, self.data_dir, offline=self.offline, env=slot.env, die_with_parent=self.die_with_parent
                )
            except OSError as exc:
                raise LaunchError(f"could not start a trainer: {os_error_text(exc)}") from exc
            if handle.process is not None:
                self._children.append(handle.process)
            return
        for attempt in (1, 2):
            worker = self._worker(slot)
            launcher.record_trainer(run_dir, worker.pid)
            try:
                assert worker.stdin is not None
                worker.stdin.write(f"{Path(run_dir).resolve()}\n".encode())
                worker.stdin.flush()
                return
            except (BrokenPipeError, OSError) as exc:
                # The worker died since its last trial (killed, out of memory): start another once.
                self._retire(slot)
                if attempt == 2:
                    raise LaunchError(f"could not hand the trial to a worker: {os_error_text(exc)}") from exc

    def _worker(self, slot: Slot) -> subprocess.Popen[bytes]:
        worker = self._workers.get(slot.name)
        if worker is not None and worker.poll() is None:
            return worker
        if worker is not None:
            self._retire(slot)
        log_dir = self.workers_log_dir or self.trials_dir.parent / "workers"
        try:
            worker = launcher.start_worker(
                self.trials_dir,
                log_dir / f"{slot.name}.log",
                self.data_dir,
                offline=self.offline,
                env=slot.env,
                die_with_parent=self.die_with_parent,
            )
        except OSError as exc:
            raise LaunchError(f"could not start a worker: {os_error_text(exc)}") from exc
        self._workers[slot.name] = worker
        self._children.append(worker)
        return worker

    def _retire(self, slot: Slot) -> None:
        worker = self._workers.pop(slot.name, None)
        if worker is not None and worker.stdin is not None:
            with contextlib.suppress(OSError):
                worker.stdin.close()

    def stop(self, run_dir: Path) -> bool:
        """SIGTERM to the trial's trainer, through :func:`tuitrain.launcher.stop_run`."""
        return launcher.stop_run(run_dir)

    def alive(self, run_dir: Path) -> bool | None:
        """Whether the trainer the run's status names still runs."""
        self._reap()
        return runs.trainer_alive(run_dir)

    def release(self, slot: Slot) -> None:
        """Nothing to do: a fresh trainer has exited, a warm worker waits for its next trial."""
        self._reap()

    def close(self) -> None:
        """Close the workers' pipes: each ends after its current trial."""
        for name in list(self._workers):
            self._retire(Slot(name))
        self._reap()

    def _reap(self) -> None:
        # Collect exit statuses so ended trainers do not stay zombies (which still count as processes).
        self._children = [p for p in self._children if p.poll() is None]
