"""``tuitrain runs list | show RUN | delete RUN``: the runs under the runs root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tuitrain.cli.common import RunsDir, cell, fail, is_terminal, runs_root, say, table_console
from tuitrain.formatting import duration, number
from tuitrain.text import printable, toml_printable

app = typer.Typer(no_args_is_help=True, add_completion=False)

RunArg = Annotated[str, typer.Argument(help="Run directory name (or a unique start of it), or a path.")]


def _root(runs_dir: Path | None) -> Path:
    return runs_root(runs_dir)


def _find(run: str, runs_dir: Path | None) -> Path:
    from tuitrain.runs import RunNotFound, resolve_run

    try:
        return resolve_run(_root(runs_dir), run)
    except RunNotFound as exc:
        fail(str(exc))


def _notes(name: str, notes: Any) -> None:
    """Problems found in a run's files, one line each on stderr (the table or history stays clean)."""
    for note in notes:
        say(f"tuitrain: note: {name}: {note}", err=True)


def _value_at(best: tuple[int, float] | None) -> str:
    if best is None:
        return "-"
    epoch, value = best
    return f"{value:.4f} @ {epoch}"


@app.command("list")
def list_cmd(runs_dir: RunsDir = None) -> None:
    """Every run with its status, data set, epochs, best validation loss and accuracy, and duration."""
    from tuitrain.runs import RunsRootError, scan_runs

    root = _root(runs_dir)
    try:
        scan = scan_runs(root)
    except RunsRootError as exc:
        fail(str(exc))
    for skipped in scan.skipped:
        say(f"tuitrain: note: skipped {skipped}", err=True)
    rows = scan.runs
    if not rows:
        say(f"no runs in {root} (start one with 'tuitrain run PRESET')")
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
    shown = [[cell(text) for text in row_cells] for row_cells in cells]
    for row_cells in shown:
        # Text cells: a run folder's name is anyone's text (markup, escape sequences): shown literally.
        table.add_row(*row_cells)
    table_console(headers, shown).print(table)
    for row in rows:
        _notes(Path(row.run_dir).name, row.notes)


@app.command("show")
def show_cmd(run: RunArg, runs_dir: RunsDir = None) -> None:
    """A run's experiment as TOML, with its history table and what the analysis says as TOML comments.

    The whole output is valid TOML (``tuitrain runs show RUN > exp.toml`` is a preset to run again).
    A learning-rate range test shows its chart instead.
    """
    from tuitrain.runs import complete_history_csv, load_run, read_experiment_text, remove_stale_temporaries
    from tuitrain.runs.lr_find import is_lr_find

    run_dir = _find(run, runs_dir)
    record = load_run(run_dir)
    for removed in remove_stale_temporaries(record):
        say(f"tuitrain: removed {removed.name}, left behind by an interrupted save", err=True)
    if is_lr_find(run_dir):
        from tuitrain.cli.lr_find_cmd import print_report

        say(f"{run_dir.name}: learning-rate range test, {record.state}")
        print_report(run_dir, interactive=is_terminal())
        return
    if complete_history_csv(record):
        say("tuitrain: history.csv was behind the event log (the trainer was killed mid-write): rewritten", err=True)
    history = record.history
    if history:
        keys = sorted({k for row in history for k in row if k != "epoch"}, key=_column_order)
        headers = ("epoch", *(printable(k) for k in keys))
        rows = [
            (str(epoch), *(_cell(row.get(k)) for k in keys)) for epoch, row in zip(record.epochs, history, strict=True)
        ]
        table = Table(box=None, pad_edge=False, title=cell(f"history of {run_dir.name}"))
        for header in headers:
            table.add_column(cell(header), justify="right")
        for row_cells in rows:
            table.add_row(*row_cells)
        _comment(_rendered(table, headers, rows))
    else:
        _comment(["no epoch finished yet"])
    text, _ = read_experiment_text(run_dir)  # why not is among the record's notes
    if text is not None:
        _comment([str(run_dir / "experiment.toml")])
        # Echoed, not printed by a console, which would wrap long strings at the terminal's width.
        typer.echo(toml_printable(text).rstrip("\n"))
    _comment(summary_lines(run_dir, record.state, record.reason, record=record))
    _notes(run_dir.name, record.notes)


