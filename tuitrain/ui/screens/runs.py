"""The runs screen: every run in the runs folder; open, compare, re-run or delete them.

The table is filled from the source's run list in a thread worker (reading a folder of runs must not
stall a frame) on open, on ``r`` and every few seconds; rows are updated in place, and nothing is
redrawn when nothing changed. Several runs marked with space are compared with ``c``: their
validation curves overlaid on one :class:`~tuitrain.ui.widgets.charts.CompareChart`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.markup import escape as escape_markup
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from tuitrain.formatting import duration
from tuitrain.run_source import RunsSource
from tuitrain.runs.listing import RunSummary
from tuitrain.runs.status import ACTIVE_STATES
from tuitrain.text import printable
from tuitrain.ui.messages import RunChosen
from tuitrain.ui.screens.dialogs import ConfirmDialog
from tuitrain.ui.widgets.charts import CompareChart

REFRESH_SECONDS = 5.0
"""How often the list refreshes by itself (a folder scan in a thread; rows change only when runs did)."""

# Most telling first: at 80 columns the table scrolls sideways and what falls off is the data set.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "),
    ("run", "run"),
    ("state", "state"),
    ("epochs", "epochs"),
    ("val_loss", "best val_loss"),
    ("val_accuracy", "best val_acc"),
    ("duration", "time"),
    ("dataset", "dataset"),
)


def _best(value: tuple[int, float] | None, digits: int = 4) -> str:
    if value is None:
        return "--"
    epoch, number = value
    shown = f"{number:.{digits}g}" if math.isfinite(number) else str(number)
    return f"{shown} @{epoch}"


def row_cells(row: RunSummary, marked: bool) -> list[str | Text]:
    """The table cells of one run (plain words: no colour needed).

    A DataTable reads string cells as Rich markup, and a run folder's name is anyone's text ("[b]",
    escape sequences): every cell is escaped for markup and has its control characters shown.
    """
    epochs = f"{row.epochs_done}/{row.epochs_planned}" if row.epochs_planned else str(row.epochs_done)
    cells = [
        "✓" if marked else " ",
        row.name,
        row.state_label,
        epochs,
        _best(row.best_val_loss),
        _best(row.best_val_accuracy),
        duration(row.duration, "--"),
        row.dataset or "--",
    ]
    return [escape_markup(printable(cell)) for cell in cells]


class RunsScreen(Screen[None]):
    """Every run of ``source``: open (enter or o), mark (space), compare (c), re-run (R), delete, refresh (r).

    ``source`` (the app's :class:`~tuitrain.run_source.RunsSource`) lists, loads, starts and deletes
    runs. Opening a run, or starting one, posts :class:`~tuitrain.ui.messages.RunChosen`: the app opens
    its monitor.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Enter opens too (the table's own "select" key, handled in _row_selected); "o" is the one shown.
        Binding("o", "open_run", "Open", id="runs-open", tooltip="Open the highlighted run's monitor (or enter)"),
        Binding("space", "toggle_mark", "Mark", id="runs-mark", tooltip="Mark the run for comparing"),
        Binding("c", "compare", "Compare", id="runs-compare", tooltip="Overlay the marked runs' validation curves"),
        Binding("n", "next_metric", "Compare metric", id="runs-compare-metric", tooltip="Compare another metric"),
        Binding("R", "rerun", "Re-run", id="runs-rerun", tooltip="Start a new run with the same experiment"),
        Binding("delete,x", "delete_run", "Delete", id="runs-delete", tooltip="Delete the run's folder (asks first)"),
        Binding("r", "refresh", "Refresh", id="runs-refresh", tooltip="Read the runs folder again"),
        Binding("escape", "back", "Back", id="runs-back", tooltip="Close the comparison, or go back"),
    ]

    def __init__(
        self,
        source: RunsSource,
        *,
        refresh_seconds: float | None = REFRESH_SECONDS,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = source
        self.runs_root = source.runs_root
        self.refresh_seconds = refresh_seconds
        self.rows: dict[str, RunSummary] = {}
        self.marked: list[str] = []
        """Keys (run directory paths) of the runs marked for comparing, in marking order."""
        self.compare_metric = "val_loss"
        self.compared: list[str] = []
        self.histories: dict[str, dict[str, list[float | None]]] = {}
        self.error: str | None = None
        self.skipped: list[str] = []
        """Folders of the runs root the last listing could not read (shown once as a notice)."""

    def compose(self) -> ComposeResult:
        yield Static(f"Runs in {self.runs_root}", id="runs-title", markup=False)
        table: DataTable[str | Text] = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True, cell_padding=1)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static(
            f"No runs in {self.runs_root} yet. Start one from the setup screen, or `tuitrain run PRESET`.",
            id="runs-empty",
            markup=False,
        )
        yield CompareChart(self.compare_metric, title="val loss", id="compare-chart")
        yield Footer()

    @property
    def table(self) -> DataTable[str | Text]:
        """The runs table (row keys are run directory paths)."""
        return self.query_one("#runs-table", DataTable)

    @property
    def chart(self) -> CompareChart:
        """The compare chart."""
        return self.query_one("#compare-chart", CompareChart)

    def on_mount(self) -> None:
        self.table.focus()
        self.action_refresh()
        if self.refresh_seconds:
            self.set_interval(self.refresh_seconds, self.action_refresh)

    # ------------------------------------------------------------------ listing

    def action_refresh(self) -> None:
        """Read the runs folder again (in a thread)."""
        self._list_runs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-list", name="Reading the runs folder")
    def _list_runs(self) -> list[RunSummary]:
        rows = self.source.list()
        self.app.call_from_thread(self.show_rows, rows)
        self.app.call_from_thread(self._note_skipped, list(self.source.skipped))
        return rows

    def _note_skipped(self, skipped: list[str]) -> None:
        """Say once which folders could not be read (they are left out of the table)."""
        if skipped and skipped != self.skipped:
            shown = "; ".join(printable(s) for s in skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
            self.notify(f"Skipped {len(skipped)} folder(s): {shown}", title="Runs", severity="warning", markup=False)
        self.skipped = skipped

    def show_rows(self, rows: Sequence[RunSummary]) -> None:
        """Put ``rows`` in the table: update changed rows, add new ones, drop vanished ones."""
        table = self.table
        fresh = {str(row.run_dir): row for row in rows}
        for key in [k for k in self.rows if k not in fresh]:
            table.remove_row(key)
            del self.rows[key]
            if key in self.marked:
                self.marked.remove(key)
        for key, row in fresh.items():
            old = self.rows.get(key)
            if old == row:
                continue
            self.rows[key] = row
            cells = row_cells(row, key in self.marked)
            if old is None:
                table.add_row(*cells, key=key)
            else:
                for (column, _), cell in zip(COLUMNS, cells, strict=True):
                    table.update_cell(key, column, cell)
        self.set_class(not self.rows, "-empty")
        count = len(self.rows)
        running = sum(1 for r in self.rows.values() if r.state == "running")
        title = f"Runs in {printable(self.runs_root)}: {count} run{'s' if count != 1 else ''}"
        if running:
            title += f", {running} running"
        if self.marked:
            title += f" · {len(self.marked)} marked (c: compare)"
        self.query_one("#runs-title", Static).update(title)
        self.refresh_bindings()

    def highlighted(self) -> RunSummary | None:
        """The run under the cursor, or None for an empty table."""
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.rows.get(str(key.value))

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row actions need a row; compare needs two marked runs."""
        if action in ("open_run", "toggle_mark", "rerun", "delete_run"):
            return bool(self.rows)
        if action == "compare":
            # Shown but greyed out until two runs are marked, so the footer says what marking is for.
            return True if len(self.marked) >= 2 else None
        if action == "next_metric":
            return bool(self.compared)
        return True

    @on(DataTable.RowSelected, "#runs-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_open_run(self) -> None:
        """Open the highlighted run's monitor (live if it trains)."""
        row = self.highlighted()
        if row is None:
            return
        self.post_message(RunChosen(row.run_dir))

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted run for comparing, and move down."""
        row = self.highlighted()
        if row is None:
            return
        key = str(row.run_dir)
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked.append(key)
        self.table.update_cell(key, "mark", "✓" if key in self.marked else " ")
        self.table.action_cursor_down()
        self.show_rows(list(self.rows.values()))

    def action_compare(self) -> None:
        """Overlay the marked runs' validation curves (read in a thread)."""
        if len(self.marked) < 2:
            self.notify("Mark at least two runs with space first.", title="Compare", severity="warning")
            return
        self._load_histories([self.rows[k].run_dir for k in self.marked if k in self.rows])

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-compare", name="Reading run histories")
    def _load_histories(self, run_dirs: list[Path]) -> None:
        histories = {str(d): self.source.load(d).series() for d in run_dirs}
        self.app.call_from_thread(self.show_comparison, histories)

    def show_comparison(self, histories: dict[str, dict[str, list[float | None]]]) -> None:
        """Draw the compare chart from the runs' histories (keys: run directory paths)."""
        self.histories = histories
        self.compared = list(histories)
        metrics = self.compare_metrics()
        if self.compare_metric not in metrics and metrics:
            self.compare_metric = metrics[0]
        self._draw_comparison()
        self.add_class("-comparing")
        self.refresh_bindings()

    def compare_metrics(self) -> list[str]:
        """Validation metrics every compared run logged, val_loss first."""
        common: set[str] | None = None
        for history in self.histories.values():
            keys = {k for k in history if k.startswith("val_")}
            common = keys if common is None else common & keys
        return sorted(common or (), key=lambda k: (k != "val_loss", k))

    def _draw_comparison(self) -> None:
        chart = self.chart
        with chart.batch_update():
            chart.set_metric(self.compare_metric)
            for key in [k for k in chart.series if k not in self.histories]:
                chart.remove_series(key)
            for key, history in self.histories.items():
                name = self.rows[key].name if key in self.rows else Path(key).name
                chart.set_series(key, history.get(self.compare_metric, []), label=printable(name))

    def action_next_metric(self) -> None:
        """Compare the next validation metric the runs share."""
        metrics = self.compare_metrics()
        if not metrics:
            return
        index = metrics.index(self.compare_metric) if self.compare_metric in metrics else -1
        self.compare_metric = metrics[(index + 1) % len(metrics)]
        self._draw_comparison()

    def action_back(self) -> None:
        """Close the comparison if it is open, else go back."""
        if self.has_class("-comparing"):
            self.remove_class("-comparing")
            self.compared = []
            self.refresh_bindings()
            return
        self.dismiss()

    def action_rerun(self) -> None:
        """Start a new run with the highlighted run's experiment, then open its monitor."""
        row = self.highlighted()
        if row is not None:
            self._rerun(row)

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-rerun", name="Starting the run")
    def _rerun(self, row: RunSummary) -> None:
        experiment = self.source.load(row.run_dir).experiment_spec()
        if experiment is None:
            self.app.call_from_thread(
                self.notify,
                f"{printable(row.name)} has no readable experiment.toml, so it cannot be re-run.",
                title="Re-run",
                severity="error",
                markup=False,
            )
            return
        run_dir = self.source.start(experiment)
        self.app.call_from_thread(self._started, run_dir)

    def _started(self, run_dir: Path) -> None:
        self.action_refresh()
        self.post_message(RunChosen(run_dir))

    def action_delete_run(self) -> None:
        """Delete the highlighted run after asking (a running run is refused)."""
        self._confirm_delete()

    @work(exclusive=True, group="runs-delete")
    async def _confirm_delete(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if row.state in ACTIVE_STATES:
            self.notify(
                f"{printable(row.name)} is still training: stop it first (open it, then s).",
                title="Cannot delete",
                severity="error",
                markup=False,
            )
            return
        question = printable(f"Delete {row.name} and everything in {row.run_dir}? This cannot be undone.")
        if not await self.app.push_screen_wait(ConfirmDialog(question, "Delete", "Keep")):
            return
        try:
            # Removing a folder of model files can take a moment: not on the UI thread.
            await asyncio.to_thread(self.source.delete, row.run_dir)
        except (ValueError, RuntimeError, OSError) as exc:
            # The runs package refuses a run that started training meanwhile, or a folder that is not a run.
            self.notify(
                printable(exc), title=f"Cannot delete {printable(row.name)}", severity="error", timeout=8, markup=False
            )
            self.action_refresh()
            return
        self.notify(f"Deleted {printable(row.name)}.", timeout=4, markup=False)
        self.show_rows([r for k, r in self.rows.items() if k != str(row.run_dir)])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure of this screen ends here, as one error notice naming the job."""
        if event.state == WorkerState.ERROR:
            self.error = f"{event.worker.name} failed: {event.worker.error}"
            title = f"{event.worker.name} failed"
            self.notify(printable(event.worker.error), title=title, severity="error", timeout=10, markup=False)
