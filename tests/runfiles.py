"""Runs made on the spot for dashboard tests: histories, events, a scripted fake run source, and tiny apps.

``overfitting_history`` is a deterministic curve pair that overfits from epoch 4 on (validation loss
best at 4, then rising while training loss keeps falling), so the markers and flags are known.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runevents import started
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from tuitrain.run_source import LocalRunsSource
from tuitrain.runs.events import EpochEnded, RunStarted
from tuitrain.runs.listing import RunSummary
from tuitrain.runs.logtail import LogTail
from tuitrain.runs.note import RunNote
from tuitrain.runs.record import RunRecord
from tuitrain.runs.tail import tail_run
from tuitrain.spec import Experiment
from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.spec import SweepSpec, sweep_from_data
from tuitrain.sweep.status import SweepRecord, SweepStatus, TrialEntry
from tuitrain.ui.app import APP_CSS_PATH
from tuitrain.ui.messages import RunChosen, SweepChosen

VAL_LOSS = [0.90, 0.60, 0.45, 0.40, 0.42, 0.47, 0.53, 0.60, 0.68, 0.77]
TRAIN_LOSS = [1.00, 0.55, 0.35, 0.25, 0.18, 0.13, 0.09, 0.06, 0.04, 0.03]
VAL_ACC = [0.70, 0.80, 0.86, 0.88, 0.875, 0.87, 0.865, 0.86, 0.855, 0.85]
TRAIN_ACC = [0.65, 0.82, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0]


def overfitting_history(epochs: int = 10) -> list[dict[str, float]]:
    """Keras-style logs of a run that overfits from epoch 4 (best val_loss 0.40 at epoch 4)."""
    return [
        {"loss": TRAIN_LOSS[i], "accuracy": TRAIN_ACC[i], "val_loss": VAL_LOSS[i], "val_accuracy": VAL_ACC[i]}
        for i in range(epochs)
    ]


def experiment(epochs: int = 10, patience: int = 2) -> Experiment:
    """The digits experiment with early stopping off (so the stop is "would stop") and this patience."""
    return Experiment.model_validate(
        {"name": "fake", "training": {"epochs": epochs}, "early_stopping": {"enabled": False, "patience": patience}}
    )


def epoch_events(history: Sequence[dict[str, float]], start: int = 1) -> list[EpochEnded]:
    """EpochEnded events for ``history`` (epoch ``start`` first), two seconds apart."""
    return [
        EpochEnded(epoch=start + i, logs=logs, learning_rate=1e-3, epoch_seconds=2.0, time=1000.0 + 2 * (start + i))
        for i, logs in enumerate(history)
    ]


def started_event(epochs: int = 10) -> RunStarted:
    """The trainer's first word: CPU, 12,345 parameters, ``epochs`` of 10 batches, started at t=1000."""
    return started(pid=4242, epochs=epochs, params=12345)


@dataclass
class ScriptedEvents:
    """One run's events as a test hands them out: each poll returns what was added since the last one."""

    pending: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, events: Iterable[Any]) -> None:
        with self.lock:
            self.pending.extend(events)

    def poll(self) -> list[Any]:
        with self.lock:
            out, self.pending = self.pending, []
        return out


@dataclass
class ScriptedProbe:
    """A :class:`~tuitrain.runs.tail.RunProbe` over scripted events and the fake source's liveness."""

    run_dir: Path
    source: FakeSource

    def exists(self) -> bool:
        return True

    def poll(self) -> list[Any]:
        return self.source.events(self.run_dir).poll()

    def skipped_lines(self) -> list[int]:
        return []

    def log_problem(self) -> str | None:
        return None

    def trainer_alive(self) -> bool | None:
        return self.source.alive

    def how_it_ended(self) -> tuple[str, str | None]:
        return "crashed", self.source.error


def run_row(run_dir: Path, state: str = "finished", epochs: int = 10, **kwargs: Any) -> RunSummary:
    """The runs list's entry for ``run_dir`` (what the fake source lists)."""
    values: dict[str, Any] = {
        "run_dir": run_dir,
        "name": run_dir.name,
        "state": state,
        "state_label": state,
        "reason": None,
        "experiment_name": "fake",
        "started_at": None,
        "dataset": "digits",
        "epochs_done": epochs,
        "epochs_planned": epochs,
        "best_val_loss": (4, 0.4),
        "best_val_accuracy": (4, 0.88),
        "duration": 20.0,
    }
    values.update(kwargs)
    return RunSummary(**values)


