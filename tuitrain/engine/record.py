"""The trainer's side of a run directory, on :mod:`tuitrain.runs`: events, status, history, traceback.

:class:`RunRecorder` is what the run callback and the trainer report to (the callback's
:class:`~tuitrain.engine.callbacks.Recorder`). No TensorFlow here.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tuitrain.analysis import Flag
from tuitrain.fsutil import atomic_write_text, remove_temporaries
from tuitrain.presets import PresetError, experiment_from_data, to_toml
from tuitrain.runs import (
    BatchProgress,
    BestSaved,
    EpochEnded,
    EventWriter,
    FlagRaised,
    HistoryCsvWriter,
    LrStep,
    RunFailed,
    RunFinished,
    RunPaths,
    RunStarted,
    RunStatus,
    StatusFile,
    process_start_time,
)
from tuitrain.runs.record import read_experiment_data
from tuitrain.spec import Experiment
from tuitrain.spec.errors import SpecIssue
from tuitrain.text import printable_lines

TRACEBACK_FILE = "traceback.txt"
STATUS_INTERVAL = 5.0
"""Seconds between status rewrites that only update the epoch count (state changes are written at once)."""


class RunRecorder:
    """Writes one run's record. Creating it marks the run "running" with this process as its trainer.

    Thread-safe: the best-model writer thread and a forced stop (the stop-signal thread) report here
    while training writes its epochs. Once the run's end is recorded nothing more is written, so a
    forced stop's final event stays the last word even if training was mid-epoch.
    """

    def __init__(self, run_dir: Path) -> None:
        self.paths = RunPaths(Path(run_dir))
        self._lock = threading.RLock()
        self._ended = False
        self._last_epoch = 0
        self._writer = EventWriter(self.paths.events)
        self._history = HistoryCsvWriter(self.paths)
        self._status = StatusFile(self.paths, RunStatus.for_this_process("running"))
        self._status.write()
        self._status_written = time.monotonic()
        # A starter killed mid-write (or an earlier trainer of this folder) may have left temporaries.
        remove_temporaries(self.paths.root)

    def read_experiment(self) -> Experiment:
        """The run's ``experiment.toml`` (PresetError if it is not a valid experiment)."""
        path = self.paths.experiment
        data, error = read_experiment_data(path)
        if data is None:
            raise PresetError(str(path), [SpecIssue("", error or "cannot be read")])
        return experiment_from_data(data, str(path))

    def log(self, text: str) -> None:
        """A line for ``trainer.log`` (the trainer's stdout); control characters in it are escaped."""
        print(printable_lines(text), file=sys.stdout, flush=True)

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
                pid_start=process_start_time(info["pid"]),
                epochs=info["epochs"],
                steps_per_epoch=info["steps_per_epoch"],
                train_samples=info["train_size"],
                val_samples=info["val_size"],
                val_class_shares=info.get("val_class_shares"),
                seed=info["seed"],
                kind=info.get("kind", "train"),
            )
        )

    def epoch_ended(self, epoch: int, logs: Mapping[str, float], learning_rate: float, seconds: float) -> None:
        """The epoch event, the history row and the status (epochs done)."""
        event = EpochEnded(epoch=epoch, logs=dict(logs), learning_rate=learning_rate, epoch_seconds=seconds)
        with self._lock:
            if self._ended:
                return
            self._writer.write(event)
            self._last_epoch = epoch
            self._history.add(event)
            # The epoch count in the status is a convenience (readers count epochs in the event log): with
            # short epochs it is rewritten every few seconds, not every epoch (each rewrite is two fsyncs).
            self._status.status = self._status.status.model_copy(update={"epochs_done": epoch})
            if time.monotonic() - self._status_written >= STATUS_INTERVAL:
                self._status.write()
                self._status_written = time.monotonic()

    def batch_progress(self, epoch: int, batch: int, steps: int, logs: Mapping[str, float], seconds: float) -> None:
        """Progress inside an epoch (the callback throttles these)."""
        with self._lock:
            if not self._ended:
                self._writer.write(BatchProgress(epoch=epoch, step=batch, steps=steps, logs=dict(logs)))

    def lr_step(self, step: int, learning_rate: float, loss: float, smoothed_loss: float) -> None:
        """One batch of a learning-rate range test."""
        self._writer.write(LrStep(step=step, learning_rate=learning_rate, loss=loss, smoothed_loss=smoothed_loss))

    def flag_raised(self, flag: Flag) -> None:
        """A flag of the analysis."""
        with self._lock:
            if not self._ended:
                self._writer.write(FlagRaised.from_flag(flag))

    def best_saved(self, epoch: int, monitor: str, value: float) -> None:
        """``best.keras`` now holds ``epoch`` (it is on disk): a ``best_saved`` event and the status say so."""
        with self._lock:
            if self._ended:
                return
            self._writer.write(BestSaved(epoch=epoch, monitor=monitor, value=value))
            self._status.status = self._status.status.model_copy(
                update={"best_saved_epoch": epoch, "best_epoch": max(epoch, self._status.status.best_epoch or 0)}
            )
            self._status.write()
            self._status_written = time.monotonic()

    def _end(self, final: RunFinished | RunFailed, **status: Any) -> bool:
        """Write the final event and the ended status, once; False if the end was recorded already."""
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            # Status first: whoever sees the final event (the CLI follower, the monitor) then finds
            # the status final too.
            self._status.update(final.status, **status)
            self._writer.write(final)
            return True

    def finished(self, state: str, outcome: Any, reason: str) -> None:
        """The final event of a run that finished or was stopped."""
        self._end(
            RunFinished(status=state, reason=reason, epochs_done=outcome.epochs_done, best_epoch=outcome.best_epoch),
            message=reason,
            epochs_done=outcome.epochs_done,
        )

    def diverged(self, outcome: Any) -> None:
        """The final event of a run whose loss stopped being a number."""
        self._end(
            RunFailed(status="diverged", error=outcome.reason, epoch=outcome.halt_epoch, batch=outcome.halt_batch),
            message=outcome.reason,
            epochs_done=outcome.epochs_done,
        )

    def failed(self, error: str, traceback_text: str, epoch: int | None = None) -> None:
        """The final event of a run that ended in an error; the traceback goes to ``traceback.txt``."""
        with self._lock:
            if self._ended:
                return
            try:
                atomic_write_text(self.paths.traceback, traceback_text)
                traceback_file: str | None = TRACEBACK_FILE
            except OSError:
                traceback_file = None  # a full disk: the one-line error below matters more
            self._end(
                RunFailed(status="failed", error=error, epoch=epoch or None, traceback_file=traceback_file),
                message=error,
            )

    def stopped_at_once(self, signal_name: str, wait: float) -> bool:
        """Record a run ended by a second stop request without waiting for its batch; False if it had ended.

        What was trained is what the log records (its epochs; the best epoch follows from them); the
        final model is not saved (its weights were mid-update). ``wait``: seconds a write in progress
        may be waited for.
        """
        epochs_done = self._last_epoch
        reason = (
            f"stopped at once by a second {signal_name} after {epochs_done} epoch{'s' if epochs_done != 1 else ''}"
            " (final.keras not saved: the weights were mid-batch)"
        )
        # Training may be writing an epoch right now: let it finish that line, but not for ever.
        acquired = self._lock.acquire(timeout=wait)
        try:
            if self._ended:
                return False
            self._ended = True
            self._status.update("stopped", message=reason, epochs_done=epochs_done)
            self._writer.write(RunFinished(status="stopped", reason=reason, epochs_done=epochs_done))
            return True
        finally:
            if acquired:
                self._lock.release()

    def close(self) -> None:
        """Close the event log (fsync'd)."""
        self._writer.close()


def stop_before_training(run_dir: Path, signal_name: str) -> None:
    """A second stop request while the trainer is still starting (importing TensorFlow): record the run
    as stopped with nothing trained, so it never reads as crashed."""
    recorder = RunRecorder(run_dir)
    recorder.stopped_at_once(signal_name, wait=1.0)
    recorder.close()


def new_bench_recorder(run_dir: Path, exp: Experiment) -> RunRecorder:
    """A recorder on a fresh run directory holding ``exp`` (for the benchmarks)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RunPaths(run_dir).experiment, to_toml(exp))
    return RunRecorder(run_dir)
