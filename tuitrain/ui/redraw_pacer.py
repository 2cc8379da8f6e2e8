"""When a chart whose data changed may be drawn again: a chart that costs much is redrawn less often.

Issue 13's budget is one frame (1/30 s) of UI time per second. On a busy sweep both of the sweep
screen's charts change every second (the training trials' curves grow, their points move), and one
plotext build with Rich's parsing of its picture costs about as much as the whole budget. So each chart
gets a share of the UI thread's time: after a redraw whose build took ``cost`` seconds of CPU, the next
one waits until ``cost / share`` seconds have passed since it, but never more than ``longest_wait``
(a chart must not look frozen). Cheap builds are therefore drawn at once, every time. What the screen
does with a change that has to wait (keep the latest, draw it when the wait is over) is its own business;
this module only says how long that is. No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FRAME_BUDGET = 1 / 30
"""Seconds of UI time per second the sweep screen may spend, all of it (issue 13: one 30 fps frame)."""
LONGEST_WAIT = 8.0
"""The longest a chart whose data changed waits for its redraw, whatever its build costs (a chart whose
build costs more than its share allows for this wait goes over its share: it must not look frozen)."""

TOO_SHORT_TO_WAIT = 0.001
"""Seconds of wait below which a change is drawn at once."""


class RedrawPacer:
    """Paces one chart's redraws so that its builds take at most ``share`` of the UI thread's time.

    ``share`` is a fraction of one second (0.01: 10 ms of build per second); ``clock`` gives seconds
    (monotonic; tests drive it). The screen asks :meth:`wait` before drawing a change and calls
    :meth:`drawn` when it did draw one.
    """

    def __init__(
        self, share: float, longest_wait: float = LONGEST_WAIT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"a chart's share of the UI time must be in (0, 1], not {share}")
        self.share = share
        self.longest_wait = longest_wait
        self.clock = clock
        self._drawn_at: float | None = None

    def gap(self, cost: float) -> float:
        """Seconds between two redraws of a chart whose build costs ``cost`` seconds of CPU."""
        return min(max(cost, 0.0) / self.share, self.longest_wait)

    def wait(self, cost: float) -> float:
        """Seconds from now until a change may be drawn, given the last build's ``cost``; 0.0: at once."""
        if self._drawn_at is None:
            return 0.0
        left = self._drawn_at + self.gap(cost) - self.clock()
        # Less than a millisecond is rounding (cost / share in floats), not a wait: a timer set for it
        # would find the same sliver left and set another.
        return left if left >= TOO_SHORT_TO_WAIT else 0.0

    def drawn(self) -> None:
        """Note that a change was drawn now (the next one waits from here)."""
        self._drawn_at = self.clock()
