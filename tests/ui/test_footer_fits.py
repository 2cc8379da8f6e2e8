"""Every key the footer shows keeps its word at 80x24 (issue 14): on every tab of the setup screen,
while fields are searched ("Start search" is the longest), on the monitor and on the trainer log."""

from __future__ import annotations

from runfiles import (
    FakeSource,
    epoch_events,
    experiment,
    overfitting_history,
    runs_and_sweep,
    started_event,
    wait_for_screen,
    wait_until,
)
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tuitrain.runs.events import RunFinished
from tuitrain.ui.screens.log_view import LogScreen
from tuitrain.ui.screens.monitor import MonitorScreen
from tuitrain.ui.screens.runs import RunsScreen
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.ui.widgets.experiment_form import SECTIONS


def cut_keys(screen: Screen) -> list[str]:
    """The footer's keys that are not shown whole: out of the footer, or under another key (the
    palette key is docked right and covers what runs into it)."""
    footer = screen.query_one(Footer)
    keys = [key for key in footer.query(FooterKey) if key.display]
    if not keys:
        return ["(no key shown yet)"]
    cut = []
    for key in keys:
        region = key.region
        inside = region.width > 0 and footer.region.contains_region(region)
        covered = any(other is not key and other.region.overlaps(region) for other in keys)
        if not inside or covered:
            cut.append(f"{key.key_display} {key.description}")
    return cut


async def test_every_setup_tab_shows_every_footer_key_whole_at_80_columns(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = app.setup
        tab_count = len(SECTIONS) + len(setup.form.extra_tabs)
        for _ in range(tab_count):
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert cut_keys(setup) == [], setup.form.query_one("TabbedContent").active
        await pilot.press("ctrl+b")  # back to the Search tab
        await wait_until(pilot, lambda: setup.search is not None)
        await pilot.pause()
        await pilot.press("tab", "space")  # search the first field: ^r becomes "Start search"
        await wait_until(pilot, lambda: setup.searching)
        await pilot.pause()
        assert any(key.description == "Start search" for key in setup.query(FooterKey))
        assert cut_keys(setup) == []


def finished_run(source: FakeSource) -> str:
    run_dir = source.runs_root / "a-finished-run"
    source.events(run_dir).add(
        [started_event(), *epoch_events(overfitting_history(10)), RunFinished(status="finished", epochs_done=10)]
    )
    return str(run_dir)


async def test_the_monitor_and_the_trainer_log_show_every_footer_key_whole_at_80_columns(make_app, source) -> None:
    source.exp = experiment(epochs=10, patience=2)
    app = make_app(open_run=finished_run(source))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen))
        # The footer is laid out again as the screen's bindings settle: judged once it has settled.
        await wait_until(pilot, lambda: cut_keys(app.screen) == [], tries=500)
        await pilot.press("l")  # the trainer log
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await wait_until(pilot, lambda: cut_keys(app.screen) == [], tries=500)


async def test_the_runs_screen_and_the_sweep_screen_show_every_footer_key_whole_at_80_columns(
    make_app, source, tmp_path
) -> None:
    listed, _ = runs_and_sweep(source.runs_root)
    source.rows, source.sweeps, source.trial_rows = listed.rows, listed.sweeps, listed.trial_rows
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen))
        runs = app.screen
        await wait_until(pilot, lambda: runs.table.row_count == 3)
        await wait_until(pilot, lambda: cut_keys(runs) == [], tries=500)
        await pilot.press("down")  # the sweep's row: its own keys
        await wait_until(pilot, lambda: runs.check_action("toggle_trials", ()) is True)
        await wait_until(pilot, lambda: cut_keys(runs) == [], tries=500)
        await pilot.press("up", "space", "down", "down", "space", "c")  # two runs compared: "n Metric" too
        await wait_until(pilot, lambda: runs.check_action("next_metric", ()) is True)
        await wait_until(pilot, lambda: cut_keys(runs) == [], tries=500)
        await pilot.press("escape", "up", "enter")  # the sweep screen
        await wait_for_screen(pilot, SweepScreen)
        await wait_until(pilot, lambda: cut_keys(app.screen) == [], tries=500)
