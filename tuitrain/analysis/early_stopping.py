"""Where ``keras.callbacks.EarlyStopping`` stops, and whose weights the model ends with.

This mirrors the Keras 3 callback (``keras/src/callbacks/early_stopping.py`` and ``monitor_callback.py``)
decision for decision, so the dashboard can say "would have stopped at 7, keeping epoch 4" for a run
trained without early stopping, and the same numbers for a run trained with it:

* An epoch whose monitored value is missing, or that comes before ``start_from_epoch``, is skipped.
* Every other epoch adds one to ``wait``. An improvement over the best value so far (by more than
  ``min_delta``) becomes the new best; it resets ``wait`` only if it also beats ``baseline`` (when set).
  An epoch that does not improve stops training once ``wait >= patience``.
* Values are compared as float32, like Keras' ``ops.less``/``ops.greater`` do (with the denormals that
  TensorFlow's CPU kernels flush to zero treated as zero), and NaN never improves on anything - but a NaN
  as the very first monitored value becomes the "best", after which nothing improves.
* With ``restore_best_weights``, Keras 3 restores the best epoch's weights at the end of training whether
  or not it stopped early, as soon as at least one epoch was monitored (``on_train_end``). Without it, or
  with no monitored epoch, the model keeps the weights of the last epoch trained.

Epoch numbers here are 1-based (epoch 1 is the first), as the dashboard and Keras' progress bar count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from tuitrain.analysis._numbers import as_float, fmt, to_float32
from tuitrain.spec.training import EarlyStoppingSpec, ReduceLROnPlateauSpec

Direction = Literal["min", "max"]

# Metric names whose Keras metric object has ``_direction == "up"`` (higher is better): the default names of
# Keras' built-in metrics plus the short strings Keras accepts in ``compile(metrics=[...])`` ("acc").
# Keras 3 resolves mode "auto" by looking the name up in the compiled model's metrics; without a model we
# look it up here.
HIGHER_IS_BETTER = frozenset(
    {
        "accuracy",
        "acc",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "precision",
        "recall",
        "auc",
        "prc",
        "f1_score",
        "fbeta_score",
        "r2_score",
        "precision_at_recall",
        "recall_at_precision",
        "sensitivity_at_specificity",
        "specificity_at_sensitivity",
        "iou",
        "mean_iou",
        "binary_iou",
        "one_hot_iou",
        "one_hot_mean_iou",
        "cosine_similarity",
        "pearson_correlation",
        "concordance_correlation",
    }
)


def resolve_mode(monitor: str, mode: str) -> Direction:
    """The direction ``mode`` means for ``monitor``: "min" (lower is better) or "max".

    "auto" follows Keras 3: strip one ``val_`` prefix; "loss" is minimised; a metric whose Keras object
    points "up" (accuracy, precision, recall, auc, ...) is maximised. Keras raises for a name it cannot
    place; we minimise it instead, as the spec documents, so the engine should hand Keras the resolved mode.
    """
    if mode == "min" or mode == "max":
        return mode
    if mode != "auto":
        raise ValueError(f"early stopping mode must be 'auto', 'min' or 'max', got {mode!r}")
    name = monitor.removeprefix("val_")
    if name == "loss":
        return "min"
    return "max" if name in HIGHER_IS_BETTER else "min"


def keras_early_stopping_arguments(spec: EarlyStoppingSpec) -> dict[str, Any]:
    """The arguments of ``keras.callbacks.EarlyStopping`` for ``spec``, its mode resolved as above.

    One source for the trainer's callback and an exported script's, so both stop alike.
    """
    return {
        "monitor": spec.monitor,
        "mode": resolve_mode(spec.monitor, spec.mode),
        "min_delta": spec.min_delta,
        "patience": spec.patience,
        "baseline": spec.baseline,
        "start_from_epoch": spec.start_from_epoch,
        "restore_best_weights": spec.restore_best_weights,
    }


def keras_plateau_arguments(spec: ReduceLROnPlateauSpec) -> dict[str, Any]:
    """The arguments of ``keras.callbacks.ReduceLROnPlateau`` for ``spec`` (mode resolved as above)."""
    return {
        "monitor": spec.monitor,
        "mode": resolve_mode(spec.monitor, spec.mode),
        "factor": spec.factor,
        "patience": spec.patience,
        "min_delta": spec.min_delta,
        "cooldown": spec.cooldown,
        "min_lr": spec.min_lr,
    }


@dataclass(frozen=True)
class EarlyStoppingPoint:
    """What early stopping decided (or would decide) after the epochs seen so far.

    ``stop_epoch``: the epoch after which Keras sets ``stop_training`` (None while patience lasts).
    ``best_epoch``: the best epoch by Keras' rules (min_delta, start_from_epoch; None before any monitored
    epoch). ``kept_epoch``: whose weights the model ends with (or would, if training ended now).
    ``would_stop``: True when early stopping is off in the spec, so the point is hypothetical.
    """

    stop_epoch: int | None
    best_epoch: int | None
    kept_epoch: int | None
    would_stop: bool
    monitor: str = "val_loss"
    mode: Direction = "min"
    patience: int = 0
    best_value: float | None = None
    epochs: int = 0
    restore_best_weights: bool = False

    @property
    def stopped(self) -> bool:
        """True once patience ran out (training stopped, or would have)."""
        return self.stop_epoch is not None

    def describe(self) -> str:
        """One sentence for a learner, e.g. "Early stopping (patience 2) would stop at epoch 6 and keep
        epoch 4's weights (val_loss 0.279)."."""
        head = f"Early stopping (patience {self.patience})"
        if self.best_epoch is None:
            return f"{head} has no {self.monitor} values to watch yet."
        kept = f"epoch {self.kept_epoch}'s weights"
        if self.kept_epoch == self.best_epoch and self.best_value is not None:
            kept += f" ({self.monitor} {fmt(self.best_value)})"
        if self.stop_epoch is not None:
            if self.would_stop:
                return f"{head} would stop at epoch {self.stop_epoch} and keep {kept}."
            return f"{head} stopped training at epoch {self.stop_epoch} and kept {kept}."
        epochs = "1 epoch" if self.epochs == 1 else f"{self.epochs} epochs"
        if self.would_stop:
            return f"{head} would not have stopped in {epochs}; it would keep {kept}."
        return f"{head} has not stopped training in {epochs}; it will keep {kept}."


