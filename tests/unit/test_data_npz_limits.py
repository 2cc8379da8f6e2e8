"""A user's npz can't make validation read gigabytes (issue 9): zip bombs, damaged sizes, FIFOs."""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from faults import cli

from tuitrain.data import DataError
from tuitrain.data.npzfile import MAX_INFLATION, check_member_size
from tuitrain.data.usernpz import describe_npz, load_npz_dataset


def _write_member(zf: zipfile.ZipFile, name: str, dtype: str, shape: tuple[int, ...], chunks) -> None:
    """One .npy member written a chunk at a time (the test never holds the whole array)."""
    with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape})
        for chunk in chunks:
            fh.write(np.ascontiguousarray(chunk, dtype=dtype).tobytes())


def write_bomb(path: Path, samples: int) -> Path:
    """Valid data that inflates ~1000x: alternating labels and a constant feature (deflate's best case)."""
    block = 1 << 20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        chunks = (np.tile([0, 1], min(block, samples - i) // 2) for i in range(0, samples, block))
        _write_member(zf, "y_train", "<i8", (samples,), chunks)
        ones = (np.ones((min(block, samples - i), 1)) for i in range(0, samples, block))
        _write_member(zf, "x_train", "|u1", (samples, 1), ones)
        _write_member(zf, "x_test", "|u1", (4, 1), [np.ones((4, 1))])
        _write_member(zf, "y_test", "<i8", (4,), [np.array([0, 1, 0, 1])])
    return path


def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    bomb = write_bomb(tmp_path / "bomb.npz", 16 * 2**20)  # y_train: 128 MB inflated from ~130 KB
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    start = time.monotonic()
    with pytest.raises(DataError, match="zip bomb") as info:
        describe_npz(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "\n" not in str(info.value) and "y_train" in str(info.value)
    assert peak < 8 * 2**20, peak  # nothing like the 128 MB was held
    assert time.monotonic() - start < 60  # (generous: the old code read it all; this reads headers)
    with pytest.raises(DataError, match="zip bomb"):
        load_npz_dataset(bomb)


def test_validation_of_a_preset_on_a_zip_bomb_is_one_line(tmp_path: Path) -> None:
    write_bomb(tmp_path / "bomb.npz", 16 * 2**20)
    (tmp_path / "p.toml").write_text('name = "p"\n[dataset]\nname = "npz"\npath = "bomb.npz"\n')
    result = cli("presets", "validate", str(tmp_path / "p.toml"), timeout=120)
    assert result.returncode == 1 and "zip bomb" in result.stderr and result.stderr.count("\n") == 1


def test_labels_are_scanned_in_bounded_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 4 * 2**20  # 32 MB of int64 labels that do not compress much
    np.savez(tmp_path / "d.npz", x_train=np.zeros((n, 1), np.uint8), y_train=rng.integers(0, 7, n),
             x_test=np.zeros((3, 1), np.uint8), y_test=np.array([0, 1, 2]))  # fmt: skip
    tracemalloc.start()
    shape = describe_npz(tmp_path / "d.npz")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (shape.num_classes, shape.train_size) == (7, n)
    assert peak < 12 * 2**20, peak  # blocks of a few MB, never the 32 MB array


def test_an_array_larger_than_memory_or_than_its_archive_member_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("x_train.npy")
    info.file_size, info.compress_size = 2**62, 2**62 // 2  # a plausible ratio, an impossible size
    with pytest.raises(DataError, match=r"more than the .* of memory available"):
        check_member_size(tmp_path / "d.npz", "x_train", info)
    info.file_size, info.compress_size = 100 * 2**20, 100 * 2**20 // (MAX_INFLATION + 1)
    with pytest.raises(DataError, match="zip bomb"):
        check_member_size(tmp_path / "d.npz", "x_train", info)
    # A header that promises more data than the member holds: damaged, said before reading.
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w") as zf:
        _write_member(zf, "y_train", "<i8", (1000,), [np.zeros(10)])
        for name, shape in (("x_train", (1000, 1)), ("x_test", (2, 1)), ("y_test", (2,))):
            _write_member(zf, name, "<i8", shape, [np.zeros(shape)])
    with pytest.raises(DataError, match=r"y_train is damaged: its header promises 8\.0 KB"):
        describe_npz(path)


def test_a_fifo_or_folder_named_as_the_data_file_is_one_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "data.npz")
    (tmp_path / "folder.npz").mkdir()
    for name in ("data.npz", "folder.npz"):
        (tmp_path / "p.toml").write_text(f'name = "p"\n[dataset]\nname = "npz"\npath = "{name}"\n')
        result = cli("presets", "validate", str(tmp_path / "p.toml"))
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert name in result.stderr
