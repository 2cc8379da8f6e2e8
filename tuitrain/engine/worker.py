"""``python -m tuitrain.engine.worker --trials-dir DIR``: a warm trainer that trains run after run.

Starting a trainer costs seconds (importing TensorFlow and Keras, initialising their runtime); for a
sweep of short trials that is a large part of each trial. A worker pays it once: it reads run
directories from its stdin, one path per line, and trains each exactly as ``python -m tuitrain.engine``
would (:func:`tuitrain.engine.trainer.run`: the same files, events and states), one after the other.
Between trials it resets Keras (``clear_session``, then every trial seeds itself again) and collects
garbage, so a trial starts from the state a fresh process would give it. Each trial's output goes to
its own ``trainer.log``.

Signals follow the trainer's rules (:mod:`tuitrain.engine.signals`: every delivery is counted at once,
even mid-batch): SIGTERM or SIGINT during a trial stops that trial after its current batch; a second one
records the trial as stopped with what it trained and its best model, and ends the worker at once. One
that arrives while the worker waits is meant for the trial already written to its stdin, if there is
one: that trial then stops before it trains; otherwise it is stale (meant for a trial that has just
ended) and ignored. Each trial's best-model writer thread is closed (joined) before the trial ends, so
nothing of one trial is still writing while the next one trains. The worker ends when its stdin closes,
so a worker whose controller was killed finishes its trial and then exits.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import select
import signal
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from tuitrain.engine.record import stop_before_training
from tuitrain.engine.signals import StopRequest, stop_signals_to


class _Stops:
    """The stop request of the trial in progress, and one received while waiting for the next."""

    def __init__(self) -> None:
        self.current: StopRequest | None = None
        self.early: str | None = None

    def received(self, name: str) -> None:
        """One stop signal (on the signal watcher thread): to the current trial's request (the second
        one forces its stop and ends the process), or to the queued trial while waiting."""
        current = self.current
        if current is None:
            if _input_waiting():
                self.early = name
            return
        current.received(name)

    def next_request(self) -> StopRequest:
        """A fresh stop request for the next trial (already set if a signal came while waiting)."""
        stop = StopRequest()
        if self.early is not None:
            stop.set(self.early)
            self.early = None
        self.current = stop
        return stop


def _input_waiting() -> bool:
    try:
        return bool(select.select([sys.stdin], [], [], 0)[0])
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to ``path`` while inside."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


def _inside(run_dir: Path, trials_dir: Path) -> bool:
    try:
        return run_dir.resolve().parent == trials_dir.resolve() and (run_dir / "experiment.toml").is_file()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Install the signal handlers, import TensorFlow once, then train each run directory read from stdin."""
    parser = argparse.ArgumentParser(prog="python -m tuitrain.engine.worker", description=__doc__)
    parser.add_argument("--trials-dir", type=Path, required=True, help="the folder whose run directories it trains")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder searched first for data files")
    parser.add_argument("--offline", action="store_true", help="never download a data set")
    args = parser.parse_args(argv)
    stops = _Stops()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # its own session anyway; never ended by a hang-up
    with stop_signals_to(stops.received):
        return _serve(args, parser, stops)


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser, stops: _Stops) -> int:
    """Import TensorFlow once, then train each run directory read from stdin (signals already handled)."""
    import keras

    from tuitrain.engine import trainer
    from tuitrain.engine.threads import apply_thread_limits

    try:
        apply_thread_limits()
    except ValueError as exc:
        parser.error(str(exc))
    print(f"tuitrain worker pid {os.getpid()} ready for runs in {args.trials_dir}", flush=True)
    for line in sys.stdin:
        run_dir = Path(line.strip())
        if not line.strip():
            continue
        if not _inside(run_dir, args.trials_dir):
            print(f"skipped {run_dir}: not a prepared run directory inside {args.trials_dir}", flush=True)
            continue
        stop = stops.next_request()
        # Until the trainer takes over, a second stop request records the trial as stopped before it began.
        stop.on_force(partial(stop_before_training, run_dir))
        print(f"training {run_dir.name}", flush=True)
        try:
            with output_to(run_dir / "trainer.log"):
                code = trainer.run(run_dir, data_dir=args.data_dir, allow_download=not args.offline, stop=stop)
        finally:
            stops.current = None
            # The next trial starts as a fresh process would: no layers, graphs or names left over.
            keras.backend.clear_session()
            gc.collect()
        print(f"{run_dir.name} ended (exit code {code})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
