"""Snapshot tests of the monitor screen at 80x24 and 200x60 (review diffs before updating them).

The run comes from a fake source's scripted events (no run directory, no trainer) and the clock is frozen, so the
elapsed time, the ETA and the progress bar are the same on every machine.
Update with ``pytest tests/snapshots --snapshot-update`` after looking at the report of what changed.
"""

from __future__ import annotations

from pathlib import Path

from runfiles import FakeSource, ScreenApp, epoch_events, experiment, overfitting_history, started_event
from textual.pilot import Pilot

from tuitrain.runs.events import BatchProgress, RunFinished
from tuitrain.ui.screens.monitor import MonitorScreen

RUN = Path("runs/digits-overfit-0001")


def finished_app() -> ScreenApp:
    """A run that overfit from epoch 4 and finished after 10 epochs."""
    source = FakeSource(exp=experiment(epochs=10, patience=2))
    source.events(RUN).add(
        [
            started_event(),
            *epoch_events(overfitting_history(10)),
            RunFinished(status="finished", epochs_done=10, time=1020.0),
        ]
    )
    return ScreenApp(MonitorScreen(RUN, source, clock=lambda: 1030.0))


def running_app() -> ScreenApp:
    """A run in its 7th of 20 epochs, batch 6 of 10."""
    source = FakeSource(exp=experiment(epochs=20, patience=2))
    source.events(RUN).add(
        [
            started_event(epochs=20),
            *epoch_events(overfitting_history(6)),
            BatchProgress(epoch=7, step=6, steps=10, logs={"loss": 0.1}, time=1013.2),
        ]
    )
    return ScreenApp(MonitorScreen(RUN, source, clock=lambda: 1013.2))


async def _settle(pilot: Pilot) -> None:
    """Wait until the scripted events are drawn (the worker has read them all)."""
    screen = pilot.app.screen
    assert isinstance(screen, MonitorScreen)
    for _ in range(200):
        if screen.run.epochs_done >= 6 and (screen.run.ended or screen.run.progress is not None):
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause()


def test_monitor_finished_80x24(snap_compare) -> None:
    assert snap_compare(finished_app(), terminal_size=(80, 24), run_before=_settle)


def test_monitor_finished_200x60(snap_compare) -> None:
    assert snap_compare(finished_app(), terminal_size=(200, 60), run_before=_settle)


def test_monitor_running_80x24(snap_compare) -> None:
    assert snap_compare(running_app(), terminal_size=(80, 24), run_before=_settle)


def test_monitor_running_200x60(snap_compare) -> None:
    assert snap_compare(running_app(), terminal_size=(200, 60), run_before=_settle)
