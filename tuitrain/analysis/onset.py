"""When overfitting began, and how sure we are.

The onset is the last epoch of best validation loss - an epoch counts as a new best only if it beats the
previous best by more than ``min_delta``, as in Keras' early stopping - provided that after it the
validation loss got worse while the training loss still improved.

Confidence, judged after every epoch t with b the onset candidate, n = t - b epochs since it, and
``GL_b = 100 * (E_va(t) / E_va(b) - 1)`` (Prechelt's generalization loss against the best epoch):

* "too early to tell": fewer than ``min_epochs`` epochs so far;
* "none": the latest epoch is the best, validation is not worse than at b, or training has not improved
  since b (then it is not overfitting but something else: a stall, a learning rate too large);
* "possible": validation is worse than at b beyond the run's own noise, and training improved since b;
* "likely": that, with GL_b above ``gl_alpha`` (and the epoch beyond the noise on its own) in each of the
  last 2 epochs (one noisy spike is not enough);
* "clear": that, with GL_b now above twice ``gl_alpha`` and either GL_b above ``gl_alpha`` in each of the
  last 3 epochs or the validation loss rising at each of the last 3 epochs; or GL_b above ``gl_alpha`` in
  each of the last 3 epochs while Prechelt's PQ or UP criterion also held at a strip end since b.

The run's noise is how much its validation loss wobbles from one epoch to the next, measured before the
latest epoch: the median over the last ``NOISE_WINDOW`` epochs of half the absolute second difference
``|E_va(t) - 2 E_va(t-1) + E_va(t-2)| / 2`` (a straight trend contributes nothing). The best epoch's own value
is the lowest of many noisy draws, so rises are measured from the validation loss's floor instead: the
lowest value of its smoothed curve (TensorBoard's moving average) since b, but no more than ``FLOOR_NOISE``
(3) times the noise above E_va(b) (a smoothed curve that lags behind a steep fall would put it too high).
A rise is beyond the noise when the latest epoch is more than ``NOISE_FACTOR`` (3) times the noise above
the floor, or the smoothed curve is climbing and more than ``SMOOTHED_FACTOR`` (2) times it above the floor
(with the latest epoch above the floor too). "Likely" and "clear" count only epochs that are beyond it on
their own (the first way): one spike lifts the moving average for a few epochs after it. Anything less is
not called anything: a rise of 0.159 -> 0.162 on a curve that moves by that much every epoch, or a noisy
plateau whose best epoch was a lucky low, is not overfitting.

Evidence does not expire: the confidence reached since b is kept until a new best validation loss starts
a new episode (a single noisy dip does not take back "likely") - except "possible", the weakest call, which
is withdrawn once the validation loss comes back to within the noise of the floor (``RELEASE_FACTOR`` times
it): a lone spike that comes back down was not overfitting.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Literal

from tuitrain.analysis._numbers import as_float, fmt_pair, is_finite
from tuitrain.analysis.prechelt import PrecheltPoint
from tuitrain.analysis.smoothing import EmaSmoother
from tuitrain.spec.training import OverfittingSpec

Confidence = Literal["too early to tell", "none", "possible", "likely", "clear"]
_LEVELS: tuple[Confidence, ...] = ("none", "possible", "likely", "clear")

LIKELY_EPOCHS = 2
CLEAR_EPOCHS = 3
NOISE_WINDOW = 8
"""Epochs of second differences the run's noise is measured over."""
NOISE_FACTOR = 3.0
"""One epoch's rise since the best epoch counts when it exceeds this many times the run's noise."""
RELEASE_FACTOR = 1.0
"""A "possible" call is withdrawn when the validation loss is back within this many times the noise of its floor."""
FLOOR_NOISE = 3.0
"""The floor rises from comes at most this many times the run's noise above the best epoch's value."""
SMOOTHED_FACTOR = 2.0
"""A rise also counts when the smoothed validation loss is this many times the run's noise above its floor."""