@dataclass
class FakeSource:
    """A :class:`~tuitrain.run_source.RunsSource` whose runs a test scripts: no run directory, no trainer.

    ``rows`` is what it lists; ``histories`` and ``exp`` what it loads; ``events(run_dir)`` what it
    tails (through the real tail loop, with ``alive`` and ``error`` for the trainer); starts, stops and
    deletes are recorded. Sweeps: ``sweeps`` (folder -> SweepRecord, e.g. from :func:`fake_sweep`) is
    what it lists and loads, ``trial_rows`` (folder -> its trials' run rows) what it lists as a sweep's
    trials, ``sweep_specs`` the specs it reads; sweeps started (a new folder in
    ``sweeps``, made from the spec), stopped, refined and best trials saved are recorded.
    """

    runs_root: Path = Path("runs")
    data_dir: Path | None = None
    skipped: list[str] = field(default_factory=list)
    exp: Experiment | None = None
    alive: bool | None = True
    error: str | None = None
    rows: list[RunSummary] = field(default_factory=list)
    histories: dict[Path, dict[str, list[float]]] = field(default_factory=dict)
    experiments: dict[Path, Experiment] = field(default_factory=dict)
    log_tails: dict[Path, list[LogTail]] = field(default_factory=dict)
    """Per-run experiments (``exp`` for a run not in it)."""
    start_error: Exception | None = None
    started: list[tuple[Experiment, Path | None]] = field(default_factory=list)
    lr_finds: list[tuple[Experiment, Path | None]] = field(default_factory=list)
    stopped: list[Path] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)
    scripts: dict[Path, ScriptedEvents] = field(default_factory=dict)
    sweeps: dict[Path, SweepRecord] = field(default_factory=dict)
    trial_rows: dict[Path, list[RunSummary]] = field(default_factory=dict)
    sweep_specs: dict[Path, SweepSpec] = field(default_factory=dict)
    sweeps_started: list[tuple[SweepSpec, Path | None]] = field(default_factory=list)
    sweeps_stopped: list[Path] = field(default_factory=list)
    sweeps_resumed: list[Path] = field(default_factory=list)
    refined: list[tuple[Path, int]] = field(default_factory=list)
    saved_best: list[tuple[Path, str, bool]] = field(default_factory=list)
    sweep_error: Exception | None = None

    def events(self, run_dir: Path) -> ScriptedEvents:
        """The scripted events of ``run_dir`` (add to them; the tail reads them)."""
        return self.scripts.setdefault(Path(run_dir), ScriptedEvents())

    def list(self) -> list[RunSummary]:
        return list(self.rows)

    def epoch_series(self, run_dir: Path) -> dict[str, list[float | None]]:
        return self.load(run_dir).series()

    def load(self, run_dir: Path) -> RunRecord:
        run_dir = Path(run_dir)
        history = self.histories.get(run_dir, {})
        epochs = max((len(values) for values in history.values()), default=0)
        rows = [{k: v[i] for k, v in history.items() if i < len(v)} for i in range(epochs)]
        state = next((r.state for r in self.rows if r.run_dir == run_dir), "running" if self.alive else "crashed")
        return RunRecord(
            run_id=run_dir.name,
            path=run_dir,
            state=state,
            experiment=exp.model_dump(mode="json") if (exp := self.experiments.get(run_dir, self.exp)) else None,
            epoch_events=[
                EpochEnded(epoch=i, logs=logs, learning_rate=1e-3, epoch_seconds=2.0)
                for i, logs in enumerate(rows, start=1)
            ],
        )

    def tail(self, run_dir: Path, emit: Any, is_cancelled: Any) -> str:
        probe = ScriptedProbe(Path(run_dir), self)
        return tail_run(probe, emit, is_cancelled, interval=0.01, liveness_interval=0.01)

    def start(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        self.started.append((experiment, preset_dir))
        if self.start_error is not None:
            raise self.start_error
        return self.runs_root / f"run-{len(self.started)}"

    def find_learning_rate(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        self.lr_finds.append((experiment, preset_dir))
        return self.runs_root / f"lr-find-{len(self.lr_finds)}"

    def stop(self, run_dir: Path) -> bool:
        self.stopped.append(Path(run_dir))
        return True

    def delete(self, run_dir: Path) -> None:
        self.deleted.append(Path(run_dir))
        self.rows = [r for r in self.rows if r.run_dir != Path(run_dir)]

    def set_note(self, run_dir: Path, note: RunNote) -> None:
        self.rows = [replace(r, note=note) if r.run_dir == Path(run_dir) else r for r in self.rows]
        for folder, trials in self.trial_rows.items():
            self.trial_rows[folder] = [replace(r, note=note) if r.run_dir == Path(run_dir) else r for r in trials]

    def logs(self, run_dir: Path) -> list[LogTail]:
        return list(self.log_tails.get(Path(run_dir), []))

    def list_sweeps(self) -> list[SweepRecord]:
        return sorted(self.sweeps.values(), key=lambda r: r.sweep_id, reverse=True)

    def list_trials(self, sweep_dir: Path) -> list[RunSummary]:
        return list(self.trial_rows.get(Path(sweep_dir), []))

    def load_sweep(self, sweep_dir: Path) -> SweepRecord:
        return self.sweeps[Path(sweep_dir)]

    def load_sweep_spec(self, sweep_dir: Path) -> SweepSpec | None:
        return self.sweep_specs.get(Path(sweep_dir))

    def start_sweep(self, spec: SweepSpec, source_dir: Path | None = None) -> Path:
        self.sweeps_started.append((spec, source_dir))
        if self.sweep_error is not None:
            raise self.sweep_error
        sweep_dir = self.runs_root / "sweeps" / f"sweep-{len(self.sweeps_started)}-{spec.name}"
        self.sweeps[sweep_dir] = fake_sweep(sweep_dir, [], trials_planned=spec.trials, name=spec.name)
        self.sweep_specs[sweep_dir] = spec
        return sweep_dir

    def stop_sweep(self, sweep_dir: Path) -> str:
        self.sweeps_stopped.append(Path(sweep_dir))
        return "asked the controller to stop the sweep"

    def resume_sweep(self, sweep_dir: Path) -> str:
        if self.sweep_error is not None:
            raise self.sweep_error
        self.sweeps_resumed.append(Path(sweep_dir))
        return "resuming it: up to 2 to go"

    def refine_sweep(self, sweep_dir: Path, top: int) -> SweepSpec:
        self.refined.append((Path(sweep_dir), top))
        spec = self.sweep_specs[Path(sweep_dir)]
        return spec.model_copy(update={"name": f"{spec.name}-fine", "parent": Path(sweep_dir).name})

    def save_best(self, sweep_dir: Path, name: str, overwrite: bool = False) -> Path:
        self.saved_best.append((Path(sweep_dir), name, overwrite))
        return Path("presets") / f"{name}.toml"


def trial(number: int, state: str = "finished", **fields: Any) -> TrialEntry:
    """A sweep trial as sweep.json records it: run ``t<number>`` (unless ``run=None``), one minute long."""
    values: dict[str, Any] = {
        "number": number,
        "state": state,
        "run": f"t{number:04d}",
        "started_at": 1000.0 + 60 * number,
        "ended_at": None if state in ("starting", "running") else 1060.0 + 60 * number,
        "slot": f"cpu{number % 2}",
    }
    values.update(fields)
    return TrialEntry(**values)


def raced_sweep(root: Path = Path("runs"), state: str = "running") -> tuple[FakeSource, Path]:
    """A fake source with one sweep mid-race over the learning rate and the width: four finished trials, one
    pruned, one invalid, two training, two left of ten; each trial with a run has a validation-loss curve."""
    sweep_dir = root / "sweeps" / "20261130-101500-digits-search"
    lr, units = "optimizer.learning_rate", "model.layers[0].units"
    trials = [
        trial(0, objective=0.42, best_epoch=5, onset_epoch=6, epochs_done=8, params={lr: 0.0003, units: 64}),
        trial(1, objective=0.21, best_epoch=4, onset_epoch=5, epochs_done=8, params={lr: 0.004, units: 256}),
        trial(
            2,
            "pruned",
            objective=1.9,
            best_epoch=2,
            epochs_done=2,
            params={lr: 0.6, units: 16},
            message="pruned after epoch 2: val_loss 1.9 (its best so far) was worse than the median rule allows",
        ),
        trial(3, objective=0.25, best_epoch=6, onset_epoch=7, epochs_done=8, params={lr: 0.01, units: 128}),
        trial(4, "invalid", run=None, params={lr: 0.02, units: 8}, message="loss: does not fit the output"),
        trial(5, objective=0.33, best_epoch=7, epochs_done=8, params={lr: 0.0012, units: 32}),
        trial(6, "running", objective=0.5, best_epoch=2, epochs_done=3, params={lr: 0.002, units: 512}),
        trial(7, "running", objective=0.9, best_epoch=1, epochs_done=1, params={lr: 0.08, units: 48}),
    ]
    if state != "running":
        trials = [t.model_copy(update={"state": "stopped", "ended_at": 1600.0}) if t.active else t for t in trials]
    source = FakeSource(runs_root=root, exp=experiment())
    record = fake_sweep(sweep_dir, trials, state=state, trials_planned=10, name="digits-search", metric="val_loss")
    source.sweeps[sweep_dir] = record
    spec = sweep_from_data(
        {
            "name": "digits-search",
            "base": "digits-mlp",
            "trials": 10,
            "space": {
                lr: {"dist": "log_uniform", "low": 1e-4, "high": 1.0},
                units: {"dist": "log_int", "low": 8, "high": 512},
            },
        }
    )
    source.sweep_specs[sweep_dir] = spec
    for t in trials:
        if t.run is None:
            continue
        scale = (t.objective or 1.0) / 0.4
        curve = [v * scale for v in VAL_LOSS[: max(t.epochs_done, 1)]]
        source.histories[sweep_dir / "trials" / t.run] = {"val_loss": curve, "loss": curve}
    return source, sweep_dir


def runs_and_sweep(root: Path = Path("runs"), state: str = "running") -> tuple[FakeSource, Path]:
    """Two single runs (one older, one newer than the sweep) and the raced sweep (in ``state``) with its
    trials' runs."""
    source, sweep_dir = raced_sweep(root, state)
    record = source.sweeps[sweep_dir]
    losses = {0: 0.42, 1: 0.21, 2: 1.9, 3: 0.25, 5: 0.33, 6: 0.5, 7: 0.9}
    source.trial_rows[sweep_dir] = [
        run_row(
            sweep_dir / "trials" / t.run,
            state="stopped" if t.state in ("pruned", "stopped") else ("running" if t.active else "finished"),
            epochs=t.epochs_done,
            best_val_loss=(t.best_epoch or 1, losses[t.number]),
            name=f"20261130-1016{t.number:02d}-t{t.number:04d}-digits-search",
        )
        for t in record.trials
        if t.run is not None
    ]
    source.rows = [
        run_row(root / "20261130-120000-mnist-late", dataset="mnist", best_val_loss=(3, 0.3)),
        run_row(root / "20261130-080000-digits-early", best_val_loss=(5, 0.35)),
    ]
    return source, sweep_dir


def fake_sweep(
    sweep_dir: Path,
    trials: Sequence[TrialEntry],
    *,
    state: str = "running",
    trials_planned: int | None = None,
    name: str = "fake",
    **status_fields: Any,
) -> SweepRecord:
    """A SweepRecord for the fake source (no folder on disk): its status and trials as given."""
    status = SweepStatus(
        sweep_id=Path(sweep_dir).name,
        name=name,
        state=state,  # type: ignore[arg-type]
        created_at=1000.0,
        trials_planned=trials_planned if trials_planned is not None else len(trials),
        slots=["cpu0", "cpu1"],
        trials=list(trials),
        **status_fields,
    )
    status.update_best()
    return SweepRecord(SweepPaths(Path(sweep_dir)), status, state, None, list(trials))


class StopRecorder(LocalRunsSource):
    """A source on a real runs folder (fast polling) that records stops instead of signalling trainers."""

    def __init__(self, runs_root: Path) -> None:
        super().__init__(runs_root, pace=(0.01, 0.05))
        self.stopped: list[Path] = []

    def stop(self, run_dir: Path) -> bool:
        self.stopped.append(Path(run_dir))
        return True


class ScreenApp(App[None]):
    """A bare app with the dashboard's stylesheet that shows one screen (no need for the real app shell).

    ``chosen`` records the runs a screen asked the app to open (RunChosen), ``sweeps_chosen`` the sweeps
    (SweepChosen).
    """

    CSS_PATH = APP_CSS_PATH

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.animation_level = "none"
        self._first = screen
        self.chosen: list[Path] = []
        self.sweeps_chosen: list[Path] = []

    def on_mount(self) -> None:
        self.push_screen(self._first)

    def on_run_chosen(self, message: RunChosen) -> None:
        self.chosen.append(message.run_dir)

    def on_sweep_chosen(self, message: SweepChosen) -> None:
        self.sweeps_chosen.append(message.sweep_dir)


# ---------------------------------------------------------------------- real run directories


def write_run(
    root: Path,
    name: str,
    history: Sequence[dict[str, float]],
    *,
    exp: Experiment | None = None,
    final: str | None = "finished",
    pid: int | None = None,
    epochs: int | None = None,
    start: float = 1000.0,
    error: str = "",
    val_class_shares: list[float] | None = None,
) -> Path:
    """A run directory written with the runs package's writer, as the trainer writes it.

    ``final``: "finished"/"stopped" (run_finished), "failed"/"diverged" (run_failed) or None (the run
    goes on: status "running" with ``pid`` as its trainer, default this test process, which is alive).
    ``val_class_shares``: the class balance the trainer records (None: a run recorded before it did).
    """
    from tuitrain.fsutil import atomic_write_text
    from tuitrain.presets import to_toml
    from tuitrain.runs import (
        EventWriter,
        RunFailed,
        RunFinished,
        RunPaths,
        RunStarted,
        RunStatus,
        process_start_time,
        this_host,
        write_status,
    )

    exp = exp or experiment(epochs=epochs or len(history))
    run_dir = Path(root) / name
    run_dir.mkdir(parents=True)
    paths = RunPaths(run_dir)
    atomic_write_text(paths.experiment, to_toml(exp))
    pid = pid if pid is not None else os.getpid()
    status = RunStatus(state="running", pid=pid, pid_start=process_start_time(pid), host=this_host(), started_at=start)
    write_status(paths, status)
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                time=start,
                run_id=name,
                experiment_name=exp.name,
                device="CPU",
                device_kind="cpu",
                params_total=12345,
                params_trainable=12345,
                pid=pid,
                epochs=epochs or exp.training.epochs,
                steps_per_epoch=10,
                train_samples=300,
                val_samples=100,
                val_class_shares=val_class_shares,
            )
        )
    append_epochs(run_dir, history, start=start)
    end = start + 2.0 * len(history) + 1.0
    if final in ("finished", "stopped"):
        with EventWriter(paths.events) as writer:
            writer.write(RunFinished(time=end, status=final, reason="", epochs_done=len(history)))
    elif final in ("failed", "diverged"):
        with EventWriter(paths.events) as writer:
            writer.write(RunFailed(time=end, status=final, error=error or "it went wrong"))
    if final is not None:
        write_status(paths, status.model_copy(update={"state": final, "ended_at": end}))
    return run_dir


