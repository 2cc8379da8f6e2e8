"""``tuitrain sweep run | list | show | stop | resume | refine | best``: hyperparameter search, headless."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table

from tuitrain.cli.common import DataDir, RunsDir, cell, console, fail, is_terminal, say, table_console
from tuitrain.formatting import duration
from tuitrain.workspace import data_dir

app = typer.Typer(no_args_is_help=True, add_completion=False)

SweepArg = Annotated[str, typer.Argument(help="Sweep folder name (or a unique start of it), 'latest', or a path.")]
RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="ADDRESS",
        help="Train the trials on a Ray cluster: auto (the one 'ray start' started here), HEAD_HOST:6379, "
        "ray://HOST:10001, or local (a Ray instance of its own). Needs pip install 'tuitrain\\[ray]'.",
        show_default=False,
    ),
]
FOLLOW_SECONDS = 0.5
EXIT_CODES = {"finished": 0, "stopped": 0, "failed": 1, "crashed": 2}
"""Exit status of ``sweep run`` / ``sweep resume`` by how the sweep ended."""


def _find(ref: str, runs_dir: Path | None) -> Any:
    from tuitrain.sweep.layout import SweepNotFound, resolve_sweep_dir

    try:
        return resolve_sweep_dir(runs_dir, ref)
    except SweepNotFound as exc:
        fail(str(exc))


def _load(ref: str, runs_dir: Path | None) -> Any:
    from tuitrain.sweep.status import load_sweep

    record = load_sweep(_find(ref, runs_dir))
    if record.status is None:
        fail(f"{record.paths.root}: {record.reason}")
    return record


# ---------------------------------------------------------------- run


@app.command("run")
def run(
    sweep: Annotated[
        str,
        typer.Argument(
            help="A sweep preset ('tuitrain sweep presets'), a sweep file, or with --space an experiment preset."
        ),
    ],
    trials: Annotated[int | None, typer.Option("--trials", "-n", help="How many trials.", show_default=False)] = None,
    parallel: Annotated[
        str | None, typer.Option("--parallel", "-p", help='Trials side by side: a number or "auto".')
    ] = None,
    space: Annotated[
        list[str] | None,
        typer.Option(
            "--space",
            help="Search PATH with DIST: PATH=log_uniform:1e-4:1, PATH=reverse_log:0.9:0.999, PATH=log_int:16:512, "
            "PATH=choice:adam,sgd (repeatable).",
            show_default=False,
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field of the base experiment (repeatable).", show_default=False),
    ] = None,
    sampler: Annotated[str | None, typer.Option("--sampler", help="random, grid or tpe.")] = None,
    pruner: Annotated[str | None, typer.Option("--pruner", help="none, median or hyperband.")] = None,
    workers: Annotated[str | None, typer.Option("--workers", help="warm (default) or fresh trainer processes.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the sampler.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name of the sweep (its folder's suffix).")] = None,
    ray: RayOption = None,
    detach: Annotated[bool, typer.Option("--detach", help="Start it and return; follow with 'sweep show'.")] = False,
    runs_dir: RunsDir = None,
    data_dir_: DataDir = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a data set.")] = False,
) -> None:
    """Search hyperparameters: trials side by side, each an ordinary run, followed here.

    A live table on a terminal, one line per trial otherwise.

    Ctrl+C stops the sweep and its trials after their current batch, keeping what they trained (twice: leave it).

    The controller has its own session: if this command or its terminal goes, the sweep goes on.

    Exit status: 0 finished or stopped, 1 failed, 2 crashed.
    """
    from tuitrain.sweep.process import prepare_sweep, start_controller

    resolved = _resolve_run_spec(sweep, trials, parallel, space, set_, sampler, pruner, workers, seed, name, ray)
    _check_backend(resolved.spec, ray)
    folder = data_dir(data_dir_)
    paths = prepare_sweep(resolved, runs_dir, folder, offline)
    controller = start_controller(paths, folder, offline or None)
    spec = resolved.spec
    say(
        f"sweep {paths.root}: {spec.trials} trials of {len(resolved.params)} hyperparameter(s), "
        f"{spec.sampler} sampler" + (f", {spec.pruner.kind} pruning" if spec.pruner.kind != "none" else "")
    )
    if detach:
        say(f"follow it with 'tuitrain sweep show {paths.sweep_id}'")
        return
    raise typer.Exit(EXIT_CODES.get(follow(paths, controller), 1))


def _resolve_run_spec(
    ref: str,
    trials: int | None,
    parallel: str | None,
    space: list[str] | None,
    set_: list[str] | None,
    sampler: str | None,
    pruner: str | None,
    workers: str | None,
    seed: int | None,
    name: str | None,
    ray: str | None = None,
) -> Any:
    """The sweep to run: a sweep preset or file with the options applied, or --space over an experiment preset."""
    from tuitrain.sweep.resolve import resolve_sweep
    from tuitrain.sweep.spec import (
        SweepError,
        find_sweep,
        list_sweep_presets,
        read_sweep_file,
        space_from_options,
        sweep_from_data,
    )

    try:
        extra_space = space_from_options(list(space or []))
    except ValueError as exc:
        fail(str(exc))
    path = find_sweep(ref)
    try:
        if path is not None:
            data = read_sweep_file(path).model_dump(mode="json", exclude_none=True)
            data["space"] = {**data["space"], **extra_space}
            data["set"] = [*data.get("set", []), *(set_ or [])]
            source, source_dir = str(path), path.parent
        elif extra_space:
            data = {"name": f"{Path(ref).stem}-sweep", "base": ref, "set": list(set_ or []), "space": extra_space}
            source, source_dir = "--space", None
        else:
            known = ", ".join(n for n, *_ in list_sweep_presets()) or "none"
            fail(
                f"no sweep named {ref!r} (sweeps: {known}); to search over an experiment preset, give "
                f"--space PATH=DIST:LOW:HIGH, e.g. --space optimizer.learning_rate=log_uniform:1e-4:1"
            )
        updates = {"trials": trials, "sampler": sampler, "workers": workers, "seed": seed, "name": name}
        data.update({k: v for k, v in updates.items() if v is not None})
        if parallel is not None:
            data["parallel"] = "auto" if parallel == "auto" else _int_option("--parallel", parallel)
        if pruner is not None:
            data["pruner"] = {**data.get("pruner", {}), "kind": pruner}
        if ray is not None:
            data["execution"] = {**data.get("execution", {}), "backend": "ray", "address": ray}
        spec = sweep_from_data(data, source)
        return resolve_sweep(spec, source, source_dir)
    except SweepError as exc:
        fail(str(exc))


def _check_backend(spec: Any, ray_option: str | None) -> None:
    """One line, before anything starts, when the sweep asks for Ray and Ray is not installed."""
    from tuitrain.sweep.executor import RAY_MISSING, ray_installed

    if spec.execution.backend == "ray" and not ray_installed():
        asked = "--ray" if ray_option is not None else f'sweep {spec.name!r} asks for [execution] backend = "ray":'
        fail(f"{asked} {RAY_MISSING.removeprefix('the Ray backend ')}")


def _int_option(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        fail(f'{option} {text!r}: expected a number or "auto"')


# ---------------------------------------------------------------- following


def follow(paths: Any, controller: Any = None) -> str:
    """Show the sweep until it ends (a live table on a terminal, plain lines otherwise); its final state.

    ``controller``: the controller process started here, if any: one that exits without recording an
    end (it could not even start) ends the wait at once, with the last line of its log.
    """
    from tuitrain.sweep.process import stop_sweep
    from tuitrain.sweep.status import ACTIVE_SWEEP_STATES, load_sweep

    interactive = is_terminal()
    if interactive:
        say(
            "Ctrl+C stops the sweep after its trials' current batch; if this terminal closes, the sweep goes on.",
            style="dim",
        )
    printed: dict[int, str] = {}
    live = Live(console=console, refresh_per_second=2, transient=True) if interactive else None
    interrupts = 0
    record = load_sweep(paths)
    try:
        if live is not None:
            live.start()
        while True:
            try:
                record = load_sweep(paths)
                if live is not None:
                    live.update(_live_view(record))
                else:
                    _print_changes(record, printed)
                if _ours(record, controller) and record.state not in ACTIVE_SWEEP_STATES:
                    break
                if controller is not None and controller.poll() is not None:
                    record = load_sweep(paths)  # it may have written its end just before exiting
                    if not _ours(record, controller) or record.state in ACTIVE_SWEEP_STATES:
                        fail(f"the sweep's controller exited ({controller.returncode}): {_last_line(paths.log)}")
                    break
                time.sleep(FOLLOW_SECONDS)
            except KeyboardInterrupt:
                interrupts += 1
                if interrupts > 1:
                    say("left the sweep stopping on its own ('tuitrain sweep show' follows it)")
                    return "stopped"
                say(stop_sweep(paths) + " (Ctrl+C again leaves it stopping on its own)")
    finally:
        if live is not None:
            live.stop()
    if interactive:
        _print_changes(record, printed)
    _summary(record)
    return record.state


def _ours(record: Any, controller: Any) -> bool:
    """Whether the sweep's status is the word of the controller started here (a resumed sweep's old
    status says "crashed" until the new controller has written its own)."""
    return controller is None or (record.status is not None and record.status.pid == controller.pid)


LOG_TAIL_BYTES = 65536
"""How much of the end of the controller's log is read for its last line."""


