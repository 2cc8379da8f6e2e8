"""The dashboard app shell: holds the dependencies, shows the setup screen, starts runs.

Screens are found through ``tuitrain.ui.screens.SCREENS``. Two methods are the seam for the monitor
and runs screens:

- ``open_monitor(run_dir)`` pushes ``MonitorScreen(run_dir)`` (called after a run starts, for
  ``tuitrain attach`` and from the runs screen);
- ``action_show_runs()`` pushes ``RunsScreen(runs_root)``.

Any screen may define ``async def can_quit(self) -> bool``: quitting asks every screen on the stack,
top first.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tuitrain.spec import Experiment
from tuitrain.text import printable
from tuitrain.ui.screens import screen_class
from tuitrain.ui.screens.setup import SetupScreen

StartRun = Callable[..., Any]
"""``start_run(experiment, runs_root, data_dir=None, preset_dir=None) -> handle with .run_dir``."""


def default_start_run(*args: Any, **kwargs: Any) -> Any:
    """``tuitrain.launcher.start_run``, imported on first use (it is not needed to draw the UI)."""
    from tuitrain.launcher import start_run

    return start_run(*args, **kwargs)


class TuitrainApp(App[None]):
    """The tuitrain dashboard.

    Everything it reads from or acts on is passed in: where runs live, the data folder handed to
    the trainer, the experiment to start from, and the function that starts a run (tests pass a fake).
    """

    CSS_PATH = "app.tcss"
    TITLE = "tuitrain"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit (asks first about unsaved edits)"),
        Binding("ctrl+t", "show_runs", "Runs", id="show-runs", tooltip="Every run in the runs folder"),
    ]

    def __init__(
        self,
        *,
        runs_root: Path,
        initial: Experiment,
        preset_name: str | None = None,
        preset_path: Path | None = None,
        preset_source: str | None = None,
        data_dir: Path | None = None,
        start_run: StartRun | None = None,
        open_run: str | None = None,
        exit_on_hangup: bool = False,
    ) -> None:
        super().__init__()
        # No animation: over SSH every animated frame is bandwidth and latency.
        self.animation_level = "none"
        self.runs_root = Path(runs_root)
        self.data_dir = data_dir
        self.initial = initial
        self.preset_name = preset_name
        self.preset_path = preset_path
        self.preset_source = preset_source
        self.start_run: StartRun = start_run or default_start_run
        self.open_run = open_run
        self.exit_on_hangup = exit_on_hangup
        self.active_run: Path | None = None

    def get_default_screen(self) -> Screen:
        """The setup screen is the base of the stack: every other screen returns to it."""
        return SetupScreen(
            self.initial,
            preset_name=self.preset_name,
            preset_path=self.preset_path,
            preset_source=self.preset_source,
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
        if self.open_run:
            self.open_monitor(self._run_dir(self.open_run))

    def on_unmount(self) -> None:
        if self.exit_on_hangup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    def hang_up(self) -> None:
        """The terminal went away: exit now, without questions (there is nobody to answer them)."""
        self.exit(return_code=129)

    def _run_dir(self, run: str) -> Path:
        path = Path(run).expanduser()
        return path if path.is_absolute() or path.exists() else self.runs_root / run

    # ------------------------------------------------------------------ the seam for other screens

    def open_monitor(self, run_dir: Path) -> None:
        """Show the monitor screen for ``run_dir`` (after a run starts, for ``tuitrain attach``, from the runs list)."""
        self.active_run = Path(run_dir)
        self.push_screen(screen_class("monitor")(Path(run_dir)))

    def action_show_runs(self) -> None:
        """Show the runs screen; a re-run from there starts with this app's data folder and opens its monitor."""
        runs = screen_class("runs")
        self.push_screen(runs(self.runs_root, start_run=self._start_from_runs, open_run=self.open_monitor))

    def _start_from_runs(self, experiment: Experiment, runs_root: Path) -> Any:
        return self.start_run(experiment, runs_root, data_dir=self.data_dir)

    def detached_run(self) -> Path | None:
        """The last run this app opened, when its trainer still lives (so quitting can say it goes on)."""
        if self.active_run is None:
            return None
        from tuitrain.runs import load_run

        try:
            record = load_run(self.active_run)
        except OSError:
            return None
        return self.active_run if record.state in ("pending", "running") else None

    # ------------------------------------------------------------------ starting runs

    @on(SetupScreen.RunRequested)
    def _run_requested(self, event: SetupScreen.RunRequested) -> None:
        event.stop()
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
        handle = self.start_run(experiment, self.runs_root, data_dir=self.data_dir, preset_dir=preset_dir)
        self.call_from_thread(self.open_monitor, Path(handle.run_dir))

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
