"""``tuitrain run PRESET_OR_FILE``: train headless, follow the run on stdout, summarise it at the end."""

from __future__ import annotations

from typing import Annotated

import typer

from tuitrain import presets, workspace
from tuitrain.cli.common import DataDir, RunsDir, fail, is_terminal, say


def run(
    preset: Annotated[str, typer.Argument(help="Preset name (see 'tuitrain presets list') or a preset file.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field, e.g. --set training.epochs=5 (repeatable).", show_default=False),
    ] = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a data set.")] = False,
) -> None:
    """Train an experiment in the background trainer process and follow it here.

    Progress bars on a terminal, one line per epoch otherwise (nohup, CI, pipes), then a summary.

    Exit status: 0 finished or stopped, 1 failed, 2 crashed, 3 diverged.

    Ctrl+C stops the run after the current batch and keeps what was trained (twice: at once).

    The trainer has its own session: if this command dies or its terminal hangs up, training goes on.

    Pick it up again with 'tuitrain attach' (the dashboard) or 'tuitrain runs show RUN'.
    """
    # Imported here: the other commands (and the dashboard's start) never pay for them.
    from tuitrain.cli.follow import EXIT_CODES, Follower
    from tuitrain.launcher import LaunchError, start_run

    try:
        loaded = presets.load(preset, list(set_ or []))
    except presets.PresetError as exc:
        fail(str(exc))
    for warning in loaded.check.warnings:
        say(f"tuitrain: warning: {warning}", err=True)
    data = workspace.data_dir(data_dir)
    preset_dir = loaded.path.parent if loaded.path is not None else None
    try:
        handle = start_run(loaded.experiment, runs_dir, data, preset_dir, offline=offline)
    except LaunchError as exc:
        fail(str(exc))
    say(f"run {handle.run_dir} (trainer pid {handle.pid})")
    if is_terminal():
        say(
            "Ctrl+C stops it after the current batch (twice: at once); if this terminal closes, training "
            "goes on ('tuitrain attach' picks it up).",
            style="dim",
        )
    follower = Follower(handle.run_dir, epochs=loaded.experiment.training.epochs, pid=handle.pid)
    state = follower.follow(handle)
    raise typer.Exit(EXIT_CODES.get(state, 1))
