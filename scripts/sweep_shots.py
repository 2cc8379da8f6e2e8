"""Screenshots of searching on a REAL sweep, for ``scripts/screenshots.py``.

The Search tab is the setup screen with the learning rate marked and drawn uniformly (the histogram
shows the pile-up in the top decade). The sweep shots start one real sweep through the run source (the
dashboard's Ctrl+R path) on the built-in ``digits-overfit``: learning rate (log) and first-layer width
(log-int), 8 trials, 2 at once, the median pruner; one picture mid-race, one at 80x24 once it ended.
``SHOT_SPECS`` is added to the screenshot script's list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Select

from tuitrain import presets
from tuitrain.run_source import LocalRunsSource
from tuitrain.sweep.status import SweepRecord
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing

SWEEP_TIMEOUT = 900.0
"""Seconds to wait for the screenshot sweep to reach a shot's moment before giving up."""
LR, UNITS = "optimizer.learning_rate", "model.layers[0].units"


@cache
def real_sweep() -> tuple[Path, Path]:
    """(runs root, sweep folder) of the one screenshot sweep, started once per script run (not waited for)."""
    from tuitrain.sweep.spec import sweep_from_data

    root = Path("runs")  # relative: the temporary folder's name stays out of the pictures
    spec = sweep_from_data(
        {
            "name": "digits-search",
            "base": "digits-overfit",
            "set": ["training.epochs=12"],
            "trials": 8,
            "parallel": 2,
            "space": {
                LR: {"dist": "log_uniform", "low": 1e-4, "high": 1.0},
                UNITS: {"dist": "log_int", "low": 8, "high": 512},
            },
            "pruner": {"kind": "median", "startup_trials": 2, "warmup_epochs": 3},
        }
    )
    return root, LocalRunsSource(root).start_sweep(spec)


def search_app() -> TuitrainApp:
    """The dashboard on the built-in digits-overfit (no shot starts anything from it)."""
    path = presets.find("digits-overfit")
    return TuitrainApp(
        source=LocalRunsSource(Path("runs")),
        initial=read_for_editing(path),
        preset_name="digits-overfit",
        preset_path=path,
        preset_source="builtin",
    )


def sweep_app() -> TuitrainApp:
    """The dashboard opened on the screenshot sweep (as ``tuitrain attach SWEEP`` does)."""
    root, sweep_dir = real_sweep()
    return TuitrainApp(
        source=LocalRunsSource(root),
        initial=read_for_editing(presets.find("digits-overfit")),
        open_sweep=sweep_dir,
    )


async def searching(pilot: Pilot) -> None:
    """The Search tab: the width and the learning rate marked, the learning rate drawn uniformly."""
    setup = pilot.app.setup  # type: ignore[attr-defined]
    setup.form.show_section("search")
    for _ in range(500):
        if setup.search is not None and setup.search.is_mounted:
            break
        await pilot.pause(0.02)
    search = setup.search
    search.search(UNITS)
    search.search(LR)
    search.table.focus()
    search.table.move_cursor(row=search.table.get_row_index(LR))
    await pilot.pause()
    search.query_one("#search-dist", Select).value = "uniform"
    await pilot.pause()


async def _until(pilot: Pilot, moment: str, ready: Callable[[SweepRecord], bool]) -> None:
    """Let the sweep screen follow the sweep until ``ready(record)``."""
    deadline = time.monotonic() + SWEEP_TIMEOUT
    while time.monotonic() < deadline:
        record = getattr(pilot.app.screen, "record", None)
        if record is not None and ready(record):
            await pilot.pause(1.5)  # one more refresh: the curves of what just ended
            return
        await pilot.pause(0.5)
    raise TimeoutError(f"the screenshot sweep did not reach {moment} in {SWEEP_TIMEOUT:.0f} s")


async def mid_race(pilot: Pilot) -> None:
    """At least three trials ended and two training."""

    def racing(record: SweepRecord) -> bool:
        training = sum(t.active for t in record.trials)
        return training == 2 and len(record.trials) - training >= 3

    await _until(pilot, "mid-race", racing)


async def ended(pilot: Pilot) -> None:
    """Every trial ended."""
    await _until(pilot, "its end", lambda r: r.state == "finished")


SHOT_SPECS: list[tuple] = [
    ("search", (120, 36), search_app, searching),
    ("sweep-race", (200, 60), sweep_app, mid_race),
    ("sweep-80x24", (80, 24), sweep_app, ended),
]
"""(name, terminal size, app factory, steps before the picture) of each shot, as ``Shot`` takes them."""
