"""The runs screen: every run in the runs folder; open, compare, re-run or delete them.

The table is filled from the source's run and sweep lists in a thread worker (reading a folder of runs
must not stall a frame) on open, on ``r`` and every few seconds; rows are updated in place, and nothing
is redrawn when nothing changed. Several runs marked with space are compared with ``c``: their
validation curves overlaid on one :class:`~tuitrain.ui.widgets.charts.CompareChart`.

A sweep is one row among the runs (▸); space or → opens it to its trials (▾, each a run row like any
other), space or ← folds it again; enter on it opens the sweep screen.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape as escape_markup
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from tuitrain.formatting import duration
from tuitrain.run_source import RunsSource
from tuitrain.runs.events import one_line
from tuitrain.runs.listing import RunSummary
from tuitrain.runs.note import clean_text, make_note
from tuitrain.runs.status import ACTIVE_STATES
from tuitrain.spec.diff import experiment_diff
from tuitrain.text import printable
from tuitrain.ui.messages import RunChosen, SweepChosen
from tuitrain.ui.run_list import (
    SORT_ORDER,
    SORTS,
    SweepSummary,
    TreeRow,
    arrange_tree,
    parse_filter,
    sort_label,
    spec_dataset,
    sweep_summary,
)
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.widgets.charts import COMPARE_MARKERS, CompareChart
from tuitrain.ui.widgets.footer import KeysFooter

REFRESH_SECONDS = 5.0
"""How often the list refreshes by itself (a folder scan in a thread; rows change only when runs did)."""

# Most telling first. The run's name takes the room the others leave (in a narrow terminal its time
# stamp is shortened and its end cut), so time, dataset and note stay in view at 80 columns.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "),
    ("run", "run"),
    ("state", "state"),
    ("epochs", "epochs"),
    ("val_loss", "best val_loss"),
    ("val_accuracy", "best val_acc"),
    ("duration", "time"),
    ("dataset", "dataset"),
    ("note", "note"),
)
NARROW_HEADERS = {"val_loss": "val_loss", "val_accuracy": "val_acc"}
"""Shorter headers when the table is narrow (the values then leave out their epoch)."""
WIDE_TABLE = 110
"""From this many columns on the table shows everything in full."""
MIN_NAME = 12
MAX_NARROW_NOTE = 12


def _best(value: tuple[int, float] | None, compact: bool = False) -> str:
    if value is None:
        return "--"
    epoch, number = value
    shown = f"{number:.{3 if compact else 4}g}" if math.isfinite(number) else str(number)
    return shown if compact else f"{shown} @{epoch}"


def fit_middle(text: str, width: int) -> str:
    """``text`` cut in its middle with "…" to at most ``width`` characters (its start and end stay)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2 + (width - 1) % 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def compact_name(name: str) -> str:
    """A run folder's name, its time stamp cut to month, day, hours and minutes ("1130-0332 digits-overfit")."""
    if re.fullmatch(r"\d{8}-\d{6}-.+", name):
        return f"{name[4:8]}-{name[9:13]} {name[16:]}"
    return name


def row_cells(row: RunSummary, marked: bool, compact: bool = False) -> list[str | Text]:
    """The table cells of one run (plain words: no colour needed); ``compact`` for a narrow table.

    A DataTable reads string cells as Rich markup, and a run folder's name, a dataset or a note is
    anyone's text ("[b]", escape sequences): every cell is a Text (never markup) with its control
    characters shown.
    """
    epochs = f"{row.epochs_done}/{row.epochs_planned}" if row.epochs_planned else str(row.epochs_done)
    name = printable(row.name)
    note = printable(row.note.label())
    cells = [
        "✓" if marked else " ",
        compact_name(name) if compact else name,
        printable(row.state_label),
        epochs,
        _best(row.best_val_loss, compact),
        _best(row.best_val_accuracy, compact),
        duration(row.duration, "--"),
        printable(row.dataset or "--"),
        fit_middle(note, MAX_NARROW_NOTE) if compact else note,
    ]
    return [Text(cell) for cell in cells]


