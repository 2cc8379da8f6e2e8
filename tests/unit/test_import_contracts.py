"""The architecture's import rules (pyproject's [tool.importlinter] contracts) hold: 'lint-imports' passes.

import-linter reads every import statement, function-level ones included, and follows indirect
chains: no module outside tuitrain.engine can reach TensorFlow or Keras, and no core module Textual.
(tests/engine/test_engine_import_hygiene.py checks the same at run time, in fresh interpreters.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    """Run 'lint-imports' (the one installed with this interpreter) on the repository's contracts."""
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_import_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