def _last_line(path: Path) -> str:
    from tuitrain.fsutil import open_regular, os_error_text

    try:
        # Only a regular file is opened (a FIFO in its place would block); only its end is read.
        with open_regular(path) as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - LOG_TAIL_BYTES))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"{path} cannot be read: {os_error_text(exc)}"
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"nothing in {path}"


def _trial_line(trial: Any, metric: str, shown: dict[tuple[int, str], str]) -> str:
    """One trial on one line (plain output): state, objective, values, time, message."""
    params = ", ".join(f"{k}={shown[(trial.number, k)]}" for k in trial.params)
    result = f"{metric} {trial.objective:.4g} at epoch {trial.best_epoch}" if trial.objective is not None else ""
    parts = [f"trial {trial.number} {trial.state}", result, params, duration(trial.duration)]
    if trial.message and trial.state not in ("finished",):
        parts.append(trial.message)
    return "  ".join(p for p in parts if p and p != "-")


def _print_changes(record: Any, printed: dict[int, str]) -> None:
    """One line per trial start and end (plain output for pipes, nohup and CI)."""
    from tuitrain.sweep.leaderboard import shown_values

    if record.status is None:
        return
    shown = shown_values(record.trials)
    for trial in record.trials:
        if trial.state == "starting" or printed.get(trial.number) == trial.state:
            continue
        printed[trial.number] = trial.state
        line = _trial_line(trial, record.status.metric, shown)
        say(line)


