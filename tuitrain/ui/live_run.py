"""What the monitor knows about one run, kept up to date from the run's events (no Textual here).

:class:`LiveRun` is a plain object: the monitor feeds it every event the tail worker read
(:meth:`LiveRun.apply`, one ``match``) and draws from it. It keeps the
history by log name, the latest batch progress, the run's state and timing, and a
:class:`~tuitrain.analysis.StreamingAnalyzer` fed one epoch at a time (constant work per epoch). The
markers and the summary come from the analyzer's snapshot, taken once per screen refresh, not per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tuitrain.analysis import AnalysisResult, Flag, Guessing, StreamingAnalyzer, resolve_mode
from tuitrain.runs.events import (
    BatchProgress,
    BestSaved,
    EpochEnded,
    FlagRaised,
    RunFailed,
    RunFinished,
    RunStarted,
)
from tuitrain.runs.status import ENDED_STATES, RunState
from tuitrain.runs.tail import LogProblem, TailEvent, TrainerGone
from tuitrain.spec.training import EarlyStoppingSpec, OverfittingSpec
from tuitrain.ui.chart_math import ChartMarkers

Clock = Callable[[], float]
"""Seconds since the epoch, like :func:`time.time` (tests pass a fixed one)."""

GuessingFor = Callable[[Sequence[float] | None], Guessing]
"""What guessing scores on a run, given its validation labels' class balance when the trainer recorded it."""


@dataclass(frozen=True)
class Progress:
    """The latest batch progress: ``step`` of ``steps`` batches of ``epoch`` done, ``at`` wall time."""

    epoch: int
    step: int
    steps: int | None
    at: float | None


