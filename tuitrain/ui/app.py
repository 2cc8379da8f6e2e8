"""The dashboard app shell: holds the run source, shows the setup screen, starts runs.

Everything about runs goes through the one :class:`~tuitrain.run_source.RunsSource` the app is given,
and the app hands it to every screen. Screens are found through ``tuitrain.ui.screens.SCREENS``:

- ``open_monitor(run_dir)`` pushes ``MonitorScreen(run_dir, source)`` (after a run starts, for
  ``tuitrain attach``, and on :class:`~tuitrain.ui.messages.RunChosen` from any screen);
- ``open_sweep(sweep_dir)`` pushes ``SweepScreen(sweep_dir, source)`` (after a search starts, for
  ``tuitrain attach SWEEP``, and on :class:`~tuitrain.ui.messages.SweepChosen`);
- ``action_show_runs()`` pushes ``RunsScreen(source)``.

Any screen may define ``async def can_quit(self) -> bool``: quitting asks every screen on the stack,
top first.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tuitrain.run_source import RunsSource
from tuitrain.spec import Experiment
from tuitrain.text import printable
from tuitrain.ui.heap import FREEZE_AFTER, freeze_startup_heap
from tuitrain.ui.messages import RunChosen, SearchRequested, SweepChosen
from tuitrain.ui.screens import screen_class
from tuitrain.ui.screens.setup import SetupScreen

if TYPE_CHECKING:
    from tuitrain.sweep.spec import SweepSpec

APP_CSS_PATH = Path(__file__).with_name("app.tcss")
"""The dashboard's stylesheet: the layout of every screen (reusable widgets keep their DEFAULT_CSS)."""


