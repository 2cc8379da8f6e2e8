"""What guessing scores: the loss and accuracy of a model that has learned nothing about its inputs.

Three numbers, in :class:`Guessing`:

* ``loss``: the loss of a uniform guess (every class the same probability): ln 2 for binary crossentropy,
  ln K for K classes. A training loss far above it means the model does worse than not learning at all,
  which no amount of "overfitting" explains: typically a learning rate so large that every update
  overshoots. It is also the scale against which a first-epoch blow-up and a divergence jump are judged.
* ``prior_loss``: the loss of always predicting the validation labels' class balance (the entropy of the
  balance for crossentropy): the best a model that ignores its inputs can do. A model whose loss is still
  near it has not learned. It equals ``loss`` when the balance is unknown (a run recorded before the
  trainer wrote it) or the classes are balanced.
* ``majority_accuracy``: the accuracy of always guessing the most frequent validation class (1/K when the
  balance is unknown).

The crossentropy losses have these references whatever the labels are; mean squared and absolute error
have them too when the model predicts the labels as 0/1 columns (a sigmoid output) or one-hot rows; huber
has none. Keras' logged loss includes the weight and activity penalties of L1/L2 regularizers, which can
by themselves be several times the chance loss while the model learns well: with any of them set, the
loss references are None (the accuracy reference still holds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tuitrain.analysis._numbers import fmt
from tuitrain.spec.experiment import Experiment
from tuitrain.spec.info import DatasetShapeUnknown, dataset_shape

_CROSSENTROPY = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")


@dataclass(frozen=True)
class Guessing:
    """What guessing scores on a run's validation data (see the module docstring); None where unknown."""

    loss: float | None = None
    prior_loss: float | None = None
    majority_accuracy: float | None = None

    @property
    def known(self) -> bool:
        """True when at least one reference is known."""
        return any(v is not None for v in (self.loss, self.prior_loss, self.majority_accuracy))


def chance_loss(loss: str, num_classes: int | None) -> float | None:
    """The loss of a uniform guess: ln 2 for binary crossentropy, ln K for K-class crossentropy."""
    if loss == "binary_crossentropy":
        return math.log(2.0)
    if loss in _CROSSENTROPY and num_classes and num_classes >= 2:
        return math.log(num_classes)
    return None


def guessing_for(
    loss: str,
    num_classes: int | None,
    val_class_shares: Sequence[float] | None = None,
    *,
    output_units: int | None = None,
    penalties: bool = False,
) -> Guessing:
    """The references for a loss, a class count and (when known) the validation labels' class balance.

    ``output_units`` says how mse/mae see the labels: 1 is a 0/1 column (binary), K one-hot rows.
    ``penalties``: the logged loss includes L1/L2 penalties, so the loss references are unknown.
    """
    k = num_classes if num_classes and num_classes >= 2 else None
    shares = _usable_shares(val_class_shares, k)
    if shares is None and k is not None:
        shares = [1.0 / k] * k
    majority = max(shares) if shares else None
    if penalties or shares is None:
        return Guessing(None, None, majority)
    if loss in _CROSSENTROPY:
        uniform = chance_loss(loss, len(shares))
        prior = -math.fsum(p * math.log(p) for p in shares if p > 0)
        return Guessing(uniform, prior, majority)
    if loss in ("mse", "mae"):
        columns = [shares[1]] if output_units == 1 and len(shares) == 2 else list(shares)
        uniform = 0.5 if len(columns) == 1 else 1.0 / len(columns)
        if loss == "mse":
            at_uniform = [p * (1 - uniform) ** 2 + (1 - p) * uniform**2 for p in columns]
            at_prior = [p * (1 - p) for p in columns]
        else:
            at_uniform = [p * (1 - uniform) + (1 - p) * uniform for p in columns]
            at_prior = [min(p, 1 - p) for p in columns]  # the median of a 0/1 column
        n = len(columns)
        return Guessing(math.fsum(at_uniform) / n, math.fsum(at_prior) / n, majority)
    return Guessing(None, None, majority)


def _usable_shares(shares: Sequence[float] | None, k: int | None) -> list[float] | None:
    if not shares or (k is not None and len(shares) != k):
        return None
    values = [float(s) for s in shares]
    if not all(math.isfinite(s) and s >= 0 for s in values) or not math.isclose(math.fsum(values), 1.0, abs_tol=1e-3):
        return None
    return values


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


