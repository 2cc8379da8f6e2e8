"""``tuitrain runs list | show RUN | delete RUN``: the runs under the runs root."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tuitrain.cli.common import RunsDir, console, fail, runs_root, table_console

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
                duration_text(row.duration),
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
    """A run's history table, its experiment (TOML) and what the analysis says about it."""
    from tuitrain.runs import load_run

    run_dir = _find(run, runs_dir)
    record = load_run(run_dir)
    history = record.history
    if history:
        keys = sorted({k for row in history for k in row if k != "epoch"}, key=_column_order)
        table = Table(box=None, pad_edge=False, header_style="bold", title=f"history of {run_dir.name}")
        table.add_column("epoch", justify="right")
        for key in keys:
            table.add_column(key, justify="right")
        for i, row in enumerate(history, start=1):
            table.add_row(str(int(row.get("epoch", i))), *(_cell(row.get(k)) for k in keys))
        console.print(table)
    else:
        console.print("no epoch finished yet", markup=False)
    console.print()
    experiment = run_dir / "experiment.toml"
    if experiment.is_file():
        console.print(f"# {experiment}", markup=False, highlight=False)
        console.print(experiment.read_text(encoding="utf-8"), markup=False, highlight=False)
    for line in summary_lines(run_dir, record.state, record.reason):
        console.print(line, markup=False, soft_wrap=True, highlight=False)


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
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    return str(value)


def summary_lines(run_dir: Path, state: str, reason: str | None) -> list[str]:
    """The end-of-run summary: outcome, best epoch, early stopping, overfitting in words, where it is."""
    from tuitrain.analysis import analyze, experiment_chance_loss
    from tuitrain.runs import load_run

    record = load_run(run_dir)
    history = record.history
    exp = _experiment(run_dir)
    lines = [_outcome(state, reason, len(history), record)]
    if history and exp is not None:
        result = analyze(history, exp.early_stopping, exp.overfitting, chance_loss=experiment_chance_loss(exp))
        es = result.early_stopping
        monitor = exp.early_stopping.monitor
        if es.best_epoch is not None:
            row = history[es.best_epoch - 1]
            vals = ", ".join(f"{k} {_cell(v)}" for k, v in row.items() if k.startswith("val_"))
            lines.append(f"best epoch {es.best_epoch} by {monitor}: {vals}")
        lines.append(result.summary())
        flagged = [f for f in result.flags if f.severity != "info" and f.criterion not in ("early_stopping",)]
        if flagged:
            lines.append("flags: " + "; ".join(f"epoch {f.epoch} {f.criterion}" for f in flagged))
    files = [name for name in ("best.keras", "final.keras", "history.csv") if (run_dir / name).is_file()]
    lines.append(f"run directory: {run_dir}" + (f" ({', '.join(files)})" if files else ""))
    return lines


def _outcome(state: str, reason: str | None, epochs: int, record: Any) -> str:
    done = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    duration = duration_text(getattr(record, "duration", None))
    took = f" in {duration}" if duration != "-" else ""
    if state == "finished":
        return f"finished: {done}{took}" + (f" ({reason})" if reason else "")
    if state == "stopped":
        return f"stopped after {done}{took}" + (f" ({reason})" if reason else "")
    if state == "running":
        return f"running: {done} so far"
    return f"{state}: {reason or 'no reason recorded'} ({done} recorded)"


def _experiment(run_dir: Path) -> Any:
    import tomllib

    from tuitrain.presets import PresetError, experiment_from_data

    path = run_dir / "experiment.toml"
    try:
        return experiment_from_data(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, tomllib.TOMLDecodeError, PresetError):
        return None