def _live_view(record: Any) -> Any:
    from tuitrain.sweep.leaderboard import sweep_progress

    status = record.status
    if status is None:
        return cell(record.reason or "starting")
    progress = sweep_progress(record)
    best = record.best
    head = f"{record.sweep_id}: {record.state}, {progress.done}/{progress.planned} trials done"
    if best is not None and best.objective is not None:
        head += f"; best trial {best.number}: {status.metric} {best.objective:.4g} at epoch {best.best_epoch}"
    recent = sorted(record.trials, key=lambda t: (not t.active, -t.number))[:12]
    return Group(cell(head), _table(recent, status, live=True)[0])


def _table(trials: list[Any], status: Any, *, live: bool = False) -> tuple[Table, list[str], list[list[str]]]:
    """The trials' table, with its headers and cells (to size a console for piped output)."""
    from tuitrain.sweep.leaderboard import objective_text, param_names, short_names, shown_values

    names = param_names(trials)
    metric = f"{status.metric} @ epoch"
    headers = ["#", "state", *short_names(names), metric, "onset" if not live else "epochs", "time"]
    shown = shown_values(trials)
    rows = []
    for t in trials:
        objective = objective_text(t)
        extra = (str(t.onset_epoch) if t.onset_epoch else "-") if not live else str(t.epochs_done)
        params = [shown.get((t.number, n), "-") for n in names]
        rows.append([str(t.number), t.state, *params, objective, extra, duration(t.duration)])
    table = Table(box=None, pad_edge=False, header_style="bold")
    for i, header in enumerate(headers):
        # Parameter and metric names come from the sweep's files: shown literally.
        table.add_column(cell(header), justify="left" if i == 1 else "right", overflow="fold")
    for row in rows:
        table.add_row(*(cell(c) for c in row))
    return table, headers, rows


def _summary(record: Any) -> None:
    status = record.status
    if status is None:
        return
    line = f"{record.state}: {status.message or record.reason or ''}".rstrip(": ")
    if record.state in ("failed", "crashed"):
        say(f"tuitrain: {line}", err=True)
    else:
        say(line)
    best = record.best
    if best is not None:
        for text in _best_lines(record, best):
            say(text)
    say(f"sweep folder: {record.paths.root}")


