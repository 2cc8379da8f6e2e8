"""The best trial of a sweep as a preset: the experiment it trained, renamed and described, saved for the user.

Shared by ``tuitrain sweep best --save-preset`` and the dashboard's sweep screen. The experiment is the
trial's own ``experiment.toml`` (what actually trained, every searched value applied), never rebuilt
from the sweep's base.
"""

from __future__ import annotations

from pathlib import Path

from tuitrain import presets
from tuitrain.spec import Experiment
from tuitrain.sweep.status import SweepRecord, TrialEntry


class NoBestTrial(ValueError):
    """The sweep has no trial with a final objective yet, or the best one's experiment can't be read."""


def best_experiment(record: SweepRecord) -> tuple[TrialEntry, Experiment]:
    """The best trial and the experiment it trained; NoBestTrial (one line) when there is none to read."""
    best = record.best
    status = record.status
    if best is None or status is None:
        raise NoBestTrial(f"{record.sweep_id} has no trial with a final objective yet")
    run_dir = record.run_dir(best)
    if run_dir is None:
        raise NoBestTrial(f"trial {best.number} of {record.sweep_id} has no run directory")
    path = run_dir / "experiment.toml"
    try:
        # The preset reader: regular files only, one line for every way the file can be wrong.
        exp = presets.experiment_from_data(presets.read_preset_data(path), str(path))
    except presets.PresetError as exc:
        raise NoBestTrial(str(exc)) from None
    return best, exp


def save_best_preset(record: SweepRecord, name: str, *, overwrite: bool = False) -> Path:
    """Save the best trial's experiment as the user preset ``name``; its path.

    Raises ValueError (a bad name, no best trial: NoBestTrial), FileExistsError (the preset exists and
    ``overwrite`` is off) or OSError, each with one line that says what is wrong.
    """
    presets.check_name(name)
    best, exp = best_experiment(record)
    assert record.status is not None  # best_experiment raised otherwise
    description = (
        f"The best trial ({best.number}) of sweep {record.sweep_id}: {record.status.metric} "
        f"{best.objective:.4g} at epoch {best.best_epoch}."
    )
    exp = exp.model_copy(update={"name": name, "description": description})
    return presets.save(exp, name, overwrite=overwrite)
