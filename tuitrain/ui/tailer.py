"""The tail worker: one thread per watched run reads new events and posts them as messages.

:func:`watch_run` starts it on a screen (or any DOM node); the loop itself, :func:`tail_run`, knows
nothing of Textual beyond "post this message" and "am I cancelled", so it can be tested on its own.

The worker reads the whole event log on its first poll (a finished run shows at once), then polls
every ``interval`` seconds for new lines. About once a second it asks the reader whether the trainer
is still alive; a trainer gone without a final event is reported once as :class:`RunCrashed`, after a
last poll for events that landed in between. The worker ends after a final event (or a crash).

Everything it reads goes through a :class:`RunReader`, by default :class:`RunsReader` on
:mod:`tuitrain.runs`; tests may hand a fake.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from tuitrain.spec import Experiment
from tuitrain.ui import messages

POLL_INTERVAL = 0.25
"""Seconds between polls of the event log (batch progress is written about four times a second)."""
LIVENESS_INTERVAL = 1.0
"""Seconds between checks that the trainer process is still there."""


class EventSource(Protocol):
    """Incremental reader of one run's event log."""

    def poll(self) -> list[Any]:
        """Events appended since the last poll (all of them on the first), oldest first."""
        ...


class RunReader(Protocol):
    """What the monitor reads about a run: its spec, its events, and whether its trainer lives."""

    def experiment(self, run_dir: Path) -> Experiment | None:
        """The run's resolved experiment, or None when it cannot be read."""
        ...

    def exists(self, run_dir: Path) -> bool:
        """True when ``run_dir`` is there (a run that was started has its directory before its trainer)."""
        ...

    def events(self, run_dir: Path) -> EventSource:
        """A fresh incremental reader of the run's events."""
        ...

    def trainer_alive(self, run_dir: Path) -> bool | None:
        """True/False when known (a trainer pid was recorded), None when it cannot be told."""
        ...

    def how_it_ended(self, run_dir: Path) -> tuple[str, str | None]:
        """For a run whose trainer is gone without a final event: its state ("crashed", or what the
        status file says) and one line on why (the trainer's last output, if any)."""
        ...

    def to_messages(self, run_dir: Path, event: Any) -> list[Message]:
        """The message(s) an event becomes (none for events the monitor does not show)."""
        ...


def tail_run(
    reader: RunReader,
    run_dir: Path,
    post: Callable[[Message], object],
    is_cancelled: Callable[[], bool],
    *,
    interval: float = POLL_INTERVAL,
    liveness_interval: float = LIVENESS_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Post the run's events as messages until it ends or the worker is cancelled.

    Returns why it stopped: "ended" (a final event was read), "crashed", "missing" (no run directory)
    or "cancelled".
    """
    if not reader.exists(run_dir):
        post(messages.LogProblem(run_dir, f"There is no run directory at {run_dir}: nothing to watch."))
        return "missing"
    source = reader.events(run_dir)
    next_check = clock()
    reported_bad = 0
    reported_problem: str | None = None
    while not is_cancelled():
        ended = _post_all(reader, run_dir, source.poll(), post)
        # The runs tailer skips garbled lines and keeps their numbers: say so once per line.
        bad = getattr(source, "bad_lines", ())
        if len(bad) > reported_bad:
            lines = ", ".join(str(n) for n in bad[reported_bad:][:5])
            post(messages.LogProblem(run_dir, f"Unreadable line(s) {lines} of the event log were skipped."))
            reported_bad = len(bad)
        # A log that cannot be read at all (a folder or FIFO in its place): said once, never opened.
        problem = getattr(source, "problem", None)
        if problem and problem != reported_problem:
            post(messages.LogProblem(run_dir, f"The event log cannot be read: {problem}."))
        reported_problem = problem
        if ended:
            return "ended"
        if clock() >= next_check:
            next_check = clock() + liveness_interval
            if reader.trainer_alive(run_dir) is False:
                # Events may have landed between the poll and the check: read once more before calling it.
                if _post_all(reader, run_dir, source.poll(), post):
                    return "ended"
                state, reason = reader.how_it_ended(run_dir)
                if state == "crashed":
                    reason = reason or "the trainer process ended without a final event"
                    post(messages.RunCrashed(run_dir, reason=reason))
                    return "crashed"
                # The status file recorded an end that the event log lost (e.g. with a disk cache).
                post(messages.RunFinished(run_dir, state=state, reason=reason))
                return "ended"
        sleep(interval)
    return "cancelled"


_FINAL = (messages.RunFinished, messages.RunFailed, messages.RunCrashed)


def _post_all(reader: RunReader, run_dir: Path, events: Iterable[Any], post: Callable[[Message], object]) -> bool:
    """Post every event's messages; True if one of them ended the run."""
    ended = False
    for event in events:
        for message in reader.to_messages(run_dir, event):
            post(message)
            ended = ended or isinstance(message, _FINAL)
    return ended


def watch_run(
    node: DOMNode,
    run_dir: Path,
    reader: RunReader,
    *,
    interval: float = POLL_INTERVAL,
    liveness_interval: float = LIVENESS_INTERVAL,
) -> Worker[str]:
    """Start the tail worker for ``run_dir`` on ``node``; its messages go to ``node``.

    This is ``@work(thread=True, exclusive=True, exit_on_error=False)`` spelled as ``run_worker``
    because the group names the run ("tail-<run>"): watching the same run again from the same node
    replaces the old worker, watching another run does not.
    """
    run_dir = Path(run_dir)
    return node.run_worker(
        partial(_tail_in_thread, node, reader, run_dir, interval, liveness_interval),
        name=f"Watching {run_dir.name}",
        group=f"tail-{run_dir.name}",
        description=f"tail {run_dir}",
        thread=True,
        exclusive=True,
        exit_on_error=False,
    )


def _tail_in_thread(node: DOMNode, reader: RunReader, run_dir: Path, interval: float, liveness: float) -> str:
    worker = get_current_worker()
    return tail_run(
        reader,
        run_dir,
        node.post_message,
        lambda: worker.is_cancelled,
        interval=interval,
        liveness_interval=liveness,
    )
