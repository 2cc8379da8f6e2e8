"""The dashboard's heap once it has started: frozen, so that Python's full garbage collections skip it.

A full (generation 2) collection scans every object the process holds: Textual's, Rich's, pydantic's
and the dashboard's own, over 100,000 once the first screen is up. On the sweep screen of a 200-trial
sweep one came about every 20 s and took 190 ms of CPU: a visible stall, and 10 ms per second of UI time
on average (``bench/sweep_ui_bench.py``). Those objects live as long as the app does; ``gc.freeze``
(CPython's own advice for long-lived processes) moves them out of the collector's sight, so later
collections scan only what came after. Only the real dashboard does this: a test process builds
hundreds of apps, and objects frozen there would never be freed.
"""

from __future__ import annotations

import gc

FREEZE_AFTER = 2.0
"""Seconds after the app is mounted: its first screen is painted by then, and the user not yet busy."""


def freeze_startup_heap() -> None:
    """Free the garbage made while starting, then freeze every object left (once per process is enough)."""
    gc.collect()
    gc.freeze()
