"""The sweep and range-test screens under hostile folders: every text from a file is shown literally.

A sweep folder's name, a trial's message, a parameter's name and value, a range test's folder name and
its error may hold escape sequences and Rich markup (issue 9's rule): the screens show both as text.
"""

from __future__ import annotations

import os
from pathlib import Path

from runfiles import ScreenApp, wait_for_screen, wait_until
from sweepfiles import LR, make_sweep

from tuitrain import presets
from tuitrain.fsutil import atomic_write_text
from tuitrain.run_source import LocalRunsSource
from tuitrain.runs import EventWriter, RunPaths, RunStarted, RunStatus, process_start_time, this_host, write_status
from tuitrain.runs.events import LrStep, RunFailed
from tuitrain.runs.lr_find import LrFindSettings, write_settings
from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.status import read_sweep_status, write_sweep_status
from tuitrain.text import printable
from tuitrain.ui.screens.dialogs import ConfirmDialog
from tuitrain.ui.screens.lr_find import LrFindScreen
from tuitrain.ui.screens.sweep import SweepScreen

ESC = "\x1b[2J"
MARKUP = "[bold red]x[/]"
HOSTILE = f"{MARKUP}{ESC}"
"""Markup and an escape sequence that clears the screen, as a file's text may hold them."""
SHOWN = printable(HOSTILE)
"""How the screens must show it: the brackets as they are, ESC as the four characters ``\\x1b``."""
FOLDER_MARKUP = "[bold red]x"
"""Markup a folder name can hold (no "/"): Rich reads it as a style for the rest of the text."""
FOLDER = f"{FOLDER_MARKUP}{ESC}"
FOLDER_SHOWN = printable(FOLDER)
ACTIVATION = "model.activation"


def screen_text(app: ScreenApp) -> str:
    """The whole screen as drawn (every cell's character), line by line, with the notifications on top."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def notices(app: ScreenApp) -> str:
    """Every notification's text so far."""
    return " ".join(n.message for n in app._notifications)


def hostile_sweep(runs_root: Path, *, running: bool = False) -> Path:
    """A finished two-trial sweep, written by the sweep package, then given hostile words as a file could hold.

    The folder is renamed after it was made (``new_sweep_dir`` sanitizes names: a copy, an unpacked
    archive or another tool need not); sweep.json is rewritten through the sweep package with a hostile
    name, a failed trial's message and a parameter's value and name. ``running``: its controller is this
    process (so the screen counts it as running; nothing here stops it).
    """
    paths = make_sweep(
        runs_root,
        [
            {"state": "finished", "params": {LR: 0.01, ACTIVATION: "relu"}, "objective": 0.3, "val_loss": [0.5, 0.3]},
            {"state": "failed", "params": {LR: 0.1, ACTIVATION: HOSTILE, HOSTILE: 3}, "message": f"bad {HOSTILE}"},
        ],
        state="running" if running else "finished",
        pid=os.getpid() if running else None,
    )
    hostile_dir = paths.root.with_name(f"{paths.root.name}-{FOLDER}")
    os.rename(paths.root, hostile_dir)
    moved = SweepPaths(hostile_dir)
    status = read_sweep_status(moved)
    write_sweep_status(moved, status.model_copy(update={"sweep_id": hostile_dir.name, "name": f"s{HOSTILE}"}))
    return hostile_dir


