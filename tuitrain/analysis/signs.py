"""The plain-language signs of overfitting that the seed material teaches, judged on smoothed curves.

* validation loss rising while training loss still falls;
* validation accuracy falling while training accuracy still rises;
* the generalization gap (validation loss - training loss) widening.

Raw epoch values of a small validation set jump about; a sign judged on them would fire on noise. So each
sign looks at the TensorBoard-smoothed curves (what the dashboard draws) and needs all of:

* the smoothed curve moved the bad way at each of the last ``SIGN_EPOCHS`` (3) epochs, by at least
  ``LOSS_MIN_RISE`` (1% of the validation loss) or ``ACCURACY_MIN_FALL`` (0.5 percentage points) in all,
* the training curve moved the good way over the same epochs (not needed for the gap, which already
  contains it), by at least the same ``ACCURACY_MIN_FALL`` for accuracy (a training accuracy that "kept
  rising" from 0.1194 to 0.1195 did not rise), and
* no new best validation value (loss, or accuracy for the accuracy sign) in those epochs.

The smoothed curve lags the raw one (at the default weight 0.6 it keeps falling for an epoch or two after
the raw minimum), so these signs come some 4-6 epochs after the turn; the onset call and GL are the quick
ones, these confirm the trend. A window of 2 epochs would be quicker but fires on noise (in simulations
with 3% noise on an improving curve, the gap sign fired on a fifth of runs; with 3 epochs, on 1%).
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

SIGN_EPOCHS = 3
LOSS_MIN_RISE = 0.01
"""A loss (or the gap) must have moved at least this fraction of the validation loss over the window."""
ACCURACY_MIN_FALL = 0.005
"""Validation accuracy must have fallen at least this much (half a percentage point) over the window."""


@dataclass(frozen=True)
class Sign:
    """A sign that holds at ``epoch``: the watched (smoothed) values at the window's ends, and the partner's."""

    epoch: int
    start_epoch: int
    start: float
    end: float
    partner_start: float | None = None
    partner_end: float | None = None


class TrendSign:
    """Holds when ``watched`` moved the bad way at each of the last ``SIGN_EPOCHS`` epochs, the optional
    ``partner`` moved the good way over them, and the best epoch is at least ``SIGN_EPOCHS`` epochs back.

    ``bad_is_up`` says which way is bad for the watched curve (True for a loss or gap, False for accuracy).
    The partner is the training counterpart; its good way is the opposite (training loss down while
    validation loss goes up; training accuracy up while validation accuracy goes down).
    """

    def __init__(self, bad_is_up: bool, epochs: int = SIGN_EPOCHS) -> None:
        self._bad_is_up = bad_is_up
        self._epochs = epochs
        self._window: deque[tuple[int, float, float | None]] = deque(maxlen=epochs + 1)

    def update(
        self,
        epoch: int,
        watched: float | None,
        partner: float | None,
        best_epoch: int | None,
        *,
        needs_partner: bool,
        min_change: float = 0.0,
        partner_min_change: float = 0.0,
    ) -> Sign | None:
        """Feed one epoch's smoothed values; return the sign if it holds now, else None.

        ``min_change`` is the smallest total move of ``watched`` over the window that counts;
        ``partner_min_change`` the same for the partner's move the good way.
        """
        if watched is None or not math.isfinite(watched):
            self._window.clear()  # a gap in the curve breaks the run of epochs
            return None
        self._window.append((epoch, watched, partner))
        if len(self._window) <= self._epochs or best_epoch is None or epoch - best_epoch < self._epochs:
            return None
        values = [w for _, w, _ in self._window]
        sign = 1.0 if self._bad_is_up else -1.0
        if not all(sign * (b - a) > 0 for a, b in itertools.pairwise(values)):
            return None
        if sign * (values[-1] - values[0]) < min_change:
            return None
        first_epoch, _, partner_start = self._window[0]
        if first_epoch != epoch - self._epochs:
            return None  # not consecutive epochs
        if needs_partner:
            if partner is None or partner_start is None:
                return None
            if not (math.isfinite(partner) and math.isfinite(partner_start)):
                return None
            moved = partner_start - partner if self._bad_is_up else partner - partner_start
            if not (moved > 0 and moved >= partner_min_change):
                return None
        return Sign(epoch, first_epoch, values[0], values[-1], partner_start, partner)
