"""One run as the dashboard and the CLI see it: its spec, history, flags, outcome and state.

The state follows one rule (DESIGN.md section 5): a final event decides; without one, a live trainer
means "running" (or "pending" before it has started), and a trainer that is gone means "crashed",
with the history up to the last complete epoch kept. Whether the trainer is alive follows the rules
of :mod:`tuitrain.runs.status`.

A record says only what the files prove: damage it finds (a folder or FIFO where a file belongs,
skipped lines, a log cut short, a status that claims more than the log holds, ``best.keras`` behind
the best epoch) is listed in :attr:`RunRecord.notes`, and a reason taken from the status file says
when the event log does not back it up.
"""

from __future__ import annotations

import json
import math
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuitrain.fsutil import atomic_write_text, open_regular, os_error_text, read_regular, remove_temporaries
from tuitrain.runs.events import (
    BatchProgress,
    BestSaved,
    EpochEnded,
    Event,
    FlagRaised,
    RunFailed,
    RunFinished,
    RunStarted,
    one_line,
)
from tuitrain.runs.layout import RunPaths
from tuitrain.runs.reader import EventLog, read_events
from tuitrain.runs.status import (
    ACTIVE_STATES,
    RunState,
    RunStatus,
    read_status,
    read_status_checked,
    this_host,
    trainer_process_alive,
)
from tuitrain.runs.writer import history_csv_text

VAL_ACCURACY_KEYS = (
    "val_accuracy",
    "val_acc",
    "val_binary_accuracy",
    "val_categorical_accuracy",
    "val_sparse_categorical_accuracy",
)
"""Log names that mean validation accuracy, in the order they are looked for."""

_LOG_TAIL_BYTES = 8192
MAX_EXPERIMENT_BYTES = 1_000_000
"""An experiment.toml is a few KB; past this it is not one (and is not read into memory)."""

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
    events_error: str | None = None
    """Why events.jsonl could not be read at all (a folder or FIFO in its place, permission denied)."""
    status_error: str | None = None
    """Why status.json could not be read (damaged, not a file), if it is there but unusable."""
    best_saves: list[BestSaved] = field(default_factory=list)

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
    def monitor(self) -> tuple[str, str]:
        """(metric, "min" or "max") that picks the best epoch and best.keras: the early-stopping monitor."""
        from tuitrain.analysis.early_stopping import resolve_mode

        stopping = (self.experiment or {}).get("early_stopping")
        stopping = stopping if isinstance(stopping, dict) else {}
        monitor = stopping.get("monitor") if isinstance(stopping.get("monitor"), str) else "val_loss"
        mode = stopping.get("mode") if stopping.get("mode") in ("auto", "min", "max") else "auto"
        return monitor, resolve_mode(monitor, mode)

    @property
    def best_by_monitor(self) -> tuple[int, float] | None:
        """(epoch, value) of the best recorded epoch by :attr:`monitor` (what best.keras should hold)."""
        monitor, mode = self.monitor
        return self.best(monitor, mode)

    @property
    def best_epoch(self) -> int | None:
        """The best epoch as the trainer reported it, else the best recorded epoch by the monitor."""
        if isinstance(self.final, RunFinished) and self.final.best_epoch is not None:
            return self.final.best_epoch
        best = self.best_by_monitor
        return best[0] if best else None

    @property
    def best_saved_epoch(self) -> int | None:
        """The epoch whose weights best.keras holds, as the trainer recorded after saving it (None: unknown)."""
        if self.best_saves:
            return self.best_saves[-1].epoch
        return self.status.best_saved_epoch if self.status is not None else None

    @property
    def best_model_note(self) -> str | None:
        """One line when best.keras does not hold the best epoch (or is missing), else None."""
        best = self.best_epoch
        saved = self.best_saved_epoch
        if best is None or self.state in ACTIVE_STATES:
            return None
        exists = self.paths.best_model.is_file()
        if saved is None:
            if exists or not self.best_saves:
                return None  # nothing recorded either way (a run of an older version, or no save yet)
            return f"best.keras is missing (it held epoch {self.best_saves[-1].epoch})"
        if not exists:
            return f"best.keras is missing (it held epoch {saved})"
        if saved < best:
            why = "the trainer ended before it could save the best one" if self.state != "finished" else "not saved"
            return f"best.keras holds epoch {saved}, not the best epoch {best}: {why}"
        return None

    @property
    def notes(self) -> list[str]:
        """Every problem found while reading the run, one line each (empty for a sound record)."""
        found: list[str] = []
        for problem in (self.events_error, self.status_error, self.experiment_error):
            if problem:
                found.append(problem)
        if self.bad_lines:
            shown = ", ".join(str(n) for n in self.bad_lines[:5]) + (", ..." if len(self.bad_lines) > 5 else "")
            found.append(f"{len(self.bad_lines)} unreadable line(s) of events.jsonl skipped (line {shown})")
        found.extend(_log_gaps(self))
        note = self.best_model_note
        if note:
            found.append(note)
        return found

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
        from tuitrain.spec import Experiment

        if self.experiment is None:
            return None
        try:
            return Experiment.model_validate(self.experiment)
        except (ValueError, RecursionError):
            # ValueError: pydantic's ValidationError; RecursionError: a hand-made file nested absurdly deep.
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


