"""``tuitrain runs list | show RUN | delete RUN``: the runs under the runs root."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tuitrain.cli.common import RunsDir, console, fail, is_terminal, runs_root, table_console
from tuitrain.formatting import duration, number

app = typer.Typer(no_args_is_help=True, add_completion=False)

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

RunArg = Annotated[str, typer.Argument(help="Run directory name (or a unique start of it), or a path.")]


def _root(runs_dir: Path | None) -> Path:
    return runs_root(runs_dir)


def _find(run: str, runs_dir: Path | None) -> Path:
    from tuitrain.runs import RunNotFound, resolve_run

    try:
        return resolve_run(_root(runs_dir), run)
    except RunNotFound as exc:
        fail(str(exc))


def _value_at(best: tuple[int, float] | None) -> str:
    if best is None:
        return "-"
    epoch, value = best
    return f"{value:.4f} @ {epoch}"


@app.command("list")
def list_cmd(runs_dir: RunsDir = None) -> None:
    """Every run with its status, data set, epochs, best validation loss and accuracy, and duration."""
    from tuitrain.runs import list_runs

    root = _root(runs_dir)
    rows = list_runs(root)
    if not rows:
        console.print(f"no runs in {root} (start one with 'tuitrain run PRESET')", markup=False)
        return
    headers = ("run", "status", "dataset", "epochs", "best val_loss", "best val_acc", "duration")
    cells = []
    for row in rows:
        planned = f"/{row.epochs_planned}" if row.epochs_planned else ""
        cells.append(
            (
                Path(row.run_dir).name,
                row.state_label,
                row.dataset or "-",
                f"{row.epochs_done}{planned}",
                _value_at(row.best_val_loss),
                _value_at(row.best_val_accuracy),
                duration(row.duration),
            )
        )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold", justify="right" if header.startswith("best") else "left")
    for cell in cells:
        table.add_row(*cell)
    table_console(headers, cells).print(table)


@app.command("show")
def show_cmd(run: RunArg, runs_dir: RunsDir = None) -> None:
    """A run's experiment as TOML, with its history table and what the analysis says as TOML comments.

    The whole output is valid TOML (``tuitrain runs show RUN > exp.toml`` is a preset to run again).
    """
    from tuitrain.runs import load_run

    run_dir = _find(run, runs_dir)
    record = load_run(run_dir)
    history = record.history
    if history:
        keys = sorted({k for row in history for k in row if k != "epoch"}, key=_column_order)
        headers = ("epoch", *keys)
        cells = [
            (str(int(row.get("epoch", i))), *(_cell(row.get(k)) for k in keys)) for i, row in enumerate(history, 1)
        ]
        table = Table(box=None, pad_edge=False, header_style="bold", title=f"history of {run_dir.name}")
        for header in headers:
            table.add_column(header, justify="right")
        for cell in cells:
            table.add_row(*cell)
        _comment(_rendered(table, headers, cells))
    else:
        _comment(["no epoch finished yet"])
    experiment = run_dir / "experiment.toml"
    if experiment.is_file():
        _comment([str(experiment)])
        # Verbatim: a console would wrap long strings at the terminal's width, and TOML can't hold that.
        typer.echo(experiment.read_text(encoding="utf-8").rstrip("\n"))
    _comment(summary_lines(run_dir, record.state, record.reason))


def _rendered(table: Table, headers: tuple[str, ...], cells: list[tuple[str, ...]]) -> list[str]:
    """The lines of ``table`` as a terminal (or, piped, a console wide enough for whole rows) shows them."""
    out = table_console(headers, cells)
    with out.capture() as captured:
        out.print(table)
    return captured.get().rstrip("\n").splitlines()


def _comment(lines: list[str]) -> None:
    """Print ``lines`` as TOML comments, unwrapped (a wrapped line would no longer be a comment)."""
    piped = not is_terminal()
    for line in lines:
        # A comment ends at the line's end: text from a run (an error) must not start a new line.
        flat = " ".join(line.splitlines())
        if piped:  # TOML allows no control characters in a comment (a terminal gets the table's colours)
            flat = _CONTROL.sub("", flat)
        typer.echo(f"# {flat}".rstrip())


@app.command("delete")
def delete_cmd(
    run: RunArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Delete a run directory (refused while its trainer is running: stop it first)."""
    from tuitrain.runs import RunBusy, delete_run

    run_dir = _find(run, runs_dir)
    if not yes and not typer.confirm(f"delete {run_dir} and everything in it?", default=False):
        raise typer.Exit(1)
    try:
        delete_run(run_dir)
    except RunBusy as exc:
        fail(str(exc))
    console.print(f"deleted {run_dir}", markup=False)


def _column_order(key: str) -> tuple[int, str]:
    rank = 0 if not key.startswith("val_") else 1
    if key in ("learning_rate", "seconds", "epoch_seconds"):
        rank = 2
    return rank, key.removeprefix("val_")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return number(value)
    return str(value)


def summary_lines(run_dir: Path, state: str, reason: str | None) -> list[str]:
    """The end-of-run summary: outcome, the analysis in words (the lowest validation loss, where early
    stopping stops or would stop and the epoch it keeps, overfitting, the learning rate), the flags the
    final analysis still holds, where it is."""
    from tuitrain.analysis import analyze, experiment_guessing
    from tuitrain.runs import load_run

    record = load_run(run_dir)
    history = record.history
    exp = record.experiment_spec()
    lines = [_outcome(state, reason, len(history), record)]
    if history and exp is not None:
        shares = record.started.val_class_shares if record.started is not None else None
        guessing = experiment_guessing(exp, shares)
        result = analyze(history, exp.early_stopping, exp.overfitting, guessing=guessing)
        lines.append(result.summary())
        flagged = [f for f in result.standing_flags if f.severity != "info"]
        if flagged:
            lines.append("flags: " + "; ".join(f"epoch {f.epoch} {f.criterion}" for f in flagged))
    files = [name for name in ("best.keras", "final.keras", "history.csv") if (run_dir / name).is_file()]
    lines.append(f"run directory: {run_dir}" + (f" ({', '.join(files)})" if files else ""))
    return lines


def _outcome(state: str, reason: str | None, epochs: int, record: Any) -> str:
    done = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    took_text = duration(getattr(record, "duration", None))
    took = f" in {took_text}" if took_text != "-" else ""
    if state == "finished":
        return f"finished: {done}{took}" + (f" ({reason})" if reason else "")
    if state == "stopped":
        return f"stopped after {done}{took}" + (f" ({reason})" if reason else "")
    if state == "running":
        return f"running: {done} so far"
    return f"{state}: {reason or 'no reason recorded'} ({done} recorded)"
