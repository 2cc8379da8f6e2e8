"""``tuitrain run PRESET_OR_FILE``: train headless, follow the run on stdout, summarise it at the end."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tuitrain import presets
from tuitrain.cli import common
from tuitrain.cli.common import DataDir, RunsDir, console, fail, is_terminal, say
from tuitrain.cli.runs_cmd import duration_text, summary_lines
from tuitrain.text import printable

POLL_SECONDS = 0.1
EXIT_CODES = {"finished": 0, "stopped": 0, "failed": 1, "crashed": 2, "diverged": 3}
"""Exit status of ``tuitrain run`` by how the run ended."""


def run(
    preset: Annotated[str, typer.Argument(help="Preset name (see 'tuitrain presets list') or a preset file.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field, e.g. --set training.epochs=5 (repeatable).", show_default=False),
    ] = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a data set.")] = False,
) -> None:
    """Train an experiment in the background trainer process and follow it here.

    Progress bars on a terminal, one line per epoch otherwise (nohup, CI, pipes), then a summary.

    Exit status: 0 finished or stopped, 1 failed, 2 crashed, 3 diverged.

    Ctrl+C stops the run after the current batch and keeps what was trained (twice: at once).

    The trainer has its own session: if this command dies or its terminal hangs up, training goes on.

    Pick it up again with 'tuitrain attach' (the dashboard) or 'tuitrain runs show RUN'.
    """
    from tuitrain.launcher import LaunchError, start_run

    try:
        loaded = presets.load(preset, list(set_ or []))
    except presets.PresetError as exc:
        fail(str(exc))
    for warning in loaded.check.warnings:
        say(f"tuitrain: warning: {warning}", err=True)
    data = common.data_dir(data_dir)
    preset_dir = loaded.path.parent if loaded.path is not None else None
    try:
        handle = start_run(loaded.experiment, runs_dir, data, preset_dir, offline=offline)
    except LaunchError as exc:
        fail(str(exc))
    say(f"run {handle.run_dir} (trainer pid {handle.pid})")
    if is_terminal():
        say(
            "Ctrl+C stops it after the current batch (twice: at once); if this terminal closes, training "
            "goes on ('tuitrain attach' picks it up).",
            style="dim",
        )
    follower = Follower(handle.run_dir, epochs=loaded.experiment.training.epochs, pid=handle.pid)
    state = follower.follow(handle)
    raise typer.Exit(EXIT_CODES.get(state, 1))


@dataclass
class Follower:
    """Tails a run's events and prints them: a live display on a terminal, plain lines otherwise."""

    run_dir: Path
    epochs: int
    pid: int | None = None
    interactive: bool = field(default_factory=is_terminal)
    history: list[dict[str, float]] = field(default_factory=list)
    steps: int | None = None
    state: str | None = None
    reason: str | None = None
    _epoch_times: list[float] = field(default_factory=list)

    def follow(self, handle: Any) -> str:
        """Print events until the run ends; Ctrl+C stops it gracefully, twice at once. Returns the final state."""
        from tuitrain.runs import EventTailer, last_error

        tailer = EventTailer(self.run_dir)
        progress = self._progress() if self.interactive else None
        task = progress.add_task("starting the trainer", total=None, metrics="", eta="") if progress else None
        interrupts = _Interrupts(self.run_dir, handle.pid, self._note)
        try:
            with interrupts.installed():
                if progress is not None:
                    progress.start()
                while self.state is None:
                    interrupts.act()
                    events = tailer.poll()
                    for event in events:
                        self._show(event, progress, task)
                    if self.state is None and not events:
                        if handle.process is not None and handle.process.poll() is not None:
                            # Gone without a final event: one more read for anything it wrote last.
                            for event in tailer.poll():
                                self._show(event, progress, task)
                            if self.state is None:
                                self.state = "crashed"
                                self.reason = last_error(self.run_dir) or _crash_reason(
                                    self.run_dir, handle.process.returncode
                                )
                        else:
                            time.sleep(POLL_SECONDS)
        finally:
            if progress is not None:
                progress.stop()
        self._summary()
        return self.state or "crashed"

    # ------------------------------------------------------------ display

    def _progress(self) -> Progress:
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

    def _show(self, event: Any, progress: Progress | None, task: Any) -> None:
        kind = type(event).__name__
        if kind == "RunStarted":
            self.steps = getattr(event, "steps_per_epoch", None)
            self.epochs = getattr(event, "epochs", None) or self.epochs
            self._note(_started_line(event))
        elif kind == "BatchProgress" and progress is not None:
            progress.update(
                task,
                description=f"epoch {event.epoch}/{self.epochs}",
                completed=event.step,
                total=event.steps,
                metrics=_metrics(event.logs, train_only=True),
                eta=self._eta(event.epoch, event.step, event.steps),
            )
        elif kind == "EpochEnded":
            row = {"epoch": float(event.epoch), **event.logs, "learning_rate": event.learning_rate}
            self.history.append(dict(event.logs))
            self._epoch_times.append(float(getattr(event, "epoch_seconds", 0.0) or 0.0))
            self._note(_epoch_line(event.epoch, self.epochs, row, getattr(event, "epoch_seconds", None)))
            if progress is not None:
                progress.update(
                    task, description=f"epoch {event.epoch + 1}/{self.epochs}", completed=0, metrics="", eta=""
                )
        elif kind == "FlagRaised":
            self._note(f"  ! epoch {event.epoch} [{event.criterion}] {event.message}")
        elif kind == "RunFinished":
            self.state, self.reason = event.state, getattr(event, "reason", None)
        elif kind == "RunFailed":
            self.state, self.reason = event.status, event.error

    def _eta(self, epoch: int, step: int, steps: int) -> str:
        if not self._epoch_times:
            return ""
        per_epoch = sum(self._epoch_times[-3:]) / len(self._epoch_times[-3:])
        left = (self.epochs - epoch + 1 - step / max(steps, 1)) * per_epoch
        return f"ETA {duration_text(left)}"

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