def append_epochs(run_dir: Path, history: Sequence[dict[str, float]], first: int = 1, start: float = 1000.0) -> None:
    """Append epoch events ``first``, ``first + 1``, ... (two seconds apart from ``start``) to the run's log."""
    from tuitrain.runs import EpochEnded, EventWriter, RunPaths

    with EventWriter(RunPaths(Path(run_dir)).events) as writer:
        for i, logs in enumerate(history):
            epoch = first + i
            writer.write(
                EpochEnded(time=start + 2.0 * epoch, epoch=epoch, logs=logs, learning_rate=1e-3, epoch_seconds=2.0)
            )


def append_event(run_dir: Path, event: Any) -> None:
    """Append one event of :mod:`tuitrain.runs.events` to the run's log."""
    from tuitrain.runs import EventWriter, RunPaths

    with EventWriter(RunPaths(Path(run_dir)).events) as writer:
        writer.write(event)


async def wait_until(pilot: Pilot, condition: Any, tries: int = 300, step: float = 0.02) -> None:
    """Let the app work (pilot.pause) until ``condition()`` holds; fail after ``tries`` rounds."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(step)
    raise AssertionError("condition never held")


async def wait_for_screen(pilot: Pilot, screen_type: type) -> None:
    """Let the app work until a screen of ``screen_type`` is on top (dialogs are pushed by workers,
    which a loaded machine may not have run after one pause)."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen_type))
