"""Pipelines: sparse IMDB equals dense IMDB, seeded runs repeat exactly, every epoch is reshuffled."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf
from enginekit import digits, train

from tuitrain import presets
from tuitrain.data import LoadedData, load_dataset
from tuitrain.engine.build import build_model
from tuitrain.engine.datasets import Reshuffle, encode_labels, make_pipelines, validation_batch_size
from tuitrain.spec.checks import check_experiment


def _imdb_experiment(*overrides: str):
    return presets.load(
        "imdb-seed", ["dataset.num_words=60", "training.epochs=2", "training.batch_size=32", *overrides]
    ).experiment


def _fit(exp, data, weights, *, sparse: bool, epochs: int = 2) -> dict[str, list[float]]:
    """Train ``exp`` on ``data`` from ``weights``, the multi-hot rows fed sparse or as a dense matrix."""
    if not sparse:
        data = dataclasses.replace(data, x_train=data.x_train.toarray(), x_val=data.x_val.toarray(), features="dense")
    check = check_experiment(exp)
    keras.utils.set_random_seed(0)
    built = build_model(exp, check.output, data.input_dim, sparse_features=sparse, seed=0)
    assert built.sparse_input is sparse
    built.export.set_weights(weights)
    pipes = make_pipelines(
        data,
        batch_size=exp.training.batch_size,
        shuffle=exp.training.shuffle,
        seed=0,
        label_format=built.label_format,
        output_units=built.output_units,
        sparse_input=built.sparse_input,
    )
    return built.model.fit(
        pipes.train, validation_data=pipes.val, epochs=epochs, callbacks=pipes.callbacks, verbose=0, shuffle=False
    ).history


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra",
    [
        [],
        ['model.kernel_regularizer={kind="l2", l2=0.01}', "training.shuffle=false"],
        ["model.layers[0].units=40"],  # a first layer multiplied in column blocks
    ],
)
def test_sparse_imdb_equals_dense_imdb(fake_imdb_dir, extra: list[str]) -> None:
    exp = _imdb_experiment(*extra)
    data = load_dataset(exp.dataset, data_dir=fake_imdb_dir, allow_download=False)
    assert data.features == "multi_hot"
    weights = build_model(exp, check_experiment(exp).output, 60, sparse_features=False, seed=5).export.get_weights()
    sparse = _fit(exp, data, weights, sparse=True)
    dense = _fit(exp, data, weights, sparse=False)
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        np.testing.assert_allclose(sparse[key], dense[key], rtol=0, atol=1e-6, err_msg=key)
    assert sparse["loss"][1] < sparse["loss"][0]  # it learnt something: the comparison is not of constants


@pytest.mark.slow
def test_sparse_pipeline_equals_plain_keras_on_the_dense_matrix(fake_imdb_dir) -> None:
    """The seed's formulation (a dense 0/1 matrix into plain ``model.fit``) gives the same losses."""
    exp = _imdb_experiment("training.shuffle=false")
    data = load_dataset(exp.dataset, data_dir=fake_imdb_dir, allow_download=False)
    weights = build_model(exp, check_experiment(exp).output, 60, sparse_features=False, seed=5).export.get_weights()
    ours = _fit(exp, data, weights, sparse=True)
    plain = keras.Sequential(
        [
            keras.Input((60,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    plain.set_weights(weights)
    plain.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    seed = plain.fit(
        data.x_train.toarray(),
        data.y_train.astype("float32"),
        batch_size=32,
        epochs=2,
        shuffle=False,
        validation_data=(data.x_val.toarray(), data.y_val.astype("float32")),
        verbose=0,
    ).history
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(ours[key], seed[key], rtol=0, atol=1e-5, err_msg=key)


@pytest.mark.slow
def test_same_seed_same_history() -> None:
    exp = digits("training.epochs=2", 'model.layers=[{kind="dense", units=32}, {kind="dropout", rate=0.3}]')
    first, second = train(exp), train(exp)
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        np.testing.assert_allclose(first.history[key], second.history[key], rtol=0, atol=1e-6, err_msg=key)
    other = train(exp.model_copy(update={"training": exp.training.model_copy(update={"seed": 1})}))
    assert other.history["loss"] != first.history["loss"]


def test_reshuffle_orders_are_seeded_and_differ_per_epoch() -> None:
    exp = digits()
    data = load_dataset(exp.dataset)
    pipes = make_pipelines(
        data, batch_size=64, shuffle=True, seed=3, label_format="sparse", output_units=10, sparse_input=False
    )
    (reshuffle,) = pipes.callbacks
    assert isinstance(reshuffle, Reshuffle)
    orders = [reshuffle.order(epoch) for epoch in range(3)]
    assert all(sorted(o) == list(range(data.train_size)) for o in orders)
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    again = make_pipelines(
        data, batch_size=64, shuffle=True, seed=3, label_format="sparse", output_units=10, sparse_input=False
    )
    assert np.array_equal(again.callbacks[0].order(2), orders[2])

    def labels(ds):
        return np.concatenate([y.numpy() for _, y in ds])

    epoch0 = labels(pipes.train)
    assert np.array_equal(epoch0, data.y_train[orders[0]])
    reshuffle.on_epoch_begin(1)
    assert np.array_equal(labels(pipes.train), data.y_train[orders[1]])
    assert np.array_equal(labels(pipes.val), data.y_val)  # validation stays in order


def _multi_hot_data(rows: int, width: int, empty: list[int]) -> LoadedData:
    rng = np.random.default_rng(4)
    x = sp.random(rows, width, density=0.3, format="csr", random_state=5, dtype=np.float32)
    keep = np.ones(rows, dtype=np.float32)
    keep[empty] = 0.0
    x = (sp.diags(keep) @ x).tocsr()
    x.eliminate_zeros()
    x.data[:] = 1.0
    return LoadedData(
        x_train=x,
        y_train=rng.integers(0, 2, rows),
        x_val=x[: rows // 2],
        y_val=rng.integers(0, 2, rows // 2),
        num_classes=2,
        input_dim=width,
        features="multi_hot",
        label_names=None,
        description="random multi-hot",
    )


@pytest.mark.parametrize("shuffle", [False, True])
def test_sparse_batches_hold_the_rows_of_the_epochs_order(shuffle: bool) -> None:
    """Empty rows included: in stored order, batch 1 (rows 4-7) and the last (20-23) have no ones at all."""
    data = _multi_hot_data(24, 37, [0, 4, 5, 6, 7, 13, 20, 21, 22, 23])
    pipes = make_pipelines(
        data, batch_size=4, shuffle=shuffle, seed=2, label_format="binary", output_units=1, sparse_input=True
    )
    y = encode_labels(data.y_train, "binary", 1)
    for epoch in (0, 1):
        order = np.arange(24)
        if shuffle:
            (reshuffle,) = pipes.callbacks
            reshuffle.on_epoch_begin(epoch)
            order = reshuffle.order(epoch)
        batches = list(pipes.train)
        assert len(batches) == pipes.steps_per_epoch == 6
        for k, (features, labels) in enumerate(batches):
            rows = order[4 * k : 4 * k + 4]
            assert isinstance(features, tf.SparseTensor)
            np.testing.assert_array_equal(tf.sparse.to_dense(features).numpy(), data.x_train[rows].toarray())
            np.testing.assert_array_equal(labels.numpy(), y[rows])
    (val_features, _), *more = list(pipes.val)
    assert not more
    np.testing.assert_array_equal(tf.sparse.to_dense(val_features).numpy(), data.x_val.toarray())


def test_an_iterator_made_before_the_epoch_begins_reads_the_epochs_order() -> None:
    """Keras makes the next epoch's iterator at the end of an epoch when fit gets steps_per_epoch."""
    data = _multi_hot_data(24, 37, [])
    pipes = make_pipelines(
        data, batch_size=4, shuffle=True, seed=2, label_format="binary", output_units=1, sparse_input=True
    )
    (reshuffle,) = pipes.callbacks
    iterator = iter(pipes.train)
    reshuffle.on_epoch_begin(1)
    labels = np.concatenate([y.numpy() for _, y in iterator])
    np.testing.assert_array_equal(labels, encode_labels(data.y_train, "binary", 1)[reshuffle.order(1)])


def test_validation_batches_are_large_but_never_smaller_than_training_batches() -> None:
    data = load_dataset(digits().dataset)
    assert validation_batch_size(data, 32, as_sparse=False) == data.val_size
    assert validation_batch_size(data, 100_000, as_sparse=False) == 100_000


def test_label_encodings() -> None:
    y = np.array([0, 2, 1])
    assert encode_labels(y, "binary", 1).tolist() == [[0.0], [2.0], [1.0]]
    assert encode_labels(y, "sparse", 3).dtype == np.int32
    assert encode_labels(y, "one_hot", 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
