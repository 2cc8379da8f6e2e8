"""The setup screen's Search tab: mark fields, set ranges with live checks, see the draws, start and save a search."""

from __future__ import annotations

from pathlib import Path

from runfiles import FakeSource, wait_until
from textual.widgets import Input, Select, SelectionList

from tuitrain import presets
from tuitrain.sweep.spec import read_sweep_file, user_sweep_dir
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.ui.widgets.search import SearchForm
from tuitrain.workspace import read_for_editing

LR = "optimizer.learning_rate"


def app_on(preset: str = "digits-overfit", source: FakeSource | None = None) -> TuitrainApp:
    path = presets.find(preset)
    return TuitrainApp(
        source=source or FakeSource(), initial=read_for_editing(path), preset_name=preset, preset_source="builtin"
    )


async def open_search(pilot) -> SearchForm:
    app = pilot.app
    assert app.setup.search is None  # not built before the tab is shown: the first frame does without it
    app.setup.form.show_section("search")
    await wait_until(pilot, lambda: app.setup.search is not None and app.setup.search.is_mounted)
    await pilot.pause()
    return app.setup.search


async def highlight(pilot, search: SearchForm, path: str) -> None:
    search.table.focus()
    search.table.move_cursor(row=search.table.get_row_index(path))
    await pilot.pause()
    assert search.current == path


def text_of(search: SearchForm, selector: str) -> str:
    return str(search.query_one(selector).content)


async def test_space_marks_a_field_with_its_usual_range_and_shows_where_draws_land() -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        assert "Nothing searched yet" in text_of(search, "#search-summary")
        assert app.setup.check_action("start", ()) is True and app.setup.check_action("start_search", ()) is False
        await highlight(pilot, search, LR)
        await pilot.press("space")
        await pilot.pause()
        assert search.draft.space == {LR: {"dist": "log_uniform", "low": 1e-4, "high": 1.0}}
        row = [str(c) for c in search.table.get_row(LR)]
        assert row == ["✓", "optimizer.learning_rate", "0.003", "log_uniform 0.0001..1"]
        assert "Searching 1: optimizer.learning_rate · 20 trials, auto at once · ✓ ready" in text_of(
            search, "#search-summary"
        )
        histogram = text_of(search, "#search-histogram")
        assert histogram.startswith("20 draws (seed 0), on a log axis:") and "0.1..1" in histogram
        # Ctrl+R now starts the search: the footer says so.
        assert app.setup.check_action("start", ()) is False and app.setup.check_action("start_search", ()) is True
        await pilot.press("space")  # unmarks it
        await pilot.pause()
        assert search.draft.empty and str(search.table.get_row(LR)[0]) == " "


async def test_uniform_draws_of_a_learning_rate_pile_up_in_the_top_decade() -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        await highlight(pilot, search, LR)
        await pilot.press("space")
        search.query_one("#search-dist", Select).value = "uniform"
        await pilot.pause()
        assert search.draft.space[LR] == {"dist": "uniform", "low": 1e-4, "high": 1.0}
        lines = text_of(search, "#search-histogram").splitlines()
        assert lines[0].endswith("on a log axis:")  # still the learning rate's own axis
        assert lines[-1].strip().startswith("0.1..1") and lines[-1].endswith(" 20")


