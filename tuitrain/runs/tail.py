"""Following a run while it trains: the one loop behind the dashboard's tail worker and ``tuitrain run``.

:func:`tail_run` reads a run's event log through a :class:`RunProbe` (all of it on the first poll, then
every ``interval`` seconds) and hands every event to ``emit``, oldest first. About once a second it asks
whether the trainer still lives; a trainer gone without a final event is reported once as
:class:`TrainerGone`, after a last poll for events that landed in between. Lines of the log that cannot
be read, an event log that cannot be read at all (a folder or FIFO in its place: never opened), and a run
directory that is not there, are reported as :class:`LogProblem`. The loop ends after
a final event (or a :class:`TrainerGone`), or when ``is_cancelled()`` says so.

The two notices are not written to any log: they are what a reader finds out. With the events of
:mod:`tuitrain.runs.events` they make up :data:`TailEvent`, what ``emit`` receives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from tuitrain.runs import events
from tuitrain.runs.events import Event, is_final
from tuitrain.runs.reader import EventTailer
from tuitrain.runs.record import last_error, load_run, trainer_alive
from tuitrain.runs.status import ACTIVE_STATES, RunState

POLL_INTERVAL = 0.25
"""Seconds between polls of the event log (batch progress is written about four times a second)."""
LIVENESS_INTERVAL = 1.0
"""Seconds between checks that the trainer process is still there."""
GONE_REASON = "the trainer process ended without a final event"
"""Why a run crashed, when nothing more is known."""


class LogProblem(BaseModel):
    """The reader could not use part of the event log (garbled lines were skipped), or found no run at all."""

    model_config = ConfigDict(frozen=True)

    type: Literal["log_problem"] = "log_problem"
    detail: str


class TrainerGone(BaseModel):
    """The trainer process is gone and the event log has no final event.

    ``state`` is how the run ended as judged from its directory: "crashed" (killed, out of memory, ...),
    or the end its status file recorded when the log lost its final event. ``reason``: one line on why.
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["trainer_gone"] = "trainer_gone"
    state: RunState
    reason: str | None = None


TailEvent = (
    events.RunStarted
    | events.EpochEnded
    | events.BatchProgress
    | events.FlagRaised
    | events.LrStep
    | events.BestSaved
    | events.RunFinished
    | events.RunFailed
    | LogProblem
    | TrainerGone
)
"""What a follower of a run receives: the run's own events and the reader's two notices."""

Emit = Callable[[TailEvent], object]
"""Receives each event as it is read (the dashboard posts it as a message; the CLI prints it)."""


class RunProbe(Protocol):
    """What :func:`tail_run` reads about one run: its events and whether its trainer lives."""

    run_dir: Path

    def exists(self) -> bool:
        """True when the run is there to follow (a run that was started has its directory before its trainer)."""
        ...

    def poll(self) -> Sequence[Event]:
        """Events appended since the last poll (all of them on the first), oldest first."""
        ...

    def skipped_lines(self) -> Sequence[int]:
        """Numbers of the event-log lines found unreadable since the last call."""
        ...

    def log_problem(self) -> str | None:
        """Why the event log cannot be read at all right now (``"events.jsonl: is a FIFO ..."``), or None."""
        ...

    def trainer_alive(self) -> bool | None:
        """True/False when known (a trainer pid was recorded), None when it cannot be told."""
        ...

    def how_it_ended(self) -> tuple[RunState, str | None]:
        """For a run whose trainer is gone without a final event: its state ("crashed", or what the
        status file says) and one line on why (the trainer's last output, if any)."""
        ...


class DirectoryProbe:
    """A :class:`RunProbe` on a run directory, through the rest of :mod:`tuitrain.runs`."""

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self._tailer = EventTailer(self.run_dir)
        self._bad_seen = 0

    def exists(self) -> bool:
        """True when the run directory is there."""
        return self.run_dir.is_dir()

    def poll(self) -> Sequence[Event]:
        """New complete lines of ``events.jsonl`` as events (garbled ones skipped, see :meth:`skipped_lines`)."""
        return self._tailer.poll()

    def skipped_lines(self) -> Sequence[int]:
        """Line numbers the tailer skipped since the last call."""
        bad = self._tailer.bad_lines[self._bad_seen :]
        self._bad_seen = len(self._tailer.bad_lines)
        return bad

    def log_problem(self) -> str | None:
        """The tailer's note on a log it could not open (it opens only a regular file), or None."""
        return self._tailer.problem

    def trainer_alive(self) -> bool | None:
        """Whether the run's trainer process still exists (None: no pid recorded yet, or another host)."""
        return trainer_alive(self.run_dir)

    def how_it_ended(self) -> tuple[RunState, str | None]:
        """The judged state of a run whose trainer is gone, and one line on why."""
        record = load_run(self.run_dir)
        if record.state in ("crashed", "failed"):
            return record.state, last_error(self.run_dir) or record.reason
        return record.state, record.reason


def tail_run(
    probe: RunProbe,
    emit: Emit,
    is_cancelled: Callable[[], bool],
    *,
    interval: float = POLL_INTERVAL,
    liveness_interval: float = LIVENESS_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Hand the run's events to ``emit`` until it ends or ``is_cancelled()``.

    Returns why it stopped: "ended" (a final event was read, or the status file recorded an end),
    "crashed", "missing" (no run directory) or "cancelled". Calling it again with the same probe goes
    on where it stopped (``tuitrain run`` does after Ctrl+C).
    """
    if not probe.exists():
        emit(LogProblem(detail=f"There is no run directory at {probe.run_dir}: nothing to watch."))
        return "missing"
    next_check = clock()
    reported: str | None = None  # the log problem last said: each is said once, while it lasts
    while not is_cancelled():
        ended = _emit_new(probe, emit)
        problem = probe.log_problem()
        if problem and problem != reported:
            emit(LogProblem(detail=f"The event log cannot be read: {problem}."))
        reported = problem
        if ended:
            return "ended"
        if clock() >= next_check:
            next_check = clock() + liveness_interval
            if probe.trainer_alive() is False:
                # Events may have landed between the poll and the check: read once more before calling it.
                if _emit_new(probe, emit):
                    return "ended"
                state, reason = probe.how_it_ended()
                if state in ACTIVE_STATES:
                    state = "crashed"  # the directory cannot tell, but the process is gone
                if state == "crashed":
                    emit(TrainerGone(state="crashed", reason=reason or GONE_REASON))
                    return "crashed"
                # The status file recorded an end that the event log lost (e.g. with a disk cache).
                emit(TrainerGone(state=state, reason=reason))
                return "ended"
        sleep(interval)
    return "cancelled"


def _emit_new(probe: RunProbe, emit: Emit) -> bool:
    """Emit the events of one poll and report skipped lines; True if one of the events ended the run."""
    ended = False
    for event in probe.poll():
        emit(event)
        ended = ended or is_final(event)
    skipped = probe.skipped_lines()
    if skipped:
        lines = ", ".join(str(n) for n in skipped[:5])
        emit(LogProblem(detail=f"Unreadable line(s) {lines} of the event log were skipped."))
    return ended
