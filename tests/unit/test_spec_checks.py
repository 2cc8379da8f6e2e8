"""Cross-field rules (tuitrain/spec/checks.py): errors, warnings, the derived output layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tuitrain.spec import Experiment
from tuitrain.spec.checks import OutputLayer, check_experiment, derive_output, resolve
from tuitrain.spec.errors import SpecIssue
from tuitrain.spec.info import DatasetShape, DatasetShapeUnknown, dataset_shape


def check(data: dict[str, Any], base_dir: Path | None = None):
    return check_experiment(Experiment.model_validate(data), base_dir)


def errors(data: dict[str, Any]) -> list[str]:
    return [str(issue) for issue in check(data).errors]


def warnings(data: dict[str, Any]) -> list[str]:
    return [str(issue) for issue in check(data).warnings]


def dense(units: int, activation: str = "relu", **extra: Any) -> dict[str, Any]:
    return {"kind": "dense", "units": units, "activation": activation, **extra}


MNIST = {"name": "mnist"}
IMDB = {"name": "imdb"}


# ------------------------------------------------------------------ loss / output / labels


def test_binary_crossentropy_on_ten_class_mnist_is_an_error() -> None:
    assert errors({"dataset": MNIST, "loss": "binary_crossentropy"}) == [
        "loss: binary crossentropy needs two classes, but mnist has 10: use sparse_categorical_crossentropy "
        "(integer labels) or categorical_crossentropy"
    ]


def test_one_unit_output_on_ten_class_mnist_is_an_error() -> None:
    assert errors({"dataset": MNIST, "model": {"output": {"units": 1}}}) == [
        "model.output.units: sparse_categorical_crossentropy with integer labels needs one output unit per class: "
        "mnist has 10 classes, got 1"
    ]


def test_categorical_crossentropy_names_one_hot_labels() -> None:
    assert errors({"dataset": MNIST, "loss": "categorical_crossentropy", "model": {"output": {"units": 5}}}) == [
        "model.output.units: categorical_crossentropy with one-hot labels needs one output unit per class: "
        "mnist has 10 classes, got 5"
    ]


def test_sparse_crossentropy_needs_softmax_over_all_classes() -> None:
    assert errors({"dataset": MNIST, "model": {"output": {"units": 10, "activation": "sigmoid"}}}) == [
        "model.output.activation: sparse_categorical_crossentropy needs a softmax output (probabilities over "
        "the classes), got sigmoid"
    ]
    # imdb with sparse CCE: two classes, so two softmax units; one sigmoid unit is wrong for this loss.
    assert errors({"dataset": IMDB, "model": {"output": {"units": 1, "activation": "sigmoid"}}}) == [
        "model.output.units: sparse_categorical_crossentropy with integer labels needs one output unit per "
        "class: imdb has 2 classes, got 1",
        "model.output.activation: sparse_categorical_crossentropy needs a softmax output (probabilities over "
        "the classes), got sigmoid",
    ]


def test_binary_crossentropy_needs_one_sigmoid_unit() -> None:
    bce = {"dataset": IMDB, "loss": "binary_crossentropy"}
    assert errors({**bce, "model": {"output": {"units": 2}}}) == [
        "model.output.units: binary crossentropy needs one output unit (the probability of class 1), got 2"
    ]
    assert errors({**bce, "model": {"output": {"activation": "softmax"}}}) == [
        "model.output.activation: binary crossentropy needs a sigmoid output (a probability in [0, 1]), got softmax"
    ]
    assert errors(bce) == []


def test_regression_losses_on_classes_warn_and_check_units() -> None:
    assert warnings({"dataset": MNIST, "loss": "mse"}) == [
        "loss: mse on a classification task learns more slowly than crossentropy, whose gradient stays large "
        "when the model is confidently wrong"
    ]
    assert errors({"dataset": MNIST, "loss": "mae", "model": {"output": {"units": 3}}}) == [
        "model.output.units: mae on mnist compares the output with the one-hot label: needs 10 output units, got 3"
    ]
    assert errors({"dataset": IMDB, "loss": "huber", "model": {"output": {"units": 3}}}) == [
        "model.output.units: huber on imdb compares the output with the label: needs 1 output unit, got 3"
    ]


# ------------------------------------------------------------------ derived output layer


@pytest.mark.parametrize(
    ("dataset", "loss", "expected"),
    [
        (IMDB, "binary_crossentropy", OutputLayer(1, "sigmoid", True)),
        (MNIST, "sparse_categorical_crossentropy", OutputLayer(10, "softmax", True)),
        (MNIST, "categorical_crossentropy", OutputLayer(10, "softmax", True)),
        (IMDB, "sparse_categorical_crossentropy", OutputLayer(2, "softmax", True)),
        (IMDB, "categorical_crossentropy", OutputLayer(2, "softmax", True)),
        ({"name": "digits"}, "sparse_categorical_crossentropy", OutputLayer(10, "softmax", True)),
        ({"name": "fashion_mnist"}, "mse", OutputLayer(10, "softmax", True)),
        (IMDB, "mse", OutputLayer(1, "sigmoid", True)),
    ],
)
def test_derived_output_layer(dataset: dict[str, Any], loss: str, expected: OutputLayer) -> None:
    result = check({"dataset": dataset, "loss": loss})
    assert result.output == expected
    assert result.ok


def test_explicit_output_values_are_kept() -> None:
    exp = Experiment.model_validate({"dataset": IMDB, "loss": "binary_crossentropy", "model": {"output": {"units": 1}}})
    assert derive_output(exp, DatasetShape(10_000, 2)) == OutputLayer(1, "sigmoid", derived=False)
    exp = Experiment.model_validate({"dataset": MNIST, "model": {"output": {"activation": "sigmoid"}}})
    assert derive_output(exp, DatasetShape(784, 10)) == OutputLayer(10, "sigmoid", derived=False)


def test_resolve_writes_the_derived_values_in() -> None:
    exp = Experiment.model_validate({"dataset": IMDB, "loss": "binary_crossentropy"})
    resolved = resolve(exp)
    assert (resolved.model.output.units, resolved.model.output.activation) == (1, "sigmoid")
    assert resolved.metrics == ["accuracy"]
    # The original is untouched: resolve works on a copy.
    assert exp.model.output.units is None and exp.metrics is None


# ------------------------------------------------------------------ monitors


def test_monitor_that_is_not_logged_is_an_error() -> None:
    assert errors({"early_stopping": {"monitor": "val_acc"}}) == [
        "early_stopping.monitor: 'val_acc' is not logged by this experiment (did you mean 'val_accuracy'?); "
        "logged: loss, accuracy, val_loss, val_accuracy"
    ]
    assert errors({"training": {"reduce_lr_on_plateau": {"monitor": "val_auc"}}}) == [
        "training.reduce_lr_on_plateau.monitor: 'val_auc' is not logged by this experiment (did you mean "
        "'val_accuracy'?); logged: loss, accuracy, val_loss, val_accuracy"
    ]


def test_monitor_follows_the_metrics() -> None:
    assert errors({"metrics": ["auc"], "early_stopping": {"monitor": "val_auc", "mode": "max"}}) == []
    assert errors({"metrics": [], "early_stopping": {"monitor": "val_accuracy"}}) == [
        "early_stopping.monitor: 'val_accuracy' is not logged by this experiment; logged: loss, val_loss"
    ]


def test_overfitting_is_judged_on_validation_data() -> None:
    assert errors({"overfitting": {"monitor": "loss"}}) == [
        "overfitting.monitor: overfitting is judged on validation data: use a val_ metric"
    ]


def test_early_stopping_on_training_loss_warns() -> None:
    assert warnings({"early_stopping": {"enabled": True, "monitor": "loss"}}) == [
        "early_stopping.monitor: early stopping on 'loss' (training data) can't see overfitting: monitor val_loss"
    ]
    assert warnings({"early_stopping": {"enabled": False, "monitor": "loss"}}) == []


# ------------------------------------------------------------------ initializers


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_he_with_saturating_activation_warns(activation: str) -> None:
    data = {"model": {"kernel_initializer": "he_normal", "layers": [dense(32, activation)]}}
    assert warnings(data) == [
        f"model.kernel_initializer: He initialization is scaled for ReLU; with {activation} in model.layers[0] "
        "use Glorot (Xavier), which keeps the variance right for sigmoid/tanh"
    ]


def test_he_warning_names_the_layer_that_sets_it() -> None:
    data = {"model": {"layers": [dense(8), dense(8, "tanh", kernel_initializer="he_uniform")]}}
    (warning,) = check(data).warnings
    assert warning.path == "model.layers[1].kernel_initializer"
    assert warning.severity == "warning"


def test_he_with_relu_and_glorot_with_sigmoid_are_fine() -> None:
    assert warnings({"model": {"kernel_initializer": "he_normal", "layers": [dense(8)] * 6}}) == []
    assert warnings({"model": {"layers": [dense(8, "sigmoid")] * 6}}) == []


def test_glorot_with_a_deep_relu_stack_warns() -> None:
    assert warnings({"model": {"layers": [dense(8)] * 4}}) == [
        "model.kernel_initializer: 4 ReLU layers with Glorot initialization: the signal shrinks layer by layer; "
        "He initialization (he_normal) is made for ReLU"
    ]
    assert warnings({"model": {"layers": [dense(8)] * 3}}) == []


# ------------------------------------------------------------------ learning rate and other warnings


def test_learning_rate_way_too_high_warns() -> None:
    assert warnings({"optimizer": {"name": "adam", "learning_rate": 0.5}}) == [
        "optimizer.learning_rate: learning rate 0.5 is very high for adam: the loss will likely bounce or "
        "explode to NaN (try 0.001 to 0.01)"
    ]
    assert warnings({"optimizer": {"name": "sgd", "learning_rate": 2.0}}) == [
        "optimizer.learning_rate: learning rate 2 is very high for sgd: the loss will likely bounce or explode "
        "to NaN (try 0.01 to 0.1)"
    ]
    # SGD takes larger rates than adaptive optimizers; a schedule is judged by its starting rate.
    assert warnings({"optimizer": {"name": "sgd", "learning_rate": 0.5}}) == []
    schedule = {"kind": "exponential_decay", "initial_learning_rate": 3.0}
    assert len(warnings({"optimizer": {"name": "rmsprop", "learning_rate": schedule}})) == 1


def test_tiny_learning_rate_warns() -> None:
    assert warnings({"optimizer": {"name": "adam", "learning_rate": 1e-8}}) == [
        "optimizer.learning_rate: learning rate 1e-08 is tiny: the loss will barely move in a reasonable number "
        "of epochs"
    ]


def test_layer_warnings() -> None:
    data = {
        "model": {
            "layers": [dense(8, "softmax"), {"kind": "dropout", "rate": 0.9}],
            "kernel_regularizer": {"kind": "l2", "l2": 0.5},
        }
    }
    assert warnings(data) == [
        "model.layers[0].activation: softmax belongs in the output layer, not a hidden one",
        "model.layers[1].rate: dropping 90% of the units leaves little to learn from",
        "model.kernel_regularizer: a penalty factor above 0.1 can outweigh the loss itself; try 0.001 to 0.01",
    ]


def test_huber_delta_without_the_huber_loss_warns() -> None:
    assert "huber_delta: huber_delta only shapes the huber loss; with mse it has no effect" in warnings(
        {"dataset": IMDB, "loss": "mse", "huber_delta": 2.0}
    )
    assert not [w for w in warnings({"dataset": IMDB, "loss": "huber", "huber_delta": 2.0}) if "huber_delta" in w]
    assert not [w for w in warnings({"dataset": IMDB, "loss": "mse"}) if "huber_delta" in w]  # the default


def test_batch_larger_than_the_training_set_warns() -> None:
    data = {"dataset": {"name": "digits", "train_subset": 100}, "training": {"batch_size": 512}}
    assert warnings(data) == [
        "training.batch_size: batch size 512 is larger than the 100 training samples: every epoch is a single step"
    ]
    holdout = {
        "dataset": {"name": "digits", "train_subset": 100, "validation": "holdout"},
        "training": {"batch_size": 90},
    }
    assert warnings(holdout) == [
        "training.batch_size: batch size 90 is larger than the 80 training samples: every epoch is a single step"
    ]


def test_warnings_do_not_block() -> None:
    result = check({"optimizer": {"name": "adam", "learning_rate": 0.9}})
    assert result.ok and result.warnings and not result.errors
    assert all(isinstance(w, SpecIssue) and w.severity == "warning" for w in result.warnings)


# ------------------------------------------------------------------ datasets


def test_dataset_shapes() -> None:
    exp = Experiment.model_validate({"dataset": {"name": "imdb", "num_words": 500}})
    assert dataset_shape(exp.dataset) == DatasetShape(500, 2, 25_000, 25_000)
    assert dataset_shape(Experiment.model_validate({"dataset": MNIST}).dataset).input_dim == 784
    # scikit-learn's train_test_split rounds the test part up: 1797 * 0.25 = 449.25 -> 450.
    assert dataset_shape(Experiment().dataset) == DatasetShape(64, 10, 1347, 450)
    assert DatasetShape(64, 2).label_kind == "binary" and DatasetShape(64, 10).label_kind == "multiclass"


def test_missing_npz_file_is_an_error_relative_to_the_preset(tmp_path: Path) -> None:
    data = {"dataset": {"name": "npz", "path": "mine.npz"}}
    result = check(data, base_dir=tmp_path)
    assert [str(e) for e in result.errors] == [
        f"dataset.path: file not found: {tmp_path / 'mine.npz'} (a relative path is read from the preset's folder)"
    ]
    assert result.output is None and result.params is None
    with pytest.raises(DatasetShapeUnknown, match="file not found"):
        dataset_shape(Experiment.model_validate(data).dataset)


def test_npz_shape_comes_from_the_file(tmp_path: Path) -> None:

    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "own.npz",
        x_train=rng.random((50, 6)).astype("float32"),
        y_train=rng.integers(0, 3, 50),
        x_test=rng.random((20, 6)).astype("float32"),
        y_test=rng.integers(0, 3, 20),
    )
    result = check({"dataset": {"name": "npz", "path": "own.npz"}}, base_dir=tmp_path)
    assert result.ok, result.errors
    assert result.output == OutputLayer(3, "softmax", True)
    assert result.params is not None and result.params.total == 6 * 64 + 64 + 64 * 3 + 3


# ------------------------------------------------------------------ combinations Keras refuses


def test_reduce_on_plateau_with_a_schedule_is_an_error_before_any_run() -> None:
    schedule = {"kind": "cosine_decay", "initial_learning_rate": 0.01, "decay_steps": 100}
    plateau = {"reduce_lr_on_plateau": {"enabled": True}}
    assert errors({"optimizer": {"name": "adam", "learning_rate": schedule}, "training": plateau}) == [
        "training.reduce_lr_on_plateau.enabled: reduce-on-plateau can't lower a learning-rate schedule: "
        "use a fixed optimizer.learning_rate or turn reduce_lr_on_plateau off"
    ]
    assert errors({"optimizer": {"name": "adam", "learning_rate": 0.01}, "training": plateau}) == []


def test_orthogonal_bias_initializer_is_an_error_where_it_is_set() -> None:
    data = {"model": {"layers": [dense(8), dense(8, bias_initializer={"name": "orthogonal"})]}}
    assert errors(data) == [
        "model.layers[1].bias_initializer: orthogonal initializes weight matrices, not biases: use zeros"
    ]
    assert errors({"model": {"bias_initializer": {"name": "orthogonal"}}}) == [
        "model.bias_initializer: orthogonal initializes weight matrices, not biases: use zeros"
    ]
    assert errors({"model": {"kernel_initializer": {"name": "orthogonal"}}}) == []
