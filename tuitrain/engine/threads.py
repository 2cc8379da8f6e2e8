"""TensorFlow's CPU thread pools sized from the environment, so trials side by side do not fight.

A sweep running several trainers on one machine gives each its share of the cores through
``TUITRAIN_INTRA_OP_THREADS`` (threads one op may use) and ``TUITRAIN_INTER_OP_THREADS`` (ops run at
once); without them TensorFlow sizes both pools to every core in every process, and k trainers on n
cores run k*n busy threads that evict each other's caches. Must be applied before TensorFlow runs its
first op (the trainer does it right after importing TensorFlow).
"""

from __future__ import annotations

import os

import tensorflow as tf

INTRA_ENV = "TUITRAIN_INTRA_OP_THREADS"
INTER_ENV = "TUITRAIN_INTER_OP_THREADS"


def _threads(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number of threads") from None
    if value < 1:
        raise ValueError(f"{name}={raw!r}: expected at least 1 thread")
    return value


def apply_thread_limits() -> tuple[int | None, int | None]:
    """Size TensorFlow's intra- and inter-op pools from the environment; return what was set (None: left).

    Raises ValueError for a value that is not a positive whole number, RuntimeError when TensorFlow
    already runs (the pools are fixed then).
    """
    intra, inter = _threads(INTRA_ENV), _threads(INTER_ENV)
    if intra is not None:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
    if inter is not None:
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    return intra, inter
