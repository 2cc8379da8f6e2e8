"""The readers' side of the event log: whole reads and incremental tailing, both tolerant of damage.

A reader never trusts the last line: the trainer may be killed mid-write, or still be writing it. A
last line without its newline (or one that does not parse) is dropped and reported as a torn tail;
a garbled line in the middle is skipped and reported; everything else is read.

Batch progress only says where the current epoch is, so a batch event followed by a later batch,
epoch or final event is out of date. With ``collapse_batches`` such events are dropped, and their
lines are recognised by their first bytes (:data:`~tuitrain.runs.events.BATCH_LINE_PREFIX`) and never
parsed: a long run has tens of thousands of them, and parsing is most of the cost of a read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.fsutil import open_regular, os_error_text, read_regular
from tuitrain.runs.events import (
    BATCH_LINE_PREFIX,
    BatchProgress,
    EpochEnded,
    Event,
    RunFailed,
    RunFinished,
    parse_event,
)

EVENTS_FILE = "events.jsonl"


@dataclass
class EventLog:
    """What a whole read of an event log found.

    ``torn_tail``: the last line was incomplete or unreadable and was dropped. ``bad_lines``: 1-based
    numbers of garbled lines that were skipped.
    """

    events: list[Event] = field(default_factory=list)
    torn_tail: bool = False
    bad_lines: list[int] = field(default_factory=list)


def events_file(path: Path | str) -> Path:
    """``path`` itself, or ``path/events.jsonl`` when ``path`` is a (run) directory.

    A folder named ``events.jsonl`` is the log's own path (a folder where the file belongs), not a run.
    """
    path = Path(path)
    return path / EVENTS_FILE if path.name != EVENTS_FILE and path.is_dir() else path


# A line (after its leading newline) that is not batch progress written by dump_event. The search is
# anchored on a literal newline, so the regex engine skips ahead at C speed between candidates.
_OTHER_LINE = re.compile(rb'\n((?!\{"type":"batch")[^\n]*)(?=\n)')


def _parse_lines(
    located: list[tuple[int, bytes]], collapse_batches: bool, line_no: Callable[[int], int]
) -> tuple[list[Event], list[int]]:
    """Parse (position, line) pairs in file order; return the events and the line numbers of bad lines.

    ``line_no`` turns a position into a line number; it is called only for bad lines (it may be slow).
    """
    events: list[Event] = []
    bad: list[int] = []
    superseded = False  # a later batch, epoch or final event has been seen (scanning backwards)
    for position, line in reversed(located):
        if not line.strip():
            continue
        try:
            event = parse_event(line)
        except ValueError:
            bad.append(line_no(position))
            continue
        if collapse_batches:
            if isinstance(event, BatchProgress):
                if superseded:
                    continue
                superseded = True
            elif isinstance(event, EpochEnded | RunFinished | RunFailed):
                superseded = True
        events.append(event)
    events.reverse()
    bad.reverse()
    return events, bad


def _decode(chunk: bytes, first_line_no: int, collapse_batches: bool) -> tuple[list[Event], list[int]]:
    """The events of ``chunk`` (whole lines, each ending in a newline; the first is ``first_line_no``).

    With ``collapse_batches`` only the last batch-progress line and the other lines are looked at; the
    rest are skipped unread, so a garbled line among them is not reported.
    """
    if not collapse_batches:
        lines = chunk.split(b"\n")[:-1]
        return _parse_lines(list(enumerate(lines, start=first_line_no)), False, lambda n: n)
    framed = b"\n" + chunk

    def line_no(start: int) -> int:
        # Newlines before ``start`` in ``framed``: the added one plus one per earlier line.
        return first_line_no + framed.count(b"\n", 0, start) - 1

    picked = [(m.start(1), m.group(1)) for m in _OTHER_LINE.finditer(framed)]
    last_batch = framed.rfind(b"\n" + BATCH_LINE_PREFIX)
    if last_batch >= 0:
        begin = last_batch + 1
        picked.append((begin, framed[begin : framed.index(b"\n", begin)]))
        picked.sort(key=lambda item: item[0])
    return _parse_lines(picked, True, line_no)


def parse_log_bytes(data: bytes, *, collapse_batches: bool = False) -> EventLog:
    """Read the events in ``data`` (an event log's bytes) with the rules of :func:`read_events`."""
    if not data:
        return EventLog()
    cut = data.rfind(b"\n") + 1  # the complete lines end here; the rest has no newline yet
    torn = bool(data[cut:].strip())
    events, bad = _decode(data[:cut], 1, collapse_batches)
    if bad and not torn:
        last_line = _last_nonblank_line_no(data[:cut])
        if bad[-1] == last_line:
            # A complete but unreadable last line is a torn write too (e.g. zeros after a power cut).
            bad.pop()
            torn = True
    return EventLog(events=events, torn_tail=torn, bad_lines=bad)


def _last_nonblank_line_no(chunk: bytes) -> int:
    # The last non-whitespace byte lies on the last non-blank line; count the newlines before it.
    end = len(chunk.rstrip())
    return chunk.count(b"\n", 0, end) + 1 if end else 0


def read_events(path: Path | str, *, collapse_batches: bool = False) -> EventLog:
    """Every event of an event log (``path``: the file or the run directory); a missing file has none.

    Safe while the trainer appends: what it has not finished writing shows as a torn tail.
    ``collapse_batches`` drops out-of-date batch progress (see the module docstring). Only a regular
    file is read: a folder, FIFO or device in its place raises OSError (never blocks).
    """
    try:
        data = read_regular(events_file(path))
    except FileNotFoundError:
        return EventLog()
    return parse_log_bytes(data, collapse_batches=collapse_batches)


class EventTailer:
    """Incremental reader of one event log: each :meth:`poll` returns the events appended since the last.

    Reads only the new bytes. A last line without its newline is held back until the newline arrives.
    The file need not exist yet. If it is replaced (another inode) or truncated, the tailer starts
    again from its beginning and counts that in :attr:`restarts` (so a consumer knows to clear what it
    showed). Garbled complete lines are skipped and their numbers kept in :attr:`bad_lines`.
    ``collapse_batches`` (default on) drops batch progress that a later event of the same poll makes
    out of date: the first poll of a long run returns its epochs and at most one batch event.
    """

    def __init__(self, path: Path | str, *, collapse_batches: bool = True) -> None:
        self.path = events_file(path)
        self.collapse_batches = collapse_batches
        self.restarts = 0
        self.bad_lines: list[int] = []
        self.problem: str | None = None
        """Why the log cannot be read now (a folder or FIFO in its place, permission denied), or None."""
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._pending = b""
        self._lines_read = 0

    @property
    def partial_line(self) -> bool:
        """True while the last line read has no newline yet (a write in progress, or a torn tail)."""
        return bool(self._pending)

    def _restart(self) -> None:
        self._offset = 0
        self._pending = b""
        self._lines_read = 0
        self.restarts += 1

    def poll(self) -> list[Event]:
        """The events of the lines completed since the last poll, oldest first (empty if none)."""
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            if self._identity is not None:
                self._identity = None
                self._restart()
            return []
        except OSError as exc:
            self.problem = f"{self.path.name}: {os_error_text(exc)}"
            return []
        if self._identity is not None and size == self._offset:
            # Unchanged size: nothing new, unless the file was replaced by one of the same size (rare;
            # caught on the next growth by the identity check below).
            return []
        try:
            fh = open_regular(self.path)
        except FileNotFoundError:
            return []
        except OSError as exc:
            # A folder or FIFO in its place (never opened: a FIFO would block this thread for ever).
            self.problem = f"{self.path.name}: {os_error_text(exc)}"
            return []
        self.problem = None
        with fh:
            st = os.fstat(fh.fileno())
            identity = (st.st_dev, st.st_ino)
            if self._identity is not None and (identity != self._identity or st.st_size < self._offset):
                self._restart()
            self._identity = identity
            fh.seek(self._offset)
            data = fh.read()
        self._offset += len(data)
        if not data:
            return []
        buffer = self._pending + data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self._pending = buffer
            return []
        self._pending = buffer[cut + 1 :]
        chunk = buffer[: cut + 1]
        events, bad = _decode(chunk, self._lines_read + 1, self.collapse_batches)
        self._lines_read += chunk.count(b"\n")
        self.bad_lines.extend(bad)
        return events
