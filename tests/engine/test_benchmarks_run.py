"""The benchmarks under bench/ still run, in their smallest settings (their numbers are not checked).

They call the engine's and the dashboard's internals, so a change there can break them without any
other test noticing; this runs each one end to end and checks it printed its comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytestmark = pytest.mark.slow  # each runs a benchmark end to end, training included


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        ("imdb_bench.py", ["--small", "--epochs", "2"], "seed/tuitrain"),
        ("overhead_bench.py", ["--only", "imdb", "--epochs", "2", "--repeats", "1"], "ratio"),
        ("analysis_bench.py", ["--epochs", "50", "--repeats", "1"], "ratio"),
        (
            "ui_bench.py",
            ["--repeats", "1", "--epochs", "50", "--no-tensorflow", "--trials", "20", "--refreshes", "2"],
            "per refresh",
        ),
        ("sweep_ui_bench.py", ["--trials", "20", "--refreshes", "2"], "ratio tuitrain / plain plotext"),
        # The serial loop seeds its trials as the trainer does: the same draws must train alike.
        ("sweep_bench.py", ["--small", "--skip-ray"], ("ratio fresh/warm", "2 within 1%, largest gap 0.00%")),
        ("sweep_bench.py", ["--small", "--ray-only"], "ratio Ray/local"),
        ("sweep_storage_bench.py", ["--small"], "wall time ratio journal/sqlite"),
    ],
)
def test_benchmark_runs(script: str, args: list[str], expect: str | tuple[str, ...], tmp_path: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for text in (expect,) if isinstance(expect, str) else expect:
        assert text in done.stdout, done.stdout[-2000:]
