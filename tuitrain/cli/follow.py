"""How ``tuitrain run`` follows its run: the shared tail loop, and one ``match`` that prints each event."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tuitrain.cli.common import console, err_console, is_terminal
from tuitrain.cli.runs_cmd import summary_lines
from tuitrain.formatting import duration, number, short
from tuitrain.runs.events import BatchProgress, EpochEnded, FlagRaised, RunFailed, RunFinished, RunStarted
from tuitrain.runs.status import ACTIVE_STATES, RunState
from tuitrain.runs.tail import DirectoryProbe, LogProblem, TailEvent, TrainerGone, tail_run

POLL_SECONDS = 0.1
EXIT_CODES = {"finished": 0, "stopped": 0, "failed": 1, "crashed": 2, "diverged": 3}
"""Exit status of ``tuitrain run`` by how the run ended."""


@dataclass
class Follower:
    """Follows a run's events (:func:`tuitrain.runs.tail.tail_run`) and prints them: a live display on a
    terminal, plain lines otherwise."""

    run_dir: Path
    epochs: int
    pid: int | None = None
    interactive: bool = field(default_factory=is_terminal)
    history: list[dict[str, float]] = field(default_factory=list)
    steps: int | None = None
    state: str | None = None
    reason: str | None = None
    _epoch_times: list[float] = field(default_factory=list)
    _progress: Progress | None = None
    _task: Any = None

    def follow(self, handle: Any) -> str:
        """Print events until the run ends; Ctrl+C stops it gracefully. Returns the final state."""
        from tuitrain.launcher import stop_run

        probe = ChildProbe(self.run_dir, handle.process)
        self._progress = self._make_progress() if self.interactive else None
        if self._progress is not None:
            self._task = self._progress.add_task("starting the trainer", total=None, metrics="", eta="")
        interrupts = 0
        try:
            if self._progress is not None:
                self._progress.start()
            while True:
                try:
                    # Returns once the run has ended. Called again after Ctrl+C, it goes on where it
                    # stopped: the probe keeps its place in the log.
                    tail_run(probe, self.show, lambda: False, interval=POLL_SECONDS)
                    break
                except KeyboardInterrupt:
                    interrupts += 1
                    if interrupts == 1:
                        stop_run(self.run_dir)
                        self._note("stopping after the current batch (Ctrl+C again ends the trainer at once)")
                    elif handle.pid is not None:
                        _kill(handle.pid)
        finally:
            if self._progress is not None:
                self._progress.stop()
        self._summary()
        return self.state or "crashed"

    # ------------------------------------------------------------ display

    def _make_progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}"),
            TextColumn("{task.fields[eta]}"),
            console=console,
            transient=True,
            refresh_per_second=4,
        )

    def _note(self, text: str) -> None:
        console.print(text, markup=False, soft_wrap=True, highlight=False)

    def show(self, event: TailEvent) -> None:
        """Print one event of the run (or keep it for the end: the final state and why)."""
        progress = self._progress
        match event:
            case RunStarted():
                self.steps = event.steps_per_epoch
                self.epochs = event.epochs or self.epochs
                self._note(_started_line(event))
            case BatchProgress():
                if progress is not None:
                    progress.update(
                        self._task,
                        description=f"epoch {event.epoch}/{self.epochs}",
                        completed=event.step,
                        total=event.steps,
                        metrics=_metrics(event.logs, train_only=True),
                        eta=self._eta(event.epoch, event.step, event.steps),
                    )
            case EpochEnded():
                self.history.append(dict(event.logs))
                self._epoch_times.append(event.epoch_seconds)
                self._note(_epoch_line(event, self.epochs))
                if progress is not None:
                    progress.update(
                        self._task,
                        description=f"epoch {event.epoch + 1}/{self.epochs}",
                        completed=0,
                        metrics="",
                        eta="",
                    )
            case FlagRaised():
                self._note(f"  ! epoch {event.epoch} [{event.criterion}] {event.message}")
            case RunFinished():
                self.state, self.reason = event.status, event.reason or None
            case RunFailed():
                self.state, self.reason = event.status, event.error
            case TrainerGone():
                self.state, self.reason = event.state, event.reason
            case LogProblem():
                err_console.print(f"tuitrain: warning: {event.detail}", markup=False, soft_wrap=True)

    def _eta(self, epoch: int, step: int, steps: int) -> str:
        if not self._epoch_times:
            return ""
        per_epoch = sum(self._epoch_times[-3:]) / len(self._epoch_times[-3:])
        left = (self.epochs - epoch + 1 - step / max(steps, 1)) * per_epoch
        return f"ETA {duration(left)}"

    def _summary(self) -> None:
        """Best epoch, early stopping, overfitting in words, the run directory.

        For a run that ended badly the first line (state and reason) goes to stderr, as errors do.
        """
        lines = summary_lines(self.run_dir, self.state or "crashed", self.reason)
        console.print()
        if EXIT_CODES.get(self.state or "crashed", 1) != 0:
            err_console.print(f"tuitrain: {lines.pop(0)}", markup=False, soft_wrap=True, highlight=False)
        for line in lines:
            console.print(line, markup=False, soft_wrap=True, highlight=False)


class ChildProbe(DirectoryProbe):
    """The run directory of a trainer this process started: its trainer lives while the child process does."""

    def __init__(self, run_dir: Path, process: subprocess.Popen[bytes] | None) -> None:
        super().__init__(run_dir)
        self.process = process

    def trainer_alive(self) -> bool | None:
        """Whether the child trainer process still runs (the run directory's record when there is no child)."""
        if self.process is None:
            return super().trainer_alive()
        return self.process.poll() is None

    def how_it_ended(self) -> tuple[RunState, str | None]:
        """As the run directory says; a crash without a word on why gets the child's exit status."""
        state, reason = super().how_it_ended()
        if self.process is not None and (state in ACTIVE_STATES or (state == "crashed" and not reason)):
            return "crashed", _crash_reason(self.run_dir, self.process.returncode)
        return state, reason


def _started_line(event: RunStarted) -> str:
    parts = [event.device or "device unknown", f"{event.params:,} parameters"]
    parts.append(f"{event.train_samples:,} training / {event.val_samples:,} validation samples")
    parts.append(f"{event.steps_per_epoch} batches per epoch")
    return "; ".join(parts)


def _metrics(logs: dict[str, float], train_only: bool = False) -> str:
    return "  ".join(f"{k} {number(v)}" for k, v in logs.items() if not (train_only and k.startswith("val_")))


def _epoch_line(event: EpochEnded, epochs: int) -> str:
    width = len(str(epochs))
    text = f"epoch {event.epoch:>{width}}/{epochs}  {_metrics(event.logs)}  lr {short(event.learning_rate, '-')}"
    return text + f"  {event.epoch_seconds:.1f}s"


def _crash_reason(run_dir: Path, returncode: int | None) -> str:
    how = f"signal {-returncode}" if returncode is not None and returncode < 0 else f"exit status {returncode}"
    return f"the trainer ended ({how}) without recording an outcome: see {run_dir / 'trainer.log'}"


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # the trainer's second stop signal ends it at once