def _best_lines(record: Any, best: Any) -> list[str]:
    from tuitrain.sweep.leaderboard import best_sets

    status = record.status
    return [
        f"best: trial {best.number}, {status.metric} {best.objective:.4g} at epoch {best.best_epoch} "
        f"({record.run_dir(best)})",
        f"as --set: {best_sets(best)}",
    ]


# ---------------------------------------------------------------- list / show


@app.command("list")
def list_cmd(runs_dir: RunsDir = None) -> None:
    """Every sweep: its state, trials done of planned, the best objective, sampler, duration."""
    from tuitrain.sweep.layout import SweepNotFound, sweeps_root
    from tuitrain.sweep.leaderboard import best_text, sweep_progress
    from tuitrain.sweep.status import list_sweeps

    try:
        records = list_sweeps(runs_dir)
    except SweepNotFound as exc:  # the sweeps folder cannot be read
        fail(str(exc))
    if not records:
        say(f"no sweeps in {sweeps_root(runs_dir)} (start one with 'tuitrain sweep run NAME')")
        return
    headers = ("sweep", "state", "trials", "best", "sampler", "duration")
    rows = []
    for record in records:
        status = record.status
        if status is None:
            rows.append((record.sweep_id, record.state, "-", "-", "-", "-"))
            continue
        progress = sweep_progress(record)
        trials = f"{progress.done}/{progress.planned}"
        rows.append(
            (record.sweep_id, record.state, trials, best_text(record), status.sampler, duration(progress.elapsed))
        )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, justify="right" if header in ("trials", "best") else "left")
    for row in rows:
        table.add_row(*(cell(c) for c in row))
    table_console(headers, rows).print(table)


@app.command("show")
def show_cmd(
    sweep: SweepArg,
    runs_dir: RunsDir = None,
) -> None:
    """The leaderboard: every trial with its parameters, the objective at its best epoch, onset, state, time.

    Ranked trials (finished or diverged with an objective) come first, best first; the best one's
    parameters are printed as --set options.
    """
    from tuitrain.sweep.leaderboard import distinct_values, leaderboard, sweep_progress

    record = _load(sweep, runs_dir)
    status = record.status
    progress = sweep_progress(record)
    say(
        f"{record.sweep_id}: {record.state}; {progress.done}/{progress.planned} trials; objective {status.metric} "
        f"({status.mode}) at each trial's best epoch; {status.sampler} sampler, pruner {status.pruner}, "
        f"{status.workers} workers in {', '.join(status.slots) or '-'}"
        + (f"; refines {status.parent}" if status.parent else "")
    )
    if record.reason and record.state in ("crashed", "failed"):
        say(record.reason)
    order = leaderboard(record.trials, status.mode)
    if order:
        table, headers, rows = _table(order, status)
        table_console(headers, rows).print(table)
    distinct = distinct_values(record.trials)
    if distinct:
        say("distinct values tried: " + "; ".join(distinct))
    for trial in order:
        if trial.message and trial.state not in ("finished",):
            say(f"trial {trial.number}: {trial.message}")
    best = record.best
    if best is not None:
        for text in _best_lines(record, best):
            say(text)


# ---------------------------------------------------------------- stop / resume


@app.command("stop")
def stop_cmd(
    sweep: SweepArg,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until the sweep has stopped.")] = True,
    runs_dir: RunsDir = None,
) -> None:
    """Stop a sweep's controller and its trials after their current batch, keeping what they trained."""
    from tuitrain.sweep.process import stop_sweep, wait_stopped
    from tuitrain.sweep.status import load_sweep

    paths = _find(sweep, runs_dir)
    try:
        say(stop_sweep(paths))
    except ValueError as exc:
        fail(str(exc))
    if wait and not wait_stopped(paths, 120):
        fail(f"{paths.sweep_id} is still stopping after 2 minutes: see {paths.log}")
    if wait:
        record = load_sweep(paths)
        say(f"{paths.sweep_id}: {record.state}")


@app.command("resume")
def resume_cmd(
    sweep: SweepArg,
    ray: RayOption = None,
    detach: Annotated[bool, typer.Option("--detach", help="Start it and return.")] = False,
    runs_dir: RunsDir = None,
    data_dir_: DataDir = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a data set.")] = False,
) -> None:
    """Continue a sweep whose controller was stopped or killed, up to its budget.

    Trials that ended meanwhile are counted once, trials still training are followed to their end, trials that
    never started are marked lost.

    --ray ADDRESS goes on on a Ray cluster (a new head's address after the old one was lost, or a sweep that
    ran here so far): it is written into the sweep's sweep.toml.
    """
    from tuitrain.sweep.process import resume_sweep

    paths = _load(sweep, runs_dir).paths
    try:
        controller, said = resume_sweep(
            paths, data_dir(data_dir_), offline or None, prepare=lambda: _resume_backend(paths, ray)
        )
    except ValueError as exc:
        fail(str(exc))
    say(said)
    if detach:
        return
    raise typer.Exit(EXIT_CODES.get(follow(paths, controller), 1))


