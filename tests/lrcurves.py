"""Synthetic learning-rate range tests for tests: the classic curve, with its regimes where asked.

Usage from any test (``tests/`` is on ``sys.path``): ``from lrcurves import RATES, curve``.
"""

from __future__ import annotations

import math

import numpy as np

RATES = list(np.logspace(-7, 1, 300))
"""300 rates from 1e-7 to 10, as the range test's defaults rise."""


def curve(
    fall_at: float = 1e-3, lowest_at: float = 3e-2, nan_from: float | None = 3.0, noise: float = 0.03, seed: int = 0
) -> list[float]:
    """A classic range-test loss at :data:`RATES`: flat at 2.3, falls around ``fall_at`` to 0.3, climbs
    after ``lowest_at``, NaN from ``nan_from`` on."""
    rng = np.random.default_rng(seed)
    out = []
    for rate in RATES:
        x = math.log10(rate)
        falling = 2.3 - 2.0 / (1 + math.exp(-3.0 * (x - math.log10(fall_at))))
        rising = max(0.0, x - math.log10(lowest_at)) ** 2 * 3.0
        value = falling + rising + noise * rng.standard_normal()
        out.append(float("nan") if nan_from is not None and rate >= nan_from else value)
    return out
