"""Real faults for tests: the CLI in a child process (a hang fails the test, it does not hang it),
a folder that cannot be read even by root, and a disk that is full.

Importable from any test (``tests/`` is on ``sys.path``): ``from faults import cli, unreadable, ...``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from tuitrain.cli import app; app()"]


def cli(
    *args: str, timeout: float = 90, env: dict[str, str] | None = None, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``tuitrain ARGS`` in a child process; a command that blocks fails the test after ``timeout``."""
    full_env = {**os.environ, **(env or {}), "COLUMNS": "200", "NO_COLOR": "1"}
    try:
        return subprocess.run(
            [*prefix, *CLI, *args], capture_output=True, text=True, timeout=timeout, env=full_env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"tuitrain {' '.join(args)} hung for {timeout} s") from exc


def without_root_override() -> list[str]:
    """A command prefix under which file permissions apply even to root (setpriv drops the override).

    Empty for an ordinary user; skips the test where root cannot drop it.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def full_disk(folder: Path) -> list[str]:
    """A command prefix that runs the command with a full 16 KB tmpfs mounted at ``folder``.

    Uses a private mount namespace (``unshare``): nothing is mounted outside the command. Skips the
    test where that is not allowed.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare to mount a small file system")
    folder.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run([unshare, "-rm", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("user and mount namespaces are not available here")
    script = (
        f'mount -t tmpfs -o size=16k tmpfs "{folder}" && '
        f'(dd if=/dev/zero of="{folder}/fill" bs=1k count=64 2>/dev/null; true) && exec "$@"'
    )
    return [unshare, "-rm", "sh", "-c", script, "sh"]
