"""The event schema shared by the trainer (writer) and the dashboard and CLI (readers).

One event per line of ``events.jsonl``, discriminated by ``type``. Every event has ``time`` (unix
seconds, set when the event is made). Non-finite numbers (a diverging loss is NaN or infinite) are
written as the strings "NaN", "Infinity" and "-Infinity" so every line stays strict JSON, and read
back as floats.

``type`` is the first field of every model so it is the first key of every line: the reader uses that
to skip superseded batch-progress lines without parsing them (see :mod:`tuitrain.runs.reader`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationInfo, field_validator

from tuitrain.text import printable

if TYPE_CHECKING:
    from tuitrain.analysis import Flag

MAX_LINE_TEXT = 500
"""Longest one-line text (errors, reasons, messages) kept in an event."""

Severity = Literal["info", "warning", "error"]
"""How much a flag matters (the same words as :data:`tuitrain.analysis.Severity`)."""


def one_line(text: object, max_length: int = MAX_LINE_TEXT) -> str:
    """``text`` as one line: whitespace runs (newlines included) become one space, other control
    characters visible escapes (:func:`tuitrain.text.printable`); cut at ``max_length``."""
    flat = printable(" ".join(str(text).split()))
    return flat if len(flat) <= max_length else flat[: max_length - 1] + "…"


def _float_or_raise(key: str, value: Any) -> float:
    # Keras hands numpy scalars (float32 is not a float subclass); bools are a bug upstream, not a metric.
    if isinstance(value, bool):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: expected a number, got {value!r}") from None


def _float_dict(value: Any, info: ValidationInfo) -> Any:
    # From JSON the values are numbers or "NaN"/"Infinity" strings that pydantic reads natively; only
    # Python input (the trainer's numpy scalars) needs converting, and reads stay free of a Python pass.
    if info.mode == "json" or not isinstance(value, Mapping):
        return value  # pydantic reports a wrong type
    return {str(k): v if type(v) is float else _float_or_raise(str(k), v) for k, v in value.items()}


class _Event(BaseModel):
    """Shared configuration of every event (no fields here: ``type`` must stay the first key)."""

    model_config = ConfigDict(
        frozen=True,
        # Strict JSON lines: NaN/inf become "NaN"/"Infinity"/"-Infinity" and validate back to floats.
        ser_json_inf_nan="strings",
        # A newer trainer may add fields; an older reader must still read its runs.
        extra="ignore",
    )


def _now() -> float:
    return time.time()


class RunStarted(_Event):
    """The trainer is set up and about to train: where, with what, and how much."""

    type: Literal["run_started"] = "run_started"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    run_id: str = Field(description="The run directory's name.")
    experiment_name: str
    device: str = Field(description='What trains: "GPU 0: NVIDIA H100" or "CPU".')
    device_kind: Literal["gpu", "cpu"]
    mixed_precision: bool = False
    versions: dict[str, str] = Field(default_factory=dict, description="python, tensorflow, keras, tuitrain ...")
    params_total: int = Field(ge=0)
    params_trainable: int = Field(ge=0)
    pid: int = Field(description="The trainer's process id.")
    pid_start: int | None = Field(
        default=None, description="The trainer's start time in clock ticks after boot (tells it from a reused pid)."
    )
    epochs: int = Field(ge=0, description="Epochs planned.")
    steps_per_epoch: int = Field(ge=0, description="Batches per epoch.")
    train_samples: int = Field(ge=0)
    val_samples: int = Field(ge=0, description="0 when there is no validation data.")
    val_class_shares: list[float] | None = Field(
        default=None,
        description="Fraction of the validation labels in each class (what guessing scores follows from it); "
        "None in runs recorded before it was written.",
    )
    seed: int | None = Field(
        default=None, description='The seed the run trained with (drawn by the trainer for seed = "random").'
    )
    kind: Literal["train", "lr_find"] = Field(
        default="train", description="train: a training run; lr_find: a learning-rate range test (lr_step events)."
    )

    @property
    def params(self) -> int:
        """All parameters of the model (the number the setup screen shows)."""
        return self.params_total


class EpochEnded(_Event):
    """An epoch finished: every Keras log, the learning rate in effect, and how long it took."""

    type: Literal["epoch_end"] = "epoch_end"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    epoch: int = Field(ge=1, description="1-based.")
    logs: dict[str, float] = Field(description="Every Keras log of the epoch: loss, accuracy, val_loss, ...")
    learning_rate: float | None = Field(default=None, description="The optimizer's rate at the epoch's end.")
    epoch_seconds: float = Field(description="Wall time of the epoch, validation included.")

    @field_validator("logs", mode="before")
    @classmethod
    def _logs_as_floats(cls, value: Any, info: ValidationInfo) -> Any:
        return _float_dict(value, info)

    @field_validator("learning_rate", "epoch_seconds", mode="before")
    @classmethod
    def _scalar_as_float(cls, value: Any, info: ValidationInfo) -> Any:
        if info.mode == "json" or value is None or type(value) is float:
            return value
        return _float_or_raise(str(info.field_name), value)


class BatchProgress(_Event):
    """Progress inside an epoch (the trainer throttles these to a few per second)."""

    type: Literal["batch"] = "batch"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    epoch: int = Field(ge=1, description="1-based.")
    step: int = Field(ge=1, description="Batches done in this epoch, 1-based.")
    steps: int = Field(ge=1, description="Batches per epoch.")
    logs: dict[str, float] = Field(default_factory=dict, description="Running training logs of the epoch.")

    @field_validator("logs", mode="before")
    @classmethod
    def _logs_as_floats(cls, value: Any, info: ValidationInfo) -> Any:
        return _float_dict(value, info)


class FlagRaised(_Event):
    """The analysis noticed something at an epoch (overfitting, divergence, ...), in one sentence."""

    type: Literal["flag"] = "flag"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    epoch: int = Field(ge=1)
    criterion: str = Field(description="GL, PQ, UP, val_loss_rising, diverged, ...")
    severity: Severity
    message: str = Field(description="One sentence a learner understands, with the numbers.")
    values: dict[str, float] = Field(default_factory=dict, description="The numbers behind the flag.")

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_floats(cls, value: Any, info: ValidationInfo) -> Any:
        return _float_dict(value, info)

    @field_validator("message", mode="before")
    @classmethod
    def _message_one_line(cls, value: Any) -> Any:
        return one_line(value) if isinstance(value, str) else value

    @classmethod
    def from_flag(cls, flag: Flag, time: float | None = None) -> FlagRaised:
        """The event for a :class:`tuitrain.analysis.Flag`."""
        fields: dict[str, Any] = {
            "epoch": flag.epoch,
            "criterion": flag.criterion,
            "severity": flag.severity,
            "message": flag.message,
            "values": dict(flag.values),
        }
        if time is not None:
            fields["time"] = time
        return cls(**fields)

    def to_flag(self) -> Flag:
        """This event as a :class:`tuitrain.analysis.Flag`."""
        from tuitrain.analysis import Flag

        return Flag(
            epoch=self.epoch,
            criterion=self.criterion,
            severity=self.severity,
            message=self.message,
            values=dict(self.values),
        )


class LrStep(_Event):
    """One batch of a learning-rate range test: the rate it trained at, its loss, the smoothed loss."""

    type: Literal["lr_step"] = "lr_step"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    step: int = Field(ge=1, description="Batches trained so far in the test, 1-based.")
    learning_rate: float = Field(description="The rate this batch trained at.")
    loss: float = Field(description="This batch's loss (NaN/inf when it blew up).")
    smoothed_loss: float = Field(description="The debiased moving average of the losses so far.")


class BestSaved(_Event):
    """``best.keras`` now holds the weights after ``epoch`` (written once the file is safely on disk)."""

    type: Literal["best_saved"] = "best_saved"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    epoch: int = Field(ge=1, description="The epoch whose weights the file holds.")
    monitor: str = Field(description="The metric that chose it (the early-stopping monitor).")
    value: float = Field(description="Its value at that epoch.")

    @field_validator("value", mode="before")
    @classmethod
    def _value_as_float(cls, value: Any, info: ValidationInfo) -> Any:
        if info.mode == "json" or type(value) is float:
            return value
        return _float_or_raise("value", value)


class RunFinished(_Event):
    """Training ended on its own ("finished": all epochs or early stopping) or on request ("stopped")."""

    type: Literal["run_finished"] = "run_finished"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    status: Literal["finished", "stopped"]
    reason: str = Field(default="", description='One line: "all 40 epochs", "early stopping at epoch 7", ...')
    epochs_done: int = Field(ge=0)
    best_epoch: int | None = Field(default=None, ge=1, description="By the monitored metric.")

    @field_validator("reason", mode="before")
    @classmethod
    def _reason_one_line(cls, value: Any) -> Any:
        return one_line(value) if isinstance(value, str) else value

    @property
    def state(self) -> str:
        """The run's final state (same as ``status``)."""
        return self.status


