"""Screenshots of the monitor and runs screens on REAL runs, for ``scripts/screenshots.py``.

The first shot that needs them trains two digits runs for real (through the launcher, into a temporary
runs folder, each in its own trainer process): the built-in ``digits-overfit`` preset, which overfits
within seconds, and the built-in ``digits-mlp``, a well-sized network, for the comparison.
``SHOT_SPECS`` is added to the screenshot script's list.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

from textual.pilot import Pilot

from tuitrain import presets
from tuitrain.run_source import LocalRunsSource
from tuitrain.spec import Experiment
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing

TRAIN_TIMEOUT = 600.0
"""Seconds to wait for a screenshot run to finish before giving up."""


def _train(exp: Experiment, runs_root: Path) -> Path:
    """Train ``exp`` for real and wait until its run has ended; return its run directory."""
    from tuitrain.runs.status import ACTIVE_STATES

    source = LocalRunsSource(runs_root)
    run_dir = source.start(exp)
    deadline = time.monotonic() + TRAIN_TIMEOUT
    while time.monotonic() < deadline:
        if source.load(run_dir).state not in ACTIVE_STATES:
            return run_dir
        time.sleep(0.5)
    raise TimeoutError(f"the screenshot run in {run_dir} did not finish in {TRAIN_TIMEOUT:.0f} s")


@cache
def real_runs() -> tuple[Path, Path, Path]:
    """(runs root, overfitting run, well-sized run), trained once per script run."""
    # screenshots.py works in a temporary folder: a relative root keeps its name out of the pictures.
    root = Path("runs")
    overfit = _train(read_for_editing(presets.find("digits-overfit")), root)
    sized = _train(read_for_editing(presets.find("digits-mlp")), root)
    return root, overfit, sized


def monitor_app() -> TuitrainApp:
    """The dashboard opened on the finished overfitting run (as ``tuitrain attach RUN`` does)."""
    root, overfit, _ = real_runs()
    return TuitrainApp(
        source=LocalRunsSource(root),
        initial=read_for_editing(presets.find("digits-overfit")),
        open_run=str(overfit),
    )


def runs_app() -> TuitrainApp:
    """The dashboard on the runs folder with both runs."""
    root, _, _ = real_runs()
    return TuitrainApp(
        source=LocalRunsSource(root),
        initial=read_for_editing(presets.find("digits-overfit")),
    )


async def _monitor_loaded(pilot: Pilot) -> None:
    """Wait until the monitor has read the whole run."""
    for _ in range(500):
        run = getattr(pilot.app.screen, "run", None)
        if run is not None and run.ended:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def compare_runs(pilot: Pilot) -> None:
    """Open the runs screen, mark both runs and compare them."""
    await pilot.press("ctrl+t")
    screen = pilot.app.screen
    for _ in range(500):
        if getattr(screen, "rows", None) and len(screen.rows) >= 2:  # type: ignore[attr-defined]
            break
        await pilot.pause(0.02)
    await pilot.press("space", "space", "c")
    for _ in range(500):
        if screen.has_class("-comparing"):
            break
        await pilot.pause(0.02)
    await pilot.pause()


SHOT_SPECS: list[tuple] = [
    ("monitor", (120, 36), monitor_app, _monitor_loaded),
    ("monitor-80x24", (80, 24), monitor_app, _monitor_loaded),
    ("runs-compare", (120, 36), runs_app, compare_runs),
]
"""(name, terminal size, app factory, steps before the picture) of each shot, as ``Shot`` takes them."""
