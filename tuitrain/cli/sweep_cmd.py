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

    resolved = _resolve_run_spec(sweep, trials, parallel, space, set_, sampler, pruner, workers, seed, name)
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
        spec = sweep_from_data(data, source)
        return resolve_sweep(spec, source, source_dir)
    except SweepError as exc:
        fail(str(exc))


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
    params = ", ".join(f"{k}={shown[(trial.number, k)]}" for k in trial.params)
    result = f"{metric} {trial.objective:.4g} at epoch {trial.best_epoch}" if trial.objective is not None else ""
    parts = [f"trial {trial.number} {trial.state}", result, params, duration(trial.duration)]
    if trial.message and trial.state not in ("finished",):
        parts.append(trial.message)
    return "  ".join(p for p in parts if p and p != "-")


def _print_changes(record: Any, printed: dict[int, str]) -> None:
    """One line per trial start and end (plain output for pipes, nohup and CI)."""
    if record.status is None:
        return
    shown = _shown_values(record.trials)
    for trial in record.trials:
        if trial.state == "starting" or printed.get(trial.number) == trial.state:
            continue
        printed[trial.number] = trial.state
        line = _trial_line(trial, record.status.metric, shown)
        say(line)


def _live_view(record: Any) -> Any:
    status = record.status
    if status is None:
        return cell(record.reason or "starting")
    done = sum(not t.active for t in record.trials)
    best = record.best
    head = f"{record.sweep_id}: {record.state}, {done}/{status.trials_planned} trials done"
    if best is not None and best.objective is not None:
        head += f"; best trial {best.number}: {status.metric} {best.objective:.4g} at epoch {best.best_epoch}"
    recent = sorted(record.trials, key=lambda t: (not t.active, -t.number))[:12]
    return Group(cell(head), _table(recent, status, live=True)[0])


def _table(trials: list[Any], status: Any, *, live: bool = False) -> tuple[Table, list[str], list[list[str]]]:
    """The trials' table, with its headers and cells (to size a console for piped output)."""
    names = list(dict.fromkeys(k for t in trials for k in t.params))
    metric = f"{status.metric} @ epoch"
    headers = ["#", "state", *_short_names(names), metric, "onset" if not live else "epochs", "time"]
    shown = _shown_values(trials)
    rows = []
    for t in trials:
        objective = f"{t.objective:.4g} @ {t.best_epoch}" if t.objective is not None else "-"
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


def _short_names(names: list[str]) -> list[str]:
    """Column headers: each path's last part (``learning_rate``), longer where two would read the same."""
    out = []
    for name in names:
        parts = name.split(".")
        for keep in range(1, len(parts) + 1):
            short = ".".join(parts[-keep:])
            if sum(".".join(n.split(".")[-keep:]) == short for n in names) == 1:
                break
        out.append(short)
    return out


def _shown_values(trials: list[Any]) -> dict[tuple[int, str], str]:
    """Each (trial, parameter) value as tables show it: plain values as they are; a section (a table or a list
    chosen whole) by what differs between the sections these trials got: "sgd momentum=0.9", "activation=relu"."""
    out: dict[tuple[int, str], str] = {}
    for name in dict.fromkeys(k for t in trials for k in t.params):
        values = {t.number: t.params[name] for t in trials if name in t.params}
        if not any(isinstance(v, dict | list) for v in values.values()):
            out.update({(n, name): _value(v) for n, v in values.items()})
            continue
        leaves = {n: _leaves(v) for n, v in values.items()}
        keys = dict.fromkeys(k for found in leaves.values() for k in found)
        varying = [k for k in keys if len({tuple(sorted(found.get(k, ()))) for found in leaves.values()}) > 1]
        for n, found in leaves.items():
            parts = []
            for key in (k for k in varying if k in found):
                text = "/".join(sorted(found[key]))
                parts.append(text if key.rsplit(".", 1)[-1] in ("", "name", "kind") else f"{key}={text}")
            out[(n, name)] = " ".join(parts) or _value(values[n])
    return out


