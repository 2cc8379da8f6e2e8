"""The tail worker: one thread per watched run hands every event it reads to a screen as a message.

:func:`watch_run` starts it on a screen (or any DOM node). The loop itself is the reader's
(``reader.tail``, :func:`tuitrain.runs.tail.tail_run` for run directories); the worker only wraps each
event in a :class:`~tuitrain.ui.messages.RunEvent` and says when it is cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from tuitrain.runs.tail import Emit
from tuitrain.spec import Experiment
from tuitrain.ui.messages import RunEvent


class RunReader(Protocol):
    """What the monitor reads about a run: its spec, and its events as they come."""

    def experiment(self, run_dir: Path) -> Experiment | None:
        """The run's resolved experiment, or None when it cannot be read."""
        ...

    def tail(self, run_dir: Path, emit: Emit, is_cancelled: Callable[[], bool]) -> str:
        """Hand the run's events to ``emit`` until it ends or ``is_cancelled()``; say why it stopped."""
        ...


def watch_run(node: DOMNode, run_dir: Path, reader: RunReader) -> Worker[str]:
    """Start the tail worker for ``run_dir`` on ``node``; its messages go to ``node``.

    This is ``@work(thread=True, exclusive=True, exit_on_error=False)`` spelled as ``run_worker``
    because the group names the run ("tail-<run>"): watching the same run again from the same node
    replaces the old worker, watching another run does not.
    """
    run_dir = Path(run_dir)
    return node.run_worker(
        partial(_tail_in_thread, node, reader, run_dir),
        name=f"Watching {run_dir.name}",
        group=f"tail-{run_dir.name}",
        description=f"tail {run_dir}",
        thread=True,
        exclusive=True,
        exit_on_error=False,
    )


def _tail_in_thread(node: DOMNode, reader: RunReader, run_dir: Path) -> str:
    worker = get_current_worker()
    return reader.tail(run_dir, lambda event: node.post_message(RunEvent(run_dir, event)), lambda: worker.is_cancelled)
