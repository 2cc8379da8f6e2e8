"""``tuitrain presets``: list, show, validate, schema, new."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tuitrain import presets
from tuitrain.cli.common import cell, console, fail, say
from tuitrain.fsutil import os_error_text
from tuitrain.spec import Experiment
from tuitrain.spec.checks import resolve
from tuitrain.text import printable

app = typer.Typer(no_args_is_help=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a field: key.path=value (e.g. training.epochs=5). Repeatable."),
]


@app.command("list")
def list_cmd() -> None:
    """Show built-in, local and user presets (name, where it lives, dataset, description) and the user folder."""
    table = Table(box=None, pad_edge=False)
    for col in ("name", "source", "dataset", "description"):
        table.add_column(col, overflow="fold" if col == "description" else "ellipsis")
    for info in presets.list_presets():
        desc = f"[broken] {info.error}" if info.error else info.description
        # Text cells: a description or error may hold "[...]" (markup) or escape sequences.
        table.add_row(*(cell(text) for text in (info.name, info.source, info.dataset, desc)))
    console.print(table)
    # Where "user" presets live: where 'presets new' and the dashboard's Ctrl+S write, to copy or edit.
    folder = presets.user_dir()
    state = "" if folder.is_dir() else " (created by the first save)"
    say(f"user presets: {folder}{state}; local presets: ./presets")


@app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="Preset name or file path.")],
    set_: SetOption = None,
) -> None:
    """Print the fully resolved experiment (defaults filled in) as TOML, with its parameter count."""
    try:
        loaded = presets.load(name, set_)
    except presets.PresetError as exc:
        fail(str(exc))
    exp = resolve(loaded.experiment, loaded.path.parent if loaded.path else None)
    # Plain echo, not rich: the output is TOML meant to be redirected into a file, so no wrapping.
    # The TOML writer escapes control characters in strings; the comment lines are escaped here.
    typer.echo(printable(f"# {loaded.path}"))
    params, output = loaded.check.params, loaded.check.output
    if params is not None and output is not None:
        typer.echo(
            f"# parameters: {params.total:,} ({params.trainable:,} trainable); "
            f"output layer: Dense {output.units} {output.activation}"
        )
    for warning in loaded.check.warnings:
        typer.echo(printable(f"# warning: {warning}"))
    typer.echo(presets.to_toml(exp), nl=False)


@app.command("validate")
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="Preset files to check.")],
) -> None:
    """Check preset files: 'ok' per valid file, every problem as 'file: field.path: message' otherwise."""
    failed = False
    for path in files:
        try:
            loaded = presets.load_file(path)
        except presets.PresetError as exc:
            failed = True
            for issue in exc.issues:
                say(f"{path}: {issue}", err=True)
            continue
        say(f"{path}: ok")
        for warning in loaded.check.warnings:
            say(f"{path}: warning: {warning}")
    if failed:
        raise typer.Exit(1)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of a preset, for editor completion (e.g. taplo, VS Code)."""
    schema = Experiment.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tuitrain experiment preset"
    typer.echo(json.dumps(schema, indent=2))


@app.command("new")
def new_cmd(
    name: Annotated[str, typer.Argument(help="Name of the new user preset.")],
    from_: Annotated[str, typer.Option("--from", help="Preset (name or file) to start from.")] = "digits-mlp",
    set_: SetOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing user preset.")] = False,
    folder: Annotated[Path | None, typer.Option("--dir", help="Save here instead of the user preset folder.")] = None,
) -> None:
    """Write a user preset: a copy of --from with --set overrides applied and the name changed."""
    try:
        presets.check_name(name)
        loaded = presets.load(from_, [*(set_ or []), f'name="{name}"'])
        path = presets.save(loaded.experiment, name, folder=folder, overwrite=force)
    except presets.PresetError as exc:
        fail(str(exc))
    except FileExistsError as exc:
        builtin = (presets.builtin_dir() / f"{name}.toml").exists()
        fail(str(exc) if builtin else f"{exc} (--force overwrites it)")
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        where = folder if folder is not None else presets.user_dir()
        fail(f"cannot save preset {name!r} in {where}: {os_error_text(exc)}")
    say(f"saved {path}")
