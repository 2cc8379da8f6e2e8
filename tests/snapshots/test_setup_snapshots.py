"""Snapshot tests of the setup screen at 80x24 and 200x60 (review diffs before updating them).

Update with ``pytest tests/snapshots --snapshot-update`` after looking at the report of what changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runfiles import FakeSource
from textual.pilot import Pilot
from textual.widgets import Input

from tuitrain import presets
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing


@pytest.fixture(autouse=True)
def _no_local_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed preset list: built-ins only (no ./presets, an empty user folder from the root conftest)."""
    monkeypatch.chdir(tmp_path)


def setup_app(preset: str = "digits-overfit") -> TuitrainApp:
    """The dashboard on a built-in preset, over a fake source (nothing is started)."""
    path = presets.find(preset)
    return TuitrainApp(
        source=FakeSource(),
        initial=read_for_editing(path),
        preset_name=preset,
        preset_path=path,
        preset_source="builtin",
    )


async def _settle(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.pause()


def test_setup_80x24(snap_compare) -> None:
    assert snap_compare(setup_app(), terminal_size=(80, 24), run_before=_settle)


def test_setup_200x60(snap_compare) -> None:
    assert snap_compare(setup_app(), terminal_size=(200, 60), run_before=_settle)


async def _layer_error(pilot: Pilot) -> None:
    await _settle(pilot)
    setup = pilot.app.setup  # type: ignore[attr-defined]
    part = await setup.form.reveal("model.layers[1].units")
    part.query_one(Input).value = "0"
    await pilot.pause()
    part = await setup.form.reveal("model.layers[0].units")
    part.focus_editor()
    await _settle(pilot)


def test_setup_layers_with_an_error_80x24(snap_compare) -> None:
    assert snap_compare(setup_app(), terminal_size=(80, 24), run_before=_layer_error)


def test_setup_layers_with_an_error_200x60(snap_compare) -> None:
    assert snap_compare(setup_app(), terminal_size=(200, 60), run_before=_layer_error)
