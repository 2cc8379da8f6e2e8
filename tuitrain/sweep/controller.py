"""The sweep controller: asks Optuna for values, launches each trial as an ordinary run, follows it, tells Optuna.

It runs as its own process in its own session (``python -m tuitrain.sweep SWEEP_DIR``, started by
:mod:`tuitrain.sweep.process`) and, like a trainer, is only ever talked to through its folder and
signals: SIGTERM or SIGINT stops the sweep (each running trial through the trainer's normal stop
path, keeping what it trained), and everything it knows is in ``sweep.json``.

For each trial: ``study.ask()``; draw its values (:func:`tuitrain.sweep.study.draw`); record it in
``sweep.json`` *before* anything else, so a controller killed at any point leaves a trace; build and
validate its experiment (an invalid one is told to Optuna as failed, with its reason, and the sweep
goes on); :func:`tuitrain.launcher.prepare_run` makes its run directory in ``trials/``; the executor
starts it in a free slot. Then the controller tails its ``events.jsonl``: after each epoch it reports
the objective at the best epoch so far to Optuna and, if the pruner says so, stops the trial through
the normal stop path (the run ends "stopped" with everything kept; the sweep records it "pruned").
When the run ends it tells Optuna the objective at the trial's best epoch under its early-stopping
rule, and the next trial takes the slot. A failed, crashed or diverged trial never stops the sweep.
Along the way it fills TensorBoard's HParams view (:mod:`tuitrain.sweep.hparams_log`): the space at
the start, a trial's values when it starts, its objective when it ends.

``kill -9`` of the controller leaves its trials training. Started again with the same folder
(``tuitrain sweep resume``) it reconciles first: trials that ended meanwhile are told once (Optuna
refuses a second tell, and the controller skips told trials), trials still training are followed to
their end, and trials that never started (asked but not launched) are marked "lost" and told failed.
"""

from __future__ import annotations

import fcntl
import math
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.trial import TrialState

from tuitrain import launcher, presets, runs
from tuitrain.analysis import analyze, experiment_guessing
from tuitrain.runs.events import EpochEnded, RunFailed, RunFinished
from tuitrain.spec import Experiment
from tuitrain.sweep import hparams_log
from tuitrain.sweep.executor import (
    RAY_MISSING,
    Executor,
    ExecutorError,
    LaunchError,
    LocalExecutor,
    Slot,
    ray_installed,
)
from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.objective import ObjectiveTracker, trial_objective
from tuitrain.sweep.resolve import objective_mode, resolve_sweep, trial_experiment
from tuitrain.sweep.spec import read_sweep_file
from tuitrain.sweep.status import SweepStatus, TrialEntry, read_sweep_status, write_sweep_status
from tuitrain.sweep.study import draw, grid_size, open_study, running_trials

POLL_SECONDS = 0.25
"""How often running trials' event logs are read."""
PROGRESS_WRITE_SECONDS = 1.0
"""Least time between ``sweep.json`` rewrites that only carry progress (state changes are written at once)."""
STOP_GRACE_SECONDS = 60.0
"""After a stop request, how long a trial may take to stop before it is asked again (which ends it at once)."""
EXIT_OK, EXIT_FAILED, EXIT_BUSY = 0, 1, 2


def trial_name(sweep_name: str, number: int) -> str:
    """The experiment name (and run directory suffix) of trial ``number``: ``t0003-imdb-lr``."""
    return f"t{number:04d}-{sweep_name}"


class ControllerBusy(RuntimeError):
    """Another controller holds this sweep's lock."""


def hold_lock(paths: SweepPaths) -> int:
    """Take the sweep's controller lock (an flock the kernel drops when the process dies); its fd.

    Raises ControllerBusy if another live process holds it.
    """
    # Non-blocking open: a FIFO put where the lock belongs must not hang the controller.
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ControllerBusy(f"another controller is driving {paths.root}") from None
    return fd


@dataclass
class _Watch:
    """A trial the controller follows: its run, its objective so far, and (if asked here) its Optuna trial."""

    entry: TrialEntry
    run_dir: Path
    experiment: Experiment
    slot: Slot | None
    tracker: ObjectiveTracker
    tailer: runs.EventTailer
    optuna_trial: Any = None
    final: Any = None
    stop_sent_at: float | None = None
    history: list[dict[str, float]] = field(default_factory=list)