def experiment_guessing(
    exp: Experiment,
    val_class_shares: Sequence[float] | None = None,
    *,
    base_dir: Path | None = None,
    num_classes: int | None = None,
) -> Guessing:
    """:func:`guessing_for` an experiment. The class count is ``num_classes`` when given, else the length of
    ``val_class_shares``, else the output units of a resolved experiment (a run's ``experiment.toml``: with
    a crossentropy loss they equal the classes, and no data file is read, so the dashboard can call this
    on its own thread), else from its dataset; a binary-crossentropy output of 1 unit has 2 classes.

    ``val_class_shares`` is what the trainer records in ``run_started`` (None for runs recorded before it
    did: then the classes count as balanced).
    """
    units = exp.model.output.units
    if num_classes is None and val_class_shares:
        num_classes = len(val_class_shares)
    if num_classes is None and units is not None:
        num_classes = 2 if units == 1 else units
    if num_classes is None:
        try:
            num_classes = dataset_shape(exp.dataset, base_dir).num_classes
        except DatasetShapeUnknown:
            num_classes = None
    return guessing_for(exp.loss, num_classes, val_class_shares, output_units=units, penalties=has_penalties(exp))


NEAR_GUESSING_LOSS = 0.2
"""A loss no more than this fraction below what predicting the class balance scores is near guessing."""
NEAR_GUESSING_ACCURACY = 0.2
"""An accuracy that has covered less than this fraction of the way from the majority class's accuracy to 1
is near guessing."""


@dataclass(frozen=True)
class NotLearned:
    """The model does about as well as guessing: the numbers behind it (smoothed; None where not judged)."""

    loss: float | None
    prior_loss: float | None
    accuracy: float | None
    majority_accuracy: float | None
    accuracy_key: str = "val_accuracy"

    def describe(self, epoch: int) -> str:
        """One sentence, e.g. "After 8 epochs the model has not learned: training loss 2.21 is near what
        guessing scores (2.30) and val_accuracy 0.15 near what always guessing the majority class scores (0.10)."."""
        parts = []
        if self.loss is not None and self.prior_loss is not None:
            parts.append(f"training loss {fmt(self.loss)} is near what guessing scores ({fmt(self.prior_loss)})")
        if self.accuracy is not None and self.majority_accuracy is not None:
            parts.append(
                f"{self.accuracy_key} {fmt(self.accuracy)} near what always guessing the majority class scores "
                f"({fmt(self.majority_accuracy)})"
            )
        epochs = "1 epoch" if epoch == 1 else f"{epoch} epochs"
        return (
            f"After {epochs} the model has not learned: {' and '.join(parts)} (smoothed), so whatever the "
            "validation curve does, it is not overfitting."
        )

    def values(self) -> dict[str, float]:
        """The numbers, by name (for a flag)."""
        named = {
            "loss": self.loss,
            "prior_loss": self.prior_loss,
            "accuracy": self.accuracy,
            "majority_accuracy": self.majority_accuracy,
        }
        return {k: v for k, v in named.items() if v is not None}


def not_learned(
    guessing: Guessing,
    *,
    loss: float | None,
    val_loss: float | None,
    accuracy: float | None,
    val_accuracy: float | None,
    accuracy_key: str = "val_accuracy",
) -> NotLearned | None:
    """The verdict "has not learned" on (smoothed) values of one epoch, or None when the model is better
    than guessing or nothing can tell.

    With both references known: the training loss near the prior loss AND the validation or the training
    accuracy near the majority class's (a model whose training loss is still at chance has not learned, even
    when a lucky epoch lifts one accuracy). With only the loss reference (no accuracy logged): the training
    and the validation loss near it. With only the accuracy reference (the logged loss includes penalties):
    the training and the validation accuracy near it. A model far worse than guessing is "near" too: it has
    not learned either.
    """
    prior, majority = guessing.prior_loss, guessing.majority_accuracy

    def loss_near(value: float | None) -> bool:
        return (
            prior is not None
            and value is not None
            and math.isfinite(value)
            and value >= (1 - NEAR_GUESSING_LOSS) * prior
        )

    def accuracy_near(value: float | None) -> bool:
        if majority is None or value is None or not math.isfinite(value):
            return False
        return value <= majority + NEAR_GUESSING_ACCURACY * (1 - majority)

    has_loss = prior is not None and loss is not None
    has_accuracy = majority is not None and (val_accuracy is not None or accuracy is not None)
    if has_loss and has_accuracy:
        if not loss_near(loss):
            return None
        if accuracy_near(val_accuracy):
            return NotLearned(loss, prior, val_accuracy, majority, accuracy_key)
        if accuracy_near(accuracy):
            return NotLearned(loss, prior, accuracy, majority, accuracy_key.removeprefix("val_"))
        return None
    if has_loss:
        if loss_near(loss) and (val_loss is None or loss_near(val_loss)):
            return NotLearned(loss, prior, None, None)
        return None
    if has_accuracy and accuracy_near(val_accuracy) and accuracy_near(accuracy):
        return NotLearned(None, None, val_accuracy, majority, accuracy_key)
    return None
