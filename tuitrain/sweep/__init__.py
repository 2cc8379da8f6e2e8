"""Hyperparameter search (sweeps): a spec, a controller process, trials that are ordinary runs.

No TensorFlow anywhere in this package, and importing it does not import Optuna either: only the
controller (:mod:`tuitrain.sweep.controller`, run as ``python -m tuitrain.sweep SWEEP_DIR``) and
:mod:`tuitrain.sweep.study` do. What readers such as the dashboard need:

* find sweeps: :func:`list_sweeps` (newest first), :func:`resolve_sweep_dir` (name, prefix, "latest",
  path), :class:`SweepPaths` (the files of a sweep folder, see :mod:`tuitrain.sweep.layout`);
* read one: :func:`load_sweep` -> :class:`SweepRecord` (``state`` judged, ``trials`` as
  :class:`TrialEntry`, ``run_dir(trial)`` to open a trial with :func:`tuitrain.runs.load_run`);
  ``sweep.json`` is :class:`SweepStatus`;
* start and stop: :func:`prepare_sweep` + :func:`start_controller`, :func:`stop_sweep`,
  :func:`controller_running`;
* specs: :func:`read_sweep_file`, :func:`sweep_from_data`, :func:`find_sweep`,
  :func:`list_sweep_presets`, :func:`resolve_sweep` (checked against the base: :class:`ResolvedSweep`);
* where trials train: :class:`Executor` (the interface), :class:`Slot`, :func:`plan_slots`,
  :class:`LocalExecutor`; on a Ray cluster (``[execution] backend = "ray"``),
  ``tuitrain.sweep.ray_executor.RayExecutor``, the one module that imports Ray (not re-exported here:
  importing this package never imports Ray).
"""

from tuitrain.sweep.executor import Executor, LocalExecutor, Slot, plan_slots
from tuitrain.sweep.layout import SweepNotFound, SweepPaths, resolve_sweep_dir, sweeps_root
from tuitrain.sweep.process import controller_running, prepare_sweep, start_controller, stop_sweep
from tuitrain.sweep.resolve import ResolvedSweep, resolve_sweep
from tuitrain.sweep.spec import (
    SweepError,
    SweepSpec,
    find_sweep,
    list_sweep_presets,
    read_sweep_file,
    sweep_from_data,
)
from tuitrain.sweep.status import (
    TRIAL_STATES,
    SweepRecord,
    SweepStatus,
    TrialEntry,
    list_sweeps,
    load_sweep,
)

__all__ = [
    "TRIAL_STATES",
    "Executor",
    "LocalExecutor",
    "ResolvedSweep",
    "Slot",
    "SweepError",
    "SweepNotFound",
    "SweepPaths",
    "SweepRecord",
    "SweepSpec",
    "SweepStatus",
    "TrialEntry",
    "controller_running",
    "find_sweep",
    "list_sweep_presets",
    "list_sweeps",
    "load_sweep",
    "plan_slots",
    "prepare_sweep",
    "read_sweep_file",
    "resolve_sweep",
    "resolve_sweep_dir",
    "start_controller",
    "stop_sweep",
    "sweep_from_data",
    "sweeps_root",
]
