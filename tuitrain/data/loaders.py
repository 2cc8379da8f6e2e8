"""One reader per data set: raw train and test splits plus what they mean, before subsets and scaling."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tuitrain.data.datatypes import Features, Matrix
from tuitrain.data.download import ProgressCallback
from tuitrain.data.errors import DataError
from tuitrain.data.idx import read_idx_images, read_idx_labels
from tuitrain.data.locate import locate_dataset
from tuitrain.data.npzfile import array_names, load_arrays
from tuitrain.data.sources import FASHION_MNIST_LABELS, IMDB_LABELS, MNIST_LABELS
from tuitrain.data.usernpz import load_npz_dataset, resolve_path

DIGITS_SPLIT_SEED = 0


@dataclass(frozen=True, eq=False)
class Splits:
    """A data set's own train and test parts. ``x_test`` is None when the caller said it isn't needed."""

    x_train: Matrix
    y_train: np.ndarray
    x_test: Matrix | None
    y_test: np.ndarray | None
    num_classes: int
    input_dim: int
    features: Features
    label_names: list[str] | None
    title: str
    normalize_by: float | None = None
    """What ``normalize`` divides by (None: the training data's largest absolute value)."""


@dataclass(frozen=True)
class LoadContext:
    """Where to look for files and whether to download them, plus what the caller needs."""

    data_dir: str | os.PathLike[str] | None = None
    allow_download: bool = True
    base_dir: Path | None = None
    need_test: bool = True
    progress: ProgressCallback | None = None


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def _ids(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).reshape(-1).astype(np.int64)


def _keras_npz(path: Path, what: str, convert_object: Callable[[str, np.ndarray], Any] | None = None) -> dict[str, Any]:
    names = ["x_train", "y_train", "x_test", "y_test"]
    missing = [n for n in names if n not in array_names(path)]
    if missing:
        raise DataError(
            f"{path} is not the Keras {what} file (no {', '.join(missing)}): delete it so it is downloaded "
            "again, or replace it"
        )
    return load_arrays(path, names, allow_object=(what == "imdb.npz"), convert_object=convert_object)


def _check_lengths(path: Path, arrays: dict[str, Any], num_classes: int | None = None) -> None:
    for split in ("train", "test"):
        nx, ny = len(arrays[f"x_{split}"]), len(arrays[f"y_{split}"])
        if nx != ny:
            raise DataError(f"{path} is damaged: x_{split} has {nx} samples but y_{split} has {ny}: replace it")
        labels = np.asarray(arrays[f"y_{split}"])
        if num_classes is not None and len(labels) and not 0 <= labels.min() <= labels.max() < num_classes:
            raise DataError(f"{path} is damaged: y_{split} has labels outside 0..{num_classes - 1}: replace it")


def _image_splits(where: Path, arrays: dict[str, np.ndarray], label_names: Any, title: str) -> Splits:
    """Splits of a 28x28 uint8 image data set with labels 0..9 (MNIST and Fashion-MNIST alike)."""
    _check_lengths(where, arrays, num_classes=10)
    x_train = _flat(arrays["x_train"])
    return Splits(
        x_train,
        _ids(arrays["y_train"]),
        _flat(arrays["x_test"]),
        _ids(arrays["y_test"]),
        num_classes=10,
        input_dim=x_train.shape[1],
        features="dense",
        label_names=label_names,
        title=title,
        normalize_by=255.0,
    )


def load_mnist(spec: Any, ctx: LoadContext) -> Splits:
    """MNIST from the Keras ``mnist.npz`` (uint8 28x28 images, labels 0..9)."""
    path = locate_dataset("mnist", ctx.data_dir, ctx.allow_download, progress=ctx.progress)
    return _image_splits(path, _keras_npz(path, "mnist.npz"), MNIST_LABELS, "MNIST")


def load_fashion_mnist(spec: Any, ctx: LoadContext) -> Splits:
    """Fashion-MNIST from the four gzipped IDX files Keras downloads."""
    folder = locate_dataset("fashion_mnist", ctx.data_dir, ctx.allow_download, progress=ctx.progress)
    arrays = {
        "x_train": read_idx_images(folder / "train-images-idx3-ubyte.gz"),
        "y_train": read_idx_labels(folder / "train-labels-idx1-ubyte.gz"),
        "x_test": read_idx_images(folder / "t10k-images-idx3-ubyte.gz"),
        "y_test": read_idx_labels(folder / "t10k-labels-idx1-ubyte.gz"),
    }
    return _image_splits(folder, arrays, FASHION_MNIST_LABELS, "Fashion-MNIST")


def load_digits(spec: Any, ctx: LoadContext) -> Splits:
    """scikit-learn's 8x8 digits, split stratified and reproducibly (random_state 0) by ``test_fraction``."""
    # Imported here: scikit-learn takes a second to import and only this data set needs it.
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data,
        bunch.target,
        test_size=spec.test_fraction,
        stratify=bunch.target,
        random_state=DIGITS_SPLIT_SEED,
    )
    return Splits(
        x_train,
        _ids(y_train),
        x_test,
        _ids(y_test),
        num_classes=10,
        input_dim=x_train.shape[1],
        features="dense",
        label_names=MNIST_LABELS,
        title="digits (scikit-learn)",
        normalize_by=16.0,  # pixel values are 0..16
    )


