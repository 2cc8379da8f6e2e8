"""The one Keras callback that turns training into a run record.

Per batch: NaN/inf detection (stop at once, with a sentence saying where and why), the stop request
(SIGTERM/SIGINT: stop after the current batch) and throttled progress. Per epoch: every Keras log plus
the learning rate in effect and the epoch's wall time, the streaming analysis and its flags, the
history row, the status, and the best model (by the early-stopping monitor), saved atomically.

A model that runs several steps per execution (sparse input, see :mod:`tuitrain.engine.build`) gets
the per-batch calls once per group of batches: the checks happen after the group, and the batch they
name is the group's last.

What the record goes to is a :class:`Recorder` (the run directory in the trainer, a fake in tests).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import keras
import numpy as np

from tuitrain.analysis import Flag, StreamingAnalyzer, resolve_mode
from tuitrain.engine.build import current_learning_rate
from tuitrain.engine.signals import StopRequest
from tuitrain.fsutil import atomic_path

PROGRESS_INTERVAL = 0.25
"""Seconds between batch-progress events (about four a second)."""
SAVE_BUDGET = 0.01
"""At most this fraction of the training time goes to saving the best model while training runs
(beyond the first save, after epoch 1). A newer best waits in memory meanwhile and is written as soon
as the budget allows, and in any case when training ends (finished, stopped, diverged or failed; a
kill -9 loses only the best weights still waiting, never the previous best.keras)."""
# Learning rates above these (as in the spec's warnings) are called "too high" in a divergence message.
ADAPTIVE_LR_LIMIT = 0.1
SGD_LR_LIMIT = 1.0

Halt = Literal["diverged", "stopped"]


class Recorder(Protocol):
    """Where the callback writes what happens (see :mod:`tuitrain.engine.record`)."""

    def epoch_ended(self, epoch: int, logs: Mapping[str, float], learning_rate: float, seconds: float) -> None:
        """An epoch finished with these Keras logs (1-based epoch)."""

    def batch_progress(self, epoch: int, batch: int, steps: int, logs: Mapping[str, float], seconds: float) -> None:
        """``batch`` of ``steps`` batches of ``epoch`` are done, ``seconds`` into the epoch."""

    def flag_raised(self, flag: Flag) -> None:
        """The analysis noticed something."""

    def best_saved(self, epoch: int, monitor: str, value: float) -> None:
        """``best.keras`` now holds the weights after ``epoch``."""


@dataclass
class TrainingOutcome:
    """What the callback saw, for the trainer's final event and status."""

    epochs_done: int = 0
    halt: Halt | None = None
    reason: str | None = None
    """One line for a diverged run: where the loss broke and what to change."""
    halt_epoch: int | None = None
    halt_batch: int | None = None
    best_epoch: int | None = None
    best_value: float | None = None
    best_saved_epoch: int | None = None
    flags: list[Flag] = field(default_factory=list)


def divergence_message(value: float, epoch: int, batch: int, learning_rate: float, optimizer: str) -> str:
    """E.g. "loss became NaN at epoch 2, batch 7: the learning rate 10 is too high for adam"."""
    what = "NaN" if math.isnan(value) else "infinite"
    limit = SGD_LR_LIMIT if optimizer == "sgd" else ADAPTIVE_LR_LIMIT
    if learning_rate > limit:
        advice = f"the learning rate {learning_rate:g} is too high for {optimizer}"
    else:
        advice = (
            f"lower the learning rate ({learning_rate:g} for {optimizer}), scale the inputs "
            "(dataset.scaling) or set optimizer.clipnorm"
        )
    return f"loss became {what} at epoch {epoch}, batch {batch}: {advice}"


def improved(value: float, best: float | None, mode: str) -> bool:
    """Strictly better than ``best`` in the direction ``mode`` ("min" or "max"); NaN never improves."""
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best if mode == "min" else value > best


