"""Pilot tests of the setup screen: editing, live validation, layers, unions, presets, start."""

from __future__ import annotations

from pathlib import Path

import pytest
from runfiles import started_event, wait_for_screen, wait_until
from textual.widgets import Button, Input, Select

from tuitrain import presets
from tuitrain.spec import DenseLayer, DropoutLayer
from tuitrain.spec.optimizer import SGD, ExponentialDecay
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.screens.setup import SetupScreen
from tuitrain.ui.widgets.experiment_form import SECTIONS
from tuitrain.ui.widgets.fields import FormPart, ScalarField
from tuitrain.ui.widgets.forms import ChoiceForm
from tuitrain.ui.widgets.layers import LayerList
from tuitrain.ui.widgets.presets import PresetPanel
from tuitrain.ui.widgets.summary import IssueList
from tuitrain.workspace import read_for_editing


async def part(setup: SetupScreen, path: str) -> FormPart:
    """The form part that shows issues for ``path``, brought on screen (its tab, its layer)."""
    found = await setup.form.reveal(path)
    assert found is not None and found.issue_path == path, (path, found)
    return found


async def editor(setup: SetupScreen, path: str) -> Input:
    """The Input of the scalar field at ``path``."""
    field = await part(setup, path)
    assert isinstance(field, ScalarField)
    widget = field.editor
    assert isinstance(widget, Input)
    return widget


async def picker(setup: SetupScreen, path: str) -> Select:
    """The shape picker of the choice field at ``path``."""
    choice = await part(setup, path)
    assert isinstance(choice, ChoiceForm)
    return choice.query_one(".choice-picker", Select)


