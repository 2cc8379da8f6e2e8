"""``sweep.json``: a sweep's state and every trial, written by its controller, read by everyone else.

Readers (``tuitrain sweep list/show``, the dashboard) need nothing but this file and the trials' run
directories: no Optuna, no TensorFlow. The controller replaces the file atomically after every change
of a trial's state (and at most every second for progress), so a reader sees the old or the new file,
never half of one.

A sweep's ``state`` as written is the controller's word; :func:`load_sweep` also checks that the
controller is still there: a sweep that says it runs but whose controller is gone (``kill -9``, a
reboot) is "crashed" - its trials may still be training, and ``tuitrain sweep resume`` picks it up.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tuitrain import runs
from tuitrain.fsutil import atomic_write_text, os_error_text, read_regular
from tuitrain.runs.record import ORPHAN_AFTER
from tuitrain.sweep.layout import SweepPaths

FORMAT = 1
"""Version of the sweep.json layout (readers ignore fields they do not know)."""

SweepState = Literal["pending", "running", "stopping", "finished", "stopped", "failed", "crashed"]
"""pending: created, controller starting; running; stopping (asked to stop, trials ending); finished
(the budget is spent); stopped (``sweep stop``, Ctrl+C); failed (the controller hit an error); crashed
(judged by readers: the controller is gone without saying so)."""
ACTIVE_SWEEP_STATES = ("pending", "running", "stopping")

TrialState = Literal[
    "starting", "running", "finished", "pruned", "stopped", "diverged", "failed", "crashed", "invalid", "lost"
]
"""starting: asked, its run directory being made; running: its trainer trains; finished: ran to its end
(all epochs or early stopping); pruned: stopped early by the pruner (the run itself is "stopped", with
everything kept); stopped: stopped with the sweep; diverged / failed / crashed: as the run; invalid: the
sampled experiment did not validate (no run); lost: its controller died before it started (no run)."""
TRIAL_STATES: tuple[str, ...] = get_args(TrialState)
ACTIVE_TRIAL_STATES = ("starting", "running")
RANKED_TRIAL_STATES = ("finished", "diverged")
"""Trials whose objective is final and comparable (a pruned or stopped trial's is a partial one)."""


class TrialEntry(BaseModel):
    """One trial as ``sweep.json`` records it."""

    model_config = ConfigDict(extra="ignore", ser_json_inf_nan="strings")

    number: int = Field(ge=0, description="Optuna's trial number (0 first).")
    state: TrialState = "starting"
    run: str | None = Field(None, description="The trial's run directory name, inside the sweep's trials/.")
    params: dict[str, Any] = Field(default_factory=dict, description="The experiment's values, by --set path.")
    internal: dict[str, Any] = Field(
        default_factory=dict,
        description="What Optuna sampled, by path: 1 - x for reverse_log, the value's label for choice.",
    )
    objective: float | None = Field(None, description="The objective at best_epoch (partial for pruned/stopped).")
    best_epoch: int | None = Field(None, description="The epoch early stopping keeps (1-based).")
    epochs_done: int = 0
    onset_epoch: int | None = Field(None, description="Where overfitting began, if it did.")
    slot: str | None = Field(None, description="Where it trained, e.g. cpu0 or gpu1.")
    started_at: float | None = None
    ended_at: float | None = None
    stop_reason: Literal["pruned", "stopped"] | None = Field(
        None, description="Why the controller asked the trainer to stop, if it did."
    )
    message: str | None = Field(None, description="One line: why it ended so, or what is wrong.")

    @property
    def active(self) -> bool:
        """True while the trial starts or trains."""
        return self.state in ACTIVE_TRIAL_STATES

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now while it trains)."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else (time.time() if self.active else None)
        return None if end is None else max(0.0, end - self.started_at)


