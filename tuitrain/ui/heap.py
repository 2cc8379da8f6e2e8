"""The dashboard's heap once it has started: frozen, so that Python's full garbage collections skip it.

A full (generation 2) collection scans every object the process holds: Textual's, Rich's, pydantic's
and the dashboard's own, over 100,000 once the first screen is up. On the sweep screen of a 200-trial
sweep one came about every 20 s and took 190 ms of CPU: a visible stall, and 10 ms per second of UI time
on average (``bench/sweep_ui_bench.py``). Those objects live as long as the app does; ``gc.freeze``
(CPython's own advice for long-lived processes) moves them out of the collector's sight, so later
collections scan only what came after. The youngest generation is also collected less often (every
10,000 new objects instead of 700): painting a screen makes thousands of short-lived ones (segments,
strips), and collecting them every 700 cost about 5 ms a second on that sweep screen, for a young
generation that holds a few megabytes at most. Only the real dashboard does this: a test process builds
hundreds of apps, and objects frozen there would never be freed.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""New objects between two collections of the youngest generation (CPython's default: 700)."""
FREEZE_AFTER = 2.0
"""Seconds after the app is mounted: its first screen is painted by then, and the user not yet busy."""


def freeze_startup_heap() -> None:
    """Free the garbage made while starting, freeze every object left, and collect the youngest generation
    less often (once per process is enough)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