def _log_gaps(record: RunRecord) -> list[str]:
    """What the event log itself lacks: its beginning, epochs, or the end the status or final event claims."""
    notes: list[str] = []
    if record.events_error is not None:
        return notes
    epochs = record.epochs
    if record.epoch_events and record.started is None:
        notes.append("events.jsonl has no run_started line: its beginning is missing")
    elif record.started is not None and record.started.run_id != record.run_id:
        notes.append(
            f"events.jsonl was written for run {one_line(record.started.run_id)!r} "
            "(the folder was renamed, or the log replaced)"
        )
    missing = [n for n in range(1, epochs[-1] + 1) if n not in set(epochs)] if epochs else []
    if missing:
        notes.append(f"events.jsonl has no record of {_epoch_list(missing)}")
    claimed = _claimed_epochs(record)
    if claimed is not None and claimed > record.epochs_done:
        source = "its final event" if record.final is not None else "status.json"
        notes.append(
            f"{source} says {claimed} epochs were trained but events.jsonl records {record.epochs_done}: "
            "the log was cut short or replaced"
        )
    elif record.final is None and record.status is not None and record.status.state not in ACTIVE_STATES:
        notes.append(f"events.jsonl has no final event: the outcome ({record.status.state}) is from status.json")
    return notes


def _epochs(n: int) -> str:
    return f"{n} epoch{'' if n == 1 else 's'}"