class LiveRun:
    """History, progress, state and analysis of one run, fed one message at a time.

    ``early_stopping`` and ``overfitting`` are the run's own settings (from its experiment), so markers
    and flags say what this run's early stopping did or would do. ``guessing`` gives what guessing scores
    on the run (see :func:`tuitrain.analysis.experiment_guessing`); the class balance comes with the
    trainer's start, before the first epoch.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        name: str | None = None,
        epochs: int | None = None,
        early_stopping: EarlyStoppingSpec | None = None,
        overfitting: OverfittingSpec | None = None,
        guessing: GuessingFor | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.name = name or self.run_dir.name
        self.epochs_planned = epochs
        self.early_stopping = early_stopping or EarlyStoppingSpec()
        self.overfitting = overfitting or OverfittingSpec()
        self.state: RunState = "pending"
        self.reason: str | None = None
        self.device: str | None = None
        self.params: int | None = None
        self.pid: int | None = None
        self.steps_per_epoch: int | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.last_event_at: float | None = None
        """Wall time of the newest event seen (a crashed run ended after it)."""
        self.progress: Progress | None = None
        self.best_saved_epoch: int | None = None
        """The epoch whose weights best.keras holds (from the trainer's best_saved events), if known."""
        self.history: dict[str, list[float | None]] = {}
        self.learning_rates: list[float | None] = []
        self.epoch_seconds: list[float] = []
        self._guessing = guessing
        self._analyzer = self._new_analyzer(None)
        self._flags: dict[tuple[int, str], Flag] = {}
        self._result: AnalysisResult | None = None
        self._best: dict[str, tuple[int, float]] = {}
        self.version = 0
        """Bumped by every change of history, flags or state (not by batch progress), so a view can tell
        whether what it drew from them is stale."""

    # ------------------------------------------------------------------ feeding

    @property
    def epochs_done(self) -> int:
        """Epochs recorded so far."""
        return len(self.learning_rates)

    @property
    def ended(self) -> bool:
        """True once the run finished, stopped, diverged, failed or crashed."""
        return self.state in ENDED_STATES

    def apply(self, event: TailEvent) -> None:
        """Take in one event of the run, as the tail worker read it (a :data:`~tuitrain.runs.tail.TailEvent`)."""
        match event:
            case RunStarted():
                self.epochs_planned = event.epochs or self.epochs_planned
                self.steps_per_epoch = event.steps_per_epoch or None
                self.device = event.device
                self.params = event.params
                self.started_at = event.time
                self.pid = event.pid
                if event.val_class_shares is not None and not self.epochs_done:
                    self._analyzer = self._new_analyzer(event.val_class_shares)
                self._saw(event.time)
                if not self.ended:
                    self.state = "running"
                self.version += 1
            case EpochEnded():
                self._epoch_ended(event)
            case BatchProgress():
                # Older than the last epoch (a re-read): ignored.
                if event.epoch > self.epochs_done:
                    self.progress = Progress(event.epoch, event.step, event.steps or self.steps_per_epoch, event.time)
                    self._saw(event.time)
                    if self.state == "pending":
                        self.state = "running"
                        self.version += 1  # progress alone changes nothing that is drawn from the history
            case FlagRaised():
                # The trainer's own analysis: the same flag ours raises is kept once.
                flag = event.to_flag()
                self._flags.setdefault((flag.epoch, flag.criterion), flag)
                self.version += 1
            case BestSaved():
                self.best_saved_epoch = event.epoch
                self.version += 1
            case RunFinished():
                self._ended_as(event.status, event.reason or None, event.time)
            case RunFailed():
                self._ended_as(event.status, event.error, event.time)
            case TrainerGone():
                # Noticed later: the run is taken to have ended at its last event.
                self._ended_as(event.state, event.reason, None)
            case LogProblem():
                pass  # nothing about the run itself: the screen says it

    def _epoch_ended(self, event: EpochEnded) -> None:
        """Record one epoch (ignored if it is not the next one)."""
        epoch, logs = event.epoch, event.logs
        if epoch != self.epochs_done + 1:
            return  # a repeat (re-read) or a gap: the history must stay one value per epoch
        done = self.epochs_done
        for key, value in logs.items():
            series = self.history.setdefault(key, [None] * done)
            series.append(_number(value))
            self._track_best(key, epoch, series[-1])
        for series in self.history.values():
            if len(series) == done:  # this epoch lacks the key
                series.append(None)
        self.learning_rates.append(_number(event.learning_rate))
        if math.isfinite(event.epoch_seconds):
            self.epoch_seconds.append(event.epoch_seconds)
        self._saw(event.time)
        if self.state == "pending":
            self.state = "running"
        if self.progress is not None and self.progress.epoch <= epoch:
            self.progress = None
        for flag in self._analyzer.add_epoch(logs):
            self._flags.setdefault((flag.epoch, flag.criterion), flag)
        self._result = None
        self.version += 1

    def _ended_as(self, state: RunState, reason: str | None, at: float | None) -> None:
        """The run ended; without ``at`` (a crash noticed later) it ended at its last event."""
        self.state = state
        self.reason = reason
        self.ended_at = at if at is not None else self.last_event_at
        self.progress = None
        self.version += 1

    def _new_analyzer(self, val_class_shares: Sequence[float] | None) -> StreamingAnalyzer:
        guessing = self._guessing(val_class_shares) if self._guessing is not None else None
        return StreamingAnalyzer(self.early_stopping, self.overfitting, guessing=guessing)

    def _saw(self, at: float | None) -> None:
        if at is not None and (self.last_event_at is None or at > self.last_event_at):
            self.last_event_at = at

    # ------------------------------------------------------------------ reading

    def _track_best(self, key: str, epoch: int, value: float | None) -> None:
        if value is None or not math.isfinite(value):
            return
        higher = resolve_mode(key, "auto") == "max"
        best = self._best.get(key)
        if best is None or (value > best[1] if higher else value < best[1]):
            self._best[key] = (epoch, value)

    def best(self, key: str) -> tuple[int, float] | None:
        """(epoch, value) of the best value of ``key`` so far (lowest loss, highest accuracy), or None."""
        return self._best.get(key)

    @property
    def analysis(self) -> AnalysisResult:
        """The analyzer's snapshot (taken at most once per change)."""
        if self._result is None:
            self._result = self._analyzer.result()
        return self._result

    @property
    def flags(self) -> list[Flag]:
        """Every flag so far, by epoch (ours and the trainer's, each once)."""
        return sorted(self._flags.values(), key=lambda f: f.epoch)

    def summary(self) -> str:
        """The analysis in a few sentences ("Overfitting since epoch 4: ... Early stopping ... keep ...")."""
        if not self.epochs_done:
            return "No epoch has finished yet."
        note = self.best_model_note()
        return self.analysis.summary() + (f" {note}" if note else "")

    def best_model_note(self) -> str | None:
        """Which epoch best.keras holds ("best.keras holds epoch 4."), and plainly when the run ended
        before its best epoch was saved; None until the trainer recorded a save."""
        saved = self.best_saved_epoch
        if saved is None:
            return None
        best = self._best_by_monitor()
        # While it trains, a newer best may still be on its way to disk: only an ended run is judged.
        if self.ended and best is not None and saved < best:
            why = "the run ended before it could save the best one" if self.state != "finished" else "not saved"
            return f"best.keras holds epoch {saved}, not the best epoch {best}: {why}."
        return f"best.keras holds epoch {saved}."

    def _best_by_monitor(self) -> int | None:
        """The best epoch by the early-stopping monitor and its mode (the metric that picks best.keras)."""
        monitor = self.early_stopping.monitor
        higher = resolve_mode(monitor, self.early_stopping.mode) == "max"
        best: tuple[int, float] | None = None
        for epoch, value in enumerate(self.series(monitor), start=1):
            if value is None or not math.isfinite(value):
                continue
            if best is None or (value > best[1] if higher else value < best[1]):
                best = (epoch, value)
        return best[0] if best else None

    def metrics(self) -> list[str]:
        """Metric names logged (without ``val_``), loss first, in the order they appeared."""
        names: list[str] = []
        for key in self.history:
            base = key.removeprefix("val_")
            if base not in names and base not in ("learning_rate", "lr"):
                names.append(base)
        names.sort(key=lambda n: n != "loss")
        return names

    def series(self, key: str) -> list[float | None]:
        """The values of one log key by epoch (None where an epoch lacks it)."""
        return self.history.get(key, [])

    def learning_rate_changed(self) -> bool:
        """True when the learning rate took more than one value."""
        values = {lr for lr in self.learning_rates if lr is not None}
        return len(values) > 1

    def markers(self, metric: str) -> ChartMarkers:
        """The chart markers for ``metric``: its best validation epoch, the early-stopping point, the onset."""
        if not self.epochs_done:
            return ChartMarkers()
        result = self.analysis
        es = result.early_stopping
        best = self.best(f"val_{metric}") or self.best(metric)
        onset = result.onset
        overfitting_from = onset.epoch if onset.epoch is not None and onset.level >= 1 else None
        return ChartMarkers(
            best_epoch=best[0] if best else None,
            stop_epoch=es.stop_epoch,
            would_stop=es.would_stop,
            kept_epoch=es.kept_epoch if es.stop_epoch is not None else None,
            overfitting_from=overfitting_from,
        )

    def elapsed(self, now: float) -> float | None:
        """Seconds since the run started (to its end once it ended), or None before it started."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended and self.ended_at is not None else now
        return max(0.0, end - self.started_at)

    def epoch_fraction(self) -> float:
        """How much of the current epoch is done, 0..1 (0 without batch progress)."""
        p = self.progress
        if p is None or not p.steps:
            return 0.0
        return min(1.0, max(0.0, p.step / p.steps))

    def eta(self, now: float) -> float | None:
        """Seconds left until the planned epochs are done, or None when there is nothing to go by."""
        if self.ended or not self.epochs_planned:
            return None
        remaining = self.epochs_planned - self.epochs_done - self.epoch_fraction()
        if remaining <= 0:
            return 0.0
        if self.epoch_seconds:
            per_epoch = sum(self.epoch_seconds) / len(self.epoch_seconds)
        else:
            # First epoch: extrapolate from the batches done so far.
            p = self.progress
            fraction = self.epoch_fraction()
            if p is None or fraction <= 0:
                return None
            spent = now - self.started_at if self.started_at else None
            if spent is None or spent <= 0:
                return None
            per_epoch = spent / fraction
        return remaining * per_epoch


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
