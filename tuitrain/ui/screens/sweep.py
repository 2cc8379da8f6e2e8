"""The sweep screen: watch a search's trials race, open or stop one, stop the sweep, refine it, keep the best.

What it shows comes from the app's run source only: the sweep (:meth:`RunsSource.load_sweep`, read in
a thread every second), its spec once (for each parameter's scale), and the curves of the trials it
overlays (:meth:`RunsSource.epoch_series`, asked again only for trials that moved, and reading only what
their trainers appended). Each refresh changes only what changed, worked out from the trials that differ
from the last read (:class:`~tuitrain.ui.live_board.LiveBoard`): leaderboard cells that differ (only
their rows are repainted, see :class:`~tuitrain.ui.widgets.leaderboard.Leaderboard`), rows that are new,
the order when it moved; the header lines only when their text differs, the footer only when the keys
that apply changed. A read in which no trial and not the sweep's state changed leaves the charts alone. The charts
redraw only when their points or curves differ (:class:`~tuitrain.ui.widgets.charts.Chart`), and at
most as often as their build cost allows (:class:`~tuitrain.ui.redraw_pacer.RedrawPacer`): a change
that comes too soon after the last redraw is kept, replaced by any later one, and drawn when the wait
is over (a timer; at most :data:`~tuitrain.ui.redraw_pacer.LONGEST_WAIT` seconds). Opening the screen,
a resize, choosing another parameter and a sweep that no longer runs draw at once.

A trial is an ordinary run: ``o``/Enter opens its monitor (:class:`~tuitrain.ui.messages.RunChosen`),
``s`` stops it through the trainer's normal stop path (:meth:`RunsSource.stop`). The sweep goes on
when the screen is left or the dashboard quits; ``tuitrain attach SWEEP`` comes back to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape as escape_markup
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from tuitrain import presets
from tuitrain.formatting import duration
from tuitrain.run_source import RunsSource
from tuitrain.sweep.leaderboard import objective_text, param_names, sweep_progress
from tuitrain.sweep.status import ACTIVE_SWEEP_STATES, SweepRecord, TrialEntry
from tuitrain.text import printable
from tuitrain.ui.live_board import LiveBoard
from tuitrain.ui.live_run import Clock
from tuitrain.ui.messages import RunChosen, SweepChosen
from tuitrain.ui.redraw_pacer import FRAME_BUDGET, RedrawPacer
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.screens.monitor import QuitRunDialog
from tuitrain.ui.sweep_view import (
    CUT_SHORT,
    SORTS,
    BoardRow,
    board_changes,
    board_columns,
    curve_trials,
    enabled_actions,
    scatter_data,
)
from tuitrain.ui.widgets.fields import ERROR_STYLE, OK_STYLE
from tuitrain.ui.widgets.footer import KeysFooter
from tuitrain.ui.widgets.leaderboard import Leaderboard
from tuitrain.ui.widgets.sweep_charts import MeteredChart, ScatterChart, TrialCurves
from tuitrain.workspace import preset_name_problem

REFRESH_SECONDS = 1.0
"""How often the sweep is read again (sweep.json, and the curves of trials that moved)."""
GATED_ACTIONS = frozenset({"open_trial", "stop_trial", "stop_sweep", "resume", "save_best", "refine", "next_param"})
"""The screen's actions shown disabled (greyed in the footer) when :func:`enabled_actions` leaves them out."""
REFINE_TOP = 5
"""The K offered for refining around the top K trials."""
CHART_SHARE = FRAME_BUDGET / 10
"""Each chart's share of the UI time: the two together a fifth of the frame budget (6.7 ms a second).
Measured on a busy 200-trial sweep at 200x60 read from disk, reading the sweep, the leaderboard, the
header lines and painting them take most of the budget on their own; a chart build of 20-25 ms is then
redrawn every 6-7.5 s, a build under 3.3 ms every second."""


