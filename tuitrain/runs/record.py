"""One run as the dashboard and the CLI see it: its spec, history, flags, outcome and state.

The state follows one rule (DESIGN.md section 5): a final event decides; without one, a live trainer
means "running" (or "pending" before it has started), and a trainer that is gone means "crashed",
with the history up to the last complete epoch kept.
"""

from __future__ import annotations

import json
import math
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuitrain.runs.events import (
    BatchProgress,
    EpochEnded,
    Event,
    FlagRaised,
    RunFailed,
    RunFinished,
    RunStarted,
    one_line,
)
from tuitrain.runs.layout import RunPaths
from tuitrain.runs.reader import read_events
from tuitrain.runs.status import ACTIVE_STATES, RunState, RunStatus, process_alive, read_status, this_host

VAL_ACCURACY_KEYS = (
    "val_accuracy",
    "val_acc",
    "val_binary_accuracy",
    "val_categorical_accuracy",
    "val_sparse_categorical_accuracy",
)
"""Log names that mean validation accuracy, in the order they are looked for."""

_LOG_TAIL_BYTES = 8192

if TYPE_CHECKING:
    from tuitrain.spec import Experiment


@dataclass
class RunRecord:
    """Everything readable about one run directory (see :func:`load_run`).

    ``events`` holds every event except out-of-date batch progress. ``history`` is one dict of Keras
    logs per finished epoch (plus ``learning_rate`` when known), in epoch order; ``epochs`` gives their
    epoch numbers. ``reason`` is one line on the state (why it ended, or why it is thought crashed).
    ``host`` is set when the trainer runs on another machine and cannot be checked from here.
    """

    run_id: str
    path: Path
    state: RunState
    reason: str | None = None
    experiment: dict[str, Any] | None = None
    experiment_error: str | None = None
    events: list[Event] = field(default_factory=list)
    torn_tail: bool = False
    bad_lines: list[int] = field(default_factory=list)
    status: RunStatus | None = None
    started: RunStarted | None = None
    final: RunFinished | RunFailed | None = None
    flags: list[FlagRaised] = field(default_factory=list)
    epoch_events: list[EpochEnded] = field(default_factory=list)
    last_batch: BatchProgress | None = None
    trainer_alive: bool | None = None
    host: str | None = None

    # ------------------------------------------------------------------ history

    @property
    def run_dir(self) -> Path:
        """The run directory (same as ``path``)."""
        return self.path

    @property
    def paths(self) -> RunPaths:
        """The run's files."""
        return RunPaths(self.path)

    @property
    def epochs(self) -> list[int]:
        """The epoch number of each ``history`` row."""
        return [e.epoch for e in self.epoch_events]

    @property
    def history(self) -> list[dict[str, float]]:
        """Per-epoch Keras logs with ``learning_rate`` merged in, in epoch order (what analysis takes)."""
        rows = []
        for event in self.epoch_events:
            row = dict(event.logs)
            if event.learning_rate is not None:
                row["learning_rate"] = event.learning_rate
            rows.append(row)
        return rows

    def series(self) -> dict[str, list[float | None]]:
        """The history by log name: one list per key, aligned with :attr:`epochs` (None where missing)."""
        rows = self.history
        keys: dict[str, None] = {}
        for row in rows:
            keys.update(dict.fromkeys(row))
        return {key: [row.get(key) for row in rows] for key in keys}

    @property
    def epochs_done(self) -> int:
        """The last finished epoch (0 before the first)."""
        return self.epoch_events[-1].epoch if self.epoch_events else 0

    @property
    def epochs_planned(self) -> int | None:
        """Epochs the run was set up for (from run_started, else the experiment), if known."""
        if self.started is not None:
            return self.started.epochs
        training = (self.experiment or {}).get("training")
        epochs = training.get("epochs") if isinstance(training, dict) else None
        return epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None

    def best(self, key: str, mode: str = "min") -> tuple[int, float] | None:
        """(epoch, value) of the smallest (``mode="min"``) or largest value of ``key``; first one wins ties.

        Non-finite values are ignored; None when there is no finite value.
        """
        found: tuple[int, float] | None = None
        for event in self.epoch_events:
            value = event.logs.get(key)
            if value is None or not math.isfinite(value):
                continue
            if found is None or (value < found[1] if mode == "min" else value > found[1]):
                found = (event.epoch, value)
        return found

    @property
    def best_val_loss(self) -> tuple[int, float] | None:
        """(epoch, lowest val_loss), or None without validation."""
        return self.best("val_loss", "min")

    @property
    def val_accuracy_key(self) -> str | None:
        """The log name of validation accuracy in this run, if it has one."""
        for key in VAL_ACCURACY_KEYS:
            if any(key in e.logs for e in self.epoch_events):
                return key
        return None

    @property
    def best_val_accuracy(self) -> tuple[int, float] | None:
        """(epoch, highest validation accuracy), or None without one."""
        key = self.val_accuracy_key
        return self.best(key, "max") if key else None

    @property
    def best_epoch(self) -> int | None:
        """The best epoch as the trainer reported it, else the epoch of the lowest val_loss."""
        if isinstance(self.final, RunFinished) and self.final.best_epoch is not None:
            return self.final.best_epoch
        best = self.best_val_loss
        return best[0] if best else None

    # ------------------------------------------------------------------ time and names

    @property
    def started_at(self) -> float | None:
        """Unix seconds when the trainer started (run_started, else the status file)."""
        if self.started is not None:
            return self.started.time
        return self.status.started_at if self.status is not None else None

    @property
    def ended_at(self) -> float | None:
        """Unix seconds of the final event (or the status file's end), if the run has ended."""
        if self.final is not None:
            return self.final.time
        return self.status.ended_at if self.status is not None else None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end; for a live run, up to now; for a crashed one, up to its last event."""
        start = self.started_at
        if start is None:
            return None
        end = self.ended_at
        if end is None and self.state in ACTIVE_STATES:
            end = time.time()
        elif end is None:
            end = max((e.time for e in self.events), default=start)
        return max(0.0, end - start)

    @property
    def dataset(self) -> str | None:
        """The data set's name from the experiment (``dataset.name``)."""
        data = (self.experiment or {}).get("dataset")
        name = data.get("name") if isinstance(data, dict) else None
        return name if isinstance(name, str) else None

    def experiment_spec(self) -> Experiment | None:
        """The run's experiment as an Experiment, or None when its file is missing or does not validate
        (written by another version of tuitrain, or edited by hand): readers then fall back to defaults."""
        from pydantic import ValidationError

        from tuitrain.spec import Experiment

        if self.experiment is None:
            return None
        try:
            return Experiment.model_validate(self.experiment)
        except ValidationError:
            return None

    @property
    def experiment_name(self) -> str | None:
        """The experiment's name (run_started, else the experiment file)."""
        if self.started is not None:
            return self.started.experiment_name
        name = (self.experiment or {}).get("name")
        return name if isinstance(name, str) else None

    @property
    def state_label(self) -> str:
        """The state in words for a table: "running (on HOST)" for a trainer on another machine."""
        return f"{self.state} (on {self.host})" if self.host else self.state

    @property
    def current_batch(self) -> BatchProgress | None:
        """The latest batch progress if it is newer than the last finished epoch and the run goes on."""
        if self.last_batch is None or self.final is not None:
            return None
        if self.epoch_events and self.last_batch.epoch <= self.epoch_events[-1].epoch:
            return None
        return self.last_batch