class Controller:
    """Drives one sweep folder to the end of its budget (or a stop request). See the module docstring.

    ``executor`` defaults to what the spec's ``[execution]`` asks: a
    :class:`~tuitrain.sweep.executor.LocalExecutor` (warm or fresh trainers), or for ``backend = "ray"``
    a :class:`~tuitrain.sweep.ray_executor.RayExecutor`; ``data_dir`` / ``offline`` default to what
    ``sweep.json`` recorded at creation.
    """

    def __init__(
        self,
        paths: SweepPaths,
        *,
        executor: Executor | None = None,
        data_dir: Path | None = None,
        offline: bool | None = None,
        log: Any = print,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.paths = paths
        self.log = log
        self.poll_seconds = poll_seconds
        self._executor = executor
        self._data_dir = data_dir
        self._offline = offline
        self._stop_requested = False
        self._stopping = False
        self._watches: dict[int, _Watch] = {}
        self._last_write = 0.0
        self._tensorboard_ok = True

    def request_stop(self) -> None:
        """Stop the sweep: no new trials, running ones stopped through their trainers (signal-safe)."""
        self._stop_requested = True

    # ------------------------------------------------------------ the run

    def run(self) -> int:
        """Drive the sweep; the exit code (0 finished or stopped, 1 failed, 2 another controller has it)."""
        try:
            lock = hold_lock(self.paths)
        except ControllerBusy as exc:
            self.log(str(exc))
            return EXIT_BUSY
        status: SweepStatus | None = None
        try:
            spec = read_sweep_file(self.paths.spec)
            self.sweep = resolve_sweep(spec, str(self.paths.spec))
            status = self._start_status()
            self.status = status
            return self._drive()
        except ExecutorError as exc:  # trials cannot run where asked (no Ray, no cluster): said in one line
            self.log(str(exc))
            if status is not None:
                status.state, status.message, status.ended_at = "failed", runs.one_line(str(exc)), time.time()
                write_sweep_status(self.paths, status)
            return EXIT_FAILED
        except Exception as exc:  # recorded for the user; the trials go on training on their own
            self.log(traceback.format_exc())
            if status is None:
                status = read_sweep_status(self.paths)
            if status is not None:
                status.state = "failed"
                status.message = runs.one_line(f"the controller failed: {type(exc).__name__}: {exc}")
                status.ended_at = time.time()
                write_sweep_status(self.paths, status)
            return EXIT_FAILED
        finally:
            os.close(lock)

    def _start_status(self) -> SweepStatus:
        spec = self.sweep.spec
        status = read_sweep_status(self.paths) or SweepStatus(sweep_id=self.paths.sweep_id, name=spec.name)
        pid = os.getpid()
        status.state, status.message, status.ended_at = "running", None, None
        status.pid, status.pid_start, status.host = pid, runs.process_start_time(pid), runs.this_host()
        status.metric, status.mode = spec.objective.metric, objective_mode(spec)  # type: ignore[assignment]
        status.sampler, status.pruner, status.workers = spec.sampler, spec.pruner.kind, spec.workers
        status.trials_planned = self._limit()
        status.description, status.parent = spec.description, spec.parent
        if self._data_dir is not None:
            status.data_dir = str(self._data_dir)
        if self._offline is not None:
            status.offline = self._offline
        write_sweep_status(self.paths, status)
        return status

    def _limit(self) -> int:
        spec = self.sweep.spec
        return min(spec.trials, grid_size(self.sweep)) if spec.sampler == "grid" else spec.trials

    def _drive(self) -> int:
        status = self.status
        self.study = open_study(self.paths, self.sweep)
        self._tensorboard(hparams_log.write_space, self.paths.root, self.sweep)
        active = len([t for t in status.trials if t.active])
        remaining = max(1, self._limit() - status.counted + active)
        if self._executor is None:
            self._executor = self._default_executor()
        self.slots = self._executor.plan(self.sweep.spec.parallel, self.sweep.spec.trials_per_gpu, remaining)
        status.slots = [s.name for s in self.slots]
        self.log(
            f"sweep {self.paths.sweep_id}: {self._limit()} trials, {len(self.slots)} side by side "
            f"({', '.join(status.slots)}), {self.sweep.spec.sampler} sampler, {self.sweep.spec.workers} workers"
        )
        self._reconcile()
        self._write()
        while True:
            if self._stop_requested and not self._stopping:
                self._begin_stop()
            if not self._stopping:
                self._launch_free_slots()
            for watch in list(self._watches.values()):
                self._poll(watch)
            if self._stopping:
                self._insist_on_stop()
            if not self._watches and (self._stopping or self._budget_left() <= 0):
                break
            if time.monotonic() - self._last_write >= PROGRESS_WRITE_SECONDS:
                self._write()
            time.sleep(self.poll_seconds)
        assert self._executor is not None
        self._executor.close()
        status.state = "stopped" if self._stopping else "finished"
        status.ended_at = time.time()
        done = sum(t.state in ("finished", "diverged") for t in status.trials)
        best = status.trial(status.best_trial) if status.best_trial is not None else None
        status.message = f"{done} of {status.counted} trials ran to their end" + (
            f"; best: trial {best.number}, {status.metric} {best.objective:.4g} at epoch {best.best_epoch}"
            if best is not None and best.objective is not None
            else ""
        )
        self._write()
        self.log(status.message)
        return EXIT_OK

    def _default_executor(self) -> Executor:
        """What the spec's ``[execution]`` asks for: trainers on this machine, or actors on a Ray cluster."""
        spec, status = self.sweep.spec, self.status
        data_dir = Path(status.data_dir) if status.data_dir else None
        warm = spec.workers == "warm"
        if spec.execution.backend == "ray":
            if not ray_installed():
                raise ExecutorError(RAY_MISSING)
            from tuitrain.sweep.ray_executor import RayExecutor  # the one module that imports Ray

            self.log(f"connecting to the Ray cluster at {spec.execution.address!r}")
            return RayExecutor(
                self.paths.trials,
                data_dir,
                status.offline,
                warm=warm,
                address=spec.execution.address,
                cpus_per_trial=spec.execution.cpus_per_trial,
            )
        return LocalExecutor(self.paths.trials, data_dir, status.offline, warm=warm)

    def _write(self) -> None:
        self.status.update_best()
        write_sweep_status(self.paths, self.status)
        self._last_write = time.monotonic()

    def _budget_left(self) -> int:
        return self._limit() - self.status.counted

    # ------------------------------------------------------------ launching

    def _free_slots(self) -> list[Slot]:
        used = {w.slot.name for w in self._watches.values() if w.slot is not None}
        unplaced = sum(w.slot is None for w in self._watches.values())
        free = [s for s in self.slots if s.name not in used]
        return free[unplaced:]  # a resumed trial whose slot is gone still takes room

    def _launch_free_slots(self) -> None:
        while self._budget_left() > 0 and not self._stop_requested:
            free = self._free_slots()
            if not free:
                return
            self._launch(free[0])

    def _launch(self, slot: Slot) -> None:
        trial = self.study.ask()
        entry = TrialEntry(number=trial.number, state="starting", slot=slot.name, started_at=time.time())
        self.status.trials.append(entry)
        self._write()  # before anything else: a controller killed from here on leaves a trace
        drawn = draw(trial, self.sweep)
        entry.params, entry.internal = drawn.values, drawn.internal
        made = trial_experiment(self.sweep, drawn.values, trial_name(self.sweep.spec.name, trial.number))
        if made.experiment is None:
            self._end_without_run(entry, "invalid", made.invalid or "invalid experiment")
            return
        try:
            run_dir = launcher.prepare_run(made.experiment, self.paths.trials, self.sweep.base_dir)
        except LaunchError as exc:
            # The trials folder cannot hold a run (full disk, permissions): one line, like a trial that failed.
            self._end_without_run(entry, "failed", str(exc))
            return
        entry.run = run_dir.name
        self._write()
        self._tensorboard(hparams_log.write_trial_start, run_dir, self.sweep, drawn.values)
        assert self._executor is not None
        try:
            self._executor.launch(run_dir, slot)
        except LaunchError as exc:
            self._end_without_run(entry, "failed", str(exc))
            return
        entry.state = "running"
        self._watches[entry.number] = self._watch(entry, run_dir, made.experiment, slot, trial)
        self.log(f"trial {entry.number} started in {slot.name}: {run_dir.name}")
        self._write()

    def _watch(self, entry: TrialEntry, run_dir: Path, exp: Experiment, slot: Slot | None, trial: Any) -> _Watch:
        return _Watch(
            entry=entry,
            run_dir=run_dir,
            experiment=exp,
            slot=slot,
            tracker=ObjectiveTracker(self.sweep.spec.objective.metric, exp.early_stopping),
            tailer=runs.EventTailer(run_dir),
            optuna_trial=trial,
        )

    def _end_without_run(self, entry: TrialEntry, state: str, message: str) -> None:
        entry.state, entry.message, entry.ended_at = state, runs.one_line(message), time.time()  # type: ignore[assignment]
        self.study.tell(entry.number, state=TrialState.FAIL, skip_if_finished=True)
        self.log(f"trial {entry.number} {state}: {entry.message}")
        self._write()

    # ------------------------------------------------------------ following

    def _poll(self, watch: _Watch) -> None:
        for event in watch.tailer.poll():
            if isinstance(event, EpochEnded):
                self._epoch(watch, event)
            elif isinstance(event, RunFinished | RunFailed):
                watch.final = event
        if watch.final is None:
            assert self._executor is not None
            if self._executor.alive(watch.run_dir) is not False:
                return
            # Gone: read once more, in case its last lines landed just before it exited.
            for event in watch.tailer.poll():
                if isinstance(event, EpochEnded):
                    self._epoch(watch, event)
                elif isinstance(event, RunFinished | RunFailed):
                    watch.final = event
        self._finish(watch)

    def _epoch(self, watch: _Watch, event: EpochEnded) -> None:
        entry = watch.entry
        watch.history.append(dict(event.logs))
        current = watch.tracker.add_epoch(event.logs)
        entry.epochs_done = event.epoch
        if current is not None:
            entry.objective, entry.best_epoch = current.value, current.epoch
        trial = watch.optuna_trial
        if trial is None or current is None or entry.stop_reason is not None:
            return
        trial.report(current.value, event.epoch)
        if trial.should_prune():
            entry.stop_reason = "pruned"
            entry.message = (
                f"pruned after epoch {event.epoch}: {self.status.metric} {current.value:.4g} (its best so far) "
                f"was worse than the {self.sweep.spec.pruner.kind} rule allows"
            )
            assert self._executor is not None
            self._executor.stop(watch.run_dir)
            watch.stop_sent_at = time.monotonic()
            self.log(f"trial {entry.number} {entry.message}")
            self._write()

    def _finish(self, watch: _Watch) -> None:
        """The trial's run has ended (or its trainer is gone): record the outcome and tell Optuna once."""
        entry = watch.entry
        record = runs.load_run(watch.run_dir)
        run_state = record.state if watch.final is not None or record.state not in ("running", "pending") else "crashed"
        exp = watch.experiment
        history = record.history
        found = trial_objective(history, self.sweep.spec.objective.metric, exp.early_stopping)
        entry.epochs_done = record.epochs_done
        entry.objective = found.value if found else None
        entry.best_epoch = found.epoch if found else None
        if history:
            shares = record.started.val_class_shares if record.started is not None else None
            guessing = experiment_guessing(exp, shares)
            entry.onset_epoch = analyze(history, exp.early_stopping, exp.overfitting, guessing=guessing).onset_epoch
        entry.ended_at = record.ended_at or time.time()
        value: float | None = None
        tell_state = TrialState.FAIL
        if run_state == "stopped" and entry.stop_reason == "pruned":
            entry.state, tell_state = "pruned", TrialState.PRUNED
        elif run_state == "stopped":
            entry.state = "stopped"
            entry.message = entry.message or runs.one_line(record.reason or "stopped")
        elif run_state in ("finished", "diverged"):
            entry.state = run_state
            if entry.stop_reason == "pruned":
                entry.message = None  # it ran to its end before the pruner's stop arrived
            if found is not None:
                value, tell_state = found.value, TrialState.COMPLETE
            if run_state == "diverged" or found is None:
                what = record.reason or "diverged"
                entry.message = runs.one_line(
                    what if found is not None else f"no finite {self.status.metric} at its best epoch; {what}"
                )
        else:
            entry.state = "crashed" if run_state == "crashed" else "failed"
            entry.message = runs.one_line(runs.last_error(watch.run_dir) or record.reason or run_state)
        if found is not None:
            metric = self.sweep.spec.objective.metric
            self._tensorboard(hparams_log.write_trial_result, watch.run_dir, metric, found.value, found.epoch)
        if tell_state == TrialState.COMPLETE:
            self.study.tell(entry.number, value, skip_if_finished=True)
        else:
            self.study.tell(entry.number, state=tell_state, skip_if_finished=True)
        del self._watches[entry.number]
        if watch.slot is not None:
            assert self._executor is not None
            self._executor.release(watch.slot)
        shown = f"{self.status.metric} {entry.objective:.4g} at epoch {entry.best_epoch}" if found else "no objective"
        self.log(f"trial {entry.number} {entry.state}: {shown}")
        self._write()

    def _tensorboard(self, write: Any, *args: Any) -> None:
        """Write the sweep's HParams view; a file that can't be written is said once and never stops the sweep."""
        if not self._tensorboard_ok:
            return
        try:
            write(*args)
        except OSError as exc:
            self._tensorboard_ok = False
            self.log(f"TensorBoard HParams files can't be written ({exc}); the sweep goes on without them")

    # ------------------------------------------------------------ stopping

    def _begin_stop(self) -> None:
        self._stopping = True
        self.status.state = "stopping"
        assert self._executor is not None
        for watch in self._watches.values():
            watch.entry.stop_reason = watch.entry.stop_reason or "stopped"
            self._executor.stop(watch.run_dir)
            watch.stop_sent_at = time.monotonic()
        self.log(f"stopping: {len(self._watches)} trial(s) asked to stop after their current batch")
        self._write()

    def _insist_on_stop(self) -> None:
        """A trial still going long after its stop request is asked again, which ends its trainer at once."""
        now = time.monotonic()
        for watch in self._watches.values():
            if watch.stop_sent_at is not None and now - watch.stop_sent_at > STOP_GRACE_SECONDS:
                assert self._executor is not None
                self._executor.stop(watch.run_dir)
                watch.stop_sent_at = math.inf  # once

    # ------------------------------------------------------------ resuming

    def _reconcile(self) -> None:
        """Pick up what an earlier controller left: follow trials still training, tell ended ones, mark lost."""
        status = self.status
        known = {t.number for t in status.trials}
        for number in running_trials(self.study):
            if number not in known:
                # Asked, then the controller died before recording it: nothing of it exists.
                entry = TrialEntry(number=number, state="starting")
                status.trials.append(entry)
                self._end_without_run(entry, "lost", "its controller stopped before the trial was recorded")
        slots = {s.name: s for s in self.slots}
        for entry in [t for t in status.trials if t.active]:
            run_dir = self._find_run(entry)
            if run_dir is None:
                self._end_without_run(entry, "lost", "its controller stopped before the trial's run was started")
                continue
            record = runs.load_run(run_dir)
            if record.state == "pending" and record.status is not None and record.status.pid is None:
                self._end_without_run(entry, "lost", "its controller stopped before the trial's trainer was started")
                continue
            exp = _run_experiment(run_dir)
            if exp is None:
                self._end_without_run(entry, "failed", f"{run_dir.name}/experiment.toml cannot be read")
                continue
            slot = slots.pop(entry.slot, None) if entry.slot else None
            entry.state = "running"
            watch = self._watch(entry, run_dir, exp, slot, None)  # followed to its end, no longer reported
            self._watches[entry.number] = watch
            self.log(f"trial {entry.number} picked up: {run_dir.name} ({record.state})")
        ended = {t.number: t for t in status.trials if not t.active}
        for number in running_trials(self.study):
            entry = ended.get(number)
            if entry is None:
                continue
            # Recorded as ended but never told (an older controller's write raced its tell).
            if entry.state in ("finished", "diverged") and entry.objective is not None:
                self.study.tell(number, entry.objective, skip_if_finished=True)
            else:
                self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)

    def _find_run(self, entry: TrialEntry) -> Path | None:
        if entry.run:
            run_dir = self.paths.trial_dir(entry.run)
            return run_dir if run_dir.is_dir() else None
        # Made, but the controller died before recording its name: it ends with the trial's name.
        suffix = "-" + runs.sanitize_name(trial_name(self.sweep.spec.name, entry.number))
        found = sorted(p for p in self.paths.trials.glob("*") if p.name.endswith(suffix) and p.is_dir())
        if found:
            entry.run = found[-1].name
            return found[-1]
        return None


def _run_experiment(run_dir: Path) -> Experiment | None:
    path = runs.RunPaths(run_dir).experiment
    try:
        # The preset reader opens only a regular file (a FIFO in its place would block the controller).
        return presets.experiment_from_data(presets.read_preset_data(path), str(path))
    except presets.PresetError:
        return None
