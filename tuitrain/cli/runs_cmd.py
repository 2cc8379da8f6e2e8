"""``tuitrain runs list | show RUN | delete RUN``: the runs under the runs root."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tuitrain.cli.common import RunsDir, cell, console, fail, is_terminal, runs_root, say
from tuitrain.text import printable

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


def duration_text(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss ("-" when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = round(max(0.0, seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


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
                duration_text(row.duration),
            )
        )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold", justify="right" if header.startswith("best") else "left")
    for row_cells in cells:
        # Text cells: a run folder's name is anyone's text (markup, escape sequences): shown literally.
        table.add_row(*(cell(text) for text in row_cells))
    # Piped output has no width to fit: print whole rows instead of cutting run names at 80 columns.
    needed = sum(max(len(h), *(len(cell(c[i])) for c in cells)) for i, h in enumerate(headers)) + 2 * len(headers)
    out = console if is_terminal() else Console(width=max(needed, 80), highlight=False)
    out.print(table)
    for row in rows:
        _notes(Path(row.run_dir).name, row.notes)


@app.command("show")
def show_cmd(run: RunArg, runs_dir: RunsDir = None) -> None:
    """A run's history table, its experiment (TOML) and what the analysis says about it."""
    from tuitrain.runs import load_run, read_experiment_text, remove_stale_temporaries

    run_dir = _find(run, runs_dir)
    record = load_run(run_dir)
    for removed in remove_stale_temporaries(record):
        say(f"tuitrain: removed {removed.name}, left behind by an interrupted save", err=True)
    history = record.history
    if history:
        keys = sorted({k for row in history for k in row if k != "epoch"}, key=_column_order)
        table = Table(box=None, pad_edge=False, header_style="bold", title=cell(f"history of {run_dir.name}"))
        table.add_column("epoch", justify="right")
        for key in keys:
            table.add_column(cell(key), justify="right")
        for number, row in zip(record.epochs, history, strict=True):
            table.add_row(str(number), *(_cell(row.get(k)) for k in keys))
        console.print(table)
    else:
        say("no epoch finished yet")
    console.print()
    text, _ = read_experiment_text(run_dir)  # why not is among the record's notes
    if text is not None:
        say(f"# {run_dir / 'experiment.toml'}")
        say(text, multiline=True)
    for line in summary_lines(run_dir, record.state, record.reason, record=record):
        say(line)
    _notes(run_dir.name, record.notes)


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
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    return str(value)


def summary_lines(
    run_dir: Path, state: str | None = None, reason: str | None = None, *, record: Any = None
) -> list[str]:
    """The end-of-run summary: outcome, best epoch, early stopping, overfitting in words, where it is.

    It says only what the run's files prove: the outcome with the epochs actually recorded, the best
    epoch over the whole history by the early-stopping monitor, which epoch best.keras holds, and
    (from the record) what is missing or damaged. ``state``/``reason`` override the record's (a
    follower that saw the trainer die knows more); ``record`` saves reading the run again.
    """
    from tuitrain.analysis import analyze, experiment_chance_loss
    from tuitrain.runs import load_experiment, load_run

    record = record if record is not None else load_run(run_dir)
    history = record.history
    exp = load_experiment(run_dir)
    lines = [_outcome(state or record.state, reason if reason is not None else record.reason, record)]
    if history and exp is not None:
        result = analyze(history, exp.early_stopping, exp.overfitting, chance_loss=experiment_chance_loss(exp))
        best = record.best_by_monitor
        if best is not None:
            epoch, _ = best
            row = history[record.epochs.index(epoch)]
            vals = ", ".join(f"{k} {_cell(v)}" for k, v in row.items() if k.startswith("val_"))
            lines.append(f"best epoch {epoch} by {record.monitor[0]}: {vals}")
        lines.append(result.summary())
        flagged = [f for f in result.flags if f.severity != "info" and f.criterion not in ("early_stopping",)]
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
    epochs = record.epochs_done
    done = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    duration = duration_text(getattr(record, "duration", None))
    took = f" in {duration}" if duration != "-" else ""
    if state == "finished":
        return f"finished: {done}{took}" + (f" ({reason})" if reason else "")
    if state == "stopped":
        return f"stopped after {done}{took}" + (f" ({reason})" if reason else "")
    if state in ("running", "pending"):
        return f"{record.state_label}: {done} so far"
    return f"{state}: {reason or 'no reason recorded'} ({done} recorded)"
