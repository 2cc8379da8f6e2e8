"""What guessing scores: the loss of a model that gives every class the same probability.

A training loss far above it means the model does worse than not learning at all, which no amount of
"overfitting" explains: typically a learning rate so large that every update overshoots (the loss stays
finite, so nothing else catches it). Only the crossentropy losses have a reference that holds whatever
the labels are; for mse, mae and huber this returns None and the rule that uses it stays off.

Keras' logged loss includes the weight and activity penalties of L1/L2 regularizers, which can by
themselves be several times the chance loss while the model learns well: with any of them set, an
experiment's chance loss is None too.
"""

from __future__ import annotations

import math
from pathlib import Path

from tuitrain.spec.experiment import Experiment
from tuitrain.spec.info import DatasetShapeUnknown, dataset_shape


def chance_loss(loss: str, num_classes: int | None) -> float | None:
    """The loss of a uniform guess: ln 2 for binary crossentropy, ln K for K-class crossentropy."""
    if loss == "binary_crossentropy":
        return math.log(2.0)
    if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") and num_classes and num_classes >= 2:
        return math.log(num_classes)
    return None


def has_penalties(exp: Experiment) -> bool:
    """True when Keras adds regularization penalties to the logged loss (any L1/L2 regularizer is set)."""
    model = exp.model
    if model.kernel_regularizer is not None or model.output.kernel_regularizer is not None:
        return True
    return any(
        getattr(layer, "kernel_regularizer", None) is not None
        or getattr(layer, "activity_regularizer", None) is not None
        for layer in model.layers
    )


def experiment_chance_loss(
    exp: Experiment, base_dir: Path | None = None, num_classes: int | None = None
) -> float | None:
    """:func:`chance_loss` for an experiment: ``num_classes`` when given, else the output units of a
    resolved experiment (a run's ``experiment.toml``: with a crossentropy loss they equal the classes,
    and no data file is read, so the dashboard can call this on its own thread), else from its dataset.

    None when the loss has no chance level, the logged loss includes regularization penalties, or the
    dataset can't be described (a missing npz file).
    """
    if has_penalties(exp):
        return None
    if num_classes is None:
        num_classes = exp.model.output.units
    if num_classes is None:
        try:
            num_classes = dataset_shape(exp.dataset, base_dir).num_classes
        except DatasetShapeUnknown:
            return None
    return chance_loss(exp.loss, num_classes)
