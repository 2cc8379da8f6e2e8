"""The dashboard's one door to run directories: everything it reads about runs goes through here.

:class:`RunsReader` implements the monitor's :class:`~tuitrain.ui.tailer.RunReader` and the runs
screen's :class:`RunsCatalog` on :mod:`tuitrain.runs`. Screens take a reader in their constructor;
tests may pass a fake.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tuitrain.runs.listing import RunSummary
from tuitrain.runs.status import ACTIVE_STATES
from tuitrain.runs.tail import LIVENESS_INTERVAL, POLL_INTERVAL, DirectoryProbe, Emit, tail_run
from tuitrain.spec import Experiment


class RunsCatalog(Protocol):
    """What the runs screen reads and does: list, read history and spec, delete."""

    def list_runs(self, runs_root: Path) -> list[RunSummary]:
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

    def __init__(self, *, poll_interval: float = POLL_INTERVAL, liveness_interval: float = LIVENESS_INTERVAL) -> None:
        self.poll_interval = poll_interval
        self.liveness_interval = liveness_interval
        self._root: tuple[Path, tuple[int, int] | None] | None = None
        self._rows: dict[Path, tuple[tuple[object, ...], RunSummary]] = {}

    # ------------------------------------------------------------------ one run

    def experiment(self, run_dir: Path) -> Experiment | None:
        """The run's ``experiment.toml`` as an Experiment, or None when it is missing or invalid."""
        from tuitrain.presets import experiment_from_data

        path = Path(run_dir) / "experiment.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return experiment_from_data(data, str(path))
        except (OSError, tomllib.TOMLDecodeError, ValueError):
            # The monitor still draws the history with default analysis settings.
            return None

    def tail(self, run_dir: Path, emit: Emit, is_cancelled: Callable[[], bool]) -> str:
        """Hand the run's events to ``emit`` as they are written (:func:`tuitrain.runs.tail.tail_run`)."""
        probe = DirectoryProbe(run_dir)
        return tail_run(
            probe, emit, is_cancelled, interval=self.poll_interval, liveness_interval=self.liveness_interval
        )

    # ------------------------------------------------------------------ the runs folder

    def list_runs(self, runs_root: Path) -> list[RunSummary]:
        """Every run under ``runs_root``, newest first.

        Cheap to call every few seconds: a run is read again only when its event log or status file
        changed, or while it is active (its trainer may have died without writing anything); the
        whole folder is read again when runs were added or removed.
        """
        from tuitrain.runs import list_runs, load_run

        root = Path(runs_root)
        root_signature = _signature(root)
        if self._root != (root, root_signature):
            summaries = list_runs(root)
            self._root = (root, root_signature)
            self._rows = {Path(s.run_dir): (_run_signature(Path(s.run_dir)), s) for s in summaries}
            return [row for _, row in self._rows.values()]
        for run_dir, (signature, row) in list(self._rows.items()):
            now = _run_signature(run_dir)
            if now == signature and row.state not in ACTIVE_STATES:
                continue
            try:
                self._rows[run_dir] = (now, RunSummary.from_record(load_run(run_dir)))
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
        """Remove the run's folder."""
        from tuitrain.runs import delete_run

        # Raises RunBusy (a RuntimeError) for a run that still trains, ValueError for a folder that
        # is not a run: both with a one-line message.
        delete_run(Path(run_dir))


def _signature(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of a file or folder, None when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _run_signature(run_dir: Path) -> tuple[object, ...]:
    return tuple(_signature(run_dir / name) for name in ("events.jsonl", "status.json", "experiment.toml"))
