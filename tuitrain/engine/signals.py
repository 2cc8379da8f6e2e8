"""Stop requests: the first SIGTERM/SIGINT stops training after the current batch, a second at once.

No TensorFlow here: the handlers are installed first thing in the trainer process, before the
seconds-long TensorFlow import, so a stop sent while the trainer is still starting is not lost.

Python runs a signal's handler only when the main thread next executes Python code, and two
deliveries before that run it once: during a long batch (the main thread is inside TensorFlow) two
SIGTERMs 10 ms apart would count as one. So every delivery is counted where it happens: Python's
C-level handler writes each signal's number to a wakeup pipe (:func:`signal.set_wakeup_fd`), and a
watcher thread reads it. The first request sets the flag that training reads after every batch; the
second calls the *force* action the trainer registered (record the run as stopped, keep what was
trained, end the process) without waiting for the batch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_STOPPED = 0
"""The trainer's exit status after a stop, graceful or at once (the README's "0 finished or stopped")."""

ForceAction = Callable[[str], None]
"""Called with the signal's name on a second stop request; must end the process (or return to let it end)."""


class StopRequest:
    """Stop requests as they arrive: the first asks to stop after the current batch, a second to stop at once.

    Thread-safe. Training reads :attr:`requested` after every batch; the trainer registers what a
    forced stop does with :meth:`on_force` (it changes as the run gets further).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._force: ForceAction | None = None
        self.signal_name: str | None = None
        self.count = 0
        """Stop requests received so far."""

    def set(self, signal_name: str = "a stop request") -> None:
        """Ask training to stop after the current batch."""
        if self.signal_name is None:
            self.signal_name = signal_name
        self._event.set()

    @property
    def requested(self) -> bool:
        """True once a stop was asked for."""
        return self._event.is_set()

    def on_force(self, action: ForceAction | None) -> None:
        """What a second stop request does (None: end the process with :data:`EXIT_STOPPED`)."""
        with self._lock:
            self._force = action

    def received(self, signal_name: str) -> None:
        """Count one stop request: the first sets the flag, the second forces the stop at once."""
        with self._lock:
            self.count += 1
            first = self.count == 1
            action = self._force
        if first:
            self.set(signal_name)
            return
        if self.count > 2:
            return  # the forced stop is already under way
        try:
            if action is not None:
                action(signal_name)
        finally:
            # Whatever the action managed, a second request ends the process: that is its promise.
            sys.stdout.flush()
            os._exit(EXIT_STOPPED)


def _watch(read_fd: int, receive: Callable[[str], None]) -> None:
    """Read signal numbers from the wakeup pipe until it closes; pass each stop signal's name on."""
    names = {int(sig): sig.name for sig in STOP_SIGNALS}
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        if not data:
            return
        for number in data:
            if number in names:
                receive(names[number])


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler: nothing to do, the watcher thread has already counted the signal.

    It must exist all the same: the C-level handler writes to the wakeup pipe only for a signal that
    has a Python handler (not SIG_DFL or SIG_IGN).
    """


@contextlib.contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[StopRequest]:
    """While inside, SIGTERM and SIGINT are stop requests (see the module docstring). Main thread only.

    The previous handlers and wakeup fd are restored on exit (the trainer also runs inside test processes).
    """
    with stop_signals_to(stop.received):
        yield stop


@contextlib.contextmanager
def stop_signals_to(receive: Callable[[str], None]) -> Iterator[None]:
    """While inside, every SIGTERM and SIGINT delivery calls ``receive(signal name)`` on a watcher thread,
    at once, even while the main thread is inside TensorFlow (see the module docstring). Main thread only.

    :func:`stop_on_signals` passes them to one :class:`StopRequest`; a warm worker to the request of
    the trial it is training (:mod:`tuitrain.engine.worker`).
    """
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)  # required by set_wakeup_fd: a signal handler must never block
    previous_handlers: dict[int, object] = {}
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(read_fd, receive), name="tuitrain-stop-signals", daemon=True)
    watcher.start()
    try:
        for sig in STOP_SIGNALS:
            previous_handlers[sig] = signal.signal(sig, _ignore)
        yield
    finally:
        for sig, old in previous_handlers.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
        signal.set_wakeup_fd(previous_fd)
        os.close(write_fd)  # the watcher reads end-of-file and returns
        watcher.join(timeout=5)
        os.close(read_fd)
