"""TensorBoard's HParams view of a sweep: the search space, and each trial's values and results.

Written with TensorBoard's own summary protos (the functions ``tensorboard.plugins.hparams.api``
exports, from their TensorFlow-free module) and its own record writer, into event files named and
framed as TensorBoard's ``EventFileWriter`` makes them (that class imports TensorFlow when it is
installed): the sweep controller calls this without importing TensorFlow.

Where things go, so TensorBoard pairs them up:

- :func:`write_hparams_config` writes the sweep's HParams experiment (every hyperparameter with its
  domain, and the metrics to show) into ``SWEEP_DIR/tensorboard``;
- :func:`write_trial_hparams` writes one trial's values (a session) into the trial's run directory,
  ``TRIAL_DIR/tensorboard``: the parent of the ``train/`` and ``validation/`` folders the trainer
  writes (:mod:`tuitrain.engine.tensorboard`), so the view's metric ``validation/epoch_loss`` is that
  trial's validation loss; its own results (e.g. the objective at the trial's best epoch, which is not
  the last epoch's value) are written there as scalars too.

TensorBoard's HParams view takes one experiment per log folder: ``tensorboard --logdir SWEEP_DIR``
shows a sweep's trials with its search space; over a folder of several sweeps it picks one sweep's
space (every run's scalars are there either way).
"""

from __future__ import annotations

import itertools
import math
import os
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.record_writer import RecordWriter

HParamValue = bool | int | float | str
"""A hyperparameter's value in one trial."""
Domain = tuple[int, int] | tuple[float, float] | Sequence[HParamValue] | None
"""Where a hyperparameter's values come from: ``(low, high)`` (a range: int or real), a list of the
values it can take, or None (unknown; TensorBoard then shows the values the trials have)."""

LOG_FOLDER = "tensorboard"
"""The folder of a run or sweep directory that holds its TensorBoard files."""


def write_hparams_config(
    sweep_dir: Path, params: Mapping[str, Domain], metrics: Sequence[str], *, now: float | None = None
) -> Path:
    """Write the sweep's search space and the metrics its HParams view shows; return the folder.

    ``params``: the --set path of each swept field (e.g. ``optimizer.learning_rate``) and its domain.
    ``metrics``: tags as TensorBoard finds them below each trial's ``tensorboard`` folder:
    ``"validation/epoch_loss"`` (the trainer's per-epoch scalars; the view shows the last epoch's),
    or a bare name written by :func:`write_trial_hparams` (e.g. ``"best_val_loss"``).
    """
    hparams = [hp.HParam(name, _domain(name, domain)) for name, domain in params.items()]
    metric_list = [_metric(name) for name in metrics]
    summary = hp.hparams_config_pb(hparams, metric_list, time_created_secs=now)
    folder = Path(sweep_dir) / LOG_FOLDER
    _write(folder, [summary], step=0, wall_time=now)
    return folder


def write_trial_hparams(
    trial_dir: Path,
    trial_id: str,
    params: Mapping[str, HParamValue],
    results: Mapping[str, float] | None = None,
    *,
    step: int = 0,
    now: float | None = None,
) -> Path:
    """Write one trial's hyperparameter values and its results (scalars); return the folder.

    ``trial_id`` names the trial in the view (its run directory's name is a good one); ``results``
    are written as scalars at ``step`` (the trial's best epoch, say), non-finite ones left out (a
    diverged trial has no objective).
    """
    for name, value in params.items():
        if not isinstance(value, bool | int | float | str):
            raise TypeError(f"hyperparameter {name}: {value!r} is not a bool, int, float or str")
    summaries = [hp.hparams_pb(dict(params), trial_id=trial_id, start_time_secs=now)]
    summaries += _result_scalars(results or {})
    folder = Path(trial_dir) / LOG_FOLDER
    _write(folder, summaries, step=step, wall_time=now)
    return folder


def write_trial_results(trial_dir: Path, results: Mapping[str, float], *, step: int, now: float | None = None) -> Path:
    """Write a trial's results (scalars at ``step``, non-finite ones left out) once it ended; return the folder.

    For a trial whose values :func:`write_trial_hparams` wrote when it started (so the view lists it
    while it trains).
    """
    folder = Path(trial_dir) / LOG_FOLDER
    _write(folder, _result_scalars(results), step=step, wall_time=now)
    return folder


def _result_scalars(results: Mapping[str, float]) -> list[summary_pb2.Summary]:
    return [scalar_pb(tag, value) for tag, value in results.items() if math.isfinite(value)]


def _domain(name: str, domain: Domain) -> hp.Domain | None:
    if domain is None:
        return None
    if isinstance(domain, tuple) and len(domain) == 2 and all(_is_number(v) for v in domain):
        low, high = domain
        if low > high:
            raise ValueError(f"hyperparameter {name}: range ({low}, {high}) has low > high")
        if isinstance(low, int) and isinstance(high, int):
            return hp.IntInterval(low, high)
        return hp.RealInterval(float(low), float(high))
    values = list(domain)
    if not values:
        raise ValueError(f"hyperparameter {name}: no values to choose from")
    if all(_is_number(v) for v in values):
        return hp.Discrete([float(v) for v in values])  # one dtype: TensorBoard refuses mixed int/float
    return hp.Discrete(values)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _metric(name: str) -> hp.Metric:
    group, _, tag = name.rpartition("/")
    return hp.Metric(tag, group=group or None, display_name=name)


_file_numbers = itertools.count()


def _write(folder: Path, summaries: list[summary_pb2.Summary], *, step: int, wall_time: float | None) -> None:
    """One new event file in ``folder`` holding ``summaries`` (never appended to: one file per call)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = wall_time or time.time()
    # The name TensorBoard's EventFileWriter gives, plus a counter: two writes in one second never collide.
    name = f"events.out.tfevents.{int(stamp)}.{socket.gethostname()}.{os.getpid()}.{next(_file_numbers)}"
    with open(folder / name, "xb") as fh:
        writer = RecordWriter(fh)
        writer.write(event_pb2.Event(wall_time=stamp, file_version="brain.Event:2").SerializeToString())
        for summary in summaries:
            writer.write(event_pb2.Event(summary=summary, step=step, wall_time=stamp).SerializeToString())
        fh.flush()
        os.fsync(fh.fileno())
