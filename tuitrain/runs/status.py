"""A run's status file and the question "is its trainer process still there?".

``status.json`` is written by the launcher ("pending") and then by the trainer, always replaced
atomically. It records the trainer's pid together with the process's start time and host, so a
reader can tell a live trainer from a dead one whose pid was reused, and knows when it cannot check
at all (a run trained on another machine that shares the runs folder).

The liveness rules (:func:`trainer_process_alive`), as a pid file is checked by tools that must not
be fooled by pid reuse: a pid recorded on another host cannot be checked (unknown); a pid that is not
a live, non-zombie process is dead; a recorded start time must match the process's (pid and start
time name one process for the life of the machine); without a start time the process must show
itself as this run's trainer on its command line (``-m tuitrain.engine RUN_DIR``, or a warm worker of
the folder that holds the run) where the command line can be read (``/proc``), so ``"pid": 1`` or any
other unrelated process is never taken for a trainer.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tuitrain.fsutil import atomic_write_text, os_error_text, read_regular
from tuitrain.runs.events import one_line
from tuitrain.runs.layout import RunPaths

RunState = Literal["pending", "running", "finished", "stopped", "diverged", "failed", "crashed"]
"""Where a run is: not started yet, training, or how it ended."""
RUN_STATES: tuple[str, ...] = get_args(RunState)
ACTIVE_STATES: tuple[str, ...] = ("pending", "running")
"""States in which a trainer process may still be at work."""
ENDED_STATES: tuple[str, ...] = ("finished", "stopped", "diverged", "failed", "crashed")
"""States after which nothing more will happen in a run."""
FAILED_STATES: tuple[str, ...] = ("diverged", "failed", "crashed")
"""Ended states that mean something went wrong (the run neither finished nor was stopped)."""


class RunStatus(BaseModel):
    """The content of ``status.json``: state, who trains (pid, its start time, host), when, how far."""

    model_config = ConfigDict(extra="ignore", ser_json_inf_nan="strings")

    state: RunState = "pending"
    pid: int | None = Field(default=None, description="The trainer's process id.")
    pid_start: int | None = Field(
        default=None, description="The trainer's start time in clock ticks after boot (/proc/PID/stat field 22)."
    )
    host: str | None = Field(default=None, description="socket.gethostname() of the trainer's machine.")
    started_at: float | None = Field(default=None, description="Unix seconds.")
    updated_at: float | None = Field(default=None, description="Unix seconds of this write.")
    ended_at: float | None = Field(default=None, description="Unix seconds.")
    epochs_done: int = Field(default=0, ge=0)
    best_epoch: int | None = Field(default=None, ge=1, description="The best epoch by the monitor so far.")
    best_saved_epoch: int | None = Field(
        default=None, ge=1, description="The epoch whose weights best.keras holds (written after each save)."
    )
    message: str | None = Field(default=None, description="One line: why it ended, or what it is doing.")

    @field_validator("message", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        return one_line(value) if isinstance(value, str) else value

    @classmethod
    def for_this_process(cls, state: RunState = "running", **fields: object) -> RunStatus:
        """A status naming the calling process as the trainer (pid, start time, host, times set)."""
        now = time.time()
        values: dict[str, object] = {
            "state": state,
            "pid": os.getpid(),
            "pid_start": process_start_time(os.getpid()),
            "host": this_host(),
            "started_at": now,
            "updated_at": now,
        }
        values.update(fields)
        return cls.model_validate(values)


def this_host() -> str:
    """This machine's name as status files record it."""
    return socket.gethostname()


def _status_file(target: Path | RunPaths | str) -> Path:
    if isinstance(target, RunPaths):
        return target.status
    path = Path(target)
    return path / "status.json" if path.is_dir() else path


def write_status(target: Path | RunPaths | str, status: RunStatus) -> None:
    """Replace the status file atomically (readers see the old status or the new one, never half).

    ``target``: the status file, the run directory, or its :class:`RunPaths`. ``updated_at`` is set now.
    """
    stamped = status.model_copy(update={"updated_at": time.time()})
    atomic_write_text(_status_file(target), stamped.model_dump_json(indent=2) + "\n")


MAX_STATUS_BYTES = 1_000_000
"""A status file is a few hundred bytes; anything past this is not one."""


def read_status(target: Path | RunPaths | str) -> RunStatus | None:
    """The run's status, or None when the file is missing or unreadable (never raises for its content)."""
    return read_status_checked(target)[0]


