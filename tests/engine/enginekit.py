"""Helpers for engine tests: small experiments and in-process training with a recording fake.

Imported by the engine test modules as ``enginekit`` (pytest puts this folder on ``sys.path``).

Real Keras on the CPU, a few hundred samples, one or two epochs: seconds per test. Most tests train
in this process (``train``); only the process-level tests start trainer subprocesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuitrain import presets
from tuitrain.spec import Experiment

SMALL = [
    "dataset.train_subset=200",
    "dataset.val_subset=100",
    "training.epochs=1",
    "training.batch_size=64",
]

# A learning rate that is fine for the first epoch (10 steps of 32) and explodes in the second: SGD on
# unscaled pixels through a linear layer goes to inf/NaN within a few steps of a rate of 1000.
DIVERGING = [
    "dataset.train_subset=320",
    "training.batch_size=32",
    "training.epochs=3",
    'dataset.scaling="none"',
    'model.layers=[{kind="dense", units=16, activation="linear"}]',
    'optimizer={name="sgd", learning_rate={kind="piecewise_constant", boundaries=[10], values=[0.0001, 1000.0]}}',
]


def digits(*overrides: str, base: str = "digits-mlp") -> Experiment:
    """A small digits experiment (200 train, 100 validation samples, 1 epoch) with ``--set`` overrides."""
    return presets.load(base, [*SMALL, *overrides]).experiment


@dataclass
class FakeRecorder:
    """Records what the run callback reports, in memory."""

    epochs: list[dict[str, Any]] = field(default_factory=list)
    progress: list[tuple[int, int, int]] = field(default_factory=list)
    flags: list[Any] = field(default_factory=list)
    best: list[int] = field(default_factory=list)

    def epoch_ended(self, epoch: int, logs: Mapping[str, float], learning_rate: float, seconds: float) -> None:
        self.epochs.append({"epoch": epoch, **logs, "learning_rate": learning_rate, "seconds": seconds})

    def batch_progress(self, epoch: int, batch: int, steps: int, logs: Mapping[str, float], seconds: float) -> None:
        self.progress.append((epoch, batch, steps))

    def flag_raised(self, flag: Any) -> None:
        self.flags.append(flag)

    def best_saved(self, epoch: int, monitor: str, value: float) -> None:
        self.best.append(epoch)


@dataclass
class Trained:
    """The result of :func:`train`."""

    prep: Any
    outcome: Any
    recorder: FakeRecorder
    history: dict[str, list[float]]


def train(
    exp: Experiment,
    *,
    best_path: Path | None = None,
    extra_callbacks: list[Any] | None = None,
    stop: Any = None,
    data_dir: Path | None = None,
) -> Trained:
    """Prepare and fit ``exp`` in this process with the real callbacks and a fake recorder."""
    from tuitrain.engine.signals import StopRequest
    from tuitrain.engine.trainer import make_callbacks, prepare

    prep = prepare(exp, data_dir=data_dir, allow_download=False, log=lambda *a: None)
    recorder = FakeRecorder()
    run_cb, callbacks = make_callbacks(prep, recorder, stop or StopRequest(), best_path)
    history = prep.built.model.fit(
        prep.pipelines.train,
        validation_data=prep.pipelines.val,
        epochs=exp.training.epochs,
        callbacks=[*callbacks, *(extra_callbacks or [])],
        verbose=0,
        shuffle=False,
    )
    run_cb.finish_best()  # as the trainer does when fit returns: the newest best lands on disk
    return Trained(prep, run_cb.outcome, recorder, history.history)
