"""What guessing scores: the loss of a model that gives every class the same probability.

A training loss far above it means the model does worse than not learning at all, which no amount of
"overfitting" explains: typically a learning rate so large that every update overshoots (the loss stays
finite, so nothing else catches it). Only the crossentropy losses have a reference that holds whatever
the labels are; for mse, mae and huber this returns None and the rule that uses it stays off.
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


def experiment_chance_loss(exp: Experiment, base_dir: Path | None = None) -> float | None:
    """:func:`chance_loss` for an experiment, or None where its dataset can't be described (a missing npz)."""
    try:
        classes = dataset_shape(exp.dataset, base_dir).num_classes
    except DatasetShapeUnknown:
        return None
    return chance_loss(exp.loss, classes)
