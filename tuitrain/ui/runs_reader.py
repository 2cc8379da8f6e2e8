"""The dashboard's one door to run directories: everything it reads about runs goes through here.

:class:`RunsReader` implements the monitor's :class:`~tuitrain.ui.tailer.RunReader` and the runs
screen's :class:`RunsCatalog` on :mod:`tuitrain.runs`, and turns the runs package's events into the
dashboard's messages. Screens take a reader in their constructor; tests may pass a fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from textual.message import Message

from tuitrain.spec import Experiment
from tuitrain.ui import messages
from tuitrain.ui.tailer import EventSource


@dataclass(frozen=True)
class RunRow:
    """One line of the runs table.

    ``best_val_loss``/``best_val_accuracy``: (epoch, value) or None; ``duration``: seconds or None.
    """

    run_dir: Path
    name: str
    state: str
    dataset: str | None
    epochs_done: int
    epochs_planned: int | None
    best_val_loss: tuple[int, float] | None
    best_val_accuracy: tuple[int, float] | None
    duration: float | None
    started_at: float | None = None
    state_label: str | None = None
    """The state as shown ("running (on HOST)" for a trainer elsewhere); ``state`` when None."""
    reason: str | None = None


class RunsCatalog(Protocol):
    """What the runs screen reads and does: list, read history and spec, delete."""

    def list_runs(self, runs_root: Path) -> list[RunRow]:
        """Every run under ``runs_root``, newest first."""
        ...

    def history(self, run_dir: Path) -> dict[str, list[float | None]]:
        """The run's per-epoch values by log name."""
        ...

    def experiment(self, run_dir: Path) -> Experiment | None:
        """The run's resolved experiment, or None when it cannot be read."""
        ...

    def delete_run(self, run_dir: Path) -> None:
        """Remove the run's folder (the runs package refuses a running run)."""
        ...


