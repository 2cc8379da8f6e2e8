"""Run events and tiny run directories for the unit tests of following and sourcing runs (no Textual)."""

from __future__ import annotations

from pathlib import Path

from tuitrain.runs import EpochEnded, Event, EventWriter, RunPaths, RunStarted, RunStatus, write_status


def started(pid: int = 999_999_999) -> RunStarted:
    """The trainer's first event; its default pid is no process (a trainer that is gone)."""
    return RunStarted(
        time=1000.0,
        run_id="r",
        experiment_name="x",
        device="CPU",
        device_kind="cpu",
        params_total=100,
        params_trainable=100,
        pid=pid,
        epochs=3,
        steps_per_epoch=10,
        train_samples=300,
        val_samples=100,
    )


def epoch(n: int, learning_rate: float | None = 1e-3) -> EpochEnded:
    """Epoch ``n``: loss falling, validation loss rising."""
    logs = {"loss": 1.0 / n, "val_loss": 0.5 + n / 10}
    return EpochEnded(time=1000.0 + n, epoch=n, logs=logs, learning_rate=learning_rate, epoch_seconds=1.25)


def write_run(
    root: Path,
    events: list[Event],
    status: RunStatus | None = None,
    name: str = "run-1",
    experiment: str = 'name = "x"\n',
) -> Path:
    """A run directory with ``experiment`` (TOML text), ``status`` (if given) and ``events``."""
    run_dir = root / name
    run_dir.mkdir()
    paths = RunPaths(run_dir)
    paths.experiment.write_text(experiment)
    if status is not None:
        write_status(paths, status)
    with EventWriter(paths.events) as writer:
        for event in events:
            writer.write(event)
    return run_dir
