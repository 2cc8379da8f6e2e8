"""What the engine derives from an experiment when it builds the model, without TensorFlow.

Shared by the model builder (:mod:`tuitrain.engine.build`) and the script exporter
(:mod:`tuitrain.export`), so a model built by tuitrain and one built by an exported script get the
same seeds, label layout and loss.
"""

from __future__ import annotations

from typing import Literal

from tuitrain.spec.experiment import Experiment

LabelFormat = Literal["binary", "sparse", "one_hot"]
"""How labels are fed: binary = float 0/1 column; sparse = integer class ids; one_hot = float rows."""

ELEMENTWISE_METRICS = frozenset({"precision", "recall", "auc", "mse", "mae"})
"""Metrics that compare the output with the label element-wise: they need one-hot labels for a
multi-unit output, as categorical crossentropy and the regression losses do."""

DEFAULT_STDDEV = 0.05
"""Standard deviation of random_normal / truncated_normal when the spec leaves it empty (Keras' default)."""
DEFAULT_LIMIT = 0.05
"""Half-width of random_uniform when the spec leaves it empty (Keras' default)."""


def derived_seed(seed: int, *parts: int) -> int:
    """A seed for one initializer or dropout layer, the same for the same run seed.

    Keras warns (and gives identical weights) when one seeded initializer is reused across
    layers, so every layer gets its own.
    """
    value = seed
    for part in parts:
        value = (value * 1_000_003 + part + 1) % (2**31 - 1)
    return value


def label_format(exp: Experiment, output_units: int) -> LabelFormat:
    """How the labels must be shaped for this loss, output width and metric list."""
    if output_units == 1:
        return "binary"
    needs_one_hot = exp.loss != "sparse_categorical_crossentropy" or any(
        m in ELEMENTWISE_METRICS for m in exp.resolved_metrics()
    )
    return "one_hot" if needs_one_hot else "sparse"


def effective_loss(exp: Experiment, labels: LabelFormat) -> str:
    """The loss Keras computes: sparse categorical crossentropy on one-hot labels (needed by an
    element-wise metric) becomes categorical crossentropy, the same number computed from the one-hot row."""
    if exp.loss == "sparse_categorical_crossentropy" and labels == "one_hot":
        return "categorical_crossentropy"
    return exp.loss
