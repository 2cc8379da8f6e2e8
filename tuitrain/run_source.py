"""Where the dashboard's runs come from and how it acts on them: the one seam every screen uses.

:class:`RunsSource` is all a screen knows about runs: list them, load one, follow one as it trains, read
its per-epoch logs as they grow, start, stop and delete one, and start a learning-rate range test; and
the sweeps beside them: list them, load one, start one from a spec, stop one, resume one, refine one
around its best trials, save its best trial as a preset. A trial is an ordinary run directory: it is
opened, followed and stopped (the normal stop path) like any run. :class:`LocalRunsSource` is that seam
on a runs folder: reading goes through :mod:`tuitrain.runs` and :mod:`tuitrain.sweep`, trainer and
controller processes through :mod:`tuitrain.launcher` and :mod:`tuitrain.sweep.process`. The app is
given a source (``TuitrainApp(source=...)``) and hands it to every screen; tests give it a fake.

Plain Python, no Textual; :mod:`tuitrain.runs`, the launcher and the sweep package are imported on
first use, so the dashboard draws its first screen without them (and never imports Optuna: only the
controller process does).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tuitrain.runs.listing import RunSummary
    from tuitrain.runs.logtail import LogTail
    from tuitrain.runs.note import RunNote
    from tuitrain.runs.record import RunRecord
    from tuitrain.runs.series_tail import Series, SeriesTails
    from tuitrain.runs.tail import Emit
    from tuitrain.spec import Experiment
    from tuitrain.sweep.spec import SweepSpec
    from tuitrain.sweep.status import SweepRecord


class RunsSource(Protocol):
    """The runs a dashboard shows and acts on. Every method may be called from a worker thread."""

    runs_root: Path
    """The folder the runs are in (shown to the user; new runs are made there)."""
    skipped: list[str]
    """Folders the last :meth:`list` could not read, one line each (``"NAME: permission denied"``)."""

    data_dir: Path | None
    """The folder the trainers it starts look in first for data files (None: the default search)."""

    def list(self) -> list[RunSummary]:
        """Every run, newest first (cheap enough to call every few seconds).

        A folder that cannot be read is left out and noted in :attr:`skipped`; only a runs folder that
        is not a readable folder raises (ValueError, one line).
        """
        ...

    def list_trials(self, sweep_dir: Path) -> list[RunSummary]:
        """The run directories of a sweep's trials (its ``trials/``), newest first, as :meth:`list` lists runs.

        Cheap enough to call every few seconds for every sweep; a trial folder that cannot be read is
        left out, and a sweep folder without a readable ``trials/`` has none (never raises).
        """
        ...

    def load(self, run_dir: Path) -> RunRecord:
        """Everything recorded about one run: state, history, experiment (``record.experiment_spec()``)."""
        ...

    def epoch_series(self, run_dir: Path) -> Series:
        """The run's per-epoch logs by name (as ``load(run_dir).series()`` gives them), cheap to ask again
        and again: only what its trainer appended since the last call is read (the sweep screen's curves)."""
        ...

    def tail(self, run_dir: Path, emit: Emit, is_cancelled: Callable[[], bool]) -> str:
        """Hand the run's events to ``emit`` as they come, until it ends or ``is_cancelled()``.

        Returns why it stopped: "ended", "crashed", "missing" or "cancelled" (see
        :func:`tuitrain.runs.tail.tail_run`).
        """
        ...

    def start(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        """Start training ``experiment`` and return its run directory at once.

        ``preset_dir`` anchors a relative npz path (the folder of the preset it came from).
        """
        ...

    def find_learning_rate(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        """Start a learning-rate range test of ``experiment`` and return its run directory at once.

        A run of its own kind (:mod:`tuitrain.runs.lr_find`): followed with :meth:`tail` like any run.
        """
        ...

    def stop(self, run_dir: Path) -> bool:
        """Ask the run's trainer to stop after the current batch; False when no trainer runs for it."""
        ...

    def delete(self, run_dir: Path) -> None:
        """Remove the run, only ever a run directory inside :attr:`runs_root`; raises ValueError (not such
        a run) or RuntimeError (a run that still trains) with one line on why."""
        ...

    def set_note(self, run_dir: Path, note: RunNote) -> None:
        """Keep the user's note and tags on the run (an empty note removes them); OSError when it cannot."""
        ...

    def logs(self, run_dir: Path) -> list[LogTail]:
        """The ends of the run's traceback and trainer log, safe to show (never raises for a missing file)."""
        ...

    def list_sweeps(self) -> list[SweepRecord]:
        """Every sweep in the runs folder's ``sweeps/``, newest first."""
        ...

    def load_sweep(self, sweep_dir: Path) -> SweepRecord:
        """One sweep: its status, state (judged: "crashed" when its controller is gone) and trials."""
        ...

    def load_sweep_spec(self, sweep_dir: Path) -> SweepSpec | None:
        """The sweep's spec as it was resolved when it started (its space: each parameter's scale), or None
        when it can't be read."""
        ...

    def start_sweep(self, spec: SweepSpec, source_dir: Path | None = None) -> Path:
        """Check ``spec`` against its base, make its sweep folder, start its controller; the folder, at once.

        Raises :class:`~tuitrain.sweep.SweepError` (every problem, one line each) for a spec that can't
        run. ``source_dir`` anchors relative files (a base preset file, an npz path).
        """
        ...

    def stop_sweep(self, sweep_dir: Path) -> str:
        """Stop the sweep and its trials after their current batch (what they trained is kept); one line on
        what was done. Raises ValueError with one line when it can't."""
        ...

    def resume_sweep(self, sweep_dir: Path) -> str:
        """Start the controller again on a sweep that was stopped or lost it, up to its budget; one line on
        what is left. Raises ValueError with one line when there is nothing to resume."""
        ...

    def refine_sweep(self, sweep_dir: Path, top: int) -> SweepSpec:
        """A new sweep whose ranges span the ``top`` best trials of this one (see :mod:`tuitrain.sweep.refine`);
        not started. Raises :class:`~tuitrain.sweep.SweepError` with one line when it can't."""
        ...

    def save_best(self, sweep_dir: Path, name: str, overwrite: bool = False) -> Path:
        """Save the best trial's experiment as the user preset ``name``; its file.

        Raises ValueError (no best trial, a bad name), FileExistsError or OSError, one line each.
        """
        ...


class LocalRunsSource:
    """The runs in ``runs_root``; trainers started here look for data files in ``data_dir`` first.

    ``pace`` is (seconds between two reads of a followed run's log, seconds between two checks that
    its trainer lives) for :meth:`tail`; None: the defaults of :func:`tuitrain.runs.tail.tail_run`
    (tests make them short).
    """

    def __init__(
        self, runs_root: Path, data_dir: Path | None = None, *, pace: tuple[float, float] | None = None
    ) -> None:
        self.runs_root = Path(runs_root)
        self.data_dir = data_dir
        self.pace = pace
        self.skipped: list[str] = []
        self._runs = _FolderListing(self.runs_root)
        self._trials: dict[Path, _FolderListing] = {}
        self._series: SeriesTails | None = None

    def list(self) -> list[RunSummary]:
        """Every run in the folder, newest first.

        Cheap to call every few seconds: a run is read again only when its event log or status file
        changed, or while it is active (its trainer may have died without writing anything); the
        whole folder is read again when runs were added or removed (and :attr:`skipped` with it).
        """
        from tuitrain import runs

        rows = self._runs.list()
        self.skipped = self._runs.skipped
        if self._runs.error is not None:
            raise runs.RunsRootError(self._runs.error)
        return rows

    def list_trials(self, sweep_dir: Path) -> list[RunSummary]:
        """The runs in the sweep's ``trials/`` folder, read as :meth:`list` reads the runs folder (a
        trial is read again only when it changed or while it is active); none when it can't be read."""
        from tuitrain.sweep.layout import SweepPaths

        folder = SweepPaths(Path(sweep_dir)).trials
        # A dashboard left open for days sees sweeps deleted: their listings (a row per trial) go too.
        for gone in [f for f in self._trials if f != folder and not f.exists()]:
            del self._trials[gone]
        listing = self._trials.setdefault(folder, _FolderListing(folder))
        return listing.list()

    def load(self, run_dir: Path) -> RunRecord:
        """The run directory read whole (:func:`tuitrain.runs.load_run`); damaged content is reported, not raised."""
        from tuitrain import runs

        return runs.load_run(Path(run_dir))

    def epoch_series(self, run_dir: Path) -> Series:
        """The run's per-epoch logs, its event log read from where the last call stopped
        (:class:`tuitrain.runs.series_tail.SeriesTails`); none when the log can't be read."""
        if self._series is None:
            from tuitrain.runs.series_tail import SeriesTails

            self._series = SeriesTails()
        return self._series.series(run_dir)

    def tail(self, run_dir: Path, emit: Emit, is_cancelled: Callable[[], bool]) -> str:
        """Follow the run directory's event log (:func:`tuitrain.runs.tail.tail_run`)."""
        from tuitrain.runs.tail import DirectoryProbe, tail_run

        if self.pace is None:
            return tail_run(DirectoryProbe(run_dir), emit, is_cancelled)
        poll, liveness = self.pace
        return tail_run(DirectoryProbe(run_dir), emit, is_cancelled, interval=poll, liveness_interval=liveness)

    def start(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        """Create a run directory in the runs folder and start its trainer process (the launcher's)."""
        from tuitrain.launcher import start_run

        return Path(start_run(experiment, self.runs_root, data_dir=self.data_dir, preset_dir=preset_dir).run_dir)

    def find_learning_rate(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        """Start a range test with the default settings in the runs folder (the launcher's
        :func:`~tuitrain.launcher.start_lr_find`)."""
        from tuitrain.launcher import start_lr_find
        from tuitrain.runs.lr_find import LrFindSettings

        settings = LrFindSettings()
        return Path(start_lr_find(experiment, settings, self.runs_root, self.data_dir, preset_dir).run_dir)

    def stop(self, run_dir: Path) -> bool:
        """SIGTERM to the run's trainer (the launcher's :func:`~tuitrain.launcher.stop_run`)."""
        from tuitrain.launcher import stop_run

        return stop_run(run_dir)

    def delete(self, run_dir: Path) -> None:
        """Remove the run's folder: only a run directly inside the runs folder this source lists.

        :func:`tuitrain.runs.delete_run` resolves symbolic links on both sides and refuses anything
        else (a folder elsewhere, a link, a folder that is not a run) and a run that still trains.
        """
        from tuitrain import runs

        runs.delete_run(self.runs_root, Path(run_dir))

    def set_note(self, run_dir: Path, note: RunNote) -> None:
        """Write the run's ``note.json`` atomically (:func:`tuitrain.runs.note.write_note`)."""
        from tuitrain.runs.note import write_note

        write_note(Path(run_dir), note)

    def logs(self, run_dir: Path) -> list[LogTail]:
        """The tails of ``traceback.txt`` and ``trainer.log`` (:func:`tuitrain.runs.logtail.run_logs`)."""
        from tuitrain.runs.logtail import run_logs

        return run_logs(Path(run_dir))

    # ------------------------------------------------------------------ sweeps

    def list_sweeps(self) -> list[SweepRecord]:
        """Every sweep under ``<runs root>/sweeps`` (:func:`tuitrain.sweep.list_sweeps`), newest first."""
        from tuitrain.sweep.status import list_sweeps

        return list_sweeps(self.runs_root)

    def load_sweep(self, sweep_dir: Path) -> SweepRecord:
        """The sweep folder read (:func:`tuitrain.sweep.load_sweep`); a broken one reads as "failed", never raises."""
        from tuitrain.sweep.status import load_sweep

        return load_sweep(Path(sweep_dir))

    def load_sweep_spec(self, sweep_dir: Path) -> SweepSpec | None:
        """The folder's ``sweep.toml`` (:func:`tuitrain.sweep.read_sweep_file`); None when it can't be read."""
        from tuitrain.sweep.layout import SweepPaths
        from tuitrain.sweep.spec import SweepError, read_sweep_file

        try:
            return read_sweep_file(SweepPaths(Path(sweep_dir)).spec)
        except SweepError:
            return None

    def start_sweep(self, spec: SweepSpec, source_dir: Path | None = None) -> Path:
        """Resolve the spec, make its folder under ``<runs root>/sweeps`` and start its controller process."""
        from tuitrain.sweep.process import prepare_sweep, start_controller
        from tuitrain.sweep.resolve import resolve_sweep

        resolved = resolve_sweep(spec, spec.name, source_dir)
        paths = prepare_sweep(resolved, self.runs_root, self.data_dir)
        start_controller(paths, self.data_dir)
        return paths.root

    def stop_sweep(self, sweep_dir: Path) -> str:
        """SIGTERM to its controller, or its trials when the controller is gone (:func:`tuitrain.sweep.stop_sweep`)."""
        from tuitrain.sweep.layout import SweepPaths
        from tuitrain.sweep.process import stop_sweep

        return stop_sweep(SweepPaths(Path(sweep_dir)))

    def resume_sweep(self, sweep_dir: Path) -> str:
        """Start its controller again (:func:`tuitrain.sweep.process.resume_sweep`), data files from ``data_dir``."""
        from tuitrain.sweep.layout import SweepPaths
        from tuitrain.sweep.process import resume_sweep

        return resume_sweep(SweepPaths(Path(sweep_dir)), self.data_dir)[1]

    def refine_sweep(self, sweep_dir: Path, top: int) -> SweepSpec:
        """:func:`tuitrain.sweep.refine.refine_sweep` on the folder; the refined spec (its base inlined)."""
        from tuitrain.sweep.refine import refine_sweep

        return refine_sweep(Path(sweep_dir), top=top)[1].spec

    def save_best(self, sweep_dir: Path, name: str, overwrite: bool = False) -> Path:
        """:func:`tuitrain.sweep.best.save_best_preset` on the folder's sweep."""
        from tuitrain.sweep.best import save_best_preset
        from tuitrain.sweep.status import load_sweep

        return save_best_preset(load_sweep(Path(sweep_dir)), name, overwrite=overwrite)


class _FolderListing:
    """The runs directly inside one folder, read whole once and then only where something changed.

    A run is read again when its event log, status, experiment or note file changed, or while it is
    active (its trainer may have died without writing anything); the whole folder is read again when
    runs were added or removed. ``skipped``: the folders the last full read could not read;
    ``error``: why the folder itself can't be read (one line), if it can't.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.skipped: list[str] = []
        self.error: str | None = None
        self._listed = False
        self._signature: tuple[int, int] | None = None  # the folder's, at the last full read
        self._rows: dict[Path, tuple[tuple[object, ...], RunSummary]] = {}

    def list(self) -> list[RunSummary]:
        """The folder's runs, newest first (none, with :attr:`error` set, when it can't be read)."""
        from tuitrain import runs
        from tuitrain.runs.status import ACTIVE_STATES

        signature = _signature(self.folder)
        if not self._listed or self._signature != signature:
            try:
                scan = runs.scan_runs(self.folder)
            except runs.RunsRootError as exc:
                self.error, self.skipped, self._rows = str(exc), [], {}
                self._listed = False
                return []
            self.error, self.skipped = None, scan.skipped
            self._listed, self._signature = True, signature
            self._rows = {Path(s.run_dir): (_run_signature(Path(s.run_dir)), s) for s in scan.runs}
            return scan.runs
        for run_dir, (run_signature, row) in list(self._rows.items()):
            now = _run_signature(run_dir)
            if now == run_signature and row.state not in ACTIVE_STATES:
                continue
            try:
                self._rows[run_dir] = (now, runs.RunSummary.from_record(runs.load_run(run_dir)))
            except (OSError, ValueError, RuntimeError):
                # Removed (or made unreadable) between two looks: the next full read notes or drops it.
                continue
        rows = [row for _, row in self._rows.values()]
        rows.sort(key=lambda r: (r.started_at or 0.0, r.name), reverse=True)
        return rows


def _signature(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of a file or folder, None when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _run_signature(run_dir: Path) -> tuple[object, ...]:
    return tuple(_signature(run_dir / name) for name in ("events.jsonl", "status.json", "experiment.toml", "note.json"))