class RunCallback(keras.callbacks.Callback):
    """Records the run; see the module docstring. One instance per ``fit``."""

    def __init__(
        self,
        recorder: Recorder,
        analyzer: StreamingAnalyzer,
        *,
        export_model: keras.Model,
        best_path: Path | None,
        monitor: str,
        mode: str,
        optimizer_name: str,
        steps_per_epoch: int,
        stop: StopRequest | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.recorder = recorder
        self.analyzer = analyzer
        self.export_model = export_model
        self.best_path = best_path
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self.optimizer_name = optimizer_name
        self.steps_per_epoch = steps_per_epoch
        self.stop = stop or StopRequest()
        self.clock = clock
        self.outcome = TrainingOutcome()
        self._epoch = 0
        self._batches = 0
        self._epoch_start = 0.0
        self._last_progress = 0.0
        self._partial = False
        # Best-model saving: when saving every improvement would cost more than SAVE_BUDGET of the
        # training time, the newest best weights wait in memory (and are written at the end, or as
        # soon as the budget allows) instead of slowing training down.
        self._train_seconds = 0.0
        self._save_seconds = 0.0
        self._pending_best: list[np.ndarray] | None = None
        self._pending_epoch: int | None = None

    # ------------------------------------------------------------ batches

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Start the epoch's clock."""
        self._epoch = epoch + 1
        self._batches = 0
        self._epoch_start = self.clock()
        self._last_progress = self._epoch_start

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """NaN check, stop request, throttled progress."""
        logs = logs or {}
        # With several steps per execution Keras reports a group's last batch number, which for the
        # epoch's last group can lie past the epoch's end.
        self._batches = min(batch + 1, self.steps_per_epoch)
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self._halt_diverged(float(loss))
            return
        if self.stop.requested and self.outcome.halt is None:
            self.outcome.halt = "stopped"
            self.outcome.halt_epoch, self.outcome.halt_batch = self._epoch, self._batches
            self.model.stop_training = True
            self._partial = self._batches < self.steps_per_epoch
            return
        now = self.clock()
        if now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self.recorder.batch_progress(
                self._epoch, self._batches, self.steps_per_epoch, _floats(logs), now - self._epoch_start
            )

    def _halt_diverged(self, loss: float) -> None:
        lr = current_learning_rate(self.model.optimizer)
        self.outcome.halt = "diverged"
        self.outcome.reason = divergence_message(loss, self._epoch, self._batches, lr, self.optimizer_name)
        self.outcome.halt_epoch, self.outcome.halt_batch = self._epoch, self._batches
        self.model.stop_training = True
        self._partial = True

    def on_test_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Skip validating an epoch that was cut short: it would not be recorded."""
        if self._partial:
            self.model.stop_evaluating = True

    # ------------------------------------------------------------ epochs

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Record a complete epoch: event, analysis flags, best model, timing."""
        if self._partial:
            return  # cut short by a stop or NaN: its numbers would describe half an epoch
        seconds = self.clock() - self._epoch_start
        values = _floats(logs or {})
        lr = current_learning_rate(self.model.optimizer)
        self.outcome.epochs_done = self._epoch
        self.recorder.epoch_ended(self._epoch, values, lr, seconds)
        for flag in self.analyzer.add_epoch({**values, "learning_rate": lr}):
            self.outcome.flags.append(flag)
            self.recorder.flag_raised(flag)
        self._train_seconds += seconds
        self._track_best(values)

    def _track_best(self, values: Mapping[str, float]) -> None:
        value = values.get(self.monitor)
        if value is not None and improved(value, self.outcome.best_value, self.mode):
            self.outcome.best_epoch = self._epoch
            self.outcome.best_value = value
            if self._may_save():
                self._pending_best = None
                self._save_best_now(self._epoch)
            else:
                self._pending_best = [np.array(w) for w in self.export_model.get_weights()]
                self._pending_epoch = self._epoch
        elif self._pending_best is not None and self._may_save():
            self.flush_best()

    def _may_save(self) -> bool:
        return self.best_path is not None and self._save_seconds <= SAVE_BUDGET * self._train_seconds

    def _save_best_now(self, epoch: int) -> None:
        assert self.best_path is not None
        start = self.clock()
        save_model(self.export_model, self.best_path)
        self._save_seconds += self.clock() - start
        self.outcome.best_saved_epoch = epoch
        assert self.outcome.best_value is not None
        self.recorder.best_saved(epoch, self.monitor, self.outcome.best_value)

    def flush_best(self) -> None:
        """Write best weights that are still waiting in memory (called at the end of training too)."""
        if self._pending_best is None or self.best_path is None or self._pending_epoch is None:
            return
        current = self.export_model.get_weights()
        self.export_model.set_weights(self._pending_best)
        try:
            self._save_best_now(self._pending_epoch)
        finally:
            self.export_model.set_weights(current)
        self._pending_best = None
        self._pending_epoch = None


def save_model(model: keras.Model, path: Path) -> None:
    """Save a ``.keras`` file atomically: a kill during the save leaves the previous file intact.

    Keras writes in place (a kill mid-save leaves a truncated zip); here it writes a temporary file
    next to the target, which :func:`tuitrain.fsutil.atomic_path` fsyncs and renames over it.
    """
    with atomic_path(path) as tmp:
        model.save(tmp)


def _floats(logs: Mapping[str, Any]) -> dict[str, float]:
    """Keras logs as plain floats (they arrive as numpy scalars or Python numbers)."""
    out: dict[str, float] = {}
    for key, value in logs.items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            continue  # a non-numeric log entry (none of Keras' own) has no place in a history
    return out