def _rendered(table: Table, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """The lines of ``table``, plain, as wide as the terminal (piped: as wide as whole rows need)."""
    width = table_console(headers, rows).width
    plain = Console(width=width, color_system=None, highlight=False)
    with plain.capture() as captured:
        plain.print(table)
    return captured.get().rstrip("\n").splitlines()


def _comment(lines: list[str]) -> None:
    """Print ``lines`` as TOML comments, unwrapped (a wrapped line would no longer be a comment)."""
    for line in lines:
        # One comment line each: a newline in text from a run (an error) must not end the comment,
        # and TOML allows no control characters in one (printable escapes them).
        flat = " ".join(str(line).splitlines())
        typer.echo(f"# {printable(flat)}".rstrip())


@app.command("delete")
def delete_cmd(
    run: RunArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Delete a run directory inside the runs folder (refused while its trainer is running: stop it first).

    Only a run folder directly inside the runs folder (--runs-dir, else $TUITRAIN_RUNS, else ./runs)
    is ever deleted, after resolving symbolic links; anything else is refused.
    """
    from tuitrain.fsutil import os_error_text
    from tuitrain.runs import RunBusy, deletable_run, delete_run

    root = _root(runs_dir)
    try:
        # Checked before asking: a refusal should not follow a "yes".
        target = deletable_run(root, run)
    except (RunBusy, ValueError) as exc:
        fail(str(exc))
    if not yes and not typer.confirm(f"delete {printable(target)} and everything in it?", default=False):
        raise typer.Exit(1)
    try:
        deleted = delete_run(root, target)
    except (RunBusy, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{target} could not be deleted completely: {os_error_text(exc)}")
    say(f"deleted {deleted}")


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


def summary_lines(
    run_dir: Path, state: str | None = None, reason: str | None = None, *, record: Any = None
) -> list[str]:
    """The end-of-run summary: outcome, the analysis in words (the lowest validation loss, where early
    stopping stops or would stop and the epoch it keeps, overfitting, the learning rate), the flags the
    final analysis still holds, where it is.

    It says only what the run's files prove: the outcome with the epochs actually recorded, which
    epoch best.keras holds, and (from the record) what is missing or damaged. ``state``/``reason``
    override the record's (a follower that saw the trainer die knows more); ``record`` saves reading
    the run again.
    """
    from tuitrain.analysis import analyze, experiment_guessing
    from tuitrain.runs import load_run

    record = record if record is not None else load_run(run_dir)
    history = record.history
    exp = record.experiment_spec()
    lines = [_outcome(state or record.state, reason if reason is not None else record.reason, record)]
    if history and exp is not None:
        shares = record.started.val_class_shares if record.started is not None else None
        guessing = experiment_guessing(exp, shares)
        result = analyze(history, exp.early_stopping, exp.overfitting, guessing=guessing)
        lines.append(result.summary())
        flagged = [f for f in result.standing_flags if f.severity != "info"]
        if flagged:
            lines.append("flags: " + "; ".join(f"epoch {f.epoch} {f.criterion}" for f in flagged))
    lines.append(f"run directory: {run_dir}" + _files_text(record))
    return lines


def _files_text(record: Any) -> str:
    """`` (best.keras: epoch 5, final.keras, history.csv)``: the model files, and whose weights best.keras holds."""
    files = []
    if record.paths.best_model.is_file():
        saved = record.best_saved_epoch
        files.append(f"best.keras: epoch {saved}" if saved is not None else "best.keras")
    files += [name for name in ("final.keras", "history.csv") if (record.path / name).is_file()]
    return f" ({', '.join(files)})" if files else ""


def _outcome(state: str, reason: str | None, record: Any) -> str:
    from tuitrain.runs.status import ACTIVE_STATES

    epochs = record.epochs_done
    done = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    took_text = duration(getattr(record, "duration", None))
    took = f" in {took_text}" if took_text != "-" else ""
    if state == "finished":
        return f"finished: {done}{took}" + (f" ({reason})" if reason else "")
    if state == "stopped":
        return f"stopped after {done}{took}" + (f" ({reason})" if reason else "")
    if state in ACTIVE_STATES:
        return f"{record.state_label}: {done} so far"
    return f"{state}: {reason or 'no reason recorded'} ({done} recorded)"
