"""The message the tail worker posts: one :class:`RunEvent` per event it read, carrying the event itself.

The event is a pydantic model of :mod:`tuitrain.runs.events`, or one of the reader's notices of
:mod:`tuitrain.runs.tail` (:data:`~tuitrain.runs.tail.TailEvent`); screens hand it on to
:meth:`tuitrain.ui.live_run.LiveRun.apply`. Every message names its run directory, so one screen can
watch several runs. Batch progress is replaceable: a burst of it waiting in the queue collapses to the
newest one. Epoch, flag and end-of-run events are never replaced.
"""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from tuitrain.runs.events import BatchProgress
from tuitrain.runs.tail import TailEvent


class RunEvent(Message):
    """``event`` happened in the run at ``run_dir`` (read from its event log, or noticed by the reader)."""

    def __init__(self, run_dir: Path, event: TailEvent) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """Newer batch progress of the same run supersedes this batch progress (Textual collapses the burst)."""
        return (
            isinstance(self.event, BatchProgress)
            and isinstance(message, RunEvent)
            and isinstance(message.event, BatchProgress)
            and message.run_dir == self.run_dir
        )


__all__ = ["RunEvent"]
