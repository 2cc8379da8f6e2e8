"""The one way durations and numbers are written, in the dashboard and on the command line."""

from __future__ import annotations

import math

from tuitrain.formatting import duration, number, short


def test_duration() -> None:
    assert duration(7.4) == "0:07"
    assert duration(123) == "2:03"
    assert duration(3723) == "1:02:03"
    assert duration(-3) == "0:00"
    assert duration(None) == "-" and duration(math.nan) == "-" and duration(math.inf, "--") == "--"


def test_number() -> None:
    assert number(0.4) == "0.4000"
    assert number(12.345678) == "12.3457"
    assert number(0.0) == "0.0000"
    assert number(0.00012345) == "0.000123"
    assert number(math.nan) == "nan" and number(-math.inf) == "-inf"


def test_short() -> None:
    assert short(0.001) == "0.001" and short(5e-05) == "5e-05" and short(0.6000000001) == "0.6"
    assert short(0.0) == "0"
    assert short(None) == "--" and short(None, "-") == "-"
