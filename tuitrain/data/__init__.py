"""Datasets as numpy/scipy arrays: find or download the files, check them, split and scale.

Never imports TensorFlow or Keras: the engine turns these arrays into tf.data pipelines.

The names below are imported on first use (PEP 562): finding a data set's files
(:mod:`tuitrain.data.locate`) needs no numpy, and the dashboard checks them before its first frame.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuitrain.data.datatypes import DatasetInfo, Features, LabelKind, LoadedData
    from tuitrain.data.errors import DataError, DatasetUnavailable
    from tuitrain.data.locate import downloads_allowed, find_local, keras_cache_dir, locate_dataset, search_dirs
    from tuitrain.data.registry import describe, load_dataset

_HOMES = {
    "DatasetInfo": "datatypes",
    "Features": "datatypes",
    "LabelKind": "datatypes",
    "LoadedData": "datatypes",
    "DataError": "errors",
    "DatasetUnavailable": "errors",
    "downloads_allowed": "locate",
    "find_local": "locate",
    "keras_cache_dir": "locate",
    "locate_dataset": "locate",
    "search_dirs": "locate",
    "describe": "registry",
    "load_dataset": "registry",
}

__all__ = [
    "DataError",
    "DatasetInfo",
    "DatasetUnavailable",
    "Features",
    "LabelKind",
    "LoadedData",
    "describe",
    "downloads_allowed",
    "find_local",
    "keras_cache_dir",
    "load_dataset",
    "locate_dataset",
    "search_dirs",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tuitrain.data' has no attribute {name!r}")
    return getattr(import_module(f"tuitrain.data.{home}"), name)
