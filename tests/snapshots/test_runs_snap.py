"""Snapshot tests of the runs screen (list and compare) at 80x24 and 200x60 (review diffs before updating).

Update with ``pytest tests/snapshots --snapshot-update`` after looking at the report of what changed.
"""

from __future__ import annotations

from pathlib import Path

from runfiles import FakeSource, ScreenApp, experiment, overfitting_history, run_row, runs_and_sweep
from textual.pilot import Pilot

from tuitrain.spec import Experiment
from tuitrain.ui.screens.runs import RunsScreen

ROOT = Path("runs")


def runs_app() -> ScreenApp:
    """Three runs: two finished (one shorter, with SGD and another patience), one running."""
    history = overfitting_history(10)
    a, b, c = ROOT / "digits-overfit-0001", ROOT / "digits-overfit-0002", ROOT / "mnist-mlp-0003"
    source = FakeSource(
        runs_root=ROOT,
        exp=experiment(),
        rows=[
            run_row(c, state="running", epochs=3, epochs_planned=20, dataset="mnist", duration=41.0),
            run_row(b, state="stopped", epochs=6, epochs_planned=10, best_val_loss=(3, 0.4455), duration=12.5),
            run_row(a),
        ],
    )
    source.histories[a] = {k: [logs[k] for logs in history] for k in history[0]}
    source.histories[b] = {k: [logs[k] * 1.1 for logs in history[:6]] for k in history[0]}
    source.experiments[b] = Experiment.model_validate(
        {"name": "fake", "optimizer": {"name": "sgd", "learning_rate": 0.1}, "early_stopping": {"patience": 3}}
    )
    return ScreenApp(RunsScreen(source, refresh_seconds=None))


async def _listed(pilot: Pilot, rows: int = 3) -> None:
    """Wait until the table holds ``rows`` rows."""
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    for _ in range(200):
        if screen.table.row_count == rows:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def _compared(pilot: Pilot) -> None:
    await _listed(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    await pilot.press("down", "space", "space")
    await pilot.press("c")
    for _ in range(200):
        if screen.has_class("-comparing"):
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause()


def test_runs_80x24(snap_compare) -> None:
    assert snap_compare(runs_app(), terminal_size=(80, 24), run_before=_listed)


def test_runs_compare_80x24(snap_compare) -> None:
    assert snap_compare(runs_app(), terminal_size=(80, 24), run_before=_compared)


def test_runs_compare_200x60(snap_compare) -> None:
    assert snap_compare(runs_app(), terminal_size=(200, 60), run_before=_compared)


def sweep_app() -> ScreenApp:
    """Two runs and a stopped sweep of seven trial runs (and one invalid trial), opened to its trials."""
    source, sweep_dir = runs_and_sweep(ROOT, state="stopped")
    status = source.sweeps[sweep_dir].status
    assert status is not None
    status.ended_at = 1754.0  # a fixed time: the sweep's duration is no clock's
    screen = RunsScreen(source, refresh_seconds=None)
    screen.opened.add(str(sweep_dir))
    return ScreenApp(screen)


async def _sweep_listed(pilot: Pilot) -> None:
    await _listed(pilot, rows=10)
    await pilot.press("down")  # on the sweep's row: the footer shows its keys
    await pilot.pause()


def test_runs_with_a_sweep_80x24(snap_compare) -> None:
    assert snap_compare(sweep_app(), terminal_size=(80, 24), run_before=_sweep_listed)


def test_runs_with_a_sweep_200x60(snap_compare) -> None:
    assert snap_compare(sweep_app(), terminal_size=(200, 60), run_before=_sweep_listed)