def _started_line(event: Any) -> str:
    parts = [str(getattr(event, "device", "") or "device unknown")]
    params = getattr(event, "params", None)
    if params is not None:
        parts.append(f"{params:,} parameters")
    train, val = getattr(event, "train_samples", None), getattr(event, "val_samples", None)
    if train is not None and val is not None:
        parts.append(f"{train:,} training / {val:,} validation samples")
    steps = getattr(event, "steps_per_epoch", None)
    if steps is not None:
        parts.append(f"{steps} batches per epoch")
    return "; ".join(parts)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4f}" if abs(value) >= 1e-3 else f"{value:.3g}"


def _metrics(logs: dict[str, float], train_only: bool = False) -> str:
    shown = (f"{printable(k)} {_fmt(v)}" for k, v in logs.items() if not (train_only and k.startswith("val_")))
    return "  ".join(shown)


def _epoch_line(epoch: int, epochs: int, row: dict[str, float], seconds: float | None) -> str:
    logs = {k: v for k, v in row.items() if k not in ("epoch", "learning_rate")}
    width = len(str(epochs))
    text = f"epoch {epoch:>{width}}/{epochs}  {_metrics(logs)}  lr {row['learning_rate']:.3g}"
    return text + (f"  {seconds:.1f}s" if seconds is not None else "")


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

    def __init__(self, run_dir: Path, pid: int | None, note: Any) -> None:
        self.run_dir = run_dir
        self.pid = pid
        self.note = note
        self.count = 0
        self.handled = 0

    def _handler(self, signum: int, frame: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def installed(self) -> Any:
        """SIGINT counted here while inside (the previous handler restored after)."""
        previous = signal.signal(signal.SIGINT, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

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
