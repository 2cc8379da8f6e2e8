"""How tuitrain writes durations and numbers, the same in the dashboard and on the command line."""

from __future__ import annotations

import math


def duration(seconds: float | None, unknown: str = "-") -> str:
    """``1:02:03``, ``2:03`` or ``0:07``; ``unknown`` when the time is not known (None, NaN, infinite)."""
    if seconds is None or not math.isfinite(seconds):
        return unknown
    total = round(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number(value: float) -> str:
    """A metric value in a table or a progress line: 4 decimals, or 3 significant digits below 0.001.

    Non-finite values read "nan", "inf" or "-inf" (a diverged run shows what happened).
    """
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"


def short(value: float | None, unknown: str = "--") -> str:
    """3 significant digits ("0.001", "5e-05", "0.6"): learning rates and axis labels; ``unknown`` for None."""
    if value is None:
        return unknown
    return f"{value:.3g}"
