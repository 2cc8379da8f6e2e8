"""Read .npz archives member by member: headers without data, numeric arrays without pickle.

``np.load(allow_pickle=True)`` would let a crafted file run code. Numeric arrays never need pickle;
the ragged IMDB sequences (object arrays of int lists) do, and are read with an unpickler that may
only rebuild numpy arrays.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from tuitrain.data.errors import DataError

# Everything rebuilding an object array of lists/ints needs (numpy < 2 and >= 2 module names).
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }
)


# A damaged pickle stream can fail in many ways; these are the ones it raises besides UnpicklingError.
_PICKLE_ERRORS = (AttributeError, TypeError, IndexError, KeyError)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> type:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed")


@dataclass(frozen=True)
class ArrayHeader:
    """Shape and dtype of one array in an archive, read from its .npy header."""

    shape: tuple[int, ...]
    dtype: np.dtype


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise DataError(f"{path} not found: check the path") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not an .npz file") from None
    except zipfile.BadZipFile:
        raise DataError(f"{path} is not an .npz file (not a zip archive): save it with numpy.savez") from None
    except OSError as exc:
        raise DataError(f"{path} can't be read ({exc.strerror or exc})") from exc


def _members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Array name -> member name (``x_train`` -> ``x_train.npy``)."""
    return {m[: -len(".npy")]: m for m in archive.namelist() if m.endswith(".npy")}


def _read_header(fp: IO[bytes]) -> ArrayHeader:
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only in the header text's encoding (UTF-8 vs latin-1), which matters
        # only for non-ASCII field names; the layout is the same.
        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return ArrayHeader(tuple(int(n) for n in shape), np.dtype(dtype))


def array_names(path: Path) -> list[str]:
    """Names of the arrays stored in an .npz archive."""
    with _open(path) as archive:
        return sorted(_members(archive))


def read_headers(path: Path, names: list[str] | None = None) -> dict[str, ArrayHeader]:
    """Shapes and dtypes of arrays in an .npz without reading their data (milliseconds, any file size).

    ``names`` restricts the result; names not in the archive are simply absent from it.
    """
    with _open(path) as archive:
        members = _members(archive)
        headers = {}
        for name, member in members.items():
            if names is not None and name not in names:
                continue
            try:
                with archive.open(member) as fp:
                    headers[name] = _read_header(fp)
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
                raise DataError(f"{path}: array {name} is damaged ({exc})") from exc
        return headers


def load_arrays(
    path: Path,
    names: list[str],
    allow_object: bool = False,
    convert_object: Callable[[str, np.ndarray], Any] | None = None,
) -> dict[str, Any]:
    """Read the named arrays (all must exist; check with :func:`read_headers` first for a nicer error).

    Object arrays are refused unless ``allow_object``, and then rebuilt by an unpickler that accepts
    nothing but numpy arrays and plain Python values. ``convert_object(name, array)``, when given,
    replaces each object array as soon as it is read, before the next one is: an object array of
    Python int lists takes ~5 times the memory of the same numbers in a numpy array, so converting
    one at a time holds only one of them at a time (IMDB: ~200 MB less at the peak).
    """
    with _open(path) as archive:
        members = _members(archive)
        arrays = {}
        for name in names:
            if name not in members:
                raise DataError(f"{path} has no array {name!r}")
            try:
                with archive.open(members[name]) as raw:
                    fp = io.BytesIO(raw.read())
                header = _read_header(fp)
                if header.dtype.hasobject:
                    if not allow_object:
                        raise DataError(
                            f"{path}: {name} is an object array (ragged or mixed values): save plain numeric arrays"
                        )
                    arrays[name] = np.asarray(_ArraysOnlyUnpickler(fp).load())
                    del fp
                    if convert_object is not None:
                        arrays[name] = convert_object(name, arrays[name])
                else:
                    fp.seek(0)
                    arrays[name] = np.lib.format.read_array(fp, allow_pickle=False)
            except DataError:
                raise
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, *_PICKLE_ERRORS) as exc:
                raise DataError(f"{path}: array {name} is damaged or unreadable ({exc})") from exc
        return arrays
