"""Regenerate ``screenshots/*.svg`` from the real app (headless, fixed sizes, built-in presets only).

    python scripts/screenshots.py            # every screenshot
    python scripts/screenshots.py setup      # only those whose name starts with "setup"

Each shot is a name, a terminal size, the app to run and what to do before the picture. Screens
other than setup add their shots to ``SHOTS``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from run_shots import SHOT_SPECS  # scripts/run_shots.py: the monitor and runs screens on real runs
from sweep_shots import SHOT_SPECS as SWEEP_SHOT_SPECS  # scripts/sweep_shots.py: searching, on a real sweep
from textual.pilot import Pilot
from textual.widgets import Select

from tuitrain import presets
from tuitrain.run_source import LocalRunsSource
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"


@dataclass(frozen=True)
class Shot:
    """One screenshot: file name (without .svg), terminal size, app factory and the steps before it."""

    name: str
    size: tuple[int, int]
    make_app: Callable[[], TuitrainApp]
    before: Callable[[Pilot], Awaitable[None]] | None = None


def setup_app(preset: str = "digits-overfit") -> TuitrainApp:
    """The dashboard on a built-in preset (no shot starts a run)."""
    path = presets.find(preset)
    return TuitrainApp(
        source=LocalRunsSource(Path("runs")),
        initial=read_for_editing(path),
        preset_name=preset,
        preset_path=path,
        preset_source="builtin",
    )


async def show_layers(pilot: Pilot) -> None:
    """The Layers tab with the second layer selected."""
    setup = pilot.app.setup  # type: ignore[attr-defined]
    part = await setup.form.reveal("model.layers[1].units")
    if part is not None:
        part.focus_editor()


async def validation_errors(pilot: Pilot) -> None:
    """Binary crossentropy on 10-class digits: the error next to the loss field and in the summary."""
    setup = pilot.app.setup  # type: ignore[attr-defined]
    loss = await setup.form.reveal("loss")
    loss.query_one(Select).value = "binary_crossentropy"
    await pilot.pause()
    loss.focus_editor()


SHOTS: list[Shot] = [
    Shot("setup", (120, 36), setup_app),
    Shot("setup-layers", (120, 36), lambda: setup_app("imdb-regularized"), show_layers),
    Shot("setup-errors", (120, 36), setup_app, validation_errors),
    Shot("setup-80x24", (80, 24), setup_app),
]
SHOTS += [Shot(*spec) for spec in [*SHOT_SPECS, *SWEEP_SHOT_SPECS]]


async def take(shot: Shot) -> Path:
    """Run the app for one shot and save its SVG."""
    app = shot.make_app()
    async with app.run_test(size=shot.size) as pilot:
        await pilot.pause()
        if shot.before is not None:
            await shot.before(pilot)
        await pilot.pause()
        await pilot.pause()
        return Path(app.save_screenshot(f"{shot.name}.svg", str(OUT)))


def main(argv: list[str]) -> int:
    """Take every shot whose name starts with one of ``argv`` (all when empty)."""
    chosen = [s for s in SHOTS if not argv or any(s.name.startswith(a) for a in argv)]
    if not chosen:
        print(f"no screenshot matches {argv}; known: {', '.join(s.name for s in SHOTS)}", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Only built-in presets in the pictures: no ./presets, an empty user folder.
        os.environ["TUITRAIN_PRESETS_DIR"] = str(Path(tmp) / "presets")
        os.chdir(tmp)
        for shot in chosen:
            print(asyncio.run(take(shot)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
