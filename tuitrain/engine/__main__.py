"""``python -m tuitrain.engine RUN_DIR [--data-dir DIR] [--offline]``: the trainer process.

Started by :func:`tuitrain.launcher.start_run` in its own session, with stdout and stderr going to
``RUN_DIR/trainer.log``. Exit codes: 0 finished or stopped, 1 failed, 2 bad arguments, 3 diverged.
Everything a user needs is in the run directory, whatever the exit code.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from tuitrain.engine.signals import StopRequest, stop_on_signals


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, install the stop handlers, then (only then) import TensorFlow and train."""
    parser = argparse.ArgumentParser(prog="python -m tuitrain.engine", description=__doc__)
    parser.add_argument("run_dir", type=Path, help="run directory holding experiment.toml")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder searched first for data files")
    parser.add_argument("--offline", action="store_true", help="never download a data set")
    args = parser.parse_args(argv)
    if not (args.run_dir / "experiment.toml").is_file():
        parser.error(f"{args.run_dir / 'experiment.toml'} not found: start runs with 'tuitrain run'")
    stop = StopRequest()
    with stop_on_signals(stop):
        # Until the trainer takes over, a second stop request records the run as stopped before it began.
        # (Imported before TensorFlow: no TensorFlow in it, and no import from the signal thread.)
        from tuitrain.engine.record import stop_before_training

        stop.on_force(partial(stop_before_training, args.run_dir))
        # Imported here: a SIGTERM during the seconds-long TensorFlow import is a stop request too.
        from tuitrain.engine import trainer
        from tuitrain.engine.threads import apply_thread_limits

        try:
            apply_thread_limits()  # a sweep's share of the CPU, before TensorFlow's first op
        except ValueError as exc:
            parser.error(str(exc))
        if (args.run_dir / "lr_find.json").is_file():  # a learning-rate range test, not a training run
            from tuitrain.engine import lr_finder

            return lr_finder.run(args.run_dir, data_dir=args.data_dir, allow_download=not args.offline, stop=stop)
        return trainer.run(args.run_dir, data_dir=args.data_dir, allow_download=not args.offline, stop=stop)


if __name__ == "__main__":
    sys.exit(main())
