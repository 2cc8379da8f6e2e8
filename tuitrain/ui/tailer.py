"""The tail worker: one thread per watched run hands every event it reads to a screen as a message.

:func:`watch_run` starts it on a screen (or any DOM node). The loop itself is the source's
(:meth:`tuitrain.run_source.RunsSource.tail`); the worker only wraps each event in a
:class:`~tuitrain.ui.messages.RunEvent` and says when it is cancelled.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from tuitrain.run_source import RunsSource
from tuitrain.ui.messages import RunEvent


def watch_run(node: DOMNode, run_dir: Path, source: RunsSource) -> Worker[str]:
    """Start the tail worker for ``run_dir`` on ``node``; its messages go to ``node``.

    This is ``@work(thread=True, exclusive=True, exit_on_error=False)`` spelled as ``run_worker``
    because the group names the run ("tail-<run>"): watching the same run again from the same node
    replaces the old worker, watching another run does not. The worker's result is why the tail
    stopped ("ended", "crashed", "missing" or "cancelled").
    """
    run_dir = Path(run_dir)
    return node.run_worker(
        partial(_tail_in_thread, node, source, run_dir),
        name=f"Watching {run_dir.name}",
        group=f"tail-{run_dir.name}",
        description=f"tail {run_dir}",
        thread=True,
        exclusive=True,
        exit_on_error=False,
    )


def _tail_in_thread(node: DOMNode, source: RunsSource, run_dir: Path) -> str:
    worker = get_current_worker()
    return source.tail(run_dir, lambda event: node.post_message(RunEvent(run_dir, event)), lambda: worker.is_cancelled)
