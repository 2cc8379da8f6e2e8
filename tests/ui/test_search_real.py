"""A real short search driven from the form: digits, 2 epochs per trial, 4 trials, 2 at once.

The Search tab builds the sweep, Ctrl+R starts its controller through the one run source, the sweep
screen follows the real trials (ordinary runs) to the end and ranks them. Tens of seconds on two cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runfiles import wait_until

from tuitrain import presets
from tuitrain.run_source import LocalRunsSource
from tuitrain.spec import Experiment
from tuitrain.sweep.status import load_sweep
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.workspace import read_for_editing

pytestmark = pytest.mark.slow

LR = "optimizer.learning_rate"
SMALL = {"train_subset": 200, "val_subset": 100}


def small_digits() -> Experiment:
    """digits-mlp made tiny: 200 training digits, 2 epochs."""
    exp = read_for_editing(presets.find("digits-mlp"))
    dataset = exp.dataset.model_copy(update=SMALL)
    training = exp.training.model_copy(update={"epochs": 2, "batch_size": 50})
    return exp.model_copy(update={"dataset": dataset, "training": training})


async def test_a_search_started_from_the_form_races_four_real_trials_two_at_once(tmp_path: Path) -> None:
    source = LocalRunsSource(tmp_path / "runs")
    app = TuitrainApp(source=source, initial=small_digits(), preset_name="digits-mlp", preset_source="builtin")
    async with app.run_test(size=(120, 40)) as pilot:
        app.setup.form.show_section("search")
        await wait_until(pilot, lambda: app.setup.search is not None and app.setup.search.is_mounted)
        search = app.setup.search
        search.table.focus()
        search.table.move_cursor(row=search.table.get_row_index(LR))
        await pilot.pause()
        await pilot.press("space")
        by_path = {part.path: part for part in search.query("ScalarField")}
        by_path["sweep.trials"].editor.value = "4"
        by_path["sweep.parallel"].editor.value = "2"
        await pilot.pause()
        assert search.ok and "4 trials, 2 at once" in str(search.query_one("#search-summary").content)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, SweepScreen), tries=240, step=0.25)
        screen = app.screen
        sweep_dir = screen.sweep_dir
        assert sweep_dir.parent == tmp_path / "runs" / "sweeps"
        # Two at once: at some point both slots train; then all four end and are ranked on the screen.
        both = []

        def watch() -> bool:
            record = screen.record
            if record is not None:
                both.append(sum(t.active for t in record.trials))
            return record is not None and record.state == "finished"

        await wait_until(pilot, watch, tries=800, step=0.5)
        await wait_until(pilot, lambda: screen.table.row_count == 4, tries=120, step=0.25)
    record = load_sweep(sweep_dir)
    assert [t.state for t in record.trials] == ["finished"] * 4 and max(both) == 2
    assert all(t.epochs_done == 2 and t.objective is not None for t in record.trials)
    assert len({t.slot for t in record.trials}) == 2 and record.best is not None
    assert {t.params[LR] for t in record.trials} and all(1e-4 <= t.params[LR] <= 1.0 for t in record.trials)
