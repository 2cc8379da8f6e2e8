"""``tuitrain lr-find PRESET|FILE``: a learning-rate range test, its chart, regimes and suggestion."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Annotated

import typer

from tuitrain import presets, workspace
from tuitrain.cli.common import DataDir, Overrides, RunsDir, console, err_console, fail
from tuitrain.runs.lr_find import LrFindSettings


def lr_find(
    preset: Annotated[str, typer.Argument(help="Preset name (see 'tuitrain presets list') or a preset file.")],
    set_: Overrides = None,
    min_lr: Annotated[float, typer.Option("--min-lr", help="Learning rate of the first batch.")] = 1e-7,
    max_lr: Annotated[float, typer.Option("--max-lr", help="Learning rate of the last batch.")] = 10.0,
    steps: Annotated[int, typer.Option("--steps", help="Batches from --min-lr to --max-lr.")] = 300,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a data set.")] = False,
) -> None:
    """Find a learning rate: train a few hundred batches while the rate rises from --min-lr to --max-lr.

    Runs in the trainer process like a run, in a run directory of its own (NAME-lr-find); the experiment's
    own runs and models are not touched.

    It stops once the smoothed loss is 4 times its lowest, then charts loss against learning rate, marks
    the four regimes (too small, good, too large but converging, divergent) and suggests a rate.

    Exit status: 0 finished or stopped, 1 failed, 2 crashed.
    """
    from pydantic import ValidationError

    # Imported here: the other commands (and the dashboard's start) never pay for them.
    from tuitrain.cli.follow import EXIT_CODES
    from tuitrain.cli.lr_follow import LrFollower
    from tuitrain.launcher import start_lr_find

    try:
        settings = LrFindSettings(min_lr=min_lr, max_lr=max_lr, steps=steps)
    except ValidationError as exc:
        error = exc.errors()[0]
        option = "--" + "-".join(str(p) for p in error["loc"]).replace("_", "-")
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message.replace("max_lr", "--max-lr").replace("min_lr", "--min-lr")
        fail(f"{option}: {message}" if error["loc"] else message)
    try:
        loaded = presets.load(preset, list(set_ or []))
    except presets.PresetError as exc:
        fail(str(exc))
    for warning in loaded.check.warnings:
        if warning.path != "optimizer.learning_rate":  # the test tries every rate anyway
            err_console.print(f"tuitrain: warning: {warning}", markup=False, soft_wrap=True)
    preset_dir = loaded.path.parent if loaded.path is not None else None
    handle = start_lr_find(
        loaded.experiment, settings, runs_dir, workspace.data_dir(data_dir), preset_dir, offline=offline
    )
    console.print(f"learning-rate range test {handle.run_dir} (trainer pid {handle.pid})", markup=False, soft_wrap=True)
    follower = LrFollower(
        handle.run_dir, epochs=0, pid=handle.pid, steps_total=settings.steps, apply_hint=_apply_hint(preset, set_ or [])
    )
    state = follower.follow(handle)
    raise typer.Exit(EXIT_CODES.get(state, 1))


def _apply_hint(preset: str, overrides: list[str]) -> str:
    kept = [o for o in overrides if not o.replace(" ", "").startswith("optimizer.learning_rate=")]
    return "tuitrain run " + " ".join(shlex.quote(a) for a in [preset, *(f"--set={o}" for o in kept)])


def print_report(run_dir: Path, *, interactive: bool, apply_hint: str = "") -> None:
    """A range test's chart, its regimes and suggestion in sentences, and where it is (CLI and 'runs show')."""
    from tuitrain.analysis.lr_finder import analyze_lr_range
    from tuitrain.lr_chart import render_text
    from tuitrain.runs.lr_find import read_curve, read_settings

    curve = read_curve(run_dir)
    if curve.steps:
        try:
            factor = read_settings(run_dir).stop_factor
        except ValueError:
            factor = LrFindSettings().stop_factor  # a damaged settings file: the default stop rule
        report = analyze_lr_range(curve.learning_rates, curve.losses, blow_up_factor=factor)
        width = max(60, min(console.width, 120)) if interactive else 80
        color = interactive and not os.environ.get("NO_COLOR")
        console.print(render_text(report, width=width, height=20, color=color), markup=False, highlight=False)
        for line in report.lines():
            console.print(line, markup=False, soft_wrap=True, highlight=False)
        if report.suggestion is not None and apply_hint:
            rate = f"{report.suggestion.learning_rate:.3g}"
            hint = f"use it: {apply_hint} --set optimizer.learning_rate={rate}"
            console.print(hint, markup=False, soft_wrap=True, highlight=False)
    else:
        console.print("no batch recorded", markup=False)
    console.print(f"range test directory: {run_dir}", markup=False, soft_wrap=True, highlight=False)
