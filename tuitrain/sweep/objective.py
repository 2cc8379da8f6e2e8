"""A trial's objective: the metric at its best epoch under its early-stopping rule, never the last epoch.

The best epoch is the one :mod:`tuitrain.analysis.early_stopping` picks exactly as Keras' EarlyStopping
would (monitor, mode, min_delta, patience, baseline, start_from_epoch), whether or not the trial trained
with early stopping on: a trial that ran past the point where early stopping would have stopped is
judged at the epoch early stopping would have kept, not at a better epoch it only reached later, nor at
its last. The objective metric is read at that epoch (it may differ from the monitor: accuracy at the
epoch of lowest validation loss). Streaming (one epoch at a time, for pruning) and whole-history
results agree by construction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tuitrain.analysis import EarlyStoppingTracker
from tuitrain.spec.training import EarlyStoppingSpec


@dataclass(frozen=True)
class ObjectiveValue:
    """The objective's value and the (1-based) epoch it was read at."""

    value: float
    epoch: int


class ObjectiveTracker:
    """Follows a trial epoch by epoch: after each, the objective at the best epoch so far (or None)."""

    def __init__(self, metric: str, early_stopping: EarlyStoppingSpec) -> None:
        self.metric = metric
        self._tracker = EarlyStoppingTracker(early_stopping)
        self._values: list[float | None] = []

    def add_epoch(self, logs: Mapping[str, float]) -> ObjectiveValue | None:
        """Feed one epoch's logs; return the objective at the best epoch so far (None before one exists)."""
        value = logs.get(self.metric)
        self._values.append(float(value) if value is not None else None)
        self._tracker.update(logs.get(self._tracker.spec.monitor))
        return self.current

    @property
    def current(self) -> ObjectiveValue | None:
        """The objective at the best epoch of the epochs fed so far."""
        epoch = self._tracker.point.best_epoch
        if epoch is None:
            return None
        value = self._values[epoch - 1]
        if value is None or not math.isfinite(value):
            return None
        return ObjectiveValue(value, epoch)


def trial_objective(
    history: Iterable[Mapping[str, float]], metric: str, early_stopping: EarlyStoppingSpec
) -> ObjectiveValue | None:
    """The objective of a whole history (epoch 1 first); None when no epoch has a usable value."""
    tracker = ObjectiveTracker(metric, early_stopping)
    for logs in history:
        tracker.add_epoch(logs)
    return tracker.current