class SweepStatus(BaseModel):
    """The content of ``sweep.json``."""

    model_config = ConfigDict(extra="ignore", ser_json_inf_nan="strings")

    format: int = FORMAT
    sweep_id: str
    name: str
    description: str = ""
    state: SweepState = "pending"
    message: str | None = None
    pid: int | None = Field(None, description="The controller's process id.")
    pid_start: int | None = Field(None, description="Its start time in clock ticks after boot (pid reuse guard).")
    host: str | None = None
    created_at: float = Field(default_factory=time.time)
    updated_at: float | None = None
    ended_at: float | None = None
    metric: str = "val_loss"
    mode: Literal["min", "max"] = "min"
    sampler: str = "random"
    pruner: str = "none"
    workers: str = "warm"
    trials_planned: int = 0
    slots: list[str] = Field(default_factory=list, description="Where trials train side by side.")
    parent: str | None = Field(None, description="The sweep this one refines.")
    data_dir: str | None = Field(None, description="--data-dir the trials were started with (resume reuses it).")
    offline: bool = False
    best_trial: int | None = Field(None, description="Number of the best ranked trial so far.")
    trials: list[TrialEntry] = Field(default_factory=list)

    def trial(self, number: int) -> TrialEntry | None:
        """The entry of trial ``number``, if recorded."""
        return next((t for t in self.trials if t.number == number), None)

    @property
    def counted(self) -> int:
        """Trials that used up the budget: every recorded trial except the lost ones."""
        return sum(t.state != "lost" for t in self.trials)

    @property
    def active_trials(self) -> list[TrialEntry]:
        """Trials starting or training."""
        return [t for t in self.trials if t.active]

    def ranked(self) -> list[TrialEntry]:
        """Trials with a final objective, best first."""
        return ranked_trials(self.trials, self.mode)

    def update_best(self) -> None:
        """Set :attr:`best_trial` from the ranked trials."""
        ranked = self.ranked()
        self.best_trial = ranked[0].number if ranked else None


def ranked_trials(trials: Iterable[TrialEntry], mode: str) -> list[TrialEntry]:
    """The trials with a final, finite objective, best first (``mode``: "min" or "max"; ties by number)."""
    done = [t for t in trials if t.state in RANKED_TRIAL_STATES and _finite(t.objective)]
    return sorted(done, key=lambda t: (t.objective if mode == "min" else -t.objective, t.number))  # type: ignore[operator]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def write_sweep_status(paths: SweepPaths, status: SweepStatus) -> None:
    """Replace ``sweep.json`` atomically (``updated_at`` set now)."""
    status.updated_at = time.time()
    atomic_write_text(paths.status, status.model_dump_json(indent=1) + "\n")


def read_sweep_status(paths: SweepPaths) -> SweepStatus | None:
    """The sweep's status, or None when ``sweep.json`` is missing or unreadable."""
    return _read_status(paths)[0]