@dataclass(frozen=True)
class Onset:
    """The overfitting call after ``epochs`` epochs.

    ``epoch``: the onset (last epoch of best validation loss), or None when there is none to report.
    ``best_epoch``/``best_val``: the best validation loss so far (by min_delta), whatever the confidence.
    ``latest_val``/``latest_val_epoch``: the latest finite validation loss since the best epoch.
    ``train_at_best``/``lowest_train``: training loss at the best epoch and its lowest value since.
    """

    epoch: int | None
    confidence: Confidence
    epochs: int
    min_epochs: int
    best_epoch: int | None = None
    best_val: float | None = None
    latest_val: float | None = None
    latest_val_epoch: int | None = None
    train_at_best: float | None = None
    lowest_train: float | None = None

    @property
    def level(self) -> int:
        """0 for "too early to tell"/"none", then 1, 2, 3 for possible, likely, clear."""
        return _LEVELS.index(self.confidence) if self.confidence in _LEVELS else 0

    def describe(self) -> str:
        """One sentence, e.g. "Overfitting since epoch 4: validation loss rose from 0.279 to 0.353 over 3
        epochs while training loss fell from 0.210 to 0.092."."""
        if self.confidence == "too early to tell":
            return f"Too early to tell whether the model overfits ({self.epochs} of {self.min_epochs} epochs needed)."
        if self.best_epoch is None:
            return "No validation loss to judge overfitting by."
        if self.epoch is None:
            if self.best_epoch == self.epochs:
                return "No sign of overfitting: validation loss is at its lowest now."
            lowest, at_best = self.lowest_train, self.train_at_best
            if lowest is not None and at_best is not None and lowest < at_best:
                return (
                    "No sign of overfitting: validation loss has not risen beyond its epoch-to-epoch noise since "
                    f"epoch {self.best_epoch}."
                )
            return (
                f"No sign of overfitting: training loss has not improved since epoch {self.best_epoch} either, "
                "so a worse validation loss is not overfitting."
            )
        head = {"possible": "Possibly overfitting", "likely": "Overfitting likely", "clear": "Overfitting"}
        span = (self.latest_val_epoch or self.epochs) - self.epoch
        epochs = "1 epoch" if span == 1 else f"{span} epochs"
        val_from, val_to = fmt_pair(self.best_val, self.latest_val)
        train_from, train_to = fmt_pair(self.train_at_best, self.lowest_train)
        return (
            f"{head[self.confidence]} since epoch {self.epoch}: validation loss rose from {val_from} to {val_to} "
            f"over {epochs} while training loss fell from {train_from} to {train_to}."
        )


