"""The learning-rate range test of the experiment being edited: follow it, chart it, apply its suggestion.

The test is a run of its own kind (:mod:`tuitrain.runs.lr_find`), started by the app through its run
source; this screen follows its events with the same tail worker as the monitor
(:func:`tuitrain.ui.tailer.watch_run`), reads the curve with :mod:`tuitrain.analysis.lr_finder` and
draws it. ``a`` closes the screen with the suggested rate (the setup screen puts it into the form);
``Esc`` closes it without one, stopping a test that still runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tuitrain.analysis.lr_finder import MIN_POINTS, LrFinderReport, analyze_lr_range
from tuitrain.run_source import RunsSource
from tuitrain.runs.events import LrStep, RunFailed, RunFinished, RunStarted
from tuitrain.runs.lr_find import LrFindSettings
from tuitrain.runs.tail import LogProblem, TrainerGone
from tuitrain.text import printable
from tuitrain.ui.messages import RunEvent
from tuitrain.ui.tailer import watch_run
from tuitrain.ui.widgets.footer import KeysFooter
from tuitrain.ui.widgets.lr_curve import LrCurveChart


class LrFindScreen(Screen[float | None]):
    """Follow one range test; dismisses with the suggested learning rate (``a``) or None (``Esc``).

    ``follow=False`` starts no tail worker: a test then posts the events itself.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a",
            "apply",
            "Apply suggestion",
            id="lr-find-apply",
            tooltip="Put the suggested learning rate into the experiment's optimizer",
        ),
        Binding("escape", "back", "Back", id="lr-find-back", tooltip="Go back (stops a test that still runs)"),
    ]

    def __init__(
        self,
        run_dir: Path,
        source: RunsSource,
        *,
        settings: LrFindSettings | None = None,
        follow: bool = True,
    ) -> None:
        super().__init__(id="lr-find")
        self.run_dir = Path(run_dir)
        self.source = source
        self.settings = settings or LrFindSettings()
        self.follow = follow
        self.rates: list[float] = []
        self.losses: list[float] = []
        self.smoothed: float | None = None
        self.ended = False
        self.outcome: str | None = None
        """The test's final state and reason, once it ended."""
        self.report: LrFinderReport | None = None
        self._sync_pending = False

    def compose(self) -> ComposeResult:
        yield Static("", id="lr-find-progress", markup=False)
        yield LrCurveChart(id="lr-find-chart")
        with VerticalScroll(id="lr-find-report-box"):
            yield Static("", id="lr-find-report", markup=False)
        yield KeysFooter()

    @property
    def chart(self) -> LrCurveChart:
        """The chart of the curve."""
        return self.query_one(LrCurveChart)

    def on_mount(self) -> None:
        self.title = "learning-rate range test"
        self.sub_title = printable(self.run_dir.name)
        self._sync()
        if self.follow:
            watch_run(self, self.run_dir, self.source)

    # ------------------------------------------------------------------ events

    @on(RunEvent)
    def _run_event(self, message: RunEvent) -> None:
        if message.run_dir != self.run_dir:
            return
        message.stop()
        match message.event:
            case LrStep() as step:
                self.rates.append(step.learning_rate)
                self.losses.append(step.loss)
                self.smoothed = step.smoothed_loss
            case RunStarted():
                pass
            case RunFinished() as final:
                self._ended(f"{final.status}: {final.reason}")
            case RunFailed() as final:
                self._ended(f"{final.status}: {final.error}")
            case TrainerGone() as gone:
                self._ended(f"{gone.state}: {gone.reason or 'the trainer ended without a word'}")
            case LogProblem() as problem:
                self.notify(printable(problem.detail), title="Event log", severity="warning", timeout=8, markup=False)
        if not self._sync_pending:
            # A burst of steps (a finished test read at once) is drawn once.
            self._sync_pending = True
            self.call_later(self._sync)

    def _ended(self, outcome: str) -> None:
        self.ended = True
        self.outcome = printable(outcome)  # the trainer's words, from a file: no control characters

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure of the tail worker, as one error notice."""
        if event.state == WorkerState.ERROR:
            title = f"{event.worker.name} failed"
            self.notify(printable(event.worker.error), title=title, severity="error", timeout=10, markup=False)

    # ------------------------------------------------------------------ drawing

    def _sync(self) -> None:
        self._sync_pending = False
        progress = self.query_one("#lr-find-progress", Static)
        report_text = self.query_one("#lr-find-report", Static)
        steps = len(self.rates)
        if steps:
            rate = self.rates[-1]
            progress.update(
                (f"{self.outcome} · " if self.outcome else "")
                + f"batch {steps}/{self.settings.steps}  learning rate {rate:.3g}  loss {self.losses[-1]:.4g}  "
                f"smoothed {self.smoothed:.4g}"
            )
        else:
            progress.update(self.outcome or "starting the trainer (importing TensorFlow takes a few seconds)")
        if steps >= MIN_POINTS or self.ended:
            self.report = analyze_lr_range(self.rates, self.losses, blow_up_factor=self.settings.stop_factor)
            # A suggestion from part of the curve would move as batches come: drawn and offered only at the end.
            self.chart.show(self.report if self.ended else dataclasses.replace(self.report, suggestion=None))
            lines = self.report.lines() if self.ended else [f"{steps} batches so far", *self.report.lines()[1:]]
            if self.ended and self.report.suggestion is not None:
                lines.append("a: apply the suggestion to the optimizer · Esc: back without it")
            report_text.update("\n".join(lines))
        self.refresh_bindings()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Apply shows as disabled until the test has ended with a suggestion."""
        if action == "apply":
            return True if self.ended and self.report is not None and self.report.suggestion else None
        return True

    def action_apply(self) -> None:
        """Close with the suggested learning rate."""
        if self.ended and self.report is not None and self.report.suggestion is not None:
            self.dismiss(self.report.suggestion.learning_rate)

    def action_back(self) -> None:
        """Close without a rate; a test that still runs is stopped (it has nothing to keep)."""
        if not self.ended:
            self.source.stop(self.run_dir)
        self.dismiss(None)