class RunsReader:
    """The reader on :mod:`tuitrain.runs` (imported on first use: the app starts without it)."""

    def __init__(self) -> None:
        self._root: tuple[Path, tuple[int, int] | None] | None = None
        self._rows: dict[Path, tuple[tuple[object, ...], RunRow]] = {}
        self.skipped: list[str] = []
        """Folders the last full read of the runs root had to skip, one line each ("NAME: permission denied")."""

    # ------------------------------------------------------------------ one run

    def experiment(self, run_dir: Path) -> Experiment | None:
        """The run's ``experiment.toml`` as an Experiment, or None when it is missing or invalid."""
        from tuitrain.runs import load_experiment

        # None: the monitor still draws the history with default analysis settings.
        return load_experiment(Path(run_dir))

    def exists(self, run_dir: Path) -> bool:
        """True when the run directory is there."""
        return Path(run_dir).is_dir()

    def events(self, run_dir: Path) -> EventSource:
        """An incremental reader of the run's event log."""
        from tuitrain.runs import EventTailer

        return EventTailer(Path(run_dir))

    def trainer_alive(self, run_dir: Path) -> bool | None:
        """Whether the run's trainer process still exists (None: no pid recorded yet)."""
        from tuitrain.runs import trainer_alive

        return trainer_alive(Path(run_dir))

    def how_it_ended(self, run_dir: Path) -> tuple[str, str | None]:
        """The judged state of a run whose trainer is gone, and one line on why."""
        from tuitrain.runs import last_error, load_run

        record = load_run(Path(run_dir))
        if record.state in ("crashed", "failed"):
            return record.state, last_error(Path(run_dir)) or record.reason
        return record.state, record.reason

    def to_messages(self, run_dir: Path, event: Any) -> list[Message]:
        """The dashboard messages for one event of :mod:`tuitrain.runs.events`."""
        from tuitrain.runs import events as ev

        run_dir = Path(run_dir)
        if isinstance(event, ev.EpochEnded):
            return [
                messages.EpochEnded(
                    run_dir,
                    epoch=event.epoch,
                    logs=event.logs,
                    learning_rate=event.learning_rate,
                    seconds=event.epoch_seconds,
                    time=event.time,
                )
            ]
        if isinstance(event, ev.BatchProgress):
            return [
                messages.BatchProgressed(
                    run_dir, epoch=event.epoch, step=event.step, steps=event.steps, logs=event.logs, time=event.time
                )
            ]
        if isinstance(event, ev.RunStarted):
            return [
                messages.RunStarted(
                    run_dir,
                    epochs=event.epochs or None,
                    steps_per_epoch=event.steps_per_epoch or None,
                    device=event.device,
                    params=event.params_total,
                    started_at=event.time,
                    pid=event.pid,
                )
            ]
        if isinstance(event, ev.FlagRaised):
            return [messages.FlagRaised(run_dir, event.to_flag())]
        if isinstance(event, ev.BestSaved):
            return [messages.BestModelSaved(run_dir, epoch=event.epoch, time=event.time)]
        if isinstance(event, ev.RunFinished):
            return [messages.RunFinished(run_dir, state=event.status, reason=event.reason or None, time=event.time)]
        if isinstance(event, ev.RunFailed):
            traceback = run_dir / event.traceback_file if event.traceback_file else None
            return [
                messages.RunFailed(
                    run_dir, error=event.error, state=event.status, traceback_file=traceback, time=event.time
                )
            ]
        return []

    # ------------------------------------------------------------------ the runs folder

    def list_runs(self, runs_root: Path) -> list[RunRow]:
        """Every run under ``runs_root``, newest first.

        Cheap to call every few seconds: a run is read again only when its event log or status file
        changed, or while it is active (its trainer may have died without writing anything); the
        whole folder is read again when runs were added or removed.
        """
        from tuitrain.runs import RunSummary, load_run, scan_runs

        root = Path(runs_root)
        root_signature = _signature(root)
        if self._root != (root, root_signature):
            scan = scan_runs(root)
            summaries, self.skipped = scan.runs, scan.skipped
            self._root = (root, root_signature)
            self._rows = {Path(s.run_dir): (_run_signature(Path(s.run_dir)), _row(s)) for s in summaries}
            return [row for _, row in self._rows.values()]
        for run_dir, (signature, row) in list(self._rows.items()):
            now = _run_signature(run_dir)
            if now == signature and row.state not in ACTIVE_STATES:
                continue
            try:
                self._rows[run_dir] = (now, _row(RunSummary.from_record(load_run(run_dir))))
            except OSError:
                # Removed between two looks: the next full read (the folder changed) drops it.
                continue
        rows = [row for _, row in self._rows.values()]
        rows.sort(key=lambda r: (r.started_at or 0.0, r.name), reverse=True)
        return rows

    def history(self, run_dir: Path) -> dict[str, list[float | None]]:
        """The run's per-epoch values by log name."""
        from tuitrain.runs import load_run

        record = load_run(Path(run_dir))
        return {key: list(values) for key, values in record.series().items()}

    def delete_run(self, run_dir: Path) -> None:
        """Remove the run's folder: only a run directly inside the runs root it was listed from."""
        from tuitrain.runs import NotARunDirectory, delete_run

        if self._root is None:
            raise NotARunDirectory(f"{run_dir} was not listed from a runs folder: refusing to delete it")
        # Raises RunBusy (a RuntimeError) for a run that still trains, ValueError for anything that is
        # not a run inside that root: both with a one-line message.
        delete_run(self._root[0], Path(run_dir))


ACTIVE_STATES = frozenset({"pending", "running"})
"""States whose row is read again at every refresh (only the trainer's liveness can end them)."""


def _signature(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of a file or folder, None when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _run_signature(run_dir: Path) -> tuple[object, ...]:
    return tuple(_signature(run_dir / name) for name in ("events.jsonl", "status.json", "experiment.toml"))


def _row(summary: Any) -> RunRow:
    return RunRow(
        run_dir=Path(summary.run_dir),
        name=summary.name,
        state=summary.state,
        dataset=summary.dataset,
        epochs_done=summary.epochs_done,
        epochs_planned=summary.epochs_planned,
        best_val_loss=summary.best_val_loss,
        best_val_accuracy=summary.best_val_accuracy,
        duration=summary.duration,
        started_at=summary.started_at,
        state_label=summary.state_label,
        reason=summary.reason,
    )
