"""Pilot tests of the setup screen as a daily tool (issue 14): data files found before starting,
paths completed, focus visible, text that fits at 80 columns, the first visit of every tab."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import ColorSystem
from runfiles import wait_for_screen, wait_until
from textual.widgets import Button, Input

from tuitrain.ui.screens.dialogs import PromptDialog
from tuitrain.ui.screens.setup import SetupScreen
from tuitrain.ui.widgets.fields import FormPart
from tuitrain.ui.widgets.summary import IssueList


async def part(setup: SetupScreen, path: str) -> FormPart:
    """The form part that owns ``path``, brought on screen."""
    found = await setup.form.reveal(path)
    assert found is not None
    return found


@pytest.fixture
def no_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine without any data set file: an empty home, no $TUITRAIN_DATA or $KERAS_HOME."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("TUITRAIN_DATA", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    return home


async def test_a_missing_data_file_is_an_error_on_the_data_tab_and_the_folder_can_be_set_there(
    make_app, source, no_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUITRAIN_OFFLINE", "1")
    app = make_app("mnist-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        setup = app.setup
        (error,) = setup.validation.errors
        assert error.path == "dataset"
        assert error.message.startswith("mnist.npz not found in ~/.keras/datasets and downloading is off")
        assert "set the data folder below" in error.message
        assert [i.path for i in app.query_one(IssueList).issues] == ["dataset"]
        assert setup.query_one("#start-button", Button).disabled
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert source.started == []  # nothing started, so no run folder to fail in

        folder = tmp_path / "my-data"
        folder.mkdir()
        (folder / "mnist.npz").write_bytes(b"")
        field = setup.form.query_one("#data-folder", Input)  # on the Data tab, the first one shown
        field.focus()
        field.value = str(folder)
        await wait_until(pilot, lambda: setup.validation.ok)  # the edit is a message, handled in turn
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(source.started) == 1)
        assert source.data_dir == folder


async def test_a_file_that_will_be_downloaded_is_a_warning(make_app, no_data: Path, monkeypatch) -> None:
    monkeypatch.delenv("TUITRAIN_OFFLINE", raising=False)
    app = make_app("mnist-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        validation = app.setup.validation
        assert validation.ok
        (warning,) = [w for w in validation.warnings if w.path == "dataset"]
        assert "the run will download it into ~/.keras/datasets" in warning.message


async def test_the_data_folder_given_on_the_command_line_is_where_it_looks_first(
    make_app, source, no_data: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("TUITRAIN_OFFLINE", "1")
    folder = tmp_path / "given"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"")
    source.data_dir = folder
    app = make_app("mnist-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.setup.validation.ok
        assert app.setup.form.query_one("#data-folder", Input).value == str(folder)


async def test_ctrl_o_completes_paths_with_tab(make_app, tmp_path: Path) -> None:
    folder = tmp_path / "presets-here"
    folder.mkdir()
    (folder / "my-long-preset-name.toml").write_text('name = "x"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for_screen(pilot, PromptDialog)
        field = app.screen.query_one("#prompt-input", Input)
        field.value = str(tmp_path / "pres")
        field.cursor_position = len(field.value)
        await pilot.pause()
        await wait_until(pilot, lambda: field._suggestion)  # the suggestion is worked out in a worker
        await pilot.press("tab")
        assert field.value == f"{folder}/"
        await pilot.press("m")
        await wait_until(pilot, lambda: field._suggestion)
        await pilot.press("tab")
        assert field.value == str(folder / "my-long-preset-name.toml")
        assert field.has_focus  # Tab completed; it did not move on


async def test_start_option_starts_at_once(make_app, source) -> None:
    app = make_app(start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(source.started) == 1)


async def test_start_option_with_errors_starts_nothing(make_app, source, no_data: Path, monkeypatch) -> None:
    monkeypatch.setenv("TUITRAIN_OFFLINE", "1")
    app = make_app("mnist-mlp", start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert source.started == []
        assert app.screen is app.setup


@pytest.mark.parametrize("colours", ["256", "16", "no-color"])
async def test_focused_drop_downs_and_checkboxes_are_reversed_at_every_colour_depth(
    make_app, colours: str, monkeypatch
) -> None:
    from textual.widgets import Checkbox, Select
    from textual.widgets._select import SelectCurrent

    if colours == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        if colours != "no-color":
            app.console._color_system = {"256": ColorSystem.EIGHT_BIT, "16": ColorSystem.STANDARD}[colours]
        await pilot.pause()  # the screen's first focus is set after a refresh
        setup = app.setup
        picker = (await part(setup, "dataset")).query_one(Select)
        current = picker.query_one(SelectCurrent)
        assert not current.styles.text_style.reverse
        picker.focus()
        await pilot.pause()
        assert picker.has_focus, app.focused
        assert current.styles.text_style.reverse and current.styles.text_style.bold, current.styles.text_style
        setup.form.show_section("stopping")
        await pilot.pause()
        box = (await part(setup, "early_stopping")).query(Checkbox).first()
        label = box.get_component_rich_style("toggle--label")
        assert not label.reverse
        box.focus()
        await pilot.pause()
        assert box.get_component_rich_style("toggle--label").reverse


async def test_at_80_columns_labels_stay_on_one_line_and_f1_shows_the_whole_help(make_app) -> None:
    from textual.widgets import Label

    app = make_app("mnist-sgd-momentum")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        setup = app.setup
        setup.form.show_section("optimizer")
        mounting = setup.form.ensure_section("optimizer")
        if mounting is not None:
            await mounting
        await pilot.pause()
        labels = [w for w in setup.form.query(Label).results() if w.has_class("field-label") and w.region.width]
        assert any(str(w.content) == "initial_learning_rate" for w in labels)
        assert all(w.region.height == 1 for w in labels), [(str(w.content), w.region) for w in labels]
        field = await part(setup, "optimizer.momentum")
        field.focus_editor()
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [field.help_text]


# ---------------------------------------------------------------------- start-up (issue 14, item 13)


def record_frames(app) -> list[tuple[str, int]]:
    """Watch the frames the app draws: for each, the active tab's pane id and how many widgets it shows.

    ``App._display`` is where Textual writes every frame (headless too; nothing while repaints are held).
    """
    frames: list[tuple[str, int]] = []
    display = app._display

    def recording(screen, renderable) -> None:
        if renderable is not None and not app._batch_count and screen is app.setup:
            tabs = screen.form.query_one("#sections")
            pane = tabs.get_pane(tabs.active)
            frames.append((tabs.active, sum(1 for w in pane.query("*") if w.region.height > 0)))
        display(screen, renderable)

    app._display = recording
    return frames


async def test_the_first_frame_mounts_only_the_visible_tab_and_a_first_visit_shows_its_fields(make_app) -> None:
    from tuitrain.ui.widgets.layers import LayerList

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.setup.form
        assert form.mounted_sections == {"data"}
        assert [p.path for p in form._roots] == ["name", "description", "dataset"]  # the others not even built
        await pilot.pause()
        frames = record_frames(app)
        await pilot.press("ctrl+n")  # the Layers tab, first visit
        await wait_until(pilot, lambda: frames and frames[-1][0] == "section-layers")
        layer_list = form.query_one(LayerList)
        assert layer_list.option_count == 2 and layer_list.region.height > 0
        # Every frame drawn with the Layers tab active shows its fields: never the tab without them.
        assert all(shown > 0 for pane, shown in frames if pane == "section-layers"), frames
        assert app.setup.validation.ok


@pytest.mark.parametrize("how", ["tab row", "show_section", "search tab"])
async def test_every_first_visit_shows_its_content_in_the_same_frame_as_the_tab(make_app, how: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.setup.form
        frames = record_frames(app)
        if how == "tab row":  # the keys of the focused tab row
            form.focus_tabs()
            await pilot.press("right", "right")
            target = "section-optimizer"
        elif how == "show_section":
            await form.show_section("stopping")
            target = "section-stopping"
        else:
            await pilot.press("ctrl+b")  # from the first tab back to the last one: Search
            target = "section-search"
        await wait_until(pilot, lambda: frames and frames[-1][0] == target)
        await pilot.pause()
        shown = [(pane, widgets) for pane, widgets in frames if pane != "section-data"]
        assert shown and all(widgets > 0 for _, widgets in shown), frames  # never a tab without its content
        if target == "section-search":
            assert app.setup.search is not None and app.setup.search.region.height > 0


def test_the_form_builds_no_field_before_it_is_shown_and_still_holds_the_whole_experiment() -> None:
    from tuitrain import presets
    from tuitrain.ui.widgets.experiment_form import ExperimentForm
    from tuitrain.workspace import read_for_editing

    experiment = read_for_editing(presets.find("mnist-sgd-momentum"))
    form = ExperimentForm(experiment)
    assert form._roots == []
    assert type(experiment).model_validate(form.to_data()) == experiment


async def test_the_setup_screen_has_its_size_classes_before_its_widgets_are_styled(make_app, monkeypatch) -> None:
    from tuitrain.ui.widgets.experiment_form import ExperimentForm

    seen: list[set[str]] = []
    compose = ExperimentForm.compose

    def spy(self):
        seen.append(set(self.screen.classes))
        return compose(self)

    monkeypatch.setattr(ExperimentForm, "compose", spy)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert {"-narrow", "-short"} <= seen[0]


@pytest.mark.parametrize("size", [(79, 23), (80, 24), (119, 39), (120, 40), (200, 60)])
def test_preset_breakpoints_picks_what_textual_picks(size: tuple[int, int]) -> None:
    from textual.screen import Screen

    from tuitrain.ui.breakpoints import breakpoint_class
    from tuitrain.ui.screens.setup import SetupScreen

    width, height = size
    for value, points in ((width, SetupScreen.HORIZONTAL_BREAKPOINTS), (height, SetupScreen.VERTICAL_BREAKPOINTS)):
        assert {breakpoint_class(value, points)} - {None} == Screen._get_breakpoint_classes(None, value, points)
