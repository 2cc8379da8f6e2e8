"""``tuitrain launch``: open the dashboard on a preset."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tuitrain import presets, workspace
from tuitrain.cli import common
from tuitrain.cli.common import DataDir, RunsDir, fail, run_dashboard
from tuitrain.run_source import LocalRunsSource
from tuitrain.workspace import DEFAULT_PRESET, preset_source, read_for_editing


def launch(
    preset: Annotated[str, typer.Option("--preset", "-p", help="Preset name or file to start from.")] = DEFAULT_PRESET,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    start: Annotated[
        bool, typer.Option("--start", help="Start the preset at once and show its monitor (setup stays behind it).")
    ] = False,
) -> None:
    """Open the dashboard: pick and edit an experiment, start it, watch it train.

    --preset opens the setup screen on that preset, to edit and start (Ctrl+R); --start starts it at once.

    A preset that fails only the cross-field checks (e.g. a loss that does not fit the data) opens with its errors
    shown, so it can be fixed in the editor (with --start too: nothing starts until they are fixed).
    """
    # A modest frame rate over SSH; read by textual when it is first imported (just below).
    os.environ.setdefault("TEXTUAL_FPS", "30")
    try:
        path = presets.find(preset)
        experiment = read_for_editing(path)
    except presets.PresetError as exc:
        more = (
            f" (and {len(exc.issues) - 1} more: run 'tuitrain presets validate {preset}')"
            if len(exc.issues) > 1
            else ""
        )
        fail(f"{exc.line(0)}{more}")
    source = LocalRunsSource(common.runs_root(runs_dir), workspace.data_dir(data_dir))

    # Imported here so the other commands never pay for textual.
    from tuitrain.ui.app import TuitrainApp

    app = TuitrainApp(
        source=source,
        initial=experiment,
        preset_name=path.stem,
        preset_path=path.resolve(),
        preset_source=preset_source(path),
        start=start,
        exit_on_hangup=True,
        freeze_heap=True,
    )
    run_dashboard(app)
