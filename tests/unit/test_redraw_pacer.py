"""RedrawPacer: how long a chart whose data changed waits, driven by a fake clock."""

from __future__ import annotations

import pytest

from tuitrain.ui.redraw_pacer import LONGEST_WAIT, RedrawPacer


class FakeClock:
    """Seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_chart_never_drawn_is_drawn_at_once_whatever_its_cost() -> None:
    assert RedrawPacer(0.01, clock=FakeClock()).wait(cost=3.0) == 0.0


def test_a_cheap_build_never_waits() -> None:
    clock = FakeClock()
    pacer = RedrawPacer(0.01, clock=clock)
    pacer.drawn()
    assert pacer.wait(cost=0.0) == 0.0


def test_a_build_of_b_seconds_waits_b_over_the_share_from_the_last_redraw() -> None:
    clock = FakeClock()
    pacer = RedrawPacer(0.01, clock=clock)
    pacer.drawn()
    assert pacer.wait(cost=0.02) == pytest.approx(2.0)  # 20 ms of build at 1% of the time: every 2 s
    clock.now += 1.5
    assert pacer.wait(cost=0.02) == pytest.approx(0.5)
    clock.now += 0.5
    assert pacer.wait(cost=0.02) == 0.0
    pacer.drawn()
    assert pacer.wait(cost=0.02) == pytest.approx(2.0)  # counted from the latest redraw


def test_no_chart_waits_longer_than_the_longest_wait() -> None:
    clock = FakeClock()
    pacer = RedrawPacer(0.01, clock=clock)
    pacer.drawn()
    assert pacer.gap(10.0) == LONGEST_WAIT and pacer.wait(cost=10.0) == pytest.approx(LONGEST_WAIT)
    clock.now += LONGEST_WAIT
    assert pacer.wait(cost=10.0) == 0.0
    assert RedrawPacer(0.01, longest_wait=2.0).gap(10.0) == 2.0


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_a_share_outside_0_to_1_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share of the UI time"):
        RedrawPacer(share)


def test_a_wait_left_by_rounding_is_no_wait() -> None:
    # cost / share in floats: 0.5 * (1/300) / (1/300) is 0.5000000000000001, so 0.5 s later a sliver was left,
    # and a timer set for it found the same sliver again, for as long as the clock did not move.
    clock = FakeClock()
    pacer = RedrawPacer(1 / 300, clock=clock)
    pacer.drawn()
    assert pacer.wait(cost=0.5 / 300) == pytest.approx(0.5)
    clock.now += 0.5
    assert pacer.wait(cost=0.5 / 300) == 0.0
    clock.now -= 0.002
    assert pacer.wait(cost=0.5 / 300) == pytest.approx(0.002)
