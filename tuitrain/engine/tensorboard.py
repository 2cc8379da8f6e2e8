"""TensorBoard event files for every run, written with TensorFlow's own summary writers.

:class:`TensorBoardLog` stands between the run callback and the run's recorder: everything the run
records passes through unchanged, and each finished epoch is also written as TensorBoard scalars,
each analysis flag as text. The layout is the one Keras' own TensorBoard callback uses, so
``tensorboard --logdir runs`` overlays training and validation curves and reads like any Keras run::

    RUN_DIR/tensorboard/train/       epoch_loss, epoch_accuracy, ..., epoch_learning_rate; flags (text)
    RUN_DIR/tensorboard/validation/  epoch_loss, epoch_accuracy, ... (the val_ logs, prefix dropped)

Steps are tuitrain's 1-based epochs, as the dashboard numbers them.

The writing happens on a thread of its own: an eager summary op costs about a millisecond of Python
and TensorFlow dispatch (measured 1.5 ms per scalar on two busy cores), so an IMDB epoch of 0.1 s
would spend several percent of its time writing six scalars on the training thread; handing the
epoch over costs microseconds. The thread writes each run's scalars of an epoch as one Summary (the
protos ``tf.summary.scalar`` writes) in one ``write_raw_pb`` op: a third of the CPU time of one op per
scalar (1.3-1.8 ms against 3.7-4.7 ms per epoch there), and it holds the GIL, which the training
thread needs too, only briefly. It flushes (a write, no fsync) within :data:`FLUSH_INTERVAL` of an
epoch or flag, at most that often, so TensorBoard follows a run live and a killed trainer loses at most
the last second's epochs. Training's end
(the callback from :meth:`TensorBoardLog.closing_callback`) or, failing that, the interpreter's exit
waits for the thread to write what it holds.
"""

from __future__ import annotations

import atexit
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
from tensorboard.compat.proto import summary_pb2, types_pb2
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.plugins.text.summary_v2 import text_pb

from tuitrain.analysis import Flag
from tuitrain.engine.callbacks import Recorder

TRAIN_RUN = "train"
VALIDATION_RUN = "validation"
FLAGS_TAG = "analysis_flags"
"""Text tag of the analysis flags (in the train run)."""
QUEUE = 50
"""Summaries a writer holds before it writes them out (flushed every epoch anyway)."""
CLOSE_TIMEOUT = 30.0
"""Seconds the end of training waits for the writer thread to write what it holds."""
FLUSH_INTERVAL = 1.0
"""Seconds at most between an epoch's writing and its flush to the file (closing flushes at once)."""

_Item = tuple[str, int, Any, Any]
_FLUSH: Any = ("flush", 0, None, None)
"""What the writer thread acts on when the flush interval is over and nothing new came."""


