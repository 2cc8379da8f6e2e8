"""Start, stop and wait for trainer processes (used by the CLI and the dashboard; no TensorFlow here).

A run starts as a directory with the fully resolved ``experiment.toml`` and a "pending" status, then a
fresh ``python -m tuitrain.engine RUN_DIR`` process, started with ``subprocess`` (never a fork of
this possibly threaded process) in its own session: a hang-up of the terminal or an exit of the
launching process does not reach it. Its output goes to ``RUN_DIR/trainer.log``; everything else it
says goes into the run directory. The launching side talks to it only through that directory and
signals: SIGTERM asks it to stop after the current batch and keep what it trained.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain import runs
from tuitrain.fsutil import atomic_write_text, os_error_text
from tuitrain.presets import to_toml
from tuitrain.runs import lr_find
from tuitrain.runs.lr_find import LrFindSettings
from tuitrain.runs.status import ACTIVE_STATES
from tuitrain.spec import Experiment, NpzDataset
from tuitrain.spec.checks import resolve

TRAINER_MODULE = runs.status.TRAINER_MODULE
WORKER_MODULE = runs.status.WORKER_MODULE
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
    "except (AttributeError, OSError):\n"
    "    pass  # no prctl (not Linux): nothing ties the child to its parent\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(1)  # the parent died before the tie was made\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)
"""Run by ``python -c`` before the real command (which it becomes, same pid): the kernel kills it when its
parent dies. Done in the child rather than in a ``preexec_fn``, which is unsafe in a threaded parent."""


class LaunchError(RuntimeError):
    """A run could not be created or started (one line: what, where, and the fix)."""


@dataclass
class RunHandle:
    """A started trainer: its run directory and process id (and the process, for :func:`wait`)."""

    run_dir: Path
    pid: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)


def absolute_npz(exp: Experiment, preset_dir: Path | None) -> Experiment:
    """A copy whose npz path no longer depends on the preset's folder or the working directory."""
    if not isinstance(exp.dataset, NpzDataset):
        return exp
    path = Path(exp.dataset.path).expanduser()
    if not path.is_absolute():
        path = (preset_dir or Path.cwd()) / path
    out = exp.model_copy(deep=True)
    out.dataset.path = str(path.resolve())
    return out


def prepare_run(
    exp: Experiment, runs_root: Path | str | None = None, preset_dir: Path | None = None, *, name_suffix: str = ""
) -> Path:
    """Create the run directory with ``experiment.toml`` (resolved) and a "pending" status; return it.

    ``runs_root`` None means the default (``$TUITRAIN_RUNS``, else ``./runs``); ``name_suffix`` goes
    after the experiment's name in the directory's name.

    Raises :class:`LaunchError` when the runs folder cannot hold a new run (it is a file, it cannot be
    written, the disk is full); a half-made run directory is removed again.
    """
    exp = absolute_npz(exp, preset_dir)
    resolved = resolve(exp, preset_dir)
    root = runs.runs_root(runs_root)
    try:
        if root.exists() and not root.is_dir():
            raise LaunchError(f"the runs folder {root} is a file, not a folder: pass --runs-dir DIR of a folder")
        run_dir = runs.new_run_dir(root, exp.name + name_suffix)
    except OSError as exc:
        raise LaunchError(f"cannot create a run in {root}: {os_error_text(exc)}") from None
    paths = runs.RunPaths(run_dir)
    try:
        atomic_write_text(paths.experiment, to_toml(resolved))
        runs.write_status(paths, runs.RunStatus(state="pending", started_at=time.time()))
    except OSError as exc:
        # Nothing was trained in it yet: a run folder without its experiment would only confuse.
        shutil.rmtree(run_dir, ignore_errors=True)
        raise LaunchError(f"cannot write the new run {run_dir.name} in {root}: {os_error_text(exc)}") from None
    return run_dir