async def test_the_sweep_screen_shows_hostile_names_messages_and_values_literally(tmp_path: Path) -> None:
    sweep_dir = hostile_sweep(tmp_path / "runs", running=True)
    screen = SweepScreen(sweep_dir, LocalRunsSource(tmp_path / "runs"), refresh_seconds=None)
    app = ScreenApp(screen)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 2 and screen.record is not None)
        screen.table.move_cursor(row=screen.table.get_row_index("1"))  # the failed trial: its message below
        await pilot.pause()
        assert screen.sub_title == printable(sweep_dir.name)
        shown = screen_text(app)
        assert "\x1b" not in shown
        # The sweep's name in the head, the failed trial's message in the detail line, the value in its cell,
        # the parameter's name in its column's header: brackets and "\x1b" as the file has them.
        assert f"s{SHOWN}" in shown
        assert f"bad {SHOWN}" in shown
        row = [str(cell) for cell in screen.table.get_row("1")]
        assert SHOWN in row
        labels = [str(column.label) for column in screen.table.columns.values()]
        assert SHOWN in labels
        line = "".join(segment.text for segment in screen.table.render_line(0))
        assert MARKUP in line  # the header is drawn as text: the markup did not vanish into a style
        # The palette's entries (read as markup by Textual) name the parameter literally.
        titles = [command.title for command in screen.palette_commands()]
        assert any("\\[bold red]x\\[/]\\x1b" in title for title in titles)

        # Detaching from the running sweep names its folder in a notice.
        assert screen.running
        screen.action_detach()
        await pilot.pause()
        said = notices(app)
        assert "\x1b" not in said and f"{FOLDER_SHOWN} keeps running" in said
        assert all(not n.markup for n in app._notifications)


async def test_sweep_errors_quoting_a_file_are_notified_literally(tmp_path: Path) -> None:
    sweep_dir = hostile_sweep(tmp_path / "runs")
    screen = SweepScreen(sweep_dir, LocalRunsSource(tmp_path / "runs"), refresh_seconds=None)
    app = ScreenApp(screen)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: screen.record is not None)
        screen.action_stop_sweep()
        await wait_for_screen(pilot, ConfirmDialog)
        question = str(app.screen.query_one(".dialog-question").render())
        assert "\x1b" not in question and f"Stop the sweep {printable(sweep_dir.name)}?" in question
        # sweep.json turns unreadable meanwhile: the error quotes the folder's path, shown as it is.
        (sweep_dir / "sweep.json").write_text("{not json")
        await pilot.press("y")
        await wait_until(pilot, lambda: "no readable sweep.json" in notices(app))
        await pilot.pause()
        said = notices(app)
        assert "\x1b" not in said and f"{printable(sweep_dir)} has no readable sweep.json" in said
        assert all(not n.markup for n in app._notifications)


def hostile_range_test(runs_root: Path) -> Path:
    """A range test's run folder with a hostile name: settings, status, a few batches and a failure quoting it."""
    run_dir = runs_root / f"20260101-000000-{FOLDER}-lr-find"
    run_dir.mkdir(parents=True)
    paths = RunPaths(run_dir)
    exp = presets.load("digits-mlp").experiment
    atomic_write_text(paths.experiment, presets.to_toml(exp))
    write_settings(run_dir, LrFindSettings())
    pid = os.getpid()
    status = RunStatus(state="running", pid=pid, pid_start=process_start_time(pid), host=this_host(), started_at=1.0)
    write_status(paths, status)
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                time=1.0,
                run_id=run_dir.name,
                experiment_name=exp.name,
                device="CPU",
                device_kind="cpu",
                pid=pid,
                epochs=1,
                steps_per_epoch=300,
                params_total=1000,
                params_trainable=1000,
                train_samples=300,
                val_samples=100,
                kind="lr_find",
            )
        )
        for step in range(1, 4):
            writer.write(LrStep(step=step, learning_rate=1e-6 * step, loss=2.3, smoothed_loss=2.3))
        writer.write(RunFailed(time=2.0, status="failed", error=f"cannot read {run_dir}"))
    write_status(paths, status.model_copy(update={"state": "failed", "ended_at": 2.0}))
    return run_dir


async def test_the_range_test_screen_shows_a_hostile_folder_name_and_error_literally(tmp_path: Path) -> None:
    run_dir = hostile_range_test(tmp_path / "runs")
    screen = LrFindScreen(run_dir, LocalRunsSource(tmp_path / "runs", pace=(0.01, 0.05)))
    app = ScreenApp(screen)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: screen.ended and len(screen.rates) == 3)
        await pilot.pause()
        assert screen.sub_title == printable(run_dir.name)
        progress = str(screen.query_one("#lr-find-progress").render())
        assert "\x1b" not in progress and f"cannot read {printable(run_dir)}" in progress
        shown = screen_text(app)
        assert "\x1b" not in shown and FOLDER_SHOWN in shown
