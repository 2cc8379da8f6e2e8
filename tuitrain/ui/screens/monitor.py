"""The monitor screen: one run's curves, progress, device and analysis, live while it trains.

The screen starts one tail worker for its run (:func:`tuitrain.ui.tailer.watch_run`), feeds every
message it posts into a :class:`~tuitrain.ui.live_run.LiveRun` and, once per burst of messages, draws
from it: the header, two charts (loss; accuracy or another metric), the learning rate when it
changes, and the flags in words. Nothing here decides anything about the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.markup import escape as escape_markup
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Select, Static
from textual.worker import Worker, WorkerState

from tuitrain.analysis import experiment_guessing
from tuitrain.run_source import RunsSource
from tuitrain.runs.status import FAILED_STATES
from tuitrain.runs.tail import LogProblem
from tuitrain.spec import Experiment
from tuitrain.text import printable
from tuitrain.ui.live_run import Clock, LiveRun
from tuitrain.ui.messages import RunEvent
from tuitrain.ui.screens.dialogs import ConfirmDialog
from tuitrain.ui.screens.log_view import LogScreen
from tuitrain.ui.tailer import watch_run
from tuitrain.ui.widgets.charts import MetricChart
from tuitrain.ui.widgets.footer import KeysFooter
from tuitrain.ui.widgets.run_panels import FlagsPanel, RunHeader

CHART_INTERVAL = 0.5
"""Least seconds between two chart updates while a run streams (header and flags update at once)."""


def curve_mode_text(smoothed: bool, focused: bool, room: int) -> str:
    """How the curves are drawn and the keys that change it, in full when ``room`` allows, else shorter."""
    full = ("curves: smoothed (m: raw)" if smoothed else "curves: raw (m: smoothed)") + (
        "  y: outliers cut (z: all)" if focused else "  y: all values (z: cut outliers)"
    )
    shorter = ("smoothed" if smoothed else "raw") + " (m) · " + ("outliers cut" if focused else "all values") + " (z)"
    shortest = ("smooth" if smoothed else "raw") + " · " + ("cut" if focused else "all")
    return next((text for text in (full, shorter) if len(text) <= room), shortest)


class QuitRunDialog(ModalScreen[str]):
    """Quitting while a run trains: stop it, leave it running, or stay. Dismisses "stop", "leave" or "cancel"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "answer('stop')", "Stop it", id="quit-run-stop"),
        Binding("l", "answer('leave')", "Leave it running", id="quit-run-leave"),
        Binding("escape", "answer('cancel')", "Cancel", id="quit-run-cancel"),
    ]

    def __init__(self, run_name: str) -> None:
        super().__init__(classes="dialog-screen")
        self.run_name = run_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"{self.run_name} is still training. Stop it (what was trained is kept) or leave it running "
                "(re-attach later with `tuitrain attach`)?",
                classes="dialog-question",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Leave running (l)", id="leave", variant="primary", compact=True)
                yield Button("Stop (s)", id="stop", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#leave", Button).focus()

    def action_answer(self, answer: str) -> None:
        """Close with the answer."""
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")


class MonitorScreen(Screen[None]):
    """Watch one run: charts with markers, progress and ETA, device, flags; stop or detach.

    ``source`` reads, follows and stops the run (the app's :class:`~tuitrain.run_source.RunsSource`);
    ``clock`` gives the wall time for elapsed/ETA (tests freeze it). ``follow=False`` starts no tail
    worker: a test then posts the events itself.
    """

    # Short descriptions: at 80 columns the footer has room for about eight.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s", "stop_run", "Stop", id="monitor-stop", tooltip="Stop after the current batch; keeps what was trained"
        ),
        Binding("d", "detach", "Detach", id="monitor-detach", tooltip="Leave the run training and go back"),
        Binding("m", "toggle_smoothing", "Smooth", id="monitor-smoothing", tooltip="Raw or smoothed curves"),
        Binding(
            "z",
            "toggle_focus",
            "Zoom",
            id="monitor-focus",
            tooltip="Y range: leave out outliers such as the first epochs' loss, or show every value",
        ),
        Binding("n", "next_metric", "Metric", id="monitor-next-metric", tooltip="Show the next metric on the right"),
        Binding("L", "toggle_lr", "LR", id="monitor-lr", tooltip="Show or hide the learning-rate chart"),
        Binding("l", "show_log", "Log", id="monitor-log", tooltip="The trainer's log and traceback"),
        Binding("escape", "back", "Back", id="monitor-back", tooltip="Go back (a running run keeps training)"),
    ]

    def __init__(
        self,
        run_dir: Path,
        source: RunsSource,
        *,
        clock: Clock | None = None,
        follow: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.run_dir = Path(run_dir)
        self.source = source
        self.clock: Clock = clock or time.time
        self.follow = follow
        experiment = self._recorded_experiment()
        self.run = LiveRun(
            self.run_dir,
            epochs=experiment.training.epochs if experiment else None,
            early_stopping=experiment.early_stopping if experiment else None,
            overfitting=experiment.overfitting if experiment else None,
            guessing=partial(experiment_guessing, experiment) if experiment else None,
        )
        self.metric = "accuracy"
        self.tail_worker: Worker[str] | None = None
        self.error: str | None = None
        """The last worker failure shown (None while all is well)."""
        self._synced_version = -1
        self._charts_drawn_at = -math.inf
        self._chart_timer: Timer | None = None
        self._metric_names: list[str] = []
        self.show_lr: bool | None = None
        """The learning-rate chart: True shown, False hidden (L), None by itself (when the rate changes
        and the terminal has 40 rows)."""
        self._sync_pending = False

    def _recorded_experiment(self) -> Experiment | None:
        """The run's experiment (its analysis settings), or None: then the defaults are used."""
        try:
            return self.source.load(self.run_dir).experiment_spec()
        except OSError:
            return None  # an unreadable run directory: the tail worker says what is wrong

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield RunHeader(id="run-header")
        with Horizontal(id="chart-bar"):
            yield Static("Right chart:", id="metric-label")
            yield Select[str](
                [("accuracy", "accuracy")],
                value="accuracy",
                allow_blank=False,
                compact=True,
                id="metric-select",
                tooltip="Which metric the right chart shows (n: next)",
            )
            yield Static("", id="curve-mode", markup=False)
        with Horizontal(id="charts"):
            yield MetricChart("loss", id="loss-chart")
            yield MetricChart("accuracy", id="metric-chart")
        yield MetricChart("learning_rate", title="learning rate", id="lr-chart")
        yield FlagsPanel(id="flags")
        # Compact, without the palette hint (ctrl+p still opens it): at 80 columns every key then fits,
        # the app's own (quit, runs) included.
        yield KeysFooter(compact=True, show_command_palette=False)

    @property
    def loss_chart(self) -> MetricChart:
        """The loss chart (train and validation)."""
        return self.query_one("#loss-chart", MetricChart)

    @property
    def metric_chart(self) -> MetricChart:
        """The right chart: accuracy or the metric chosen."""
        return self.query_one("#metric-chart", MetricChart)

    @property
    def lr_chart(self) -> MetricChart:
        """The learning-rate chart (shown when the rate changes and there is room)."""
        return self.query_one("#lr-chart", MetricChart)

    @property
    def header(self) -> RunHeader:
        """The header with state, device, progress and timing."""
        return self.query_one(RunHeader)

    @property
    def flags_panel(self) -> FlagsPanel:
        """The flags in words."""
        return self.query_one(FlagsPanel)

    def on_mount(self) -> None:
        self.sub_title = printable(self.run.name)
        self._show_curve_mode()
        self._sync()
        if self.follow:
            self.tail_worker = watch_run(self, self.run_dir, self.source)
        # Elapsed time and ETA move on their own: one cheap header redraw a second, no more.
        self.set_interval(1.0, self._tick)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.height < 40, "-short")
        self._update_lr_visibility()
        self.call_after_refresh(self._show_curve_mode)

    def _tick(self) -> None:
        if not self.run.ended:
            self.header.show(self.run, self.clock())

    # ------------------------------------------------------------------ events from the tail worker

    @on(RunEvent)
    def _run_event(self, message: RunEvent) -> None:
        if message.run_dir != self.run_dir:
            return
        message.stop()
        if isinstance(message.event, LogProblem):
            # The detail may quote the log's lines or names: shown literally.
            self.notify(printable(message.event.detail), title="Event log", severity="warning", timeout=8, markup=False)
            return
        self.run.apply(message.event)
        self._schedule_sync()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure of this screen ends here, as one error notice naming the job."""
        if event.state == WorkerState.ERROR:
            self.error = f"{event.worker.name} failed: {event.worker.error}"
            title = f"{event.worker.name} failed"
            self.notify(printable(event.worker.error), title=title, severity="error", timeout=10, markup=False)

    # ------------------------------------------------------------------ drawing

    def _schedule_sync(self) -> None:
        # Many messages arrive in a burst (a finished run's whole log): draw once after the burst.
        if not self._sync_pending:
            self._sync_pending = True
            self.call_later(self._sync)

    def _sync(self) -> None:
        """Draw the run's current state: header always, the rest when it changed, charts at most every
        :data:`CHART_INTERVAL` seconds."""
        self._sync_pending = False
        run = self.run
        self.header.show(run, self.clock())
        if run.version == self._synced_version:
            return
        self._synced_version = run.version
        self._update_metric_options()
        problem = run.reason if run.state in FAILED_STATES else None
        self.flags_panel.show(run.summary(), run.flags, problem)
        self.refresh_bindings()
        # A chart rebuild costs milliseconds per screenful (plotext draws every cell), whatever the number
        # of epochs: a run finishing ten epochs a second must not redraw ten times a second.
        wait = self._charts_drawn_at + CHART_INTERVAL - time.monotonic()
        if wait <= 0 or run.ended:  # the end of a run is drawn at once: nothing more will come
            if self._chart_timer is not None:
                self._chart_timer.stop()
            self._draw_charts()
        elif self._chart_timer is None:
            self._chart_timer = self.set_timer(wait, self._draw_charts)

    def _draw_charts(self) -> None:
        """Give every chart the run's current series and markers (each redraws only if they changed)."""
        self._chart_timer = None
        if self.run.epochs_done:
            # Throttling starts with the first drawn epoch: a run opened with its history draws at once.
            self._charts_drawn_at = time.monotonic()
        self._draw_chart(self.loss_chart, "loss")
        self._draw_chart(self.metric_chart, self.metric)
        with self.lr_chart.batch_update():
            self.lr_chart.set_series("learning_rate", self.run.learning_rates, label="learning rate")
        self._update_lr_visibility()

    def _draw_chart(self, chart: MetricChart, metric: str) -> None:
        run = self.run
        with chart.batch_update():
            chart.set_metric(metric)
            chart.set_series(metric, run.series(metric), label="train")
            if f"val_{metric}" in run.history:
                chart.set_series(f"val_{metric}", run.series(f"val_{metric}"), label="val")
            chart.set_markers(run.markers(metric))

    def _update_metric_options(self) -> None:
        names = [m for m in self.run.metrics() if m != "loss"]
        if not names or names == self._metric_names:
            return
        self._metric_names = names
        if self.metric not in names:
            self.metric = names[0]
        # self.metric is set first, so the Changed message this posts is recognised as no change.
        select = self.query_one("#metric-select", Select)
        # Text prompts: a metric's name comes from the event log (a Select reads a str prompt as markup).
        select.set_options([(Text(printable(n.replace("_", " "))), n) for n in names])
        select.value = self.metric

    def _update_lr_visibility(self) -> None:
        auto = self.run.learning_rate_changed() and self.size.height >= 40
        self.set_class(auto if self.show_lr is None else self.show_lr, "-show-lr")

    def action_toggle_lr(self) -> None:
        """Show or hide the learning-rate chart, whatever the terminal's size."""
        self.show_lr = not self.has_class("-show-lr")
        self._update_lr_visibility()

    @on(Select.Changed, "#metric-select")
    def _metric_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.metric:
            self.metric = event.value
            self._draw_chart(self.metric_chart, self.metric)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Stop and detach only make sense while the run trains."""
        if action in ("stop_run", "detach"):
            return not self.run.ended
        return True

    def action_toggle_smoothing(self) -> None:
        """Switch every chart between raw and smoothed curves."""
        smoothed = not self.loss_chart.smoothed
        for chart in self.query(MetricChart):
            chart.smoothed = smoothed
        self._show_curve_mode()

    def action_toggle_focus(self) -> None:
        """Switch every chart between a y range that leaves out outliers and one that shows every value."""
        focused = not self.loss_chart.focused
        for chart in self.query(MetricChart):
            chart.focused = focused
        self._show_curve_mode()

    def _show_curve_mode(self) -> None:
        self.query_one("#curve-mode", Static).update(
            curve_mode_text(self.loss_chart.smoothed, self.loss_chart.focused, self._curve_mode_room())
        )

    def _curve_mode_room(self) -> int:
        """Columns the curve-mode line has: the bar's width less the label and the drop-down."""
        bar = self.query_one("#chart-bar")
        used = sum(w.outer_size.width for w in bar.children if w.id != "curve-mode")
        return max(bar.size.width - used - 4, 0) if bar.size.width else 80

    def action_next_metric(self) -> None:
        """Show the next logged metric on the right chart (or say that there is no other)."""
        names = [m for m in self.run.metrics() if m != "loss"] or [self.metric]
        if len(names) == 1:
            self.notify(
                f"This run logs one metric besides loss ({names[0].replace('_', ' ')}): nothing else to show. "
                "Add metrics to the experiment's `metrics` list to compare more.",
                title="Next metric",
                timeout=5,
                markup=False,
            )
            return
        index = names.index(self.metric) if self.metric in names else -1
        self.query_one("#metric-select", Select).value = names[(index + 1) % len(names)]

    def action_detach(self) -> None:
        """Go back and leave the run training (re-attach from the runs screen or `tuitrain attach`)."""
        self.notify(f"{printable(self.run.name)} keeps training.", title="Detached", timeout=4, markup=False)
        self.dismiss()

    def action_back(self) -> None:
        """Go back (the run, if it trains, keeps training)."""
        self.dismiss()

    def action_show_log(self) -> None:
        """Show the ends of the run's traceback and trainer log (read in a thread)."""
        self._read_logs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="monitor-log", name="Reading the trainer log")
    def _read_logs(self) -> None:
        tails = self.source.logs(self.run_dir)
        self.app.call_from_thread(self.app.push_screen, LogScreen(f"{self.run.name}: trainer output", tails))

    def action_stop_run(self) -> None:
        """Ask, then stop the run after its current batch."""
        self._confirm_stop()

    @work(exclusive=True, group="monitor-stop")
    async def _confirm_stop(self) -> None:
        question = f"Stop {printable(self.run.name)} after the current batch? What was trained so far is kept."
        if await self.app.push_screen_wait(ConfirmDialog(question, "Stop", "Keep training")):
            self.request_stop()

    def request_stop(self) -> Worker[Any]:
        """Stop the run now, without asking (in a thread: signalling must not stall a frame)."""
        self.notify("Stopping after the current batch…", title=printable(self.run.name), timeout=4)
        return self.run_worker(
            partial(self.source.stop, self.run_dir),
            name="Stopping the run",
            group="monitor-stop-run",
            thread=True,
            exit_on_error=False,
        )

    async def can_quit(self) -> bool:
        """While the run trains, ask whether to stop it or leave it running (the app asks before quitting)."""
        if self.run.ended:
            return True
        answer = await self.app.push_screen_wait(QuitRunDialog(printable(self.run.name)))
        if answer == "stop":
            self.source.stop(self.run_dir)
        return answer in ("stop", "leave")

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Extra command-palette entries: one per metric the right chart can show."""
        for metric in self.run.metrics():
            if metric != "loss":
                # The palette reads its texts as markup; a metric's name comes from the event log.
                shown = escape_markup(printable(metric))
                yield SystemCommand(
                    f"Show {shown.replace('_', ' ')}",
                    f"Draw {shown} (train and validation) on the right chart",
                    partial(self._show_metric, metric),
                )

    def _show_metric(self, metric: str) -> None:
        self.query_one("#metric-select", Select).value = metric
