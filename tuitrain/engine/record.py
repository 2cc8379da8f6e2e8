"""The trainer's side of a run directory, on :mod:`tuitrain.runs`: events, status, history, traceback.

:class:`RunRecorder` is what the run callback and the trainer report to (the callback's
:class:`~tuitrain.engine.callbacks.Recorder`). No TensorFlow here.
"""

from __future__ import annotations

import sys
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tuitrain.analysis import Flag
from tuitrain.engine.gpu import GpuReader, gpu_reader
from tuitrain.fsutil import atomic_write_text
from tuitrain.presets import experiment_from_data, to_toml
from tuitrain.runs import (
    BatchProgress,
    EpochEnded,
    EventWriter,
    FlagRaised,
    HistoryCsvWriter,
    RunFailed,
    RunFinished,
    RunPaths,
    RunStarted,
    RunStatus,
    StatusFile,
)
from tuitrain.runs.events import GpuUsage
from tuitrain.spec import Experiment

TRACEBACK_FILE = "traceback.txt"
STATUS_INTERVAL = 5.0
"""Seconds between status rewrites that only update the epoch count (state changes are written at once)."""


class RunRecorder:
    """Writes one run's record. Creating it marks the run "running" with this process as its trainer."""

    def __init__(self, run_dir: Path) -> None:
        self.paths = RunPaths(Path(run_dir))
        self._writer = EventWriter(self.paths.events)
        self._history = HistoryCsvWriter(self.paths)
        self._status = StatusFile(self.paths, RunStatus.for_this_process("running"))
        self._status.write()
        self._status_written = time.monotonic()
        self._gpu: GpuReader | None = None

    def read_experiment(self) -> Experiment:
        """The run's ``experiment.toml`` (PresetError if it is not a valid experiment)."""
        path = self.paths.experiment
        return experiment_from_data(tomllib.loads(path.read_text(encoding="utf-8")), str(path))

    def log(self, text: str) -> None:
        """A line for ``trainer.log`` (the trainer's stdout)."""
        print(text, file=sys.stdout, flush=True)

    # ------------------------------------------------------------ what the trainer reports

    def started(self, info: Mapping[str, Any]) -> None:
        """The run_started event (device, versions, parameters, sizes)."""
        self._writer.write(
            RunStarted(
                run_id=self.paths.root.name,
                experiment_name=info["experiment_name"],
                device=info["device"],
                device_kind=info["device_kind"],
                mixed_precision=info["mixed_precision"],
                versions=info["versions"],
                params_total=info["params"],
                params_trainable=info["trainable_params"],
                pid=info["pid"],
                epochs=info["epochs"],
                steps_per_epoch=info["steps_per_epoch"],
                train_samples=info["train_size"],
                val_samples=info["val_size"],
                val_class_shares=info.get("val_class_shares"),
            )
        )
        if info["device_kind"] == "gpu":
            self._gpu = gpu_reader()

    def _gpu_usage(self) -> GpuUsage | None:
        return self._gpu() if self._gpu is not None else None

    def epoch_ended(self, epoch: int, logs: Mapping[str, float], learning_rate: float, seconds: float) -> None:
        """The epoch event, the history row and the status (epochs done)."""
        event = EpochEnded(
            epoch=epoch, logs=dict(logs), learning_rate=learning_rate, epoch_seconds=seconds, gpu=self._gpu_usage()
        )
        self._writer.write(event)
        self._history.add(event)
        # The epoch count in the status is a convenience (readers count epochs in the event log): with
        # short epochs it is rewritten every few seconds, not every epoch (each rewrite is two fsyncs).
        self._status.status = self._status.status.model_copy(update={"epochs_done": epoch})
        if time.monotonic() - self._status_written >= STATUS_INTERVAL:
            self._status.write()
            self._status_written = time.monotonic()

    def batch_progress(self, epoch: int, batch: int, steps: int, logs: Mapping[str, float], seconds: float) -> None:
        """Progress inside an epoch (the callback throttles these)."""
        self._writer.write(BatchProgress(epoch=epoch, step=batch, steps=steps, logs=dict(logs), gpu=self._gpu_usage()))

    def flag_raised(self, flag: Flag) -> None:
        """A flag of the analysis."""
        self._writer.write(FlagRaised.from_flag(flag))

    def best_saved(self, epoch: int, monitor: str, value: float) -> None:
        """``best.keras`` holds ``epoch``: noted in the status with its next write."""
        self._status.status = self._status.status.model_copy(update={"best_epoch": epoch})

    def finished(self, state: str, outcome: Any, reason: str) -> None:
        """The final event of a run that finished or was stopped."""
        self._writer.write(
            RunFinished(status=state, reason=reason, epochs_done=outcome.epochs_done, best_epoch=outcome.best_epoch)
        )
        self._status.update(state, message=reason, epochs_done=outcome.epochs_done)

    def diverged(self, outcome: Any) -> None:
        """The final event of a run whose loss stopped being a number."""
        self._writer.write(
            RunFailed(status="diverged", error=outcome.reason, epoch=outcome.halt_epoch, batch=outcome.halt_batch)
        )
        self._status.update("diverged", message=outcome.reason, epochs_done=outcome.epochs_done)

    def failed(self, error: str, traceback_text: str, epoch: int | None = None) -> None:
        """The final event of a run that ended in an error; the traceback goes to ``traceback.txt``."""
        atomic_write_text(self.paths.traceback, traceback_text)
        self._writer.write(RunFailed(status="failed", error=error, epoch=epoch or None, traceback_file=TRACEBACK_FILE))
        self._status.update("failed", message=error)

    def close(self) -> None:
        """Close the event log (fsync'd)."""
        self._writer.close()


def new_bench_recorder(run_dir: Path, exp: Experiment) -> RunRecorder:
    """A recorder on a fresh run directory holding ``exp`` (for the benchmarks)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RunPaths(run_dir).experiment, to_toml(exp))
    return RunRecorder(run_dir)
