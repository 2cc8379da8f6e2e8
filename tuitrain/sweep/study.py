"""The Optuna side of a sweep: its study storage, sampler and pruner, and drawing one trial's values.

Optuna samples, prunes and stores; tuitrain only maps its spec onto Optuna's pieces:

* storage: one journal file per sweep (``JournalStorage`` + ``JournalFileBackend``), chosen over
  SQLite by measurement (``bench/sweep_storage_bench.py``, README "Searching"): with several writers
  it never refused a call and was several times faster, it survives ``kill -9`` as SQLite does, it
  needs no database locks (so it works on NFS, where shared runs folders often live), and reading it
  does not import SQLAlchemy;
* samplers: ``RandomSampler``, ``GridSampler`` (values spaced on each distribution's scale),
  ``TPESampler``; each seeded with the sweep's seed plus the trials already in the study, so a resumed
  sweep does not draw its first trials again;
* pruners: ``MedianPruner``, ``HyperbandPruner``.

Values are drawn define-by-run (``trial.suggest_*``): a field of a section chosen whole is drawn only
when the chosen section has it (``optimizer.momentum`` for SGD, not for Adam).
"""

from __future__ import annotations

import copy
import math
import os
import stat
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.samplers import GridSampler, RandomSampler, TPESampler
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from tuitrain import presets
from tuitrain.fsutil import file_kind, os_error_text
from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.resolve import ResolvedSweep, applies
from tuitrain.sweep.space import Choice, _IntRange

STUDY_NAME = "sweep"

optuna.logging.set_verbosity(optuna.logging.WARNING)


class _ControllerGridSampler(GridSampler):
    """Optuna's GridSampler without its end-of-grid ``study.stop()``: that call only works inside
    ``study.optimize``, and the controller (ask and tell) stops by itself when the grid is used up."""

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        """Nothing: see the class docstring."""


def grid_points(sweep: ResolvedSweep) -> int:
    """Values per range on a grid: the spec's ``grid_points``, else as many as the trial budget allows."""
    spec = sweep.spec
    if spec.grid_points is not None:
        return spec.grid_points
    ranges = [p for p in sweep.params if not isinstance(p.dist, Choice)]
    fixed = math.prod(len(p.dist.values) for p in sweep.params if isinstance(p.dist, Choice))
    if not ranges:
        return 2
    per = (spec.trials / max(1, fixed)) ** (1 / len(ranges))
    return max(2, math.floor(per + 1e-9))


def grid_space(sweep: ResolvedSweep) -> dict[str, list[Any]]:
    """The grid in Optuna's internal values, by parameter: each range spaced on its own scale."""
    points = grid_points(sweep)
    return {p.name: [p.dist.to_internal(v) for v in p.dist.grid(points)] for p in sweep.params}


def grid_size(sweep: ResolvedSweep) -> int:
    """How many points the grid has."""
    return math.prod(len(values) for values in grid_space(sweep).values())


def make_sampler(sweep: ResolvedSweep, already: int = 0) -> Any:
    """The spec's sampler, seeded with ``seed + already`` (``already``: trials in the study so far)."""
    seed = sweep.spec.seed + already
    if sweep.spec.sampler == "grid":
        return _ControllerGridSampler(grid_space(sweep), seed=sweep.spec.seed)
    if sweep.spec.sampler == "tpe":
        return TPESampler(seed=seed)
    return RandomSampler(seed=seed)


def make_pruner(sweep: ResolvedSweep) -> Any:
    """The spec's pruner (``NopPruner`` for none)."""
    spec = sweep.spec.pruner
    if spec.kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=spec.startup_trials, n_warmup_steps=spec.warmup_epochs)
    if spec.kind == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=spec.min_epochs,
            max_resource=sweep.base.training.epochs,
            reduction_factor=spec.reduction_factor,
        )
    return optuna.pruners.NopPruner()


def open_storage(paths: SweepPaths) -> JournalStorage:
    """The sweep's study storage (created empty if missing).

    Raises ValueError (one line) when something other than a regular file is in its place: Optuna
    would open a FIFO and block for ever, or fail on a folder with a traceback.
    """
    try:
        mode = os.stat(paths.study).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ValueError(f"{paths.study} cannot be read: {os_error_text(exc)}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise ValueError(f"{paths.study} is {file_kind(mode)}, not the study's journal file")
    return JournalStorage(JournalFileBackend(str(paths.study)))


def open_study(paths: SweepPaths, sweep: ResolvedSweep) -> optuna.Study:
    """Create or load the sweep's study, with its sampler and pruner."""
    storage = open_storage(paths)
    names = optuna.get_all_study_names(storage)
    already = 0
    if STUDY_NAME in names:
        already = len(optuna.load_study(study_name=STUDY_NAME, storage=storage).trials)
    return optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        sampler=make_sampler(sweep, already),
        pruner=make_pruner(sweep),
        direction=sweep.direction,
        load_if_exists=True,
    )


@dataclass(frozen=True)
class Drawn:
    """One trial's values: ``values`` as the experiment takes them, ``internal`` as Optuna holds them."""

    values: dict[str, Any]
    internal: dict[str, Any]


def draw(trial: optuna.Trial, sweep: ResolvedSweep) -> Drawn:
    """Draw every parameter that applies, in order (sections first), with Optuna's suggest methods."""
    data = copy.deepcopy(sweep.base_data)
    values: dict[str, Any] = {}
    internal: dict[str, Any] = {}
    for param in sweep.params:
        if not applies(sweep, param, data):
            continue
        dist = param.dist
        if isinstance(dist, Choice):
            raw = trial.suggest_categorical(param.name, dist.labels())
        elif isinstance(dist, _IntRange):
            raw = trial.suggest_int(param.name, dist.low, dist.high, log=dist.scale == "log")
        else:
            low, high = dist.internal_bounds()
            raw = trial.suggest_float(param.name, low, high, log=dist.scale != "linear")
        value = dist.from_internal(raw)
        internal[param.name] = raw
        values[param.name] = value
        try:
            presets.set_value(data, param.path, copy.deepcopy(value))
        except presets.PresetError:
            continue  # the trial's validation reports it
    return Drawn(values, internal)


def running_trials(study: optuna.Study) -> list[int]:
    """Numbers of the study's trials that are neither told nor failed."""
    return [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]


def told(study: optuna.Study, number: int) -> bool:
    """True when trial ``number`` has been told (complete, pruned or failed)."""
    found = next((t for t in study.get_trials(deepcopy=False) if t.number == number), None)
    return found is not None and found.state.is_finished()