def load_imdb(spec: Any, ctx: LoadContext) -> Splits:
    """IMDB from the Keras ``imdb.npz``, processed like ``keras.datasets.imdb.load_data(num_words=N)``.

    A file whose every review already starts with the start mark 1 was saved *after* Keras' processing
    (e.g. a prepared subset); shifting its indices again would garble it, so it is used as stored, only
    cut to ``num_words``.
    """
    from tuitrain.data.imdb import Sequences, cut_vocabulary, keras_imdb, multi_hot

    path = locate_dataset("imdb", ctx.data_dir, ctx.allow_download, progress=ctx.progress)

    def to_sequences(name: str, reviews: np.ndarray) -> Sequences:
        try:
            return Sequences.from_lists(reviews)
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(f"{path}: the reviews are not lists of word indices ({exc}): replace the file") from exc

    raw = _keras_npz(path, "imdb.npz", convert_object=to_sequences)
    for name in ("x_train", "x_test"):
        if not isinstance(raw[name], Sequences):  # stored as a plain 2-D array of word indices
            raw[name] = to_sequences(name, raw[name])
    _check_lengths(path, raw, num_classes=2)
    y_train, y_test = _ids(raw["y_train"]), _ids(raw["y_test"])
    num_words = spec.num_words
    encoded = raw["x_train"].starts_with(1) and raw["x_test"].starts_with(1)
    if encoded:
        x_train, x_test = (cut_vocabulary(raw[name], num_words) for name in ("x_train", "x_test"))
    else:
        (x_train, y_train), (x_test, y_test) = keras_imdb(
            raw["x_train"], y_train, raw["x_test"], y_test, num_words=num_words
        )
    title = f"IMDB, {num_words:,} words" + (" (file already encoded, used as stored)" if encoded else "")
    return Splits(
        multi_hot(x_train, num_words),
        y_train,
        multi_hot(x_test, num_words) if ctx.need_test else None,
        y_test if ctx.need_test else None,
        num_classes=2,
        input_dim=num_words,
        features="multi_hot",
        label_names=IMDB_LABELS,
        title=title,
    )


def load_user_npz(spec: Any, ctx: LoadContext) -> Splits:
    """The user's own .npz file (path relative to the preset's folder)."""
    path = resolve_path(spec.path, ctx.base_dir)
    data = load_npz_dataset(path)
    return Splits(
        data.x_train,
        data.y_train,
        data.x_test,
        data.y_test,
        num_classes=data.num_classes,
        input_dim=data.x_train.shape[1],
        features="dense",
        label_names=None,
        title=f"{path.name}",
        normalize_by=255.0 if data.x_train.dtype == np.uint8 else None,
    )


LOADERS = {
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "digits": load_digits,
    "imdb": load_imdb,
    "npz": load_user_npz,
}
"""Spec ``dataset.name`` -> reader."""