def _epoch_list(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"epoch {numbers[0]}"
    if numbers[-1] - numbers[0] + 1 == len(numbers):
        return f"epochs {numbers[0]}-{numbers[-1]}"
    return f"{len(numbers)} epochs ({', '.join(str(n) for n in numbers[:5])}{', ...' if len(numbers) > 5 else ''})"


def _claimed_epochs(record: RunRecord) -> int | None:
    """Epochs the trainer said it finished (its final event, else an ended status), if it said so."""
    if isinstance(record.final, RunFinished):
        return record.final.epochs_done
    if record.final is None and record.status is not None and record.status.state not in ACTIVE_STATES:
        return record.status.epochs_done
    return None


def _experiment_bytes(path: Path) -> tuple[bytes | None, str | None]:
    """An experiment file's bytes if it is a regular text file of at most 1 MB, else (None, why not)."""
    try:
        raw = read_regular(path, MAX_EXPERIMENT_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None, f"{path.name} is missing"
    except OSError as exc:
        return None, one_line(f"{path.name} cannot be read: {os_error_text(exc)}")
    if len(raw) > MAX_EXPERIMENT_BYTES:
        return None, f"{path.name} is over {MAX_EXPERIMENT_BYTES // 1_000_000} MB: not an experiment file"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{path.name} cannot be read: not UTF-8 text (a binary file?)"
    if b"\x00" in raw:
        return None, f"{path.name} cannot be read: it contains NUL bytes (a binary file?)"
    return raw, None


def read_experiment_data(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """An experiment file's TOML as a dict, or (None, one line on why not). Never raises.

    Only a regular file of at most :data:`MAX_EXPERIMENT_BYTES` is read.
    """
    raw, error = _experiment_bytes(path)
    if raw is None:
        return None, error
    try:
        return tomllib.loads(raw.decode("utf-8")), None
    except tomllib.TOMLDecodeError as exc:
        return None, one_line(f"{path.name} cannot be read: {exc}")
    except RecursionError:
        return None, f"{path.name} cannot be read: nested too deeply"


def read_experiment_text(run_dir: Path | str) -> tuple[str | None, str | None]:
    """The run's experiment.toml as text to show (controls escaped), or (None, why not). Never raises."""
    from tuitrain.text import printable_lines

    raw, error = _experiment_bytes(RunPaths(Path(run_dir)).experiment)
    return (printable_lines(raw.decode("utf-8")), None) if raw is not None else (None, error)


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
    run_dir: Path | None = None,
    events_error: str | None = None,
) -> tuple[RunState, str | None, bool | None, str | None]:
    """(state, reason, trainer alive, other host) by the rule of the module docstring.

    ``quiet``: seconds since the run directory last changed (see :data:`ORPHAN_AFTER`); ``run_dir``
    lets a pid recorded without its start time be checked against the process's command line;
    ``events_error``: why the event log could not be read at all.
    """
    if final is not None:
        reason = final.reason if isinstance(final, RunFinished) else final.error
        if isinstance(final, RunFinished) and final.epochs_done > epochs_done:
            reason = (
                f"the final event says {final.status} after {_epochs(final.epochs_done)}, but events.jsonl "
                f"records only {_epochs(epochs_done)}: lines of the log were lost"
            )
        return final.status, reason or None, None, None
    if status is not None and status.state not in ACTIVE_STATES:
        # The trainer wrote its end into the status but the final event is missing (lost with the disk
        # cache, or the log was cut short or removed): the status says how it ended; where the log does
        # not back up what it claims, the reason says so instead of repeating the claim.
        if events_error is not None:
            lost = f"events.jsonl cannot be read ({events_error.removeprefix('events.jsonl: ')})"
        elif status.epochs_done > epochs_done:
            lost = f"events.jsonl records only {_epochs(epochs_done)} and no final event (it was cut short or replaced)"
        else:
            return status.state, status.message or None, None, None
        claim = f"status.json says {status.state} after {_epochs(status.epochs_done)}"
        return status.state, f"{claim}, but {lost}", None, None
    if status is not None and status.pid is not None:
        pid, pid_start = status.pid, status.pid_start
    else:
        pid, pid_start = (started.pid, started.pid_start) if started is not None else (None, None)
    if status is not None and status.host and status.host != this_host():
        return "running", f"training on {status.host}: its process cannot be checked from here", None, status.host
    underway = started is not None or (status is not None and status.state == "running")
    if pid is None:
        if quiet > ORPHAN_AFTER:
            return "crashed", _ORPHAN_REASON, False, None
        return ("running" if underway else "pending"), None, None, None
    if trainer_process_alive(pid, pid_start, run_dir):
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
    experiment, experiment_error = read_experiment_data(paths.experiment)
    events_error = None
    try:
        log = read_events(paths.events, collapse_batches=True)
    except OSError as exc:
        log, events_error = EventLog(), f"events.jsonl: {os_error_text(exc)}: no history could be read"
    status, status_error = read_status_checked(paths.status)

    started: RunStarted | None = None
    final: RunFinished | RunFailed | None = None
    flags: list[FlagRaised] = []
    by_epoch: dict[int, EpochEnded] = {}
    last_batch: BatchProgress | None = None
    best_saves: list[BestSaved] = []
    for event in log.events:
        if isinstance(event, EpochEnded):
            by_epoch[event.epoch] = event  # a repeated epoch (resumed run) keeps its last record
        elif isinstance(event, BatchProgress):
            last_batch = event
        elif isinstance(event, FlagRaised):
            flags.append(event)
        elif isinstance(event, BestSaved):
            best_saves.append(event)
        elif isinstance(event, RunStarted):
            started = event if started is None else started
        elif isinstance(event, RunFinished | RunFailed):
            final = event
    epoch_events = [by_epoch[k] for k in sorted(by_epoch)]
    state, reason, alive, host = _judge(
        final, status, started, epoch_events[-1].epoch if epoch_events else 0, quiet_for(path), path, events_error
    )
    record = RunRecord(
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
        events_error=events_error,
        status_error=status_error,
        best_saves=best_saves,
    )
    note = record.best_model_note if state in ("crashed", "failed") else None
    if note:
        # Said plainly where the run's end is told (the monitor, the summary): not only among the notes.
        record.reason = f"{reason}; {note}" if reason else note
    return record


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
        return trainer_process_alive(status.pid, status.pid_start, paths.root)
    pid, pid_start = _started_pid(paths)  # a hand-broken status: the trainer's own first event names it too
    if pid is not None:
        return trainer_process_alive(pid, pid_start, paths.root)
    return False if quiet_for(paths.root) > ORPHAN_AFTER else None


def _started_pid(paths: RunPaths) -> tuple[int | None, int | None]:
    """(pid, its start time) from the run_started event (the event log's first line), if readable."""
    try:
        with open_regular(paths.events) as fh:
            first = fh.readline(64 * 1024)
        event = json.loads(first)
    except (OSError, ValueError):
        return None, None
    if not isinstance(event, dict) or event.get("type") != "run_started":
        return None, None
    pid, start = event.get("pid"), event.get("pid_start")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None, None
    return pid, start if isinstance(start, int) and not isinstance(start, bool) else None


def _last_output_line(path: Path) -> str | None:
    try:
        with open_regular(path) as fh:
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


def remove_stale_temporaries(record: RunRecord) -> list[Path]:
    """Delete the temporary files interrupted saves left in a run whose trainer is gone; return them.

    An atomic save writes ``.best.keras.<random>.tmp.keras`` and renames it; a kill in between leaves
    that file (up to the model's size) behind. Readers never look at it; once the run has ended (or
    its trainer died) nothing will finish it, so it goes. A run that may still be training, here or
    on another host, is left alone.
    """
    if record.state in ACTIVE_STATES or record.trainer_alive:
        return []
    return remove_temporaries(record.path)


def complete_history_csv(record: RunRecord) -> bool:
    """Rewrite ``history.csv`` of a run whose trainer is gone when it lacks epochs its event log has.

    The trainer appends an epoch's event, then rewrites ``history.csv``; a kill between the two leaves the
    file one epoch short. The event log is the record, so the file is made whole again from it (atomically)
    the first time a reader looks at the ended run. Returns True if it was rewritten.
    """
    if record.state in ACTIVE_STATES or record.trainer_alive or not record.epoch_events:
        return False
    expected = history_csv_text(record.epoch_events)
    try:
        current = read_regular(record.paths.history_csv).decode("utf-8", errors="replace")
    except FileNotFoundError:
        current = ""
    except OSError:
        return False  # a folder or FIFO in its place is not ours to replace
    if current == expected:
        return False
    try:
        atomic_write_text(record.paths.history_csv, expected)
    except OSError:
        return False  # a read-only runs folder (someone else's runs): the event log still has every epoch
    return True
