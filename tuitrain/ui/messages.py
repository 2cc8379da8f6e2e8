"""Messages about runs and sweeps: what the tail worker read (:class:`RunEvent`), which run or sweep the user
picked (:class:`RunChosen`, :class:`SweepChosen`: the app opens its screen), and the Search tab's
(:class:`SearchRequested`: the app starts the sweep; :class:`SearchChanged`).

A :class:`RunEvent` carries the event itself: a pydantic model of :mod:`tuitrain.runs.events`, or one
of the reader's notices of :mod:`tuitrain.runs.tail` (:data:`~tuitrain.runs.tail.TailEvent`); screens
hand it on to :meth:`tuitrain.ui.live_run.LiveRun.apply`. Every message names its run directory, so
one screen can watch several runs. Batch progress is replaceable: a burst of it waiting in the queue
collapses to the newest one. Epoch, flag and end-of-run events are never replaced.

(The runs and sweep packages are imported only for type checking: the app shell handles these messages
and starts without them.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tuitrain.runs.tail import TailEvent
    from tuitrain.sweep.spec import SweepSpec

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


class SweepChosen(Message):
    """The user chose the sweep in ``sweep_dir`` to watch (or just started it): the app opens its sweep screen."""

    def __init__(self, sweep_dir: Path) -> None:
        super().__init__()
        self.sweep_dir = Path(sweep_dir)


class SearchRequested(Message):
    """The user asked to start the search ``spec`` (its base inlined); ``source_dir`` anchors relative files."""

    def __init__(self, spec: SweepSpec, source_dir: Path | None) -> None:
        super().__init__()
        self.spec = spec
        self.source_dir = source_dir


class SearchChanged(Message):
    """What the Search tab searches, a range or a setting changed (the setup screen updates its footer)."""


__all__ = ["RunChosen", "RunEvent", "SearchChanged", "SearchRequested", "SweepChosen"]
