"""Snapshot tests of searching: the Search tab and a sweep mid-race, at 80x24 and 200x60 (review diffs first).

Update with ``pytest tests/snapshots --snapshot-update`` after looking at the report of what changed.
"""

from __future__ import annotations

from runfiles import FakeSource, ScreenApp, raced_sweep
from textual.pilot import Pilot
from textual.widgets import Select

from tuitrain import presets
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.workspace import read_for_editing

NOW = 1600.0


def sweep_app() -> ScreenApp:
    source, sweep_dir = raced_sweep()
    return ScreenApp(SweepScreen(sweep_dir, source, refresh_seconds=None, clock=lambda: NOW))


async def _raced(pilot: Pilot) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, SweepScreen)
    for _ in range(300):
        if screen.table.row_count == 8 and screen.dists and screen.curves.series:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause()


def search_app() -> TuitrainApp:
    path = presets.find("digits-overfit")
    return TuitrainApp(
        source=FakeSource(), initial=read_for_editing(path), preset_name="digits-overfit", preset_source="builtin"
    )


async def _searching(pilot: Pilot) -> None:
    """The learning rate marked and drawn uniformly: the histogram shows the pile-up in the top decade."""
    app = pilot.app
    await pilot.pause()
    app.setup.form.show_section("search")  # type: ignore[attr-defined]
    for _ in range(300):
        search = app.setup.search  # type: ignore[attr-defined]
        if search is not None and search.is_mounted:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    search.search("model.layers[0].units")
    search.search("optimizer.learning_rate")
    search.table.move_cursor(row=search.table.get_row_index("optimizer.learning_rate"))
    await pilot.pause()
    search.query_one("#search-dist", Select).value = "uniform"
    await pilot.pause()
    search.query_one("#search-low").focus()
    await pilot.pause()
    await pilot.pause()


def test_sweep_80x24(snap_compare) -> None:
    assert snap_compare(sweep_app(), terminal_size=(80, 24), run_before=_raced)


def test_sweep_200x60(snap_compare) -> None:
    assert snap_compare(sweep_app(), terminal_size=(200, 60), run_before=_raced)


def test_search_tab_80x24(snap_compare) -> None:
    assert snap_compare(search_app(), terminal_size=(80, 24), run_before=_searching)


def test_search_tab_200x60(snap_compare) -> None:
    assert snap_compare(search_app(), terminal_size=(200, 60), run_before=_searching)
