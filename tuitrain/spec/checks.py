"""Cross-field rules a beginner trips on, the derived output layer, and the parameter count."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from tuitrain.spec.errors import SpecIssue
from tuitrain.spec.experiment import Experiment
from tuitrain.spec.info import DatasetShape, DatasetShapeUnknown, dataset_shape
from tuitrain.spec.layers import (
    RELU_LIKE,
    SATURATING,
    BatchNormLayer,
    DenseLayer,
    DropoutLayer,
    InitializerSpec,
)
from tuitrain.spec.memory import estimate, machine_memory, memory_issues
from tuitrain.spec.optimizer import SGD

ADAPTIVE_LR_LIMIT = 0.1
SGD_LR_LIMIT = 1.0
TINY_LR = 1e-6
DEEP_RELU_STACK = 4


@dataclass(frozen=True)
class OutputLayer:
    """The output layer as it will be built: units and activation after derivation."""

    units: int
    activation: str
    derived: bool


@dataclass(frozen=True)
class ParamCount:
    """Parameters of the built model, counted as Keras' ``count_params`` does."""

    total: int
    trainable: int

    @property
    def non_trainable(self) -> int:
        """Batch-norm moving statistics: updated by training but not by gradients."""
        return self.total - self.trainable


@dataclass(frozen=True)
class CheckResult:
    """Everything the UI and CLI show about an experiment besides its fields."""

    errors: list[SpecIssue]
    warnings: list[SpecIssue]
    shape: DatasetShape | None
    output: OutputLayer | None
    params: ParamCount | None

    @property
    def ok(self) -> bool:
        """True when the experiment can be trained."""
        return not self.errors


def derive_output(exp: Experiment, shape: DatasetShape) -> OutputLayer:
    """The output layer the dataset and loss call for, with the user's explicit choices kept."""
    binary_style = (
        shape.num_classes == 2
        and exp.loss != "categorical_crossentropy"
        and (exp.loss != "sparse_categorical_crossentropy")
    )
    units = 1 if binary_style else shape.num_classes
    activation = "sigmoid" if binary_style else "softmax"
    out = exp.model.output
    return OutputLayer(
        units=out.units if out.units is not None else units,
        activation=out.activation if out.activation is not None else activation,
        derived=out.units is None and out.activation is None,
    )


def count_params(exp: Experiment, input_dim: int, output: OutputLayer) -> ParamCount:
    """Count weights like Keras: Dense in*units (+units bias); BatchNorm 4 per feature, 2 trainable."""
    total = trainable = 0
    width = input_dim
    for layer in exp.model.layers:
        if isinstance(layer, DenseLayer):
            n = width * layer.units + (layer.units if layer.use_bias else 0)
            total += n
            trainable += n
            width = layer.units
        elif isinstance(layer, BatchNormLayer):
            total += 4 * width
            trainable += 2 * width
    n = width * output.units + output.units
    return ParamCount(total=total + n, trainable=trainable + n)


def check_experiment(exp: Experiment, base_dir: Path | None = None) -> CheckResult:
    """Run every cross-field rule; errors block training, warnings explain a likely mistake."""
    errors: list[SpecIssue] = []
    warnings: list[SpecIssue] = []
    try:
        shape: DatasetShape | None = dataset_shape(exp.dataset, base_dir)
    except DatasetShapeUnknown as exc:
        shape = None
        errors.append(SpecIssue("dataset.path", str(exc)))
    output = params = None
    if shape is not None:
        output = derive_output(exp, shape)
        _check_loss_and_output(exp, shape, output, errors, warnings)
        params = count_params(exp, shape.input_dim, output)
        _check_memory(exp, shape, params, output, errors, warnings)
        train_size = exp.dataset.train_subset or shape.train_size
        if train_size is not None and exp.dataset.validation == "holdout":
            train_size = int(train_size * (1 - exp.dataset.holdout_fraction))
        if train_size is not None and exp.training.batch_size > train_size:
            warnings.append(
                SpecIssue(
                    "training.batch_size",
                    f"batch size {exp.training.batch_size} is larger than the {train_size} training "
                    "samples: every epoch is a single step",
                    "warning",
                )
            )
    _check_monitors(exp, errors, warnings)
    _check_buildable(exp, errors)
    _check_initializers(exp, warnings)
    _check_learning_rate(exp, warnings)
    _check_layers(exp, warnings)
    if exp.loss != "huber" and exp.huber_delta != Experiment.model_fields["huber_delta"].default:
        warnings.append(
            SpecIssue(
                "huber_delta",
                f"huber_delta only shapes the huber loss; with {exp.loss} it has no effect",
                "warning",
            )
        )
    return CheckResult(errors, warnings, shape, output, params)


