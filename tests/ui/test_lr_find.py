"""Finding a learning rate from the setup screen: the test starts through the run source, its screen
follows and charts it, and one key puts the suggestion into the optimizer's form."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from lrcurves import RATES, curve
from runfiles import FakeSource, wait_until

from tuitrain import presets
from tuitrain.analysis.lr_finder import MIN_POINTS, analyze_lr_range
from tuitrain.run_source import LocalRunsSource
from tuitrain.runs import RunPaths
from tuitrain.runs.events import LrStep, RunFailed, RunFinished
from tuitrain.runs.lr_find import is_lr_find, read_curve
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.lr_find import LrFindScreen
from tuitrain.workspace import read_for_editing


def _script_test(
    source: FakeSource, run_dir: Path, losses: list[float], *, finish: bool = True, first: int = 0
) -> None:
    """Hand the screen the test's batches ``first`` .. ``len(losses)`` (and its end, with ``finish``)."""
    events: list[object] = [
        LrStep(step=i, learning_rate=rate, loss=loss, smoothed_loss=loss)
        for i, (rate, loss) in enumerate(zip(RATES, losses, strict=False), start=1)
        if i > first and not math.isnan(loss)
    ]
    if finish:
        events.append(RunFinished(status="finished", reason="range test of 300 batches", epochs_done=0))
    source.events(run_dir).add(events)


async def test_ctrl_g_finds_a_rate_and_a_applies_it_to_the_optimizer(make_app, source: FakeSource) -> None:
    app = make_app("digits-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        setup = app.setup
        assert setup.experiment.optimizer.learning_rate == 0.003
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFindScreen))
        screen = app.screen
        (tested, _preset_dir) = source.lr_finds[0]
        assert tested == setup.experiment and screen.run_dir == source.runs_root / "lr-find-1"

        await pilot.press("a")  # nothing to apply yet
        assert app.screen is screen

        losses = curve()
        _script_test(source, screen.run_dir, losses[:150], finish=False)
        await wait_until(pilot, lambda: len(screen.rates) == 150 and screen.chart.report is not None)
        # Part of the curve: charted, but no suggestion drawn or offered until the test ends.
        assert screen.chart.report.suggestion is None and screen.check_action("apply", ()) is None
        _script_test(source, screen.run_dir, losses, first=150)
        await wait_until(pilot, lambda: screen.ended and screen.report is not None)
        finite = [v for v in losses if not math.isnan(v)]
        expected = analyze_lr_range(RATES[: len(finite)], finite).suggestion
        assert screen.report.suggestion == expected
        text = str(screen.query_one("#lr-find-report").content)
        assert expected.source in text and "too small" in text and "divergent" in text
        assert screen.chart.replot_count >= 1 and screen.chart.report.suggestion == expected
        # At 80x24 the report scrolls below a chart that keeps its height.
        assert screen.chart.size.height >= 10 and screen.query_one("#lr-find-progress").size.height == 1

        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen is setup)
        # As shown: three significant digits.
        assert setup.experiment.optimizer.learning_rate == float(f"{expected.learning_rate:.3g}")
        assert setup.dirty and not source.stopped


async def test_a_range_test_looks_for_data_in_the_data_tabs_folder(
    make_app, source: FakeSource, tmp_path: Path
) -> None:
    app = make_app("digits-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        app.setup.data_dir = tmp_path / "data"  # as the Data tab's folder field sets it
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFindScreen))
        assert source.data_dir == tmp_path / "data"


async def test_the_optimizer_tab_has_the_action_and_back_stops_a_running_test(make_app, source: FakeSource) -> None:
    app = make_app("digits-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        setup = app.setup
        setup.form.show_section("optimizer")
        await pilot.pause()
        await pilot.click("#find-lr-button")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFindScreen))
        screen = app.screen
        _script_test(source, screen.run_dir, curve()[:120], finish=False)
        await wait_until(pilot, lambda: len(screen.rates) == 120)
        assert "batch 120/300" in str(screen.query_one("#lr-find-progress").content)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is setup)
        assert source.stopped == [screen.run_dir]
        assert setup.experiment.optimizer.learning_rate == 0.003 and not setup.dirty


async def test_a_failed_tests_words_from_its_file_reach_the_screen_without_control_characters(
    make_app, source: FakeSource
) -> None:
    app = make_app("digits-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFindScreen))
        screen = app.screen
        source.events(screen.run_dir).add([RunFailed(status="failed", error="no data\x1b[2J\x1b]0;pwned\x07 here")])
        await wait_until(pilot, lambda: screen.ended)
        shown = str(screen.query_one("#lr-find-progress").content)
        assert "no data" in shown and "here" in shown and "\x1b" not in shown and "\x07" not in shown
        assert screen.check_action("apply", ()) is None  # nothing to apply


async def test_an_experiment_with_errors_starts_no_test(make_app, source: FakeSource) -> None:
    app = make_app("digits-mlp")
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        # Binary crossentropy on digits' 10 classes: an error.
        setup.form.load_model(setup.experiment.model_copy(update={"loss": "binary_crossentropy"}))
        setup.revalidate()
        assert not setup.validation.ok
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert not source.lr_finds and app.screen is setup


@pytest.mark.slow
async def test_a_real_range_test_runs_in_a_trainer_and_its_suggestion_goes_into_the_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard's own run source and launcher: a trainer process runs the test on digits."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUITRAIN_OFFLINE", "1")
    path = presets.find("digits-mlp")
    source = LocalRunsSource(tmp_path / "runs", pace=(0.1, 1.0))
    app = TuitrainApp(
        source=source, initial=read_for_editing(path), preset_name=path.stem, preset_path=path, preset_source="builtin"
    )
    async with app.run_test(size=(80, 24)) as pilot:
        setup = app.setup
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFindScreen))
        screen = app.screen
        deadline = time.monotonic() + 240
        while not screen.ended and time.monotonic() < deadline:
            await pilot.pause(0.2)
        await pilot.pause()
        log = RunPaths(screen.run_dir).trainer_log
        assert screen.ended and screen.outcome.startswith("finished"), (screen.outcome, log.read_text()[-2000:])
        assert is_lr_find(screen.run_dir) and screen.run_dir.parent == tmp_path / "runs"
        assert read_curve(screen.run_dir).steps == len(screen.rates) >= MIN_POINTS
        assert not list(screen.run_dir.glob("*.keras"))  # a range test keeps no model
        suggestion = screen.report.suggestion
        assert suggestion is not None and 1e-5 < suggestion.learning_rate < 1.0
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen is setup)
        assert setup.experiment.optimizer.learning_rate == float(f"{suggestion.learning_rate:.3g}")
