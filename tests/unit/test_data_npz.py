"""A user's own .npz: what is accepted, and a one-line error for everything that isn't."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datafiles import write_fake_user_npz

from tuitrain.data import DataError, describe, load_dataset
from tuitrain.data.npzfile import load_arrays, read_headers
from tuitrain.spec import NpzDataset


def _good(n_train: int = 6, n_test: int = 4, features: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.normal(size=(n_train, features)).astype(np.float32),
        "y_train": np.arange(n_train) % 3,
        "x_test": rng.normal(size=(n_test, features)).astype(np.float32),
        "y_test": np.arange(n_test) % 3,
    }


def _save(tmp_path: Path, **arrays: Any) -> Path:
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return path


def _both(path: Path, match: str) -> None:
    """load_dataset and describe both fail with the message (describe only for header-level problems)."""
    with pytest.raises(DataError, match=match) as info:
        load_dataset(NpzDataset(path=str(path)))
    assert "\n" not in str(info.value)


def _errors_in_describe_too(path: Path, match: str) -> None:
    _both(path, match)
    with pytest.raises(DataError, match=match):
        describe(NpzDataset(path=str(path)))


def test_missing_file(tmp_path: Path) -> None:
    _errors_in_describe_too(tmp_path / "nope.npz", r"data file .*nope.npz not found: check dataset.path")


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    path.write_text("x,y\n1,2\n")
    _errors_in_describe_too(path, r"is not an .npz file \(not a zip archive\): save it with numpy.savez")


def test_a_folder(tmp_path: Path) -> None:
    (tmp_path / "d.npz").mkdir()
    _errors_in_describe_too(tmp_path / "d.npz", "is a folder")


def test_missing_keys_are_named(tmp_path: Path) -> None:
    arrays = _good()
    path = _save(tmp_path, x_train=arrays["x_train"], y_train=arrays["y_train"], X_test=arrays["x_test"])
    _errors_in_describe_too(path, r"lacks x_test, y_test \(it has X_test, x_train, y_train\)")


def test_length_mismatch(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_train"] = arrays["y_train"][:5]
    _errors_in_describe_too(_save(tmp_path, **arrays), "x_train has 6 samples but y_train has 5 labels")


def test_feature_count_mismatch(tmp_path: Path) -> None:
    arrays = _good()
    arrays["x_test"] = np.zeros((4, 5), np.float32)
    _errors_in_describe_too(_save(tmp_path, **arrays), "x_train has 3 features per sample but x_test has 5")


def test_non_numeric_x(tmp_path: Path) -> None:
    arrays = _good()
    arrays["x_train"] = np.array([["a", "b", "c"]] * 6)
    _errors_in_describe_too(_save(tmp_path, **arrays), r"x_train holds <U1 values, not numbers: save numeric arrays")


def test_object_x_is_refused_without_unpickling(tmp_path: Path) -> None:
    arrays = _good()
    ragged = np.empty(6, dtype=object)
    ragged[:] = [[1.0, 2.0]] * 3 + [[1.0]] * 3
    arrays["x_train"] = ragged
    _errors_in_describe_too(_save(tmp_path, **arrays), r"x_train holds objects \(ragged or mixed values\)")


def test_non_integer_labels(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_train"] = np.array([0, 1, 0.5, 2, 1, 0])
    _errors_in_describe_too(_save(tmp_path, **arrays), r"y_train holds non-integer labels \(e.g. 0.5\)")


def test_text_labels(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_test"] = np.array(["cat", "dog", "cat", "dog"])
    _errors_in_describe_too(_save(tmp_path, **arrays), "y_test holds <U3 values: labels must be integer class ids")


def test_negative_labels(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_train"] = np.array([-1, 1, -1, 1, -1, 1])
    _errors_in_describe_too(_save(tmp_path, **arrays), r"negative labels \(e.g. -1\)")


def test_single_class(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_train"] = np.full(6, 4)
    _errors_in_describe_too(
        _save(tmp_path, **arrays), r"y_train has only one class \(4\): a classifier needs at least 2"
    )


def test_nan_in_x(tmp_path: Path) -> None:
    arrays = _good()
    arrays["x_test"][2, 1] = np.nan
    arrays["x_test"][3, 0] = np.inf
    _both(_save(tmp_path, **arrays), r"x_test contains NaN or infinite values \(2 samples, the first at index 2\)")


def test_no_samples(tmp_path: Path) -> None:
    arrays = _good()
    arrays["x_train"], arrays["y_train"] = np.zeros((0, 3), np.float32), np.zeros(0, np.int64)
    _errors_in_describe_too(_save(tmp_path, **arrays), "x_train has no samples")


def test_accepted_label_forms(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_train"] = np.eye(5, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]  # one-hot, 5 columns
    arrays["y_test"] = np.array([[0.0], [1.0], [2.0], [1.0]])  # one column of float class ids
    path = _save(tmp_path, **arrays)
    data = load_dataset(NpzDataset(path=str(path)))
    np.testing.assert_array_equal(data.y_train, [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(data.y_val, [0, 1, 2, 1])
    assert data.y_train.dtype == np.int64
    assert data.num_classes == 5  # the one-hot width, though only 3 classes occur
    assert describe(NpzDataset(path=str(path))).num_classes == 5


def test_class_count_covers_test_labels(tmp_path: Path) -> None:
    arrays = _good()
    arrays["y_test"] = np.array([0, 1, 2, 6])
    assert load_dataset(NpzDataset(path=str(_save(tmp_path, **arrays)))).num_classes == 7


def test_bool_x_and_integer_x(tmp_path: Path) -> None:
    arrays = _good()
    arrays["x_train"] = arrays["x_train"] > 0
    arrays["x_test"] = (arrays["x_test"] > 0).astype(np.int16)
    data = load_dataset(NpzDataset(path=str(_save(tmp_path, **arrays))))
    assert data.x_train.dtype == np.float32 and set(np.unique(data.x_train)) <= {0.0, 1.0}


def test_compressed_npz_and_higher_dimensional_x(tmp_path: Path) -> None:
    arrays = _good()
    arrays["x_train"] = np.zeros((6, 2, 2, 3), np.float64)
    arrays["x_test"] = np.ones((4, 2, 2, 3), np.float64)
    path = tmp_path / "c.npz"
    np.savez_compressed(path, **arrays)
    assert describe(NpzDataset(path=str(path))).input_dim == 12
    assert load_dataset(NpzDataset(path=str(path))).x_val.shape == (4, 12)


def test_absolute_path_ignores_base_dir(tmp_path: Path) -> None:
    path = write_fake_user_npz(tmp_path / "abs.npz")
    data = load_dataset(NpzDataset(path=str(path)), base_dir=tmp_path / "elsewhere")
    assert data.train_size == 40


# --- the archive reader itself ---------------------------------------------------------------------


def test_read_headers_gives_shape_and_dtype(tmp_path: Path) -> None:
    path = _save(tmp_path, a=np.zeros((3, 4), np.uint8), b=np.arange(5))
    headers = read_headers(path)
    assert headers["a"].shape == (3, 4) and headers["a"].dtype == np.uint8
    assert headers["b"].shape == (5,)
    assert set(read_headers(path, ["a", "zzz"])) == {"a"}


def test_object_arrays_of_int_lists_load_when_allowed(tmp_path: Path) -> None:
    rows = np.empty(2, dtype=object)
    rows[:] = [[1, 2, 3], [4]]
    path = _save(tmp_path, rows=rows)
    assert load_arrays(path, ["rows"], allow_object=True)["rows"].tolist() == [[1, 2, 3], [4]]
    with pytest.raises(DataError, match="is an object array"):
        load_arrays(path, ["rows"])


def test_each_object_array_is_converted_before_the_next_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python int lists take several times the memory of the numbers: holding one split's at a time
    # is what keeps the IMDB load's peak down.
    from tuitrain.data import npzfile

    def rows(*lists: list[int]) -> np.ndarray:
        out = np.empty(len(lists), dtype=object)
        out[:] = list(lists)
        return out

    path = _save(tmp_path, a=rows([1, 2], [3]), n=np.arange(3), b=rows([4], [5, 6]))
    log: list[str] = []
    unpickle = npzfile._ArraysOnlyUnpickler.load

    def logged_unpickle(self: Any) -> Any:
        log.append("unpickle")
        return unpickle(self)

    def convert(name: str, array: np.ndarray) -> int:
        log.append(f"convert {name}")
        return sum(len(r) for r in array)

    monkeypatch.setattr(npzfile._ArraysOnlyUnpickler, "load", logged_unpickle)
    arrays = load_arrays(path, ["a", "n", "b"], allow_object=True, convert_object=convert)
    assert log == ["unpickle", "convert a", "unpickle", "convert b"]
    assert arrays["a"] == 3 and arrays["b"] == 3 and arrays["n"].tolist() == [0, 1, 2]


def test_object_arrays_with_other_objects_are_refused(tmp_path: Path) -> None:
    # Anything but numpy arrays and plain values would let a crafted file run code while loading.
    rows = np.empty(2, dtype=object)
    rows[:] = [datetime.date(2020, 1, 1), [1]]
    path = _save(tmp_path, rows=rows)
    with pytest.raises(DataError, match=r"refusing to load datetime.date"):
        load_arrays(path, ["rows"], allow_object=True)
