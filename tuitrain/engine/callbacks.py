"""The one Keras callback that turns training into a run record.

Per batch: NaN/inf detection (stop at once, with a sentence saying where and why), the stop request
(SIGTERM/SIGINT: stop after the current batch) and throttled progress. Per epoch: every Keras log plus
the learning rate in effect and the epoch's wall time, the streaming analysis and its flags, the
history row, the status, and the best model (by the early-stopping monitor), saved atomically.

The best model is written by a :class:`BestModelWriter` thread from a copy of the weights taken at
the epoch's end (``get_weights`` copies), so training never waits for a save and a new best reaches
disk within one save's time (the one in progress, if any, then this one; a newer best replaces a
waiting one). After a kill, ``best.keras`` holds the epoch the last ``best_saved`` event names.

A model that runs several steps per execution (sparse input, see :mod:`tuitrain.engine.build`) gets
the per-batch calls once per group of batches: the checks happen after the group, and the batch they
name is the group's last.

What the record goes to is a :class:`Recorder` (the run directory in the trainer, a fake in tests).
"""

from __future__ import annotations

import atexit
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import keras
import numpy as np
import tensorflow as tf

from tuitrain.analysis import Flag, StreamingAnalyzer, resolve_mode
from tuitrain.engine.build import current_learning_rate
from tuitrain.engine.signals import StopRequest
from tuitrain.fsutil import atomic_path

PROGRESS_INTERVAL = 0.25
"""Seconds between batch-progress events (about four a second)."""
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
        """``best.keras`` now holds the weights after ``epoch`` (called from the writer thread)."""


class BestModelWriter:
    """Writes ``best.keras`` from one background thread: the newest submitted weights win.

    The writer owns a copy of the model (same layers and compile settings, built once, before the
    first save, in the writer thread, in host memory) and loads each snapshot into it before saving, so
    the model being trained is never touched from here. Saves are atomic (:func:`save_model`); ``on_saved(epoch,
    value)`` is called after each, from the writer thread. The saved file holds the architecture, the
    weights and the compile settings; the optimizer's running state stays with ``final.keras``.
    """

    def __init__(self, model: keras.Model, path: Path, on_saved: Callable[[int, float], None]) -> None:
        self.model = model
        self.path = path
        self.on_saved = on_saved
        self.saved_epoch: int | None = None
        self.error: BaseException | None = None
        """The last save's failure (disk full ...), if any; the previous best.keras is then intact."""
        self._copy: keras.Model | None = None
        self._cond = threading.Condition()
        self._waiting: tuple[int, float, list[np.ndarray]] | None = None
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, epoch: int, value: float, weights: list[np.ndarray]) -> None:
        """Queue ``weights`` (a copy, e.g. ``get_weights()``) of ``epoch`` for saving; replaces a waiting one."""
        with self._cond:
            if self._closed:
                return
            self._waiting = (epoch, value, weights)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tuitrain-best-model", daemon=True)
                self._thread.start()
                # A process that ends without closing the writer (a benchmark, a test) must not be torn
                # down in the middle of a save: Python finalizing under a running TensorFlow call can hang.
                atexit.register(self.close)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._waiting is None and not self._closed:
                    self._cond.wait()
                if self._waiting is None:
                    return
                epoch, value, weights = self._waiting
                self._waiting = None
                self._busy = True
            try:
                if self._copy is None:
                    self._copy = self._make_copy()
                self._copy.set_weights(weights)
                save_model(self._copy, self.path)
                self.saved_epoch = epoch
                self.on_saved(epoch, value)
            except Exception as exc:
                # Kept for the training thread to raise at the next epoch's end: the run then fails
                # with this error in its record (a full disk ...), and the previous best.keras stays.
                self.error = exc
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _make_copy(self) -> keras.Model:
        """The model's layers and compile settings, with fresh weights, built here in the writer thread:
        cloning costs a few times one save (0.17 s of CPU for the IMDB model), which the training
        thread would otherwise wait for at its first best epoch. Only the architecture is read from the
        model in training, and that does not change while it trains."""
        # In host memory: on a GPU the copy would take as much of the card as the weights themselves.
        with tf.device("/CPU:0"):
            copy = keras.models.clone_model(self.model)
            copy.compile_from_config(self.model.get_compile_config())
        return copy

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every submitted snapshot is on disk (or failed); False if ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._waiting is not None or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        """Write what is waiting, then end the thread (idempotent)."""
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            atexit.unregister(self.close)


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
        self._best_writer = (
            BestModelWriter(export_model, best_path, self._best_saved) if best_path is not None else None
        )

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
        self._track_best(values)

    def _track_best(self, values: Mapping[str, float]) -> None:
        if self._best_writer is not None and self._best_writer.error is not None:
            error, self._best_writer.error = self._best_writer.error, None
            raise error
        value = values.get(self.monitor)
        if value is not None and improved(value, self.outcome.best_value, self.mode):
            self.outcome.best_epoch = self._epoch
            self.outcome.best_value = value
            if self._best_writer is not None:
                # get_weights copies: training goes on while the writer thread saves this snapshot.
                self._best_writer.submit(self._epoch, value, self.export_model.get_weights())

    def _best_saved(self, epoch: int, value: float) -> None:
        self.outcome.best_saved_epoch = epoch
        self.recorder.best_saved(epoch, self.monitor, value)

    def flush_best(self, timeout: float | None = None) -> bool:
        """Wait until the newest best is on disk (called when training ends); False if ``timeout`` ran out.

        Raises the writer's error when the last save failed (the previous best.keras is then intact).
        """
        if self._best_writer is None:
            return True
        done = self._best_writer.flush(timeout)
        if done and self._best_writer.error is not None:
            error, self._best_writer.error = self._best_writer.error, None
            raise error
        return done

    def finish_best(self) -> None:
        """Write the newest best and end the writer thread (when training is over); raises a save's error."""
        if self._best_writer is None:
            return
        self._best_writer.close()
        if self._best_writer.error is not None:
            error, self._best_writer.error = self._best_writer.error, None
            raise error


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