def _read_experiment(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, f"{path.name} is missing"
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, one_line(f"{path.name} cannot be read: {exc}")


ORPHAN_AFTER = 60.0
"""Seconds a run directory with no trainer pid recorded may stay unchanged before it counts as crashed.

The launcher records the trainer's pid milliseconds after it creates the directory, so a directory that
has none for this long (its starter was killed in between, or it was copied or damaged by hand) has
no trainer; without this rule it would show as "pending" for ever.
"""
_ORPHAN_REASON = (
    "no trainer process was ever recorded for this run and nothing in it has changed for over a minute: "
    "nothing is training it (re-run its experiment.toml, or delete it)"
)


def quiet_for(run_dir: Path | str, now: float | None = None) -> float:
    """Seconds since anything in the run directory (or the directory itself) last changed."""
    paths = RunPaths(Path(run_dir))
    newest = 0.0
    for path in (paths.root, paths.status, paths.events, paths.experiment, paths.trainer_log):
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            continue
    return (time.time() if now is None else now) - newest if newest else math.inf


def _judge(
    final: RunFinished | RunFailed | None,
    status: RunStatus | None,
    started: RunStarted | None,
    epochs_done: int,
    quiet: float = 0.0,
) -> tuple[RunState, str | None, bool | None, str | None]:
    """(state, reason, trainer alive, other host) by the rule of the module docstring.

    ``quiet``: seconds since the run directory last changed (see :data:`ORPHAN_AFTER`).
    """
    if final is not None:
        reason = final.reason if isinstance(final, RunFinished) else final.error
        return final.status, reason or None, None, None
    if status is not None and status.state not in ACTIVE_STATES:
        # The trainer wrote its end into the status but the final event is missing (lost with the disk
        # cache, or the log was removed): trust the status.
        return status.state, status.message, None, None
    pid = status.pid if status is not None and status.pid is not None else (started.pid if started else None)
    pid_start = status.pid_start if status is not None and status.pid is not None else None
    if status is not None and status.host and status.host != this_host():
        return "running", f"training on {status.host}: its process cannot be checked from here", None, status.host
    underway = started is not None or (status is not None and status.state == "running")
    if pid is None:
        if quiet > ORPHAN_AFTER:
            return "crashed", _ORPHAN_REASON, False, None
        return ("running" if underway else "pending"), None, None, None
    if process_alive(pid, pid_start):
        return ("running" if underway else "pending"), None, True, None
    kept = f"history kept up to epoch {epochs_done}" if epochs_done else "no epoch had finished"
    return "crashed", f"the trainer process (pid {pid}) ended without a final event; {kept}", False, None


def load_run(run_dir: Path | str) -> RunRecord:
    """Read a run directory: experiment, events (damage reported, not fatal), status, and the state.

    Never raises for damaged content (a broken experiment.toml, garbled or torn event lines, a broken
    status file): those are reported in the record. Only an unreadable directory raises OSError.
    """
    path = Path(run_dir)
    paths = RunPaths(path)
    experiment, experiment_error = _read_experiment(paths.experiment)
    log = read_events(paths.events, collapse_batches=True)
    status = read_status(paths.status)

    started: RunStarted | None = None
    final: RunFinished | RunFailed | None = None
    flags: list[FlagRaised] = []
    by_epoch: dict[int, EpochEnded] = {}
    last_batch: BatchProgress | None = None
    for event in log.events:
        if isinstance(event, EpochEnded):
            by_epoch[event.epoch] = event  # a repeated epoch (resumed run) keeps its last record
        elif isinstance(event, BatchProgress):
            last_batch = event
        elif isinstance(event, FlagRaised):
            flags.append(event)
        elif isinstance(event, RunStarted):
            started = event if started is None else started
        elif isinstance(event, RunFinished | RunFailed):
            final = event
    epoch_events = [by_epoch[k] for k in sorted(by_epoch)]
    state, reason, alive, host = _judge(
        final, status, started, epoch_events[-1].epoch if epoch_events else 0, quiet_for(path)
    )
    return RunRecord(
        run_id=path.name,
        path=path,
        state=state,
        reason=reason,
        experiment=experiment,
        experiment_error=experiment_error,
        events=log.events,
        torn_tail=log.torn_tail,
        bad_lines=log.bad_lines,
        status=status,
        started=started,
        final=final,
        flags=flags,
        epoch_events=epoch_events,
        last_batch=last_batch,
        trainer_alive=alive,
        host=host,
    )


def trainer_alive(run_dir: Path | str) -> bool | None:
    """Whether the run's trainer process still runs: True/False, or None when that cannot be told.

    None when no trainer pid is recorded yet, or the trainer runs on another host; False also for a
    directory that has no pid recorded and has been quiet for :data:`ORPHAN_AFTER` seconds. Reads the
    status (and the event log's first line when the status has no pid).
    """
    paths = RunPaths(Path(run_dir))
    status = read_status(paths)
    if status is not None and status.host and status.host != this_host():
        return None
    if status is not None and status.pid is not None:
        return process_alive(status.pid, status.pid_start)
    pid = _started_pid(paths)  # a hand-broken status: the trainer's own first event names it too
    if pid is not None:
        return process_alive(pid, None)
    return False if quiet_for(paths.root) > ORPHAN_AFTER else None


def _started_pid(paths: RunPaths) -> int | None:
    """The pid in the run_started event (the event log's first line), if it is there and readable."""
    try:
        with open(paths.events, "rb") as fh:
            first = fh.readline(64 * 1024)
        event = json.loads(first)
    except (OSError, ValueError):
        return None
    pid = event.get("pid") if isinstance(event, dict) and event.get("type") == "run_started" else None
    return pid if isinstance(pid, int) and pid > 0 else None


def _last_output_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _LOG_TAIL_BYTES))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None


def last_error(run_dir: Path | str) -> str | None:
    """One line on why a run ended badly: its run_failed error, else (for a crash) the trainer's last output.

    None when the run has not ended badly or nothing is known.
    """
    record = load_run(run_dir)
    if isinstance(record.final, RunFailed):
        return record.final.error
    if record.state not in ("crashed", "failed"):
        return None
    parts = [record.reason or "the trainer process ended without a final event"]
    last = _last_output_line(record.paths.trainer_log)
    if last:
        parts.append(f"its last output: {last}")
    return one_line("; ".join(parts))