def trainer_command(run_dir: Path, data_dir: Path | str | None = None, offline: bool = False) -> list[str]:
    """The command line of the trainer process for ``run_dir``."""
    return module_command(TRAINER_MODULE, str(Path(run_dir).resolve()), data_dir=data_dir, offline=offline)


def module_command(
    module: str, *args: str, data_dir: Path | str | None = None, offline: bool | None = False
) -> list[str]:
    """``python -m module args... [--data-dir DIR] [--offline]`` with this interpreter."""
    cmd = [sys.executable, "-m", module, *args]
    if data_dir is not None:
        cmd += ["--data-dir", str(Path(data_dir).expanduser().resolve())]
    if offline:
        cmd.append("--offline")
    return cmd


def spawn_detached(
    cmd: list[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    pipe_stdin: bool = False,
    die_with_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session (a hang-up or the starter's exit does not reach it), its output
    appended to ``log_path``, its environment :func:`trainer_env` plus ``env``; return at once.

    ``pipe_stdin`` gives it a pipe to read from (a warm worker's next run); otherwise stdin is empty.
    ``die_with_parent`` (Linux) has the kernel kill it when the starting process dies: a trainer started
    by a Ray actor must end with the actor, as it would with the actor's machine.
    """
    if die_with_parent:
        cmd = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *cmd]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if pipe_stdin else subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=trainer_env(env),
        )


def trainer_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The trainer's environment: unbuffered output, quiet TensorFlow, this tuitrain importable, plus ``extra``.

    ``extra`` is where a trainer is placed: ``CUDA_VISIBLE_DEVICES`` for its GPU, and
    ``TUITRAIN_INTRA_OP_THREADS`` / ``TUITRAIN_INTER_OP_THREADS`` for its share of the CPU.
    """
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The trainer must run the same tuitrain as this process, installed or not.
    package_parent = str(Path(__file__).resolve().parent.parent)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if package_parent not in paths:
        env["PYTHONPATH"] = os.pathsep.join([package_parent, *paths])
    env.update(extra or {})
    return env


def start_run(
    exp: Experiment,
    runs_root: Path | str | None = None,
    data_dir: Path | str | None = None,
    preset_dir: Path | str | None = None,
    *,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
) -> RunHandle:
    """Create a run directory for ``exp`` and start its trainer process; return at once.

    ``preset_dir`` anchors a relative npz path (the folder of the preset file); ``data_dir`` is
    searched first for data files; ``offline`` forbids downloads; ``env`` is added to the trainer's
    environment (see :func:`trainer_env`). Raises :class:`LaunchError` with one line when the run
    cannot be created or started (a run directory made for a trainer that never started is removed).
    """
    run_dir = prepare_run(exp, runs_root, Path(preset_dir) if preset_dir else None)
    try:
        return spawn_trainer(run_dir, data_dir, offline=offline, env=env)
    except OSError as exc:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise LaunchError(f"cannot start the trainer for {run_dir.name}: {os_error_text(exc)}") from None


def start_lr_find(
    exp: Experiment,
    settings: LrFindSettings,
    runs_root: Path | str | None = None,
    data_dir: Path | str | None = None,
    preset_dir: Path | str | None = None,
    *,
    offline: bool = False,
) -> RunHandle:
    """Create a learning-rate range test's run directory for ``exp`` and start its trainer; return at once.

    The same trainer process as a run (``python -m tuitrain.engine RUN_DIR``): ``lr_find.json`` in the
    directory makes it run the test (see :mod:`tuitrain.engine.lr_finder`). Raises :class:`LaunchError`
    as :func:`start_run` does.
    """
    run_dir = prepare_run(exp, runs_root, Path(preset_dir) if preset_dir else None, name_suffix=lr_find.NAME_SUFFIX)
    try:
        lr_find.write_settings(run_dir, settings)
        return spawn_trainer(run_dir, data_dir, offline=offline)
    except OSError as exc:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise LaunchError(f"cannot start the range test {run_dir.name}: {os_error_text(exc)}") from None


def spawn_trainer(
    run_dir: Path,
    data_dir: Path | str | None = None,
    *,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = False,
) -> RunHandle:
    """Start a trainer process for a run directory made by :func:`prepare_run`; return at once.

    Raises OSError when the process or its log cannot be started (the caller decides what becomes
    of the run directory). ``die_with_parent``: see :func:`spawn_detached`.
    """
    process = spawn_detached(
        trainer_command(run_dir, data_dir, offline),
        runs.RunPaths(run_dir).trainer_log,
        env=env,
        die_with_parent=die_with_parent,
    )
    record_trainer(run_dir, process.pid)
    return RunHandle(run_dir=run_dir, pid=process.pid, process=process)


def record_trainer(run_dir: Path, pid: int) -> None:
    """Note ``pid`` as the trainer of a pending run, at once.

    Readers can then tell a trainer that died while starting (a crash) from one still importing
    TensorFlow (pending), and :func:`stop_run` works from the first moment. The trainer's own first
    status write comes seconds later, after that import (or at once, for a warm worker).
    """
    paths = runs.RunPaths(run_dir)
    status = runs.read_status(paths) or runs.RunStatus(state="pending")
    if status.state == "pending":
        runs.write_status(
            paths,
            status.model_copy(update={"pid": pid, "pid_start": runs.process_start_time(pid), "host": runs.this_host()}),
        )


def worker_command(trials_dir: Path, data_dir: Path | str | None = None, offline: bool = False) -> list[str]:
    """The command line of a warm worker that trains run directories inside ``trials_dir``."""
    return module_command(
        WORKER_MODULE, "--trials-dir", str(Path(trials_dir).resolve()), data_dir=data_dir, offline=offline
    )


def start_worker(
    trials_dir: Path,
    log_path: Path,
    data_dir: Path | str | None = None,
    *,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a warm worker (``python -m tuitrain.engine.worker``) in its own session; return at once.

    It imports TensorFlow once, then trains each run directory written to its stdin (one path per
    line), one after the other, each exactly as a trainer would; it exits when its stdin closes (so a
    worker whose controller died finishes its trial, then ends). Its own output goes to ``log_path``;
    each trial's output goes to that run's ``trainer.log``. ``die_with_parent``: see :func:`spawn_detached`.
    """
    return spawn_detached(
        worker_command(trials_dir, data_dir, offline),
        log_path,
        env=env,
        pipe_stdin=True,
        die_with_parent=die_with_parent,
    )


def is_trainer(pid: int, run_dir: Path, pid_start: int | None = None) -> bool:
    """True when ``pid`` is a live trainer of ``run_dir``, not a process that got a dead trainer's pid.

    Checks the start time recorded with the pid where known, and on Linux the command line: a trainer
    of this run directory, or a warm worker (:func:`start_worker`) of the folder that holds it (a
    signal goes only to such a process; :func:`tuitrain.runs.status.is_trainer_of`).
    """
    if not runs.process_alive(pid, pid_start):
        return False
    # No /proc (or no access): the pid and start time are all there is to go on.
    return runs.status.is_trainer_of(pid, run_dir) is not False


def stop_run(run_dir: Path | str) -> bool:
    """Ask the run's trainer to stop after the current batch (SIGTERM); False if no trainer runs for it."""
    run_dir = Path(run_dir)
    status = runs.read_status(runs.RunPaths(run_dir))
    if status is None or status.pid is None or status.state not in ACTIVE_STATES:
        return False
    if status.host and status.host != runs.this_host():
        return False  # a pid on another machine means nothing here
    if not is_trainer(status.pid, run_dir, status.pid_start):
        return False
    try:
        os.kill(status.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def wait(handle: RunHandle, timeout: float | None = None) -> int | None:
    """Wait for a trainer started here; its exit code, or None if it still runs after ``timeout`` s."""
    if handle.process is None:
        raise ValueError("wait() needs a handle from start_run in this process")
    try:
        return handle.process.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