class RunFailed(_Event):
    """Training ended in an error ("failed") or because the loss stopped being a number ("diverged")."""

    type: Literal["run_failed"] = "run_failed"
    time: float = Field(default_factory=_now, description="Unix seconds.")
    status: Literal["failed", "diverged"]
    error: str = Field(description="One line naming the problem and, where known, the fix.")
    epoch: int | None = Field(default=None, ge=1, description="The epoch it happened in, if known.")
    batch: int | None = Field(default=None, ge=1, description="The batch it happened in, if known.")
    traceback_file: str | None = Field(default=None, description="Name of the traceback file in the run directory.")

    @field_validator("error", mode="before")
    @classmethod
    def _error_one_line(cls, value: Any) -> Any:
        return one_line(value) if isinstance(value, str) else value

    @property
    def state(self) -> str:
        """The run's final state (same as ``status``)."""
        return self.status


Event = Annotated[
    RunStarted | EpochEnded | BatchProgress | FlagRaised | LrStep | BestSaved | RunFinished | RunFailed,
    Field(discriminator="type"),
]
"""Any event; pydantic picks the model by ``type``."""

FinalEvent = RunFinished | RunFailed
"""The events that end a run."""

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
"""Validates an event from JSON text or a dict."""

EVENT_TYPES: dict[str, type[BaseModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (RunStarted, EpochEnded, BatchProgress, FlagRaised, LrStep, BestSaved, RunFinished, RunFailed)
}
"""Model class by ``type`` value."""

BATCH_LINE_PREFIX = b'{"type":"batch"'
"""How every batch-progress line written by :func:`dump_event` starts (the reader's fast path)."""


def parse_event(line: str | bytes) -> Event:
    """The event on one line of ``events.jsonl``; raises ValueError (a pydantic ValidationError) if it is not one."""
    return EVENT_ADAPTER.validate_json(line)


def dump_event(event: Event) -> str:
    """One line of strict JSON for ``event`` (no newline); non-finite numbers as "NaN"/"Infinity" strings."""
    return event.model_dump_json()


def is_final(event: object) -> bool:
    """True for the events that end a run (:class:`RunFinished`, :class:`RunFailed`)."""
    return isinstance(event, RunFinished | RunFailed)
