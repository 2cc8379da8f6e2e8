"""Experiment -> compiled Keras model: layers, initializers, regularizers, optimizer, loss and metrics.

Two models share one set of layers when the input is sparse (IMDB multi-hot):

- the *training* model feeds the sparse batch to the first Dense layer through :class:`SparseDenseInput`,
  which multiplies with ``tf.sparse.sparse_dense_matmul``. Keras' own Dense layer accepts sparse
  input too, but goes through ``embedding_lookup_sparse``, which measured 5x slower per step here;
- the *export* model is the same stack built from the standard layers alone (sparse ``Input`` into a
  plain ``Dense``). It holds the very same weight variables and is what ``best.keras``/``final.keras``
  contain, so a saved model loads anywhere with ``keras.saving.load_model(path, safe_mode=True)``,
  with no tuitrain code needed.

Both compute the same function: ``x @ kernel + bias`` then the activation, with the same weights.

The sparse training model runs :data:`SPARSE_STEPS_PER_EXECUTION` training steps per call into
TensorFlow: Keras' batch callbacks then see every group of steps, not every step (see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from tuitrain.spec import (
    SGD,
    ActivationLayer,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
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
    Nadam,
    PiecewiseConstant,
    RMSprop,
)
from tuitrain.spec.checks import OutputLayer
from tuitrain.spec.derived import (
    DEFAULT_LIMIT,
    DEFAULT_STDDEV,
    LabelFormat,
    derived_seed,
    effective_loss,
    label_format,
)
from tuitrain.text import identifier

SPARSE_STEPS_PER_EXECUTION = 8
"""Training steps per call into TensorFlow when batches are sparse (multi-hot into a Dense layer).

