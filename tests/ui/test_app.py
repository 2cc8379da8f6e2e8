"""Pilot tests of the app shell: command palette, small terminals, the screen seam, import hygiene."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from runfiles import wait_for_screen
from textual.command import CommandPalette
from textual.widgets import Button, Footer, Input, Tabs

from tuitrain.ui.screens.dialogs import PromptDialog
from tuitrain.ui.screens.setup import SetupScreen
from tuitrain.ui.widgets.presets import PresetPanel
from tuitrain.ui.widgets.summary import StatusLine

SETUP_COMMANDS = {"Start", "Save", "Open", "Presets", "Next tab", "Previous tab", "Problems", "Runs", "Quit"}


async def test_command_palette_lists_every_action(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert titles >= SETUP_COMMANDS
        assert {"Go to Data", "Go to Layers", "Go to Stopping"} <= titles

        # Every binding the footer shows is in the palette, with an id for keymaps.
        for active in app.screen.active_bindings.values():
            if active.binding.show and active.binding.description:
                assert active.binding.id, active.binding
                assert active.binding.description in titles


async def test_palette_runs_a_command_and_hides_disabled_start(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await wait_for_screen(pilot, CommandPalette)
        await pilot.press(*"save")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for_screen(pilot, PromptDialog)
        await pilot.press("escape")
        await pilot.pause()

        setup = app.setup
        part = await setup.form.reveal("training.epochs")
        assert part is not None
        part.query_one(Input).value = "0"
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Start" not in titles  # disabled while there are errors


async def test_usable_at_80x24(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        setup = app.screen
        assert isinstance(setup, SetupScreen)
        assert setup.has_class("-narrow") and setup.has_class("-short")

        def visible(widget) -> bool:
            region = widget.region
            return widget.display and region.area > 0 and app.screen.region.contains_region(region)

        assert visible(setup.query_one(Tabs))
        assert visible(setup.query_one(StatusLine))
        assert visible(setup.query_one("#start-button", Button))
        assert visible(setup.query_one(Footer))
        assert not setup.query_one(PresetPanel).display  # folded away at 80 columns...
        await pilot.press("ctrl+f")  # ...until asked for
        await pilot.pause()
        assert visible(setup.query_one(PresetPanel))
        assert app.focused is setup.query_one("#preset-filter")
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert not setup.query_one(PresetPanel).display

        # Every section opens and its first field can be reached.
        for _ in range(7):
            await pilot.press("ctrl+n")
            await pilot.pause()
        first = await setup.form.reveal("model.layers[0].units")
        assert first is not None and first.focus_editor()
        await pilot.pause()
        assert visible(app.focused)


async def test_good_at_200x60(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        setup = app.setup
        assert setup.has_class("-wide") and setup.has_class("-tall")
        assert setup.query_one(PresetPanel).display
        assert app.focused is setup.query_one("#preset-list")  # ready to pick a preset
        assert not setup.query_one("#help-bar").display  # descriptions are shown inline instead


async def test_every_screen_works_on_the_apps_one_source(make_app, source, tmp_path: Path) -> None:
    from runfiles import epoch_events, overfitting_history, run_row, started_event, wait_until

    from tuitrain import presets
    from tuitrain.ui.screens.monitor import MonitorScreen
    from tuitrain.ui.screens.runs import RunsScreen
    from tuitrain.workspace import read_for_editing

    done, live = tmp_path / "runs" / "done", tmp_path / "runs" / "some-run"
    source.rows = [run_row(done)]
    source.exp = app_experiment = read_for_editing(presets.find("digits-overfit"))
    source.events(live).add([started_event(), *epoch_events(overfitting_history(3))])
    source.events(tmp_path / "runs" / "run-1").add([started_event()])  # the re-run's first word
    app = make_app(open_run=str(live))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.run.epochs_done == 3)
        assert app.active_run == live and app.screen.source is source
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.table.row_count == 1)
        assert app.screen.source is source and app.screen.runs_root == tmp_path / "runs"
        # A re-run from the runs screen starts through the same source, and its monitor opens.
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.run.state == "running")
        assert source.started == [(app_experiment, None)]
        assert app.active_run == tmp_path / "runs" / "run-1" == app.screen.run_dir


async def test_hang_up_exits_without_asking(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        part = await app.setup.form.reveal("training.epochs")
        assert part is not None
        part.query_one(Input).value = "3"  # unsaved edits: a normal quit would ask
        await pilot.pause()
        app.hang_up()
        await pilot.pause()
    assert app.return_code == 129


@pytest.mark.slow  # a fresh interpreter runs the app; lint-imports checks the same statically
def test_the_ui_never_imports_tensorflow_or_keras(tmp_path: Path) -> None:
    """Import the app, run it headless through a start, and inspect sys.modules (Harlequin's check)."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pathlib import Path
        from tuitrain import presets
        from tuitrain.run_source import LocalRunsSource
        from tuitrain.ui.app import TuitrainApp
        from tuitrain.workspace import read_for_editing

        started = []

        class NoTrainer(LocalRunsSource):
            def start(self, experiment, preset_dir=None):
                started.append(experiment)
                return Path("runs") / "x"

        async def main():
            path = presets.find("digits-overfit")
            app = TuitrainApp(source=NoTrainer(Path("runs")), initial=read_for_editing(path))
            async with app.run_test(size=(100, 30)) as pilot:
                for section in ("layers", "optimizer", "training", "stopping"):
                    app.setup.form.show_section(section)
                    await pilot.pause()
                await pilot.press("ctrl+r")
                await app.workers.wait_for_complete()
                await pilot.pause()
            assert started, "the source's start was not called"

        asyncio.run(main())
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tuitrain.engine"))
        heavy += sorted(m for m in sys.modules if m.startswith("tuitrain.engine"))
        print("HEAVY:" + ",".join(heavy))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert "HEAVY:\n" in result.stdout or result.stdout.strip().endswith("HEAVY:"), result.stdout


async def test_the_dashboard_freezes_its_start_up_heap_and_a_test_app_does_not(make_app, monkeypatch) -> None:
    import gc

    from tuitrain.ui import app as app_module
    from tuitrain.ui.heap import YOUNG_THRESHOLD

    monkeypatch.setattr(app_module, "FREEZE_AFTER", 0.05)
    assert gc.get_freeze_count() == 0
    threshold = gc.get_threshold()
    try:
        plain = make_app()
        async with plain.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert gc.get_freeze_count() == 0  # a test's apps never freeze: hundreds of them would pile up
        frozen = make_app(freeze_heap=True)
        async with frozen.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert gc.get_freeze_count() > 10_000  # the dashboard's own objects, out of full collections
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    finally:
        gc.unfreeze()  # the rest of this test process collects as before
        gc.set_threshold(*threshold)