def sweep_cells(sweep: SweepSummary, opened: bool, compact: bool = False) -> list[str | Text]:
    """The table cells of a sweep's row: ▸ (▾ when open), "sweep" and its folder's name, its state, trials
    ended of planned, the best validation loss and accuracy over its trials (with the trial's number), its
    time, data set, and its best trial's objective (or why it failed or can't be read)."""

    def best(value: tuple[int, float] | None) -> str:
        # A run's best value is "figure @epoch"; a sweep's is "figure #trial".
        shown = _best(value, compact)
        if value is None or compact:
            return shown
        return shown.rsplit(" @", 1)[0] + (f" #{value[0]}" if value[0] >= 0 else "")

    if sweep.reason and (sweep.best is None or sweep.state in ("failed", "crashed")):
        note = sweep.reason
    elif sweep.best is not None:
        number, objective = sweep.best
        note = f"#{number} {objective:.3g}" if compact else f"best #{number} {sweep.metric} {objective:.4g}"
    else:
        note = ""
    name = printable(sweep.name)
    cells = [
        "▾" if opened else "▸",
        "sweep " + (compact_name(name) if compact else name),
        printable(sweep.state_label),
        f"{sweep.epochs_done}/{sweep.trials_planned} {'tr' if compact else 'trials'}",
        best(sweep.best_val_loss),
        best(sweep.best_val_accuracy),
        duration(sweep.duration, "--"),
        printable(sweep.dataset or "--"),
        fit_middle(printable(note), MAX_NARROW_NOTE) if compact else printable(note),
    ]
    return [Text(cell) for cell in cells]


def line_cells(line: TreeRow, marked: bool, opened: bool, compact: bool = False) -> list[str | Text]:
    """The cells of one line of the table: a run, a sweep, or a trial (a run's cells, its name under its
    sweep's behind a tree branch; in a narrow table without its time stamp)."""
    if isinstance(line.row, SweepSummary):
        return sweep_cells(line.row, opened, compact)
    cells = row_cells(line.row, marked, compact)
    if line.kind == "trial":
        name = printable(line.row.name)
        if compact and re.fullmatch(r"\d{8}-\d{6}-.+", name):
            # Narrow: the trial's number first ("t0003-..."); its time is about the sweep's, on the row above.
            name = name[16:]
        cells[1] = Text(("└ " if line.last else "├ ") + name)
    return cells


def headers(compact: bool) -> list[str]:
    """The column headers, shorter ones in a narrow table."""
    return [NARROW_HEADERS.get(key, label) if compact else label for key, label in COLUMNS]


def fit_row_cells(cells: Sequence[list[str | Text]], width: int, compact: bool) -> list[list[str | Text]]:
    """``cells`` with each run name shortened so the table's columns fit ``width`` (each has 2 of padding)."""
    if not cells:
        return []
    others = sum(
        max(len(label), *(len(str(row[i])) for row in cells)) + 2 for i, label in enumerate(headers(compact)) if i != 1
    )
    room = max(width - others - 2 - 2, MIN_NAME)  # the name's padding, the scrollbar
    # A compact name starts with its time (what tells runs of one experiment apart): cut at its end.
    fit = fit_end if compact else fit_middle
    return [[row[0], Text(fit(str(row[1]), room)), *row[2:]] for row in cells]


