"""A learning-rate range test as a run directory: its settings file and its curve.

A range test is a run directory like any other (``experiment.toml``, ``status.json``,
``events.jsonl``, ``trainer.log``) plus ``lr_find.json``, the test's settings, whose presence tells
the trainer to run the test instead of training; its ``run_started`` event says ``kind = "lr_find"``
and each batch is an ``lr_step`` event. It trains a fresh model built from the experiment and saves no
model: no other run's files, and no weights anyone keeps, are touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tuitrain.fsutil import atomic_write_text
from tuitrain.runs.events import LrStep, RunFailed, RunFinished
from tuitrain.runs.layout import RunPaths
from tuitrain.runs.reader import read_events

NAME_SUFFIX = "-lr-find"
"""Added to a range test's run directory name, so a listing tells it from a training run."""


class LrFindSettings(BaseModel):
    """How the range test runs: the learning rate rises exponentially from ``min_lr`` to ``max_lr``
    over ``steps`` batches, and the test stops early once the smoothed loss is ``stop_factor`` times its
    lowest (or not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    min_lr: float = Field(1e-7, gt=0.0, description="The learning rate of the first batch.")
    max_lr: float = Field(10.0, gt=0.0, le=1e6, description="The learning rate of the last batch.")
    steps: int = Field(300, ge=10, le=100_000, description="Batches from min_lr to max_lr.")
    stop_factor: float = Field(
        4.0, gt=1.0, description="Stop once the smoothed loss is this many times its lowest so far."
    )
    smoothing: float = Field(
        0.9,
        ge=0.0,
        lt=1.0,
        description="Weight of the recorded (debiased, backward-looking) moving average the stop rule watches: "
        "0.9 lags about 10 batches (a quarter of a decade over 300 batches from 1e-7 to 10).",
    )
    min_steps: int = Field(10, ge=1, description="Batches before the stop rule applies (the average settles).")

    @model_validator(mode="after")
    def _rising(self) -> LrFindSettings:
        if self.max_lr <= self.min_lr:
            raise ValueError(f"max_lr ({self.max_lr:g}) must be above min_lr ({self.min_lr:g})")
        return self

    def rate_at(self, step: int) -> float:
        """The learning rate of batch ``step`` (0-based): ``min_lr * (max_lr / min_lr) ** (step / (steps - 1))``."""
        return self.min_lr * (self.max_lr / self.min_lr) ** (step / (self.steps - 1))


def write_settings(run_dir: Path, settings: LrFindSettings) -> None:
    """Write ``lr_find.json`` (atomically): from now on the run directory is a range test."""
    atomic_write_text(RunPaths(run_dir).lr_find, settings.model_dump_json(indent=2) + "\n")


def read_settings(run_dir: Path) -> LrFindSettings:
    """The test's settings; ValueError with one line when the file is missing or not valid."""
    path = RunPaths(run_dir).lr_find
    try:
        return LrFindSettings.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ValueError(f"{path} not found: {run_dir} is not a learning-rate range test") from None
    except (OSError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path} is not valid ({first}): start the test again") from None


def is_lr_find(run_dir: Path) -> bool:
    """True for a range test's run directory."""
    return RunPaths(run_dir).lr_find.is_file()


@dataclass(frozen=True)
class LrCurve:
    """A range test's record: one entry per batch, in order, and how the test ended (None: not yet)."""

    learning_rates: list[float]
    losses: list[float]
    smoothed: list[float]
    final: RunFinished | RunFailed | None
    damaged: bool
    """True when some lines of the event log could not be read (they are skipped)."""

    @property
    def steps(self) -> int:
        """Batches recorded."""
        return len(self.learning_rates)


def read_curve(run_dir: Path) -> LrCurve:
    """The curve recorded so far (a running test's too), read with the tolerant event reader."""
    log = read_events(RunPaths(run_dir).events)
    steps = [e for e in log.events if isinstance(e, LrStep)]
    final = next((e for e in reversed(log.events) if isinstance(e, RunFinished | RunFailed)), None)
    return LrCurve(
        [e.learning_rate for e in steps],
        [e.loss for e in steps],
        [e.smoothed_loss for e in steps],
        final,
        bool(log.bad_lines),
    )
