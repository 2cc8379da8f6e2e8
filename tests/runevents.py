"""Run events and small run directories written with the runs package, for tests without Textual."""

from __future__ import annotations

from pathlib import Path

from tuitrain.runs import EpochEnded, EventWriter, RunPaths, RunStarted, RunStatus, write_status

EXPERIMENT = 'name = "digits-overfit"\n[dataset]\nname = "digits"\n[training]\nepochs = 40\n'
"""The experiment.toml of :func:`make_run` unless a test gives its own."""


def started(
    pid: int = 999_999_999, epochs: int = 10, time: float = 1000.0, params: int = 100, pid_start: int | None = None
) -> RunStarted:
    """The trainer's first event; the default pid is no process (a trainer that is gone).

    ``pid_start``: the trainer's start time in clock ticks (tells it from a process that reused the pid).
    """
    return RunStarted(
        pid_start=pid_start,
        time=time,
        run_id="r",
        experiment_name="digits-overfit",
        device="CPU",
        device_kind="cpu",
        params_total=params,
        params_trainable=params,
        pid=pid,
        epochs=epochs,
        steps_per_epoch=10,
        train_samples=300,
        val_samples=100,
    )


def epoch(
    n: int, val_loss: float, val_accuracy: float, time: float | None = None, learning_rate: float | None = 0.01
) -> EpochEnded:
    """Epoch ``n`` with these validation values (training loss 1/n), two seconds after the last."""
    return EpochEnded(
        time=1000.0 + 2 * n if time is None else time,
        epoch=n,
        logs={"loss": 1.0 / n, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": val_accuracy},
        learning_rate=learning_rate,
        epoch_seconds=2.0,
    )


def make_run(
    run_dir: Path, events: list[object], status: RunStatus | None = None, experiment: str = EXPERIMENT
) -> Path:
    """A run directory with ``experiment`` (TOML text), ``events`` and ``status`` (if given)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = RunPaths(run_dir)
    paths.experiment.write_text(experiment)
    with EventWriter(paths.events) as writer:
        for event in events:
            writer.write(event)  # type: ignore[arg-type]
    if status is not None:
        write_status(paths, status)
    return run_dir
