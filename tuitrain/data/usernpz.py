"""A user's own ``.npz`` (x_train, y_train, x_test, y_test): checked shapes and labels, clear errors.

``x`` may have any shape with samples first (flattened to one row per sample); ``y`` holds integer
class ids ``0..K-1`` (1-D, or a single column) or one-hot rows (2-D, K columns; argmax is taken).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tuitrain.data.errors import DataError
from tuitrain.data.npzfile import ArrayHeader, array_names, load_arrays, read_headers, scan_array

REQUIRED_ARRAYS = ("x_train", "y_train", "x_test", "y_test")
_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float


@dataclass(frozen=True, eq=False)
class UserArrays:
    """A validated user data set: 2-D x, 1-D int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int


@dataclass(frozen=True)
class UserShape:
    """What :func:`describe_npz` finds: features per sample, classes, and split sizes."""

    input_dim: int
    num_classes: int
    train_size: int
    test_size: int


def resolve_path(path: str, base_dir: Path | None) -> Path:
    """``path`` as given when absolute, else relative to ``base_dir`` (the preset's folder) or the cwd."""
    p = Path(path).expanduser()
    if p.is_absolute() or base_dir is None:
        return p
    return Path(base_dir) / p


def _open_check(path: Path) -> dict[str, ArrayHeader]:
    """The four arrays' headers, each checked for its size (see :func:`~tuitrain.data.npzfile.check_member_size`)."""
    if not path.exists():
        raise DataError(f"data file {path} not found: check dataset.path (relative paths start at the preset's folder)")
    names = array_names(path)
    missing = [n for n in REQUIRED_ARRAYS if n not in names]
    if missing:
        found = ", ".join(names) if names else "no arrays"
        raise DataError(
            f"{path} lacks {', '.join(missing)} (it has {found}): save it with "
            "numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)"
        )
    return read_headers(path, list(REQUIRED_ARRAYS))


def _features(path: Path, name: str, header: ArrayHeader) -> int:
    if header.dtype.kind not in _NUMERIC_KINDS:
        what = "objects (ragged or mixed values)" if header.dtype.hasobject else f"{header.dtype} values"
        raise DataError(f"{path}: {name} holds {what}, not numbers: save numeric arrays")
    if len(header.shape) == 0 or header.shape[0] == 0:
        raise DataError(f"{path}: {name} has no samples")
    dim = math.prod(header.shape[1:])
    if dim == 0:
        raise DataError(f"{path}: {name} has samples with no features (shape {header.shape})")
    return dim


def _check_layout(path: Path, headers: dict[str, ArrayHeader]) -> tuple[int, int, int]:
    """Check x/y headers; return (features, train size, test size)."""
    dims = {}
    for split in ("train", "test"):
        x, y = headers[f"x_{split}"], headers[f"y_{split}"]
        dims[split] = _features(path, f"x_{split}", x)
        if y.dtype.kind not in _NUMERIC_KINDS:
            raise DataError(f"{path}: y_{split} holds {y.dtype} values: labels must be integer class ids")
        if len(y.shape) not in (1, 2):
            raise DataError(f"{path}: y_{split} has shape {y.shape}: use class ids (n,) or one-hot rows (n, classes)")
        if y.shape[0] != x.shape[0]:
            raise DataError(f"{path}: x_{split} has {x.shape[0]} samples but y_{split} has {y.shape[0]} labels")
    if dims["train"] != dims["test"]:
        raise DataError(f"{path}: x_train has {dims['train']} features per sample but x_test has {dims['test']}")
    return dims["train"], headers["x_train"].shape[0], headers["x_test"].shape[0]


def _class_ids(path: Path, name: str, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer ids from labels or one-hot rows, and the class count the labels imply."""
    width = 0
    if y.ndim == 2 and y.shape[1] > 1:
        width = y.shape[1]
        y = np.argmax(y, axis=1)
    y = y.reshape(-1)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise DataError(f"{path}: {name} contains NaN or infinite labels")
        fractional = y != np.round(y)
        if np.any(fractional):
            raise DataError(
                f"{path}: {name} holds non-integer labels (e.g. {y[fractional][0]:g}): use class ids 0..K-1"
            )
    ids = y.astype(np.int64)
    if len(ids) and ids.min() < 0:
        raise DataError(f"{path}: {name} holds negative labels (e.g. {ids.min()}): use class ids 0..K-1")
    return ids, max(width, int(ids.max(initial=-1)) + 1)


def _require_two_classes(path: Path, present: list[int]) -> None:
    if len(present) < 2:
        raise DataError(
            f"{path}: y_train has only one class ({present[0] if present else 'none'}): a classifier needs at least 2"
        )


def _labels(path: Path, y_train: np.ndarray, y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    train, k_train = _class_ids(path, "y_train", y_train)
    test, k_test = _class_ids(path, "y_test", y_test)
    _require_two_classes(path, np.unique(train)[:2].tolist())
    return train, test, max(k_train, k_test)


def _scan_labels(path: Path, name: str) -> tuple[int, list[int]]:
    """(classes the labels imply, up to two distinct class ids) by the rules of :func:`_class_ids`,
    reading the label array a block at a time (memory stays a few MB whatever the file holds)."""
    classes = 0
    present: set[int] = set()

    def visit(block: np.ndarray) -> None:
        nonlocal classes
        ids, k = _class_ids(path, name, block if block.shape[1] > 1 else block[:, 0])
        classes = max(classes, k)
        if len(present) < 2 and len(ids):
            present.update(np.unique(ids)[:2].tolist())

    scan_array(path, name, visit)
    return classes, sorted(present)[:2]


def describe_npz(path: Path) -> UserShape:
    """Shape of a user data set from the array headers plus a scan of the labels; x is not read.

    Memory stays bounded whatever the file holds: headers first (an array too big or absurdly
    compressed is refused before anything is read), then the labels in blocks.
    """
    headers = _open_check(path)
    dim, n_train, n_test = _check_layout(path, headers)
    k_train, present = _scan_labels(path, "y_train")
    k_test, _ = _scan_labels(path, "y_test")
    _require_two_classes(path, present)
    return UserShape(dim, max(k_train, k_test), n_train, n_test)


def load_npz_dataset(path: Path) -> UserArrays:
    """Read and check a user data set; x comes back 2-D in its stored dtype, labels as int64 ids."""
    headers = _open_check(path)
    dim, _, _ = _check_layout(path, headers)
    arrays = load_arrays(path, list(REQUIRED_ARRAYS))
    y_train, y_test, num_classes = _labels(path, arrays["y_train"], arrays["y_test"])
    xs = {}
    for name in ("x_train", "x_test"):
        x = arrays[name].reshape(arrays[name].shape[0], dim)
        if x.dtype.kind == "f":
            bad = ~np.isfinite(x).all(axis=1)
            if bad.any():
                raise DataError(
                    f"{path}: {name} contains NaN or infinite values ({int(bad.sum())} samples, the first "
                    f"at index {int(np.argmax(bad))}): clean or drop them"
                )
        if x.dtype.kind == "b":
            x = x.astype(np.uint8)
        xs[name] = x
    return UserArrays(xs["x_train"], y_train, xs["x_test"], y_test, num_classes)