def _check_memory(
    exp: Experiment,
    shape: DatasetShape,
    params: ParamCount,
    output: OutputLayer,
    errors: list[SpecIssue],
    warnings: list[SpecIssue],
) -> None:
    """Refuse what cannot fit in this machine's memory, warn when it comes close (see :mod:`tuitrain.spec.memory`)."""
    est = estimate(exp, shape, params.total, params.trainable, output.units)
    for issue in memory_issues(est, machine_memory()):
        (errors if issue.severity == "error" else warnings).append(issue)


def _check_loss_and_output(
    exp: Experiment, shape: DatasetShape, out: OutputLayer, errors: list[SpecIssue], warnings: list[SpecIssue]
) -> None:
    name = exp.dataset.name
    classes = shape.num_classes
    if exp.loss == "binary_crossentropy":
        if classes != 2:
            errors.append(
                SpecIssue(
                    "loss",
                    f"binary crossentropy needs two classes, but {name} has {classes}: use "
                    "sparse_categorical_crossentropy (integer labels) or categorical_crossentropy",
                )
            )
            return
        if out.units != 1:
            errors.append(
                SpecIssue(
                    "model.output.units",
                    f"binary crossentropy needs one output unit (the probability of class 1), got {out.units}",
                )
            )
        if out.activation != "sigmoid":
            errors.append(
                SpecIssue(
                    "model.output.activation",
                    f"binary crossentropy needs a sigmoid output (a probability in [0, 1]), got {out.activation}",
                )
            )
        return
    if exp.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        labels = "integer labels" if exp.loss.startswith("sparse") else "one-hot labels"
        if out.units != classes:
            errors.append(
                SpecIssue(
                    "model.output.units",
                    f"{exp.loss} with {labels} needs one output unit per class: {name} has {classes} "
                    f"classes, got {out.units}",
                )
            )
        if out.activation != "softmax":
            errors.append(
                SpecIssue(
                    "model.output.activation",
                    f"{exp.loss} needs a softmax output (probabilities over the classes), got {out.activation}",
                )
            )
        return
    # mse / mae / huber on class labels: the targets are the label (binary) or its one-hot vector.
    expected = 1 if classes == 2 else classes
    if out.units not in (expected, classes):
        errors.append(
            SpecIssue(
                "model.output.units",
                f"{exp.loss} on {name} compares the output with the {'label' if expected == 1 else 'one-hot label'}"
                f": needs {expected} output unit{'s' if expected > 1 else ''}, got {out.units}",
            )
        )
    warnings.append(
        SpecIssue(
            "loss",
            f"{exp.loss} on a classification task learns more slowly than crossentropy, whose gradient "
            "stays large when the model is confidently wrong",
            "warning",
        )
    )


