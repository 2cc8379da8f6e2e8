"""The Keras source of a model, its optimizer and schedule, loss and metrics, from a resolved experiment.

Each piece is what :mod:`tuitrain.engine.build` makes from the same spec, written as the standard
Keras calls, with a comment saying what the choice does. The spec's own docstrings and descriptions
are the comments where they say it best (one text for the forms, the presets and the script).
"""

from __future__ import annotations

from typing import Any

from tuitrain.export.pycode import Code, call, comment, literal
from tuitrain.spec import (
    ActivationLayer,
    BatchNormLayer,
    CosineDecay,
    CosineDecayRestarts,
    DenseLayer,
    DropoutLayer,
    Experiment,
    ExponentialDecay,
    InitializerSpec,
    L1L2Regularizer,
    L1Regularizer,
    L2Regularizer,
    PiecewiseConstant,
)
from tuitrain.spec.derived import DEFAULT_LIMIT, DEFAULT_STDDEV, LabelFormat, effective_loss

INITIALIZER_CLASSES = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_normal": "LecunNormal",
    "lecun_uniform": "LecunUniform",
    "orthogonal": "Orthogonal",
    "random_normal": "RandomNormal",
    "truncated_normal": "TruncatedNormal",
    "random_uniform": "RandomUniform",
    "zeros": "Zeros",
    "ones": "Ones",
}
"""Spec initializer name -> ``keras.initializers`` class."""

INITIALIZER_WHY = {
    "glorot": "Glorot/Xavier, made for sigmoid/tanh",
    "he": "He/Kaiming, made for ReLU",
    "lecun": "LeCun, made for SELU",
}

OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "adamax": "Adamax",
}
"""Spec optimizer name -> ``keras.optimizers`` class (the spec's other fields are Keras' arguments)."""

SCHEDULE_CLASSES = {
    "exponential_decay": "ExponentialDecay",
    "cosine_decay": "CosineDecay",
    "cosine_decay_restarts": "CosineDecayRestarts",
    "piecewise_constant": "PiecewiseConstantDecay",
}
"""Spec schedule kind -> ``keras.optimizers.schedules`` class (the spec's fields are its arguments)."""

LOSS_CODE = {
    "binary_crossentropy": ("BinaryCrossentropy", "two classes, one sigmoid output: the log loss of P(class 1)"),
    "categorical_crossentropy": (
        "CategoricalCrossentropy",
        "one softmax probability per class, compared with one-hot labels",
    ),
    "sparse_categorical_crossentropy": (
        "SparseCategoricalCrossentropy",
        "one softmax probability per class, compared with integer class ids",
    ),
    "mse": ("MeanSquaredError", "mean squared error between the output and the (one-hot) label"),
    "mae": ("MeanAbsoluteError", "mean absolute error between the output and the (one-hot) label"),
    "huber": ("Huber", "quadratic near the label, linear far from it: less swayed by outliers than MSE"),
}
"""Loss name as Keras computes it -> (``keras.losses`` class, what it measures)."""

METRIC_CLASSES = {
    "precision": "Precision",
    "recall": "Recall",
    "auc": "AUC",
    "mse": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
}
"""Metrics other than accuracy -> ``keras.metrics`` class (logged under the spec's name)."""


def first_line(text: str | None) -> str:
    """The first line of a docstring or description, without its final period (it goes into a sentence)."""
    stripped = (text or "").strip()
    return stripped.splitlines()[0].rstrip(".") if stripped else ""


def initializer_code(spec: InitializerSpec, seed: Code) -> Code:
    """``keras.initializers.X(...)`` for a spec; random ones get ``seed``."""
    cls = f"keras.initializers.{INITIALIZER_CLASSES[spec.name]}"
    if spec.name in ("zeros", "ones"):
        return Code(f"{cls}()")
    if spec.name in ("random_normal", "truncated_normal"):
        return Code(call(cls, stddev=spec.stddev or DEFAULT_STDDEV, seed=seed))
    if spec.name == "random_uniform":
        limit = spec.limit or DEFAULT_LIMIT
        return Code(call(cls, minval=-limit, maxval=limit, seed=seed))
    return Code(call(cls, seed=seed))