class TuitrainApp(App[None]):
    """The tuitrain dashboard.

    Everything it reads from or acts on is passed in: the run source (where runs live, how they are
    started; tests pass a fake, as memray's live TUI takes its reader) and the experiment to start from.
    """

    CSS_PATH = APP_CSS_PATH
    TITLE = "tuitrain"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit (asks first about unsaved edits)"),
        Binding("ctrl+t", "show_runs", "Runs", id="show-runs", tooltip="Every run in the runs folder"),
    ]

    def __init__(
        self,
        *,
        source: RunsSource,
        initial: Experiment,
        preset_name: str | None = None,
        preset_path: Path | None = None,
        preset_source: str | None = None,
        open_run: str | None = None,
        start: bool = False,
        open_sweep: Path | None = None,
        exit_on_hangup: bool = False,
        freeze_heap: bool = False,
    ) -> None:
        """``start``: start the experiment at once, as Start on the setup screen does (which stays
        open, with the errors, when it can't). ``freeze_heap``: the dashboard's own process (not a test's):
        freeze what it holds once started (:mod:`tuitrain.ui.heap`)."""
        super().__init__()
        # No animation: over SSH every animated frame is bandwidth and latency.
        self.animation_level = "none"
        self.source = source
        self.initial = initial
        self.preset_name = preset_name
        self.preset_path = preset_path
        self.preset_source = preset_source
        self.open_run = open_run
        self.start_at_once = start
        self.open_sweep_dir = open_sweep
        self.exit_on_hangup = exit_on_hangup
        self.freeze_heap = freeze_heap
        self.active_run: Path | None = None
        self.active_sweep: Path | None = None

    def get_default_screen(self) -> Screen:
        """The setup screen is the base of the stack: every other screen returns to it."""
        return SetupScreen(
            self.initial,
            preset_name=self.preset_name,
            preset_path=self.preset_path,
            preset_source=self.preset_source,
            data_dir=self.source.data_dir,
        )

    @property
    def setup(self) -> SetupScreen:
        """The setup screen."""
        screen = self.screen_stack[0]
        assert isinstance(screen, SetupScreen)
        return screen

    def on_mount(self) -> None:
        if self.exit_on_hangup:
            # A dropped SSH connection sends SIGHUP: leave promptly instead of spinning against a dead
            # terminal. Runs are in their own session and keep training.
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.hang_up)
        if self.freeze_heap:
            self.set_timer(FREEZE_AFTER, freeze_startup_heap, name="freeze the start-up heap")
        if self.open_run:
            self.open_monitor(self._run_dir(self.open_run))
        elif self.start_at_once:
            self.call_after_refresh(self.setup.action_start)  # once the setup screen's form is mounted
        if self.open_sweep_dir is not None:
            self.open_sweep(self.open_sweep_dir)

    def on_unmount(self) -> None:
        if self.exit_on_hangup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    def hang_up(self) -> None:
        """The terminal went away: exit now, without questions (there is nobody to answer them)."""
        self.exit(return_code=129)

    def _run_dir(self, run: str) -> Path:
        path = Path(run).expanduser()
        return path if path.is_absolute() or path.exists() else self.source.runs_root / run

    # ------------------------------------------------------------------ the seam for other screens

    def open_monitor(self, run_dir: Path) -> None:
        """Show the monitor screen for ``run_dir`` (after a run starts, for ``tuitrain attach``, from the runs list)."""
        self.active_run = Path(run_dir)
        self.push_screen(screen_class("monitor")(Path(run_dir), self.source))

    @on(RunChosen)
    def _run_chosen(self, message: RunChosen) -> None:
        message.stop()
        self.open_monitor(message.run_dir)

    def open_sweep(self, sweep_dir: Path) -> None:
        """Show the sweep screen for ``sweep_dir`` (a search started, ``tuitrain attach SWEEP``, a list)."""
        self.active_sweep = Path(sweep_dir)
        self.push_screen(screen_class("sweep")(Path(sweep_dir), self.source))

    @on(SweepChosen)
    def _sweep_chosen(self, message: SweepChosen) -> None:
        message.stop()
        self.open_sweep(message.sweep_dir)

    def action_show_runs(self) -> None:
        """Show the runs screen (on this app's source: a re-run there starts like a run from setup)."""
        self.push_screen(screen_class("runs")(self.source))

    def detached_run(self) -> Path | None:
        """The last run this app opened, when its trainer still lives (so quitting can say it goes on)."""
        if self.active_run is None:
            return None
        from tuitrain.runs.status import ACTIVE_STATES

        try:
            record = self.source.load(self.active_run)
        except OSError:
            return None
        return self.active_run if record.state in ACTIVE_STATES else None

    def detached_sweep(self) -> Path | None:
        """The last sweep this app opened, when it still runs (so quitting can say it goes on)."""
        if self.active_sweep is None:
            return None
        from tuitrain.sweep.status import ACTIVE_SWEEP_STATES

        record = self.source.load_sweep(self.active_sweep)
        return self.active_sweep if record.state in ACTIVE_SWEEP_STATES else None

    # ------------------------------------------------------------------ starting runs

    @on(SetupScreen.RunRequested)
    def _run_requested(self, event: SetupScreen.RunRequested) -> None:
        event.stop()
        # The data folder set on the Data tab holds for every run started from here on (re-runs too).
        self.source.data_dir = event.data_dir
        self.start_experiment(event.experiment, event.preset_dir)

    def start_experiment(self, experiment: Experiment, preset_dir: Path | None = None) -> Worker[None]:
        """Start a run in a thread (spawning the trainer must not stall a frame), then open its monitor."""
        return self.run_worker(
            partial(self._start_in_thread, experiment, preset_dir),
            name="Starting the run",
            group="start-run",
            thread=True,
            exit_on_error=False,
        )

    def _start_in_thread(self, experiment: Experiment, preset_dir: Path | None) -> None:
        run_dir = self.source.start(experiment, preset_dir)
        self.call_from_thread(self.open_monitor, run_dir)

    @on(SetupScreen.LearningRateSearchRequested)
    def _learning_rate_search_requested(self, event: SetupScreen.LearningRateSearchRequested) -> None:
        event.stop()
        self.source.data_dir = event.data_dir  # as for a run: the Data tab's folder
        self.run_worker(
            partial(self._find_learning_rate_in_thread, event.experiment, event.preset_dir),
            name="Starting the learning-rate range test",
            group="start-run",
            thread=True,
            exit_on_error=False,
        )

    @on(SearchRequested)
    def _search_requested(self, event: SearchRequested) -> None:
        event.stop()
        self.source.data_dir = self.setup.data_dir  # the trials look in the Data tab's folder, as a run does
        self.run_worker(
            partial(self._start_sweep_in_thread, event.spec, event.source_dir),
            name="Starting the search",
            group="start-run",
            thread=True,
            exit_on_error=False,
        )

    def _find_learning_rate_in_thread(self, experiment: Experiment, preset_dir: Path | None) -> None:
        run_dir = self.source.find_learning_rate(experiment, preset_dir)
        self.call_from_thread(self.open_lr_find, run_dir)

    def open_lr_find(self, run_dir: Path) -> None:
        """Show the range test at ``run_dir``; a rate it is closed with goes into the setup form."""

        def applied(rate: float | None) -> None:
            if rate is not None:
                self.setup.apply_learning_rate(rate)

        self.push_screen(screen_class("lr_find")(Path(run_dir), self.source), applied)

    def _start_sweep_in_thread(self, spec: SweepSpec, source_dir: Path | None) -> None:
        sweep_dir = self.source.start_sweep(spec, source_dir)
        self.call_from_thread(self.open_sweep, sweep_dir)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure ends here, as one error notice naming the job."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            # The error may quote a file (a path, a run or preset name): shown literally.
            self.notify(
                printable(error), title=f"{event.worker.name} failed", severity="error", timeout=10, markup=False
            )

    # ------------------------------------------------------------------ quitting

    async def action_quit(self) -> None:
        """Quit, after every screen that has a say (unsaved edits, a running run) agrees."""
        self._quit_when_agreed()

    @work(exclusive=True, group="quit")
    async def _quit_when_agreed(self) -> None:
        for screen in reversed(self.screen_stack):
            can_quit = getattr(screen, "can_quit", None)
            if can_quit is not None and not await can_quit():
                return
        self.exit()

    # ------------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, then every enabled key binding of the screen, then the screen's own."""
        yield from super().get_system_commands(screen)
        seen = {"quit"}  # Textual lists Quit already
        for active in screen.active_bindings.values():
            binding = active.binding
            # Only the app's own actions (they all have an id); Textual's focus/copy keys stay out.
            if not active.enabled or binding.id is None or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            help_text = f"{binding.tooltip or binding.description} ({self.get_key_display(binding)})"
            yield SystemCommand(binding.description, help_text, partial(self.run_action, binding.action, active.node))
        extra = getattr(screen, "palette_commands", None)
        if extra is not None:
            yield from extra()
