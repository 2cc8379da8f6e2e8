"""LoadedData -> tf.data pipelines of (features, labels) batches.

Training order: every epoch a fresh permutation of the samples from a NumPy generator seeded with the
run's seed (epoch e always gets the same permutation for the same seed), written into a TensorFlow
variable by :class:`Reshuffle` (a callback) at the start of the epoch; the pipeline's map function
gathers each batch's rows through it. (Keras' own ``fit(shuffle=True)`` on arrays replays one
permutation every epoch once ``set_random_seed`` was called, as of Keras 3.15 / TensorFlow 2.21; this
pipeline reshuffles every epoch, reproducibly.)

The order depends only on the seed and the sizes, not on the feature format: multi-hot data fed
sparsely and the same data fed as a dense matrix see exactly the same batches, which is what lets a
test prove the two formulations give the same losses.

Multi-hot rows (IMDB) stay in CSR form for the whole run (~35 MB for 25,000 reviews x 10,000 words
instead of 1 GB as dense float32), stored once in the data's own order. A training batch is made
from them in the graph with vector operations only (one ragged gather of the batch's rows, then the
index pairs, see :func:`_coo_indices`): about 1 ms per IMDB batch of 512 on two cores, on tf.data's
thread, while the previous batch trains. It is a ``tf.SparseTensor`` of ones; when the model's first
layer can't take a sparse batch it is densified per batch (512 x 10,000 floats, 20 MB), never for the
whole data set.

Validation batches never change, and are larger than training batches: fewer steps, and the mean
loss over the validation set does not depend on how it is batched. Sparse ones are assembled once
and kept (about the CSR's own memory).

Measured for IMDB on two cores, what an epoch costs besides the training steps: making the training
iterator instantiates the map function (~10 ms; Keras makes one per epoch when ``fit`` gets
``steps_per_epoch``, two otherwise), and tf.data's autotuning, left on, stalled a third of the
epochs by up to 160 ms (see :func:`_without_autotuning`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from tuitrain.data import LoadedData
from tuitrain.engine.build import LabelFormat

VAL_BATCH_BYTES = 64 * 2**20
"""Dense validation batches hold at most this many bytes of features (at least one training batch)."""
VAL_SPARSE_ROWS = 4096
"""Rows per sparse validation batch."""
PREFETCH = 2
"""Batches made ahead of the training step (on another thread)."""


def encode_labels(y: np.ndarray, fmt: LabelFormat, units: int) -> np.ndarray:
    """Integer class ids -> what the loss expects: a float 0/1 column, int ids, or one-hot float rows."""
    y = np.asarray(y).reshape(-1)
    if fmt == "binary":
        return y.astype(np.float32).reshape(-1, 1)
    if fmt == "sparse":
        return y.astype(np.int32)
    return np.eye(units, dtype=np.float32)[y.astype(np.int64)]


def _coo_indices(splits: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    """CSR rows (``splits``, int32 column ids ``cols``) -> the ``[n, 2]`` int64 ``[row, column]`` pairs.

    The obvious ways, ``tf.stack([rows, cols], axis=1)`` or a concat, copy element by element and
    measured 2-3 times slower per IMDB batch than everything else in the batch together (as did row
    ids from ``row_splits_to_segment_ids`` or a cumulative sum). Here the row ids come from
    ``RaggedTensorToSparse`` (one kernel) and each pair is built in one int64 as ``column << 32 | row``,
    whose two 32-bit halves, read as int32, are the pair: vector arithmetic only.
    """
    positions, _, _ = tf.raw_ops.RaggedTensorToSparse(rt_nested_splits=[splits], rt_dense_values=cols)
    packed = tf.bitwise.left_shift(tf.cast(cols, tf.int64), 32) + positions[:, 0]
    pairs = tf.reshape(tf.bitcast(packed, tf.int32), [-1, 2])
    if sys.byteorder == "big":
        pairs = tf.reverse(pairs, axis=[1])  # the high half (the column) comes first there
    return tf.cast(pairs, tf.int64)


class _Rows:
    """The samples of one split in some order, held in TensorFlow variables, sliced per batch.

    The features are stored once, in the data's own order; a new order only replaces the permutation
    vector, and a batch gathers its rows: dense rows with ``tf.gather``, CSR rows with one ragged
    gather (their column ids, with row splits) turned into the ``[row, column]`` index pairs of a
    ``tf.SparseTensor`` by :func:`_coo_indices`.
    """

    def __init__(self, x: Any, y: np.ndarray, batch_size: int, as_sparse: bool) -> None:
        self.n = int(x.shape[0])
        self.width = int(x.shape[1])
        self.batch_size = batch_size
        self.sparse = sp.issparse(x)
        self.as_sparse = as_sparse
        self.shuffled = False
        self._vars: dict[str, tf.Variable] = {}
        if self.sparse:
            csr = sp.csr_matrix(x)
            if not csr.has_sorted_indices:  # batches then hold their nonzeros in row-major order
                csr = csr.sorted_indices()
            self._assign("indptr", csr.indptr.astype(np.int64))
            self._assign("cols", csr.indices.astype(np.int32))
        else:
            self._assign("x", np.asarray(x, dtype=np.float32))
        self._assign("y", y)
        self.set_order(None)

    def _assign(self, name: str, value: np.ndarray) -> None:
        if name not in self._vars:
            self._vars[name] = tf.Variable(value, trainable=False, name=name)
        else:
            self._vars[name].assign(value)

    def set_order(self, order: np.ndarray | None) -> None:
        """Put the samples in ``order`` (None: as they are) for the next pass."""
        if order is not None:
            self.shuffled = True
        elif not self.sparse:
            return  # dense batches in stored order are plain slices
        self._assign("order", (np.arange(self.n) if order is None else order).astype(np.int64))

    @property
    def steps(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def batch(self, k: tf.Tensor) -> tuple[Any, tf.Tensor]:
        """Batch ``k`` of the current order: ``batch_size`` consecutive samples of it (fewer at the end).

        Sparse features come as a ``tf.SparseTensor`` here, even when the model needs them dense.
        """
        v = self._vars
        a = k * self.batch_size
        b = tf.minimum(a + self.batch_size, self.n)
        if not self.sparse:
            if self.shuffled:
                rows = v["order"][a:b]
                return tf.gather(v["x"], rows), tf.gather(v["y"], rows)
            return v["x"][a:b], v["y"][a:b]
        rows = v["order"][a:b]
        (splits,), cols = tf.raw_ops.RaggedGather(
            params_nested_splits=[v["indptr"]], params_dense_values=v["cols"], indices=rows, OUTPUT_RAGGED_RANK=1
        )
        features = tf.SparseTensor(
            _coo_indices(splits, cols),
            tf.ones(tf.shape(cols)[:1], tf.float32),
            tf.stack([b - a, tf.constant(self.width, tf.int64)]),
        )
        return features, tf.gather(v["y"], rows)

    def _densify(self, x: Any, y: tf.Tensor) -> tuple[Any, tf.Tensor]:
        return tf.sparse.to_dense(x, validate_indices=False), y

    def dataset(self) -> tf.data.Dataset:
        """Batches 0..k-1 of the current order, made as they are read."""
        # A sequential map: on two cores a parallel one competes with the training step and is slower.
        out = tf.data.Dataset.range(self.steps).map(self.batch)
        return out.map(self._densify) if self.sparse and not self.as_sparse else out

    def fixed_dataset(self) -> tf.data.Dataset:
        """The sparse batches of the current order, made now and kept (a split that is never reshuffled).

        They take about the memory of the CSR matrix itself. Each pass then reads batches that are
        already assembled and starts without instantiating a map function, which costs about 10 ms
        per iterator (every epoch) on two cores. Densified batches (when the model needs them) are
        still made as they are read: kept, they would take the dense matrix's memory.
        """
        if not self.sparse or self.steps == 0:
            return self.dataset()
        batches = [self.batch(tf.constant(k, tf.int64)) for k in range(self.steps)]
        out = tf.data.Dataset.from_tensors(batches[0])
        for batch in batches[1:]:
            out = out.concatenate(tf.data.Dataset.from_tensors(batch))
        return out if self.as_sparse else out.map(self._densify)


class Reshuffle(keras.callbacks.Callback):
    """Gives every epoch its own permutation of the training samples (seeded), before it starts.

    Must be in the ``fit`` callbacks of the pipeline it belongs to. The pipeline reads the order when
    it makes a batch, and an iterator makes none before it is first read: that happens after
    ``on_epoch_begin``, also when Keras made the iterator at the end of the previous epoch (as it does
    when ``fit`` gets ``steps_per_epoch``). A test checks this.
    """

    def __init__(self, rows: _Rows, seed: int | None) -> None:
        super().__init__()
        self.rows = rows
        self.seed = seed
        self._prepared = 0
        # Epoch 0's order goes in now: it must be in place before the pipeline is built.
        rows.set_order(self.order(0))

    def order(self, epoch: int) -> np.ndarray:
        """The permutation epoch ``epoch`` (0-based) uses: a pure function of the seed and the epoch."""
        rng = np.random.default_rng([self.seed if self.seed is not None else 0, epoch])
        return rng.permutation(self.rows.n)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Write this epoch's order into the pipeline's variables (epoch 0's is there already)."""
        if epoch != self._prepared:
            self.rows.set_order(self.order(epoch))
            self._prepared = epoch


