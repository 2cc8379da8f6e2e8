"""Messages about runs: what the tail worker read (:class:`RunEvent`) and which run the user picked.

A :class:`RunEvent` carries the event itself: a pydantic model of :mod:`tuitrain.runs.events`, or one
of the reader's notices of :mod:`tuitrain.runs.tail` (:data:`~tuitrain.runs.tail.TailEvent`); screens
hand it on to :meth:`tuitrain.ui.live_run.LiveRun.apply`. Every message names its run directory, so
one screen can watch several runs. Batch progress is replaceable: a burst of it waiting in the queue
collapses to the newest one. Epoch, flag and end-of-run events are never replaced.

(The runs package is imported only for type checking: the app shell handles :class:`RunChosen` and
starts without it.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tuitrain.runs.tail import TailEvent

_BATCH = "batch"
"""The ``type`` of :class:`tuitrain.runs.events.BatchProgress` (every TailEvent has a ``type``)."""


class RunEvent(Message):
    """``event`` happened in the run at ``run_dir`` (read from its event log, or noticed by the reader)."""

    def __init__(self, run_dir: Path, event: TailEvent) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """Newer batch progress of the same run supersedes this batch progress (Textual collapses the burst)."""
        return (
            self.event.type == _BATCH
            and isinstance(message, RunEvent)
            and message.event.type == _BATCH
            and message.run_dir == self.run_dir
        )


class RunChosen(Message):
    """The user chose the run at ``run_dir`` to watch (or just started it): the app opens its monitor."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)


__all__ = ["RunChosen", "RunEvent"]
