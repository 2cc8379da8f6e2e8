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

0. An initial blow-up - when the loss a uniform guess scores is known (see :mod:`tuitrain.analysis.chance`):
   the first epochs whose training loss is at least ``BLOWUP_FACTOR`` (2) times it. They are set aside: the
   rules below that compare with "the first epoch" start after them, and the analysis neither takes them
   as a reference nor puts an overfitting onset there.
1. diverging - a non-finite loss (for good: once NaN, a run never recovers), or the latest loss is at
   least ``EXPLODE_FACTOR`` times the best so far, or at least ``RISE_FACTOR`` times the first epoch's (after
   any blow-up). A jump to ``EXPLODE_FACTOR`` times the best counts only when it is large in absolute terms
   too: at least ``EXPLODE_MIN_SCALE`` (half) of the loss's scale (what guessing scores when known, else the
   first epoch's loss). A training loss near zero that jumps from 0.0015 to 0.03 is noise, not divergence.
2. too big (worse than chance) - when the chance loss is known: after ``CHANCE_MIN_EPOCHS`` (3) epochs, the
   best loss so far is still at least ``CHANCE_FACTOR`` (2) times it. It needs no curve shape, so it is
   judged before the other rules (and before the overfitting flags, whose default ``min_epochs`` is 3 too):
   the "flat" rule would call a loss stuck far above chance a learning rate that is too small.
2b. too big (initial blow-up) - the run began with a blow-up (rule 0), whatever came after it.
2c. unknown - fewer than ``MIN_EPOCHS`` epochs, or a first loss that is not positive.
3. too small (flat) - the best loss is less than ``FLAT_DROP`` (5%) below the first epoch's.
4. too big (noisy) - the loss jumped up by ``JUMP`` (10%) or more over the previous epoch in at least
   ``NOISY_MIN_JUMPS`` epochs and in at least ``NOISY_JUMP_SHARE`` (10%) of the epoch-to-epoch steps. A jump
   counts only when it is at least ``JUMP_MIN_SCALE`` (2%) of the loss's scale: relative jumps of a loss
   near zero are noise. When the loss never got clearly below what guessing scores (``NEAR_GUESSING``), the
   sentence says so instead of "it converges".
4b. too big (spike) - once is enough when the loss jumped to at least ``SPIKE_FACTOR`` (3) times the epoch
   before, by at least ``SPIKE_MIN_SCALE`` (5%) of the loss's scale, and came back down: the steps are too
   large at times.
5. too big (stuck high) - at least ``PLATEAU_FAST`` (80%) of the whole fall happened in the first quarter
   of the epochs, the second half fell less than ``PLATEAU_FLAT`` (1%), and the best loss is still at least
   ``PLATEAU_HIGH`` (20%) of the first epoch's.
6. too small (straight line) - the loss has fallen less than ``LINEAR_MAX_DROP`` (50%) and, after
   ``LINEAR_MIN_EPOCHS`` epochs, falls in the second half at least ``LINEAR_RATIO`` (0.6) times as fast per
   epoch as in the first half. Before ``LINEAR_MIN_EPOCHS`` such a curve is still "unknown".
6b. too small (slow) - the same fall of less than half, after ``LINEAR_MIN_EPOCHS`` epochs, with the best
   loss still within ``SLOW_NEAR_GUESSING`` (25%) of what predicting the class balance scores and still
   falling over the last quarter of the epochs: after all that training the model has barely started.
7. good - anything else.

Each update costs constant time: it reads a few stored points (first, middle, quarter, last) and counters.

:class:`StallTracker` separately notices a training loss that has not improved by ``STALL_IMPROVEMENT``
(0.1%) for a number of epochs: a stall, whatever the regime (a finished run stalls too).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from tuitrain.analysis._numbers import as_float, fmt
from tuitrain.analysis.chance import Guessing

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
BLOWUP_FACTOR = 2.0
"""An epoch at the start whose training loss is at least this many times what a uniform guess scores is a
blow-up (as many times as "worse than chance" asks)."""
EXPLODE_MIN_SCALE = 0.5
"""A jump to ``EXPLODE_FACTOR`` times the best must also rise by this fraction of the loss's scale."""
JUMP_MIN_SCALE = 0.02
"""A jump counts towards "noisy" only when it rises by at least this fraction of the loss's scale."""
SPIKE_FACTOR = 3.0
SPIKE_MIN_SCALE = 0.05
"""A spike: the loss at least ``SPIKE_FACTOR`` times the epoch before, up by this fraction of its scale."""
SLOW_NEAR_GUESSING = 0.25
"""A loss still within this fraction of what guessing scores after ``LINEAR_MIN_EPOCHS`` epochs is slow."""
NEAR_GUESSING = 0.2
"""A loss within this fraction below what predicting the class balance scores is "near guessing"."""