class SweepScreen(Screen[None]):
    """One sweep: leaderboard, scatter of the objective by parameter, curves, progress; act on trials and the sweep.

    ``source`` (the app's run source) reads the sweep and its trials and acts on them; ``clock`` gives
    the wall time for durations and the ETA (tests freeze it); ``refresh_seconds=None`` reads once.
    ``pacer_clock`` (monotonic seconds) and ``build_clock`` (the UI thread's CPU seconds) pace the charts'
    redraws; tests and the benchmark drive them.
    """

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        # Enter opens too (the table's own "select" key, handled in _row_selected); "o" is the one shown.
        # Enter opens too (the leaderboard's own "select" key) and is what a list suggests: "o" stays out
        # of the footer, which at 80 columns has just room for the keys below in their short words.
        Binding(
            "o",
            "open_trial",
            "Open",
            id="sweep-open",
            show=False,
            tooltip="Open the highlighted trial's monitor (or enter)",
        ),
        Binding("s", "stop_trial", "Stop", id="sweep-stop-trial", tooltip="Stop the highlighted trial (asks)"),
        Binding("S", "stop_sweep", "Stop all", id="sweep-stop", tooltip="Stop the sweep and its trials (asks)"),
        Binding("r", "resume", "Resume", id="sweep-resume", tooltip="Continue a stopped sweep up to its budget"),
        Binding(
            "k", "refine", "Refine", id="sweep-refine", tooltip="Start a finer sweep around the top K trials (asks K)"
        ),
        Binding("b", "save_best", "Save", id="sweep-save-best", tooltip="Save the best trial as a preset"),
        Binding("d,escape", "detach", "Detach", id="sweep-detach", tooltip="Go back; the sweep keeps running"),
        Binding("p", "next_param", "Param", id="sweep-param", tooltip="Scatter the objective by the next parameter"),
        Binding("t", "next_sort", "Sort", id="sweep-sort", tooltip="Sort the leaderboard another way"),
    ]

    def __init__(
        self,
        sweep_dir: Path,
        source: RunsSource,
        *,
        clock: Clock | None = None,
        refresh_seconds: float | None = REFRESH_SECONDS,
        pacer_clock: Clock | None = None,
        build_clock: Clock | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.sweep_dir = Path(sweep_dir)
        self.source = source
        self.clock: Clock = clock or time.time
        self.refresh_seconds = refresh_seconds
        self.record: SweepRecord | None = None
        self.dists: dict[str, Any] = {}
        """Each searched parameter's distribution, from the sweep's spec (empty until read, or if unreadable)."""
        self.sort = SORTS[0]
        self.param: str | None = None
        self.names: list[str] = []
        self.order: list[int] = []
        self.error: str | None = None
        self._cells: dict[int, BoardRow] = {}
        """Trial number -> (its cells as shown, whether it was shown as the best)."""
        self.board = LiveBoard()
        """The leaderboard's rows, ranks and order, worked out from the trials that changed since the last read."""
        self._charted_state: str | None = None
        """The sweep's state when the charts were last given its trials (None: never)."""
        self._labels: list[str] = []
        """The leaderboard's column labels as shown."""
        self._widths: tuple[int, ...] | None = None
        """The leaderboard's column widths as last measured (None: not yet)."""
        self._texts: dict[str, Text | str] = {}
        """Static id -> the text it shows (a Static is updated only when its text changes)."""
        self._actions: frozenset[str] | None = None
        """The actions that applied when the footer was last drawn."""
        self._curves: dict[int, tuple[tuple[object, ...], list[float | None]]] = {}
        """Trial number -> (what the trial looked like when read, its curve): read again only when it moved."""
        self._build_clock = build_clock
        self.pacers = {
            "scatter": RedrawPacer(CHART_SHARE, clock=pacer_clock or time.monotonic),
            "curves": RedrawPacer(CHART_SHARE, clock=pacer_clock or time.monotonic),
        }
        """Chart name -> what paces its redraws."""
        self._waiting: dict[str, Callable[[], None]] = {}
        """Chart name -> the latest change it waits to draw (applying it to the chart)."""
        self._redraw_timers: dict[str, Timer] = {}
        """Chart name -> the timer that draws its pending change when the wait is over."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(Text(printable(self.sweep_dir.name)), id="sweep-head")
        yield Static("", id="sweep-running", markup=False)
        with Horizontal(id="sweep-body"):
            yield Leaderboard(id="sweep-board", cursor_type="row", cell_padding=1)
            with Vertical(id="sweep-charts"):
                charts = (
                    ScatterChart("objective", title="objective by parameter", id="sweep-scatter"),
                    TrialCurves("val_loss", title="validation curves", id="sweep-curves"),
                )
                for chart in charts:
                    if self._build_clock is not None:
                        chart.cpu_clock = self._build_clock
                    yield chart
        yield Static("", id="sweep-detail", markup=False)
        yield KeysFooter(compact=True, show_command_palette=False)  # at 80 columns every space counts

    @property
    def table(self) -> Leaderboard:
        """The leaderboard (row keys are trial numbers as text)."""
        return self.query_one("#sweep-board", Leaderboard)

    @property
    def scatter(self) -> ScatterChart:
        """The objective against the chosen parameter."""
        return self.query_one("#sweep-scatter", ScatterChart)

    @property
    def curves(self) -> TrialCurves:
        """The overlaid curves of the running, top and latest pruned trials."""
        return self.query_one("#sweep-curves", TrialCurves)

    def on_mount(self) -> None:
        self.sub_title = printable(self.sweep_dir.name)
        self.table.focus()
        self._read_spec()
        self.refresh_sweep()
        if self.refresh_seconds:
            self.set_interval(self.refresh_seconds, self.refresh_sweep)

    # ------------------------------------------------------------------ reading

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-spec", name="Reading the sweep's spec")
    def _read_spec(self) -> None:
        spec = self.source.load_sweep_spec(self.sweep_dir)
        dists = dict(spec.space) if spec is not None else {}
        self.app.call_from_thread(self._spec_read, dists)

    def _spec_read(self, dists: dict[str, Any]) -> None:
        self.dists = dists
        if self.record is not None:
            self._draw_scatter(self.record, at_once=True)  # part of opening the screen

    def refresh_sweep(self) -> None:
        """Read the sweep again (in a thread) and show what changed."""
        self._read_sweep()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-read", name="Reading the sweep")
    def _read_sweep(self) -> None:
        record = self.source.load_sweep(self.sweep_dir)
        curves = self._read_curves(record)
        self.app.call_from_thread(self.show_sweep, record, curves)

    def _read_curves(self, record: SweepRecord) -> dict[int, tuple[list[float | None], bool]]:
        """The curves to overlay, read from the trials' runs; a trial's run is read again only when it moved."""
        metric = record.status.metric if record.status is not None else "val_loss"
        chosen = curve_trials(record.trials, record.status.mode if record.status else "min")
        by_number = {t.number: t for t in record.trials}
        out: dict[int, tuple[list[float | None], bool]] = {}
        for number, dimmed in chosen:
            trial = by_number[number]
            moved = (trial.state, trial.epochs_done, trial.run, metric)
            cached = self._curves.get(number)
            if cached is None or cached[0] != moved:
                run_dir = record.run_dir(trial)
                try:
                    series = self.source.epoch_series(run_dir) if run_dir is not None else {}
                except OSError:
                    series = {}
                cached = (moved, list(series.get(metric, [])))
                self._curves[number] = cached
            out[number] = (cached[1], dimmed)
        return out

    # ------------------------------------------------------------------ drawing

    def show_sweep(self, record: SweepRecord, curves: dict[int, tuple[list[float | None], bool]]) -> None:
        """Show ``record`` and the ``curves`` (trial number -> (values, dimmed)): only what changed is redrawn."""
        self.record = record
        changed = self._show_board(record)
        self._show_head(record)
        # Both charts show the trials and the sweep's state only (a change waiting for its redraw keeps waiting).
        if changed or record.state != self._charted_state:
            self._charted_state = record.state
            # A sweep that no longer runs changes rarely: its final state is drawn at once.
            at_once = record.state not in ACTIVE_SWEEP_STATES
            self._draw_scatter(record, at_once=at_once)
            self._draw_curves(record, curves, at_once=at_once)
        self._show_detail()
        self._refresh_footer()

    def _show_text(self, static_id: str, text: Text | str) -> None:
        """Show ``text`` in the one-line Static ``static_id`` unless it shows it already (an update costs a repaint)."""
        if self._texts.get(static_id) == text:
            return
        self._texts[static_id] = text
        self.query_one(f"#{static_id}", Static).update(text, layout=False)  # one line, its size set by the CSS

    def _refresh_footer(self) -> None:
        """Redraw the footer's keys when the set of actions that apply changed (Textual rebuilds the footer)."""
        actions = self._enabled_actions()
        if actions != self._actions:
            self._actions = actions
            self.refresh_bindings()

    def _enabled_actions(self) -> frozenset[str]:
        board = self.board
        return enabled_actions(
            self.record, self.highlighted(), len(self.names), len(board.rank_of), board.best is not None
        )

    def _show_head(self, record: SweepRecord) -> None:
        """Two lines: the sweep's progress (done, running, left, ETA, pace); the best trial and where each trains.

        Every word from sweep.json (names, reasons, slots) is shown through :func:`printable`, as Text: a
        file may hold escape sequences or markup, and both are shown literally.
        """
        status = record.status
        head = Text()
        head.append(printable(status.name if status is not None else record.sweep_id), style="bold")
        head.append(printable(f" · {record.state}"))
        if status is None:
            head.append(printable(f": {record.reason or 'unreadable'}"), style=ERROR_STYLE)
            self._show_text("sweep-head", head)
            return
        progress = sweep_progress(record, self.clock())
        head.append(f" · {progress.done}/{progress.planned} done, {progress.running} running, {progress.left} left")
        if progress.eta is not None:
            head.append(f" · ETA {duration(progress.eta)}")
        if progress.per_hour is not None:
            head.append(f" · {progress.per_hour:.0f} trials/h")
        self._show_text("sweep-head", head)
        line = Text()
        best = self.board.best
        if best is not None:
            line.append(printable(f"best #{best.number}: {status.metric} {objective_text(best)}"), style="bold")
        else:
            line.append(printable(f"no best yet ({status.metric}, {status.mode})"))
        running = [self.board.by_number[n] for n in sorted(self.board.active)]
        if running:
            line.append(" · training: ")
            line.append(printable(", ".join(f"#{t.number} on {t.slot or '?'} epoch {t.epochs_done}" for t in running)))
        elif record.reason and record.state in ("crashed", "failed"):
            line.append(" · ")
            line.append(printable(record.reason), style=ERROR_STYLE)
        else:
            line.append(printable(f" · {status.sampler} sampler, pruner {status.pruner}"))
            if status.parent:
                line.append(printable(f" · refines {status.parent}"))
        self._show_text("sweep-running", line)

    def _show_board(self, record: SweepRecord) -> frozenset[int]:
        """Update the leaderboard in place: changed cells (only their rows repainted), new rows, new columns,
        the order if it moved. What changed is worked out from the trials that changed (:class:`LiveBoard`),
        whose numbers it returns."""
        table = self.table
        status = record.status
        names = param_names(record.trials)
        if names != self.names or not table.columns:
            self._rebuild_columns(names, status.metric if status else "objective")
        mode = status.mode if status else "min"
        update = self.board.update(record.trials, self.names, mode, self.sort, self.clock())
        best = self.board.best.number if self.board.best is not None else None
        by_number = self.board.by_number
        keys = [key for key, _ in board_columns(self.names, "")]
        new = update.rows
        changes = board_changes(self._cells, new, self._labels, self._widths)
        widens = changes.widths != self._widths
        self._widths = changes.widths
        self._cells.update(new)

        def styled(number: int, index: int) -> Text:
            return self._cell(by_number[number], keys[index], new[number][0][index], best)

        table.update_rows(
            {str(n): {keys[i]: styled(n, i) for i in indexes} for n, indexes in changes.changed.items()},
            widened={keys[i] for i in changes.widened},  # "running" grows into "finished"
        )
        table.append_rows([(str(n), [styled(n, i) for i in range(len(keys))]) for n in changes.added], widens)
        if update.order is not None and update.order != self.order:
            self.order = update.order
            listed = [str(number) for number in update.order]
            # A row whose trial this read lacks (never expected: trials are not removed) goes last.
            missing = {str(key.value) for key in table.rows} - set(listed)
            table.reorder(listed + sorted(missing, key=int))
        return update.changed

    def _rebuild_columns(self, names: list[str], metric: str) -> None:
        table = self.table
        table.clear(columns=True)
        self.names = names
        self._cells.clear()
        self.board.reset()
        self._widths = None
        self.order = []
        self._labels = [label for _, label in board_columns(names, metric)]
        for key, label in board_columns(names, metric):
            table.add_column(Text(label), key=key)  # a str label is read as markup; names come from files
        if self.param not in names:
            self.param = names[0] if names else None

    @staticmethod
    def _cell(trial: TrialEntry, key: str, text: str, best: int | None) -> Text:
        """A cell as Text (never markup: values come from files), the best row bold, failures marked."""
        style = "bold" if trial.number == best else ""
        if key == "state" and trial.state in ("failed", "crashed", "invalid", "diverged"):
            style = ERROR_STYLE
        elif key == "state" and trial.state == "finished":
            style = OK_STYLE if trial.number == best else ""
        elif key == "state" and trial.state in ("pruned", "stopped", "lost"):
            style = "dim"
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")

    def _draw_scatter(self, record: SweepRecord, *, at_once: bool = False) -> None:
        status = record.status
        param = self.param
        if param is None or status is None:
            return
        best = self.board.best.number if self.board.best is not None else None
        chart = self.scatter

        def draw() -> None:
            # Worked out when drawn: a paced chart skips most refreshes, and 200 trials' points cost.
            data = scatter_data(record.trials, param, self.dists.get(param), status.metric, best)
            with chart.batch_update():
                chart.set_metric(status.metric, f"{status.metric} by parameter")
                chart.set_data(data)

        self._paced("scatter", draw, at_once=at_once)

    def _draw_curves(
        self, record: SweepRecord, curves: dict[int, tuple[list[float | None], bool]], *, at_once: bool = False
    ) -> None:
        status = record.status
        metric = status.metric if status is not None else "val_loss"
        by_number = {t.number: t for t in record.trials}
        chart = self.curves
        keys = {str(n) for n in curves}

        def draw() -> None:
            with chart.batch_update():
                chart.set_metric(metric, f"{metric} by epoch")
                for key in [k for k in chart.series if k not in keys]:
                    chart.remove_series(key)
                for number, (values, _) in curves.items():
                    trial = by_number.get(number)
                    cut = trial is not None and trial.state in CUT_SHORT
                    chart.set_series(str(number), values, label=f"#{number}" + (f" {trial.state}" if cut else ""))
                chart.set_dimmed(str(n) for n, (_, dimmed) in curves.items() if dimmed)

        self._paced("curves", draw, at_once=at_once)

    def _chart(self, name: str) -> MeteredChart:
        return self.scatter if name == "scatter" else self.curves

    def _paced(self, name: str, draw: Callable[[], None], *, at_once: bool = False) -> None:
        """Apply ``draw`` (the chart's latest data) to chart ``name`` now if its pacer allows, else when it does.

        A change kept waiting is replaced by a later one: only the latest state is drawn.
        """
        self._waiting[name] = draw
        self._draw_pending(name, at_once=at_once)

    def _draw_pending(self, name: str, *, at_once: bool = False) -> None:
        """Draw chart ``name``'s pending change if it may be drawn now, else make sure a timer draws it later."""
        draw = self._waiting.get(name)
        if draw is None:
            return
        chart = self._chart(name)
        pacer = self.pacers[name]
        wait = 0.0 if at_once else pacer.wait(chart.build_seconds)
        if wait > 0:
            if name not in self._redraw_timers:
                self._redraw_timers[name] = self.set_timer(wait, partial(self._wait_over, name), name=f"redraw {name}")
            return
        del self._waiting[name]
        timer = self._redraw_timers.pop(name, None)
        if timer is not None:
            timer.stop()
        version = chart.version
        draw()
        if chart.version != version:  # a change that left the data as it was costs no build
            pacer.drawn()

    def _wait_over(self, name: str) -> None:
        self._redraw_timers.pop(name, None)
        self._draw_pending(name)

    def on_resize(self) -> None:
        """A resize rebuilds both charts anyway: draw what they wait to show with it."""
        for name in list(self._waiting):
            self._draw_pending(name, at_once=True)

    def _show_detail(self) -> None:
        """The highlighted trial in one line: its values, its run, why it ended so."""
        trial = self.highlighted()
        if trial is None or self.record is None:
            self._show_text("sweep-detail", "")
            return
        text = Text(f"trial {trial.number} {trial.state}")
        if trial.run:
            text.append(printable(f" · {trial.run}"))
        if trial.message:
            text.append(" · ")
            text.append(
                printable(trial.message), style=ERROR_STYLE if trial.state in ("failed", "crashed", "invalid") else ""
            )
        self._show_text("sweep-detail", text)

    @on(DataTable.RowHighlighted, "#sweep-board")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()
        self._refresh_footer()

    # ------------------------------------------------------------------ the highlighted trial

    def highlighted(self) -> TrialEntry | None:
        """The trial under the cursor, or None for an empty table."""
        table = self.table
        if not table.row_count or self.record is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.board.by_number.get(int(str(key.value)))

    def _run_dir(self, trial: TrialEntry) -> Path | None:
        return self.record.run_dir(trial) if self.record is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Trial actions need a trial (stop: a training one); sweep actions need the sweep's state to allow them."""
        if action not in GATED_ACTIONS:
            return True
        if action in self._enabled_actions():
            return True
        # Stop and resume exclude each other: the one that does not apply leaves the footer (80 columns
        # hold one of them); the others stay in it, dimmed, until they apply.
        return False if action in ("stop_sweep", "resume") else None

    # ------------------------------------------------------------------ actions

    @on(DataTable.RowSelected, "#sweep-board")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_trial()

    def action_open_trial(self) -> None:
        """Open the highlighted trial's monitor (live while it trains): it is an ordinary run."""
        trial = self.highlighted()
        run_dir = self._run_dir(trial) if trial is not None else None
        if trial is None or run_dir is None:
            self.notify("This trial has no run to open (it never started).", title="Open trial", severity="warning")
            return
        self.post_message(RunChosen(run_dir))

    def action_stop_trial(self) -> None:
        """Ask, then stop the highlighted trial after its current batch (the sweep goes on)."""
        self._confirm_stop_trial()

    @work(exclusive=True, group="sweep-dialog")
    async def _confirm_stop_trial(self) -> None:
        trial = self.highlighted()
        run_dir = self._run_dir(trial) if trial is not None else None
        if trial is None or run_dir is None or not trial.active:
            self.notify("Highlight a trial that is training.", title="Stop trial", severity="warning")
            return
        question = f"Stop trial {trial.number} after its current batch? What it trained is kept; the sweep goes on."
        if await self.app.push_screen_wait(ConfirmDialog(question, "Stop trial", "Keep training")):
            self._stop_trial(run_dir, trial.number)

    @work(thread=True, exit_on_error=False, group="sweep-act", name="Stopping the trial")
    def _stop_trial(self, run_dir: Path, number: int) -> None:
        stopped = self.source.stop(run_dir)
        message = f"Trial {number} stops after its current batch." if stopped else f"Trial {number} is not training."
        self.app.call_from_thread(self.notify, message, title="Stop trial", timeout=4, markup=False)

    def action_stop_sweep(self) -> None:
        """Ask, then stop the sweep and its trials (what they trained is kept)."""
        self._confirm_stop_sweep()

    @work(exclusive=True, group="sweep-dialog")
    async def _confirm_stop_sweep(self) -> None:
        question = (
            f"Stop the sweep {printable(self.sweep_dir.name)}? Its trials stop after their current batch and keep "
            "what they trained; no new trial starts."
        )
        if await self.app.push_screen_wait(ConfirmDialog(question, "Stop sweep", "Keep running")):
            self._stop_sweep()

    @work(thread=True, exit_on_error=False, group="sweep-act", name="Stopping the sweep")
    def _stop_sweep(self) -> None:
        try:
            said = self.source.stop_sweep(self.sweep_dir)
        except ValueError as exc:
            self.app.call_from_thread(self._error, exc, "Stop sweep")
            return
        self.app.call_from_thread(self.notify, printable(said), title="Stop sweep", timeout=6, markup=False)
        self.app.call_from_thread(self.refresh_sweep)

    def action_resume(self) -> None:
        """Start the stopped sweep's controller again: trials that ended are counted once, the rest run."""
        self._resume_sweep()

    @work(thread=True, exit_on_error=False, group="sweep-act", name="Resuming the sweep")
    def _resume_sweep(self) -> None:
        try:
            said = self.source.resume_sweep(self.sweep_dir)
        except (ValueError, OSError) as exc:
            self.app.call_from_thread(self._error, exc, "Resume")
            return
        self.app.call_from_thread(self.notify, printable(said), title="Resume", timeout=6, markup=False)
        self.app.call_from_thread(self.refresh_sweep)

    def action_refine(self) -> None:
        """Ask for K, then start a finer sweep around the top K trials and show it."""
        self._ask_refine()

    @work(exclusive=True, group="sweep-dialog")
    async def _ask_refine(self) -> None:
        record = self.record
        ranked = len(self.board.rank_of) if record and record.status else 0
        if ranked < 2:
            self.notify("Refining needs at least two finished trials.", title="Refine", severity="warning")
            return

        def check(text: str) -> str | None:
            if not text.strip().isdigit() or not 2 <= int(text) <= ranked:
                return f"a whole number from 2 to {ranked} (the trials that finished with an objective)"
            return None

        answer = await self.app.push_screen_wait(
            PromptDialog(
                "Refine around the top K trials",
                str(min(REFINE_TOP, ranked)),
                check=check,
                placeholder="K",
                help="Each range spans the top K trials' values, widened by a quarter of that span on its own "
                "scale; the new sweep starts at once.",
                submit="start",
            )
        )
        if answer is not None:
            self._refine(int(answer))

    @work(thread=True, exit_on_error=False, group="sweep-act", name="Refining the sweep")
    def _refine(self, top: int) -> None:
        spec = self.source.refine_sweep(self.sweep_dir, top)
        new_dir = self.source.start_sweep(spec)
        self.app.call_from_thread(self.post_message, SweepChosen(new_dir))

    def action_save_best(self) -> None:
        """Ask for a name, then save the best trial's experiment as a user preset."""
        self._ask_save_best()

    @work(exclusive=True, group="sweep-dialog")
    async def _ask_save_best(self) -> None:
        record = self.record
        if record is None or record.best is None or record.status is None:
            self.notify("No trial has finished with an objective yet.", title="Save best", severity="warning")
            return

        name = await self.app.push_screen_wait(
            PromptDialog(
                f"Save trial {record.best.number} (the best) as a preset",
                f"{record.status.name}-best"[:64],
                check=preset_name_problem,
                placeholder="preset name",
                help=f"Saved in {presets.user_dir()}; the experiment that trial trained, every searched value set.",
                submit="save",
            )
        )
        if name is None:
            return
        overwrite = False
        if (presets.user_dir() / f"{name}.toml").exists():
            question = f"User preset {name!r} exists. Overwrite it?"
            if not await self.app.push_screen_wait(ConfirmDialog(question, yes="Overwrite", no="Cancel")):
                return
            overwrite = True
        self._save_best(name, overwrite)

    @work(thread=True, exit_on_error=False, group="sweep-act", name="Saving the best trial")
    def _save_best(self, name: str, overwrite: bool) -> None:
        try:
            path = self.source.save_best(self.sweep_dir, name, overwrite)
        except (OSError, ValueError) as exc:
            self.app.call_from_thread(self._error, exc, "Not saved")
            return
        said = printable(f"Saved {path}; train it with 'tuitrain run {name}'.")
        self.app.call_from_thread(self.notify, said, timeout=6, markup=False)

    def action_next_param(self) -> None:
        """Scatter the objective by the next searched parameter."""
        if not self.names:
            return
        index = self.names.index(self.param) if self.param in self.names else -1
        self.param = self.names[(index + 1) % len(self.names)]
        if self.record is not None:
            self._draw_scatter(self.record, at_once=True)

    def action_next_sort(self) -> None:
        """Sort the leaderboard the next way (rank, trial number, objective, time)."""
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.notify(f"Sorted by {self.sort}.", timeout=2)
        if self.record is not None:
            self._show_board(self.record)

    def action_detach(self) -> None:
        """Go back and leave the sweep running (come back from the runs screen or with `tuitrain attach`)."""
        if self.running:
            self.notify(printable(f"{self.sweep_dir.name} keeps running."), title="Detached", timeout=4, markup=False)
        self.dismiss()

    def action_back(self) -> None:
        """Go back (the sweep, if it runs, keeps running)."""
        self.dismiss()

    @property
    def running(self) -> bool:
        """True while the sweep (as last read) is active."""
        return self.record is not None and self.record.state in ACTIVE_SWEEP_STATES

    async def can_quit(self) -> bool:
        """While the sweep runs, ask whether to stop it or leave it running (the app asks before quitting)."""
        if not self.running:
            return True
        answer = await self.app.push_screen_wait(QuitRunDialog(printable(self.sweep_dir.name)))
        if answer == "stop":
            try:
                self.source.stop_sweep(self.sweep_dir)
            except ValueError as exc:
                self._error(exc, "Stop sweep")
                return False
        return answer in ("stop", "leave")

    def palette_commands(self) -> list[SystemCommand]:
        """Extra command-palette entries: scatter by each parameter, sort each way."""
        # The palette reads its texts as markup; parameter names come from sweep.json.
        shown = {name: escape_markup(printable(name)) for name in self.names}
        commands = [
            SystemCommand(f"Scatter by {shown[n]}", f"The objective against {shown[n]}", partial(self._scatter_by, n))
            for n in self.names
        ]
        commands += [
            SystemCommand(f"Sort by {sort}", f"Order the leaderboard by {sort}", partial(self._sort_by, sort))
            for sort in SORTS
        ]
        return commands

    def _scatter_by(self, name: str) -> None:
        self.param = name
        if self.record is not None:
            self._draw_scatter(self.record, at_once=True)

    def _sort_by(self, sort: str) -> None:
        self.sort = sort
        if self.record is not None:
            self._show_board(self.record)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure of this screen ends here, as one error notice naming the job."""
        if event.state == WorkerState.ERROR:
            self.error = printable(f"{event.worker.name} failed: {event.worker.error}")
            self._error(event.worker.error, f"{event.worker.name} failed", timeout=10)

    def _error(self, error: object, title: str, timeout: float = 8) -> None:
        """An error notice: its text may quote a file's content or path, so it is shown literally."""
        self.notify(printable(error), title=title, severity="error", timeout=timeout, markup=False)