def _read_status(paths: SweepPaths) -> tuple[SweepStatus | None, str]:
    """The sweep's status, or None and one line on why it can't be had (empty with a status)."""
    try:
        # Only a regular file is opened: a FIFO in its place would block every reader.
        data = read_regular(paths.status)
    except FileNotFoundError:
        return None, "sweep.json is missing" if paths.spec.is_file() else "not a sweep folder"
    except OSError as exc:
        return None, f"sweep.json is unreadable: {os_error_text(exc)}"  # a folder or FIFO, permission denied
    try:
        return SweepStatus.model_validate_json(data), ""
    except ValidationError as exc:
        # Only a hand edit breaks it: it is replaced atomically.
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return None, runs.one_line(f"sweep.json is unreadable (damaged): {where + ': ' if where else ''}{error['msg']}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, "sweep.json is unreadable (damaged): not JSON text"


def controller_alive(status: SweepStatus) -> bool | None:
    """Whether the controller ``status`` names still runs; None when that cannot be told (no pid, other host)."""
    if status.pid is None:
        return None
    if status.host and status.host != runs.this_host():
        return None
    return runs.process_alive(status.pid, status.pid_start)


@dataclass
class SweepRecord:
    """A sweep as readers see it: its status with the state judged, and where its files are.

    ``state``: the status's state, except "crashed" when it claims to be active and its controller is
    gone (``reason`` says so). ``status`` is None when ``sweep.json`` is missing or unreadable.
    """

    paths: SweepPaths
    status: SweepStatus | None
    state: str
    reason: str | None = None
    trials: list[TrialEntry] = field(default_factory=list)

    @property
    def sweep_id(self) -> str:
        """The folder's name."""
        return self.paths.sweep_id

    def run_dir(self, trial: TrialEntry) -> Path | None:
        """The trial's run directory (open it with :func:`tuitrain.runs.load_run`), if it has one."""
        return self.paths.trial_dir(trial.run) if trial.run else None

    @property
    def best(self) -> TrialEntry | None:
        """The best ranked trial, if any."""
        ranked = self.status.ranked() if self.status is not None else []
        return ranked[0] if ranked else None

    @property
    def resumable(self) -> bool:
        """True when a controller started again has something to do: the sweep stopped, crashed or failed
        with its status readable, and it is not a sweep that finished its whole budget."""
        status = self.status
        if status is None or self.state in ACTIVE_SWEEP_STATES:
            return False
        return self.state != "finished" or status.counted < status.trials_planned or any(t.active for t in self.trials)


def load_sweep(root: Path | SweepPaths) -> SweepRecord:
    """Read a sweep folder; never raises for its content (a broken sweep.json shows as "failed").

    Trials the status calls active while the controller is gone are judged by their run directories:
    a trainer still at work keeps them "running", one that ended gives its run's state.
    """
    paths = root if isinstance(root, SweepPaths) else SweepPaths(Path(root))
    status, problem = _read_status(paths)
    if status is None:
        return SweepRecord(paths, None, "failed", problem)
    state, reason = status.state, status.message
    trials = list(status.trials)
    alive = controller_alive(status)
    gone = alive is False or (alive is None and status.pid is None and _quiet(paths) > ORPHAN_AFTER)
    if gone and state in ACTIVE_SWEEP_STATES:
        state = "crashed"
        reason = "its controller is gone without a word: 'tuitrain sweep resume' picks it up"
    if gone or state not in ACTIVE_SWEEP_STATES:
        # Nobody keeps the trials' entries up to date: their run directories say how they are.
        trials = [_judged(paths, t) for t in trials]
    return SweepRecord(paths, status, state, reason, trials)


def _quiet(paths: SweepPaths) -> float:
    try:
        return time.time() - paths.status.stat().st_mtime
    except OSError:
        return math.inf


def _judged(paths: SweepPaths, trial: TrialEntry) -> TrialEntry:
    """An active trial of a crashed controller, with its state taken from its run directory."""
    if not trial.active or trial.run is None:
        return trial
    record = runs.load_run(paths.trial_dir(trial.run))
    if record.state in ("running", "pending"):
        return trial.model_copy(update={"state": "running", "epochs_done": record.epochs_done})
    state = "pruned" if trial.stop_reason == "pruned" and record.state == "stopped" else record.state
    return trial.model_copy(update={"state": state, "epochs_done": record.epochs_done, "message": record.reason})


def list_sweeps(runs_root: Path | str | None = None) -> list[SweepRecord]:
    """Every sweep under ``<runs root>/sweeps``, newest first.

    A sweep folder that cannot be read at all (permission denied on a trial, a symbolic link loop) is
    listed as "failed" with one line on why, never raised; only a sweeps folder that cannot be read
    raises (:class:`~tuitrain.sweep.layout.SweepNotFound`, one line).
    """
    from tuitrain.sweep.layout import sweep_dirs

    return [_load_or_failed(path) for path in reversed(sweep_dirs(runs_root))]


def _load_or_failed(path: Path) -> SweepRecord:
    """:func:`load_sweep`, with a folder whose files can't be examined read as a "failed" sweep saying why."""
    try:
        return load_sweep(path)
    except (OSError, RuntimeError, ValueError) as exc:
        # Resolving a symbolic link loop raises RuntimeError before Python 3.13.
        why = os_error_text(exc) if isinstance(exc, OSError) else str(exc) or "a symbolic link loop"
        return SweepRecord(SweepPaths(Path(path)), None, "failed", runs.one_line(f"cannot be read: {why}"))
