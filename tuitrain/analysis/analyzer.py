"""The analysis of a run's history, one epoch at a time (as it streams) or all at once (the same thing).

:class:`StreamingAnalyzer` takes one epoch's Keras logs at a time and returns the flags that epoch raised;
:func:`analyze` feeds a whole history through a fresh analyzer, so online and offline results are equal
by construction, at every epoch.

What guessing scores (:class:`~tuitrain.analysis.chance.Guessing`: the chance loss, the loss of predicting
the validation labels' class balance, the majority class's accuracy) decides three things before any
overfitting rule runs:

* An initial blow-up (the first epochs' training loss at least twice the chance loss, see
  :mod:`tuitrain.analysis.lr_regime`) is its own finding, "the learning rate is too high". Those epochs are
  fed to early stopping and the lowest-validation-loss bookkeeping (they happened), but not to Prechelt's
  criteria, the onset, the stall check, the smoothed signs or the noise estimate: they are neither a
  reference for later rules nor a possible onset.
* A training loss far above what guessing scores (worse than chance) is a learning-rate problem.
* A model that has not learned (loss near what guessing scores and accuracy near the majority class's, on
  the smoothed curves; :func:`~tuitrain.analysis.chance.not_learned`) is not overfitting, whatever its
  validation curve does.

While either of the last two holds, no overfitting flag (nor the falling-validation-accuracy sign) is
raised and the onset is reported as "none".

Flags are raised once, when a criterion first holds. A criterion about overfitting (GL, PQ, UP, the
validation-loss and gap signs, the onset) may flag again only after a new best validation loss has
re-armed it: the model got better again, so a new bout of overfitting is news. The validation-accuracy
sign re-arms on a new best validation accuracy, "stalled" when the training loss improves again; the
others (divergence, explosion, learning-rate regimes, not learned, early stopping) flag at most once per
run. Overfitting flags wait for ``min_epochs`` epochs and for a finite validation loss, and GL and PQ wait
for a rise above the run's own epoch-to-epoch noise (see :mod:`tuitrain.analysis.onset`).

Flags are a log of what was noticed when. :attr:`AnalysisResult.standing_flags` are those the analysis
still holds after the latest epoch (an overfitting flag from before a new best validation loss, a "too
large" learning rate that settled, a stall that ended, are withdrawn): what a final summary lists.

Work per epoch is constant for a given strip length: every tracker keeps running state, and no step
re-reads the history. :meth:`StreamingAnalyzer.result` copies the per-epoch series (linear in epochs,
but only when asked for).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tuitrain.analysis import flags as criteria
from tuitrain.analysis._numbers import as_float, fmt, fmt_pair, is_finite, json_float
from tuitrain.analysis.chance import Guessing, NotLearned, not_learned
from tuitrain.analysis.early_stopping import EarlyStoppingPoint, EarlyStoppingTracker
from tuitrain.analysis.flags import Flag, Severity
from tuitrain.analysis.lr_regime import MIN_EPOCHS as LR_MIN_EPOCHS
from tuitrain.analysis.lr_regime import LrRegimeReport, LrRegimeTracker, StallTracker
from tuitrain.analysis.onset import Confidence, Onset, OnsetTracker
from tuitrain.analysis.prechelt import PrecheltPoint, PrecheltSeries, PrecheltTracker
from tuitrain.analysis.signs import ACCURACY_MIN_FALL, LOSS_MIN_RISE, SIGN_EPOCHS, Sign, TrendSign
from tuitrain.analysis.smoothing import DEFAULT_WEIGHT, EmaSmoother
from tuitrain.spec.training import EarlyStoppingSpec, OverfittingSpec

_OVERFITTING = (
    criteria.GL,
    criteria.PQ,
    criteria.UP,
    criteria.VAL_LOSS_RISING,
    criteria.GAP_WIDENING,
    criteria.OVERFITTING_ONSET,
)
_GAP_KEY = "generalization_gap"
NOT_LEARNED_MIN_EPOCHS = LR_MIN_EPOCHS
"""The "has not learned" flag waits this many epochs (a model near guessing after one epoch is normal)."""


@dataclass(frozen=True)
class AnalysisResult:
    """Everything the analysis knows after ``epochs`` epochs.

    Series are tuples indexed by epoch - 1; a missing value is None. ``raw`` holds every numeric log key
    as received plus "generalization_gap" (validation minus training value of the overfitting monitor);
    ``smoothed`` the same keys smoothed with TensorBoard's debiased moving average.

    ``best_val_loss``/``best_val_loss_epoch`` are the lowest validation loss and its epoch, over every
    epoch (what ``runs list`` shows); the early-stopping point has its own best epoch (Keras' rules:
    min_delta, patience), and the onset its own (after any blow-up, by min_delta). ``flags`` is every flag
    raised so far; ``standing_flags`` those the analysis still holds now. ``not_learned`` is set while the
    model does no better than guessing.
    """

    epochs: int
    early_stopping: EarlyStoppingPoint
    onset: Onset
    best_val_loss_epoch: int | None
    best_val_loss: float | None
    best_val_accuracy_epoch: int | None
    best_val_accuracy: float | None
    prechelt: PrecheltSeries
    lr_regime: LrRegimeReport
    flags: tuple[Flag, ...]
    raw: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    smoothed: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    not_learned: NotLearned | None = None
    standing_flags: tuple[Flag, ...] = ()

    @property
    def onset_epoch(self) -> int | None:
        """The epoch overfitting began (the last epoch of best validation loss), if there is one."""
        return self.onset.epoch

    @property
    def onset_confidence(self) -> Confidence:
        """One of "too early to tell", "none", "possible", "likely" and "clear"."""
        return self.onset.confidence

    def summary(self) -> str:
        """A few sentences for a learner: what went wrong first (NaN, worse than chance, not learned) or the
        overfitting call; the lowest validation loss; early stopping; the learning rate if it is off.

        Each "best" is said once, by its own name: the lowest validation loss with its epoch, and where early
        stopping stops (or would) with the epoch whose weights it keeps.
        """
        lr = self.lr_regime
        lr_said = False
        if lr.rule == "non_finite":
            # Overfitting is beside the point once the loss is NaN: say that first and only.
            return " ".join([lr.reason, self.early_stopping.describe()])
        sentences: list[str] = []
        if lr.rule == "worse_than_chance":
            sentences.append(lr.reason)
            lr_said = True
        elif self.not_learned is not None:
            sentences.append(self.not_learned.describe(self.epochs))
        elif not (lr.blowup_epochs and self.onset.best_epoch is None):
            sentences.append(self.onset.describe())
        lowest = self._lowest_sentence()
        if lowest:
            sentences.append(lowest)
        sentences.append(self.early_stopping.describe())
        if lr.regime in ("too_small", "too_big", "diverging") and not lr_said:
            sentences.append(lr.reason)
        return " ".join(sentences)

    def _lowest_sentence(self) -> str:
        if self.best_val_loss_epoch is None or self.best_val_loss is None:
            return ""
        epoch = self.best_val_loss_epoch
        extras = []
        for key, series in self.raw.items():
            if key.startswith("val_") and key != "val_loss" and len(series) >= epoch and series[epoch - 1] is not None:
                extras.append(f"{key} {fmt(series[epoch - 1])}")
        shown = f" ({', '.join(extras)})" if extras else ""
        when = " (the latest)" if epoch == self.epochs else ""
        return f"Lowest validation loss: {fmt(self.best_val_loss)} at epoch {epoch}{when}{shown}."

    def to_dict(self) -> dict[str, Any]:
        """A strict-JSON-safe dict of the whole result (non-finite numbers as strings)."""
        es = self.early_stopping
        onset = self.onset
        return {
            "epochs": self.epochs,
            "early_stopping": {
                "stop_epoch": es.stop_epoch,
                "best_epoch": es.best_epoch,
                "kept_epoch": es.kept_epoch,
                "would_stop": es.would_stop,
                "monitor": es.monitor,
                "mode": es.mode,
                "patience": es.patience,
                "best_value": _json_opt(es.best_value),
                "description": es.describe(),
            },
            "onset": {
                "epoch": onset.epoch,
                "confidence": onset.confidence,
                "best_epoch": onset.best_epoch,
                "best_val": _json_opt(onset.best_val),
                "latest_val": _json_opt(onset.latest_val),
                "train_at_best": _json_opt(onset.train_at_best),
                "lowest_train": _json_opt(onset.lowest_train),
                "description": onset.describe(),
            },
            "best_val_loss_epoch": self.best_val_loss_epoch,
            "best_val_loss": _json_opt(self.best_val_loss),
            "best_val_accuracy_epoch": self.best_val_accuracy_epoch,
            "best_val_accuracy": _json_opt(self.best_val_accuracy),
            "prechelt": {
                "gl": _json_series(self.prechelt.gl),
                "progress": _json_series(self.prechelt.progress),
                "pq": _json_series(self.prechelt.pq),
                "up": list(self.prechelt.up),
                "strip_end": list(self.prechelt.strip_end),
                "gl_first": self.prechelt.gl_first,
                "pq_first": self.prechelt.pq_first,
                "up_first": self.prechelt.up_first,
            },
            "lr_regime": {
                "regime": self.lr_regime.regime,
                "rule": self.lr_regime.rule,
                "reason": self.lr_regime.reason,
                "values": {k: json_float(v) for k, v in self.lr_regime.values.items()},
                "blowup_epochs": self.lr_regime.blowup_epochs,
            },
            "flags": [flag.to_dict() for flag in self.flags],
            "standing_flags": [flag.to_dict() for flag in self.standing_flags],
            "not_learned": None
            if self.not_learned is None
            else {k: json_float(v) for k, v in self.not_learned.values().items()},
            "raw": {key: _json_series(series) for key, series in self.raw.items()},
            "smoothed": {key: _json_series(series) for key, series in self.smoothed.items()},
            "summary": self.summary(),
        }


def _json_opt(value: float | None) -> float | str | None:
    return None if value is None else json_float(value)


def _json_series(series: Iterable[float | None]) -> list[float | str | None]:
    return [_json_opt(v) for v in series]


class StreamingAnalyzer:
    """Analyses a history one epoch at a time; see the module docstring for the rules.

    ``guessing``: what guessing scores on this run (:func:`tuitrain.analysis.chance.experiment_guessing`),
    or None when unknown (the blow-up, worse-than-chance and not-learned rules are then off).
    """

    def __init__(
        self,
        early_stopping: EarlyStoppingSpec | None = None,
        overfitting: OverfittingSpec | None = None,
        *,
        smoothing: float = DEFAULT_WEIGHT,
        guessing: Guessing | None = None,
    ) -> None:
        self._es_spec = early_stopping or EarlyStoppingSpec()
        self._of_spec = overfitting or OverfittingSpec()
        self._guessing = guessing or Guessing()
        self._val_key = self._of_spec.monitor
        self._train_key = self._val_key.removeprefix("val_")
        # min_delta refines "best validation loss" only when early stopping watches the same metric;
        # a min_delta meant for an accuracy would be meaningless on a loss.
        min_delta = self._es_spec.min_delta if self._es_spec.monitor == self._val_key else 0.0
        self._smoothing = smoothing
        self._es = EarlyStoppingTracker(self._es_spec)
        self._prechelt = PrecheltTracker(self._of_spec)
        self._onset = OnsetTracker(self._of_spec, min_delta)
        self._lr = LrRegimeTracker(self._guessing)
        self._stall = StallTracker(self._of_spec.strip_length)
        self._loss_rising = TrendSign(bad_is_up=True)
        self._gap_widening = TrendSign(bad_is_up=True)
        self._acc_falling = TrendSign(bad_is_up=False)
        self._smoothers: dict[str, EmaSmoother] = {}
        self._trend_smoothers: dict[str, EmaSmoother] = {}  # the same, fed only after a blow-up
        self._raw: dict[str, list[float | None]] = {}
        self._smoothed: dict[str, list[float | None]] = {}
        self._epochs = 0
        self._flags: list[Flag] = []
        self._armed = dict.fromkeys(criteria.CRITERIA, True)
        self._best_val_loss: tuple[int, float] | None = None
        self._best_val_acc: tuple[int, float] | None = None
        self._not_learned: NotLearned | None = None

    @property
    def epochs(self) -> int:
        """Epochs analysed so far."""
        return self._epochs

    @property
    def flags(self) -> tuple[Flag, ...]:
        """Every flag raised so far, in order."""
        return tuple(self._flags)

    @property
    def state(self) -> AnalysisResult:
        """The same as :meth:`result`."""
        return self.result()

    def add_epoch(self, logs: Mapping[str, object]) -> list[Flag]:
        """Analyse the next epoch's logs (Keras names: loss, val_loss, accuracy, ...); return its new flags."""
        self._epochs += 1
        t = self._epochs
        values = {str(k): v for k, v in ((k, as_float(v)) for k, v in logs.items()) if v is not None}
        self._record(t, values)

        es_point = self._es.update(values.get(self._es_spec.monitor))
        regime = self._lr.update(values.get("loss"))
        # A blow-up epoch happened (early stopping and the lowest values count it) but is no reference.
        blowup = self._lr.in_blowup()
        kept = {} if blowup else values
        trend = {} if blowup else self._smooth(self._trend_smoothers, kept)
        train, val = kept.get(self._train_key), kept.get(self._val_key)
        prechelt = self._prechelt.update(train, val)
        onset = self._onset.update(train, val, prechelt)
        stall = self._stall.update(kept.get("loss"))
        acc_key = "accuracy" if "val_accuracy" in values else "acc"
        self._track_bests(t, values.get("val_loss"), values.get(f"val_{acc_key}"))
        new_best_acc = self._best_val_acc is not None and self._best_val_acc[0] == t
        if not blowup:
            self._not_learned = not_learned(
                self._guessing,
                loss=trend.get("loss"),
                val_loss=trend.get("val_loss"),
                accuracy=trend.get(acc_key),
                val_accuracy=trend.get(f"val_{acc_key}"),
                accuracy_key=f"val_{acc_key}",
            )

        if self._onset.new_best:
            for name in _OVERFITTING:
                self._armed[name] = True
        if new_best_acc:
            self._armed[criteria.VAL_ACCURACY_FALLING] = True
        if self._stall.new_best:
            self._armed[criteria.STALLED] = True

        best_epoch = self._onset.best_epoch
        smooth_val = trend.get(self._val_key)
        loss_step = LOSS_MIN_RISE * abs(smooth_val) if smooth_val is not None and is_finite(smooth_val) else 0.0
        loss_sign = self._loss_rising.update(
            t, smooth_val, trend.get(self._train_key), best_epoch, needs_partner=True, min_change=loss_step
        )
        gap_sign = self._gap_widening.update(
            t, trend.get(_GAP_KEY), None, best_epoch, needs_partner=False, min_change=loss_step
        )
        acc_best = self._best_val_acc[0] if self._best_val_acc else None
        acc_sign = self._acc_falling.update(
            t,
            trend.get(f"val_{acc_key}"),
            trend.get(acc_key),
            acc_best,
            needs_partner=True,
            min_change=ACCURACY_MIN_FALL,
            partner_min_change=ACCURACY_MIN_FALL,
        )

        new: list[Flag] = []
        self._divergence_flags(t, regime, new)
        judged = t >= self._of_spec.min_epochs and not blowup and not self._beside_the_point()
        if judged and is_finite(val):
            self._overfitting_flags(t, val, prechelt, loss_sign, gap_sign, onset, new)
        if acc_sign is not None and judged:
            self._raise(
                new, t, criteria.VAL_ACCURACY_FALLING, "warning", _acc_message(acc_sign), _sign_values(acc_sign)
            )
        if self._not_learned is not None and t >= NOT_LEARNED_MIN_EPOCHS:
            self._raise(
                new, t, criteria.NOT_LEARNED, "warning", self._not_learned.describe(t), self._not_learned.values()
            )
        if es_point.stop_epoch == t:
            self._raise(new, t, criteria.EARLY_STOPPING, "info", es_point.describe(), _es_values(es_point))
        if stall is not None:
            self._raise(
                new,
                t,
                criteria.STALLED,
                "info",
                f"Training loss has not improved for {stall.epochs} epochs (best {fmt(stall.best_loss)} at epoch "
                f"{stall.best_epoch}): training has stalled.",
                {"best_loss": stall.best_loss, "best_epoch": float(stall.best_epoch), "epochs": float(stall.epochs)},
            )
        if regime.regime == "too_small":
            self._raise(new, t, criteria.LR_TOO_SMALL, "warning", regime.reason, dict(regime.values))
        elif regime.regime == "too_big":
            self._raise(new, t, criteria.LR_TOO_BIG, "warning", regime.reason, dict(regime.values))
        new.sort(key=lambda flag: criteria.CRITERIA.index(flag.criterion))
        self._flags.extend(new)
        return new

    def _beside_the_point(self) -> bool:
        """Overfitting is beside the point while the model is worse than chance or has not learned."""
        return self._lr.report.rule == "worse_than_chance" or self._not_learned is not None

    def _record(self, t: int, values: Mapping[str, float]) -> None:
        """Append this epoch to the raw and smoothed series."""
        smoothed_now = self._smooth(self._smoothers, values)
        extended = self._with_gap(values)
        for key, value in extended.items():
            if key not in self._raw:
                self._raw[key] = [None] * (t - 1)
                self._smoothed[key] = [None] * (t - 1)
            self._raw[key].append(value)
            self._smoothed[key].append(smoothed_now[key])
        for key, series in self._raw.items():
            if len(series) < t:  # this epoch lacks the key
                series.append(None)
                self._smoothed[key].append(None)

    def _with_gap(self, values: Mapping[str, float]) -> dict[str, float]:
        train, val = values.get(self._train_key), values.get(self._val_key)
        extended = dict(values)
        if train is not None and val is not None:
            extended[_GAP_KEY] = val - train
        return extended

    def _smooth(self, smoothers: dict[str, EmaSmoother], values: Mapping[str, float]) -> dict[str, float]:
        """Feed this epoch's values (and the gap) to ``smoothers``; return the smoothed values."""
        smoothed_now: dict[str, float] = {}
        for key, value in self._with_gap(values).items():
            if key not in smoothers:
                smoothers[key] = EmaSmoother(self._smoothing)
            smoothed_now[key] = smoothers[key].update(value)
        return smoothed_now

    def _track_bests(self, t: int, val_loss: float | None, val_acc: float | None) -> None:
        if is_finite(val_loss) and (self._best_val_loss is None or val_loss < self._best_val_loss[1]):
            self._best_val_loss = (t, val_loss)
        if is_finite(val_acc) and (self._best_val_acc is None or val_acc > self._best_val_acc[1]):
            self._best_val_acc = (t, val_acc)

    def _raise(
        self, new: list[Flag], t: int, criterion: str, severity: Severity, message: str, values: Mapping[str, float]
    ) -> None:
        if not self._armed[criterion]:
            return
        self._armed[criterion] = False
        new.append(Flag(epoch=t, criterion=criterion, severity=severity, message=message, values=dict(values)))

    def _divergence_flags(self, t: int, regime: LrRegimeReport, new: list[Flag]) -> None:
        if regime.rule == "non_finite":
            self._raise(new, t, criteria.DIVERGED, "error", regime.reason, dict(regime.values))
        elif regime.rule in ("exploded", "rose_above_start"):
            self._raise(new, t, criteria.EXPLODING, "error", regime.reason, dict(regime.values))

    def _overfitting_flags(
        self,
        t: int,
        val: float,
        prechelt: PrecheltPoint,
        loss_sign: Sign | None,
        gap_sign: Sign | None,
        onset: Onset,
        new: list[Flag],
    ) -> None:
        alpha = self._of_spec.gl_alpha
        best_epoch, best_val = self._prechelt.best
        # A rise within the run's own epoch-to-epoch noise is not called anything, however many percent it is.
        beyond_noise = self._onset.beyond_noise
        if prechelt.gl_exceeded and prechelt.gl is not None and beyond_noise:
            self._raise(
                new,
                t,
                criteria.GL,
                "warning",
                f"Validation loss {fmt(val)} is {prechelt.gl:.1f}% above its best ({fmt(best_val)} at epoch "
                f"{best_epoch}), more than the {alpha:g}% that Prechelt's GL criterion allows.",
                {
                    "gl": prechelt.gl,
                    "val_loss": val,
                    "best_val_loss": best_val or 0.0,
                    "best_epoch": float(best_epoch or 0),
                    "threshold": alpha,
                },
            )
        if prechelt.pq_exceeded and prechelt.pq is not None and prechelt.gl is not None and beyond_noise:
            k = self._of_spec.strip_length
            progress = prechelt.progress or 0.0
            self._raise(
                new,
                t,
                criteria.PQ,
                "warning",
                f"Over epochs {t - k + 1}-{t}, validation loss got worse ({prechelt.gl:.1f}% above its best) "
                f"faster than training improved (progress {progress:.1f} per mille): PQ = {prechelt.pq:.2f}, "
                f"over the {self._of_spec.pq_alpha:g} threshold.",
                {"pq": prechelt.pq, "gl": prechelt.gl, "progress": progress, "threshold": self._of_spec.pq_alpha},
            )
        if prechelt.up_exceeded:
            ends = self._prechelt.strip_end_values
            path = " -> ".join(f"{fmt(v)} (epoch {e})" for e, v in ends)
            self._raise(
                new,
                t,
                criteria.UP,
                "warning",
                f"Validation loss went up at the end of {prechelt.up} strips of {self._of_spec.strip_length} "
                f"epochs in a row: {path}.",
                {
                    "strips": float(prechelt.up),
                    "strip_length": float(self._of_spec.strip_length),
                    "val_loss": val,
                    **{f"val_loss_epoch_{e}": v for e, v in ends if v is not None},
                },
            )
        if loss_sign is not None:
            self._raise(new, t, criteria.VAL_LOSS_RISING, "warning", _loss_message(loss_sign), _sign_values(loss_sign))
        if gap_sign is not None and gap_sign.end > 0:
            self._raise(
                new,
                t,
                criteria.GAP_WIDENING,
                "info",
                f"The gap between validation and training loss has widened for {SIGN_EPOCHS} epochs in a row "
                f"({' -> '.join(fmt_pair(gap_sign.start, gap_sign.end))}, smoothed): the model is learning "
                "things about its training data that do not carry over to new data.",
                _sign_values(gap_sign),
            )
        if onset.level >= 2 and onset.epoch is not None:
            self._raise(
                new,
                t,
                criteria.OVERFITTING_ONSET,
                "warning",
                onset.describe(),
                {
                    "onset_epoch": float(onset.epoch),
                    "level": float(onset.level),
                    "best_val_loss": onset.best_val or 0.0,
                    "val_loss": onset.latest_val or 0.0,
                    "train_loss_at_best": onset.train_at_best or 0.0,
                    "train_loss": onset.lowest_train or 0.0,
                },
            )

    def _reported_onset(self) -> Onset:
        onset = self._onset.onset
        if self._beside_the_point() and onset.epoch is not None:
            return dataclasses.replace(onset, epoch=None, confidence="none")
        return onset

    def _standing(self, onset: Onset) -> tuple[Flag, ...]:
        """The flags the analysis still holds after the latest epoch (see the module docstring)."""
        regime = self._lr.report
        held = []
        for flag in self._flags:
            name = flag.criterion
            if name in _OVERFITTING or name == criteria.VAL_ACCURACY_FALLING:
                holds = onset.epoch is not None and flag.epoch > onset.epoch
            elif name == criteria.EXPLODING:
                holds = regime.regime == "diverging"
            elif name == criteria.LR_TOO_SMALL:
                holds = regime.regime == "too_small"
            elif name == criteria.LR_TOO_BIG:
                holds = regime.regime == "too_big"
            elif name == criteria.STALLED:
                holds = self._stall.best_epoch == int(flag.values.get("best_epoch", -1))
            elif name == criteria.NOT_LEARNED:
                holds = self._not_learned is not None
            else:  # diverged (NaN is for good), early stopping (a decision made): facts that stay true
                holds = True
            if holds:
                held.append(flag)
        return tuple(held)

    def result(self) -> AnalysisResult:
        """A snapshot of everything so far (copies the series; the analyzer can keep going)."""
        onset = self._reported_onset()
        return AnalysisResult(
            epochs=self._epochs,
            early_stopping=self._es.point,
            onset=onset,
            best_val_loss_epoch=self._best_val_loss[0] if self._best_val_loss else None,
            best_val_loss=self._best_val_loss[1] if self._best_val_loss else None,
            best_val_accuracy_epoch=self._best_val_acc[0] if self._best_val_acc else None,
            best_val_accuracy=self._best_val_acc[1] if self._best_val_acc else None,
            prechelt=self._prechelt.series(),
            lr_regime=self._lr.report,
            flags=tuple(self._flags),
            raw={key: tuple(series) for key, series in self._raw.items()},
            smoothed={key: tuple(series) for key, series in self._smoothed.items()},
            not_learned=self._not_learned,
            standing_flags=self._standing(onset),
        )


