"""``tuitrain attach [RUN]``: open the dashboard straight on a run's monitor (the latest running one by default)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tuitrain import workspace
from tuitrain.cli import common
from tuitrain.cli.common import DataDir, RunsDir, fail, run_dashboard
from tuitrain.run_source import LocalRunsSource


def find_run(run: str | None, runs_root: Path) -> Path:
    """The run directory to attach to: ``run`` (a name under the runs root, or a path), else the newest
    running run. Exits with a one-line error when there is none."""
    from tuitrain import runs

    if run:
        try:
            return Path(runs.resolve_run(runs_root, run))
        except (runs.RunNotFound, ValueError) as exc:
            fail(f"{exc} (list them with 'tuitrain runs list --runs-dir {runs_root}')")
    try:
        latest = runs.latest_running(runs_root)
    except runs.RunsRootError as exc:
        fail(str(exc))
    if latest is None:
        fail(
            f"no run is training in {runs_root}: name one ('tuitrain attach RUN'; 'tuitrain runs list' shows them) "
            "or start one with 'tuitrain launch'"
        )
    return Path(latest)


def attach(
    run: Annotated[
        str | None,
        typer.Argument(help="Run folder name (under the runs folder) or path; default: the newest running run."),
    ] = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
) -> None:
    """Re-attach the dashboard to a run: its monitor opens at once, live if it still trains.

    Leaving the monitor shows the setup screen on the run's experiment; quitting asks whether to stop the run.
    """
    os.environ.setdefault("TEXTUAL_FPS", "30")
    runs_root = common.runs_root(runs_dir)
    run_dir = find_run(run, runs_root)

    from tuitrain.ui.app import TuitrainApp

    source = LocalRunsSource(runs_root, workspace.data_dir(data_dir))
    # Leaving the monitor shows the run's own experiment, ready to be changed and run again.
    experiment = source.load(run_dir).experiment_spec() or workspace.default_experiment()
    app = TuitrainApp(
        source=source,
        initial=experiment,
        open_run=str(run_dir),
        exit_on_hangup=True,
    )
    run_dashboard(app)
