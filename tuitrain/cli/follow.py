"""How ``tuitrain run`` follows its run: the shared tail loop, and one ``match`` that prints each event."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tuitrain.cli.common import console, is_terminal, say
from tuitrain.cli.runs_cmd import summary_lines
from tuitrain.formatting import duration, number, short
from tuitrain.runs.events import BatchProgress, EpochEnded, FlagRaised, RunFailed, RunFinished, RunStarted
from tuitrain.runs.status import ACTIVE_STATES, RunState
from tuitrain.runs.tail import DirectoryProbe, LogProblem, TailEvent, TrainerGone, tail_run
from tuitrain.text import printable

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
        """Print events until the run ends; Ctrl+C stops it gracefully, twice at once. Returns the final state."""
        probe = ChildProbe(self.run_dir, handle.process)
        self._progress = self._make_progress() if self.interactive else None
        if self._progress is not None:
            self._task = self._progress.add_task("starting the trainer", total=None, metrics="", eta="")
        interrupts = _Interrupts(handle.pid, self._note)
        try:
            with interrupts.installed():
                if self._progress is not None:
                    self._progress.start()
                # Returns once the run has ended, or at a Ctrl+C: acted on, then followed on where it
                # stopped (the probe keeps its place in the log).
                while tail_run(probe, self.show, interrupts.pending, interval=POLL_SECONDS) == "cancelled":
                    interrupts.act()
        finally:
            if self._progress is not None:
                self._progress.stop()
        self._summary()
        return self.state or "crashed"

    # ------------------------------------------------------------ display

    def _make_progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}", markup=False),
            TextColumn("{task.fields[eta]}", markup=False),
            console=console,
            transient=True,
            refresh_per_second=4,
        )

    def _note(self, text: str) -> None:
        say(text)

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
                say(f"tuitrain: warning: {event.detail}", err=True)

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
            say(f"tuitrain: {lines.pop(0)}", err=True)
        for line in lines:
            say(line)


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
    shown = (f"{printable(k)} {number(v)}" for k, v in logs.items() if not (train_only and k.startswith("val_")))
    return "  ".join(shown)


def _epoch_line(event: EpochEnded, epochs: int) -> str:
    width = len(str(epochs))
    text = f"epoch {event.epoch:>{width}}/{epochs}  {_metrics(event.logs)}  lr {short(event.learning_rate, '-')}"
    return text + f"  {event.epoch_seconds:.1f}s"


def _crash_reason(run_dir: Path, returncode: int | None) -> str:
    how = f"signal {-returncode}" if returncode is not None and returncode < 0 else f"exit status {returncode}"
    return f"the trainer ended ({how}) without recording an outcome: see {run_dir / 'trainer.log'}"


class _Interrupts:
    """Ctrl+C while following a run, counted by a signal handler that never raises.

    A KeyboardInterrupt could land anywhere, even inside the handling of the one before (two quick
    presses), and end the command with a traceback; counting in the handler and acting in the loop
    cannot. First press: ask the trainer to stop after its batch (SIGTERM); second: a second stop
    request (SIGINT), which makes the trainer record the run as stopped and end at once; third:
    SIGKILL, for a trainer that does not respond at all.
    """

    def __init__(self, pid: int | None, note: Callable[[str], object]) -> None:
        self.pid = pid
        self.note = note
        self.count = 0
        self.handled = 0

    def _handler(self, signum: int, frame: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupts]:
        """SIGINT counted here while inside (the previous handler restored after)."""
        previous = signal.signal(signal.SIGINT, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    def pending(self) -> bool:
        """True when a press has not been acted on yet (the follower's tail loop then returns)."""
        return self.handled < self.count

    def act(self) -> None:
        """Act on every press not acted on yet."""
        while self.handled < self.count:
            self.handled += 1
            # The trainer is this process's child: until it is reaped its pid cannot name another process.
            if self.handled == 1:
                self._signal(signal.SIGTERM)
                self.note("stopping after the current batch (Ctrl+C again stops it at once)")
            elif self.handled == 2:
                # Another signal than the first: two of one kind sent before the trainer took the first
                # would merge into one (POSIX does not queue them); the trainer counts either kind.
                self._signal(signal.SIGINT)
                self.note("stopping at once (what was trained is kept; Ctrl+C again kills the trainer)")
            elif self.handled == 3:
                self._signal(signal.SIGKILL)
                self.note("killed the trainer")

    def _signal(self, sig: signal.Signals) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
