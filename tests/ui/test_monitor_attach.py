"""Attach: the real app opened on a run's monitor, detach and re-attach through the runs screen."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from runfiles import StopRecorder, experiment, overfitting_history, wait_until, write_run

from tuitrain.cli.attach_cmd import find_run
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.monitor import MonitorScreen
from tuitrain.ui.screens.runs import RunsScreen
from tuitrain.ui.screens.setup import SetupScreen


def test_find_run_defaults_to_the_latest_running_run(tmp_path: Path) -> None:
    write_run(tmp_path, "20240101-000000-old", overfitting_history(3), start=1000.0)
    live = write_run(tmp_path, "20240101-000100-live", overfitting_history(2), final=None, start=2000.0, epochs=10)
    assert find_run(None, tmp_path) == live
    assert find_run("20240101-000000", tmp_path).name == "20240101-000000-old"


def test_find_run_without_a_running_run_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_run(tmp_path, "run-1", overfitting_history(3))
    with pytest.raises(typer.Exit):
        find_run(None, tmp_path)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no run is training" in err and "tuitrain launch" in err
    with pytest.raises(typer.Exit):
        find_run("nope", tmp_path)
    assert "no run named 'nope'" in capsys.readouterr().err


async def test_app_opens_on_the_monitor_then_reattaches_from_the_runs_screen(tmp_path: Path) -> None:
    live = write_run(tmp_path, "run-live", overfitting_history(3), final=None, epochs=10)
    app = TuitrainApp(source=StopRecorder(tmp_path), initial=experiment(), open_run=str(live))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.run.epochs_done == 3)
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen) and monitor.run.state == "running"

        await pilot.press("d")  # detach: back to setup, the run goes on
        await wait_until(pilot, lambda: isinstance(app.screen, SetupScreen))

        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.table.row_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.run.epochs_done == 3)
        assert app.screen is not monitor
        assert app.screen.run_dir == live


async def quit_and_answer(tmp_path: Path, live: Path, answer: str) -> list[Path]:
    """Quit the app while ``live`` trains on its monitor, answer the question; return what was stopped."""
    from tuitrain.ui.screens.monitor import QuitRunDialog

    source = StopRecorder(tmp_path)
    app = TuitrainApp(source=source, initial=experiment())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_monitor(live)
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.run.epochs_done == 2)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitRunDialog))
        await pilot.press(answer)
        await pilot.pause()
        await pilot.pause()
        if answer == "escape":
            assert isinstance(app.screen, MonitorScreen)  # cancelled: still watching
        else:
            assert app.return_code == 0  # App.exit was called: the app is quitting
    return source.stopped


@pytest.mark.slow  # three app sessions
async def test_quitting_while_a_run_trains_asks_stop_or_leave(tmp_path: Path) -> None:
    live = write_run(tmp_path, "run-live", overfitting_history(2), final=None, epochs=10)
    assert await quit_and_answer(tmp_path, live, "escape") == []
    assert await quit_and_answer(tmp_path, live, "l") == []  # leave it running
    assert await quit_and_answer(tmp_path, live, "s") == [live]
