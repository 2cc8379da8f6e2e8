"""Where a sweep lives: ``<runs root>/sweeps/<YYYYMMDD-HHMMSS>-<name>/`` and the files in it.

::

    sweeps/20261130-101500-imdb-lr/
      sweep.toml        the resolved sweep spec (its base experiment inlined)
      sweep.json        the sweep's status and every trial (replaced atomically; what readers read)
      study.journal     Optuna's study (its journal file storage, append-only)
      controller.log    the controller process's output
      controller.lock   held (flock) by the live controller, so two never drive one sweep
      workers/          the warm trainer processes' own logs (each trial's output is in its run dir)
      trials/           one ordinary run directory per trial: every run command and screen opens it
      tensorboard/      the search space for TensorBoard's HParams view (tuitrain.sweep.hparams_log)

Nothing here touches Optuna or TensorFlow.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tuitrain import runs
from tuitrain.fsutil import os_error_text

SWEEPS_DIR = "sweeps"
"""The folder of sweeps inside the runs root."""
SWEEP_MARKERS = ("sweep.toml", "sweep.json")
_STAMPED = re.compile(r"\d{8}-\d{6}-(.+?)(?:-\d+)?")
"""A sweep folder's name: the time it was made, its sweep's name, and a counter if two shared a second."""


@dataclass(frozen=True)
class SweepPaths:
    """The files of one sweep folder (``root``); nothing here touches the disk."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def spec(self) -> Path:
        """The resolved sweep spec, as TOML."""
        return self.root / "sweep.toml"

    @property
    def status(self) -> Path:
        """The sweep's status and trials (JSON, replaced atomically)."""
        return self.root / "sweep.json"

    @property
    def study(self) -> Path:
        """Optuna's study storage (a journal file)."""
        return self.root / "study.journal"

    @property
    def log(self) -> Path:
        """The controller's stdout and stderr."""
        return self.root / "controller.log"

    @property
    def lock(self) -> Path:
        """The file the live controller holds an exclusive flock on."""
        return self.root / "controller.lock"

    @property
    def trials(self) -> Path:
        """The folder of trial run directories."""
        return self.root / "trials"

    @property
    def workers(self) -> Path:
        """The warm workers' logs."""
        return self.root / "workers"

    def trial_dir(self, run: str) -> Path:
        """The run directory of a trial by its name (as ``sweep.json`` records it)."""
        return self.trials / run

    @property
    def sweep_id(self) -> str:
        """The folder's name, e.g. ``20261130-101500-imdb-lr``."""
        return self.root.name


def sweeps_root(runs_root: str | os.PathLike[str] | None = None) -> Path:
    """``<runs root>/sweeps`` (runs root as :func:`tuitrain.runs.runs_root` finds it)."""
    return runs.runs_root(runs_root) / SWEEPS_DIR


def looks_like_sweep(path: Path) -> bool:
    """True if ``path`` is a folder holding a sweep spec or status (False for one that cannot be examined:
    permission denied, a symbolic link loop)."""
    path = Path(path)
    try:
        return path.is_dir() and any((path / marker).is_file() for marker in SWEEP_MARKERS)
    except OSError:
        return False


def new_sweep_dir(runs_root: str | os.PathLike[str] | None, name: str) -> SweepPaths:
    """Create a fresh sweep folder (with ``trials/``) under the runs root's ``sweeps/``."""
    root = runs.new_run_dir(sweeps_root(runs_root), name)
    paths = SweepPaths(root)
    paths.trials.mkdir()
    return paths


def sweep_dirs(runs_root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every sweep folder under ``<runs root>/sweeps``, by name (oldest first: names start with the time)."""
    root = sweeps_root(runs_root)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        # A file where the folder belongs, permission denied, a symbolic link loop: one line, not a traceback.
        raise SweepNotFound(f"the sweeps folder {root} cannot be read: {os_error_text(exc)}") from None
    return [Path(e.path) for e in entries if not e.name.startswith(".") and looks_like_sweep(Path(e.path))]


class SweepNotFound(ValueError):
    """No sweep matches what the user asked for (the message says what was looked for, and where)."""


def resolve_sweep_dir(runs_root: str | os.PathLike[str] | None, ref: str) -> SweepPaths:
    """The sweep ``ref`` names: its folder name, a unique start of it, ``latest``, a path (with ``/``),
    or a sweep's name (its newest folder)."""
    base = sweeps_root(runs_root)
    text = str(ref).strip()
    if not text:
        raise SweepNotFound("no sweep named: give a sweep name, a unique start of one, 'latest', or a path")
    if "/" in text or text.startswith("~"):
        path = Path(text).expanduser()
        if not looks_like_sweep(path):
            raise SweepNotFound(f"{path} is not a sweep folder (it has no sweep.toml or sweep.json)")
        return SweepPaths(path.absolute())
    found = sweep_dirs(runs_root)
    if text == runs.LATEST:
        if not found:
            raise SweepNotFound(f"no sweeps in {base}")
        return SweepPaths(found[-1])
    try:
        exact = runs.safe_child(base, text)
    except ValueError as exc:
        raise SweepNotFound(str(exc).replace("run", "sweep")) from None
    if looks_like_sweep(exact):
        return SweepPaths(exact)
    matches = [p for p in found if p.name.startswith(text)]
    if len(matches) == 1:
        return SweepPaths(matches[0])
    if not matches:
        # A sweep's own name (the folder's part after the time): its newest folder.
        named = [p for p in found if (m := _STAMPED.fullmatch(p.name)) is not None and m.group(1) == text]
        if named:
            return SweepPaths(named[-1])
        raise SweepNotFound(f"no sweep named {text!r} (or starting so) in {base}: see 'tuitrain sweep list'")
    shown = ", ".join(p.name for p in matches[:5]) + (", ..." if len(matches) > 5 else "")
    raise SweepNotFound(f"{text!r} matches {len(matches)} sweeps in {base} ({shown}): give more of the name")
