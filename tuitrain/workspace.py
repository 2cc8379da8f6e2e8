"""Where an experiment comes from and where its files are: the rules the dashboard and the CLI share.

Opening a preset for editing (cross-field errors allowed, so they can be fixed in the editor), the
default preset, where a preset file lives, what a user preset may be called, which folder relative
data paths are read from, and where data files are looked for first. Plain Python: no Textual.
"""

from __future__ import annotations

import os
from pathlib import Path

from tuitrain import presets
from tuitrain.spec import Experiment

DEFAULT_PRESET = "digits-overfit"
"""The preset the dashboard opens on: it trains offline in seconds and overfits where everyone can see."""


def read_for_editing(path: Path) -> Experiment:
    """Read a preset file into an Experiment; cross-field errors are left for the editor to show.

    Unlike ``presets.load_file`` this accepts a preset that fails the cross-field checks, so it can
    be opened and fixed. Raises ``presets.PresetError`` when the file can't be read or parsed.
    """
    return presets.experiment_from_data(presets.read_preset_data(path), str(path))


def default_experiment() -> Experiment:
    """The :data:`DEFAULT_PRESET` experiment (what the dashboard shows when nothing else is given)."""
    return read_for_editing(presets.find(DEFAULT_PRESET))


def preset_source(path: Path) -> str:
    """Where a preset file lives: builtin, local (./presets), user, or file (anywhere else)."""
    folder = path.resolve().parent
    for source, candidate in presets.search_dirs():
        if candidate.resolve() == folder:
            return source
    return "file"


def name_problem(name: str) -> str | None:
    """Why ``name`` can't be the file name of a preset or a sweep preset (what is allowed), or None."""
    try:
        presets.check_name(name)
    except ValueError as exc:
        return str(exc)
    return None


def preset_name_problem(name: str) -> str | None:
    """Why ``name`` can't be used for a user preset (with what to do instead), or None."""
    problem = name_problem(name)
    if problem is not None:
        return problem
    if (presets.builtin_dir() / f"{name}.toml").exists():
        return f"{name!r} is a built-in preset and built-ins are never overwritten: choose another name"
    return None


def relative_data_base(preset_path: Path | None, source: str | None) -> Path:
    """The folder that relative paths in an experiment (an npz file) are read from.

    The preset's own folder; the working folder for a built-in or new experiment (nobody keeps data
    in the package's preset folder).
    """
    if preset_path is None or source == "builtin":
        return Path.cwd()
    return preset_path.parent


def data_dir(explicit: Path | None = None) -> Path | None:
    """The folder searched first for data files: ``explicit`` (--data-dir), else ``$TUITRAIN_DATA``, else None."""
    from_env = os.environ.get("TUITRAIN_DATA")
    return explicit or (Path(from_env).expanduser() if from_env else None)