@dataclass(frozen=True)
class LrRegimeReport:
    """The regime after ``epochs`` epochs, which rule decided it, one sentence, and the numbers behind it.

    ``rule`` is one of: "too_early", "non_finite", "exploded", "rose_above_start", "worse_than_chance",
    "initial_blowup", "flat", "noisy", "spike", "stuck_high", "straight_line", "slow", "levelling_off",
    "not_positive".
    ``blowup_epochs``: how many epochs at the start were a blow-up (rule 0).
    """

    regime: LrRegime
    rule: str
    epochs: int
    reason: str
    values: Mapping[str, float] = field(default_factory=dict)
    blowup_epochs: int = 0


class LrRegimeTracker:
    """Classifies the training-loss curve after every epoch, in constant time per epoch.

    ``guessing``: what guessing scores with this loss (:mod:`tuitrain.analysis.chance`), or None when
    unknown (the blow-up and "worse than chance" rules are then off, and jumps are judged against the
    first epoch's loss).
    """

    def __init__(self, guessing: Guessing | None = None) -> None:
        guessing = guessing or Guessing()
        self._chance = _positive(guessing.loss)
        self._prior = _positive(guessing.prior_loss)
        self._epochs = 0
        self._all_best = math.inf  # over every finite loss, blow-up epochs included
        self._blowup: list[tuple[int, float]] = []  # (epoch, loss) of the initial blow-up
        self._in_blowup = self._chance is not None
        self._losses: list[float] = []  # finite losses after the blow-up, until the first non-finite one
        self._non_finite: tuple[int, float] | None = None
        self._best = math.inf
        self._best_epoch = 0
        self._jumps = 0
        self._spike: tuple[int, float, float] | None = None  # (epoch, loss before, loss at the spike)
        self._report = LrRegimeReport("unknown", "too_early", 0, _too_early(0))

    @property
    def report(self) -> LrRegimeReport:
        """The latest classification."""
        return self._report

    @property
    def blowup_epochs(self) -> int:
        """How many epochs at the start were a blow-up (so far)."""
        return len(self._blowup)

    def in_blowup(self) -> bool:
        """Whether the latest epoch belongs to the initial blow-up (rule 0)."""
        return bool(self._blowup) and self._blowup[-1][0] == self._epochs

    def update(self, loss: object) -> LrRegimeReport:
        """Feed the next epoch's training loss (a missing value counts as an epoch without information)."""
        self._epochs += 1
        value = as_float(loss)
        if self._non_finite is None and value is not None:
            if not math.isfinite(value):
                self._non_finite = (self._epochs, value)
            else:
                self._all_best = min(self._all_best, value)
                if self._in_blowup and self._chance is not None and value >= BLOWUP_FACTOR * self._chance:
                    self._blowup.append((self._epochs, value))
                else:
                    self._in_blowup = False
                    self._add(value)
        self._report = dataclasses.replace(self._classify(value), blowup_epochs=len(self._blowup))
        return self._report

    def _add(self, value: float) -> None:
        if self._losses:
            previous = self._losses[-1]
            rise = value - previous
            if previous > 0 and value >= previous * (1.0 + JUMP) and rise >= JUMP_MIN_SCALE * self._scale():
                self._jumps += 1
            spike = previous > 0 and value >= SPIKE_FACTOR * previous and rise >= SPIKE_MIN_SCALE * self._scale()
            if spike and (self._spike is None or rise > self._spike[2] - self._spike[1]):
                self._spike = (self._epochs, previous, value)
        self._losses.append(value)
        if value < self._best:
            self._best, self._best_epoch = value, self._epochs

    def _scale(self) -> float:
        """What a loss's size is judged against: the chance loss, else the first epoch's loss."""
        if self._chance is not None:
            return self._chance
        return abs(self._losses[0]) if self._losses else 0.0

    def _near_guessing(self) -> bool:
        return self._prior is not None and self._best >= (1.0 - NEAR_GUESSING) * self._prior

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
        diverging = self._diverging(latest, epochs)
        if diverging is not None:
            return diverging
        seen = n + len(self._blowup)
        if self._chance is not None and seen >= CHANCE_MIN_EPOCHS and self._all_best >= CHANCE_FACTOR * self._chance:
            last = losses[-1] if losses else self._blowup[-1][1]
            return LrRegimeReport(
                "too_big",
                "worse_than_chance",
                epochs,
                f"After {seen} epochs the training loss is {fmt(last)} (best {fmt(self._all_best)}), "
                f"{self._all_best / self._chance:.0f} times what guessing scores ({fmt(self._chance)}): the model "
                "does worse than chance, so this is not overfitting; the learning rate is probably far too large "
                "(or the initial weights far too big).",
                {
                    "loss": last,
                    "best_loss": self._all_best,
                    "chance_loss": self._chance,
                    "factor": self._all_best / self._chance,
                },
            )
        if self._blowup and self._chance is not None:
            return self._blowup_report(epochs)
        if n == 0:
            return LrRegimeReport("unknown", "too_early", epochs, _too_early(0))
        if n < MIN_EPOCHS:
            return LrRegimeReport("unknown", "too_early", epochs, _too_early(n))
        first, last = losses[0], losses[-1]
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
            if self._near_guessing():
                outcome = (
                    f"and never got clearly below what guessing scores ({fmt(self._prior)}): the learning rate "
                    "looks too large (it does not converge)."
                )
            else:
                outcome = "the learning rate looks too large (it converges, but noisily)."
            return LrRegimeReport(
                "too_big",
                "noisy",
                epochs,
                f"Training loss jumped up by {100 * JUMP:.0f}% or more in {self._jumps} of {steps} epochs: {outcome}",
                {"jumps": float(self._jumps), "steps": float(steps)},
            )
        if self._spike is not None and last < self._spike[2]:
            epoch, before, peak = self._spike
            return LrRegimeReport(
                "too_big",
                "spike",
                epochs,
                f"Training loss spiked from {fmt(before)} to {fmt(peak)} at epoch {epoch} ({peak / before:.0f} times "
                "in one epoch) before coming back down: the learning rate looks too large (the steps overshoot at "
                "times).",
                {"epoch": float(epoch), "loss_before": before, "loss": peak},
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
            three_quarters = losses[n - 1 - quarter]
            near = self._prior is not None and self._best >= (1.0 - SLOW_NEAR_GUESSING) * self._prior
            if near and last < three_quarters:
                return LrRegimeReport(
                    "too_small",
                    "slow",
                    epochs,
                    f"Training loss is still falling but has only got from {fmt(first)} to {fmt(last)} {span}, "
                    f"close to what guessing scores ({fmt(self._prior)}): the learning rate looks too small.",
                    {"first_loss": first, "loss": last, "prior_loss": self._prior or 0.0},
                )
        return LrRegimeReport(
            "good",
            "levelling_off",
            epochs,
            f"Training loss fell from {fmt(first)} to {fmt(self._best)} {span} without blowing up, "
            "stalling or jumping about: the learning rate looks reasonable.",
            {"first_loss": first, "best_loss": self._best},
        )

    def _diverging(self, latest: float | None, epochs: int) -> LrRegimeReport | None:
        """Rule 1 after the blow-up: an explosion (large in relative and absolute terms) or a rise above the start."""
        losses = self._losses
        if latest is None or len(losses) < 2 or losses[0] <= 0 or self.in_blowup():
            return None
        first, last, best = losses[0], losses[-1], self._best
        if best > 0 and last >= EXPLODE_FACTOR * best and last - best >= EXPLODE_MIN_SCALE * self._scale():
            return LrRegimeReport(
                "diverging",
                "exploded",
                epochs,
                f"Training loss jumped to {fmt(last)} at epoch {epochs}, {last / best:.0f} times its "
                f"best ({fmt(best)} at epoch {self._best_epoch}): training is diverging; lower the "
                "learning rate.",
                {"loss": last, "best_loss": best, "best_epoch": float(self._best_epoch), "factor": last / best},
            )
        if last >= RISE_FACTOR * first:
            return LrRegimeReport(
                "diverging",
                "rose_above_start",
                epochs,
                f"Training loss rose to {fmt(last)} at epoch {epochs}, {last / first:.1f} times its first "
                f"epoch's ({fmt(first)}{' after the blow-up' if self._blowup else ''}): training is diverging; "
                "lower the learning rate.",
                {"loss": last, "first_loss": first, "factor": last / first},
            )
        return None

    def _blowup_report(self, epochs: int) -> LrRegimeReport:
        epoch, loss = max(self._blowup, key=lambda pair: pair[1])
        chance = self._chance or 1.0
        count = len(self._blowup)
        which = "epoch 1" if count == 1 else f"epochs 1-{count}"
        return LrRegimeReport(
            "too_big",
            "initial_blowup",
            epochs,
            f"Training loss blew up at the start ({fmt(loss)} in epoch {epoch}, {loss / chance:.0f} times what "
            f"guessing scores, {fmt(chance)}): the learning rate is too high; {which} are not counted as the "
            "start of the curve or as an overfitting onset.",
            {"loss": loss, "epoch": float(epoch), "chance_loss": chance, "blowup_epochs": float(count)},
        )


def _positive(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and value > 0 else None


def _too_early(n: int) -> str:
    epochs = "1 epoch" if n == 1 else f"{n} epochs"
    return f"Too early to judge the learning rate ({epochs} of training loss; need {MIN_EPOCHS})."


def classify_lr_regime(losses: Iterable[object], guessing: Guessing | None = None) -> LrRegimeReport:
    """The regime of a whole training-loss curve (epoch 1 first)."""
    tracker = LrRegimeTracker(guessing)
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

    @property
    def best_epoch(self) -> int:
        """The epoch of the best training loss so far (0 before any)."""
        return self._best_epoch

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
