"""Read .npz archives member by member: headers without data, numeric arrays without pickle.

``np.load(allow_pickle=True)`` would let a crafted file run code. Numeric arrays never need pickle;
the ragged IMDB sequences (object arrays of int lists) do, and are read with an unpickler that may
only rebuild numpy arrays.

A crafted archive can also promise little and inflate to a lot (a "zip bomb": a few MB that inflate
to GBs). Before an array's data is read, its size as the zip directory states it (which bounds what
can be inflated) is checked: more than :data:`MAX_INFLATION` times its compressed size (once past
:data:`INFLATION_CHECKED_FROM`), more than the memory available, or less than its own header
promises, and the file is refused with one line. Arrays are read straight from the archive, never
through an in-memory copy of the member, and labels can be scanned in fixed-size chunks
(:func:`scan_array`), so checking a data set needs no more memory than its headers.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from tuitrain.data.errors import DataError
from tuitrain.fsutil import NotRegularFile, open_regular, os_error_text

MAX_INFLATION = 200
"""Largest ratio of an array's inflated to compressed size accepted (numeric data rarely passes 20)."""
INFLATION_CHECKED_FROM = 64 * 2**20
"""Arrays smaller than this (inflated) are not held to :data:`MAX_INFLATION` (a small all-zero array may be)."""
SCAN_CHUNK_BYTES = 2**20
"""Bytes of array data :func:`scan_array` holds at a time."""

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
    fortran_order: bool = False

    @property
    def data_bytes(self) -> int:
        """Bytes of array data the header promises (0 for an object array: pickled, of any length)."""
        return 0 if self.dtype.hasobject else math.prod(self.shape) * self.dtype.itemsize


@contextlib.contextmanager
def _open(path: Path) -> Iterator[zipfile.ZipFile]:
    """The archive at ``path`` (a regular file only: a FIFO or device is refused, never read)."""
    try:
        fh = open_regular(path)
    except FileNotFoundError:
        raise DataError(f"{path} not found: check the path") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not an .npz file") from None
    except NotRegularFile as exc:
        raise DataError(f"{path} {exc.strerror}: give the path of an .npz file") from None
    except OSError as exc:
        raise DataError(f"{path} can't be read ({os_error_text(exc)})") from None
    with fh:
        try:
            archive = zipfile.ZipFile(fh)
        except zipfile.BadZipFile:
            raise DataError(f"{path} is not an .npz file (not a zip archive): save it with numpy.savez") from None
        except OSError as exc:
            raise DataError(f"{path} can't be read ({os_error_text(exc)})") from None
        with archive:
            yield archive


def _available_memory() -> int | None:
    from tuitrain.spec.memory import machine_memory

    machine = machine_memory()
    return machine.host_available if machine.host_available is not None else machine.host_total


def _size(n: float) -> str:
    from tuitrain.spec.memory import size_text

    return size_text(n)


def check_member_size(path: Path, name: str, info: zipfile.ZipInfo, header: ArrayHeader | None = None) -> None:
    """Refuse (DataError) an array that would inflate absurdly, past the memory available, or short of its header.

    ``info.file_size`` is what the zip directory says the member inflates to; reading never inflates
    more than that, so it is what these checks hold to.
    """
    inflated, packed = info.file_size, max(info.compress_size, 1)
    if inflated >= INFLATION_CHECKED_FROM and inflated > MAX_INFLATION * packed:
        raise DataError(
            f"{path}: array {name} would inflate from {_size(packed)} to {_size(inflated)} "
            f"({inflated // packed:,}x): that is a zip bomb, not data; refusing to read it"
        )
    available = _available_memory()
    if available is not None and inflated > available:
        raise DataError(
            f"{path}: array {name} takes {_size(inflated)} when read, more than the {_size(available)} of "
            "memory available: use a smaller data set (or fewer samples per file)"
        )
    if header is not None and header.data_bytes > inflated:
        raise DataError(
            f"{path}: array {name} is damaged: its header promises {_size(header.data_bytes)} of data but the "
            f"archive holds {_size(inflated)}"
        )


def _members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Array name -> member name (``x_train`` -> ``x_train.npy``)."""
    return {m[: -len(".npy")]: m for m in archive.namelist() if m.endswith(".npy")}


def _read_header(fp: IO[bytes]) -> ArrayHeader:
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only in the header text's encoding (UTF-8 vs latin-1), which matters
        # only for non-ASCII field names; the layout is the same.
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return ArrayHeader(tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran))


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
            check_member_size(path, name, archive.getinfo(member), headers[name])
        return headers


def scan_array(path: Path, name: str, visit: Callable[[np.ndarray], None]) -> ArrayHeader:
    """Call ``visit`` on successive row blocks of a numeric array (C order) without holding all of it.

    Each block is a 2-D view of at most about :data:`SCAN_CHUNK_BYTES`; returns the header. A
    Fortran-order array (rare) is read whole, after the size checks.
    """
    with _open(path) as archive:
        members = _members(archive)
        if name not in members:
            raise DataError(f"{path} has no array {name!r}")
        try:
            with archive.open(members[name]) as fp:
                header = _read_header(fp)
                check_member_size(path, name, archive.getinfo(members[name]), header)
                if header.dtype.hasobject:
                    raise DataError(f"{path}: {name} is an object array (ragged or mixed values): save numeric arrays")
                rows = header.shape[0] if header.shape else 1
                width = math.prod(header.shape[1:]) if len(header.shape) > 1 else 1
                if header.fortran_order and len(header.shape) > 1:
                    data = fp.read(header.data_bytes)
                    if len(data) < header.data_bytes:
                        raise EOFError("the array's data ends early")
                    array = np.frombuffer(data, header.dtype).reshape(header.shape, order="F")
                    visit(array.reshape(rows, width))
                    return header
                row_bytes = max(1, width * header.dtype.itemsize)
                per_block = max(1, SCAN_CHUNK_BYTES // row_bytes)
                done = 0
                while done < rows:
                    count = min(per_block, rows - done)
                    data = fp.read(count * row_bytes)
                    if len(data) < count * row_bytes:
                        raise EOFError("the array's data ends early")
                    visit(np.frombuffer(data, header.dtype).reshape(count, width))
                    done += count
                return header
        except DataError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(f"{path}: array {name} is damaged or unreadable ({exc})") from exc


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
                info = archive.getinfo(members[name])
                # Read straight from the archive: the member is never held as a second, in-memory copy.
                with archive.open(info) as fp:
                    header = _read_header(fp)
                    check_member_size(path, name, info, header)
                    if header.dtype.hasobject:
                        if not allow_object:
                            raise DataError(
                                f"{path}: {name} is an object array (ragged or mixed values): save plain numeric arrays"
                            )
                        arrays[name] = np.asarray(_ArraysOnlyUnpickler(fp).load())
                        if convert_object is not None:
                            arrays[name] = convert_object(name, arrays[name])
                        continue
                with archive.open(info) as fp:
                    arrays[name] = np.lib.format.read_array(fp, allow_pickle=False)
            except DataError:
                raise
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, *_PICKLE_ERRORS) as exc:
                raise DataError(f"{path}: array {name} is damaged or unreadable ({exc})") from exc
        return arrays
