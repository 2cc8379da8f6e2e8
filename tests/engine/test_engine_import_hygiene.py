"""DESIGN.md section 9: only tuitrain.engine imports TensorFlow/Keras; the core never imports textual (nor Ray).

Each side is imported in a fresh interpreter and ``sys.modules`` is inspected (Harlequin's check).
The dashboard's side (``tuitrain.ui`` never importing TensorFlow) is checked by the UI tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "textual", "ray")
"""Ray too: an optional extra that only the Ray executor imports, when a sweep asks for it."""

CORE = [
    "tuitrain.spec",
    "tuitrain.presets",
    "tuitrain.runs",
    "tuitrain.analysis",
    "tuitrain.data",
    "tuitrain.launcher",
    "tuitrain.cli",
    "tuitrain.cli.run_cmd",
    "tuitrain.cli.runs_cmd",
    "tuitrain.cli.export_cmd",
    "tuitrain.cli.lr_find_cmd",
    "tuitrain.cli.serve_cmd",
    "tuitrain.lr_chart",
    "tuitrain.runs.lr_find",
    # The script exporter writes Keras code as text; it never imports Keras.
    "tuitrain.export",
    # The sweep controller writes HParams summaries with it, without TensorFlow.
    "tuitrain.hparams",
    # The trainer's entry module installs its signal handlers before TensorFlow is imported.
    "tuitrain.engine",
    "tuitrain.engine.signals",
    # A warm worker installs its handlers before importing TensorFlow too.
    "tuitrain.engine.worker",
    # Nothing in sweep/ imports TensorFlow (the controller imports Optuna only).
    "tuitrain.sweep",
    "tuitrain.sweep.__main__",
    "tuitrain.sweep.controller",
    "tuitrain.sweep.process",
    "tuitrain.sweep.refine",
    "tuitrain.sweep.executor",
    "tuitrain.cli.sweep_cmd",
]


def _loaded_after_import(modules: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_imports_no_tensorflow_keras_or_textual() -> None:
    loaded = _loaded_after_import(CORE)
    if any(name in loaded for name in HEAVY):
        # Name the culprits: one fresh interpreter per module.
        culprits = {m: sorted(set(HEAVY) & set(_loaded_after_import([m]))) for m in CORE}
        pytest.fail(f"heavy imports: { {m: c for m, c in culprits.items() if c} }")


@pytest.mark.slow  # imports TensorFlow
def test_engine_is_where_tensorflow_lives() -> None:
    loaded = _loaded_after_import(["tuitrain.engine.trainer"])
    assert "tensorflow" in loaded and "keras" in loaded
    assert "textual" not in loaded
