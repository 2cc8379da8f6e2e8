"""The trainer's side of a run directory: the event log, the status file and ``history.csv``.

The event log is append-only: each event is one line written by one ``write`` system call on a file
opened with ``O_APPEND``, so a reader sees whole lines and at most one torn last line after a kill.
Epoch, flag and final events are fsync'd at once; batch progress and the steps of a learning-rate range
test at most once a second (fsync costs milliseconds, batches come many times a second). Everything that
is replaced (status, history) goes through :mod:`tuitrain.fsutil`: a kill during a write leaves the
previous good file.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tuitrain.fsutil import atomic_write_text
from tuitrain.runs.events import BatchProgress, EpochEnded, Event, LrStep, dump_event
from tuitrain.runs.layout import RunPaths
from tuitrain.runs.status import ACTIVE_STATES, RunState, RunStatus, write_status

BATCH_FSYNC_INTERVAL = 1.0
"""Seconds between fsyncs caused by batch-progress events."""


class EventWriter:
    """Appends events to ``events.jsonl``, one line each, flushed at once and fsync'd as the module says.

    Thread-safe (a signal handler's thread may report while a callback writes). Use as a context manager
    or call :meth:`close`.
    """

    def __init__(self, path: Path | str, *, batch_fsync_interval: float = BATCH_FSYNC_INTERVAL) -> None:
        self.path = Path(path)
        self._batch_fsync_interval = batch_fsync_interval
        self._lock = threading.Lock()
        self._last_fsync = float("-inf")
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        self._end_torn_line()

    def _end_torn_line(self) -> None:
        # A previous writer killed mid-line left a line without its newline: end it, or our first line
        # would be glued onto it and both would be lost to the reader.
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            self._write_all(b"\n")

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            # One call for the whole line in practice; the loop only covers a short write (disk full...).
            written = os.write(self._fd, view)
            view = view[written:]

    def write(self, event: Event) -> None:
        """Append ``event`` as one line; fsync unless it is batch progress fsync'd less than a second ago."""
        line = (dump_event(event) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise ValueError(f"the event log {self.path} is closed")
            self._write_all(line)
            now = time.monotonic()
            if not isinstance(event, BatchProgress | LrStep) or now - self._last_fsync >= self._batch_fsync_interval:
                os.fsync(self._fd)
                self._last_fsync = now

    def close(self) -> None:
        """fsync and close the log (idempotent)."""
        with self._lock:
            if self._fd is None:
                return
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._fd is None

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StatusFile:
    """The run's ``status.json`` as the trainer keeps it: the current status, rewritten atomically on change."""

    def __init__(self, path: Path | str | RunPaths, status: RunStatus | None = None) -> None:
        self.path = path.status if isinstance(path, RunPaths) else Path(path)
        self.status = status if status is not None else RunStatus.for_this_process("running")

    def write(self) -> None:
        """Write the current status."""
        write_status(self.path, self.status)

    def update(self, state: RunState | None = None, **changes: Any) -> RunStatus:
        """Change fields (``state``, ``epochs_done``, ``message``, ...), write, and return the new status.

        Moving to an ended state sets ``ended_at`` unless given.
        """
        if state is not None:
            changes["state"] = state
            if state not in ACTIVE_STATES:
                changes.setdefault("ended_at", time.time())
        self.status = self.status.model_validate({**self.status.model_dump(), **changes})
        self.write()
        return self.status


HISTORY_TAIL_COLUMNS = ("learning_rate", "epoch_seconds")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float; nan/inf as "nan"/"inf"
    return str(value)


def history_csv_text(rows: Iterable[EpochEnded]) -> str:
    """CSV text of epochs: ``epoch``, the union of log keys (first-seen order), ``learning_rate``, ``epoch_seconds``."""
    rows = list(rows)
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(k for k in row.logs if k not in HISTORY_TAIL_COLUMNS and k != "epoch"))
    columns = ["epoch", *keys, *HISTORY_TAIL_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values: Mapping[str, Any] = {
            **row.logs,
            "epoch": row.epoch,
            # ReduceLROnPlateau also puts the rate into the logs; the event's own field wins when set.
            "learning_rate": row.learning_rate if row.learning_rate is not None else row.logs.get("learning_rate"),
            "epoch_seconds": row.epoch_seconds,
        }
        writer.writerow([_cell(values.get(column)) for column in columns])
    return out.getvalue()


class HistoryCsvWriter:
    """Keeps ``history.csv`` up to date: after each epoch the whole file is rewritten atomically.

    A rewrite (not an append) because a new log key may appear in a later epoch and needs a column,
    and because a kill mid-append would leave half a row; a thousand short rows rewrite in well under
    a millisecond of CPU.
    """

    def __init__(self, path: Path | str | RunPaths, rows: Iterable[EpochEnded] = ()) -> None:
        self.path = path.history_csv if isinstance(path, RunPaths) else Path(path)
        self._rows: dict[int, EpochEnded] = {}
        for row in rows:
            self._rows[row.epoch] = row

    def add(self, epoch: EpochEnded, *, write: bool = True) -> None:
        """Record ``epoch`` (replacing an earlier row of the same epoch) and rewrite the file."""
        self._rows[epoch.epoch] = epoch
        if write:
            self.write()

    def write(self) -> None:
        """Rewrite the file from the recorded epochs (in epoch order)."""
        atomic_write_text(self.path, history_csv_text(self._rows[k] for k in sorted(self._rows)))

    @property
    def rows(self) -> list[EpochEnded]:
        """The recorded epochs in epoch order."""
        return [self._rows[k] for k in sorted(self._rows)]