@dataclass
class Pipelines:
    """Training and validation batches, how many an epoch has, and the callbacks ``fit`` needs for them."""

    train: tf.data.Dataset
    val: tf.data.Dataset
    steps_per_epoch: int
    val_steps: int
    callbacks: list[keras.callbacks.Callback]


def validation_batch_size(data: LoadedData, batch_size: int, as_sparse: bool) -> int:
    """Rows per validation batch: as many as fit the budget, never fewer than a training batch."""
    if data.features == "multi_hot" and as_sparse:
        rows = VAL_SPARSE_ROWS
    else:
        rows = VAL_BATCH_BYTES // (4 * max(1, data.input_dim))
    return max(batch_size, min(rows, data.val_size))


def _without_autotuning(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with tf.data's autotuning off (a fixed prefetch buffer needs none).

    With it on, deleting an iterator can wait for the autotuning thread to wake up. Keras drops the
    training iterator at the start of every epoch and the validation iterator at its end: on two
    cores that stalled a third of the IMDB epochs by 40-160 ms each.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def make_pipelines(
    data: LoadedData,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int | None,
    label_format: LabelFormat,
    output_units: int,
    sparse_input: bool,
) -> Pipelines:
    """Training (reshuffled every epoch when asked) and validation (in order) pipelines.

    ``sparse_input``: feed multi-hot batches as ``tf.SparseTensor`` (the model's first layer takes
    them); otherwise they are densified per batch. Dense data is always fed dense. Pass
    ``pipelines.callbacks`` to ``fit``: they do the reshuffling. Passing
    ``steps_per_epoch=pipelines.steps_per_epoch`` too saves one iterator per epoch.
    """
    y_train = encode_labels(data.y_train, label_format, output_units)
    y_val = encode_labels(data.y_val, label_format, output_units)
    train_rows = _Rows(data.x_train, y_train, batch_size, sparse_input)
    callbacks: list[keras.callbacks.Callback] = []
    if shuffle and train_rows.n > 1:
        callbacks.append(Reshuffle(train_rows, seed))
    val_batch = validation_batch_size(data, batch_size, sparse_input)
    val_rows = _Rows(data.x_val, y_val, val_batch, sparse_input)
    return Pipelines(
        train=_without_autotuning(train_rows.dataset().prefetch(PREFETCH)),
        val=_without_autotuning(val_rows.fixed_dataset().prefetch(PREFETCH)),
        steps_per_epoch=math.ceil(data.train_size / batch_size),
        val_steps=math.ceil(data.val_size / val_batch),
        callbacks=callbacks,
    )
