"""Starting, finding and stopping a sweep's controller process (no Optuna, no TensorFlow here).

Like the launcher for trainers: the controller is a fresh ``python -m tuitrain.sweep SWEEP_DIR``
process in its own session (a closed terminal or a dropped SSH connection does not reach it), its
output in ``controller.log``; it is talked to only through its folder and signals.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tuitrain import launcher
from tuitrain.runs.status import trainer_command_line
from tuitrain.sweep.layout import SweepPaths, new_sweep_dir
from tuitrain.sweep.resolve import ResolvedSweep, objective_mode
from tuitrain.sweep.spec import save_sweep
from tuitrain.sweep.status import (
    ACTIVE_SWEEP_STATES,
    SweepStatus,
    controller_alive,
    load_sweep,
    read_sweep_status,
    write_sweep_status,
)

CONTROLLER_MODULE = "tuitrain.sweep"


def prepare_sweep(
    sweep: ResolvedSweep,
    runs_root: Path | str | None = None,
    data_dir: Path | None = None,
    offline: bool = False,
) -> SweepPaths:
    """Create the sweep folder: the resolved ``sweep.toml``, a "pending" ``sweep.json``, ``trials/``."""
    spec = sweep.spec
    paths = new_sweep_dir(runs_root, spec.name)
    save_sweep(spec, paths.spec)
    status = SweepStatus(
        sweep_id=paths.sweep_id,
        name=spec.name,
        description=spec.description,
        metric=spec.objective.metric,
        mode=objective_mode(spec),  # type: ignore[arg-type]
        sampler=spec.sampler,
        pruner=spec.pruner.kind,
        workers=spec.workers,
        trials_planned=spec.trials,
        parent=spec.parent,
        data_dir=str(Path(data_dir).expanduser().resolve()) if data_dir is not None else None,
        offline=offline,
    )
    write_sweep_status(paths, status)
    return paths


def controller_command(paths: SweepPaths, data_dir: Path | None = None, offline: bool | None = None) -> list[str]:
    """The controller's command line for the sweep folder ``paths``."""
    return launcher.module_command(CONTROLLER_MODULE, str(paths.root.resolve()), data_dir=data_dir, offline=offline)


def start_controller(
    paths: SweepPaths, data_dir: Path | None = None, offline: bool | None = None
) -> subprocess.Popen[bytes]:
    """Start the controller of a prepared sweep folder in its own session; return at once."""
    return launcher.spawn_detached(controller_command(paths, data_dir, offline), paths.log)


def controller_running(paths: SweepPaths) -> bool:
    """True while a controller holds the sweep's lock (the kernel drops it the moment one dies)."""
    try:
        # Non-blocking: a FIFO put where the lock belongs would otherwise hang every reader here.
        fd = os.open(paths.lock, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock taken here
    return False


def _is_controller(pid: int, paths: SweepPaths) -> bool:
    args = trainer_command_line(pid)
    if args is None:
        return True  # no /proc: the pid, its start time and the lock are all there is
    return CONTROLLER_MODULE.encode() in args and str(paths.root.resolve()).encode() in args


def stop_sweep(paths: SweepPaths) -> str:
    """Stop a sweep and its trials, keeping what they trained; one line on what was done.

    With its controller alive: SIGTERM to it (it stops each trial through the trainer's normal stop
    path, tells Optuna, and records the sweep "stopped"). With it gone: each trial still training is
    stopped directly and the sweep recorded "stopped" (``sweep resume`` tells Optuna later).
    """
    status = read_sweep_status(paths)
    if status is None:
        raise ValueError(f"{paths.root} has no readable sweep.json")
    alive = controller_alive(status)
    if alive and status.pid is not None and _is_controller(status.pid, paths):
        os.kill(status.pid, signal.SIGTERM)
        return f"asked the controller (pid {status.pid}) to stop the sweep; its trials stop after their current batch"
    if alive is None and controller_running(paths):
        raise ValueError(f"the controller of {paths.sweep_id} runs but its pid is unknown here: try again in a moment")
    stopped = [t.run for t in status.trials if t.active and t.run and launcher.stop_run(paths.trial_dir(t.run))]
    if status.state in ACTIVE_SWEEP_STATES:
        status.state, status.ended_at = "stopped", time.time()
        status.message = "stopped while its controller was gone; 'tuitrain sweep resume' continues it"
        write_sweep_status(paths, status)
    return f"no controller was running; stopped {len(stopped)} trial(s) still training"


def resume_sweep(
    paths: SweepPaths,
    data_dir: Path | None = None,
    offline: bool | None = None,
    prepare: Callable[[], None] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the controller again on a sweep that was stopped or lost its controller; (it, one line on what is left).

    ``prepare`` runs once the sweep may be resumed, before its controller starts (the CLI records a new
    Ray address there). Raises ValueError, one line, when there is nothing to resume: its controller
    runs, or every trial of its budget ended.
    """
    record = load_sweep(paths)
    status = record.status
    if status is None:
        raise ValueError(f"{paths.root}: {record.reason}: nothing to resume")
    if controller_running(paths) or record.state in ACTIVE_SWEEP_STATES:  # judged: a dead controller reads "crashed"
        raise ValueError(f"{paths.sweep_id} is running (controller pid {status.pid}): nothing to resume")
    if not record.resumable:
        raise ValueError(f"{paths.sweep_id} has finished all {status.trials_planned} trials: nothing to resume")
    left = max(status.trials_planned - status.counted, 0)
    if prepare is not None:
        prepare()
    controller = start_controller(paths, data_dir, offline)
    return controller, f"resuming {paths.root}: {status.counted} trial(s) recorded, up to {left} to go"


def wait_stopped(paths: SweepPaths, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the controller to let go of the sweep; True once it has."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not controller_running(paths):
            return True
        time.sleep(0.2)
    return not controller_running(paths)
