"""``tuitrain attach [RUN|SWEEP]``: open the dashboard straight on a run's monitor or a sweep's screen.

Without a name: the newest running run, else the newest running sweep.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import typer

from tuitrain import workspace
from tuitrain.cli import common
from tuitrain.cli.common import DataDir, RunsDir, fail, run_dashboard
from tuitrain.run_source import LocalRunsSource
from tuitrain.spec import Experiment

Target = tuple[Literal["run", "sweep"], Path]


def find_run(run: str | None, runs_root: Path) -> Path:
    """The run directory to attach to: ``run`` (a name under the runs root, or a path), else the newest
    running run. Exits with a one-line error when there is none."""
    kind, path = find_target(run, runs_root)
    if kind != "run":
        fail(f"{run or path.name} is a sweep, not a run: 'tuitrain attach {path.name}' opens its sweep screen")
    return path


def find_target(name: str | None, runs_root: Path) -> Target:
    """What to attach to: the run or sweep ``name`` names (a run first: a name under the runs root, or a path;
    then a sweep: its folder name, a start of it, its own name, or a path), else the newest running run, else
    the newest running sweep. Exits with a one-line error when there is none."""
    from tuitrain import runs
    from tuitrain.sweep.layout import SweepNotFound, resolve_sweep_dir
    from tuitrain.sweep.status import ACTIVE_SWEEP_STATES, list_sweeps

    if name:
        try:
            return "run", Path(runs.resolve_run(runs_root, name))
        except (runs.RunNotFound, ValueError) as exc:
            run_problem = str(exc)
        try:
            return "sweep", resolve_sweep_dir(runs_root, name).root
        except SweepNotFound:
            fail(
                f"{run_problem}, and no sweep is named so (list them with 'tuitrain runs list --runs-dir "
                f"{runs_root}' and 'tuitrain sweep list --runs-dir {runs_root}')"
            )
    try:
        latest = runs.latest_running(runs_root)
    except runs.RunsRootError as exc:
        fail(str(exc))
    if latest is not None:
        return "run", Path(latest)
    sweep = next((r for r in list_sweeps(runs_root) if r.state in ACTIVE_SWEEP_STATES), None)
    if sweep is not None:
        return "sweep", sweep.paths.root
    fail(
        f"no run is training and no sweep is running in {runs_root}: name one ('tuitrain attach RUN' or "
        "'tuitrain attach SWEEP'; 'tuitrain runs list' and 'tuitrain sweep list' show them) or start one with "
        "'tuitrain launch'"
    )


def attach(
    run: Annotated[
        str | None,
        typer.Argument(
            help="Run folder name (under the runs folder) or path, or a sweep (its folder name, its name, or a "
            "path); default: the newest running run, else the newest running sweep.",
            metavar="[RUN|SWEEP]",
        ),
    ] = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
) -> None:
    """Re-attach the dashboard to a run or a sweep: its monitor (or sweep screen) opens at once, live if it goes on.

    Leaving it shows the setup screen on the run's (or the sweep's base) experiment; quitting asks whether to stop it.
    """
    os.environ.setdefault("TEXTUAL_FPS", "30")
    runs_root = common.runs_root(runs_dir)
    kind, path = find_target(run, runs_root)

    from tuitrain.ui.app import TuitrainApp

    source = LocalRunsSource(runs_root, workspace.data_dir(data_dir))
    # Leaving the monitor shows the run's own experiment, ready to be changed and run again.
    experiment = _experiment_of(source, kind, path) or workspace.default_experiment()
    app = TuitrainApp(
        source=source,
        initial=experiment,
        open_run=str(path) if kind == "run" else None,
        open_sweep=path if kind == "sweep" else None,
        exit_on_hangup=True,
        freeze_heap=True,
    )
    run_dashboard(app)


def _experiment_of(source: LocalRunsSource, kind: str, path: Path) -> Experiment | None:
    """The run's experiment, or the sweep's base experiment (None when it can't be read)."""
    if kind == "run":
        return source.load(path).experiment_spec()
    from tuitrain import presets

    spec = source.load_sweep_spec(path)
    if spec is None or not isinstance(spec.base, dict):
        return None
    try:
        return presets.experiment_from_data(spec.base, str(path))
    except presets.PresetError:
        return None