async def test_opens_on_the_preset_with_no_issues(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        setup = app.setup
        assert setup.validation.ok
        assert not setup.dirty
        assert setup.experiment == read_for_editing(presets.find("digits-overfit"))
        assert not app.query_one(IssueList).display
        assert not setup.query_one("#start-button", Button).disabled
        assert "Dense 10 softmax (derived)" in setup.form.output_text


@pytest.mark.slow
async def test_error_shows_next_to_the_field_and_in_the_summary_and_blocks_start(make_app, source) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        setup.form.show_section("training")
        await pilot.pause()
        epochs = await editor(setup, "training.epochs")
        epochs.focus()
        epochs.value = ""
        await pilot.press("0")  # typed for real: epochs = 0
        await pilot.pause()

        field = await part(setup, "training.epochs")
        assert field.has_class("-has-issues")
        assert "must be >= 1, got 0" in str(field.query_one(".field-issues").content)
        issues = app.query_one(IssueList)
        assert issues.display
        assert [i.path for i in issues.issues] == ["training.epochs"]
        assert setup.query_one("#start-button", Button).disabled
        assert setup.check_action("start", ()) is None  # shown disabled in the footer

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert source.started == []

        epochs.value = "5"
        await pilot.pause()
        assert not field.has_class("-has-issues")
        assert setup.validation.ok and setup.experiment is not None
        assert setup.experiment.training.epochs == 5
        assert not setup.query_one("#start-button", Button).disabled


async def test_cross_field_error_and_derived_output_update(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        loss = await part(setup, "loss")
        assert isinstance(loss, ScalarField)
        loss.editor.value = "binary_crossentropy"  # 10-class digits: an error on the loss field
        await pilot.pause()
        assert any("needs two classes" in i.message for i in setup.validation.errors)
        assert loss.has_class("-has-issues")

        loss.editor.value = "mse"
        await pilot.pause()
        assert setup.validation.ok
        assert any(w.path == "loss" for w in setup.validation.warnings)  # mse on classes: a warning

        units = await editor(setup, "model.output.units")
        units.value = "3"
        await pilot.pause()
        assert "Dense 3 softmax" in setup.form.output_text
        assert "(derived)" not in setup.form.output_text


async def test_parameter_count_follows_the_layers(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        assert setup.validation.check is not None and setup.validation.check.params is not None
        before = setup.validation.check.params.total
        (await editor(setup, "model.layers[0].units")).value = "10"
        await pilot.pause()
        after = setup.validation.check.params.total
        # 64 inputs -> 10 -> 512 -> 10 instead of 64 -> 512 -> 512 -> 10.
        assert after == (64 * 10 + 10) + (10 * 512 + 512) + (512 * 10 + 10) != before
        assert f"{after:,} parameters" in setup.form.output_text


@pytest.mark.slow
async def test_layer_stack_add_duplicate_move_remove(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        setup.form.show_section("layers")
        await pilot.pause()
        layer_list = setup.query_one(LayerList)
        layer_list.focus()
        await pilot.pause()

        def layers() -> list:
            assert setup.experiment is not None
            return list(setup.experiment.model.layers)

        await pilot.press("a")  # a default Dense layer after the first
        await pilot.pause()
        assert [type(x) for x in layers()] == [DenseLayer] * 3
        assert layers()[1] == DenseLayer()
        assert setup.form.layer_stack.index == 1

        # Make the new layer a dropout layer through its kind picker.
        (await picker(setup, "model.layers[1]")).value = "dropout"
        await pilot.pause()
        assert layers()[1] == DropoutLayer()
        (await editor(setup, "model.layers[1].rate")).value = "0.25"
        await pilot.pause()
        assert layers()[1] == DropoutLayer(rate=0.25)
        assert "Dropout 0.25" in str(layer_list.get_option_at_index(1).prompt)

        layer_list.focus()
        await pilot.press("d")  # duplicate the dropout layer
        await pilot.pause()
        assert [type(x) for x in layers()] == [DenseLayer, DropoutLayer, DropoutLayer, DenseLayer]

        await pilot.press("ctrl+up")  # move the copy up
        await pilot.press("ctrl+up")
        await pilot.pause()
        assert [type(x) for x in layers()] == [DropoutLayer, DenseLayer, DropoutLayer, DenseLayer]
        assert setup.form.layer_stack.index == 0
        await pilot.press("right_square_bracket")  # and down again with ]
        await pilot.pause()
        assert [type(x) for x in layers()] == [DenseLayer, DropoutLayer, DropoutLayer, DenseLayer]

        await pilot.press("x")
        await pilot.press("delete")
        await pilot.pause()
        assert layers() == [DenseLayer(units=512), DenseLayer(units=512)]
        assert setup.validation.ok
        assert not setup.dirty  # back where it started


async def test_layer_error_marks_the_layer_and_jumps_to_the_field(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = app.setup
        setup.form.show_section("layers")
        await pilot.pause()
        (await editor(setup, "model.layers[0].units")).value = "0"
        await pilot.pause()
        setup.form.layer_stack.select_layer(1)
        await pilot.pause()
        stack = setup.form.layer_stack
        # Layer 1 is not being edited: the stack shows its error, naming the layer.
        assert "layer 1 units: must be >= 1" in str(stack.query_one(".field-issues").content)
        assert "✗" in str(stack.layer_list.get_option_at_index(0).prompt)

        await pilot.press("ctrl+l")  # the issue list
        await pilot.press("enter")  # jump to the field
        await pilot.pause()
        await pilot.pause()
        assert stack.index == 0
        assert app.focused is (await editor(setup, "model.layers[0].units"))
        assert (await part(setup, "model.layers[0].units")).has_class("-has-issues")


async def test_switching_optimizer_keeps_the_learning_rate_and_schedules_switch(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        setup.form.show_section("optimizer")
        await pilot.pause()
        (await picker(setup, "optimizer")).value = "sgd"
        await pilot.pause()
        assert setup.experiment is not None
        assert setup.experiment.optimizer == SGD(learning_rate=0.003)
        (await editor(setup, "optimizer.momentum")).value = "0.9"
        await pilot.pause()
        assert setup.experiment.optimizer == SGD(learning_rate=0.003, momentum=0.9)

        (await picker(setup, "optimizer.learning_rate")).value = "exponential_decay"
        # The schedule's fields are mounted in place of the rate's: that takes more than one pause on a busy machine.
        await wait_until(pilot, lambda: isinstance(setup.experiment.optimizer.learning_rate, ExponentialDecay))
        assert setup.experiment.optimizer.learning_rate == ExponentialDecay(initial_learning_rate=0.003)
        (await editor(setup, "optimizer.learning_rate.decay_steps")).value = "0"
        await pilot.pause()
        assert [i.path for i in setup.validation.errors] == ["optimizer.learning_rate.decay_steps"]
        assert (await part(setup, "optimizer.learning_rate.decay_steps")).has_class("-has-issues")
        (await editor(setup, "optimizer.learning_rate.decay_steps")).value = "50"
        await pilot.pause()
        assert setup.experiment.optimizer.learning_rate == ExponentialDecay(initial_learning_rate=0.003, decay_steps=50)

        # Back to a constant: it starts from the schedule's initial rate.
        (await picker(setup, "optimizer.learning_rate")).value = "constant"
        await wait_until(pilot, lambda: setup.experiment.optimizer.learning_rate == 0.003)
        constant = (await part(setup, "optimizer.learning_rate")).query_one(Input)
        constant.value = "-1"
        await pilot.pause()
        assert (await part(setup, "optimizer.learning_rate")).has_class("-has-issues")
        assert "learning rate must be > 0" in setup.validation.errors[0].message


async def test_regularizer_and_initializer_choices(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        setup.form.show_section("init")
        await pilot.pause()
        (await picker(setup, "model.kernel_regularizer")).value = "l2"
        await pilot.pause()
        assert setup.experiment is not None
        assert setup.experiment.model.kernel_regularizer is not None
        assert setup.experiment.model.kernel_regularizer.kind == "l2"
        (await picker(setup, "model.kernel_initializer")).value = "random_normal"
        await pilot.pause()
        # random_normal takes a stddev: its field appears; he_normal's didn't have one.
        (await editor(setup, "model.kernel_initializer.stddev")).value = "0.02"
        await pilot.pause()
        assert setup.experiment.model.kernel_initializer.name == "random_normal"
        assert setup.experiment.model.kernel_initializer.stddev == 0.02
        (await picker(setup, "model.kernel_regularizer")).value = "(none)"
        await pilot.pause()
        assert setup.experiment.model.kernel_regularizer is None


async def test_dataset_switch_to_npz_needs_a_path(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        (await picker(setup, "dataset")).value = "imdb"
        await pilot.pause()
        assert setup.experiment is not None and setup.experiment.dataset.name == "imdb"
        assert setup.experiment.dataset.train_subset == 200  # kept across the switch
        (await picker(setup, "dataset")).value = "npz"
        await pilot.pause()
        assert not setup.validation.ok
        assert any(i.path == "dataset.path" for i in setup.validation.errors)
        assert (await part(setup, "dataset.path")).has_class("-has-issues")


async def test_save_then_load_gives_the_same_experiment(make_app, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        (await editor(setup, "training.epochs")).value = "7"
        (await editor(setup, "model.layers[0].units")).value = "33"
        await pilot.pause()
        assert setup.dirty
        edited = setup.experiment
        assert edited is not None

        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        box = dialog.query_one(Input)
        assert box.value == "my-digits-overfit"
        box.value = "small-digits"
        await pilot.press("enter")
        await pilot.pause()
        saved = presets.user_dir() / "small-digits.toml"
        assert saved.is_file()
        assert not setup.dirty
        assert setup.preset_name == "small-digits" and setup.preset_source == "user"
        assert "small-digits" in [p.name for p in setup.query_one(PresetPanel).shown]

        # Load another preset (no question: nothing unsaved), then the saved one again.
        setup.choose_preset(next(p for p in presets.list_presets() if p.name == "digits-mlp"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert setup.preset_name == "digits-mlp"
        setup.choose_preset(next(p for p in presets.list_presets() if p.name == "small-digits"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert setup.experiment == edited.model_copy(update={"name": "small-digits"})
        assert setup.experiment == read_for_editing(saved)
        assert not setup.dirty


async def test_save_refuses_builtin_names_and_asks_before_overwriting(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        dialog.query_one(Input).value = "digits-mlp"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # still open
        assert "built-in preset" in dialog.error
        dialog.query_one(Input).value = "bad name!"
        await pilot.press("enter")
        await pilot.pause()
        assert "invalid preset name" in dialog.error
        dialog.query_one(Input).value = "mine"
        await pilot.press("enter")
        await pilot.pause()
        assert (presets.user_dir() / "mine.toml").is_file()

        (await editor(setup, "training.epochs")).value = "3"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.query_one(Input).value == "mine"  # a user preset suggests its own name
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")  # don't overwrite
        await pilot.pause()
        assert read_for_editing(presets.user_dir() / "mine.toml").training.epochs == 40
        assert setup.dirty

        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # overwrite
        await pilot.pause()
        assert read_for_editing(presets.user_dir() / "mine.toml").training.epochs == 3
        assert not setup.dirty


async def test_save_is_refused_while_there_are_errors(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        (await editor(app.setup, "training.epochs")).value = "0"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert not presets.user_dir().exists() or not any(presets.user_dir().iterdir())


async def test_unsaved_changes_are_never_dropped_silently(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        (await editor(setup, "training.epochs")).value = "9"
        await pilot.pause()
        mlp = next(p for p in presets.list_presets() if p.name == "digits-mlp")

        setup.choose_preset(mlp)
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")  # keep editing
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert setup.preset_name == "digits-overfit"
        assert setup.experiment is not None and setup.experiment.training.epochs == 9

        setup.choose_preset(mlp)
        await pilot.pause()
        await pilot.press("y")  # discard
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert setup.preset_name == "digits-mlp"
        assert setup.experiment == read_for_editing(mlp.path)
        assert not setup.dirty


async def test_quitting_with_unsaved_edits_asks(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        (await editor(app.setup, "training.epochs")).value = "9"
        await wait_until(pilot, lambda: app.setup.dirty)
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("escape")  # no
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SetupScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_quit_without_edits_does_not_ask(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)


async def test_preset_list_filters_and_loads_with_enter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        setup = app.setup
        panel = setup.query_one(PresetPanel)
        await pilot.pause()
        await pilot.press("ctrl+f")
        assert app.focused is panel.query_one("#preset-filter")
        await pilot.press(*"imdb reg")
        await pilot.pause()
        assert [p.name for p in panel.shown] == ["imdb-regularized"]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert setup.preset_name == "imdb-regularized"
        assert setup.experiment is not None and setup.experiment.dataset.name == "imdb"


async def test_open_file_loads_a_preset_and_reports_a_broken_one(make_app, tmp_path: Path) -> None:
    good = tmp_path / "mine.toml"
    good.write_text(presets.to_toml(read_for_editing(presets.find("digits-mlp")).model_copy(update={"name": "x"})))
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[training]\nepochs = "ten"\n')
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        await pilot.press("ctrl+o")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        dialog.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await pilot.pause()
        assert "training.epochs: must be a whole number" in dialog.error
        dialog.query_one(Input).value = str(good)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert setup.experiment is not None and setup.experiment.name == "x"
        assert setup.preset_path == good.resolve() and setup.preset_source == "file"


async def test_start_starts_the_edited_experiment_and_opens_its_monitor(make_app, source, tmp_path: Path) -> None:
    from tuitrain.ui.screens.monitor import MonitorScreen

    # What the new run's trainer will say first: once the monitor shows it, the monitor is up.
    source.events(tmp_path / "runs" / "run-1").add([started_event(epochs=2)])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        (await editor(setup, "training.epochs")).value = "2"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.run.state == "running")
        assert len(source.started) == 1
        experiment, preset_dir = source.started[0]
        assert experiment == setup.experiment
        assert experiment.training.epochs == 2
        assert preset_dir == tmp_path  # a built-in preset's relative paths are from the working folder
        assert app.active_run == tmp_path / "runs" / "run-1"
        assert app.screen.run_dir == app.active_run and app.screen.source is source

        await pilot.press("escape")  # back to setup (the run goes on), and start another
        await pilot.pause()
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(source.started) == 2)


async def test_a_failing_start_is_a_notice_not_a_crash(make_app, source) -> None:
    source.start_error = RuntimeError("no space left on device")
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert app.active_run is None
        assert any("no space left on device" in n.message for n in app._notifications)


@pytest.mark.slow
async def test_every_builtin_preset_round_trips_through_the_form(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.setup
        for section in SECTIONS:  # mount every section: loading into live widgets is the harder path
            setup.form.show_section(section.id)
            await pilot.pause()
        for info in presets.list_presets():
            experiment = read_for_editing(info.path)
            setup.load_experiment(experiment, info.name, info.path, info.source)
            await pilot.pause()
            assert setup.experiment == experiment, info.name
            assert not setup.dirty, info.name