Such a step is one or two milliseconds of arithmetic (IMDB: 512 reviews x 16 units), less than what
Keras spends in Python around each call (the call itself, batch callbacks, logs): with one call per
step an IMDB epoch's training steps took about twice as long on two cores. The price: batch
callbacks run after each group of steps (with the group's last batch number), so a stop request or a
NaN loss is noticed at most 7 batches later; epoch-level results do not change. Dense input keeps
one step per call.
"""


class BuildError(ValueError):
    """The experiment can't be built as specified; the message names the field and the fix."""


@dataclass
class BuiltModel:
    """The compiled training model, the model that gets saved, and how data must be fed to them."""

    model: keras.Model
    """Compiled; what ``fit`` trains."""
    export: keras.Model
    """Same weights, standard layers only; what is saved. The same object as ``model`` for dense input."""
    label_format: LabelFormat
    output_units: int
    sparse_input: bool
    """True when batches must be ``tf.SparseTensor`` (multi-hot data into a Dense first layer)."""


SPARSE_MATMUL_COLUMNS = 24
"""Widest kernel column block one ``sparse_dense_matmul`` multiplies on a CPU.

TensorFlow's CPU kernel switches to a much slower loop from 32 result columns on: for IMDB batches
the forward and backward product measured ~9 times slower at 32 units than at 31, ~4 times slower than
the same product taken in blocks of 16-24 columns (any width from 32 to 256 units). Each block's
columns are summed exactly as before, over the same nonzeros in the same order.
"""


def sparse_matmul_blocks(units: int) -> list[int]:
    """Widths of the (nearly equal) column blocks a ``units``-wide sparse product is split into."""
    count = -(-units // SPARSE_MATMUL_COLUMNS)
    return [units // count + (1 if i < units % count else 0) for i in range(count)]


class SparseDenseInput(keras.layers.Layer):
    """Applies a Dense layer to a ``tf.SparseTensor`` batch with ``sparse_dense_matmul``.

    Owns no weights of its own: it uses the wrapped layer's kernel, bias, activation and activity
    regularizer, so training through it trains the wrapped layer. Only the training model contains it;
    the saved (export) model uses the wrapped Dense layer directly, so this class is never serialized.
    """

    def __init__(self, dense: keras.layers.Dense, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=dense.activity_regularizer, **kwargs)
        self.dense = dense
        # XLA has no sparse matmul: with "auto" jit on a GPU, Keras must not compile this model with it.
        self.supports_jit = False
        on_cpu = not tf.config.list_logical_devices("GPU")
        self.column_blocks = sparse_matmul_blocks(dense.units) if on_cpu else [dense.units]

    def build(self, input_shape: Any) -> None:
        """Build the wrapped layer for this input width (a no-op when it is built already)."""
        if not self.dense.built:
            self.dense.build(input_shape)

    def call(self, inputs: Any) -> Any:
        """``activation(inputs @ kernel + bias)`` for a sparse or dense batch."""
        # The product is taken in float32 even under mixed precision (not every device has a float16
        # sparse matmul; this one multiplies by 0/1 values, so float32 costs next to nothing).
        kernel = tf.cast(self.dense.kernel, tf.float32)
        if isinstance(inputs, tf.SparseTensor):
            inputs = tf.cast(inputs, tf.float32)
            if len(self.column_blocks) == 1:
                out = tf.sparse.sparse_dense_matmul(inputs, kernel)
            else:
                blocks = tf.split(kernel, self.column_blocks, axis=1)
                out = tf.concat([tf.sparse.sparse_dense_matmul(inputs, block) for block in blocks], axis=1)
        else:
            out = tf.matmul(tf.cast(inputs, tf.float32), kernel)
        out = tf.cast(out, self.compute_dtype)
        if self.dense.use_bias:
            out = tf.nn.bias_add(out, tf.cast(self.dense.bias, self.compute_dtype))
        return self.dense.activation(out)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """Same as the wrapped Dense layer's."""
        return (*tuple(input_shape)[:-1], self.dense.units)


_INITIALIZER_CLASSES: dict[str, Any] = {
    "glorot_uniform": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "he_uniform": keras.initializers.HeUniform,
    "he_normal": keras.initializers.HeNormal,
    "lecun_normal": keras.initializers.LecunNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "orthogonal": keras.initializers.Orthogonal,
}


def make_initializer(spec: InitializerSpec, seed: int) -> keras.initializers.Initializer:
    """The Keras initializer for a spec, seeded (constant initializers need no seed)."""
    name = spec.name
    if name == "zeros":
        return keras.initializers.Zeros()
    if name == "ones":
        return keras.initializers.Ones()
    if name == "random_normal":
        return keras.initializers.RandomNormal(stddev=spec.stddev or DEFAULT_STDDEV, seed=seed)
    if name == "truncated_normal":
        return keras.initializers.TruncatedNormal(stddev=spec.stddev or DEFAULT_STDDEV, seed=seed)
    if name == "random_uniform":
        limit = spec.limit or DEFAULT_LIMIT
        return keras.initializers.RandomUniform(minval=-limit, maxval=limit, seed=seed)
    return _INITIALIZER_CLASSES[name](seed=seed)


def make_regularizer(spec: L1Regularizer | L2Regularizer | L1L2Regularizer | None) -> Any:
    """The Keras regularizer for a spec, or None."""
    if spec is None:
        return None
    if isinstance(spec, L1Regularizer):
        return keras.regularizers.L1(spec.l1)
    if isinstance(spec, L2Regularizer):
        return keras.regularizers.L2(spec.l2)
    return keras.regularizers.L1L2(l1=spec.l1, l2=spec.l2)


def make_schedule(lr: float | Any) -> Any:
    """A float learning rate as it is, or the Keras LearningRateSchedule for a schedule spec."""
    schedules = keras.optimizers.schedules
    if isinstance(lr, float | int):
        return float(lr)
    if isinstance(lr, ExponentialDecay):
        return schedules.ExponentialDecay(lr.initial_learning_rate, lr.decay_steps, lr.decay_rate, lr.staircase)
    if isinstance(lr, CosineDecay):
        return schedules.CosineDecay(
            lr.initial_learning_rate,
            lr.decay_steps,
            alpha=lr.alpha,
            warmup_target=lr.warmup_target,
            warmup_steps=lr.warmup_steps,
        )
    if isinstance(lr, CosineDecayRestarts):
        return schedules.CosineDecayRestarts(
            lr.initial_learning_rate, lr.first_decay_steps, t_mul=lr.t_mul, m_mul=lr.m_mul, alpha=lr.alpha
        )
    if isinstance(lr, PiecewiseConstant):
        return schedules.PiecewiseConstantDecay(list(lr.boundaries), list(lr.values))
    raise ValueError(f"unknown learning-rate schedule {lr!r}")


def make_optimizer(spec: Any) -> keras.optimizers.Optimizer:
    """The Keras optimizer for an optimizer spec (learning rate or schedule, clipnorm, its own options)."""
    common: dict[str, Any] = {"learning_rate": make_schedule(spec.learning_rate)}
    if spec.clipnorm is not None:
        common["clipnorm"] = spec.clipnorm
    opt = keras.optimizers
    if isinstance(spec, SGD):
        return opt.SGD(momentum=spec.momentum, nesterov=spec.nesterov, **common)
    if isinstance(spec, Adagrad):
        return opt.Adagrad(initial_accumulator_value=spec.initial_accumulator_value, epsilon=spec.epsilon, **common)
    if isinstance(spec, RMSprop):
        return opt.RMSprop(rho=spec.rho, momentum=spec.momentum, epsilon=spec.epsilon, centered=spec.centered, **common)
    # AdamW before Adam: it is a subclass.
    if isinstance(spec, AdamW):
        return opt.AdamW(
            weight_decay=spec.weight_decay,
            beta_1=spec.beta_1,
            beta_2=spec.beta_2,
            epsilon=spec.epsilon,
            amsgrad=spec.amsgrad,
            **common,
        )
    if isinstance(spec, Adam):
        return opt.Adam(beta_1=spec.beta_1, beta_2=spec.beta_2, epsilon=spec.epsilon, amsgrad=spec.amsgrad, **common)
    if isinstance(spec, Nadam):
        return opt.Nadam(beta_1=spec.beta_1, beta_2=spec.beta_2, epsilon=spec.epsilon, **common)
    if isinstance(spec, Adamax):
        return opt.Adamax(beta_1=spec.beta_1, beta_2=spec.beta_2, epsilon=spec.epsilon, **common)
    raise ValueError(f"unknown optimizer {spec!r}")


def make_loss(exp: Experiment, labels: LabelFormat) -> keras.losses.Loss:
    """The Keras loss. Sparse categorical crossentropy on one-hot labels (needed by an element-wise
    metric) becomes categorical crossentropy: the same number, computed from the one-hot row."""
    losses = keras.losses
    name = effective_loss(exp, labels)
    if name == "binary_crossentropy":
        return losses.BinaryCrossentropy()
    if name == "categorical_crossentropy":
        return losses.CategoricalCrossentropy()
    if name == "sparse_categorical_crossentropy":
        return losses.SparseCategoricalCrossentropy()
    if name == "mse":
        return losses.MeanSquaredError()
    if name == "mae":
        return losses.MeanAbsoluteError()
    if name == "huber":
        return losses.Huber(delta=exp.huber_delta)
    raise ValueError(f"unknown loss {exp.loss!r}")


def make_metrics(exp: Experiment) -> list[Any]:
    """Keras metrics logged under the spec's names (accuracy, precision, ...; val_ prefixed on validation).

    "accuracy" stays a string: Keras then picks binary, sparse-categorical or categorical accuracy from
    the label and output shapes, as the seed examples expect.
    """
    out: list[Any] = []
    for name in exp.resolved_metrics():
        if name == "accuracy":
            out.append("accuracy")
        elif name == "precision":
            out.append(keras.metrics.Precision(name="precision"))
        elif name == "recall":
            out.append(keras.metrics.Recall(name="recall"))
        elif name == "auc":
            out.append(keras.metrics.AUC(name="auc"))
        elif name == "mse":
            out.append(keras.metrics.MeanSquaredError(name="mse"))
        elif name == "mae":
            out.append(keras.metrics.MeanAbsoluteError(name="mae"))
        else:
            raise ValueError(f"unknown metric {name!r}")
    return out


def _bias_initializer(spec: InitializerSpec, seed: int, where: str) -> keras.initializers.Initializer:
    if spec.name == "orthogonal":
        # Keras' Orthogonal needs a matrix; a bias is a vector.
        raise BuildError(f"{where}: orthogonal initializes weight matrices, not biases: use zeros")
    return make_initializer(spec, seed)


def make_layers(exp: Experiment, output: OutputLayer, seed: int, mixed_precision: bool) -> list[keras.layers.Layer]:
    """The hidden layers and the output layer, each with its own derived seed.

    Per-layer initializer and regularizer fields left empty take the model-level defaults. Layer names
    say what each layer is in the spec (``hidden_1_dense``, ``output``), so a saved model reads well.
    Raises BuildError for a combination Keras can't build.
    """
    spec = exp.model
    layers: list[keras.layers.Layer] = []
    for i, layer in enumerate(spec.layers):
        name = f"hidden_{i + 1}_{layer.kind}"
        if isinstance(layer, DenseLayer):
            where = f"model.layers[{i}].bias_initializer" if layer.bias_initializer else "model.bias_initializer"
            layers.append(
                keras.layers.Dense(
                    layer.units,
                    activation=layer.activation,
                    use_bias=layer.use_bias,
                    kernel_initializer=make_initializer(
                        layer.kernel_initializer or spec.kernel_initializer, derived_seed(seed, i, 0)
                    ),
                    bias_initializer=_bias_initializer(
                        layer.bias_initializer or spec.bias_initializer, derived_seed(seed, i, 1), where
                    ),
                    kernel_regularizer=make_regularizer(layer.kernel_regularizer or spec.kernel_regularizer),
                    activity_regularizer=make_regularizer(layer.activity_regularizer),
                    name=name,
                )
            )
        elif isinstance(layer, DropoutLayer):
            layers.append(keras.layers.Dropout(layer.rate, seed=derived_seed(seed, i, 2), name=name))
        elif isinstance(layer, BatchNormLayer):
            layers.append(keras.layers.BatchNormalization(momentum=layer.momentum, epsilon=layer.epsilon, name=name))
        elif isinstance(layer, ActivationLayer):
            layers.append(keras.layers.Activation(layer.activation, name=name))
        else:  # pragma: no cover - the spec's discriminated union has no other kinds
            raise ValueError(f"unknown layer {layer!r}")
    out_spec = spec.output
    n = len(spec.layers)
    layers.append(
        keras.layers.Dense(
            output.units,
            activation=output.activation,
            kernel_initializer=make_initializer(
                out_spec.kernel_initializer or spec.kernel_initializer, derived_seed(seed, n, 0)
            ),
            bias_initializer=_bias_initializer(
                spec.bias_initializer, derived_seed(seed, n, 1), "model.bias_initializer"
            ),
            kernel_regularizer=make_regularizer(out_spec.kernel_regularizer or spec.kernel_regularizer),
            # Under mixed precision the output (softmax/sigmoid and the loss) stays in float32: in
            # float16 a confident prediction rounds to exactly 0 or 1 and the log in the loss breaks.
            dtype="float32" if mixed_precision else None,
            name="output",
        )
    )
    return layers


def build_model(
    exp: Experiment,
    output: OutputLayer,
    input_dim: int,
    *,
    sparse_features: bool,
    seed: int,
    mixed_precision: bool = False,
) -> BuiltModel:
    """Build and compile the model for ``exp`` on inputs of width ``input_dim``.

    ``sparse_features``: the data is multi-hot (CSR). When the first layer is Dense the batches are
    fed as ``tf.SparseTensor``; otherwise (e.g. a dropout on the inputs) they are densified per batch.
    """
    layers = make_layers(exp, output, seed, mixed_precision)
    sparse_input = sparse_features and isinstance(layers[0], keras.layers.Dense)

    export_in = keras.Input(shape=(input_dim,), sparse=sparse_input, name="features")
    x = export_in
    for layer in layers:
        x = layer(x)
    export = keras.Model(export_in, x, name=_model_name(exp))

    if sparse_input:
        train_in = keras.Input(shape=(input_dim,), sparse=True, name="features")
        x = SparseDenseInput(layers[0], name="sparse_input")(train_in)
        for layer in layers[1:]:
            x = layer(x)
        model = keras.Model(train_in, x, name=_model_name(exp) + "_training")
    else:
        model = export

    labels = label_format(exp, output.units)
    optimizer = make_optimizer(exp.optimizer)
    model.compile(
        optimizer=optimizer,
        loss=make_loss(exp, labels),
        metrics=make_metrics(exp),
        steps_per_execution=SPARSE_STEPS_PER_EXECUTION if sparse_input else 1,
    )
    if export is not model:
        # Compiled too, so a saved model loads ready to evaluate; the optimizer (and its state) is shared.
        export.compile(optimizer=optimizer, loss=make_loss(exp, labels), metrics=make_metrics(exp))
    return BuiltModel(model, export, labels, output.units, sparse_input)


def _model_name(exp: Experiment) -> str:
    """A Keras-safe model name from the experiment name (which may be any printable text)."""
    return identifier(exp.name, fallback="model")


def current_learning_rate(optimizer: keras.optimizers.Optimizer) -> float:
    """The learning rate in effect now: a schedule is evaluated at the optimizer's step count."""
    # convert_to_tensor first: numpy conversion of a Keras variable warns under NumPy 2.
    return float(keras.ops.convert_to_tensor(optimizer.learning_rate))
