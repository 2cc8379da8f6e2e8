"""The dashboard searches without Optuna, Ray or TensorFlow in its process: only the controller imports Optuna.

A fresh interpreter runs the real app headless: its first frame, the Search tab with a field marked, a
search started (the controller stubbed out), and the sweep screen on a real sweep folder; ``sys.modules``
is inspected after each step (Harlequin's check).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sweepfiles import LR, make_sweep

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from tuitrain import presets
    from tuitrain.run_source import LocalRunsSource
    from tuitrain.ui.app import TuitrainApp
    from tuitrain.workspace import read_for_editing

    HEAVY = ("optuna", "ray", "tensorflow", "keras", "sqlalchemy", "alembic")
    seen = {}

    def heavy():
        return sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in HEAVY})

    class NoController(LocalRunsSource):
        def start_sweep(self, spec, source_dir=None):
            self.spec = spec
            return Path(sys.argv[2])

    async def main():
        path = presets.find("digits-overfit")
        source = NoController(Path(sys.argv[1]))
        app = TuitrainApp(source=source, initial=read_for_editing(path))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            seen["first frame"] = heavy()
            seen["sweep package at the first frame"] = "tuitrain.sweep" in sys.modules
            app.setup.form.show_section("search")
            for _ in range(100):
                await pilot.pause(0.05)
                if app.setup.search is not None and app.setup.search.is_mounted:
                    break
            app.setup.search.search("optimizer.learning_rate")
            await pilot.pause()
            seen["search tab"] = heavy()
            await pilot.press("ctrl+r")
            for _ in range(200):
                await pilot.pause(0.05)
                if type(app.screen).__name__ == "SweepScreen" and app.screen.record is not None:
                    break
            assert type(app.screen).__name__ == "SweepScreen", app.screen
            assert app.screen.table.row_count == 2
            seen["sweep screen"] = heavy()
        print("SEEN:" + json.dumps(seen))

    asyncio.run(main())
    """
)


@pytest.mark.slow  # a fresh interpreter runs the app
def test_searching_in_the_dashboard_never_imports_optuna_ray_or_tensorflow(tmp_path: Path) -> None:
    trials = [
        {"state": "finished", "objective": 0.3, "best_epoch": 2, "params": {LR: 0.01}, "val_loss": [0.4, 0.3]},
        {"state": "pruned", "objective": 0.9, "best_epoch": 1, "params": {LR: 0.9}, "val_loss": [0.9]},
    ]
    sweep_dir = make_sweep(tmp_path / "runs", trials).root
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "runs"), str(sweep_dir)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.split("SEEN:", 1)[1])
    assert seen == {
        "first frame": [],
        "sweep package at the first frame": False,
        "search tab": [],
        "sweep screen": [],
    }
