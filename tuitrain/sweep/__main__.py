"""``python -m tuitrain.sweep SWEEP_DIR [--data-dir DIR] [--offline]``: the sweep controller process.

Started by :func:`tuitrain.sweep.process.start_controller` in its own session, its output going to
``SWEEP_DIR/controller.log``. SIGTERM or SIGINT stops the sweep (its trials through their trainers'
normal stop path); a hang-up is ignored. Exit codes: 0 finished or stopped, 1 failed, 2 another
controller drives this sweep (or bad arguments).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    """Install the stop handlers, then (only then) import Optuna and drive the sweep."""
    parser = argparse.ArgumentParser(prog="python -m tuitrain.sweep", description=__doc__)
    parser.add_argument("sweep_dir", type=Path, help="sweep folder holding sweep.toml")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder the trials search first for data files")
    parser.add_argument("--offline", action="store_true", default=None, help="the trials never download data")
    args = parser.parse_args(argv)
    if not (args.sweep_dir / "sweep.toml").is_file():
        parser.error(f"{args.sweep_dir / 'sweep.toml'} not found: start sweeps with 'tuitrain sweep run'")
    requested: list[str] = []
    controller = None

    def stop(signum: int, frame: FrameType | None) -> None:
        requested.append(signal.Signals(signum).name)
        if controller is not None:
            controller.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    from tuitrain.sweep.controller import Controller
    from tuitrain.sweep.layout import SweepPaths

    controller = Controller(
        SweepPaths(args.sweep_dir.resolve()), data_dir=args.data_dir, offline=args.offline, log=_log
    )
    if requested:  # a stop that came while Optuna was being imported
        controller.request_stop()
    return controller.run()


def _log(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
