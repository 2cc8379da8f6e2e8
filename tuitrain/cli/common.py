"""Helpers shared by CLI commands: one-line errors on stderr, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup, TyperOption

from tuitrain.text import printable, printable_lines

RunsDir = Annotated[
    Path | None,
    typer.Option("--runs-dir", help="Folder of run directories (default: $TUITRAIN_RUNS, else ./runs)."),
]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field, e.g. --set training.epochs=5 (repeatable).", show_default=False),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder searched first for mnist.npz / imdb.npz (default: $TUITRAIN_DATA)."),
]

# Rich honours NO_COLOR itself; stderr keeps error lines out of piped output.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``tuitrain: message`` on stderr and exit with ``code`` (never a traceback).

    The message may quote files (names, keys, values): control characters in it are escaped.
    """
    for line in message.splitlines() or [message]:
        say(f"tuitrain: {line}", err=True)
    raise typer.Exit(code)


def say(text: object, *, err: bool = False, style: str | None = None, multiline: bool = False) -> None:
    """Print one line (or, with ``multiline``, a block) of text that may come from a file.

    Never markup, emoji codes or highlighting, and control characters shown as escapes: a preset
    description or a run folder name prints as what it is, and cannot steer the terminal.
    """
    shown = printable_lines(text) if multiline else printable(text)
    (err_console if err else console).print(
        shown, markup=False, emoji=False, highlight=False, soft_wrap=True, style=style
    )


def cell(text: object) -> Text:
    """A table cell holding text from a file: shown literally (no markup) with controls escaped."""
    return Text(printable(text), no_wrap=False)


def runs_root(runs_dir: Path | None) -> Path:
    """``--runs-dir``, else ``$TUITRAIN_RUNS``, else ``./runs``."""
    from tuitrain.runs.layout import runs_root as resolve_runs_root

    return resolve_runs_root(runs_dir)


def is_terminal() -> bool:
    """True when stdout is an interactive terminal (progress bars), False for pipes, nohup and CI."""
    return sys.stdout.isatty()


def table_console(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Console:
    """Where to print a table of these cells: the terminal, or for pipes a console wide enough for whole rows.

    Piped output has no width to fit, and cutting names at 80 columns would lose what a script greps for.
    """
    if is_terminal():
        return console
    needed = sum(max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)) + 2 * len(headers)
    return Console(width=max(needed, 80), highlight=False)


def run_dashboard(app: Any) -> None:
    """Run the dashboard app; on the way out, say which run or sweep goes on and how to come back to it."""
    # mouse=False: mouse reporting is never switched on, so a dropped SSH session can't leave the
    # user's terminal printing escape codes on every mouse move.
    app.run(mouse=False)
    if app.return_code:
        raise typer.Exit(app.return_code)
    detached = app.detached_run()
    if detached is not None:
        say(f"{detached.name} keeps training; watch it again with 'tuitrain attach {detached.name}'")
    sweep = app.detached_sweep()
    if sweep is not None:
        say(f"sweep {sweep.name} keeps running; watch it again with 'tuitrain attach {sweep.name}'")


def quiet_flags(command: Any, ctx: Any) -> None:
    """Leave the type out of every flag's help line, in ``command`` and every command under it.

    Typer shows each option's type (``--offline <bool>``); a flag takes no value, so ``<bool>`` only
    suggests that one must be typed. An empty metavar is what typer's help prints for a flag instead.
    """
    options = [*command.params, command.get_help_option(ctx)]
    for param in options:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            quiet_flags(sub, ctx)


class QuietFlagsGroup(TyperGroup):
    """The root command group: help pages without a type after flags (see :func:`quiet_flags`)."""

    # typer vendors its own click: its classes are typed Any here rather than from a private module.
    def get_params(self, ctx: Any) -> list[Any]:
        """This group's own options, flags without their type."""
        quiet_flags(self, ctx)
        return super().get_params(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The subcommand ``cmd_name``, its flags (and its subcommands') without their type."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            quiet_flags(command, ctx)
        return command
