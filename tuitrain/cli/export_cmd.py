"""``tuitrain export RUN|PRESET -o train.py``: the experiment as a standalone Keras script."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tuitrain import presets
from tuitrain.cli import common
from tuitrain.cli.common import Overrides, RunsDir, console, fail


def export(
    source: Annotated[
        str,
        typer.Argument(
            metavar="RUN|PRESET", help="A run (name, start of one, 'latest' or folder), or a preset name or file."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the script to this file (default: print it).", show_default=False),
    ] = None,
    set_: Overrides = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Write a plain Keras script that trains the same model on the same data as tuitrain does.

    The script needs Keras and NumPy (scikit-learn for digits), not tuitrain.

    With the same seed on a CPU its history matches the tuitrain run's; a run is exported with the seed it trained with.
    """
    from tuitrain.export import ExportError, render_script

    exp_file, seed, label = _locate(source, runs_dir)
    try:
        loaded = presets.load_file(exp_file, list(set_ or []))
    except presets.PresetError as exc:
        fail(str(exc))
    try:
        text = render_script(loaded.experiment, base_dir=exp_file.parent, seed=seed, source=label)
    except ExportError as exc:
        fail(f"{exp_file}: {exc}")
    if output is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
        return
    _write(output, text, force)
    console.print(f"wrote {output} ({label}); run it with: python {output}", markup=False, soft_wrap=True)


def _locate(source: str, runs_dir: Path | None) -> tuple[Path, int | None, str]:
    """(experiment file, the seed the run used if known, a label) for a run or preset reference."""
    from tuitrain.runs import RunNotFound, RunPaths, resolve_run

    path = Path(source).expanduser()
    if path.is_dir():
        return _run_source(resolve_run_dir(path))
    try:
        return presets.find(source), None, f"preset {source}"
    except presets.PresetError as preset_error:
        try:
            run_dir = resolve_run(common.runs_root(runs_dir), source)
        except RunNotFound as run_error:
            fail(f"{source}: neither a preset ({preset_error.issues[0].message}) nor a run ({run_error})")
        if not RunPaths(run_dir).experiment.is_file():
            fail(f"{run_dir}: has no experiment.toml to export")
        return _run_source(run_dir)


def resolve_run_dir(path: Path) -> Path:
    """A folder given as the source: it must be a run directory with its experiment."""
    from tuitrain.runs import RunPaths

    if not RunPaths(path).experiment.is_file():
        fail(f"{path} is not a run directory with an experiment.toml: give a run, a preset name or a preset file")
    return path


def _run_source(run_dir: Path) -> tuple[Path, int | None, str]:
    from tuitrain.runs import RunPaths, load_run

    record = load_run(run_dir)
    seed = record.started.seed if record.started is not None else None
    return RunPaths(run_dir).experiment, seed, f"run {run_dir.name}"


def _write(output: Path, text: str, force: bool) -> None:
    """Write the script atomically (executable); an existing file is only replaced with --force."""
    from tuitrain.fsutil import atomic_write_text

    if output.is_dir():
        fail(f"{output} is a folder: give a file name, e.g. -o {output / 'train.py'}")
    if output.exists() and not force:
        fail(f"{output} exists: pass --force to replace it, or choose another -o file")
    if not output.parent.is_dir():
        fail(f"{output.parent} does not exist: create it first, or choose another -o file")
    try:
        atomic_write_text(output, text)
        os.chmod(output, 0o755)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
