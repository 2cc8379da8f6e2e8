"""The Experiment: one complete, validated description of a training run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tuitrain.spec.base import SpecModel
from tuitrain.spec.dataset import DatasetSpec, DigitsDataset
from tuitrain.spec.layers import ModelSpec
from tuitrain.spec.optimizer import (
    SGD,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    OptimizerSpec,
    RMSprop,
)
from tuitrain.spec.training import EarlyStoppingSpec, OverfittingSpec, TrainingSpec

LossName = Literal[
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mse",
    "mae",
    "huber",
]
LOSSES: tuple[str, ...] = LossName.__args__  # type: ignore[attr-defined]
CROSSENTROPY_LOSSES = frozenset({"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"})

MetricName = Literal["accuracy", "precision", "recall", "auc", "mae", "mse"]
METRICS: tuple[str, ...] = MetricName.__args__  # type: ignore[attr-defined]

# Re-exported so callers can name concrete optimizers without reaching into submodules.
__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Adamax", "Experiment", "Nadam", "RMSprop"]


class Experiment(SpecModel):
    """Everything needed to reproduce a run: data, network, optimizer, loss and training loop."""

    # Any printable text (letters of any script, emoji, spaces): the run folder's suffix and the Keras
    # model's name are derived from it (runs.layout.sanitize_name, text.identifier).
    name: str = Field("untitled", min_length=1, max_length=80, description="Short name; also the run folder's suffix.")
    description: str = Field("", max_length=2000, description="One line on what this experiment shows.")
    dataset: DatasetSpec = Field(default_factory=DigitsDataset, description="What to train on.")
    model: ModelSpec = Field(default_factory=ModelSpec, description="The layer stack.")
    optimizer: OptimizerSpec = Field(default_factory=lambda: RMSprop(), description="How weights are updated.")
    loss: LossName = Field(
        "sparse_categorical_crossentropy",
        description="What training minimises. binary_crossentropy: two classes, one sigmoid output; "
        "sparse_categorical_crossentropy: integer class labels, softmax output; "
        "categorical_crossentropy: the same with one-hot labels; mse/mae/huber: regression-style.",
    )
    huber_delta: float = Field(1.0, gt=0.0, description="Where the huber loss turns from quadratic to linear.")
    metrics: list[MetricName] | None = Field(
        None, max_length=6, description="Reported each epoch; empty = accuracy for classification."
    )
    training: TrainingSpec = Field(default_factory=TrainingSpec, description="Epochs, batches, seed.")
    early_stopping: EarlyStoppingSpec = Field(
        default_factory=EarlyStoppingSpec, description="Stop when validation stops improving."
    )
    overfitting: OverfittingSpec = Field(
        default_factory=OverfittingSpec, description="When the dashboard calls a run overfitting."
    )

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        # Shown in tables, titles and logs: a tab, newline, escape sequence or bidi override has no
        # place in it. Everything printable is fine: folders and Keras get names derived from it.
        if not value.strip():
            raise ValueError("must not be blank: give the experiment a name")
        if not value.isprintable():
            bad = next(ch for ch in value if not ch.isprintable())
            raise ValueError(f"must be printable text, but holds the control character {bad!r}: remove it")
        return value

    def resolved_metrics(self) -> list[str]:
        """Metrics with the default filled in."""
        return list(self.metrics) if self.metrics is not None else ["accuracy"]

    def log_names(self) -> list[str]:
        """Names Keras will log each epoch: loss and metrics, each also with a val_ prefix."""
        names = ["loss", *self.resolved_metrics()]
        return names + [f"val_{n}" for n in names]
