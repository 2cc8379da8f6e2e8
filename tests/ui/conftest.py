"""Fixtures for Pilot tests of the dashboard: an app on a preset, over a fake run source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runfiles import FakeSource

from tuitrain import presets
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing


@pytest.fixture
def source(tmp_path: Path) -> FakeSource:
    """A fake run source in ``tmp_path/runs``: it records starts instead of spawning trainers."""
    return FakeSource(runs_root=tmp_path / "runs")


@pytest.fixture
def make_app(tmp_path: Path, source: FakeSource, monkeypatch: pytest.MonkeyPatch):
    """Build the app on a preset (default: digits-overfit) over the fake source.

    The test runs in a clean working folder (no ./presets).
    """
    monkeypatch.chdir(tmp_path)

    def make(preset: str = "digits-overfit", **kwargs: Any) -> TuitrainApp:
        path = presets.find(preset)
        return TuitrainApp(
            source=source,
            initial=read_for_editing(path),
            preset_name=path.stem,
            preset_path=path,
            preset_source="builtin" if path.parent == presets.builtin_dir() else "file",
            **kwargs,
        )

    return make