def regularizer_code(spec: L1Regularizer | L2Regularizer | L1L2Regularizer) -> Code:
    """``keras.regularizers.L1/L2/L1L2(...)`` for a spec."""
    if isinstance(spec, L1Regularizer):
        return Code(call("keras.regularizers.L1", spec.l1))
    if isinstance(spec, L2Regularizer):
        return Code(call("keras.regularizers.L2", spec.l2))
    return Code(call("keras.regularizers.L1L2", l1=spec.l1, l2=spec.l2))


def _seed(layer: int, part: int) -> Code:
    return Code(f"derived_seed(SEED, {layer}, {part})")


def _init_comment(init: InitializerSpec) -> str:
    why = INITIALIZER_WHY.get(init.family)
    return f"{init.name} weights ({why})" if why else f"{init.name} weights"


def _regularizer_comment(reg: L1Regularizer | L2Regularizer | L1L2Regularizer, what: str) -> str:
    if isinstance(reg, L1Regularizer):
        return f"L1 {reg.l1:g} {what} (pushes weights to exactly zero)"
    if isinstance(reg, L2Regularizer):
        return f"L2 {reg.l2:g} {what} (weight decay: keeps weights small)"
    return f"L1 {reg.l1:g} + L2 {reg.l2:g} {what} (elastic net)"


def layer_lines(exp: Experiment, output_units: int, output_activation: str, mixed_precision: bool) -> list[str]:
    """The items of the ``keras.Sequential([...])`` list, each with its comment lines, at nesting level 3."""
    spec = exp.model
    items: list[str] = []
    level = 3
    for i, layer in enumerate(spec.layers):
        name = f"hidden_{i + 1}_{layer.kind}"
        if isinstance(layer, DenseLayer):
            init = layer.kernel_initializer or spec.kernel_initializer
            bias = layer.bias_initializer or spec.bias_initializer
            reg = layer.kernel_regularizer or spec.kernel_regularizer
            notes = [f"{layer.units} {layer.activation} units; {_init_comment(init)}"]
            kwargs: dict[str, object] = {"activation": layer.activation}
            if not layer.use_bias:
                kwargs["use_bias"] = False
                notes.append("no bias")
            kwargs["kernel_initializer"] = initializer_code(init, _seed(i, 0))
            kwargs["bias_initializer"] = initializer_code(bias, _seed(i, 1))
            if reg is not None:
                kwargs["kernel_regularizer"] = regularizer_code(reg)
                notes.append(_regularizer_comment(reg, "penalty on the weights"))
            if layer.activity_regularizer is not None:
                kwargs["activity_regularizer"] = regularizer_code(layer.activity_regularizer)
                notes.append(_regularizer_comment(layer.activity_regularizer, "penalty on the outputs"))
            kwargs["name"] = name
            code = call("keras.layers.Dense", layer.units, indent=level, **kwargs)
        elif isinstance(layer, DropoutLayer):
            notes = [f"Dropout {layer.rate:.0%}: zeroes that share of inputs while training (fights overfitting)"]
            code = call("keras.layers.Dropout", layer.rate, indent=level, seed=_seed(i, 2), name=name)
        elif isinstance(layer, BatchNormLayer):
            notes = [first_line(BatchNormLayer.__doc__)]
            code = call(
                "keras.layers.BatchNormalization",
                indent=level,
                momentum=layer.momentum,
                epsilon=layer.epsilon,
                name=name,
            )
        elif isinstance(layer, ActivationLayer):
            notes = [f"{layer.activation} on its own: {first_line(ActivationLayer.__doc__)}"]
            code = call("keras.layers.Activation", layer.activation, indent=level, name=name)
        else:  # pragma: no cover - the spec's discriminated union has no other kinds
            raise ValueError(f"unknown layer {layer!r}")
        items.append(_item(notes, code, level))

    out = spec.output
    n = len(spec.layers)
    init = out.kernel_initializer or spec.kernel_initializer
    reg = out.kernel_regularizer or spec.kernel_regularizer
    what = "the probability of class 1" if output_units == 1 else f"one unit per class ({output_units})"
    notes = [f"Output: {output_activation}, {what}; {_init_comment(init)}"]
    kwargs = {
        "activation": output_activation,
        "kernel_initializer": initializer_code(init, _seed(n, 0)),
        "bias_initializer": initializer_code(spec.bias_initializer, _seed(n, 1)),
    }
    if reg is not None:
        kwargs["kernel_regularizer"] = regularizer_code(reg)
        notes.append(_regularizer_comment(reg, "penalty on the weights"))
    if mixed_precision:
        kwargs["dtype"] = Code('"float32" if MIXED_PRECISION else None')
        notes.append("under mixed precision the output stays float32: in float16 the loss's log breaks")
    kwargs["name"] = "output"
    items.append(_item(notes, call("keras.layers.Dense", output_units, indent=level, **kwargs), level))
    return items


