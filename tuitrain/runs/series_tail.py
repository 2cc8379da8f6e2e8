"""A run's per-epoch logs kept up to date by reading only what its trainer appended since the last look.

The sweep screen overlays the validation curves of a handful of trials and reads them again every
second while they train. Reading a run whole (:func:`tuitrain.runs.load_run`: its experiment, every
event, its status) costs 1.5 ms a run; :class:`SeriesTail` keeps an :class:`~tuitrain.runs.reader.EventTailer`
on the run's event log and parses only the lines added since, so a look at a run that did not move
costs one ``stat``. It gives what :meth:`RunRecord.series <tuitrain.runs.record.RunRecord.series>`
gives for the same log: one list per log name, aligned with the finished epochs, the learning rate
merged in, a repeated epoch (a resumed run) keeping its last record. A log replaced or truncated is
read again from its start; a log that cannot be read gives no series (and :attr:`SeriesTail.problem`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from tuitrain.runs.events import EpochEnded
from tuitrain.runs.reader import EventTailer

Series = dict[str, list[float | None]]
"""Log name -> one value per finished epoch (None where that epoch did not log it)."""


class SeriesTail:
    """The per-epoch logs of one run, read incrementally (see the module's text). Not thread-safe alone."""

    def __init__(self, run_dir: Path | str) -> None:
        self._tailer = EventTailer(run_dir)
        self._restarts = 0
        self._by_epoch: dict[int, dict[str, float]] = {}

    @property
    def problem(self) -> str | None:
        """Why the run's event log cannot be read now, or None."""
        return self._tailer.problem

    def series(self) -> Series:
        """The run's logs by name, as :meth:`RunRecord.series` gives them, read up to what was appended now."""
        events = self._tailer.poll()
        if self._tailer.restarts != self._restarts:  # replaced or truncated: what was read is gone
            self._restarts = self._tailer.restarts
            self._by_epoch.clear()
        for event in events:
            if isinstance(event, EpochEnded):
                row = dict(event.logs)
                if event.learning_rate is not None:
                    row["learning_rate"] = event.learning_rate
                self._by_epoch[event.epoch] = row
        if self.problem is not None:
            return {}
        rows = [self._by_epoch[epoch] for epoch in sorted(self._by_epoch)]
        keys: dict[str, None] = {}
        for row in rows:
            keys.update(dict.fromkeys(row))
        return {key: [row.get(key) for row in rows] for key in keys}


class SeriesTails:
    """:class:`SeriesTail` of the runs last asked about (at most ``keep``, the least recently asked dropped
    first); safe to call from several threads."""

    def __init__(self, keep: int = 256) -> None:
        self.keep = keep
        self._tails: OrderedDict[Path, SeriesTail] = OrderedDict()
        self._lock = threading.Lock()

    def series(self, run_dir: Path | str) -> Series:
        """The per-epoch logs of the run in ``run_dir`` (see :meth:`SeriesTail.series`)."""
        path = Path(run_dir)
        with self._lock:
            tail = self._tails.pop(path, None) or SeriesTail(path)
            self._tails[path] = tail
            while len(self._tails) > self.keep:
                self._tails.popitem(last=False)
            return tail.series()