class TensorBoardLog:
    """A :class:`~tuitrain.engine.callbacks.Recorder` that also writes epochs and flags for TensorBoard.

    A TensorBoard file that can't be written (a full disk, a folder made read-only) never stops
    training: the first error is logged through ``log`` and TensorBoard writing stops; the run's own
    record goes on.
    """

    def __init__(self, inner: Recorder, log_dir: Path, log: Callable[[str], None] = print) -> None:
        self.inner = inner
        self.log_dir = Path(log_dir)
        self._log = log
        self.enabled = True
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._write_loop, name="tensorboard-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # ------------------------------------------------------------ the recorder's side (training thread)

    def epoch_ended(self, epoch: int, logs: Mapping[str, float], learning_rate: float, seconds: float) -> None:
        """Record the epoch, then hand its logs and learning rate to the writer (scalars at step ``epoch``)."""
        self.inner.epoch_ended(epoch, logs, learning_rate, seconds)
        if self.enabled:
            self._queue.put(("epoch", epoch, dict(logs), learning_rate))

    def flag_raised(self, flag: Flag) -> None:
        """Record the flag, then hand it to the writer (text at its epoch: criterion, severity, sentence)."""
        self.inner.flag_raised(flag)
        if self.enabled:
            self._queue.put(("flag", flag.epoch, f"**{flag.criterion}** ({flag.severity}): {flag.message}", None))

    def batch_progress(self, epoch: int, batch: int, steps: int, logs: Mapping[str, float], seconds: float) -> None:
        """Passed on (TensorBoard gets epochs only)."""
        self.inner.batch_progress(epoch, batch, steps, logs, seconds)

    def best_saved(self, epoch: int, monitor: str, value: float) -> None:
        """Passed on."""
        self.inner.best_saved(epoch, monitor, value)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Let the writer write everything handed over so far, then stop it (idempotent)."""
        atexit.unregister(self.close)
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def closing_callback(self) -> keras.callbacks.Callback:
        """A Keras callback that closes this log when ``fit`` ends, so the files are complete after it."""
        return _CloseAtTrainEnd(self)

    # ------------------------------------------------------------ the writer thread

    def _write_loop(self) -> None:
        try:
            train = tf.summary.create_file_writer(str(self.log_dir / TRAIN_RUN), max_queue=QUEUE)
            validation = tf.summary.create_file_writer(str(self.log_dir / VALIDATION_RUN), max_queue=QUEUE)
        except (tf.errors.OpError, OSError) as exc:
            self._give_up(exc)
            return
        writers = (train, validation)
        dirty = False
        last_flush = time.monotonic()
        while True:
            # Flushed at most every FLUSH_INTERVAL: epochs a tenth of a second long would otherwise
            # cost two flushes each. What waits is flushed once the interval is over, new epoch or not.
            wait = max(0.0, last_flush + FLUSH_INTERVAL - time.monotonic()) if dirty else None
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = _FLUSH
            if item is None:
                break
            if not self.enabled:
                continue
            try:
                if item is not _FLUSH:
                    self._write(item, train, validation)
                    dirty = True
                if dirty and time.monotonic() - last_flush >= FLUSH_INTERVAL:
                    for writer in writers:
                        writer.flush()
                    dirty, last_flush = False, time.monotonic()
            except (tf.errors.OpError, OSError) as exc:
                self._give_up(exc)
        for writer in writers:
            try:
                writer.close()
            except (tf.errors.OpError, OSError) as exc:
                self._give_up(exc)

    def _write(self, item: _Item, train: Any, validation: Any) -> None:
        kind, step, payload, learning_rate = item
        if kind == "flag":
            _write_summary(train, step, text_pb(FLAGS_TAG, payload))
            return
        scalars = {f"epoch_{name}": value for name, value in payload.items() if not name.startswith("val_")}
        scalars["epoch_learning_rate"] = learning_rate
        val_scalars = {f"epoch_{name[4:]}": value for name, value in payload.items() if name.startswith("val_")}
        _write_summary(train, step, _scalars(scalars))
        _write_summary(validation, step, _scalars(val_scalars))

    def _give_up(self, exc: BaseException) -> None:
        if not self.enabled:
            return
        self.enabled = False
        self._log(
            f"TensorBoard files in {self.log_dir} can't be written ({_reason(exc)}); training goes on without them"
        )


class _CloseAtTrainEnd(keras.callbacks.Callback):
    """Closes a :class:`TensorBoardLog` when training ends (stopped and early-stopped runs included)."""

    def __init__(self, log: TensorBoardLog) -> None:
        super().__init__()
        self.log = log

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Wait for the last epochs to be written."""
        self.log.close()


_SCALAR_METADATA = scalar_pb("metadata", 0.0).value[0].metadata
"""What marks a value as a scalar for TensorBoard (its "scalars" plugin), as ``scalar_pb`` writes it."""


def _scalars(values: Mapping[str, float]) -> summary_pb2.Summary:
    """One Summary holding a scalar per tag, the same protos ``tf.summary.scalar`` writes (a float32
    0-d tensor with the scalars plugin's metadata), made directly: ``scalar_pb`` goes through NumPy and
    a tensor conversion per value, which the writer thread would spend the GIL on."""
    summary = summary_pb2.Summary()
    for tag, value in values.items():
        item = summary.value.add(tag=tag)
        item.metadata.CopyFrom(_SCALAR_METADATA)
        item.tensor.dtype = types_pb2.DT_FLOAT
        item.tensor.tensor_shape.SetInParent()
        item.tensor.float_val.append(float(value))
    return summary


def _write_summary(writer: Any, step: int, summary: summary_pb2.Summary) -> None:
    """Write ``summary`` at ``step`` through TensorFlow's file writer, in one op."""
    with writer.as_default(step=step):
        tf.summary.experimental.write_raw_pb(summary.SerializeToString())


def _reason(exc: BaseException) -> str:
    """An error's message in one line, without TensorFlow's op decorations ({{function_node ...}}, [Op:...])."""
    text = str(getattr(exc, "message", "") or exc)
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:[^\]]*\].*", "", text, flags=re.DOTALL)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
