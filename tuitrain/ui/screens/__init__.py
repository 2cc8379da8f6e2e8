"""Screens of the dashboard, and the registry the app finds them through.

Screens other than setup are imported lazily by name (``screen_class("monitor")``): the app starts
without importing them, because they pull in the charting libraries.
"""

from __future__ import annotations

import importlib

from textual.screen import Screen

SCREENS: dict[str, str] = {
    # name -> "module:Class". MonitorScreen(run_dir: Path, source: RunsSource); RunsScreen(source: RunsSource);
    # SweepScreen(sweep_dir: Path, source: RunsSource).
    "monitor": "tuitrain.ui.screens.monitor:MonitorScreen",
    "runs": "tuitrain.ui.screens.runs:RunsScreen",
    # LrFindScreen(run_dir: Path, source: RunsSource): dismisses with the suggested rate or None.
    "lr_find": "tuitrain.ui.screens.lr_find:LrFindScreen",
    "sweep": "tuitrain.ui.screens.sweep:SweepScreen",
}


def screen_class(name: str) -> type[Screen]:
    """The screen class registered as ``name``, imported on first use."""
    module_name, _, class_name = SCREENS[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
