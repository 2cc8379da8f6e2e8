"""A sweep in TensorBoard's HParams view: what the controller writes through :mod:`tuitrain.hparams`.

- when the sweep starts: its search space (every ``--set`` path with its range or choices) and the
  metrics the view shows, into ``SWEEP_DIR/tensorboard`` (once: a resumed sweep writes it no second time);
- when a trial starts: its values, into the trial's ``tensorboard`` folder, so the view lists it
  while it trains, next to the per-epoch scalars its trainer writes there;
- when a trial ends: its objective at its best epoch (the value Optuna is told, at that epoch's step)
  as ``best_<metric>``.

A choice whose values are not all numbers, all text or all booleans (whole sections such as an
optimizer table) shows as the values' labels, the text ``sweep.json`` records for Optuna.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tuitrain import hparams
from tuitrain.sweep.resolve import Param, ResolvedSweep
from tuitrain.sweep.space import Choice, IntUniform, LogInt


def objective_tag(metric: str) -> str:
    """The HParams view's column of the objective at each trial's best epoch: ``best_val_loss``."""
    return f"best_{metric}"


def epoch_tag(metric: str) -> str:
    """Where the trainer writes ``metric`` per epoch: ``validation/epoch_loss`` for ``val_loss``."""
    if metric.startswith("val_"):
        return f"validation/epoch_{metric[4:]}"
    return f"train/epoch_{metric}"


def _plain_choice(dist: Choice) -> bool:
    """True when TensorBoard can list the choice's values themselves (one kind of plain value)."""
    kinds = {_KINDS.get(type(v)) for v in dist.values}
    return len(kinds) == 1 and None not in kinds


_KINDS = {bool: "bool", int: "number", float: "number", str: "text"}


def hparam_value(param: Param, value: Any) -> hparams.HParamValue:
    """``value`` of ``param`` as the view shows it (the label for a choice of sections)."""
    dist = param.dist
    if isinstance(dist, Choice) and not _plain_choice(dist):
        return dist.label(value)
    return value


def domains(sweep: ResolvedSweep) -> dict[str, hparams.Domain]:
    """Each searched path's domain: ``(low, high)`` for a range, the values (or labels) of a choice."""
    out: dict[str, hparams.Domain] = {}
    for param in sweep.params:
        dist = param.dist
        if isinstance(dist, Choice):
            out[param.name] = list(dist.values) if _plain_choice(dist) else dist.labels()
        elif isinstance(dist, IntUniform | LogInt):
            out[param.name] = (dist.low, dist.high)
        else:  # a real range, whole-number ends included (uniform 0..1 is not 0, 1)
            out[param.name] = (float(dist.low), float(dist.high))
    return out


def write_space(sweep_root: Path, sweep: ResolvedSweep) -> Path | None:
    """Write the sweep's search space and metrics unless an earlier start did; the folder, or None."""
    folder = Path(sweep_root) / hparams.LOG_FOLDER
    if folder.is_dir() and any(p.name.startswith("events.out.tfevents.") for p in folder.iterdir()):
        return None
    metric = sweep.spec.objective.metric
    return hparams.write_hparams_config(sweep_root, domains(sweep), [objective_tag(metric), epoch_tag(metric)])


def write_trial_start(run_dir: Path, sweep: ResolvedSweep, values: Mapping[str, Any]) -> Path:
    """Write a trial's values (named by its run directory) into its ``tensorboard`` folder."""
    by_name = {p.name: p for p in sweep.params}
    shown = {name: hparam_value(by_name[name], value) for name, value in values.items() if name in by_name}
    return hparams.write_trial_hparams(run_dir, Path(run_dir).name, shown)


def write_trial_result(run_dir: Path, metric: str, objective: float, best_epoch: int) -> Path:
    """Write a trial's objective at its best epoch (step ``best_epoch``)."""
    return hparams.write_trial_results(run_dir, {objective_tag(metric): objective}, step=best_epoch)