def fit_end(text: str, width: int) -> str:
    """``text`` cut at its end with "…" to at most ``width`` characters."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class RunsScreen(Screen[None]):
    """Every run of ``source``: open (enter or o), mark (space), compare (c), re-run (R), delete, refresh (r).

    ``source`` (the app's :class:`~tuitrain.run_source.RunsSource`) lists, loads, starts and deletes
    runs. Opening a run, or starting one, posts :class:`~tuitrain.ui.messages.RunChosen`: the app opens
    its monitor. Each sweep of the source is one row; space (or → / ←) opens and folds it to its trials,
    and opening it posts :class:`~tuitrain.ui.messages.SweepChosen`: the app opens its sweep screen.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Enter opens (the table's own "select" key, handled in _row_selected), and "o": not in the footer,
        # which at 80 columns has room for the keys a list does not already suggest.
        Binding("o", "open_run", "Open", id="runs-open", show=False, tooltip="Open the highlighted run (or enter)"),
        # Over the app's "Runs" key (this is the runs screen: another one on top would only stack):
        # it reads the runs folder again.
        Binding("ctrl+t", "refresh", "Refresh", id="runs-again", show=False),
        Binding("space", "toggle_mark", "Mark", id="runs-mark", tooltip="Mark the run for comparing"),
        # On a sweep's row space opens or folds it instead (only one of the two is ever active).
        Binding("space", "toggle_trials", "Trials", id="runs-trials", tooltip="Show or hide the sweep's trials"),
        # Before the table's own (it scrolls sideways): only on a sweep's row or a trial's.
        Binding("right", "open_trials", "Open sweep", id="runs-sweep-open", show=False, priority=True),
        Binding("left", "fold_trials", "Fold sweep", id="runs-sweep-fold", show=False, priority=True),
        Binding("c", "compare", "Compare", id="runs-compare", tooltip="Overlay the marked runs' validation curves"),
        Binding("n", "next_metric", "Metric", id="runs-compare-metric", tooltip="Compare another metric"),
        Binding("R", "rerun", "Re-run", id="runs-rerun", tooltip="Start a new run with the same experiment"),
        Binding("x,delete", "delete_run", "Delete", id="runs-delete", tooltip="Delete the run's folder (asks first)"),
        # The list refreshes by itself every few seconds: r is there, but not in the footer.
        Binding("r", "refresh", "Refresh", id="runs-refresh", show=False, tooltip="Read the runs folder again"),
        Binding(
            "slash", "filter", "Filter", id="runs-filter", tooltip="Filter: words, state:running, dataset:mnist, #tag"
        ),
        Binding("s", "next_sort", "Sort", id="runs-sort", tooltip="Sort by the next column (or click a header)"),
        Binding("S", "flip_sort", "Flip sort", id="runs-flip-sort", show=False, tooltip="Reverse the order"),
        Binding("e", "edit_note", "Note", id="runs-note", tooltip="Write a note and tags on the run"),
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
        """Every run by its key (run directory path): the single runs and every sweep's trials."""
        self.singles: list[RunSummary] = []
        """The runs not in a sweep, as the source lists them."""
        self.sweeps: dict[str, SweepSummary] = {}
        """The sweeps by their key (sweep folder path)."""
        self.opened: set[str] = set()
        """Sweeps the user opened to their trials."""
        self.folded: set[str] = set()
        """Sweeps the user folded that the filter opened (forgotten when the filter changes)."""
        self.lines: dict[str, TreeRow] = {}
        """What each row of the table is, by key."""
        self._sweep_datasets: dict[Path, str | None] = {}
        self.marked: list[str] = []
        """Keys (run directory paths) of the runs marked for comparing, in marking order."""
        self.compare_metric = "val_loss"
        self.compared: list[str] = []
        self.histories: dict[str, dict[str, list[float | None]]] = {}
        self.error: str | None = None
        self.sort = "started"
        """The sort key (:data:`tuitrain.ui.run_list.SORTS`): newest first unless the user sorts."""
        self.flip = False
        self.filter_text = ""
        self.shown: list[str] = []
        """Keys of the rows in the table, top to bottom (what the filter let through, sorted)."""
        self._shown_cells: dict[str, list[str | Text]] = {}
        self._compact: bool | None = None
        self.skipped: list[str] = []
        """Folders of the runs root the last listing could not read (shown once as a notice)."""

    def compose(self) -> ComposeResult:
        yield Static(f"Runs in {self.runs_root}", id="runs-title", markup=False)
        yield Input(
            placeholder="filter: words, state:running, dataset:mnist, #tag (enter: keep, esc: clear)",
            id="runs-filter",
            compact=True,
        )
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True, cell_padding=1)
        yield Static(
            f"No runs in {self.runs_root} yet. Start one from the setup screen, or `tuitrain run PRESET`.",
            id="runs-empty",
            markup=False,
        )
        with Horizontal(id="compare"):
            yield CompareChart(self.compare_metric, title="val loss", id="compare-chart")
            with VerticalScroll(id="compare-diff-box"):
                yield Static("", id="compare-diff", markup=False)
        # Compact, without the palette's hint: at 80 columns every key of the list then fits.
        yield KeysFooter(compact=True, show_command_palette=False)

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
        skipped = list(self.source.skipped)
        try:
            records = self.source.list_sweeps()
        except ValueError as exc:  # the sweeps folder itself can't be read: the runs are still listed
            records, skipped = [], [*skipped, one_line(str(exc))]
        sweeps = [
            sweep_summary(record, self.source.list_trials(record.paths.root), self._sweep_dataset(record.paths.root))
            for record in records
        ]
        self.app.call_from_thread(self.show_rows, rows, sweeps)
        self.app.call_from_thread(self._note_skipped, skipped)
        return rows

    def _sweep_dataset(self, sweep_dir: Path) -> str | None:
        """The data set of the sweep's base experiment (its spec, read once: it never changes)."""
        if sweep_dir not in self._sweep_datasets:
            spec = self.source.load_sweep_spec(sweep_dir)
            self._sweep_datasets[sweep_dir] = spec_dataset(spec.base) if spec is not None else None
        return self._sweep_datasets[sweep_dir]

    def _note_skipped(self, skipped: list[str]) -> None:
        """Say once which folders could not be read (they are left out of the table)."""
        if skipped and skipped != self.skipped:
            shown = "; ".join(printable(s) for s in skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
            self.notify(f"Skipped {len(skipped)} folder(s): {shown}", title="Runs", severity="warning", markup=False)
        self.skipped = skipped

    def show_rows(self, rows: Sequence[RunSummary], sweeps: Sequence[SweepSummary] | None = None) -> None:
        """Take ``rows`` as the runs there are now and ``sweeps`` as the sweeps (None: the same as before),
        and show those the filter lets through, sorted."""
        if sweeps is not None:
            self.sweeps = {str(sweep.sweep_dir): sweep for sweep in sweeps}
        self.singles = list(rows)
        fresh = {str(row.run_dir): row for row in rows}
        for sweep in self.sweeps.values():
            fresh.update((str(trial.run_dir), trial) for trial in sweep.trials)
        self.marked = [k for k in self.marked if k in fresh]
        self.rows = fresh
        self._draw_table()

    def is_open(self, key: str) -> bool:
        """Whether the sweep ``key`` shows its trials: opened by the user, or by a filter that matches one
        of its trials (until the user folds it)."""
        if key in self.opened:
            return True
        sweep = self.sweeps.get(key)
        run_filter = parse_filter(self.filter_text)
        if sweep is None or not run_filter or key in self.folded or run_filter.matches(sweep):
            return False
        return any(run_filter.matches(trial) for trial in sweep.trials)

    def _draw_table(self, width: int | None = None) -> None:
        """Put the filtered, sorted rows in the table: cells updated in place when the order is unchanged,
        the table rebuilt (the cursor kept on its run) when it changed."""
        table = self.table
        width = width or self.size.width
        compact = width < WIDE_TABLE
        opened = {key for key in self.sweeps if self.is_open(key)}
        lines = arrange_tree(
            self.singles, list(self.sweeps.values()), parse_filter(self.filter_text), self.sort, self.flip, opened
        )
        self.lines = {line.key: line for line in lines}
        keys = [line.key for line in lines]
        cells = fit_row_cells(
            [line_cells(line, line.key in self.marked, line.key in opened, compact) for line in lines], width, compact
        )
        wanted = dict(zip(keys, cells, strict=True))
        if compact != self._compact or keys != self.shown:
            current = self.highlighted_key()
            table.clear(columns=compact != self._compact)
            if compact != self._compact:
                for (key, _), label in zip(COLUMNS, headers(compact), strict=True):
                    table.add_column(label, key=key)
            for key in keys:
                table.add_row(*wanted[key], key=key)
            if current is not None and current in wanted:
                table.move_cursor(row=keys.index(current), animate=False)
            self._compact = compact
        else:
            for key in keys:
                if self._shown_cells.get(key) != wanted[key]:
                    for (column, _), cell in zip(COLUMNS, wanted[key], strict=True):
                        table.update_cell(key, column, cell, update_width=True)
        self.shown, self._shown_cells = keys, wanted
        self.set_class(not self.rows and not self.sweeps, "-empty")
        self._show_title()
        self.refresh_bindings()

    def _show_title(self) -> None:
        count = len(self.singles)
        running = sum(1 for r in self.singles if r.state == "running")
        title = f"{count} run{'s' if count != 1 else ''}"
        if self.sweeps:
            title += f", {len(self.sweeps)} sweep{'s' if len(self.sweeps) != 1 else ''}"
        if running:
            title += f", {running} running"
        if self.filter_text:
            title += f" · {len(self.shown)} shown (filter: {self.filter_text})"
        title += f" · {sort_label(self.sort, self.flip)}"
        if self.marked:
            title += f" · {len(self.marked)} marked (c: compare)"
        place = f"Runs in {printable(self.runs_root)}: "
        width = self.size.width - 2
        self.query_one("#runs-title", Static).update(place + title if len(place + title) <= width else title)

    def on_resize(self, event: Resize) -> None:
        """Names are shortened to the width: fit them again."""
        if self.rows or self.sweeps:
            self._draw_table(event.size.width)

    # ------------------------------------------------------------------ sorting, filtering, notes

    def action_next_sort(self) -> None:
        """Sort by the next column (newest first comes round again)."""
        self.sort = SORT_ORDER[(SORT_ORDER.index(self.sort) + 1) % len(SORT_ORDER)]
        self.flip = False
        self._draw_table()

    def action_flip_sort(self) -> None:
        """Reverse the order."""
        self.flip = not self.flip
        self._draw_table()

    @on(DataTable.HeaderSelected, "#runs-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = str(event.column_key.value)
        if key not in SORTS:
            return
        if key == self.sort:
            self.flip = not self.flip
        else:
            self.sort, self.flip = key, False
        self._draw_table()

    def action_filter(self) -> None:
        """Show the filter box and type into it."""
        box = self.query_one("#runs-filter", Input)
        # Shown at once, not through a CSS class: a hidden input cannot take focus, and the keys typed
        # right after "/" would go to the table ("s" sorts, "e" opens the note).
        box.display = True
        box.focus()

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        self.folded.clear()
        self._draw_table()

    @on(Input.Submitted, "#runs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter_text:
            self.query_one("#runs-filter", Input).display = False
        self.table.focus()

    def action_edit_note(self) -> None:
        """Ask for the highlighted run's note and tags, and keep them in its folder."""
        row = self.highlighted()
        if row is not None:
            self._edit_note(row)

    @work(exclusive=True, group="runs-note")
    async def _edit_note(self, row: RunSummary) -> None:
        current = row.note.label()
        answer = await self.app.push_screen_wait(
            PromptDialog(
                f"Note on {escape_markup(printable(row.name))}",
                current,
                placeholder="#baseline #sgd what this run tried",
                help="Words starting with # are tags (filter with #tag). Empty removes the note.",
                submit="Save",
            )
        )
        if answer is None:
            return
        tags = [word for word in answer.split() if word.startswith("#")]
        text = " ".join(word for word in answer.split() if not word.startswith("#"))
        note = make_note(text, tags)
        try:
            await asyncio.to_thread(self.source.set_note, row.run_dir, note)
        except OSError as exc:
            self.notify(f"Cannot save the note: {exc}", title=printable(row.name), severity="error", markup=False)
            return
        self._replace_run(replace(row, note=note))

    def _replace_run(self, row: RunSummary) -> None:
        """Show ``row`` in place of the run (a single run or a trial) of the same folder."""
        self.singles = [row if r.run_dir == row.run_dir else r for r in self.singles]
        for key, sweep in self.sweeps.items():
            if any(t.run_dir == row.run_dir for t in sweep.trials):
                trials = tuple(row if t.run_dir == row.run_dir else t for t in sweep.trials)
                self.sweeps[key] = replace(sweep, trials=trials)
        self.show_rows(self.singles)

    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor (a run's or a sweep's folder), or None for an empty table."""
        table = self.table
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def highlighted(self) -> RunSummary | None:
        """The run (a single run or a trial) under the cursor, or None (an empty table, a sweep's row)."""
        key = self.highlighted_key()
        return None if key is None else self.rows.get(key)

    def highlighted_sweep(self) -> SweepSummary | None:
        """The sweep under the cursor (its row, or the sweep of the trial under it), if any."""
        key = self.highlighted_key()
        if key is None:
            return None
        if key in self.sweeps:
            return self.sweeps[key]
        line = self.lines.get(key)
        if line is None or line.kind != "trial":
            return None
        return next((s for s in self.sweeps.values() if any(str(t.run_dir) == key for t in s.trials)), None)

    @on(DataTable.RowHighlighted, "#runs-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # A sweep's row has other keys than a run's: the footer follows the cursor.
        self.refresh_bindings()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row actions need a run's row (a sweep's has open and space only); compare needs two marked runs."""
        if action == "open_run":
            return self.highlighted_key() is not None
        if action in ("toggle_mark", "rerun", "delete_run", "edit_note"):
            return self.highlighted() is not None
        if action == "toggle_trials":
            return self.highlighted_key() in self.sweeps
        if action in ("open_trials", "fold_trials"):
            # Only for the table: in the filter box the arrows move the text cursor.
            sweep = self.highlighted_sweep()
            if sweep is None or self.focused is not self.table:
                return False
            is_open = self.is_open(str(sweep.sweep_dir))
            return not is_open if action == "open_trials" else is_open
        if action == "compare":
            # Shown but greyed out until two runs are marked, so the footer says what marking is for.
            return True if len(self.marked) >= 2 else None
        if action == "next_metric":
            return bool(self.compared)
        if action in ("next_sort", "filter"):
            # While comparing the footer needs the room for the comparison's keys; escape closes it first.
            return not self.compared
        return True

    @on(DataTable.RowSelected, "#runs-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_open_run(self) -> None:
        """Open the highlighted run's monitor (live if it trains), or the highlighted sweep's screen."""
        key = self.highlighted_key()
        if key in self.sweeps:
            self.post_message(SweepChosen(self.sweeps[key].sweep_dir))
            return
        row = self.highlighted()
        if row is None:
            return
        self.post_message(RunChosen(row.run_dir))

    def action_toggle_trials(self) -> None:
        """Show the highlighted sweep's trials under it, or hide them."""
        sweep = self.highlighted_sweep()
        if sweep is not None:
            self._set_open(str(sweep.sweep_dir), not self.is_open(str(sweep.sweep_dir)))

    def action_open_trials(self) -> None:
        """Show the highlighted sweep's trials under it."""
        sweep = self.highlighted_sweep()
        if sweep is not None:
            self._set_open(str(sweep.sweep_dir), True)

    def action_fold_trials(self) -> None:
        """Hide the trials of the highlighted sweep (or of the trial's sweep), the cursor on its row."""
        sweep = self.highlighted_sweep()
        if sweep is not None:
            self._set_open(str(sweep.sweep_dir), False)

    def _set_open(self, key: str, opened: bool) -> None:
        if opened:
            self.opened.add(key)
            self.folded.discard(key)
        else:
            self.opened.discard(key)
            self.folded.add(key)
        self._draw_table()
        if not opened and key in self.shown:
            # Folding from one of its trials: the cursor goes to the sweep's row (its trial is gone).
            self.table.move_cursor(row=self.shown.index(key), animate=False)
        self.refresh_bindings()

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
        self.table.action_cursor_down()
        self._draw_table()

    def action_compare(self) -> None:
        """Overlay the marked runs' validation curves (read in a thread)."""
        if len(self.marked) < 2:
            self.notify("Mark at least two runs with space first.", title="Compare", severity="warning")
            return
        self._load_histories([self.rows[k].run_dir for k in self.marked if k in self.rows])

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-compare", name="Reading run histories")
    def _load_histories(self, run_dirs: list[Path]) -> None:
        records = {str(d): self.source.load(d) for d in run_dirs}
        histories = {key: record.series() for key, record in records.items()}
        experiments = {key: record.experiment for key, record in records.items()}
        self.app.call_from_thread(self.show_comparison, histories, experiments)

    def show_comparison(
        self,
        histories: dict[str, dict[str, list[float | None]]],
        experiments: dict[str, dict[str, Any] | None] | None = None,
    ) -> None:
        """Draw the compare chart from the runs' histories (keys: run directory paths), and beside it
        the fields in which their ``experiments`` (as recorded) differ."""
        self.histories = histories
        self.query_one("#compare-diff", Static).update(self._diff_text(experiments or {}))
        self.compared = list(histories)
        metrics = self.compare_metrics()
        if self.compare_metric not in metrics and metrics:
            self.compare_metric = metrics[0]
        self._draw_comparison()
        self.add_class("-comparing")
        self.refresh_bindings()

    def _diff_text(self, experiments: dict[str, dict[str, Any] | None]) -> Text:
        """The differing fields, each with every run's value behind that run's chart glyph."""
        keys = list(self.histories)
        diff = experiment_diff([experiments.get(key) for key in keys])
        text = Text()
        text.append("Differences" if diff else "The experiments are the same.", style="bold")
        section = None
        for field_name, values in diff:
            # Grouped by table ("optimizer", then "learning_rate" under it): short lines that do not
            # wrap in the narrow panel.
            head, _, rest = field_name.partition(".")
            if rest and head != section:
                text.append(f"\n{head}", style="bold underline")
            section = head if rest else None
            text.append(f"\n {rest or head}\n", style="bold")
            shown = [f"{COMPARE_MARKERS[i % len(COMPARE_MARKERS)]} {clean_text(v)}" for i, v in enumerate(values)]
            text.append("   " + "\n   ".join(shown))
        return text

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
        """Clear the filter, else close the comparison if it is open, else go back."""
        box = self.query_one("#runs-filter", Input)
        if self.filter_text or box.display:
            box.value = ""
            self.filter_text = ""
            box.display = False
            self.table.focus()
            self._draw_table()
            return
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
        line = self.lines.get(str(row.run_dir))
        if line is not None and line.kind == "trial":
            sweep = self.highlighted_sweep()
            owner = printable(sweep.name) if sweep is not None else "its sweep"
            self.notify(
                f"{printable(row.name)} is a trial of {owner}: its sweep's record needs it: not deleted alone.",
                title="Cannot delete",
                severity="error",
                markup=False,
            )
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
        self.show_rows([r for r in self.singles if r.run_dir != row.run_dir])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure of this screen ends here, as one error notice naming the job."""
        if event.state == WorkerState.ERROR:
            self.error = f"{event.worker.name} failed: {event.worker.error}"
            title = f"{event.worker.name} failed"
            self.notify(printable(event.worker.error), title=title, severity="error", timeout=10, markup=False)