class EarlyStoppingTracker:
    """``keras.callbacks.EarlyStopping``'s state machine, fed one monitored value per epoch.

    After the epoch at which training stops, further values change nothing: in a real run there are no
    more epochs, and for a run without early stopping the point says where it would have stopped.
    """

    def __init__(self, spec: EarlyStoppingSpec) -> None:
        self._spec = spec
        self._mode: Direction = resolve_mode(spec.monitor, spec.mode)
        # Keras keeps min_delta negative in "min" mode and compares ``value - min_delta`` with the reference.
        delta = abs(spec.min_delta)
        self._delta = -delta if self._mode == "min" else delta
        self._epochs = 0
        self._wait = 0
        self._best: float | None = None
        self._best_epoch: int | None = None  # 0-based, like Keras
        self._stopped_epoch: int | None = None  # 0-based
        self._has_best_weights = False

    @property
    def spec(self) -> EarlyStoppingSpec:
        """The settings this tracker follows."""
        return self._spec

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        candidate = to_float32(value - self._delta)
        ref = to_float32(reference)
        if self._mode == "min":
            return candidate < ref
        return candidate > ref

    def update(self, value: object) -> EarlyStoppingPoint:
        """Feed the monitored value of the next epoch (None or a missing value skips it, as Keras does)."""
        epoch = self._epochs  # 0-based index of this epoch, as Keras passes it
        self._epochs += 1
        current = as_float(value)
        if self._stopped_epoch is not None or current is None or epoch < self._spec.start_from_epoch:
            return self.point
        if self._spec.restore_best_weights and not self._has_best_weights:
            self._has_best_weights = True
            self._best_epoch = epoch
        self._wait += 1
        if self._is_improvement(current, self._best):
            self._best = current
            self._best_epoch = epoch
            baseline = self._spec.baseline
            if baseline is None or self._is_improvement(current, baseline):
                self._wait = 0
            return self.point
        if self._wait >= self._spec.patience and epoch > 0:
            self._stopped_epoch = epoch
        return self.point

    @property
    def point(self) -> EarlyStoppingPoint:
        """The decision after the epochs fed so far."""
        best_epoch = None if self._best_epoch is None else self._best_epoch + 1
        stop_epoch = None if self._stopped_epoch is None else self._stopped_epoch + 1
        if self._spec.restore_best_weights and self._has_best_weights:
            kept: int | None = best_epoch
        elif stop_epoch is not None:
            kept = stop_epoch
        else:
            kept = self._epochs or None
        return EarlyStoppingPoint(
            stop_epoch=stop_epoch,
            best_epoch=best_epoch,
            kept_epoch=kept,
            would_stop=not self._spec.enabled,
            monitor=self._spec.monitor,
            mode=self._mode,
            patience=self._spec.patience,
            best_value=self._best,
            epochs=self._epochs,
            restore_best_weights=self._spec.restore_best_weights,
        )


def early_stopping_point(values: Iterable[object], spec: EarlyStoppingSpec) -> EarlyStoppingPoint:
    """The early-stopping decision for a whole series of monitored values (epoch 1 first; None = missing)."""
    tracker = EarlyStoppingTracker(spec)
    point = tracker.point
    for value in values:
        point = tracker.update(value)
    return point
