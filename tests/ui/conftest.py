"""Fixtures for Pilot tests of the dashboard: an app on a preset, with a fake run starter."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tuitrain import presets
from tuitrain.spec import Experiment
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing


@dataclass
class FakeHandle:
    """What ``launcher.start_run`` returns, as far as the app uses it."""

    run_dir: Path
    pid: int = 4242


@dataclass
class FakeStarter:
    """Records every call instead of spawning a trainer."""

    runs_root: Path
    calls: list[dict[str, Any]] = field(default_factory=list)
    error: Exception | None = None

    def __call__(
        self, experiment: Experiment, runs_root: Path, data_dir: Path | None = None, preset_dir: Path | None = None
    ) -> FakeHandle:
        self.calls.append(
            {"experiment": experiment, "runs_root": runs_root, "data_dir": data_dir, "preset_dir": preset_dir}
        )
        if self.error is not None:
            raise self.error
        run_dir = runs_root / f"run-{len(self.calls)}"
        run_dir.mkdir(parents=True, exist_ok=True)
        return FakeHandle(run_dir)


@pytest.fixture
def starter(tmp_path: Path) -> FakeStarter:
    """A fake ``start_run``."""
    return FakeStarter(tmp_path / "runs")


def _record_opened_run(app: TuitrainApp, run_dir: Path) -> None:
    app.active_run = Path(run_dir)


@pytest.fixture
def make_app(tmp_path: Path, starter: FakeStarter, monkeypatch: pytest.MonkeyPatch):
    """Build the app on a preset (default: digits-overfit) with the fake starter.

    The test runs in a clean working folder (no ./presets). ``open_monitor`` only records the run
    (the monitor has its own tests): these are the setup screen's and the shell's tests.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(TuitrainApp, "open_monitor", _record_opened_run)

    def make(preset: str = "digits-overfit", **kwargs: Any) -> TuitrainApp:
        path = presets.find(preset)
        return TuitrainApp(
            runs_root=tmp_path / "runs",
            initial=read_for_editing(path),
            preset_name=path.stem,
            preset_path=path,
            preset_source="builtin" if path.parent == presets.builtin_dir() else "file",
            start_run=starter,
            **kwargs,
        )

    return make