class OnsetTracker:
    """Follows the overfitting onset one epoch at a time (constant work per epoch)."""

    def __init__(self, spec: OverfittingSpec, min_delta: float = 0.0) -> None:
        self._gl_alpha = spec.gl_alpha
        self._min_epochs = spec.min_epochs
        self._min_delta = abs(min_delta)
        self._epochs = 0
        self._best: float | None = None
        self._best_epoch: int | None = None
        self._train_at_best: float | None = None
        self._lowest_train = math.inf
        self._latest_val: float | None = None
        self._latest_val_epoch: int | None = None
        self._criteria_held = False
        self._level = 0
        self._above = 0  # consecutive latest epochs with GL_b above gl_alpha
        self._rising = 0  # consecutive latest epochs whose validation loss rose over the epoch before
        self._previous_val: float | None = None
        self._recent_vals: deque[float] = deque(maxlen=3)
        self._wobbles: deque[float] = deque(maxlen=NOISE_WINDOW)
        self._noise = 0.0
        self._smoother = EmaSmoother()
        self._last_smooth: float | None = None
        self._smooth_low = math.inf  # the lowest smoothed validation loss since the best epoch
        self._beyond_noise = False
        self._new_best = False
        self._onset = self._make()

    @property
    def noise(self) -> float:
        """The run's epoch-to-epoch noise of the validation loss, as measured before the latest epoch."""
        return self._noise

    @property
    def beyond_noise(self) -> bool:
        """Whether the latest epoch's validation loss is above the best beyond the run's noise (see above)."""
        return self._beyond_noise

    @property
    def new_best(self) -> bool:
        """Whether the latest epoch set a new best validation loss (starting a new episode)."""
        return self._new_best

    @property
    def best_epoch(self) -> int | None:
        """The epoch of the best validation loss so far (by min_delta)."""
        return self._best_epoch

    @property
    def onset(self) -> Onset:
        """The call after the epochs fed so far."""
        return self._onset

    def update(self, train: object, val: object, prechelt: PrecheltPoint | None = None) -> Onset:
        """Feed the next epoch's training and validation loss (and Prechelt's criteria at that epoch)."""
        self._epochs += 1
        t = self._epochs
        e_tr, e_va = as_float(train), as_float(val)
        self._noise = statistics.median(self._wobbles) if self._wobbles else 0.0
        smooth = self._smoother.update(e_va) if is_finite(e_va) else None
        previous_smooth = self._last_smooth
        if smooth is not None:
            self._last_smooth = smooth
        self._new_best = is_finite(e_va) and (self._best is None or e_va < self._best - self._min_delta)
        if self._new_best:
            self._best, self._best_epoch, self._train_at_best = e_va, t, e_tr
            self._lowest_train = math.inf
            self._latest_val, self._latest_val_epoch = e_va, t
            self._criteria_held = False
            self._level = 0
            self._above = 0
            self._rising = 0
            self._smooth_low = smooth if smooth is not None else math.inf
            self._beyond_noise = False
        elif self._best_epoch is not None:
            if is_finite(e_tr):
                self._lowest_train = min(self._lowest_train, e_tr)
            if is_finite(e_va):
                self._latest_val, self._latest_val_epoch = e_va, t
            if prechelt is not None and (prechelt.pq_exceeded or prechelt.up_exceeded):
                self._criteria_held = True
            if smooth is not None:
                self._smooth_low = min(self._smooth_low, smooth)
            floor = min(self._smooth_low, self._best + FLOOR_NOISE * self._noise)
            rise = e_va - floor if is_finite(e_va) else -math.inf
            smooth_rise = smooth - floor if smooth is not None else -math.inf
            alone = rise > NOISE_FACTOR * self._noise
            # The smoothed curve counts only while it climbs: coming down from a steep fall it lags above.
            climbing = smooth is not None and previous_smooth is not None and smooth > previous_smooth
            trend = climbing and rise > 0 and smooth_rise > SMOOTHED_FACTOR * self._noise
            self._beyond_noise = alone or trend
            threshold = self._best * (1 + self._gl_alpha / 100) if self._best is not None else math.inf
            above = is_finite(e_va) and e_va > threshold and alone
            self._above = self._above + 1 if above else 0
            previous = self._previous_val if self._previous_val is not None else math.inf
            self._rising = self._rising + 1 if is_finite(e_va) and e_va > previous else 0
            # "likely" and "clear" are kept; "possible" until the loss is back within the noise of the best.
            possible = _LEVELS.index("possible")
            kept = self._level if self._level > possible else 0
            if self._level == possible and rise > RELEASE_FACTOR * self._noise:
                kept = possible
            self._level = max(kept, self._level_now(e_va))
        self._previous_val = e_va if is_finite(e_va) else None
        self._track_noise(e_va)
        self._onset = self._make()
        return self._onset

    def _track_noise(self, e_va: float | None) -> None:
        if not is_finite(e_va):
            return
        self._recent_vals.append(e_va)
        if len(self._recent_vals) == 3:
            a, b, c = self._recent_vals
            self._wobbles.append(abs(c - 2 * b + a) / 2)

    def _level_now(self, e_va: float | None) -> int:
        best, train_at_best = self._best, self._train_at_best
        if best is None or best <= 0 or not is_finite(e_va) or not is_finite(train_at_best):
            return 0
        if not (self._beyond_noise and self._lowest_train < train_at_best):
            return 0
        gl = 100.0 * (e_va / best - 1.0)
        alpha = self._gl_alpha
        sustained = self._above >= CLEAR_EPOCHS
        if gl > 2 * alpha and (sustained or self._rising >= CLEAR_EPOCHS):
            return 3
        if self._above < LIKELY_EPOCHS:
            return 1
        if sustained and self._criteria_held:
            return 3
        return 2

    def _make(self) -> Onset:
        too_early = self._epochs < self._min_epochs
        confidence: Confidence = "too early to tell" if too_early else _LEVELS[self._level]
        return Onset(
            epoch=self._best_epoch if (not too_early and self._level > 0) else None,
            confidence=confidence,
            epochs=self._epochs,
            min_epochs=self._min_epochs,
            best_epoch=self._best_epoch,
            best_val=self._best,
            latest_val=self._latest_val,
            latest_val_epoch=self._latest_val_epoch,
            train_at_best=self._train_at_best,
            lowest_train=None if math.isinf(self._lowest_train) else self._lowest_train,
        )
