"""Root typer app; each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

from tuitrain.cli import (
    attach_cmd,
    export_cmd,
    launch_cmd,
    lr_find_cmd,
    presets_cmd,
    run_cmd,
    runs_cmd,
    serve_cmd,
    sweep_cmd,
)
from tuitrain.cli.common import QuietFlagsGroup

app = typer.Typer(
    name="tuitrain",
    cls=QuietFlagsGroup,
    help="Configure, train and watch Keras experiments from a terminal (built for SSH).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(presets_cmd.app, name="presets", help="List, show, validate and create experiment presets.")
app.command("launch")(launch_cmd.launch)
app.command("run")(run_cmd.run)
app.add_typer(runs_cmd.app, name="runs", help="List, show and delete runs (a run goes on if its terminal closes).")
app.command("attach")(attach_cmd.attach)
app.add_typer(
    sweep_cmd.app, name="sweep", help="Search hyperparameters: many trials side by side, each an ordinary run."
)
app.command("export")(export_cmd.export)
app.command("lr-find")(lr_find_cmd.lr_find)
app.command("serve")(serve_cmd.serve)