def read_status_checked(target: Path | RunPaths | str) -> tuple[RunStatus | None, str | None]:
    """(the run's status or None, why it could not be read or None when it is fine or simply missing).

    Only a regular file is opened (a FIFO in its place would block); never raises.
    """
    path = _status_file(target)
    try:
        data = read_regular(path, MAX_STATUS_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as exc:
        return None, f"{path.name}: {os_error_text(exc)}"
    if len(data) > MAX_STATUS_BYTES:
        return None, f"{path.name} is over {MAX_STATUS_BYTES // 1_000_000} MB: not a status file"
    try:
        return RunStatus.model_validate_json(data), None
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError):
        # Only a hand edit can break it (it is replaced atomically): the run is then judged by its events.
        return None, f"{path.name} is damaged (not a tuitrain status)"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) from /proc, or None where /proc has no such entry."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # Field 2 (the command name) is in parentheses and may hold spaces or ')': split after the last ')'.
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return fields[0].decode("ascii", "replace"), int(fields[19])  # fields 3 and 22 of proc(5)
    except (IndexError, ValueError):
        return None


def process_start_time(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks after boot (Linux); None where that cannot be read."""
    stat = _proc_stat(pid)
    return stat[1] if stat is not None else None


def process_alive(pid: int, pid_start: int | None = None) -> bool:
    """True if process ``pid`` exists, is not a zombie, and (when known) started at ``pid_start``.

    The start time guards against pid reuse: after the trainer died, another program may get its pid.
    A process owned by another user (PermissionError on signal 0) exists, so it counts as alive.
    """
    if pid <= 0:
        return False  # 0 and negatives address process groups, not a process
    if os.name == "nt":
        # On Windows os.kill(pid, 0) sends Ctrl+C (signal 0 is CTRL_C_EVENT): never probe that way.
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False  # no such process (or a number no pid can be)
    except PermissionError:
        pass
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc here (or it just vanished): the signal said it exists
    state, start = stat
    if state in ("Z", "X"):
        return False  # exited, waiting to be reaped by its parent: it will never write again
    return pid_start is None or start == pid_start


TRAINER_MODULE = "tuitrain.engine"
"""The module a trainer process runs (``python -m tuitrain.engine RUN_DIR``)."""
WORKER_MODULE = "tuitrain.engine.worker"
"""The module a warm worker runs (``python -m tuitrain.engine.worker --trials-dir DIR``): it trains the
run directories inside DIR, one after the other."""


def trainer_command_line(pid: int) -> list[bytes] | None:
    """The command line of process ``pid`` (Linux ``/proc``), or None where it cannot be read."""
    try:
        raw = read_regular(f"/proc/{pid}/cmdline", 1 << 20)
    except OSError:
        return None
    return raw.split(b"\0") if raw else None


def is_trainer_of(pid: int, run_dir: Path | str) -> bool | None:
    """Whether process ``pid``'s command line is a trainer of ``run_dir``: ``-m tuitrain.engine RUN_DIR``,
    or a warm worker ``-m tuitrain.engine.worker --trials-dir DIR`` of the folder that holds it.

    None when the command line cannot be read (no ``/proc``, or another user's process).
    """
    args = trainer_command_line(pid)
    if args is None:
        return None
    try:
        target = Path(run_dir).resolve()
    except (OSError, RuntimeError):
        target = Path(run_dir).absolute()
    if TRAINER_MODULE.encode() in args:
        return str(target).encode() in args
    if WORKER_MODULE.encode() in args and b"--trials-dir" in args:
        i = args.index(b"--trials-dir")
        return i + 1 < len(args) and args[i + 1] == str(target.parent).encode()
    return False


def trainer_process_alive(pid: int, pid_start: int | None, run_dir: Path | str | None = None) -> bool:
    """Whether ``pid`` is this run's trainer and still runs, by the rules in the module docstring.

    ``pid_start`` (the start time recorded with the pid) identifies the process; without it, and with
    ``run_dir`` given, the process's command line must be that run's trainer where it can be read.
    """
    if not process_alive(pid, pid_start):
        return False
    if pid_start is not None or run_dir is None:
        return True
    return is_trainer_of(pid, run_dir) is not False


def status_alive(status: RunStatus, run_dir: Path | str | None = None) -> bool | None:
    """Whether the trainer a status names still runs: True/False, or None when that cannot be checked.

    None when no pid is recorded, or the trainer ran on another host (its pid means nothing here).
    ``run_dir`` lets a pid recorded without its start time be checked by its command line.
    """
    if status.pid is None:
        return None
    if status.host and status.host != this_host():
        return None
    return trainer_process_alive(status.pid, status.pid_start, run_dir)
