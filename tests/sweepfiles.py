"""Sweep folders made on the spot (no Optuna, no training): a resolved spec, sweep.json and trial run dirs.

Imported by the sweep tests as ``sweepfiles`` (``tests`` is on ``sys.path`` through conftest).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from tuitrain import presets
from tuitrain.fsutil import atomic_write_text
from tuitrain.runs import (
    EpochEnded,
    EventWriter,
    RunFinished,
    RunPaths,
    RunStarted,
    RunStatus,
    process_start_time,
    this_host,
    write_status,
)
from tuitrain.sweep.layout import SweepPaths, new_sweep_dir
from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.spec import save_sweep, sweep_from_data
from tuitrain.sweep.status import SweepStatus, TrialEntry, write_sweep_status

LR = "optimizer.learning_rate"


def write_trial_run(trials_dir: Path, name: str, val_loss: list[float], *, final: str | None = "finished") -> Path:
    """A digits trial run directory with this validation-loss curve (final None: still "running", this pid)."""
    exp = presets.load("digits-mlp", [f'name="{name[16:]}"', f"training.epochs={len(val_loss)}"]).experiment
    run_dir = trials_dir / name
    run_dir.mkdir(parents=True)
    paths = RunPaths(run_dir)
    atomic_write_text(paths.experiment, presets.to_toml(exp))
    pid = os.getpid()
    status = RunStatus(state="running", pid=pid, pid_start=process_start_time(pid), host=this_host(), started_at=1000.0)
    write_status(paths, status)
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                time=1000.0,
                run_id=name,
                experiment_name=exp.name,
                device="CPU",
                device_kind="cpu",
                pid=pid,
                epochs=len(val_loss),
                steps_per_epoch=10,
                params_total=1000,
                params_trainable=1000,
                train_samples=300,
                val_samples=100,
            )
        )
        for i, v in enumerate(val_loss, start=1):
            logs = {"loss": 1.0 / i, "accuracy": 0.5, "val_loss": v, "val_accuracy": 0.5}
            writer.write(EpochEnded(time=1000.0 + i, epoch=i, logs=logs, learning_rate=1e-3, epoch_seconds=1.0))
        if final is not None:
            writer.write(RunFinished(time=1100.0, status=final, reason="", epochs_done=len(val_loss)))
    if final is not None:
        write_status(paths, status.model_copy(update={"state": final, "ended_at": 1100.0}))
    return run_dir


def make_sweep(
    runs_root: Path,
    trials: list[dict[str, Any]],
    *,
    state: str = "finished",
    pid: int | None = None,
    name: str = "fake",
) -> SweepPaths:
    """A sweep over the learning rate of digits-mlp whose trials are given as TrialEntry fields.

    A trial with ``val_loss`` (a curve) gets a run directory written with it; ``pid`` is the
    controller's (default none recorded, as after a clean end).
    """
    spec = sweep_from_data(
        {
            "name": name,
            "base": "digits-mlp",
            "trials": len(trials),
            "space": {LR: {"dist": "log_uniform", "low": 1e-4, "high": 1.0}},
        }
    )
    resolved = resolve_sweep(spec)
    paths = new_sweep_dir(runs_root, name)
    save_sweep(resolved.spec, paths.spec)
    entries = []
    for number, fields in enumerate(trials):
        fields = dict(fields)
        curve = fields.pop("val_loss", None)
        final = fields.pop("final", "finished")
        if curve is not None:
            run = f"20260101-0000{number:02d}-t{number:04d}-{name}"
            write_trial_run(paths.trials, run, curve, final=final)
            fields.setdefault("run", run)
        entries.append(TrialEntry(number=number, started_at=time.time() - 60, ended_at=time.time(), **fields))
    status = SweepStatus(
        sweep_id=paths.sweep_id,
        name=name,
        state=state,  # type: ignore[arg-type]
        pid=pid,
        pid_start=process_start_time(pid) if pid else None,
        host=this_host() if pid else None,
        trials_planned=len(trials),
        slots=["cpu0", "cpu1"],
        trials=entries,
    )
    status.update_best()
    write_sweep_status(paths, status)
    return paths


def wait_for(condition: Any, timeout: float = 300.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