def _sign_values(sign: Sign) -> dict[str, float]:
    values = {"start_epoch": float(sign.start_epoch), "start": sign.start, "end": sign.end}
    if sign.partner_start is not None and sign.partner_end is not None:
        values.update(partner_start=sign.partner_start, partner_end=sign.partner_end)
    return values


def _loss_message(sign: Sign) -> str:
    start, end = fmt_pair(sign.start, sign.end)
    partner_start, partner_end = fmt_pair(sign.partner_start, sign.partner_end)
    return (
        f"Validation loss has risen for {SIGN_EPOCHS} epochs in a row ({start} at epoch {sign.start_epoch} -> "
        f"{end} at epoch {sign.epoch}, smoothed) while training loss kept falling ({partner_start} -> "
        f"{partner_end})."
    )


def _acc_message(sign: Sign) -> str:
    start, end = fmt_pair(sign.start, sign.end)
    partner_start, partner_end = fmt_pair(sign.partner_start, sign.partner_end)
    return (
        f"Validation accuracy has fallen for {SIGN_EPOCHS} epochs in a row ({start} at epoch {sign.start_epoch} "
        f"-> {end} at epoch {sign.epoch}, smoothed) while training accuracy kept rising ({partner_start} -> "
        f"{partner_end})."
    )


def _es_values(point: EarlyStoppingPoint) -> dict[str, float]:
    values = {"patience": float(point.patience)}
    for name, epoch in (
        ("stop_epoch", point.stop_epoch),
        ("best_epoch", point.best_epoch),
        ("kept_epoch", point.kept_epoch),
    ):
        if epoch is not None:
            values[name] = float(epoch)
    if point.best_value is not None:
        values["best_value"] = point.best_value
    return values


def analyze(
    history: Iterable[Mapping[str, object]],
    early_stopping: EarlyStoppingSpec | None = None,
    overfitting: OverfittingSpec | None = None,
    *,
    smoothing: float = DEFAULT_WEIGHT,
    guessing: Guessing | None = None,
) -> AnalysisResult:
    """Analyse a whole history (epoch 1 first): exactly what the streaming analyzer says after its last epoch."""
    analyzer = StreamingAnalyzer(early_stopping, overfitting, smoothing=smoothing, guessing=guessing)
    for logs in history:
        analyzer.add_epoch(logs)
    return analyzer.result()
