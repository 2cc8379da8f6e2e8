"""The runs screen over a fake run source: listing, open, mark and compare, re-run, delete with confirmation."""

from __future__ import annotations

from pathlib import Path

from runfiles import FakeSource, ScreenApp, experiment, overfitting_history, run_row, wait_for_screen, wait_until
from textual.widgets.data_table import ColumnKey

from tuitrain.runs.note import RunNote
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.screens.runs import RunsScreen
from tuitrain.ui.widgets.charts import CompareChart


def catalog(tmp_path: Path) -> FakeSource:
    history = overfitting_history(10)
    a, b, c = tmp_path / "run-a", tmp_path / "run-b", tmp_path / "run-c"
    cat = FakeSource(
        runs_root=tmp_path,
        exp=experiment(),
        rows=[run_row(a), run_row(b, epochs=6, best_val_loss=(3, 0.5)), run_row(c, state="running", epochs=2)],
    )
    cat.histories[a] = {k: [logs[k] for logs in history] for k in history[0]}
    cat.histories[b] = {k: [logs[k] * 1.1 for logs in history[:6]] for k in history[0]}
    cat.experiments[b] = experiment(epochs=6)
    return cat


async def test_lists_runs_with_state_and_best_values(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        row = [str(cell) for cell in screen.table.get_row(str(tmp_path / "run-b"))]
        assert row[1:4] == ["run-b", "finished", "6/6"]
        assert row[4] == "0.5 @3" and row[5] == "0.88 @4" and row[7] == "digits"
        assert "3 runs, 1 running" in str(screen.query_one("#runs-title").content)

        # A refresh updates rows in place and drops vanished runs.
        cat.rows = [run_row(tmp_path / "run-a", state="stopped")]
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        assert str(screen.table.get_row(str(tmp_path / "run-a"))[2]) == "stopped"


async def test_compare_two_runs_overlays_their_validation_curves(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        assert screen.check_action("compare", ()) is None  # shown greyed out until two are marked
        await pilot.press("space", "space")  # marks run-a, then run-b (the cursor moves down)
        assert screen.marked == [str(tmp_path / "run-a"), str(tmp_path / "run-b")]
        await pilot.press("c")
        await wait_until(pilot, lambda: screen.has_class("-comparing"))
        await pilot.pause()
        chart = screen.chart
        assert isinstance(chart, CompareChart) and chart.metric == "val_loss"
        assert {s.label for s in chart.series.values()} == {"run-a", "run-b"}
        assert len(chart.series[str(tmp_path / "run-a")].values) == 10
        assert len(chart.series[str(tmp_path / "run-b")].values) == 6
        assert chart.region.height > 5
        # Beside the curves: only the fields in which the two experiments differ.
        diff = str(screen.query_one("#compare-diff").content)
        assert "training" in diff and "epochs" in diff and "• 10" in diff and "× 6" in diff
        assert "optimizer" not in diff and "dataset.name" not in diff

        await pilot.press("n")  # the next metric both runs logged
        await pilot.pause()
        assert chart.metric == "val_accuracy"

        await pilot.press("escape")  # closes the comparison first
        await pilot.pause()
        assert not screen.has_class("-comparing") and pilot.app.screen is screen


async def test_delete_asks_and_refuses_running_runs(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert cat.deleted == []

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.table.row_count == 2)
        assert cat.deleted == [tmp_path / "run-a"]

        # The running run is refused without a question.
        screen.table.move_cursor(row=screen.table.get_row_index(str(tmp_path / "run-c")))
        await pilot.press("x")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert cat.deleted == [tmp_path / "run-a"]


async def test_open_and_rerun(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    screen = RunsScreen(cat, refresh_seconds=None)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [tmp_path / "run-a"]  # the app opens the monitor

        await pilot.press("R")
        await wait_until(pilot, lambda: len(app.chosen) == 2)
        assert cat.started == [(cat.exp, None)]
        assert app.chosen[-1] == tmp_path / "run-1"  # the new run's monitor


async def test_a_run_without_a_readable_experiment_is_not_rerun(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    cat.exp = None
    screen = RunsScreen(cat, refresh_seconds=None)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await pilot.press("R")
        await wait_until(pilot, lambda: bool(app._notifications))
        assert "cannot be re-run" in next(iter(app._notifications)).message
        assert cat.started == [] and app.chosen == []


async def test_empty_folder_says_how_to_start(tmp_path: Path) -> None:
    screen = RunsScreen(FakeSource(runs_root=tmp_path), refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert screen.has_class("-empty")
        assert screen.check_action("open_run", ()) is False


async def test_a_pending_run_is_refused_like_a_running_one(tmp_path: Path) -> None:
    pending = tmp_path / "run-p"
    cat = FakeSource(runs_root=tmp_path, rows=[run_row(pending, state="pending", epochs=0)])
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        await pilot.press("x")
        await pilot.pause()
        assert pilot.app.screen is screen  # no question: it is refused at once
        assert cat.deleted == []


def shown_names(screen: RunsScreen) -> list[str]:
    return [str(screen.table.get_row_at(i)[1]) for i in range(screen.table.row_count)]


async def test_a_new_run_lands_on_top_and_stays_there_after_refresh(tmp_path: Path) -> None:
    """A run started with R was added at the bottom of the table (and stayed there after r)."""
    cat = catalog(tmp_path)
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        cat.rows = [run_row(tmp_path / "run-new", state="pending"), *cat.rows]
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.table.row_count == 4)
        assert shown_names(screen) == ["run-new", "run-a", "run-b", "run-c"]
        await pilot.press("r")
        await pilot.pause()
        assert shown_names(screen)[0] == "run-new"


async def test_sort_by_columns_filter_and_note(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await pilot.press("s", "s", "s")  # started -> run -> state -> epochs (most first)
        assert screen.sort == "epochs"
        assert shown_names(screen) == ["run-a", "run-b", "run-c"]
        await pilot.press("S")
        assert shown_names(screen) == ["run-c", "run-b", "run-a"]
        assert "epochs ↑" in str(screen.query_one("#runs-title").content)

        await pilot.press("slash")
        await pilot.press(*"state:running")
        await pilot.pause()
        assert shown_names(screen) == ["run-c"]
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert screen.table.row_count == 3

        # A note with tags on the highlighted run: kept through the source, shown in the list, filterable.
        screen.table.move_cursor(row=shown_names(screen).index("run-b"))
        await pilot.press("e")
        await wait_for_screen(pilot, PromptDialog)
        await pilot.press(*"#baseline lr too high", "enter")
        await wait_until(pilot, lambda: any(r.note for r in cat.rows))
        assert next(r for r in cat.rows if r.name == "run-b").note == RunNote("lr too high", ("baseline",))
        await pilot.pause()
        assert str(screen.table.get_row(str(tmp_path / "run-b"))[8]) == "#baseline lr too high"
        await pilot.press("slash", *"#baseline", "enter")
        await pilot.pause()
        assert shown_names(screen) == ["run-b"]


async def test_at_80_columns_time_dataset_and_note_are_in_view(tmp_path: Path) -> None:
    """At 80 columns the time and dataset columns were scrolled out of view."""
    cat = catalog(tmp_path)
    cat.rows = [run_row(tmp_path / "20261130-033205-digits-overfit-with-a-long-name", note=RunNote("x", ("t",)))]
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        await pilot.pause()
        widths = sum(column.get_render_width(screen.table) for column in screen.table.columns.values())
        assert widths <= 80 - 2
        row = [str(cell) for cell in screen.table.get_row_at(0)]
        assert row[6] == "0:20" and row[7] == "digits" and row[8] == "#t x"
        assert row[1].startswith("1130-0332 digi") and row[1].endswith("…")


async def test_widening_the_terminal_shows_names_and_values_in_full(tmp_path: Path) -> None:
    cat = catalog(tmp_path)
    cat.rows = [run_row(tmp_path / "20261130-033205-digits-overfit-with-a-long-name")]
    screen = RunsScreen(cat, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        assert "…" in str(screen.table.get_row_at(0)[1])
        await pilot.resize_terminal(200, 60)
        await wait_until(pilot, lambda: "…" not in str(screen.table.get_row_at(0)[1]))
        await pilot.pause()
        column = screen.table.columns[ColumnKey("run")]
        assert column.get_render_width(screen.table) >= len("20261130-033205-digits-overfit-with-a-long-name")
        assert str(screen.table.get_row_at(0)[4]) == "0.4 @4"
