"""Which of the four learning-rate regimes a training-loss curve looks like.

The seed material's picture (loss against epochs for different learning rates):

* too small: the loss barely falls, or falls in a straight line with no sign of levelling off;
* good: the loss falls fast at first and then levels off smoothly;
* too big (but converging): the loss jumps up and down, or falls fast and then gets stuck at a high level;
* diverging: the loss becomes NaN/infinite or blows up.

The heuristics below look at the epoch-average training loss only. They assume a loss that is positive
with a floor near 0 (cross-entropy, mean squared error), judge relative changes, and are conservative: a
curve that fits no rule is "good". The thresholds are module constants so tests and docs can name them.
Rules are checked in this order (the first that matches wins):

1. diverging - a non-finite loss (for good: once NaN, a run never recovers), or the latest loss is at
   least ``EXPLODE_FACTOR`` times the best so far, or at least ``RISE_FACTOR`` times the first epoch's.
2. too big (worse than chance) - when the loss a uniform guess scores is known (crossentropy losses,
   see :mod:`tuitrain.analysis.chance`): after ``CHANCE_MIN_EPOCHS`` (3) epochs, the best loss so far is
   still at least ``CHANCE_FACTOR`` (2) times it. It needs no curve shape, so it is judged before the
   other rules (and before the overfitting flags, whose default ``min_epochs`` is 3 too): the "flat" rule
   would call a loss stuck far above chance a learning rate that is too small.
2a. unknown - fewer than ``MIN_EPOCHS`` epochs, or a first loss that is not positive.
3. too small (flat) - the best loss is less than ``FLAT_DROP`` (5%) below the first epoch's.
4. too big (noisy) - the loss jumped up by ``JUMP`` (10%) or more over the previous epoch in at least
   ``NOISY_MIN_JUMPS`` epochs and in at least ``NOISY_JUMP_SHARE`` (10%) of the epoch-to-epoch steps.
5. too big (stuck high) - at least ``PLATEAU_FAST`` (80%) of the whole fall happened in the first quarter
   of the epochs, the second half fell less than ``PLATEAU_FLAT`` (1%), and the best loss is still at least
   ``PLATEAU_HIGH`` (20%) of the first epoch's.
6. too small (straight line) - the loss has fallen less than ``LINEAR_MAX_DROP`` (50%) and, after
   ``LINEAR_MIN_EPOCHS`` epochs, falls in the second half at least ``LINEAR_RATIO`` (0.6) times as fast per
   epoch as in the first half. Before ``LINEAR_MIN_EPOCHS`` such a curve is still "unknown".
7. good - anything else.

Each update costs constant time: it reads a few stored points (first, middle, quarter, last) and counters.

:class:`StallTracker` separately notices a training loss that has not improved by ``STALL_IMPROVEMENT``
(0.1%) for a number of epochs: a stall, whatever the regime (a finished run stalls too).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from tuitrain.analysis._numbers import as_float, fmt

LrRegime = Literal["unknown", "too_small", "good", "too_big", "diverging"]

MIN_EPOCHS = 5
EXPLODE_FACTOR = 10.0
RISE_FACTOR = 2.0
FLAT_DROP = 0.05
JUMP = 0.10
NOISY_MIN_JUMPS = 2
NOISY_JUMP_SHARE = 0.10
PLATEAU_FAST = 0.8
PLATEAU_FLAT = 0.01
PLATEAU_HIGH = 0.2
LINEAR_MIN_EPOCHS = 10
LINEAR_MAX_DROP = 0.5
LINEAR_RATIO = 0.6
CHANCE_FACTOR = 2.0
CHANCE_MIN_EPOCHS = 3


@dataclass(frozen=True)
class LrRegimeReport:
    """The regime after ``epochs`` epochs, which rule decided it, one sentence, and the numbers behind it.

    ``rule`` is one of: "too_early", "non_finite", "exploded", "rose_above_start", "worse_than_chance",
    "flat", "noisy", "stuck_high", "straight_line", "levelling_off", "not_positive".
    """

    regime: LrRegime
    rule: str
    epochs: int
    reason: str
    values: Mapping[str, float] = field(default_factory=dict)


class LrRegimeTracker:
    """Classifies the training-loss curve after every epoch, in constant time per epoch.

    ``chance_loss``: what a uniform guess scores with this loss (:func:`tuitrain.analysis.chance.chance_loss`),
    or None when unknown (the "worse than chance" rule is then off).
    """

    def __init__(self, chance_loss: float | None = None) -> None:
        self._chance = (
            chance_loss if chance_loss is not None and math.isfinite(chance_loss) and chance_loss > 0 else None
        )
        self._epochs = 0
        self._losses: list[float] = []  # finite losses, epoch 1 first, until the first non-finite one
        self._non_finite: tuple[int, float] | None = None
        self._best = math.inf
        self._best_epoch = 0
        self._jumps = 0
        self._report = LrRegimeReport("unknown", "too_early", 0, _too_early(0))

    @property
    def report(self) -> LrRegimeReport:
        """The latest classification."""
        return self._report

    def update(self, loss: object) -> LrRegimeReport:
        """Feed the next epoch's training loss (a missing value counts as an epoch without information)."""
        self._epochs += 1
        value = as_float(loss)
        if self._non_finite is None and value is not None:
            if math.isfinite(value):
                if self._losses and value >= self._losses[-1] * (1.0 + JUMP) and self._losses[-1] > 0:
                    self._jumps += 1
                self._losses.append(value)
                if value < self._best:
                    self._best, self._best_epoch = value, self._epochs
            else:
                self._non_finite = (self._epochs, value)
        self._report = self._classify(value)
        return self._report

    def _classify(self, latest: float | None) -> LrRegimeReport:
        epochs = self._epochs
        if self._non_finite is not None:
            epoch, value = self._non_finite
            word = "NaN" if math.isnan(value) else "infinite"
            return LrRegimeReport(
                "diverging",
                "non_finite",
                epochs,
                f"Training loss became {word} at epoch {epoch}: training diverged; the learning rate is "
                "probably far too large.",
                {"epoch": float(epoch), "loss": value},
            )
        losses = self._losses
        n = len(losses)
        if n == 0:
            return LrRegimeReport("unknown", "too_early", epochs, _too_early(0))
        first, last = losses[0], losses[-1]
        if latest is not None and first > 0 and n >= 2:
            if last >= EXPLODE_FACTOR * self._best and self._best > 0:
                return LrRegimeReport(
                    "diverging",
                    "exploded",
                    epochs,
                    f"Training loss jumped to {fmt(last)} at epoch {epochs}, {last / self._best:.0f} times its "
                    f"best ({fmt(self._best)} at epoch {self._best_epoch}): training is diverging; lower the "
                    "learning rate.",
                    {
                        "loss": last,
                        "best_loss": self._best,
                        "best_epoch": float(self._best_epoch),
                        "factor": last / self._best,
                    },
                )
            if last >= RISE_FACTOR * first:
                return LrRegimeReport(
                    "diverging",
                    "rose_above_start",
                    epochs,
                    f"Training loss rose to {fmt(last)} at epoch {epochs}, {last / first:.1f} times its first "
                    f"epoch's ({fmt(first)}): training is diverging; lower the learning rate.",
                    {"loss": last, "first_loss": first, "factor": last / first},
                )
        if self._chance is not None and n >= CHANCE_MIN_EPOCHS and self._best >= CHANCE_FACTOR * self._chance:
            return LrRegimeReport(
                "too_big",
                "worse_than_chance",
                epochs,
                f"After {n} epochs the training loss is {fmt(last)} (best {fmt(self._best)}), "
                f"{self._best / self._chance:.0f} times what guessing scores ({fmt(self._chance)}): the model does "
                "worse than chance, so this is not overfitting; the learning rate is probably far too large (or "
                "the initial weights far too big).",
                {
                    "loss": last,
                    "best_loss": self._best,
                    "chance_loss": self._chance,
                    "factor": self._best / self._chance,
                },
            )
        if n < MIN_EPOCHS:
            return LrRegimeReport("unknown", "too_early", epochs, _too_early(n))
        if first <= 0:
            return LrRegimeReport(
                "unknown",
                "not_positive",
                epochs,
                f"The learning-rate check needs a positive training loss; this one starts at {fmt(first)}.",
                {"first_loss": first},
            )
        span = f"in {n} epochs"
        drop = (first - self._best) / first
        if drop < FLAT_DROP:
            return LrRegimeReport(
                "too_small",
                "flat",
                epochs,
                f"Training loss has hardly moved ({fmt(first)} -> {fmt(self._best)}, {100 * drop:.1f}% {span}): "
                "the learning rate looks too small (or the model is stuck).",
                {"first_loss": first, "best_loss": self._best, "drop": drop},
            )
        steps = n - 1
        if self._jumps >= NOISY_MIN_JUMPS and self._jumps >= NOISY_JUMP_SHARE * steps:
            return LrRegimeReport(
                "too_big",
                "noisy",
                epochs,
                f"Training loss jumped up by {100 * JUMP:.0f}% or more in {self._jumps} of {steps} epochs: "
                "the learning rate looks too large (it converges, but noisily).",
                {"jumps": float(self._jumps), "steps": float(steps)},
            )
        half = n // 2
        quarter = max(1, n // 4)
        fall = first - self._best
        fast_share = (first - losses[quarter]) / fall if fall > 0 else 0.0
        late_fall = (losses[half] - last) / losses[half] if losses[half] > 0 else 0.0
        if fast_share >= PLATEAU_FAST and late_fall < PLATEAU_FLAT and self._best >= PLATEAU_HIGH * first:
            return LrRegimeReport(
                "too_big",
                "stuck_high",
                epochs,
                f"Training loss fell fast ({fmt(first)} -> {fmt(losses[quarter])} by epoch {quarter + 1}) and "
                f"then stayed high ({fmt(last)} at epoch {n}): the learning rate may be too large (or the "
                "model too small).",
                {"first_loss": first, "quarter_loss": losses[quarter], "loss": last, "late_fall": late_fall},
            )
        if (first - last) / first < LINEAR_MAX_DROP:
            if n < LINEAR_MIN_EPOCHS:
                # A curve that has fallen less than half may still turn out to be a straight line.
                return LrRegimeReport(
                    "unknown",
                    "too_early",
                    epochs,
                    f"Too early to judge the learning rate: training loss fell {100 * (first - last) / first:.0f}% "
                    f"{span}; whether it is levelling off shows after {LINEAR_MIN_EPOCHS} epochs.",
                    {"first_loss": first, "loss": last},
                )
            early_slope = (first - losses[half]) / half
            late_slope = (losses[half] - last) / (n - 1 - half)
            if early_slope > 0 and late_slope >= LINEAR_RATIO * early_slope:
                return LrRegimeReport(
                    "too_small",
                    "straight_line",
                    epochs,
                    f"Training loss is still falling in a straight line ({fmt(first)} -> {fmt(last)} {span}, "
                    "no sign of levelling off): the learning rate looks too small.",
                    {"first_loss": first, "loss": last, "early_slope": early_slope, "late_slope": late_slope},
                )
        return LrRegimeReport(
            "good",
            "levelling_off",
            epochs,
            f"Training loss fell from {fmt(first)} to {fmt(self._best)} {span} without blowing up, "
            "stalling or jumping about: the learning rate looks reasonable.",
            {"first_loss": first, "best_loss": self._best},
        )


def _too_early(n: int) -> str:
    epochs = "1 epoch" if n == 1 else f"{n} epochs"
    return f"Too early to judge the learning rate ({epochs} of training loss; need {MIN_EPOCHS})."


def classify_lr_regime(losses: Iterable[object], chance_loss: float | None = None) -> LrRegimeReport:
    """The regime of a whole training-loss curve (epoch 1 first)."""
    tracker = LrRegimeTracker(chance_loss)
    for loss in losses:
        tracker.update(loss)
    return tracker.report


STALL_IMPROVEMENT = 1e-3
"""A training loss counts as improved only if it beats its best by this fraction (0.1%)."""


@dataclass(frozen=True)
class Stall:
    """Training loss has not improved by ``STALL_IMPROVEMENT`` for ``epochs`` epochs since ``best_epoch``."""

    epoch: int
    best_epoch: int
    best_loss: float
    epochs: int


class StallTracker:
    """Notices a training loss that stopped improving for ``patience`` epochs (constant work per epoch)."""

    def __init__(self, patience: int) -> None:
        self._patience = patience
        self._epoch = 0
        self._best: float | None = None
        self._best_epoch = 0
        self._new_best = False

    @property
    def new_best(self) -> bool:
        """Whether the latest epoch improved the training loss (by more than ``STALL_IMPROVEMENT``)."""
        return self._new_best

    def update(self, loss: object) -> Stall | None:
        """Feed the next epoch's training loss; return the stall if it holds now."""
        self._epoch += 1
        value = as_float(loss)
        self._new_best = False
        if value is None or not math.isfinite(value):
            return None
        if self._best is None or value < self._best - STALL_IMPROVEMENT * abs(self._best):
            self._best, self._best_epoch, self._new_best = value, self._epoch, True
            return None
        waited = self._epoch - self._best_epoch
        if waited >= self._patience:
            return Stall(self._epoch, self._best_epoch, self._best, waited)
        return None