def _resume_backend(paths: Any, ray: str | None) -> None:
    """Check (and with --ray, first record in sweep.toml) where the resumed sweep's trials will train."""
    from tuitrain.sweep.spec import SweepError, read_sweep_file, save_sweep, sweep_from_data

    try:
        spec = read_sweep_file(paths.spec)
    except SweepError as exc:
        if ray is None:
            return  # the controller says what is wrong with it, as for any sweep it cannot read
        fail(str(exc))
    if ray is not None:
        data = spec.model_dump(mode="json", exclude_none=True)
        data["execution"] = {**data["execution"], "backend": "ray", "address": ray}
        try:
            spec = sweep_from_data(data, "--ray")
        except SweepError as exc:
            fail(str(exc))
    _check_backend(spec, ray)
    if ray is not None:
        save_sweep(spec, paths.spec)


# ---------------------------------------------------------------- refine / best


@app.command("refine")
def refine_cmd(
    sweep: SweepArg,
    top: Annotated[int, typer.Option("--top", "-k", help="Span the ranges of this many best trials.")] = 5,
    margin: Annotated[float, typer.Option("--margin", help="Widen by this fraction of the span, each side.")] = 0.25,
    trials: Annotated[int | None, typer.Option("--trials", "-n", help="Trials of the new sweep.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name of the new sweep.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write it here instead of the user sweeps folder.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Write a finer sweep: each range spans the top-K trials, widened on its own scale; it records its parent."""
    from tuitrain import presets
    from tuitrain.sweep.refine import refine_sweep
    from tuitrain.sweep.spec import SweepError, save_sweep, user_sweep_dir

    if not margin >= 0 or not math.isfinite(margin):
        fail(f"--margin {margin}: must be a number >= 0")
    try:
        parent, refined = refine_sweep(_find(sweep, runs_dir), top=top, margin=margin, name=name, trials=trials)
    except SweepError as exc:
        fail(str(exc))
    spec = refined.spec
    target = out if out is not None else user_sweep_dir() / f"{spec.name}.toml"
    try:
        presets.check_name(spec.name)
    except ValueError as exc:
        fail(str(exc))
    if target.exists() and not force:
        fail(f"{target} exists: choose another --name or --out, or --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    save_sweep(spec, target)
    for param in refined.params:
        old = next(p.dist for p in parent.params if p.name == param.name)
        say(f"{param.name}: {old.describe()} -> {param.dist.describe()}")
    run_ref = spec.name if out is None else str(target)
    say(f"wrote {target}; run it with 'tuitrain sweep run {run_ref}'")


@app.command("best")
def best_cmd(
    sweep: SweepArg,
    save_preset: Annotated[
        str | None, typer.Option("--save-preset", help="Save the best trial's experiment as this user preset.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing user preset.")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """The best trial: its objective and epoch, run directory and parameters as --set options."""
    from tuitrain.sweep.best import save_best_preset

    record = _load(sweep, runs_dir)
    best = record.best
    if best is None:
        fail(f"{record.sweep_id} has no trial with a final objective yet")
    for text in _best_lines(record, best):
        say(text)
    if save_preset is None:
        return
    try:
        saved = save_best_preset(record, save_preset, overwrite=force)
    except FileExistsError as exc:
        fail(f"{exc} (--force overwrites a user preset)")
    except (OSError, ValueError) as exc:
        fail(f"cannot save preset {save_preset!r}: {exc}")
    say(f"saved {saved}; train it with 'tuitrain run {save_preset}'")


@app.command("presets")
def presets_cmd() -> None:
    """The sweep presets (built-in and yours): name, where it lives, what it shows."""
    from tuitrain.sweep.spec import list_sweep_presets

    table = Table(box=None, pad_edge=False)
    for col in ("name", "source", "description"):
        table.add_column(col, overflow="fold" if col == "description" else "ellipsis")
    for sweep_name, source, _path, text in list_sweep_presets():
        table.add_row(cell(sweep_name), cell(source), cell(text))
    console.print(table)
