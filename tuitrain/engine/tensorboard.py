"""TensorBoard event files for every run, written with TensorFlow's own summary writers.

:class:`TensorBoardLog` stands between the run callback and the run's recorder: everything the run
records passes through unchanged, and each finished epoch is also written as TensorBoard scalars,
each analysis flag as text. The layout is the one Keras' own TensorBoard callback uses, so
``tensorboard --logdir runs`` overlays training and validation curves and reads like any Keras run::

    RUN_DIR/tensorboard/train/       epoch_loss, epoch_accuracy, ..., epoch_learning_rate; flags (text)
    RUN_DIR/tensorboard/validation/  epoch_loss, epoch_accuracy, ... (the val_ logs, prefix dropped)

Steps are tuitrain's 1-based epochs, as the dashboard numbers them. Both writers are flushed after
every epoch and flag (a write, no fsync), so TensorBoard shows a run live and a killed trainer leaves
every finished epoch readable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import tensorflow as tf

from tuitrain.analysis import Flag
from tuitrain.engine.callbacks import Recorder

TRAIN_RUN = "train"
VALIDATION_RUN = "validation"
FLAGS_TAG = "analysis_flags"
"""Text tag of the analysis flags (in the train run)."""
QUEUE = 50
"""Summaries a writer holds before it writes them out (flushed every epoch anyway)."""


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
        try:
            self._train = tf.summary.create_file_writer(str(self.log_dir / TRAIN_RUN), max_queue=QUEUE)
            self._validation = tf.summary.create_file_writer(str(self.log_dir / VALIDATION_RUN), max_queue=QUEUE)
        except (tf.errors.OpError, OSError) as exc:
            self._give_up(exc)

    def epoch_ended(self, epoch: int, logs: Mapping[str, float], learning_rate: float, seconds: float) -> None:
        """Record the epoch, then write its logs and learning rate as scalars at step ``epoch``."""
        self.inner.epoch_ended(epoch, logs, learning_rate, seconds)
        if not self.enabled:
            return
        try:
            with self._train.as_default(step=epoch):
                for name, value in logs.items():
                    if not name.startswith("val_"):
                        tf.summary.scalar(f"epoch_{name}", value)
                tf.summary.scalar("epoch_learning_rate", learning_rate)
            with self._validation.as_default(step=epoch):
                for name, value in logs.items():
                    if name.startswith("val_"):
                        tf.summary.scalar(f"epoch_{name.removeprefix('val_')}", value)
            self._train.flush()
            self._validation.flush()
        except (tf.errors.OpError, OSError) as exc:
            self._give_up(exc)

    def flag_raised(self, flag: Flag) -> None:
        """Record the flag, then write it as text at its epoch: criterion, severity and sentence."""
        self.inner.flag_raised(flag)
        if not self.enabled:
            return
        try:
            with self._train.as_default(step=flag.epoch):
                tf.summary.text(FLAGS_TAG, f"**{flag.criterion}** ({flag.severity}): {flag.message}")
            self._train.flush()
        except (tf.errors.OpError, OSError) as exc:
            self._give_up(exc)

    def batch_progress(self, epoch: int, batch: int, steps: int, logs: Mapping[str, float], seconds: float) -> None:
        """Passed on (TensorBoard gets epochs only)."""
        self.inner.batch_progress(epoch, batch, steps, logs, seconds)

    def best_saved(self, epoch: int, monitor: str, value: float) -> None:
        """Passed on."""
        self.inner.best_saved(epoch, monitor, value)

    def _give_up(self, exc: BaseException) -> None:
        self.enabled = False
        self._log(
            f"TensorBoard files in {self.log_dir} can't be written ({_reason(exc)}); training goes on without them"
        )


def _reason(exc: BaseException) -> str:
    """An error's message in one line, without TensorFlow's op decorations ({{function_node ...}}, [Op:...])."""
    text = str(getattr(exc, "message", "") or exc)
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:[^\]]*\].*", "", text, flags=re.DOTALL)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