def _item(notes: list[str], code: str, level: int) -> str:
    text = "; ".join(n for n in notes if n)
    return f"{comment(text[0].upper() + text[1:], level)}\n{'    ' * level}{code},"


def schedule_code(lr: Any, indent: int) -> tuple[Code, str]:
    """The learning rate (a number or a ``keras.optimizers.schedules`` object) and a comment on it."""
    if isinstance(lr, float | int):
        return Code(literal(float(lr))), f"learning rate {float(lr):g}"
    cls = f"keras.optimizers.schedules.{SCHEDULE_CLASSES[lr.kind]}"
    fields = lr.model_dump(exclude={"kind"})
    if isinstance(lr, PiecewiseConstant):
        code = call(cls, list(lr.boundaries), list(lr.values), indent=indent)
    else:
        code = call(cls, indent=indent, **fields)
    note = first_line(type(lr).__doc__)
    if isinstance(lr, ExponentialDecay | CosineDecay | CosineDecayRestarts | PiecewiseConstant):
        note += " (steps are batches)"
    return Code(code), f"learning-rate schedule: {note}"


def optimizer_code(exp: Experiment, indent: int) -> tuple[str, str]:
    """``keras.optimizers.X(...)`` for the spec's optimizer, and a comment on the choice."""
    spec = exp.optimizer
    lr, lr_note = schedule_code(spec.learning_rate, indent + 1)
    kwargs: dict[str, object] = {"learning_rate": lr}
    kwargs.update(spec.model_dump(exclude={"name", "learning_rate", "clipnorm"}))
    note = f"{spec.name}: {first_line(type(spec).__doc__)}; {lr_note}"
    if spec.clipnorm is not None:
        kwargs["clipnorm"] = spec.clipnorm
        note += f"; each gradient rescaled to norm <= {spec.clipnorm:g}"
    return call(f"keras.optimizers.{OPTIMIZER_CLASSES[spec.name]}", indent=indent, **kwargs), note


def loss_code(exp: Experiment, labels: LabelFormat) -> tuple[str, str]:
    """``keras.losses.X()`` as the engine computes it, and a comment."""
    name = effective_loss(exp, labels)
    cls, why = LOSS_CODE[name]
    kwargs = {"delta": exp.huber_delta} if name == "huber" else {}
    note = f"{name}: {why}"
    if name != exp.loss:
        note += f" (the experiment says {exp.loss}: the same number, from one-hot labels, which its metrics need)"
    return call(f"keras.losses.{cls}", **kwargs), note


def metrics_code(exp: Experiment) -> str:
    """The ``metrics=[...]`` list: "accuracy" lets Keras pick binary/sparse/categorical accuracy."""
    items = []
    for name in exp.resolved_metrics():
        if name == "accuracy":
            items.append('"accuracy"')
        else:
            items.append(call(f"keras.metrics.{METRIC_CLASSES[name]}", name=name))
    return f"[{', '.join(items)}]"
