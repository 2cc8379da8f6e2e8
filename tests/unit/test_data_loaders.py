"""Each data set loads from fake files in the real formats; scaling, subsets, holdout and describe()."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from datafiles import (
    FASHION_FILES,
    write_fake_fashion_mnist_gz,
    write_fake_imdb_npz,
    write_fake_keras_cache,
    write_fake_mnist_npz,
    write_fake_user_npz,
)

from tuitrain.data import DataError, DatasetInfo, describe, load_dataset
from tuitrain.data.scaling import feature_stats, scale_features
from tuitrain.spec import DigitsDataset, FashionMnistDataset, ImdbDataset, MnistDataset, NpzDataset


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh home folder: the real ~/.keras/datasets must never be searched by tests."""
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A --data-dir holding fake mnist.npz (60/20), imdb.npz (50/30) and fashion-mnist/ (60/20)."""
    return write_fake_keras_cache(tmp_path / "keras")


def _raw_mnist(data_dir: Path) -> dict[str, np.ndarray]:
    with np.load(data_dir / "mnist.npz") as f:
        return {k: f[k] for k in f.files}


# --- MNIST and Fashion-MNIST -----------------------------------------------------------------------


def test_mnist_loads_flattened_float32_and_normalized(data_dir: Path) -> None:
    data = load_dataset(MnistDataset(), data_dir=data_dir)
    raw = _raw_mnist(data_dir)
    assert data.x_train.dtype == np.float32 and data.x_train.shape == (60, 784)
    np.testing.assert_array_equal(data.x_train, raw["x_train"].reshape(60, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(data.x_val, raw["x_test"].reshape(20, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(data.y_train, raw["y_train"])
    assert data.y_train.dtype == np.int64 and data.y_train.ndim == 1
    assert (data.num_classes, data.input_dim, data.features) == (10, 784, "dense")
    assert data.label_names == [str(i) for i in range(10)]
    assert data.label_kind == "multiclass"
    assert data.description.startswith("MNIST: 60 training and 20 validation samples (test split)")


def test_mnist_from_keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    write_fake_mnist_npz(tmp_path / "kh" / "datasets" / "mnist.npz", n_train=12, n_test=8)
    assert load_dataset(MnistDataset()).train_size == 12


def test_mnist_file_without_the_keras_arrays_is_an_error(tmp_path: Path) -> None:
    np.savez(tmp_path / "mnist.npz", images=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"not the Keras mnist.npz file \(no x_train, y_train, x_test, y_test\)"):
        load_dataset(MnistDataset(), data_dir=tmp_path)


@pytest.mark.parametrize("keras_layout", [True, False])
def test_fashion_mnist_reads_idx_files(tmp_path: Path, keras_layout: bool) -> None:
    write_fake_fashion_mnist_gz(tmp_path, n_train=30, n_test=10, seed=3, keras_layout=keras_layout)
    data = load_dataset(FashionMnistDataset(scaling="none"), data_dir=tmp_path)
    assert data.x_train.shape == (30, 784) and data.x_val.shape == (10, 784)
    assert data.x_train.max() > 1  # raw 0..255 pixels with scaling none
    assert data.label_names[9] == "Ankle boot"
    assert sorted(set(data.y_train.tolist())) == list(range(10))


def test_damaged_idx_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_fake_fashion_mnist_gz(tmp_path, n_train=10, n_test=10)
    (folder / FASHION_FILES["train_labels"]).write_bytes(b"not gzip")
    with pytest.raises(DataError, match="is not a readable gzip file"):
        load_dataset(FashionMnistDataset(), data_dir=tmp_path)


# --- digits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.25, 0.1, 0.5])
def test_digits_split_is_stratified_deterministic_and_matches_describe(fraction: float) -> None:
    spec = DigitsDataset(test_fraction=fraction, scaling="none")
    data = load_dataset(spec)
    info = describe(spec)
    assert (data.train_size, data.val_size) == (info.train_size, info.test_size)
    assert data.val_size == math.ceil(1797 * fraction)
    # Stratified: each digit's share of the test part is its share of the whole data set.
    totals = np.bincount(np.concatenate([data.y_train, data.y_val]), minlength=10)
    counts = np.bincount(data.y_val, minlength=10)
    assert np.abs(counts - totals * fraction).max() <= 1
    again = load_dataset(spec)
    np.testing.assert_array_equal(again.x_train, data.x_train)
    assert data.x_train.max() == 16.0


def test_digits_normalize_divides_by_16() -> None:
    raw = load_dataset(DigitsDataset(scaling="none"))
    scaled = load_dataset(DigitsDataset(scaling="normalize"))
    np.testing.assert_allclose(scaled.x_train, raw.x_train / 16)
    assert scaled.x_train.max() == 1.0


# --- IMDB ------------------------------------------------------------------------------------------


def test_imdb_is_sparse_multi_hot(data_dir: Path) -> None:
    data = load_dataset(ImdbDataset(num_words=100), data_dir=data_dir)
    assert isinstance(data.x_train, sp.csr_matrix) and isinstance(data.x_val, sp.csr_matrix)
    assert data.x_train.shape == (50, 100) and data.x_val.shape == (30, 100)
    assert data.x_train.dtype == np.float32
    assert set(np.unique(data.x_train.data).tolist()) == {1.0}
    dense = data.x_train.toarray()
    assert (dense[:, 0] == 0).all() and (dense[:, 1] == 1).all()  # never padding, always the start mark
    assert dense[:, 2].any()  # out-of-vocabulary words exist with only 100 of 300 words
    assert (data.features, data.input_dim, data.num_classes, data.label_kind) == ("multi_hot", 100, 2, "binary")
    assert data.label_names == ["negative", "positive"]


def test_imdb_holdout_and_subsets(data_dir: Path) -> None:
    full = load_dataset(ImdbDataset(num_words=100), data_dir=data_dir)
    spec = ImdbDataset(num_words=100, validation="holdout", holdout_fraction=0.25, train_subset=40, val_subset=5)
    data = load_dataset(spec, data_dir=data_dir)
    assert (data.train_size, data.val_size) == (30, 5)
    np.testing.assert_array_equal(data.x_train.toarray(), full.x_train[:30].toarray())
    np.testing.assert_array_equal(data.x_val.toarray(), full.x_train[30:35].toarray())
    np.testing.assert_array_equal(data.y_val, full.y_train[30:35])


def test_already_encoded_imdb_file_is_used_as_stored(tmp_path: Path) -> None:
    write_fake_imdb_npz(tmp_path / "imdb.npz", n_train=20, n_test=10, vocab=50, encoded=True)
    stored = np.load(tmp_path / "imdb.npz", allow_pickle=True)
    data = load_dataset(ImdbDataset(num_words=50), data_dir=tmp_path)
    expected = np.zeros((20, 50))
    for i, seq in enumerate(stored["x_train"]):
        expected[i, seq] = 1.0
    np.testing.assert_array_equal(data.x_train.toarray(), expected)
    np.testing.assert_array_equal(data.y_train, stored["y_train"])  # not reshuffled
    assert "already encoded" in data.description


def test_imdb_file_with_equal_length_reviews_as_a_plain_int_array(tmp_path: Path) -> None:
    # np.savez stores equal-length lists as a 2-D int array, not as an object array of lists.
    x = np.array([[5, 6, 7], [8, 9, 60]])
    np.savez(tmp_path / "imdb.npz", x_train=x, y_train=np.array([0, 1]), x_test=x[:1], y_test=np.array([1]))
    data = load_dataset(ImdbDataset(num_words=20), data_dir=tmp_path)
    rows = {tuple(np.flatnonzero(r)) for r in data.x_train.toarray()}
    assert rows == {(1, 8, 9, 10), (1, 2, 11, 12)}  # start mark, index_from=3, 63 out of vocabulary -> 2


# --- user npz --------------------------------------------------------------------------------------


def test_npz_relative_to_base_dir_and_flattened(tmp_path: Path) -> None:
    write_fake_user_npz(tmp_path / "presets" / "my.npz", features=(4, 3), num_classes=3)
    data = load_dataset(NpzDataset(path="my.npz"), base_dir=tmp_path / "presets")
    assert data.x_train.shape == (40, 12) and data.x_val.shape == (20, 12)
    assert (data.num_classes, data.input_dim, data.label_names) == (3, 12, None)
    assert data.x_train.dtype == np.float32


# --- scaling ---------------------------------------------------------------------------------------


def test_scaling_modes_on_user_data(tmp_path: Path) -> None:
    path = write_fake_user_npz(tmp_path / "d.npz", features=5)
    with np.load(path) as f:
        x_train, x_test = f["x_train"].astype(np.float64), f["x_test"].astype(np.float64)
    none = load_dataset(NpzDataset(path=str(path), scaling="none"))
    np.testing.assert_allclose(none.x_train, x_train, rtol=1e-6)

    norm = load_dataset(NpzDataset(path=str(path), scaling="normalize"))
    peak = np.abs(x_train).max()
    np.testing.assert_allclose(norm.x_train, x_train / peak, rtol=1e-6)
    np.testing.assert_allclose(norm.x_val, x_test / peak, rtol=1e-6)  # training maximum, not the test one

    std = load_dataset(NpzDataset(path=str(path), scaling="standardize"))
    mean, sd = x_train.mean(axis=0), x_train.std(axis=0)
    np.testing.assert_allclose(std.x_train, (x_train - mean) / sd, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(std.x_val, (x_test - mean) / sd, rtol=1e-4, atol=1e-5)


def test_normalize_uint8_user_data_divides_by_255(tmp_path: Path) -> None:
    path = write_fake_user_npz(tmp_path / "d.npz", dtype="uint8")
    with np.load(path) as f:
        x_train = f["x_train"]
    data = load_dataset(NpzDataset(path=str(path), scaling="normalize"))
    np.testing.assert_allclose(data.x_train, x_train.astype(np.float32) / 255)


def test_standardize_uses_training_part_only_and_keeps_constant_pixels(data_dir: Path) -> None:
    spec = MnistDataset(scaling="standardize", validation="holdout", holdout_fraction=0.5)
    data = load_dataset(spec, data_dir=data_dir)
    raw = _raw_mnist(data_dir)["x_train"].reshape(60, 784).astype(np.float64)
    train, held = raw[:30], raw[30:]
    sd = train.std(axis=0)
    sd[sd == 0] = 1.0
    np.testing.assert_allclose(data.x_train, (train - train.mean(axis=0)) / sd, atol=1e-4)
    np.testing.assert_allclose(data.x_val, (held - train.mean(axis=0)) / sd, atol=1e-4)


def test_feature_stats_handles_constant_features_and_blocks() -> None:
    x = np.random.default_rng(0).normal(size=(20_000, 3)).astype(np.float32)  # more rows than one block
    x[:, 1] = 7.0
    mean, std = feature_stats(x)
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(std[[0, 2]], x.astype(np.float64).std(axis=0)[[0, 2]], rtol=1e-9)
    assert std[1] == 1.0
    scaled, _, _ = scale_features(x, x[:5], "standardize")
    assert (scaled[:, 1] == 0).all()


def test_scale_features_copies() -> None:
    x = np.ones((3, 2), np.float32)
    scaled, _, _ = scale_features(x, x, "normalize", 2.0)
    assert x[0, 0] == 1.0 and scaled[0, 0] == 0.5


# --- validation sources and subsets ----------------------------------------------------------------


def test_holdout_is_the_last_fraction_of_the_subsetted_train_set(data_dir: Path) -> None:
    spec = MnistDataset(scaling="none", validation="holdout", holdout_fraction=0.2, train_subset=30)
    data = load_dataset(spec, data_dir=data_dir)
    raw = _raw_mnist(data_dir)
    x = raw["x_train"].reshape(60, 784).astype(np.float32)
    assert (data.train_size, data.val_size) == (24, 6)  # floor(30 * 0.8) like Keras' validation_split
    np.testing.assert_array_equal(data.x_train, x[:24])
    np.testing.assert_array_equal(data.x_val, x[24:30])
    np.testing.assert_array_equal(data.y_val, raw["y_train"][24:30])
    assert "last 0.2 of the training data" in data.description


def test_subsets_take_the_first_samples(data_dir: Path) -> None:
    data = load_dataset(MnistDataset(scaling="none", train_subset=7, val_subset=3), data_dir=data_dir)
    raw = _raw_mnist(data_dir)
    np.testing.assert_array_equal(data.y_train, raw["y_train"][:7])
    np.testing.assert_array_equal(data.y_val, raw["y_test"][:3])
    big = load_dataset(MnistDataset(train_subset=10_000), data_dir=data_dir)
    assert big.train_size == 60


def test_holdout_that_leaves_nothing_is_an_error(data_dir: Path) -> None:
    with pytest.raises(DataError, match=r"holding out 0\.2 of 1 training samples leaves no training data"):
        load_dataset(MnistDataset(validation="holdout", train_subset=1), data_dir=data_dir)


# --- describe ----------------------------------------------------------------------------------------


def test_describe_builtins() -> None:
    assert describe(MnistDataset()) == DatasetInfo(784, 10, "multiclass", 60_000, 10_000)
    assert describe(FashionMnistDataset()) == DatasetInfo(784, 10, "multiclass", 60_000, 10_000)
    assert describe(DigitsDataset()) == DatasetInfo(64, 10, "multiclass", 1347, 450)
    assert describe(ImdbDataset(num_words=500)) == DatasetInfo(500, 2, "binary", 25_000, 25_000)


def test_describe_npz_reads_headers_and_labels_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tuitrain.data.usernpz as usernpz

    write_fake_user_npz(tmp_path / "d.npz", n_train=33, n_test=11, features=(2, 5), num_classes=4)
    read: list[str] = []
    real = usernpz.scan_array

    def spy(path: Path, name: str, visit: object) -> object:
        read.append(name)
        return real(path, name, visit)  # type: ignore[arg-type]

    monkeypatch.setattr(usernpz, "scan_array", spy)
    monkeypatch.setattr(usernpz, "load_arrays", None)  # nothing is loaded whole
    info = describe(NpzDataset(path="d.npz"), base_dir=tmp_path)
    assert info == DatasetInfo(10, 4, "multiclass", 33, 11)
    assert sorted(read) == ["y_test", "y_train"]


def test_describe_binary_npz(tmp_path: Path) -> None:
    write_fake_user_npz(tmp_path / "d.npz", num_classes=2, one_hot=True)
    assert describe(NpzDataset(path=str(tmp_path / "d.npz"))).label_kind == "binary"


def test_describe_npz_errors_reach_the_spec_checks(tmp_path: Path) -> None:
    from tuitrain.spec.info import DatasetShapeUnknown, dataset_shape

    with pytest.raises(DataError, match="not found"):
        describe(NpzDataset(path="missing.npz"), base_dir=tmp_path)
    with pytest.raises(DatasetShapeUnknown, match=r"missing\.npz"):
        dataset_shape(NpzDataset(path="missing.npz"), base_dir=tmp_path)
    write_fake_user_npz(tmp_path / "ok.npz", features=7, num_classes=5)
    shape = dataset_shape(NpzDataset(path="ok.npz"), base_dir=tmp_path)
    assert (shape.input_dim, shape.num_classes, shape.train_size) == (7, 5, 40)


def test_data_layer_never_imports_tensorflow_keras_or_textual(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_fake_user_npz(tmp_path / "d.npz")
    code = (
        "import sys\n"
        "from tuitrain.data import describe, load_dataset\n"
        "from tuitrain.spec import NpzDataset\n"
        f"describe(NpzDataset(path={str(path)!r}))\n"
        f"load_dataset(NpzDataset(path={str(path)!r}, scaling='standardize'))\n"
        "bad = [m for m in ('tensorflow', 'keras', 'textual', 'sklearn') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_builtin_file_with_impossible_labels_is_damaged(tmp_path: Path) -> None:
    write_fake_mnist_npz(tmp_path / "mnist.npz", n_train=10, n_test=10)
    with np.load(tmp_path / "mnist.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["y_test"][0] = 12
    np.savez(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DataError, match=r"mnist\.npz is damaged: y_test has labels outside 0\.\.9"):
        load_dataset(MnistDataset(), data_dir=tmp_path)