def _leaves(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """The plain values inside a table or list by key path, list positions left out (a stack's layers merge)."""
    out: dict[str, set[str]] = {}
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for key, item in items:
            path = prefix if key is None else (f"{prefix}.{key}" if prefix else str(key))
            for inner, found in _leaves(item, path).items():
                out.setdefault(inner, set()).update(found)
        return out
    return {prefix: {_value(value)}}


def _value(value: Any) -> str:
    from tuitrain.sweep.space import toml_inline

    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    text = toml_inline(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:39] + "…"


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
    from tuitrain.sweep.space import toml_inline

    status = record.status
    lines = [
        f"best: trial {best.number}, {status.metric} {best.objective:.4g} at epoch {best.best_epoch} "
        f"({record.run_dir(best)})"
    ]
    sets = " ".join(f"--set '{k}={toml_inline(v)}'" for k, v in best.params.items())
    lines.append(f"as --set: {sets}")
    return lines


# ---------------------------------------------------------------- list / show


@app.command("list")
def list_cmd(runs_dir: RunsDir = None) -> None:
    """Every sweep: its state, trials done of planned, the best objective, sampler, duration."""
    from tuitrain.sweep.layout import SweepNotFound, sweeps_root
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
        done = sum(not t.active for t in record.trials)
        best = record.best
        shown = f"{status.metric} {best.objective:.4g} (#{best.number})" if best and best.objective is not None else "-"
        end = status.ended_at or (time.time() if record.state in ("running", "stopping") else status.updated_at)
        took = duration(end - status.created_at) if end else "-"
        rows.append((record.sweep_id, record.state, f"{done}/{status.trials_planned}", shown, status.sampler, took))
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
    record = _load(sweep, runs_dir)
    status = record.status
    done = sum(not t.active for t in record.trials)
    say(
        f"{record.sweep_id}: {record.state}; {done}/{status.trials_planned} trials; objective {status.metric} "
        f"({status.mode}) at each trial's best epoch; {status.sampler} sampler, pruner {status.pruner}, "
        f"{status.workers} workers in {', '.join(status.slots) or '-'}"
        + (f"; refines {status.parent}" if status.parent else "")
    )
    if record.reason and record.state in ("crashed", "failed"):
        say(record.reason)
    ranked = status.ranked()
    numbers = {t.number for t in ranked}
    order = ranked + sorted((t for t in record.trials if t.number not in numbers), key=lambda t: t.number)
    if order:
        table, headers, rows = _table(order, status)
        table_console(headers, rows).print(table)
    distinct = _distinct_values(record.trials)
    if distinct:
        say("distinct values tried: " + "; ".join(distinct))
    for trial in order:
        if trial.message and trial.state not in ("finished",):
            say(f"trial {trial.number}: {trial.message}")
    best = record.best
    if best is not None:
        for text in _best_lines(record, best):
            say(text)


def _distinct_values(trials: list[Any]) -> list[str]:
    """How many different values each parameter got: a grid spends many trials on few values of each."""
    from tuitrain.sweep.space import toml_inline

    names = list(dict.fromkeys(k for t in trials for k in t.params))
    out = []
    for name in names:
        seen = {toml_inline(t.params[name]) for t in trials if name in t.params and t.state not in ("lost",)}
        tried = sum(name in t.params for t in trials)
        out.append(f"{name}: {len(seen)} in {tried} trials")
    return out


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
    detach: Annotated[bool, typer.Option("--detach", help="Start it and return.")] = False,
    runs_dir: RunsDir = None,
    data_dir_: DataDir = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a data set.")] = False,
) -> None:
    """Continue a sweep whose controller was stopped or killed, up to its budget.

    Trials that ended meanwhile are counted once, trials still training are followed to their end, trials that
    never started are marked lost.
    """
    from tuitrain.sweep.process import controller_running, start_controller

    record = _load(sweep, runs_dir)
    paths, status = record.paths, record.status
    if controller_running(paths):
        fail(f"{paths.sweep_id} is running (controller pid {status.pid}): nothing to resume")
    left = status.trials_planned - status.counted
    if left <= 0 and not any(t.active for t in status.trials) and status.state == "finished":
        fail(f"{paths.sweep_id} has finished all {status.trials_planned} trials: nothing to resume")
    controller = start_controller(paths, data_dir(data_dir_), offline or None)
    say(f"resuming {paths.root}: {status.counted} trial(s) recorded, up to {left} to go")
    if detach:
        return
    raise typer.Exit(EXIT_CODES.get(follow(paths, controller), 1))


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
    from tuitrain.sweep.refine import refine
    from tuitrain.sweep.resolve import resolve_sweep
    from tuitrain.sweep.spec import SweepError, read_sweep_file, save_sweep, user_sweep_dir

    if not margin >= 0 or not math.isfinite(margin):
        fail(f"--margin {margin}: must be a number >= 0")
    record = _load(sweep, runs_dir)
    try:
        parent = resolve_sweep(read_sweep_file(record.paths.spec), str(record.paths.spec))
        refined = refine(parent, record.status, top=top, margin=margin, name=name, trials=trials)
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
    from tuitrain import presets

    record = _load(sweep, runs_dir)
    best = record.best
    if best is None:
        fail(f"{record.sweep_id} has no trial with a final objective yet")
    for text in _best_lines(record, best):
        say(text)
    if save_preset is None:
        return
    path = record.run_dir(best) / "experiment.toml"
    try:
        presets.check_name(save_preset)
    except ValueError as exc:
        fail(str(exc))
    try:
        # The preset reader: regular files only, one line for every way the file can be wrong.
        exp = presets.experiment_from_data(presets.read_preset_data(path), str(path))
    except presets.PresetError as exc:
        fail(str(exc))
    description = (
        f"The best trial ({best.number}) of sweep {record.sweep_id}: {record.status.metric} "
        f"{best.objective:.4g} at epoch {best.best_epoch}."
    )
    exp = exp.model_copy(update={"name": save_preset, "description": description})
    try:
        saved = presets.save(exp, save_preset, overwrite=force)
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
