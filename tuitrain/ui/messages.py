"""Messages the tail worker posts about a watched run: past-tense events, one per thing that happened.

They carry plain values (not the runs package's event models) so a screen can be driven by a test
without a run directory. Every message names its run directory, so one screen can watch several runs.
Batch progress is replaceable: a burst of them waiting in the queue collapses to the newest one.
Epoch, flag and end-of-run messages are never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from textual.message import Message

from tuitrain.analysis import Flag


class RunMessage(Message):
    """Something happened in the run at ``run_dir``."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)


class RunStarted(RunMessage):
    """The trainer started: what it runs on and what it will do.

    ``epochs``: epochs planned; ``steps_per_epoch``: batches per epoch (None if unknown);
    ``device``: "CPU" or the GPU's name; ``params``: trainable parameter count (None if unknown);
    ``started_at``: wall-clock time (seconds since the epoch) of the event.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        epochs: int | None,
        steps_per_epoch: int | None,
        device: str,
        params: int | None,
        started_at: float | None,
        pid: int | None = None,
    ) -> None:
        super().__init__(run_dir)
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.device = device
        self.params = params
        self.started_at = started_at
        self.pid = pid


class EpochEnded(RunMessage):
    """Epoch ``epoch`` (1-based) finished with these Keras logs, learning rate and wall time."""

    def __init__(
        self,
        run_dir: Path,
        *,
        epoch: int,
        logs: Mapping[str, float],
        learning_rate: float | None,
        seconds: float | None,
        time: float | None = None,
    ) -> None:
        super().__init__(run_dir)
        self.epoch = epoch
        self.logs = dict(logs)
        self.learning_rate = learning_rate
        self.seconds = seconds
        self.time = time


class BatchProgressed(RunMessage):
    """``step`` of ``steps`` batches of ``epoch`` are done; replaceable by a newer one of the same run."""

    def __init__(
        self,
        run_dir: Path,
        *,
        epoch: int,
        step: int,
        steps: int | None,
        logs: Mapping[str, float],
        time: float | None = None,
        seconds: float | None = None,
    ) -> None:
        super().__init__(run_dir)
        self.epoch = epoch
        self.step = step
        self.steps = steps
        self.logs = dict(logs)
        self.time = time
        self.seconds = seconds

    def can_replace(self, message: Message) -> bool:
        """A newer progress message of the same run supersedes this one (Textual collapses the burst)."""
        return isinstance(message, BatchProgressed) and message.run_dir == self.run_dir


class FlagRaised(RunMessage):
    """The trainer's analysis raised ``flag`` (read from the event log)."""

    def __init__(self, run_dir: Path, flag: Flag) -> None:
        super().__init__(run_dir)
        self.flag = flag


class BestModelSaved(RunMessage):
    """``best.keras`` now holds the weights of ``epoch`` (the trainer saved it)."""

    def __init__(self, run_dir: Path, *, epoch: int, time: float | None = None) -> None:
        super().__init__(run_dir)
        self.epoch = epoch
        self.time = time


class RunFinished(RunMessage):
    """The run ended on its own terms: ``state`` is "finished" or "stopped"; ``reason`` says why."""

    def __init__(self, run_dir: Path, *, state: str, reason: str | None = None, time: float | None = None) -> None:
        super().__init__(run_dir)
        self.state = state
        self.reason = reason
        self.time = time


class RunFailed(RunMessage):
    """The trainer reported that it ended badly: ``state`` "failed" (an error) or "diverged" (NaN loss).

    ``error`` is one line naming the problem; ``traceback_file`` holds the details, if written.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        error: str,
        state: str = "failed",
        traceback_file: Path | None = None,
        time: float | None = None,
    ) -> None:
        super().__init__(run_dir)
        self.error = error
        self.state = state
        self.traceback_file = traceback_file
        self.time = time


class RunCrashed(RunMessage):
    """The trainer process is gone without a final event (killed, out of memory); ``reason`` is its last word.

    ``time`` is when that was noticed, if known; the run really ended after its last event.
    """

    def __init__(self, run_dir: Path, *, reason: str, time: float | None = None) -> None:
        super().__init__(run_dir)
        self.reason = reason
        self.time = time


class LogProblem(RunMessage):
    """The event log had a line the reader could not use (torn or garbled); ``detail`` says which."""

    def __init__(self, run_dir: Path, detail: str) -> None:
        super().__init__(run_dir)
        self.detail = detail


__all__ = [
    "BatchProgressed",
    "EpochEnded",
    "FlagRaised",
    "LogProblem",
    "RunCrashed",
    "RunFailed",
    "RunFinished",
    "RunMessage",
    "RunStarted",
]