def _check_monitors(exp: Experiment, errors: list[SpecIssue], warnings: list[SpecIssue]) -> None:
    available = exp.log_names()
    monitors = [
        ("early_stopping.monitor", exp.early_stopping.monitor),
        ("training.reduce_lr_on_plateau.monitor", exp.training.reduce_lr_on_plateau.monitor),
        ("overfitting.monitor", exp.overfitting.monitor),
    ]
    for path, monitor in monitors:
        if monitor not in available:
            close = difflib.get_close_matches(monitor, available, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(
                SpecIssue(path, f"{monitor!r} is not logged by this experiment{hint}; logged: {', '.join(available)}")
            )
    if not exp.overfitting.monitor.startswith("val_") and exp.overfitting.monitor in available:
        errors.append(SpecIssue("overfitting.monitor", "overfitting is judged on validation data: use a val_ metric"))
    es = exp.early_stopping
    if es.enabled and not es.monitor.startswith("val_"):
        warnings.append(
            SpecIssue(
                "early_stopping.monitor",
                f"early stopping on {es.monitor!r} (training data) can't see overfitting: monitor val_loss",
                "warning",
            )
        )


def _check_buildable(exp: Experiment, errors: list[SpecIssue]) -> None:
    """Combinations Keras refuses at build or fit time, caught here so they never start a run."""
    if exp.training.reduce_lr_on_plateau.enabled and not isinstance(exp.optimizer.learning_rate, float):
        errors.append(
            SpecIssue(
                "training.reduce_lr_on_plateau.enabled",
                "reduce-on-plateau can't lower a learning-rate schedule: use a fixed optimizer.learning_rate "
                "or turn reduce_lr_on_plateau off",
            )
        )
    # Keras' Orthogonal initializer needs a matrix; a bias is a vector.
    biases = [("model.bias_initializer", exp.model.bias_initializer)]
    biases += [(f"{path}.bias_initializer", layer.bias_initializer) for path, layer in _dense_paths(exp)]
    for path, init in biases:
        if init is not None and init.name == "orthogonal":
            errors.append(SpecIssue(path, "orthogonal initializes weight matrices, not biases: use zeros"))


def _dense_paths(exp: Experiment) -> list[tuple[str, DenseLayer]]:
    return [(f"model.layers[{i}]", layer) for i, layer in enumerate(exp.model.layers) if isinstance(layer, DenseLayer)]


def _effective_init(layer: DenseLayer, exp: Experiment) -> InitializerSpec:
    return layer.kernel_initializer or exp.model.kernel_initializer


def _check_initializers(exp: Experiment, warnings: list[SpecIssue]) -> None:
    dense = _dense_paths(exp)
    for path, layer in dense:
        init = _effective_init(layer, exp)
        where = f"{path}.kernel_initializer" if layer.kernel_initializer else "model.kernel_initializer"
        if init.family == "he" and layer.activation in SATURATING:
            warnings.append(
                SpecIssue(
                    where,
                    f"He initialization is scaled for ReLU; with {layer.activation} in {path} use Glorot "
                    "(Xavier), which keeps the variance right for sigmoid/tanh",
                    "warning",
                )
            )
    relu_glorot = [
        path
        for path, layer in dense
        if layer.activation in RELU_LIKE and _effective_init(layer, exp).family == "glorot"
    ]
    if len(relu_glorot) >= DEEP_RELU_STACK:
        warnings.append(
            SpecIssue(
                "model.kernel_initializer",
                f"{len(relu_glorot)} ReLU layers with Glorot initialization: the signal shrinks layer by "
                "layer; He initialization (he_normal) is made for ReLU",
                "warning",
            )
        )


def _check_learning_rate(exp: Experiment, warnings: list[SpecIssue]) -> None:
    lr = exp.optimizer.initial_learning_rate()
    limit = SGD_LR_LIMIT if isinstance(exp.optimizer, SGD) else ADAPTIVE_LR_LIMIT
    if lr > limit:
        warnings.append(
            SpecIssue(
                "optimizer.learning_rate",
                f"learning rate {lr:g} is very high for {exp.optimizer.name}: the loss will likely bounce "
                f"or explode to NaN (try {limit / 100:g} to {limit / 10:g})",
                "warning",
            )
        )
    elif lr < TINY_LR:
        warnings.append(
            SpecIssue(
                "optimizer.learning_rate",
                f"learning rate {lr:g} is tiny: the loss will barely move in a reasonable number of epochs",
                "warning",
            )
        )


def _check_layers(exp: Experiment, warnings: list[SpecIssue]) -> None:
    for i, layer in enumerate(exp.model.layers):
        path = f"model.layers[{i}]"
        if isinstance(layer, DenseLayer) and layer.activation == "softmax":
            warnings.append(
                SpecIssue(f"{path}.activation", "softmax belongs in the output layer, not a hidden one", "warning")
            )
        if isinstance(layer, DropoutLayer) and layer.rate >= 0.8:
            warnings.append(
                SpecIssue(
                    f"{path}.rate", f"dropping {layer.rate:.0%} of the units leaves little to learn from", "warning"
                )
            )
    regs = [("model.kernel_regularizer", exp.model.kernel_regularizer)] + [
        (f"{path}.kernel_regularizer", layer.kernel_regularizer) for path, layer in _dense_paths(exp)
    ]
    for path, reg in regs:
        if reg is not None and max(getattr(reg, "l1", 0.0), getattr(reg, "l2", 0.0)) > 0.1:
            warnings.append(
                SpecIssue(path, "a penalty factor above 0.1 can outweigh the loss itself; try 0.001 to 0.01", "warning")
            )


def resolve(exp: Experiment, base_dir: Path | None = None) -> Experiment:
    """A copy with derived values written in: output units/activation and metrics."""
    result = check_experiment(exp, base_dir)
    data = exp.model_copy(deep=True)
    if result.output is not None:
        data.model.output.units = result.output.units
        data.model.output.activation = result.output.activation  # type: ignore[assignment]
    data.metrics = exp.resolved_metrics()  # type: ignore[assignment]
    return data