async def test_a_range_outside_the_fields_bounds_is_an_error_under_it_and_blocks_the_start() -> None:
    source = FakeSource()
    app = app_on(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        await highlight(pilot, search, "optimizer.beta_1")
        await pilot.press("space")
        await pilot.pause()
        high = search.query_one("#search-high", Input)
        high.value = "1.5"  # reverse_log refuses it itself
        await pilot.pause()
        assert "reverse_log samples 1 - x" in text_of(search, "#search-issues")
        search.query_one("#search-dist", Select).value = "uniform"
        await pilot.pause()
        assert search.draft.space["optimizer.beta_1"] == {"dist": "uniform", "low": 0.8, "high": 1.5}
        issues = search.query_one("#search-issues")
        # The field's own bound (beta_1 < 1), said at the range.
        assert issues.display and text_of(search, "#search-issues") == "✗ high: must be < 1.0, got 1.5"
        assert str(search.table.get_row("optimizer.beta_1")[0]) == "✗"
        assert "✗ 1 problem" in text_of(search, "#search-summary")
        assert app.setup.check_action("start_search", ()) is None  # shown, greyed out
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert source.sweeps_started == [] and source.started == []
        high.value = "0.999"
        await pilot.pause()
        assert not issues.display and str(search.table.get_row("optimizer.beta_1")[0]) == "✓"


async def test_choices_are_picked_from_the_fields_own_options() -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        path = "model.layers[0].activation"
        await highlight(pilot, search, path)
        await pilot.press("space")
        await pilot.pause()
        assert search.draft.space[path] == {"dist": "choice", "values": ["relu", "sigmoid", "tanh"]}
        picks = search.query_one("#search-options", SelectionList)
        assert picks.display and not search.query_one("#search-range").display
        labels = [str(picks.get_option_at_index(i).prompt) for i in range(picks.option_count)]
        assert labels[:3] == ["relu", "leaky_relu", "elu"] and len(labels) == 11
        picks.deselect(labels.index("tanh"))  # the options' values are their positions
        picks.select(labels.index("elu"))
        await pilot.pause()
        assert search.draft.space[path]["values"] == ["relu", "elu", "sigmoid"]
        assert "elu" in text_of(search, "#search-histogram")


async def test_a_number_drawn_from_a_list_of_values() -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        path = "training.batch_size"
        await highlight(pilot, search, path)
        search.query_one("#search-dist", Select).value = "choice"  # marks it too
        await pilot.pause()
        assert search.draft.space[path]["dist"] == "choice"
        values = search.query_one("#search-values", Input)
        assert values.display and values.value == "16, 91, 512"
        values.value = "16, 32, sixty-four"
        await pilot.pause()
        assert "sixty-four" in text_of(search, "#search-issues")
        values.value = "16, 32, 64"
        await pilot.pause()
        assert search.draft.space[path] == {"dist": "choice", "values": [16, 32, 64]} and search.ok


async def test_settings_are_forms_from_the_sweep_spec_checked_live() -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        await highlight(pilot, search, LR)
        await pilot.press("space")
        trials = search.query_one("#search-scroll").query(Input).filter(".field-editor")
        by_path = {part.path: part for part in search.query("ScalarField")}
        assert {"sweep.name", "sweep.trials", "sweep.parallel", "sweep.sampler", "sweep.seed"} <= set(by_path)
        assert {"sweep.objective.metric", "sweep.pruner.kind"} <= set(by_path)
        assert trials
        by_path["sweep.trials"].editor.value = "0"
        await pilot.pause()
        assert by_path["sweep.trials"].has_class("-has-issues") and not search.ok
        by_path["sweep.trials"].editor.value = "4"
        by_path["sweep.parallel"].editor.value = "2"
        await pilot.pause()
        assert search.draft.settings["trials"] == 4 and search.draft.settings["parallel"] == 2
        assert "4 trials, 2 at once" in text_of(search, "#search-summary") and search.ok
        # The experiment's own issue routing leaves these forms alone.
        assert not by_path["sweep.trials"].has_class("-has-issues")
        assert "sweep.name" not in app.setup.form.issue_targets()


async def test_ctrl_r_starts_the_search_and_opens_its_sweep_screen() -> None:
    source = FakeSource()
    app = app_on(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        await highlight(pilot, search, LR)
        await pilot.press("space")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, SweepScreen))
        ((spec, source_dir),) = source.sweeps_started
        assert list(spec.space) == [LR] and spec.name == "digits-overfit-search" and spec.trials == 20
        assert spec.base == app.setup.experiment.model_dump(mode="json", exclude_none=True)
        assert source_dir == app.setup.base_dir and source.started == []
        assert app.screen.sweep_dir == next(iter(source.sweeps)) and app.active_sweep == app.screen.sweep_dir


async def test_ctrl_r_with_nothing_searched_trains_once_as_before() -> None:
    source = FakeSource()
    app = app_on(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_search(pilot)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: source.started)
        assert source.sweeps_started == []


async def test_ctrl_s_saves_a_sweep_preset_that_runs() -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        await highlight(pilot, search, LR)
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptDialog))
        assert app.screen.query_one(Input).value == "digits-overfit-search"
        await pilot.press("enter")
        target = user_sweep_dir() / "digits-overfit-search.toml"
        await wait_until(pilot, lambda: target.exists())
        spec = read_sweep_file(target)
        assert list(spec.space) == [LR] and isinstance(spec.base, dict)
        # Saving again asks before overwriting.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await pilot.pause()
        assert not presets.user_dir().joinpath("digits-overfit-search.toml").exists()  # an experiment preset: no


async def test_a_searched_field_the_experiment_loses_is_named_on_the_tab(tmp_path: Path) -> None:
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        path = "model.layers[1].units"
        await highlight(pilot, search, path)
        await pilot.press("space")
        await pilot.pause()
        stack = app.setup.form.layer_stack
        await app.setup.form.reveal("model.layers[1]")  # the Layers tab, second layer selected
        stack.apply("remove")
        await wait_until(pilot, lambda: path not in search.fields)
        assert any("not a field of the base experiment" in i.message for i in search.result.issues_for(path))
        assert str(search.table.get_row(path)[0]) == "✗"


async def test_the_table_lists_and_follows_fields_of_tabs_not_built_yet() -> None:
    # The setup screen builds a tab's fields when it is first shown; the Search tab must still list
    # every other tab's fields, and see a change made to one whose tab was never shown.
    app = app_on()
    async with app.run_test(size=(120, 40)) as pilot:
        search = await open_search(pilot)
        form = app.setup.form
        assert {"optimizer", "training"}.isdisjoint(form.mounted_sections)
        assert LR in search.fields and any(p.startswith("training.") for p in search.fields)
        app.setup.apply_learning_rate(0.0123)  # what the range test does, the Optimizer tab unbuilt
        await pilot.pause()
        assert str(search.table.get_row(LR)[2]) == "0.0123"
        await form.ensure_section("optimizer")
        await pilot.pause()
        assert form.to_data()["optimizer"]["learning_rate"] == 0.0123  # the tab built shows the change
        assert app.setup.experiment.optimizer.learning_rate == 0.0123
        assert form.query_one("#find-lr-button") is not None  # the section's button came with its fields
