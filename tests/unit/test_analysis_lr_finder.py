"""Reading a learning-rate range test: regimes, suggestion, the chart, the run-directory side."""

from __future__ import annotations

from pathlib import Path

import pytest
from lrcurves import RATES, curve
from pydantic import ValidationError

from tuitrain.analysis.lr_finder import analyze_lr_range, centered_average
from tuitrain.lr_chart import render_text
from tuitrain.runs import EventWriter, LrStep, RunFinished, RunPaths
from tuitrain.runs.lr_find import LrFindSettings, read_curve, read_settings, write_settings


def test_a_classic_curve_shows_the_four_regimes_in_order_and_suggests_a_good_rate() -> None:
    report = analyze_lr_range(RATES, curve())
    assert [s.regime for s in report.regimes] == ["too_small", "good", "too_big", "diverging"]
    for left, right in zip(report.regimes, report.regimes[1:], strict=False):
        assert left.high == right.low  # the spans tile the axis
    good = report.regimes[1]
    assert 1e-5 < good.low < 1e-3 < good.high
    assert 1e-2 < report.suggestion.lowest_loss_rate < 1e-1  # the curve is lowest near 3e-2 (plus the climb)
    suggestion = report.suggestion.learning_rate
    assert good.low <= suggestion <= good.high and suggestion <= report.suggestion.lowest_loss_rate / 10
    assert report.regimes[3].low < 3.0  # blowing up before the NaN
    assert report.lines()[0] == report.suggestion.source and "suggested learning rate" in report.lines()[0]


def test_the_steepest_descent_is_suggested_when_it_lies_well_below_the_lowest_point() -> None:
    report = analyze_lr_range(RATES, curve(fall_at=1e-5, lowest_at=1e-1))
    assert report.suggestion.steepest == report.suggestion.learning_rate
    assert 3e-6 < report.suggestion.steepest < 3e-5  # where the loss falls fastest: around 1e-5
    assert "steepest descent" in report.suggestion.source and "safe value" in report.suggestion.source


def test_the_safe_value_is_suggested_when_the_steep_part_is_near_the_lowest_point() -> None:
    report = analyze_lr_range(RATES, curve(fall_at=1e-2, lowest_at=2e-2))
    s = report.suggestion
    assert s.learning_rate == s.safe == pytest.approx(s.lowest_loss_rate / 10) and s.steepest > s.safe
    assert "the safe value" in s.source and "too near the edge" in s.source


def test_the_curve_ends_at_its_first_non_finite_loss() -> None:
    losses = curve(nan_from=None)
    nan_at = 240
    losses[nan_at:] = [float("inf")] + [float("nan")] * (len(losses) - nan_at - 1)
    report = analyze_lr_range(RATES, losses)
    assert len(report.smoothed) == nan_at
    assert report.regimes[-1].regime == "diverging"


def test_a_loss_that_blows_up_at_once_is_too_little_to_read() -> None:
    losses = [2.3] * 5 + [float("nan")] * 295
    report = analyze_lr_range(RATES, losses)
    assert report.suggestion is None and "only 5 batches before the loss stopped being a number" in report.problem


def test_a_flat_curve_has_no_suggestion_and_says_why() -> None:
    report = analyze_lr_range(RATES, curve(fall_at=1e3, lowest_at=1e3, nan_from=None))
    assert report.suggestion is None and "never fell" in report.problem
    assert [s.regime for s in report.regimes] == ["too_small"]


@pytest.mark.parametrize(
    ("rates", "losses", "message"),
    [
        ([1e-3, 1e-2], [1.0], "2 learning rates but 1 losses"),
        ([1e-2, 1e-3], [1.0, 1.0], "must rise"),
        ([0.0, 1e-3], [1.0, 1.0], "positive"),
    ],
)
def test_bad_curves_are_refused(rates: list[float], losses: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyze_lr_range(rates, losses)


def test_the_centered_average_has_no_lag() -> None:
    bump = [0.0] * 50 + [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0, 1.0] + [0.0] * 50
    smoothed = centered_average(bump, half_window=0.03)
    assert max(range(len(smoothed)), key=smoothed.__getitem__) == 54  # the bump's top, not later


def test_the_chart_marks_regimes_and_reads_without_colour() -> None:
    report = analyze_lr_range(RATES, curve())
    text = render_text(report, width=80, height=20, color=False)
    assert "\x1b" not in text
    for words in ("too small", "good", "too large but converging", "divergent", "learning rate (log scale)"):
        assert words in text
    assert "1e-7" in text and f"suggested learning rate {report.suggestion.learning_rate:.3g}" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\x1b[" in render_text(report, color=True)


def test_settings_rise_exponentially_and_are_checked(tmp_path: Path) -> None:
    settings = LrFindSettings(min_lr=1e-6, max_lr=1.0, steps=101)
    assert settings.rate_at(0) == pytest.approx(1e-6) and settings.rate_at(100) == pytest.approx(1.0)
    assert settings.rate_at(50) == pytest.approx(1e-3)
    with pytest.raises(ValidationError, match="must be above"):
        LrFindSettings(min_lr=1.0, max_lr=0.5)
    write_settings(tmp_path, settings)
    assert read_settings(tmp_path) == settings
    (tmp_path / "lr_find.json").write_text("{broken")
    with pytest.raises(ValueError, match="is not valid"):
        read_settings(tmp_path)
    with pytest.raises(ValueError, match="not a learning-rate range test"):
        read_settings(tmp_path / "elsewhere")


def test_a_curve_is_read_from_the_event_log_with_a_torn_tail(tmp_path: Path) -> None:
    with EventWriter(RunPaths(tmp_path).events) as writer:
        for step in range(1, 4):
            writer.write(LrStep(step=step, learning_rate=10.0**-step, loss=2.0 / step, smoothed_loss=2.0))
        writer.write(RunFinished(status="finished", reason="done", epochs_done=0))
    with open(RunPaths(tmp_path).events, "a") as fh:
        fh.write('{"type":"lr_step","step":4,"learn')
    curve_read = read_curve(tmp_path)
    assert curve_read.steps == 3 and curve_read.losses == [2.0, 1.0, 2.0 / 3]
    assert curve_read.learning_rates == [0.1, 0.01, 0.001] and isinstance(curve_read.final, RunFinished)


def test_runs_show_of_a_range_test_prints_its_chart_and_suggestion(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tuitrain import presets
    from tuitrain.cli import app

    run_dir = tmp_path / "20260101-000000-digits-mlp-lr-find"
    run_dir.mkdir()
    (run_dir / "experiment.toml").write_text(presets.to_toml(presets.load("digits-mlp").experiment))
    write_settings(run_dir, LrFindSettings())
    losses = curve()
    with EventWriter(RunPaths(run_dir).events) as writer:
        for step, (rate, loss) in enumerate(zip(RATES, losses, strict=True), start=1):
            writer.write(LrStep(step=step, learning_rate=rate, loss=loss, smoothed_loss=loss))
        writer.write(RunFinished(status="finished", reason="range test", epochs_done=0))
    result = CliRunner().invoke(app, ["runs", "show", run_dir.name, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    suggestion = analyze_lr_range(RATES, losses).suggestion
    assert "learning-rate range test, finished" in result.output
    assert "learning rate (log scale)" in result.output and suggestion.source in " ".join(result.output.split())


def test_a_test_with_no_batches_charts_as_text_without_breaking() -> None:
    """A range test that failed before its first batch: a log axis over no data broke plotext's drawing."""
    text = render_text(analyze_lr_range([], []), width=60, height=12, color=False)
    assert "no batches recorded yet" in text
